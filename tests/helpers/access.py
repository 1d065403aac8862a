"""The access matrix: every route, each kind of person, the status they get; and the world its
URLs are filled in from. Read by the access tests (tests/integration/test_access_matrix.py),
the malformed requests' (test_malformed_requests.py) and the browser's crawl of every page
(tests/browser/test_every_page.py).

The people: anonymous; the lead of the council whose draft application is in the URL; a member
of another council, the one whose award is in the URL; an assessor not assigned to anything; an
assessor assigned to a second council's submitted application; an administrator.
Ids in URLs are real objects.
"""

from __future__ import annotations

import sqlalchemy as sa

from marks import mail, workflow
from marks.applying import applications
from marks.applying.evidence import CheckedFile
from marks.assessing import assessment
from marks.awarding.certificates import Image
from marks.extensions import db
from marks.models import Email
from marks.practice import examples
from marks.scheme import editions, issuer
from marks.states import MembershipRole
from tests.helpers.applications import complete_application
from tests.helpers.issuer import LOGO_SVG
from tests.helpers.practice import evidence

ROLES = (
    "anonymous",
    "council_member",
    "other_council",
    "assessor",
    "assigned_assessor",
    "administrator",
)

OK, REDIRECT, BAD, HIDDEN, NOT_ALLOWED = 200, 302, 400, 404, 405
SIGN_IN_FIRST = {"anonymous": REDIRECT}
COUNCIL_ONLY = {
    "anonymous": REDIRECT,
    "other_council": HIDDEN,
    "assessor": HIDDEN,
    "assigned_assessor": HIDDEN,
    "administrator": HIDDEN,
}
ADMIN_ONLY = {
    "anonymous": REDIRECT,
    "council_member": HIDDEN,
    "other_council": HIDDEN,
    "assessor": HIDDEN,
    "assigned_assessor": HIDDEN,
}
ASSESSORS_ONLY = {**ADMIN_ONLY, "assessor": OK, "assigned_assessor": OK, "administrator": HIDDEN}
ASSIGNED_ONLY = {**ASSESSORS_ONLY, "assessor": HIDDEN}
NO_COUNCIL_YET = {
    "anonymous": REDIRECT,
    "assessor": REDIRECT,
    "assigned_assessor": REDIRECT,
    "administrator": REDIRECT,
}
POST_ONLY = dict.fromkeys(ROLES, NOT_ALLOWED)
# endpoint -> (url, expected status per role; roles not named expect 200)
MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "public.index": ("/", {}),
    "public.information": ("/about-the-data", {}),
    "public.openapi_description": ("/openapi.json", {}),
    "public.api": ("/about-the-data/api", {}),
    "public.accessibility": ("/accessibility", {}),
    "public.criteria": ("/criteria", {}),
    "public.healthz": ("/healthz", {}),
    "public.verify": ("/verify", {}),
    "public.verify_certificate": ("/verify/{number}", {}),
    "public.verify_certificate_json": ("/verify/{number}.json", {}),
    "public.certificate": ("/certificates/{number}.pdf", {}),
    "public.badge": ("/badges/{number}.svg", {}),
    "public.card": ("/badges/{number}/card.png?format=story", {}),
    "public.ob_issuer": ("/ob/issuer.json", {}),
    "public.ob_badge_class": ("/ob/badgeclasses/2026-accredited.json", {}),
    "public.ob_badge_class_image": ("/ob/badgeclasses/2026-accredited.png", {}),
    "public.ob_assertion": ("/ob/assertions/{number}.json", {}),
    "public.ob_credential": ("/ob/credentials/{number}.json", {}),
    "public.ob_status_list": ("/ob/status/1.json", {}),
    "public.did_document": ("/.well-known/did.json", {}),
    "register.council": ("/councils/{gss_code}", {}),
    "register.council_json": ("/councils/{gss_code}.json", {}),
    "register.register": ("/register", {}),
    "register.register_csv": ("/register.csv", {}),
    "register.register_json": ("/register.json", {}),
    "register.register_atom": ("/register.atom", {}),
    "register.open_data": ("/open-data", {}),
    "practice.library": ("/practice", {}),
    "practice.example": ("/practice/{example_id}", {}),
    "practice.feed": ("/practice.atom", {}),
    "practice.evidence_file": ("/practice/{example_id}/files/{practice_file_id}", {}),
    "accounts.sign_up": ("/sign-up", {}),
    "accounts.check_email": ("/sign-up/check-your-email", {}),
    "accounts.confirm_email": ("/confirm-email/not-a-token", dict.fromkeys(ROLES, BAD)),
    "accounts.sign_in": ("/sign-in", {}),
    "accounts.forgotten_password": ("/forgotten-password", {}),
    "accounts.reset_sent": ("/forgotten-password/check-your-email", {}),
    "accounts.reset_password": ("/reset-password/not-a-token", dict.fromkeys(ROLES, BAD)),
    "accounts.account": ("/account", SIGN_IN_FIRST),
    "accounts.change_password": ("/account/change-password", SIGN_IN_FIRST),
    "accounts.stay_signed_in": ("/account/stay-signed-in", POST_ONLY),
    # Only between a right password and the code: anyone else is sent to sign in (again).
    "accounts.sign_in_code": ("/sign-in/code", dict.fromkeys(ROLES, REDIRECT)),
    "accounts.set_up_sign_in_code": ("/sign-in/set-up-code", dict.fromkeys(ROLES, REDIRECT)),
    # Staff have it already (the factories' key): sent back to their account.
    "accounts.set_up_two_factor": (
        "/account/two-factor/set-up",
        {
            **SIGN_IN_FIRST,
            "assessor": REDIRECT,
            "assigned_assessor": REDIRECT,
            "administrator": REDIRECT,
        },
    ),
    "accounts.replace_recovery_codes": ("/account/two-factor/recovery-codes", POST_ONLY),
    "accounts.turn_off_two_factor": ("/account/two-factor/turn-off", POST_ONLY),
    "accounts.accept_staff_invitation": (
        "/account/invitations/not-a-token",
        {**dict.fromkeys(ROLES, BAD), "anonymous": REDIRECT},
    ),
    "council.home": ("/apply/", NO_COUNCIL_YET),
    # The award in {number} is the other council's: its members' kit, nobody else's.
    "council.social_media_kit": (
        "/apply/awards/{number}/kit",
        {**COUNCIL_ONLY, "council_member": HIDDEN, "other_council": OK},
    ),
    "council.join": (
        "/apply/join",
        {"anonymous": REDIRECT, "council_member": REDIRECT, "other_council": REDIRECT},
    ),
    "council.members": ("/apply/members", NO_COUNCIL_YET),
    "council.invite": ("/apply/members/invite", {**NO_COUNCIL_YET, "other_council": HIDDEN}),
    "council.manage_member": ("/apply/members/{membership_id}/remove", POST_ONLY),
    "council.accept_invitation": (
        "/apply/invitations/not-a-token",
        {**dict.fromkeys(ROLES, BAD), "anonymous": REDIRECT},
    ),
    "council.start": ("/apply/start", POST_ONLY),
    "council.task_list": ("/apply/applications/{application_id}", COUNCIL_ONLY),
    "council.about": ("/apply/applications/{application_id}/about", COUNCIL_ONLY),
    "council.criterion": ("/apply/applications/{application_id}/criteria/MD1", COUNCIL_ONLY),
    "council.confirm_unchanged": (
        "/apply/applications/{application_id}/criteria/MD1/unchanged",
        POST_ONLY,
    ),
    "council.check": ("/apply/applications/{application_id}/check", COUNCIL_ONLY),
    "council.submitted": (
        "/apply/applications/{application_id}/submitted",
        {**COUNCIL_ONLY, "council_member": REDIRECT},
    ),
    "council.status": ("/apply/applications/{application_id}/status", COUNCIL_ONLY),
    # A draft has nothing submitted yet: its members are sent to the task list.
    "council.submission": (
        "/apply/applications/{application_id}/submission",
        {**COUNCIL_ONLY, "council_member": REDIRECT},
    ),
    "council.submission_pdf": (
        "/apply/applications/{application_id}/submission.pdf",
        {**COUNCIL_ONLY, "council_member": REDIRECT},
    ),
    "council.withdraw": ("/apply/applications/{application_id}/withdraw", COUNCIL_ONLY),
    "council.resubmit": ("/apply/applications/{application_id}/resubmit", POST_ONLY),
    "council.evidence_file": (
        "/apply/applications/{application_id}/files/{file_id}",
        {**COUNCIL_ONLY, "administrator": OK},
    ),
    # The library of good practice: the matrix's application is a draft, with no award to
    # share answers of, so its members are sent to its status page.
    "council.practice": (
        "/apply/applications/{application_id}/practice",
        {**COUNCIL_ONLY, "council_member": REDIRECT},
    ),
    "council.practice_answer": (
        "/apply/applications/{application_id}/practice/MD1",
        {**COUNCIL_ONLY, "council_member": REDIRECT},
    ),
    "council.practice_withdraw": (
        "/apply/applications/{application_id}/practice/MD1/withdraw",
        POST_ONLY,
    ),
    "assess.dashboard": ("/assess/", ASSESSORS_ONLY),
    "assess.score": ("/assess/{assignment_id}", ASSIGNED_ONLY),
    "assess.conflict": ("/assess/{assignment_id}/conflict", ASSIGNED_ONLY),
    "admin.index": ("/admin/", ADMIN_ONLY),
    "admin.applications": ("/admin/applications", ADMIN_ONLY),
    "admin.auto_assign": ("/admin/applications/auto-assign", POST_ONLY),
    "admin.application": ("/admin/applications/{submitted_id}", ADMIN_ONLY),
    "admin.assign": ("/admin/applications/{submitted_id}/assign", POST_ONLY),
    "admin.decide": ("/admin/applications/{submitted_id}/decision", ADMIN_ONLY),
    "admin.unassign": (
        "/admin/applications/{submitted_id}/assessors/{assignment_id}/unassign",
        ADMIN_ONLY,
    ),
    "admin.edition_scores_csv": ("/admin/editions/{edition_id}/scores.csv", ADMIN_ONLY),
    "admin.awards": ("/admin/awards", ADMIN_ONLY),
    "admin.dashboard": ("/admin/dashboard", ADMIN_ONLY),
    "admin.editions_list": ("/admin/editions", ADMIN_ONLY),
    "admin.import_edition": ("/admin/editions/import", ADMIN_ONLY),
    "admin.edition": ("/admin/editions/{edition_id}", ADMIN_ONLY),
    "admin.clone_edition": ("/admin/editions/{edition_id}/clone", ADMIN_ONLY),
    "admin.preview_edition": ("/admin/editions/{edition_id}/preview", ADMIN_ONLY),
    "admin.export_edition": ("/admin/editions/{edition_id}/export.toml", ADMIN_ONLY),
    "admin.edition_settings": ("/admin/editions/{draft_edition_id}/settings", ADMIN_ONLY),
    "admin.edition_criterion": (
        "/admin/editions/{draft_edition_id}/criteria/{draft_criterion_id}",
        ADMIN_ONLY,
    ),
    "admin.publish_edition": ("/admin/editions/{draft_edition_id}/publish", ADMIN_ONLY),
    "admin.edition_theme": (
        "/admin/editions/{draft_edition_id}/themes/{draft_theme_id}",
        ADMIN_ONLY,
    ),
    "admin.edition_levels": ("/admin/editions/{draft_edition_id}/levels", ADMIN_ONLY),
    "admin.edition_add_theme": ("/admin/editions/{draft_edition_id}/themes/new", ADMIN_ONLY),
    # A theme with criteria: the page says to remove them first.
    "admin.edition_remove_theme": (
        "/admin/editions/{draft_edition_id}/themes/{draft_theme_id}/remove",
        ADMIN_ONLY,
    ),
    "admin.edition_add_criterion": (
        "/admin/editions/{draft_edition_id}/themes/{draft_theme_id}/criteria/new",
        ADMIN_ONLY,
    ),
    "admin.edition_remove_criterion": (
        "/admin/editions/{draft_edition_id}/criteria/{draft_criterion_id}/remove",
        ADMIN_ONLY,
    ),
    "admin.councils_list": ("/admin/councils", ADMIN_ONLY),
    "admin.add_council": ("/admin/councils/new", ADMIN_ONLY),
    "admin.import_councils": ("/admin/councils/import", ADMIN_ONLY),
    "admin.council": ("/admin/councils/{gss_code}", ADMIN_ONLY),
    "admin.edit_council": ("/admin/councils/{gss_code}/edit", ADMIN_ONLY),
    "admin.merge_council": ("/admin/councils/{gss_code}/merge", ADMIN_ONLY),
    "admin.audit": ("/admin/audit", ADMIN_ONLY),
    "admin.settings": ("/admin/settings", ADMIN_ONLY),
    "admin.settings_image": ("/admin/settings/logo", ADMIN_ONLY),
    "admin.audit_csv": ("/admin/audit.csv", ADMIN_ONLY),
    "admin.resend_email": ("/admin/outbox/{email_id}/resend", POST_ONLY),
    "admin.email_html": ("/admin/outbox/{html_email_id}/preview.html", ADMIN_ONLY),
    "admin.people": ("/admin/people", ADMIN_ONLY),
    "admin.person": ("/admin/people/{user_id}", ADMIN_ONLY),
    "admin.change_role": ("/admin/people/{user_id}/role", POST_ONLY),
    "admin.deactivate_person": ("/admin/people/{user_id}/deactivate", POST_ONLY),
    "admin.reactivate_person": ("/admin/people/{user_id}/reactivate", POST_ONLY),
    "admin.reset_two_factor": ("/admin/people/{user_id}/two-factor/reset", POST_ONLY),
    "admin.person_data": ("/admin/people/{user_id}/personal-data.json", ADMIN_ONLY),
    "admin.erase_person": ("/admin/people/{user_id}/erase", ADMIN_ONLY),
    "admin.invite_staff": ("/admin/people/invite", ADMIN_ONLY),
    "admin.revoke_award": ("/admin/awards/{number}/revoke", ADMIN_ONLY),
    "admin.outbox": ("/admin/outbox", ADMIN_ONLY),
    "admin.email": ("/admin/outbox/{email_id}", ADMIN_ONLY),
    "admin.membership_requests": ("/admin/membership-requests", ADMIN_ONLY),
    "admin.practice_offers": ("/admin/practice", ADMIN_ONLY),
    "admin.practice_review": ("/admin/practice/{example_id}", ADMIN_ONLY),
    "admin.decide_membership": ("/admin/membership-requests/{membership_id}/approve", POST_ONLY),
    # GET asks "Sign out?" (signing out is a POST); an anonymous visitor goes to sign in.
    "accounts.sign_out": ("/sign-out", {"anonymous": REDIRECT}),
}


