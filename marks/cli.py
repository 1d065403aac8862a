"""Command-line tasks: `flask seed-demo`, `create-user`, `import-councils`, `send-mail`."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from marks import councils, editions, people
from marks.extensions import db
from marks.models import Council
from marks.states import MembershipRole, UserRole

DEMO_PASSWORD = "demo-password"  # noqa: S105 (printed for everyone to use: it is a demo)

# email, full name, staff role, council GSS code, council role
DEMO_ACCOUNTS = [
    ("admin@example.org", "Ada Admin", UserRole.ADMINISTRATOR, None, None),
    ("assessor1@example.org", "Asha Assessor", UserRole.ASSESSOR, None, None),
    ("assessor2@example.org", "Ben Assessor", UserRole.ASSESSOR, None, None),
    ("lead@hartlepool.gov.uk", "Lena Lead", UserRole.USER, "E06000001", MembershipRole.LEAD),
    (
        "officer@hartlepool.gov.uk",
        "Omar Officer",
        UserRole.USER,
        "E06000001",
        MembershipRole.MEMBER,
    ),
]

ROLE_CHOICES = {
    "council-user": (UserRole.USER, MembershipRole.MEMBER),
    "council-lead": (UserRole.USER, MembershipRole.LEAD),
    "assessor": (UserRole.ASSESSOR, None),
    "administrator": (UserRole.ADMINISTRATOR, None),
}


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(import_councils)
    app.cli.add_command(send_mail)


def _find_council(gss_code: str) -> Council:
    council = db.session.scalar(sa.select(Council).where(Council.gss_code == gss_code))
    if council is None:
        raise click.ClickException(f"No council has the GSS code {gss_code}")
    return council


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the councils, the demo edition and the demo accounts (safe to run again)."""
    result = councils.import_file(councils.ENGLAND_AND_WALES)
    click.echo(
        f"Councils: {len(result.added)} added, {len(result.updated)} updated, "
        f"{result.unchanged} unchanged"
    )
    data = editions.read_file(editions.DEMO_EDITION)
    if editions.find(str(data["edition"]["code"])) is None:
        edition = editions.load(editions.DEMO_EDITION, publish=True)
        click.echo(f"Edition {edition.code} loaded and published: {len(edition.criteria)} criteria")
    else:
        click.echo("Edition already loaded")
    for email, name, role, gss_code, council_role in DEMO_ACCOUNTS:
        if people.find_user(email) is not None:
            continue
        user = people.create_user(email, name, DEMO_PASSWORD, role=role, confirmed=True)
        if gss_code is not None and council_role is not None:
            people.add_to_council(user, _find_council(gss_code), council_role, actor=None)
    db.session.commit()
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for email, _, role, gss_code, council_role in DEMO_ACCOUNTS:
        where = f", {council_role} of {gss_code}" if gss_code else ""
        click.echo(f"  {email:28} {role}{where}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="The person's full name")
@click.option("--role", type=click.Choice(sorted(ROLE_CHOICES)), required=True)
@click.option("--council", "gss_code", help="GSS code of the council (council roles)")
@click.password_option(help="Asked for if not given")
def create_user(email: str, full_name: str, role: str, gss_code: str | None, password: str) -> None:
    """Create a confirmed account, for staff and for setting up councils."""
    user_role, council_role = ROLE_CHOICES[role]
    if council_role is not None and not gss_code:
        raise click.UsageError(f"--council is needed for the role {role}")
    if people.find_user(email) is not None:
        raise click.ClickException(f"An account already exists for {email}")
    if len(password) < 10:
        raise click.ClickException("The password must be at least 10 characters")
    user = people.create_user(email, full_name, password, role=user_role, confirmed=True)
    if council_role is not None and gss_code:
        people.add_to_council(user, _find_council(gss_code), council_role, actor=None)
    db.session.commit()
    click.echo(f"Created {user.email} ({role})")


@click.command("import-councils")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_councils(path: Path) -> None:
    """Add or update councils from a CSV with the columns of the ONS file."""
    try:
        result = councils.import_file(path)
    except councils.CouncilFileError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException("Nothing was imported") from error
    db.session.commit()
    click.echo(
        f"{len(result.added)} added, {len(result.updated)} updated, {result.unchanged} unchanged"
    )


@click.command("send-mail")
def send_mail() -> None:
    """Send the queued emails that are due (run it every minute)."""
    from marks import mail

    sent, failed = mail.send_queued()
    click.echo(f"{sent} sent, {failed} failed")
