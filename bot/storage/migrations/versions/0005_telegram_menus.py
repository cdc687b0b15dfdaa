"""Telegram menus: the id of the chat's last menu and the question the citizen has pending.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Telegram buttons carried only their position, resolved against the chat's last buttons, so a
button of an older message acted on the newest menu. Each message with buttons now gets a menu
id (in its callback data, ``m<menu>.<n>``); ``menu_id`` is the last one sent to the chat and
``question`` the text re-sent when an old button is pressed (channels/menus.py). Existing rows
get no menu (0) and no question: their buttons, sent in the old format, are stale.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("channel_buttons") as batch_op:
        batch_op.add_column(sa.Column("menu_id", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("question", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_buttons") as batch_op:
        batch_op.drop_column("question")
        batch_op.drop_column("menu_id")
