"""Councils: finding them (and how their names are searched), what points at them, adding,
editing and merging them. Importing them from a CSV is in council_imports."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from marks import audit
from marks.applying import memberships
from marks.extensions import db
from marks.models import (
    Application,
    Award,
    Council,
    CouncilEmailDomain,
    Invitation,
    Membership,
    User,
    utcnow,
)
from marks.states import OPEN_APPLICATION_STATES, CouncilKind, MembershipState, Nation

CURRENT_MEMBERSHIP = (MembershipState.REQUESTED, MembershipState.ACTIVE)

MAX_EMAIL_DOMAINS = 20
# Domains where anyone, or anyone in the public sector, can have an address: recorded for a
# council, they would let anyone become its lead.
OPEN_EMAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "btinternet.com",
        "gmail.com",
        "gmx.com",
        "googlemail.com",
        "hotmail.co.uk",
        "hotmail.com",
        "icloud.com",
        "live.co.uk",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "sky.com",
        "talktalk.net",
        "virginmedia.com",
        "yahoo.co.uk",
        "yahoo.com",
        "ac.uk",
        "co.uk",
        "gov.scot",
        "gov.uk",
        "gov.wales",
        "llyw.cymru",
        "nhs.net",
        "nhs.uk",
        "org.uk",
        "police.uk",
        "sch.uk",
    }
)


class CouncilRefused(Exception):
    """A change to the councils that cannot be made, with a message to show and the form field
    it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def search_name(name: str) -> str:
    """Lower case with accents folded, so "Ynys Môn" is found by "ynys mon"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


SEARCH_NAME_LENGTH = 200  # Council.search_name's


def search_names(name: str, short_name: str | None = None, ons_name: str | None = None) -> str:
    """Every name a council goes by, folded (search_name), each once, the one the register sorts
    by first (the short name, else the name): "kingston upon hull / hull city council /
    kingston upon hull, city of". Longer than the column holds, each word once instead."""
    names = [n.strip() for n in (short_name, name, ons_name) if n and n.strip()]
    folded = list(dict.fromkeys(search_name(n) for n in names))
    joined = " / ".join(folded)
    if len(joined) <= SEARCH_NAME_LENGTH:
        return joined
    return " ".join(dict.fromkeys(" ".join(folded).split()))[:SEARCH_NAME_LENGTH]


def is_gss_code(code: str) -> bool:
    """A GSS code is a letter and 8 digits, like E06000001."""
    return len(code) == 9 and code[0].isascii() and code[0].isalpha() and code[1:].isdigit()


# --- Email domains ------------------------------------------------------------------------------


def email_domains_typed(text: str | None) -> list[str]:
    """The domains in what an administrator typed (one a line, or separated by commas or
    spaces), in lower case, each once, in the order typed. Unchecked: see email_domain_problem."""
    typed = [d.lower() for d in re.split(r"[\s,;]+", text or "") if d]
    return list(dict.fromkeys(typed))


def email_domain_problem(domain: str) -> str | None:
    """Why a domain cannot be recorded for a council (a message for the administrator), or None.

    A real domain name, in lower-case ASCII (as users' email addresses are stored), with no @,
    and not an email service anyone can use."""
    if "@" in domain:
        return f"Enter “{domain}” without the @ and the name before it, like hartlepool.gov.uk"
    try:
        found = validate_email(f"postmaster@{domain}", check_deliverability=False)
    except EmailNotValidError:
        found = None
    if found is None or found.ascii_domain != domain:
        return (
            f"Enter email domains in the correct format, like hartlepool.gov.uk: “{domain}” "
            "is not one"
        )
    if domain in OPEN_EMAIL_DOMAINS:
        return (
            f"Anyone can have an email address at {domain}: enter only domains of the "
            "council's own staff"
        )
    return None


def _checked_email_domains(domains: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(d.strip().lower() for d in domains))
    for domain in wanted:
        problem = email_domain_problem(domain)
        if problem:
            raise CouncilRefused(problem, "email_domains")
    if len(wanted) > MAX_EMAIL_DOMAINS:
        raise CouncilRefused(f"Enter {MAX_EMAIL_DOMAINS} email domains or fewer", "email_domains")
    return wanted


def _set_email_domains(council: Council, domains: list[str]) -> None:
    kept = {d.domain: d for d in council.email_domains}
    council.email_domains = [kept.get(d) or CouncilEmailDomain(domain=d) for d in domains]


