"""Who may read each audit event's reason: the public, the council, or the record only

Revision ID: c0de0010read
Revises: c0de0009pr1v
Create Date: 2026-12-12 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0010read"
down_revision = "c0de0009pr1v"
branch_labels = None
depends_on = None
rolling_upgrade = False  # marks/operations/rolling_upgrades.py
why_not_rolling = (
    "Each audit reason must say who may read it: the older code records reasons without."
)


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reason_audience",
                sa.Enum(
                    "public",
                    "council",
                    "record",
                    name="reason_audience",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=True,
            )
        )
    # The reasons written so far, as the code that wrote them meant them: a refusal's reasons,
    # a request for more information and a council's own withdrawal were the council's; a
    # revocation's reason was public; everything else (an approval's override, a conflict of
    # interest, the staff's own) was for the record.
    op.execute(
        "UPDATE audit_events SET reason_audience = CASE"
        " WHEN action IN ('application.reject', 'application.request_information',"
        " 'application.withdraw') THEN 'council'"
        " WHEN action = 'award.revoked' THEN 'public'"
        " ELSE 'record' END"
        " WHERE reason IS NOT NULL"
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "reason_has_audience", "(reason IS NULL) = (reason_audience IS NULL)"
        )


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint("reason_has_audience", type_="check")
        batch_op.drop_constraint("reason_audience", type_="check")  # the enum's own
        batch_op.drop_column("reason_audience")
