"""The scheme's settings: its issuer, signatory and description

Revision ID: c0de0014sset
Revises: c0de0012rcnf
Create Date: 2026-12-06 18:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0014sset"
down_revision = "c0de0012rcnf"
branch_labels = None
depends_on = None
rolling_upgrade = (
    True  # marks/operations/rolling_upgrades.py: a new table, which older code never reads
)

IMAGE_TYPES = "('image/png', 'image/svg+xml')"


def upgrade():
    op.create_table(
        "scheme_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_name", sa.String(length=200), nullable=True),
        sa.Column("issuer_address", sa.Text(), nullable=True),
        sa.Column("issuer_website", sa.String(length=500), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("signatory_name", sa.String(length=200), nullable=True),
        sa.Column("signatory_title", sa.String(length=200), nullable=True),
        sa.Column("logo_type", sa.String(length=40), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("signature_type", sa.String(length=40), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_scheme_settings_one_row")),
        sa.CheckConstraint(
            "(logo IS NULL) = (logo_type IS NULL) AND (logo_type IS NULL OR logo_type IN "
            f"{IMAGE_TYPES})",
            name=op.f("ck_scheme_settings_logo_typed"),
        ),
        sa.CheckConstraint(
            "(signature IS NULL) = (signature_type IS NULL) AND (signature_type IS NULL OR "
            f"signature_type IN {IMAGE_TYPES})",
            name=op.f("ck_scheme_settings_signature_typed"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_scheme_settings_changed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_settings")),
    )


def downgrade():
    op.drop_table("scheme_settings")
