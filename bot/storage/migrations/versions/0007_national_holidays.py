"""National public holidays: the catalogue's ``feriados.yml``, loaded with the rest of the catalogue.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Offices are closed on Chile's public holidays: the handoff message says so and tells when a person
will answer, and the staff console's first-response clock leaves them out. The table is filled by
``bot catalogue load`` (its fingerprint now includes the holidays, so the next load fills it).
A municipality's own days off travel in its ``municipalities.data`` (``feriados``).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "national_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("national_holidays")
