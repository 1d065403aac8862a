"""Data protection: when a person's personal data was erased

Revision ID: c0de0009pr1v
Revises: c0de0006f2a0
Create Date: 2026-12-10 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0009pr1v"
down_revision = "c0de0006f2a0"
branch_labels = None
depends_on = None
rolling_upgrade = True  # marks/operations/rolling_upgrades.py


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            "erased_is_deactivated", "erased_at IS NULL OR deactivated_at IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("erased_is_deactivated", type_="check")
        batch_op.drop_column("erased_at")