def record_email_domains(
    council: Council, domains: Iterable[str], *, actor: User | None
) -> list[str]:
    """Add email domains to those recorded for the council (seeding the demo); returns the
    ones that were not recorded yet. Flushes."""
    old = email_domain_names(council)
    added = [d for d in _checked_email_domains(domains) if d not in old]
    if not added:
        return added
    _set_email_domains(council, [*old, *added])
    db.session.flush()
    audit.record(
        "council.edited",
        council,
        actor=actor,
        council_id=council.id,
        changes={"email_domains": [", ".join(old) or None, ", ".join(sorted([*old, *added]))]},
    )
    return added


def email_domain_names(council: Council) -> list[str]:
    return sorted(d.domain for d in council.email_domains)


def sharing_email_domains(council: Council) -> dict[str, list[Council]]:
    """The other councils that have recorded each of this council's email domains (shared
    services give the staff of two councils one address), by domain."""
    rows = db.session.execute(
        sa.select(CouncilEmailDomain.domain, Council)
        .join(Council, Council.id == CouncilEmailDomain.council_id)
        .where(
            CouncilEmailDomain.domain.in_(email_domain_names(council)),
            CouncilEmailDomain.council_id != council.id,
        )
        .order_by(Council.name)
    ).all()
    shared: dict[str, list[Council]] = {}
    for domain, other in rows:
        shared.setdefault(domain, []).append(other)
    return shared


# --- Finding councils ---------------------------------------------------------------------------


def find(gss_code: str) -> Council | None:
    return db.session.scalar(sa.select(Council).where(Council.gss_code == gss_code))


def matching(
    query: str = "", *, nation: Nation | None = None, kind: CouncilKind | None = None
) -> sa.Select[tuple[Council]]:
    """Councils whose GSS code starts with the query or whose names hold every word of it,
    accents and case aside, by short name; merged ones too (the list says what they were
    merged into)."""
    statement = sa.select(Council)
    found = name_or_code(query)
    if found is not None:
        statement = statement.where(found)
    if nation is not None:
        statement = statement.where(Council.nation == nation)
    if kind is not None:
        statement = statement.where(Council.kind == kind)
    return statement.order_by(Council.search_name, Council.gss_code)


def name_or_code(query: str) -> sa.ColumnElement[bool] | None:
    """The condition that a council's GSS code starts with the query or its names (official,
    short, ONS: search_names) hold every word of it, accents and case aside; None for an empty
    query (every council)."""
    words = search_name(query).split()
    if not words:
        return None
    by_name = sa.and_(*(Council.search_name.contains(w, autoescape=True) for w in words))
    by_code = Council.gss_code.startswith(query.strip().upper(), autoescape=True)
    return sa.or_(by_name, by_code)


