"""Command-line tasks: `flask seed-demo`, `create-user`, `reset-two-factor`, `import-councils`,
`send-mail`, `send-reminders`, `apply-retention`, `regenerate-certificates`,
`check-rolling-upgrade`."""

from __future__ import annotations

import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from marks import create_app, permissions
from marks.config import ConfigurationError
from marks.extensions import db
from marks.models import Council
from marks.operations import rolling_upgrades
from marks.people import council_imports, two_factor, users
from marks.seed import demo
from marks.states import MembershipRole, UserRole

ROLE_CHOICES = {
    "council-user": (UserRole.USER, MembershipRole.MEMBER),
    "council-lead": (UserRole.USER, MembershipRole.LEAD),
    "assessor": (UserRole.ASSESSOR, None),
    "administrator": (UserRole.ADMINISTRATOR, None),
}


def create_app_for_commands() -> Flask:
    """The app for `flask` commands run by hand (docs/deploy/marks-flask): settings it refuses
    are printed as plain lines, every one, rather than a traceback per setting."""
    try:
        return create_app()
    except ConfigurationError as refused:
        lines = "\n".join(f"- {problem}" for problem in refused.problems)
        raise click.ClickException(f"the app refuses these settings:\n{lines}") from None


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(reset_two_factor)
    app.cli.add_command(import_councils)
    app.cli.add_command(send_mail)
    app.cli.add_command(send_reminders)
    app.cli.add_command(apply_retention)
    app.cli.add_command(seed_scale)
    app.cli.add_command(regenerate_certificates)
    app.cli.add_command(check_rolling_upgrade)


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
    if users.find_user(email) is not None:
        raise click.ClickException(f"An account already exists for {email}")
    if len(password) < 10:
        raise click.ClickException("The password must be at least 10 characters")
    user = users.create_user(email, full_name, password, role=user_role, confirmed=True)
    if council_role is not None and gss_code:
        users.add_to_council(user, _find_council(gss_code), council_role, actor=None)
    db.session.commit()
    click.echo(f"Created {user.email} ({role})")
    if permissions.must_use_two_factor(user):
        click.echo(
            "They will set up two-factor sign-in, with an authenticator app, when they first "
            "sign in."
        )


@click.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Reset someone's two-factor sign-in when no other administrator can (the only
    administrator lost their device): recorded in the audit log as done from the server."""
    user = users.find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}")
    try:
        two_factor.reset(user, actor=None)
    except two_factor.TwoFactorRefused as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Reset two-factor sign-in for {user.email}: they set it up again when they next sign in"
    )


@click.command("import-councils")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def import_councils(path: Path | None) -> None:
    """Add or update councils from a CSV with the columns of the ONS file; with no file, every
    UK council, from the files the app carries (marks/data)."""
    try:
        if path is None:
            rows = council_imports.uk_council_rows()
        else:
            with path.open(newline="", encoding="utf-8-sig") as stream:
                rows = council_imports.read_csv(stream)
        result = _import_with_progress(rows)
    except council_imports.CouncilFileError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException("Nothing was imported") from error
    db.session.commit()
    click.echo(
        f"{len(result.added)} added, {len(result.updated)} updated, {result.unchanged} unchanged"
    )


def _import_with_progress(rows: list[dict[str, str]]) -> council_imports.ImportResult:
    """council_imports.import_rows in chunks, with a progress bar, in the caller's transaction.

    The whole file is checked first (council_imports.preview writes nothing), so every problem is
    listed at once. Parents go before their children (the ONS file lists districts before
    their counties), so each chunk's parents are already held. Each chunk reads every
    council: at most 20 chunks keeps a big file from being read hundreds of times.
    """
    council_imports.preview(rows)
    ordered = _parents_first(rows)
    size = max(100, -(-len(rows) // 20))
    total = council_imports.ImportResult()
    with click.progressbar(length=len(rows), label="Councils") as bar:
        for start in range(0, len(ordered), size):
            chunk = ordered[start : start + size]
            part = council_imports.import_rows(chunk)
            total.added += part.added
            total.updated += part.updated
            total.unchanged += part.unchanged
            bar.update(len(chunk))
    return total


def _parents_first(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows, each after its parent (if the parent is in the file), otherwise in order."""
    by_code = {row["gss_code"]: row for row in rows}

    def depth(row: dict[str, str], seen: frozenset[str] = frozenset()) -> int:
        parent = by_code.get(row["parent_gss_code"])
        if parent is None or row["gss_code"] in seen:
            return 0
        return 1 + depth(parent, seen | {row["gss_code"]})

    return sorted(rows, key=depth)


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep sending, every --interval seconds")
@click.option("--interval", default=30, show_default=True, help="Seconds between runs")
def send_mail(loop: bool, interval: int) -> None:
    """Send the queued emails that are due: once (from cron), or as a loop (a worker)."""
    from marks import mail
    from marks.awarding import awards

    while True:
        sent, failed = mail.send_queued()
        if sent or failed or not loop:  # a worker with nothing to do says nothing
            click.echo(f"{sent} sent, {failed} failed")
        # The certificates of awards changed since they were made (a council renamed).
        rendered = awards.store_certificates(awards.certificates_due(CERTIFICATE_BATCH))
        if rendered:
            click.echo(f"{rendered} certificates rendered again")
        if not loop:
            return
        time.sleep(interval)


