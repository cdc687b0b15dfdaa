"""Staff usernames are unique per municipality, not across all of them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A global unique username let one municipality's administrator discover another's
usernames ("ya existe"). The console login now names the municipality too.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 0001 created the constraint without a name: PostgreSQL called it staff_username_key, and on
# SQLite the batch copy names the reflected constraint with this convention so it can be dropped.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_constraint_name() -> str:
    return "staff_username_key" if op.get_bind().dialect.name == "postgresql" else "uq_staff_username"


def upgrade() -> None:
    with op.batch_alter_table("staff", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_old_constraint_name(), type_="unique")
        batch_op.create_unique_constraint("uq_staff_municipality_username", ["municipality", "username"])


def downgrade() -> None:
    with op.batch_alter_table("staff", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint("uq_staff_municipality_username", type_="unique")
        batch_op.create_unique_constraint(_old_constraint_name(), ["username"])
