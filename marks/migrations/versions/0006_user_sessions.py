"""Signed-in sessions kept on the server

Revision ID: c0de0006se55
Revises: 4274676e22b6
Create Date: 2026-12-06 09:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0006se55"
down_revision = "4274676e22b6"
branch_labels = None
depends_on = None
rolling_upgrade = False  # marks/operations/rolling_upgrades.py
why_not_rolling = "Sessions move to the server: a sign-in made by the new code is not one the older code can read, and signing out on an upgraded server would not end the session on the others."


def upgrade():
    # Sessions signed in before this release hold no key to a row here: they are signed out.
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
