"""The demo data that `flask seed-demo` loads: councils, the demo edition, the demo accounts,
and applications in the states a newcomer should be able to look at. Safe to run again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import weasyprint
from flask import current_app

from marks import permissions, workflow
from marks.applying import applications, evidence
from marks.assessing import assessment, decisions
from marks.awarding import awards
from marks.extensions import db
from marks.models import Application, Award, Council, EvidenceFile, PracticeExample, User, utcnow
from marks.people import council_imports, councils, two_factor, users
from marks.practice import examples
from marks.scheme import editions, issuer
from marks.states import MembershipRole, Recommendation, UserRole

PASSWORD = "demo-password"  # noqa: S105 (printed for everyone to use: it is a demo)
# The demo staff's two-factor key (base32), printed in the README so that a phone or a script
# can make their codes: `python -c "import pyotp; print(pyotp.TOTP('<key>').now())"`. Kept in
# marks/people/two_factor.py, which refuses it outside development; seed-demo enrols nobody with it
# there (the staff set up a key of their own when they first sign in).
TWO_FACTOR_KEY = two_factor.DEMO_KEY

LEAD, MEMBER = MembershipRole.LEAD, MembershipRole.MEMBER

# email, full name, staff role, council GSS code, council role
ACCOUNTS = [
    ("admin@example.org", "Ada Admin", UserRole.ADMINISTRATOR, None, None),
    ("assessor1@example.org", "Asha Assessor", UserRole.ASSESSOR, None, None),
    ("assessor2@example.org", "Ben Assessor", UserRole.ASSESSOR, None, None),
    ("lead@hartlepool.gov.uk", "Lena Lead", UserRole.USER, "E06000001", LEAD),
    (
        "officer@hartlepool.gov.uk",
        "Omar Officer",
        UserRole.USER,
        "E06000001",
        MEMBER,
    ),
    # Councils with applications under way (Hartlepool has none: it is the one to try).
    ("lead@darlington.gov.uk", "Dee Darlington", UserRole.USER, "E06000005", LEAD),
    ("lead@stockton.gov.uk", "Sam Stockton", UserRole.USER, "E06000004", LEAD),
    ("lead@redcar-cleveland.gov.uk", "Ria Redcar", UserRole.USER, "E06000003", LEAD),
    ("lead@halton.gov.uk", "Hal Halton", UserRole.USER, "E06000006", LEAD),
    ("lead@warrington.gov.uk", "Wren Warrington", UserRole.USER, "E06000007", LEAD),
    ("lead@blackburn.gov.uk", "Bea Blackburn", UserRole.USER, "E06000008", LEAD),
    ("lead@blackpool.gov.uk", "Pip Blackpool", UserRole.USER, "E06000009", LEAD),
    ("lead@hullcc.gov.uk", "Hana Hull", UserRole.USER, "E06000010", LEAD),
    ("lead@eastriding.gov.uk", "Eli Riding", UserRole.USER, "E06000011", LEAD),
    ("lead@nelincs.gov.uk", "Nia Lincs", UserRole.USER, "E06000012", LEAD),
    ("lead@northlincs.gov.uk", "Noel Lincs", UserRole.USER, "E06000013", LEAD),
]

# GSS code -> the domain of its staff's email addresses, as an administrator records it: the
# demo accounts' councils, and Middlesbrough, which has no members yet: the first person to join
# it from middlesbrough.gov.uk becomes its lead at once; anyone else waits for an administrator.
EMAIL_DOMAINS = {
    **{gss_code: email.partition("@")[2] for email, _, _, gss_code, _ in ACCOUNTS if gss_code},
    "E06000002": "middlesbrough.gov.uk",
}

# GSS code -> the state its demo application is left in
APPLICATIONS = {
    "E06000005": "draft",
    "E06000004": "submitted",  # the one to assign, assess and decide in the demo
    "E06000003": "info_requested",
    "E06000006": "under_review",
    "E06000007": "ready_for_decision",
    "E06000008": "approved",
    "E06000009": "rejected",
    "E06000010": "approved",
    "E06000011": "distinction",  # approved, with the higher level
    "E06000012": "expired",  # approved long ago: the award has expired
    "E06000013": "revoked",
}
AWARDED = ("approved", "distinction", "expired", "revoked")


def council(gss_code: str) -> Council:
    found = db.session.scalar(sa.select(Council).where(Council.gss_code == gss_code))
    if found is None:
        raise LookupError(f"No council has the GSS code {gss_code}")
    return found


# The scheme's issuer, fictional (administrators change it at /admin/settings); its pictures are
# the SVG files beside this one.
DEMO_ISSUER = {
    "name": "Local Government Digital Association",
    "address": "Example House\n12 Sample Street\nLondon\nEC1A 9ZZ",
    "website": "https://www.lgda.example.org",
    "contact_email": "mark@lgda.example.org",
    "description": (
        "The Social Media Friendly Mark recognises UK councils that use social media well: "
        "that have debunked the myths, use it to engage, and empower their staff."
    ),
    "signatory_name": "Priya Shah",
    "signatory_title": "Chair of the Mark’s panel",
    "hashtag": "#SocialMediaFriendly",
}
HERE = Path(__file__).parent


def _seed_issuer() -> bool:
    """Name the demo's issuer, unless one is named already (an administrator's stays)."""
    if issuer.current().name:
        return False
    pictures = {
        kind: issuer.check_image((HERE / f"demo-{kind}.svg").read_bytes())
        for kind in ("logo", "signature")
    }
    issuer.update(actor=None, **pictures, **DEMO_ISSUER)
    return True


def seed() -> list[str]:
    """Load everything; return what was done, a line each. Commits."""
    development = current_app.config["MARKS_ENV"] == "development"
    report = []
    result = council_imports.import_uk_councils()
    report.append(
        f"Councils: {len(result.added)} added, {len(result.updated)} updated, "
        f"{result.unchanged} unchanged"
    )
    data = editions.read_file(editions.DEMO_EDITION)
    if editions.find(str(data["edition"]["code"])) is None:
        edition = editions.load(editions.DEMO_EDITION, publish=True)
        report.append(
            f"Edition {edition.code} loaded and published: {len(edition.criteria)} criteria"
        )
    else:
        report.append("Edition already loaded")
    for email, name, role, gss_code, council_role in ACCOUNTS:
        if users.find_user(email) is not None:
            continue
        user = users.create_user(email, name, PASSWORD, role=role, confirmed=True)
        if gss_code is not None and council_role is not None:
            users.add_to_council(user, council(gss_code), council_role, actor=None)
        if permissions.must_use_two_factor(user) and development:
            two_factor.enrol(user, TWO_FACTOR_KEY, actor=None)
    recorded = [
        gss_code
        for gss_code, domain in EMAIL_DOMAINS.items()
        if councils.record_email_domains(council(gss_code), [domain], actor=None)
    ]
    if recorded:
        report.append(f"Email domains recorded for {len(recorded)} councils")
    db.session.flush()
    if _seed_issuer():
        report.append(f"The scheme’s issuer: {DEMO_ISSUER['name']}")
    for gss_code, state in APPLICATIONS.items():
        if _seed_application(council(gss_code), state):
            report.append(f"Application for {council(gss_code).name}: {state}")
    if shared := _seed_practice():
        report.append(f"The library of good practice: {shared}")
    db.session.commit()
    report.append(f"Demo accounts (password: {PASSWORD}):")
    for email, _, role, gss_code, council_role in ACCOUNTS:
        where = f", {council_role} of {council(gss_code).name}" if gss_code else ""
        report.append(f"  {email:30} {role}{where}")
    if development:
        report.append(
            f"Staff sign in with a code too: their two-factor key is {TWO_FACTOR_KEY} "
            "(see the README)"
        )
    else:
        report.append(
            "Staff set up two-factor sign-in when they first sign in: the demo key works only "
            "in development"
        )
    return report


def _seed_application(place: Council, state: str) -> bool:
    """Give the council an application in `state`, unless it has one already."""
    exists = db.session.scalar(sa.select(Application.id).where(Application.council_id == place.id))
    if exists is not None:
        return False
    lead = db.session.scalar(
        sa.select(User).where(User.email.in_([a[0] for a in ACCOUNTS if a[3] == place.gss_code]))
    )
    admin = users.find_user("admin@example.org")
    application = applications.start(place, actor=lead)
    answers = applications.ordered_answers(application)
    # A draft is half done; the others are complete.
    to_answer = answers[: len(answers) // 2] if state == "draft" else answers
    called = place.short_name or place.name  # "Stockton-on-Tees", in its web addresses
    slug = called.lower().replace(" ", "-")
    applications.save_about(
        application,
        actor=lead,
        contact_name=lead.full_name,
        contact_email=lead.email,
        contact_phone="01642 000000",
        website=f"https://www.{slug}.gov.uk",
        social_accounts=f"https://x.com/{slug}council\nhttps://www.facebook.com/{slug}council",
    )
    for i, answer in enumerate(to_answer):
        criterion = answer.criterion
        applications.save_answer(
            answer,
            version=answer.version,
            actor=lead,
            self_score=2 + i % 3,
            narrative=(
                f"{called} Council: {criterion.title.lower()}. "
                f"We have done this since 2023, and we review it every year with staff and "
                f"councillors. Our evidence shows how it works in practice."
            ),
            links=[f"https://www.{slug}.gov.uk/social-media/{criterion.code.lower()}"],
        )
    if state == "draft":
        return True
    applications.submit(application, actor=lead, declaration_name=lead.full_name)
    if state in ("under_review", "ready_for_decision", "rejected", *AWARDED):
        _assess(application, admin, state)
    if state == "info_requested":
        workflow.transition(application, "start_review", actor=admin)
        reopen = [answers[1].criterion, answers[5].criterion]
        applications.request_information(
            application,
            reopen,
            "Please send a screenshot of your firewall settings showing that social media "
            "sites are open to staff, and your published response times.",
            actor=admin,
        )
    return True


# GSS code -> (criterion code, what becomes of the example, the council's note, contact, a
# file picked): the library of good practice's demo examples.
PRACTICE = (
    (
        "E06000008",
        "MD1",
        "published",
        "We would involve the trade unions earlier next time: their support made staff trust "
        "the policy.\n\nOur guide for managers is at "
        "https://www.blackburn.gov.uk/social-media/guide",
        "Digital communications team, digital@blackburn.gov.uk",
        "Our social media policy on a page.pdf",
    ),
    ("E06000008", "EN3", "published", None, None, None),
    ("E06000010", "EN1", "published", "Start with one willing councillor.", None, None),
    ("E06000011", "SE1", "published", None, "comms@eastriding.gov.uk", None),
    ("E06000011", "EN4", "published", None, None, None),
    ("E06000010", "SE2", "offered", "Our training plan for 2026.", None, None),
    ("E06000011", "MD2", "withdrawn", None, None, None),
)


def _policy_pdf() -> evidence.CheckedFile:
    """A one-page PDF, made here (no file to ship): the evidence file the demo picks."""
    html = (
        "<h1>Our social media policy on a page</h1><p>Staff may use social media in their "
        "role. Ask the digital team for help. Be yourself, be kind, be quick.</p>"
    )
    return evidence.check("policy.pdf", weasyprint.HTML(string=html).write_pdf())


def _seed_practice() -> str | None:
    """Offer the demo's examples as each council's lead would, and publish, leave waiting or
    withdraw them, unless the library has any examples already."""
    if db.session.scalar(sa.select(PracticeExample.id).limit(1)) is not None:
        return None
    admin = users.find_user("admin@example.org")
    states: list[str] = []
    for gss_code, code, state, note, contact, filename in PRACTICE:
        place = council(gss_code)
        award = db.session.scalar(sa.select(Award).where(Award.council_id == place.id))
        answer = applications.answer_for(award.application, code)
        lead = award.application.started_by
        files = []
        if filename:
            made = _policy_pdf()
            files = [
                EvidenceFile(
                    answer_id=answer.id,
                    filename=filename,
                    content_type=made.content_type,
                    size_bytes=made.size_bytes,
                    sha256=made.sha256,
                    content=made.content,
                    uploaded_by_id=lead.id,
                )
            ]
            db.session.add_all(files)
            db.session.flush()
        (example,) = examples.offer(
            award, [answer], actor=lead, note=note, contact=contact, files=files
        )
        if state in ("published", "withdrawn"):
            workflow.transition(example, "publish", actor=admin)
        if state == "withdrawn":
            workflow.transition(example, "withdraw", actor=lead)
        states.append(state)
    return ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))


def _assess(application: Application, admin: User, state: str) -> None:
    """Both demo assessors score it (only the first submits while it is under review), then
    the administrator decides if the state asks for it."""
    scores = {"rejected": (1, 2), "distinction": (4, 4)}.get(state, (3, 3))
    for i, email in enumerate(("assessor1@example.org", "assessor2@example.org")):
        assessor = users.find_user(email)
        assignment = assessment.assign(application, assessor, actor=admin)
        mine = assignment.assessment
        assessment.save(
            mine,
            version=mine.version,
            actor=assessor,
            scores={
                c.code: assessment.CriterionScore(
                    scores[i],
                    f"{c.title}: clear evidence of what the council does; "
                    "the next step is to show its impact.",
                    "Checked the links.",
                )
                for c in application.edition.criteria
            },
            recommendation=Recommendation.DO_NOT_AWARD
            if state == "rejected"
            else Recommendation.AWARD,
            summary="A solid application.",
        )
        if state != "under_review" or i == 0:
            assessment.submit(mine, actor=assessor)
    if state in AWARDED:
        found = decisions.moderation(application)
        award = decisions.approve(application, actor=admin, level=found.computed_level)
        if state == "expired":
            award.awarded_on = utcnow().date() - timedelta(days=800)
            award.expires_on = awards.add_months(award.awarded_on, 24)
        elif state == "revoked":
            awards.revoke(
                award,
                "The council blocked social media for all staff in March, against the criteria "
                "it was awarded for.",
                actor=admin,
            )
    elif state == "rejected":
        decisions.reject(
            application,
            actor=admin,
            reasons="The policy still restricts staff, and there is no evidence of training.",
        )