def matrix_world(make) -> tuple[dict, dict]:
    """The people and the ids that fill in the matrix's URLs: a council with a lead and a
    draft application with a file; another council's submitted application with an assessor
    assigned; an award with a published example in the library of good practice; other people
    around them."""
    edition = make.demo_edition()
    issuer.update(actor=None, logo=Image("image/svg+xml", LOGO_SVG))
    lead = make.member(role=MembershipRole.LEAD)
    application = applications.start(lead.membership.council, actor=lead)
    answer = applications.answer_for(application, "MD1")
    applications.save_answer(
        answer,
        version=answer.version,
        actor=lead,
        self_score=None,
        narrative="",
        links=[],
        new_file=CheckedFile("policy.pdf", "application/pdf", 9, "0" * 64, b"%PDF-1.4 "),
    )
    admin = make.administrator()
    award = make.award(admin=admin)
    # A published example of the award's, with a file its council picked.
    shown = award.application.answers[0]
    picked = evidence(shown, "shared.pdf")
    (example,) = examples.offer(award, [shown], actor=award.application.started_by, files=[picked])
    workflow.transition(example, "publish", actor=admin)
    submitted = complete_application(make)
    draft = editions.clone(edition, "2027", 2027, actor=None)
    assigned = make.assessor()
    assignment = assessment.assign(submitted, assigned, actor=admin)
    people = {
        "council_member": lead,
        "other_council": make.member(council=award.council),  # not its lead
        "assessor": make.assessor(),
        "assigned_assessor": assigned,
        "administrator": admin,
    }
    ids = {
        "application_id": application.id,
        "submitted_id": submitted.id,
        "assignment_id": assignment.id,
        "edition_id": edition.id,
        "number": award.certificate_number,
        "user_id": lead.id,
        "draft_edition_id": draft.id,
        "draft_criterion_id": draft.criteria[0].id,
        "draft_theme_id": draft.themes[0].id,
        "html_email_id": db.session.scalar(
            sa.select(Email.id).where(Email.body_html.is_not(None)).limit(1)
        ),
        "gss_code": award.council.gss_code,
        "example_id": example.id,
        "practice_file_id": picked.id,
        "file_id": answer.files[0].id,
        "membership_id": lead.membership.id,
        "email_id": mail.queue(lead.email, "password_changed", user=lead).id,
    }
    return people, ids