@click.command("send-reminders")
def send_reminders() -> None:
    """Email councils whose Mark expires in 90 or 30 days, or today (run it daily; running it
    again sends nothing twice)."""
    from marks.awarding import reminders

    count = reminders.send()
    db.session.commit()
    click.echo(f"{count} reminders queued")


@click.command("apply-retention")
@click.option("--dry-run", is_flag=True, help="Say what would be removed, and remove nothing")
def apply_retention(dry_run: bool) -> None:
    """Delete or anonymise the personal data past its retention period (run it daily; running
    it again does nothing twice). Each rule that removes something is audited."""
    from marks.people import retention

    outcomes = retention.run(dry_run=dry_run)
    if not dry_run:  # a dry run only reads: nothing to commit, nor to roll back
        db.session.commit()
    for outcome in outcomes:
        click.echo(f"{outcome.rule.name}: {outcome.said(dry_run)}")
    if dry_run:
        click.echo("Dry run: nothing was changed")


@click.command("seed-scale")
@click.option("--councils", "total", default=20000, show_default=True, help="Councils in all")
def seed_scale(total: int) -> None:
    """Add councils with award histories until there are this many (for benchmarks)."""
    from marks.seed import scale

    existing = db.session.scalar(sa.select(sa.func.count(Council.id)))
    with click.progressbar(length=max(0, total - existing), label="Councils") as bar:
        added = scale.seed(total, progress=bar.update)
    click.echo(f"{added} councils added, with their awards")


CERTIFICATE_BATCH = 50


@click.command("regenerate-certificates")
def regenerate_certificates() -> None:
    """Check the certificate of every award valid today, rendering again each whose printed
    details have changed (a new signatory, the service's address) or that has none yet;
    committing each. Run it after changing what every certificate prints."""
    from marks.awarding import awards

    ids = awards.certificates_to_regenerate()
    rendered = 0
    with click.progressbar(length=len(ids), label="Certificates") as bar:
        for start in range(0, len(ids), CERTIFICATE_BATCH):
            batch = ids[start : start + CERTIFICATE_BATCH]
            rendered += awards.store_certificates(batch)
            bar.update(len(batch))
    click.echo(f"{rendered} certificates rendered, {len(ids) - rendered} unchanged")


@click.command("check-rolling-upgrade")
def check_rolling_upgrade() -> None:
    """Say whether this release's migrations let the app servers be upgraded one at a time
    (docs/deploy.md, section 11): run it with the new code, before `db upgrade`. Exits 1 when
    they do not."""
    waiting = rolling_upgrades.pending()
    if not waiting:
        click.echo("The database is up to date: no migration to run.")
        return
    for migration in waiting:
        said = "only adds" if migration.rolling else f"cannot be rolled: {migration.why_not}"
        click.echo(f"{migration.revision} {migration.title}: {said}")
    if any(not migration.rolling for migration in waiting):
        raise click.ClickException(
            "Not a rolling upgrade: stop marks-web and marks-mail on every app server, "
            "then upgrade as in section 9 of docs/deploy.md."
        )
    click.echo(f"A rolling upgrade is possible: {len(waiting)} migrations, each only adds.")
