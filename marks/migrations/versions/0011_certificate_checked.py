"""When each stored certificate was last found to print what is true

Revision ID: c0de0011chkd
Revises: c0de0010read
Create Date: 2026-12-06 15:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0011chkd"
down_revision = "c0de0010read"
branch_labels = None
depends_on = None
rolling_upgrade = (
    True  # marks/operations/rolling_upgrades.py: one nullable column, older code ignores it
)


def upgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
