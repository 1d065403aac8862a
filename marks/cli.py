"""Command-line tasks: `flask seed-demo`, `create-user`, `import-councils`, `send-mail`."""

from __future__ import annotations

import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from marks import councils, demo, people
from marks.extensions import db
from marks.models import Council
from marks.states import MembershipRole, UserRole

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
    app.cli.add_command(send_reminders)
    app.cli.add_command(seed_scale)


def _find_council(gss_code: str) -> Council:
    council = db.session.scalar(sa.select(Council).where(Council.gss_code == gss_code))
    if council is None:
        raise click.ClickException(f"No council has the GSS code {gss_code}")
    return council


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the councils, the demo edition, the demo accounts and demo applications (safe to
    run again)."""
    for line in demo.seed():
        click.echo(line)


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
@click.option("--loop", is_flag=True, help="Keep sending, every --interval seconds")
@click.option("--interval", default=30, show_default=True, help="Seconds between runs")
def send_mail(loop: bool, interval: int) -> None:
    """Send the queued emails that are due: once (from cron), or as a loop (a worker)."""
    from marks import mail

    while True:
        sent, failed = mail.send_queued()
        click.echo(f"{sent} sent, {failed} failed")
        if not loop:
            return
        time.sleep(interval)


@click.command("send-reminders")
def send_reminders() -> None:
    """Email councils whose Mark expires in 90 or 30 days, or today (run it daily; running it
    again sends nothing twice)."""
    from marks import reminders

    count = reminders.send()
    db.session.commit()
    click.echo(f"{count} reminders queued")


@click.command("seed-scale")
@click.option("--councils", "total", default=20000, show_default=True, help="Councils in all")
def seed_scale(total: int) -> None:
    """Add councils with award histories until there are this many (for benchmarks)."""
    from marks import scale

    existing = db.session.scalar(sa.select(sa.func.count(Council.id)))
    with click.progressbar(length=max(0, total - existing), label="Councils") as bar:
        added = scale.seed(total, progress=bar.update)
    click.echo(f"{added} councils added, with their awards")