def by_id(ids: Iterable[int | None]) -> dict[int, Council]:
    """Councils by id, in one query: for the parents or merged-into councils of a page."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(Council).where(Council.id.in_(wanted)))}


@dataclass(frozen=True)
class Counts:
    """What points at a council: what a merge would move, and what its page shows."""

    members: int
    requests: int
    past_memberships: int
    applications: int
    open_application: Application | None
    awards: int
    invitations: int
    children: int
    merged_from: list[Council]


def counts(council: Council) -> Counts:
    def count(column: sa.ColumnElement, *where: sa.ColumnElement) -> int:
        return db.session.scalar(sa.select(sa.func.count()).where(column == council.id, *where))

    return Counts(
        members=count(Membership.council_id, Membership.state == MembershipState.ACTIVE),
        requests=count(Membership.council_id, Membership.state == MembershipState.REQUESTED),
        past_memberships=count(Membership.council_id, Membership.state.not_in(CURRENT_MEMBERSHIP)),
        applications=count(Application.council_id),
        open_application=open_application(council),
        awards=count(Award.council_id),
        invitations=count(Invitation.council_id),
        children=count(Council.parent_id),
        merged_from=list(
            db.session.scalars(
                sa.select(Council)
                .where(Council.merged_into_id == council.id)
                .order_by(Council.name)
            )
        ),
    )


def open_application(council: Council) -> Application | None:
    return db.session.scalar(
        sa.select(Application).where(
            Application.council_id == council.id,
            Application.state.in_(OPEN_APPLICATION_STATES),
        )
    )


# --- Adding and editing -------------------------------------------------------------------------


def _parent(code: str | None, council: Council | None = None) -> Council | None:
    """The parent council named by its GSS code, refusing one that is unknown, merged, or that
    would make a loop."""
    if not code:
        return None
    parent = find(code)
    if parent is None:
        raise CouncilRefused(f"There is no council with the GSS code {code}", "parent_gss_code")
    if parent.merged_into_id is not None:
        raise CouncilRefused(
            f"{parent.name} has been merged into another council: give that one's GSS code",
            "parent_gss_code",
        )
    ancestor: Council | None = parent
    while council is not None and ancestor is not None:
        if ancestor.id == council.id:
            raise CouncilRefused(
                "A council cannot be its own parent, or the parent of its parent",
                "parent_gss_code",
            )
        ancestor = ancestor.parent
    return parent


def add(
    gss_code: str,
    name: str,
    kind: CouncilKind,
    nation: Nation,
    website: str | None,
    actor: User,
    *,
    short_name: str | None = None,
    parent_gss_code: str | None = None,
    email_domains: Iterable[str] = (),
) -> Council:
    """Add a council (Scottish, Northern Irish, a town or parish council...), with the email
    domains of its staff if known. Flushes."""
    gss_code = gss_code.strip().upper()
    if not is_gss_code(gss_code):
        raise CouncilRefused(
            "Enter a GSS code in the correct format: a letter and 8 digits, like S12000033",
            "gss_code",
        )
    taken = find(gss_code)
    if taken is not None:
        raise CouncilRefused(
            f"The GSS code {gss_code} is already used by {taken.name}: "
            "check the code, or edit that council",
            "gss_code",
        )
    short_name = (short_name or "").strip() or None
    council = Council(
        gss_code=gss_code,
        name=name.strip(),
        short_name=short_name,
        search_name=search_names(name, short_name),
        kind=kind,
        nation=nation,
        website=website or None,
    )
    parent = _parent(parent_gss_code)
    council.parent_id = parent.id if parent else None
    _set_email_domains(council, _checked_email_domains(email_domains))
    db.session.add(council)
    db.session.flush()
    audit.record(
        "council.added",
        council,
        actor=actor,
        council_id=council.id,
        gss_code=council.gss_code,
        name=council.name,
        short_name=council.short_name,
        kind=str(kind),
        nation=str(nation),
        parent=parent.gss_code if parent else None,
        website=council.website,
        email_domains=email_domain_names(council),
    )
    return council


def edit(
    council: Council,
    *,
    name: str,
    kind: CouncilKind,
    nation: Nation,
    website: str | None,
    parent_gss_code: str | None,
    short_name: str | None = None,
    email_domains: Iterable[str] = (),
    actor: User,
) -> dict[str, list[str | None]]:
    """Change a council's details (never its GSS code: public addresses use it, nor its ONS
    name: the ONS gives it) and the email domains of its staff. Returns what changed, field by
    field, [old, new]; flushes."""
    parent = _parent(parent_gss_code, council)
    domains = _checked_email_domains(email_domains)
    old_parent = db.session.get(Council, council.parent_id) if council.parent_id else None
    wanted = {
        "name": name.strip(),
        "short_name": (short_name or "").strip() or None,
        "kind": kind,
        "nation": nation,
        "website": website or None,
    }
    changes: dict[str, list[str | None]] = {}
    for key, value in wanted.items():
        old = getattr(council, key)
        if old != value:
            changes[key] = [as_text(old), as_text(value)]
            setattr(council, key, value)
    if (parent.id if parent else None) != council.parent_id:
        changes["parent"] = [
            old_parent.gss_code if old_parent else None,
            parent.gss_code if parent else None,
        ]
        council.parent_id = parent.id if parent else None
    old_domains = email_domain_names(council)
    if sorted(domains) != old_domains:
        changes["email_domains"] = [
            ", ".join(old_domains) or None,
            ", ".join(sorted(domains)) or None,
        ]
        _set_email_domains(council, domains)
    council.search_name = search_names(council.name, council.short_name, council.ons_name)
    if not changes:
        return changes
    db.session.flush()
    if {"name", "short_name", "kind", "nation"} & changes.keys():
        touch_awards([council.id])
    audit.record("council.edited", council, actor=actor, council_id=council.id, changes=changes)
    return changes


def as_text(value: object) -> str | None:
    """A value as the audit log and the import's preview show it (None stays None)."""
    return None if value is None else str(value)


