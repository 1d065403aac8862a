"""When each reopened answer was saved again or confirmed unchanged

Revision ID: c0de0012rcnf
Revises: c0de0011chkd
Create Date: 2026-12-08 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0012rcnf"
down_revision = "c0de0011chkd"
branch_labels = None
depends_on = None
rolling_upgrade = (
    True  # marks/operations/rolling_upgrades.py: one nullable column, older code ignores it
)


def upgrade():
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reopened_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("reopened_confirmed_at")
