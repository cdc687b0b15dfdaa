"""Working a conversation in the console: internal notes, labels and the satisfaction survey.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02

``handoff_notes`` are notes staff write on a handoff (never sent to the citizen); ``labels`` are a
municipality's labels and ``handoff_labels`` which handoffs carry them; ``satisfaction_surveys`` keep the
question sent on closing a handoff (or why it was not sent) and the citizen's score and comment.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "handoff_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("staff", sa.String(length=60), nullable=False),
        sa.Column("staff_name", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_handoff_notes_handoff_id"), "handoff_notes", ["handoff_id"], unique=False)
    op.create_index(op.f("ix_handoff_notes_municipality"), "handoff_notes", ["municipality"], unique=False)
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality", "name", name="uq_labels_municipality_name"),
    )
    op.create_index(op.f("ix_labels_municipality"), "labels", ["municipality"], unique=False)
    op.create_table(
        "handoff_labels",
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=60), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["label_id"], ["labels.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("handoff_id", "label_id"),
    )
    op.create_index(op.f("ix_handoff_labels_label_id"), "handoff_labels", ["label_id"], unique=False)
    op.create_table(
        "satisfaction_surveys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("not_sent_reason", sa.String(length=200), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("handoff_id", "municipality", "sender_id", "asked_at"):
        op.create_index(
            op.f(f"ix_satisfaction_surveys_{column}"), "satisfaction_surveys", [column], unique=False
        )


def downgrade() -> None:
    for column in ("handoff_id", "municipality", "sender_id", "asked_at"):
        op.drop_index(op.f(f"ix_satisfaction_surveys_{column}"), table_name="satisfaction_surveys")
    op.drop_table("satisfaction_surveys")
    op.drop_index(op.f("ix_handoff_labels_label_id"), table_name="handoff_labels")
    op.drop_table("handoff_labels")
    op.drop_index(op.f("ix_labels_municipality"), table_name="labels")
    op.drop_table("labels")
    op.drop_index(op.f("ix_handoff_notes_municipality"), table_name="handoff_notes")
    op.drop_index(op.f("ix_handoff_notes_handoff_id"), table_name="handoff_notes")
    op.drop_table("handoff_notes")
