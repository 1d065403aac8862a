"""Councils called by the names people use: the official name, a short name, the ONS name kept

Revision ID: c0de0015name
Revises: c0de0014sset
Create Date: 2026-12-09 10:00:00.000000

"""

import csv
import unicodedata
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0de0015name"
down_revision = "c0de0014sset"
branch_labels = None
depends_on = None
rolling_upgrade = (
    True  # two nullable columns and new values: older code reads `name` as a string either way
)

# mySociety's file of UK council names, as shipped with this release: read here, not through the
# app, so that this migration does what it did whatever the app's code becomes.
NAMES_FILE = Path(__file__).resolve().parents[2] / "data" / "uk-councils-names.csv"

councils = sa.table(
    "councils",
    sa.column("gss_code", sa.String),
    sa.column("name", sa.String),
    sa.column("short_name", sa.String),
    sa.column("ons_name", sa.String),
    sa.column("search_name", sa.String),
)


def _folded(name):
    """As marks.people.councils.search_name: lower case, accents folded."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def upgrade():
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.add_column(sa.Column("short_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ons_name", sa.String(length=200), nullable=True))
    op.execute(sa.update(councils).values(ons_name=councils.c.name))
    with NAMES_FILE.open(newline="", encoding="utf-8-sig") as stream:
        named = list(csv.DictReader(stream))
    # search_name as marks.people.councils.search_names makes it: the short name, the official
    # name and the ONS name, each once. In SQL, so that `flask db upgrade --sql` prints it too:
    # lower() folds the ONS names, which are plain ASCII, as _folded would.
    ons_folded = sa.func.lower(councils.c.ons_name)
    for row in named:
        official, short = row["official-name"].strip(), row["nice-name"].strip() or None
        known = list(dict.fromkeys(_folded(n) for n in (short, official) if n))
        prefix = " / ".join(known)
        op.execute(
            sa.update(councils)
            .where(councils.c.gss_code == row["gss-code"])
            .values(
                name=official,
                short_name=short,
                search_name=sa.func.substr(
                    sa.case(
                        (ons_folded.in_(known), sa.literal(prefix)),
                        else_=sa.literal(prefix + " / ") + ons_folded,
                    ),
                    1,
                    200,
                ),
            )
        )
    # The register's caches and the certificates follow awards.updated_at.
    op.execute(
        "UPDATE awards SET updated_at = CURRENT_TIMESTAMP"
        " WHERE council_id IN (SELECT id FROM councils WHERE short_name IS NOT NULL)"
    )


def downgrade():
    # The councils whose names differ from their ONS names are called by them again; the others'
    # search_name already folds their one name.
    op.execute(
        "UPDATE awards SET updated_at = CURRENT_TIMESTAMP WHERE council_id IN (SELECT id FROM"
        " councils WHERE ons_name IS NOT NULL AND (name <> ons_name OR short_name IS NOT NULL))"
    )
    op.execute(
        "UPDATE councils SET name = ons_name, search_name = lower(ons_name)"
        " WHERE ons_name IS NOT NULL AND (name <> ons_name OR short_name IS NOT NULL)"
    )
    with op.batch_alter_table("councils", schema=None) as batch_op:
        batch_op.drop_column("ons_name")
        batch_op.drop_column("short_name")
