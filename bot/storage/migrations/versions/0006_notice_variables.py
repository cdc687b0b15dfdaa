"""Notices keep their data: ``kind`` and ``variables``; ``text`` becomes optional.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

A notice stored its Spanish text, and WhatsApp's template variables were parsed back out of
it. It now keeps the kind of notice (``cambio_estado``, ``novedad``) and its variables (folio,
status, procedure name as shown to the citizen, note); the text is rendered when it is sent
(bot/answers/notices.py). ``text`` is set only when it must be sent as it is: existing rows,
which keep their text and are sent unchanged, and the undelivered rest of a notice sent in part.

Downgrading writes the text of every row that has none, worded as before this revision.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The wording of revision 0005's release, frozen here: the application's may change later.
_LABELS = {"recibida": "recibida", "en_revision": "en revisión", "derivada": "derivada a otra unidad",
           "en_terreno": "en terreno", "resuelta": "resuelta", "rechazada": "rechazada"}


def _old_text(kind: str, variables: dict) -> str:
    folio, procedure = variables.get("folio", ""), variables.get("procedure", "")
    label = _LABELS.get(variables.get("status", ""), variables.get("status", ""))
    if kind == "novedad":
        text = f"Hay novedades en tu solicitud {folio} ({procedure}), que sigue en estado: {label}."
    else:
        text = f"Tu solicitud {folio} ({procedure}) cambió a: {label}."
    note = variables.get("note") or ""
    return f"{text}\nNota: {note}" if note else text


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("variables", sa.JSON(), nullable=True))
        batch_op.alter_column("text", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    notifications = sa.table("notifications", sa.column("id", sa.Integer()), sa.column("text", sa.Text()),
                             sa.column("kind", sa.String()), sa.column("variables", sa.JSON()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(notifications.c.id, notifications.c.kind, notifications.c.variables)
                              .where(notifications.c.text.is_(None))).all()
    for row in rows:
        connection.execute(notifications.update().where(notifications.c.id == row.id)
                           .values(text=_old_text(row.kind or "", row.variables or {})))
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("variables")
        batch_op.drop_column("kind")
