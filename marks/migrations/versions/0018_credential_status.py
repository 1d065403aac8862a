"""Each award's place in the Open Badges 3.0 status list

Revision ID: c0de0018stat
Revises: c0de0017hash
Create Date: 2026-12-11 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0018stat"
down_revision = "c0de0017hash"
branch_labels = None
depends_on = None
rolling_upgrade = True  # a nullable column, which older code never reads nor writes


def upgrade():
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_index", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_awards_status_index", ["status_index"])
    # The awards issued so far, numbered as issue numbers new ones: by their id.
    op.execute("UPDATE awards SET status_index = id")


def downgrade():
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_constraint("uq_awards_status_index", type_="unique")
        batch_op.drop_column("status_index")