def touch_awards(council_ids: list[int]) -> None:
    """The register shows councils' names, kinds and nations, and its caches follow the awards'
    updated_at: mark the awards of changed councils as changed too."""
    if council_ids:
        db.session.execute(
            sa.update(Award).where(Award.council_id.in_(council_ids)).values(updated_at=utcnow())
        )


# --- Merging duplicates ---------------------------------------------------------------------------


def why_not_merge(duplicate: Council, into: Council) -> str | None:
    """Why the duplicate cannot be merged into the other council, or None if it can."""
    if duplicate.id == into.id:
        return "A council cannot be merged into itself: give the GSS code of the one to keep"
    if duplicate.merged_into_id is not None:
        return f"{duplicate.name} has already been merged into another council"
    if into.merged_into_id is not None:
        return f"{into.name} has been merged into another council: merge into that one instead"
    if open_application(duplicate) is not None and open_application(into) is not None:
        return (
            f"Both councils have an application in progress: withdraw or decide one of them "
            f"before merging {duplicate.name} into {into.name}"
        )
    return None


def merge_target(duplicate: Council, gss_code: str) -> Council:
    """The council to merge the duplicate into, by its GSS code; CouncilRefused if there is no
    such council or the merge cannot be made."""
    into = find(gss_code.strip().upper())
    if into is None:
        raise CouncilRefused(f"There is no council with the GSS code {gss_code}", "into")
    problem = why_not_merge(duplicate, into)
    if problem:
        raise CouncilRefused(problem, "into")
    return into


def merge(duplicate: Council, into: Council, actor: User) -> Counts:
    """Move everything that points at the duplicate to the council kept, and mark the duplicate
    as merged into it, in the caller's transaction. Returns what was moved."""
    # Lock both councils (PostgreSQL) so nothing is added to either while they merge.
    db.session.execute(
        sa.select(Council.id).where(Council.id.in_([duplicate.id, into.id])).with_for_update()
    )
    problem = why_not_merge(duplicate, into)
    if problem:
        raise CouncilRefused(problem, "into")
    moved = counts(duplicate)

    # A person in both councils keeps their place in the one kept.
    kept_users = set(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.council_id == into.id, Membership.state.in_(CURRENT_MEMBERSHIP)
            )
        )
    )
    for membership in db.session.scalars(
        sa.select(Membership).where(Membership.council_id == duplicate.id)
    ):
        if membership.state in CURRENT_MEMBERSHIP and membership.user_id in kept_users:
            memberships.end_for_merge(membership, actor=actor)
        membership.council_id = into.id

    for application in db.session.scalars(
        sa.select(Application).where(Application.council_id == duplicate.id)
    ):
        application.council_id = into.id

    _move_awards(duplicate, into)

    for invitation in db.session.scalars(
        sa.select(Invitation).where(Invitation.council_id == duplicate.id)
    ):
        invitation.council_id = into.id

    # Its staff's email domains are the kept council's staff's too.
    moved_domains = email_domain_names(duplicate)
    _set_email_domains(into, list(dict.fromkeys([*email_domain_names(into), *moved_domains])))
    duplicate.email_domains = []

    for child in db.session.scalars(
        sa.select(Council).where(Council.parent_id == duplicate.id, Council.id != into.id)
    ):
        child.parent_id = into.id
    if into.parent_id == duplicate.id:
        into.parent_id = duplicate.parent_id if duplicate.parent_id != into.id else None
    # No chains: councils merged into the duplicate now point at the council kept.
    for earlier in moved.merged_from:
        earlier.merged_into_id = into.id
    duplicate.merged_into_id = into.id
    db.session.flush()
    audit.record(
        "council.merged",
        duplicate,
        actor=actor,
        council_id=into.id,
        duplicate=duplicate.gss_code,
        into=into.gss_code,
        memberships=moved.members + moved.requests + moved.past_memberships,
        applications=moved.applications,
        awards=moved.awards,
        invitations=moved.invitations,
        children=moved.children,
        email_domains=moved_domains,
    )
    return moved


def _move_awards(duplicate: Council, into: Council) -> None:
    """Move the awards; the council kept shows the most recent of either on the register."""
    both = (duplicate.id, into.id)
    awards = list(db.session.scalars(sa.select(Award).where(Award.council_id.in_(both))))
    if not awards:
        return
    for award in awards:
        award.is_latest = False
    db.session.flush()  # one latest award per council: clear both before choosing again
    for award in awards:
        award.council_id = into.id
    max(awards, key=lambda a: (a.awarded_on, a.id)).is_latest = True
    db.session.flush()
