"""One open handoff per conversation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

A staffer taking a live conversation while the assistant hands it over could open two
handoffs for the same citizen. A partial unique index now forbids it. Duplicates already
there are resolved first: the newest open handoff of each conversation stays open, older
ones are closed as "desistida" with the reason in ``outcome``.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = "status IN ('esperando', 'atendiendo')"


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE handoffs SET status = 'desistida', outcome = 'duplicada: quedó abierta la más reciente' "
        f"WHERE {OPEN} AND id NOT IN (SELECT MAX(id) FROM handoffs WHERE {OPEN} GROUP BY municipality, sender_id)"
    ))
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index("uq_handoffs_open_per_sender", ["municipality", "sender_id"], unique=True,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("uq_handoffs_open_per_sender")
