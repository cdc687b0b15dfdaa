"""Canned responses (respuestas predefinidas) that console staff insert into their replies.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

A row belongs to one municipality, or to all of them when ``municipality`` is NULL. The console
shows a staffer only their municipality's rows and the shared ones.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_canned_responses_municipality"), "canned_responses", ["municipality"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_canned_responses_municipality"), table_name="canned_responses")
    op.drop_table("canned_responses")
