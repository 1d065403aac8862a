"""The library of good practice: answers councils offer, and the files they pick

Revision ID: c0de0016prac
Revises: c0de0015name
Create Date: 2026-12-06 20:52:54.507245

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0016prac"
down_revision = "c0de0015name"
branch_labels = None
depends_on = None
rolling_upgrade = True  # new tables, which older code never reads


def upgrade():
    op.create_table(
        "practice_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "offered",
                "published",
                "returned",
                "withdrawn",
                name="practice_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("offered_by_id", sa.Integer(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state != 'published' OR published_at IS NOT NULL",
            name=op.f("ck_practice_examples_published_has_date"),
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_practice_examples_answer_id_answers")
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_practice_examples_award_id_awards")
        ),
        sa.ForeignKeyConstraint(
            ["offered_by_id"], ["users.id"], name=op.f("fk_practice_examples_offered_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_examples")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_practice_examples_answer_id")),
    )
    with op.batch_alter_table("practice_examples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_examples_award_id"), ["award_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_practice_examples_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_practice_examples_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "practice_example_files",
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("evidence_file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_file_id"],
            ["evidence_files.id"],
            name=op.f("fk_practice_example_files_evidence_file_id_evidence_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["example_id"],
            ["practice_examples.id"],
            name=op.f("fk_practice_example_files_example_id_practice_examples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "example_id", "evidence_file_id", name=op.f("pk_practice_example_files")
        ),
    )


def downgrade():
    op.drop_table("practice_example_files")
    with op.batch_alter_table("practice_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_examples_updated_at"))
        batch_op.drop_index(batch_op.f("ix_practice_examples_state"))
        batch_op.drop_index(batch_op.f("ix_practice_examples_award_id"))

    op.drop_table("practice_examples")
