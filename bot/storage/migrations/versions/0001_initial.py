"""Initial schema: every table of ours (``bot/storage/tables.py`` and the staff console tables).

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Baseline. On an empty database it creates every table. On a database made before
migrations existed (``Base.metadata.create_all``: tables but no ``alembic_version``) it
adopts what is there: tables already present are kept as they are (their columns never
changed before this revision), missing ones are created, and ``processed_messages``,
replaced by ``inbound_messages``, is dropped (it only held ids of webhook deliveries
already handled). Tables of others in the same database are never touched.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OBSOLETE_TABLES = ("processed_messages",)


def _create_api_tokens() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_api_tokens_municipality", "api_tokens", ["municipality"])


def _create_catalogue_versions() -> None:
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _create_channel_buttons() -> None:
    op.create_table(
        "channel_buttons",
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_id"),
    )


def _create_communes() -> None:
    op.create_table(
        "communes",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def _create_conversation_activity() -> None:
    op.create_table(
        "conversation_activity",
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_id"),
    )


def _create_handoffs() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("procedure", sa.String(length=80), nullable=True),
        sa.Column("form_data", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assigned_to", sa.String(length=120), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoffs_created_at", "handoffs", ["created_at"])
    op.create_index("ix_handoffs_municipality", "handoffs", ["municipality"])
    op.create_index("ix_handoffs_sender_id", "handoffs", ["sender_id"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])


def _create_inbound_messages() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_id", name="uq_inbound_messages"),
    )
    op.create_index("ix_inbound_messages_open", "inbound_messages", ["status", "sender_id", "id"])
    op.create_index("ix_inbound_messages_received_at", "inbound_messages", ["received_at"])
    op.create_index("ix_inbound_messages_sender_id", "inbound_messages", ["sender_id"])


def _create_lookup_failures() -> None:
    op.create_table(
        "lookup_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lookup_failures_at", "lookup_failures", ["at"])
    op.create_index("ix_lookup_failures_sender_id", "lookup_failures", ["sender_id"])


def _create_municipalities() -> None:
    op.create_table(
        "municipalities",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comuna", sa.String(length=120), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("comuna"),
    )


def _create_non_municipal_procedures() -> None:
    op.create_table(
        "non_municipal_procedures",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
    )


def _create_procedures() -> None:
    op.create_table(
        "procedures",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_index("ix_procedures_category", "procedures", ["category"])


def _create_requests() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("folio", sa.String(length=16), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("procedure", sa.String(length=80), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("rut", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("municipality", "folio", name="uq_requests_municipality_folio"),
    )
    op.create_index("ix_requests_municipality", "requests", ["municipality"])
    op.create_index("ix_requests_rut", "requests", ["rut"])
    op.create_index("ix_requests_sender_id", "requests", ["sender_id"])


def _create_staff() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_index("ix_staff_municipality", "staff", ["municipality"])


def _create_staff_audit() -> None:
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff", sa.String(length=60), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_audit_at", "staff_audit", ["at"])
    op.create_index("ix_staff_audit_handoff_id", "staff_audit", ["handoff_id"])
    op.create_index("ix_staff_audit_municipality", "staff_audit", ["municipality"])
    op.create_index("ix_staff_audit_staff", "staff_audit", ["staff"])


def _create_nlu_reviews() -> None:
    op.create_table(
        "nlu_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("wrong", sa.Boolean(), nullable=False),
        sa.Column("intended_intent", sa.String(length=80), nullable=True),
        sa.Column("intended_procedure", sa.String(length=80), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_nlu_reviews_handoff_id", "nlu_reviews", ["handoff_id"])
    op.create_index("ix_nlu_reviews_municipality", "nlu_reviews", ["municipality"])


def _create_notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_next_attempt_at", "notifications", ["next_attempt_at"])
    op.create_index("ix_notifications_request_id", "notifications", ["request_id"])
    op.create_index("ix_notifications_state", "notifications", ["state"])


def _create_request_status_history() -> None:
    op.create_table(
        "request_status_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_status_history_request_id", "request_status_history", ["request_id"])


def _create_staff_messages() -> None:
    op.create_table(
        "staff_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("staff", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("delivered", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_messages_handoff_id", "staff_messages", ["handoff_id"])
    op.create_index("ix_staff_messages_sender_id", "staff_messages", ["sender_id"])


def _create_staff_sessions() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])


# In creation order (a table after the tables its foreign keys point to).
TABLES = (
    ("api_tokens", _create_api_tokens),
    ("catalogue_versions", _create_catalogue_versions),
    ("channel_buttons", _create_channel_buttons),
    ("communes", _create_communes),
    ("conversation_activity", _create_conversation_activity),
    ("handoffs", _create_handoffs),
    ("inbound_messages", _create_inbound_messages),
    ("lookup_failures", _create_lookup_failures),
    ("municipalities", _create_municipalities),
    ("non_municipal_procedures", _create_non_municipal_procedures),
    ("procedures", _create_procedures),
    ("requests", _create_requests),
    ("staff", _create_staff),
    ("staff_audit", _create_staff_audit),
    ("nlu_reviews", _create_nlu_reviews),
    ("notifications", _create_notifications),
    ("request_status_history", _create_request_status_history),
    ("staff_messages", _create_staff_messages),
    ("staff_sessions", _create_staff_sessions),
)


def _existing_tables() -> set:
    if context.is_offline_mode():
        return set()
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    existing = _existing_tables()
    for name, create in TABLES:
        if name not in existing:
            create()
    for name in OBSOLETE_TABLES:
        if name in existing:
            op.drop_table(name)


def downgrade() -> None:
    for name, _ in reversed(TABLES):
        op.drop_table(name)  # its indexes go with it
