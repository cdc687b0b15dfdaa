"""Photos that come with a request: ``requests.attachments``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A JSON list of the attachments the citizen sent while filling in the request, in the shape of
``bot/message_metadata.py`` (kind, where to fetch it from, MIME type). The files stay with the channel
(Twilio or Telegram) and are fetched when staff or the back office open them. Older rows have none.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("attachments")
