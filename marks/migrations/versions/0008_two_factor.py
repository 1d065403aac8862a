"""Two-factor sign-in: the authenticator app's key on users, and recovery codes

Revision ID: c0de0006f2a0
Revises: c0de0006d0m5
Create Date: 2026-12-06 08:36:31.972200

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0006f2a0"
down_revision = "c0de0006d0m5"
branch_labels = None
depends_on = None
rolling_upgrade = False  # marks/operations/rolling_upgrades.py
why_not_rolling = "Staff must sign in with a code from their authenticator app: the older code signs them in with a password alone."


def upgrade():
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index("uq_recovery_codes_user_code", ["user_id", "code_hash"], unique=True)

    # Nobody has a second factor yet: staff set one up the next time they sign in.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("two_factor_key", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("two_factor_enrolled_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("two_factor_last_step", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            "two_factor_key_iff_enrolled",
            "(two_factor_key IS NULL) = (two_factor_enrolled_at IS NULL)",
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("two_factor_key_iff_enrolled", type_="check")
        batch_op.drop_column("two_factor_last_step")
        batch_op.drop_column("two_factor_enrolled_at")
        batch_op.drop_column("two_factor_key")

    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index("uq_recovery_codes_user_code")

    op.drop_table("recovery_codes")
