"""Council email domains

Revision ID: c0de0006d0m5
Revises: c0de0006se55
Create Date: 2026-12-06 08:35:16.351531

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0006d0m5"
down_revision = "c0de0006se55"
branch_labels = None
depends_on = None
rolling_upgrade = False  # marks/operations/rolling_upgrades.py
why_not_rolling = "The first person to join a council with no members becomes its lead only at a domain recorded for it: the older code makes anyone its lead."


def upgrade():
    # Administrators record them; none yet, so every council's first person waits for approval
    # until its domains are recorded.
    op.create_table(
        "council_email_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "domain NOT LIKE '%@%' AND domain LIKE '%_._%'",
            name=op.f("ck_council_email_domains_domain_only"),
        ),
        sa.CheckConstraint(
            "domain = lower(domain)", name=op.f("ck_council_email_domains_domain_lower_case")
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_council_email_domains_council_id_councils"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_email_domains")),
        sa.UniqueConstraint(
            "council_id", "domain", name=op.f("uq_council_email_domains_council_id_domain")
        ),
    )


def downgrade():
    op.drop_table("council_email_domains")
