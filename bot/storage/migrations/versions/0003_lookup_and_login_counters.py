"""Failed-lookup counters without personal data, failed-login counters per client, server secrets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

``lookup_failures`` counted per sender id, in clear, and was emptied by "borra mis
datos". It now counts per municipality, folio and a keyed hash of the conversation
(its rows are one-hour counters: the old ones are dropped, not converted).
``login_failures`` counts failed console logins per account and per hashed client IP.
``server_secrets`` keeps the generated key of the hashes when ``PSEUDONYM_SECRET`` is unset.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index("ix_lookup_failures_at", table_name="lookup_failures")
    op.drop_index("ix_lookup_failures_sender_id", table_name="lookup_failures")
    op.drop_table("lookup_failures")
    op.create_table(
        "lookup_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("folio", sa.String(length=16), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lookup_failures_at", "lookup_failures", ["at"])
    op.create_index("ix_lookup_failures_sender_key", "lookup_failures", ["sender_key"])
    op.create_index("ix_lookup_failures_municipality_at", "lookup_failures", ["municipality", "at"])
    op.create_index("ix_lookup_failures_folio_at", "lookup_failures", ["municipality", "folio", "at"])

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_account_at", "login_failures", ["municipality", "username", "at"])
    op.create_index("ix_login_failures_client_at", "login_failures", ["client_key", "at"])

    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_index("ix_login_failures_client_at", table_name="login_failures")
    op.drop_index("ix_login_failures_account_at", table_name="login_failures")
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_table("login_failures")
    for name in ("ix_lookup_failures_folio_at", "ix_lookup_failures_municipality_at",
                 "ix_lookup_failures_sender_key", "ix_lookup_failures_at"):
        op.drop_index(name, table_name="lookup_failures")
    op.drop_table("lookup_failures")
    op.create_table(
        "lookup_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lookup_failures_at", "lookup_failures", ["at"])
    op.create_index("ix_lookup_failures_sender_id", "lookup_failures", ["sender_id"])
