"""The scheme's hashtag, for the posts of its social media kit

Revision ID: c0de0017hash
Revises: c0de0016prac
Create Date: 2026-12-10 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0017hash"
down_revision = "c0de0016prac"
branch_labels = None
depends_on = None
rolling_upgrade = True  # a nullable column, which older code never reads

# The demo's and a new install's hashtag; administrators change it at /admin/settings.
DEFAULT_HASHTAG = "#SocialMediaFriendly"


def upgrade():
    with op.batch_alter_table("scheme_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hashtag", sa.String(length=100), nullable=True))
    op.execute(
        sa.table("scheme_settings", sa.column("hashtag", sa.String))
        .update()
        .values(hashtag=DEFAULT_HASHTAG)
    )


def downgrade():
    with op.batch_alter_table("scheme_settings", schema=None) as batch_op:
        batch_op.drop_column("hashtag")
