"""Property-based tests of the forms: whatever text arrives in whatever field, a form either
validates or says which fields are wrong, and never raises; it renders what was typed
escaped; a page that shows a refused or saved form again shows what was typed. And the
helpers the forms share: trimming, splitting lines, web addresses, counting words.

(Scoring has its own properties in test_scoring_properties.py.)"""

from __future__ import annotations

import string
from collections.abc import Callable
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from marks.accounts import forms as accounts
from marks.admin import councils as admin_councils
from marks.admin import edition_drafts as admin_edition_drafts
from marks.admin import editions as admin_editions
from marks.admin import forms as admin
from marks.admin import people as admin_people
from marks.admin.records import AuditFilterForm
from marks.applying.applications import count_words
from marks.assess.forms import ConflictForm, scoring_form
from marks.council import forms as council
from marks.extensions import db
from marks.forms import choices, is_web_address, lines, strip
from marks.models import Application
from marks.states import MembershipRole
from tests.hostile import CORPUS, assert_no_injection, soup_of
from tests.pages import DEMO_PASSWORD, Page, PageClient

# Any text a request can carry: control characters included, surrogates not (a browser
# cannot send one; Werkzeug decodes a bad byte as U+FFFD).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
# Anything; or what people type, markup, quotes, spaces, line ends and all; or the corpus.
TYPED = st.one_of(
    TEXT,
    st.text(string.printable + "<>&\"'`{}%=+-@ \u202e\u200b\u00e9\U0001f600", max_size=120),
    st.sampled_from([h.text for h in CORPUS if h.kind != "nul"]),
)
SCALE = ("Not in place", "Starting", "Developing", "Established", "Exemplary")
FAKE_EDITION = SimpleNamespace(scale_labels=list(SCALE), levels=[None, None])


def _with_choices(form_class, **field_choices) -> Callable:
    """A factory for a form whose choices a view fills in (here, from made-up values)."""

    def make(formdata):
        form = form_class(formdata=formdata, meta={"csrf": False})
        for name, values in field_choices.items():
            form[name].choices = choices(values)
        return form

    return make


def _plain(form_class) -> Callable:
    return lambda formdata: form_class(formdata=formdata, meta={"csrf": False})


INTEGER_CHOICES = [(1, "One"), (2, "Two"), (3, "Three")]
FORMS: dict[str, Callable] = {
    "sign up": _plain(accounts.SignUpForm),
    "sign in": _plain(accounts.SignInForm),
    "forgotten password": _plain(accounts.ForgottenPasswordForm),
    "reset password": _plain(accounts.ResetPasswordForm),
    "change password": _plain(accounts.ChangePasswordForm),
    "join": _with_choices(council.JoinForm, council=INTEGER_CHOICES),
    "invite a colleague": _plain(council.InviteForm),
    "about the council": _plain(council.AboutForm),
    "answer": _with_choices(council.AnswerForm, self_score=enumerate(SCALE)),
    "submit": _plain(council.SubmitApplicationForm),
    "withdraw": _plain(council.WithdrawForm),
    "scores": _plain(scoring_form(("MD1", "EN2"), SCALE)),
    "conflict": _plain(ConflictForm),
    "assign": _with_choices(admin.AssignForm, assessor=INTEGER_CHOICES),
    "decision": _with_choices(admin.DecisionForm, level=INTEGER_CHOICES, criteria=INTEGER_CHOICES),
    "revoke": _plain(admin.RevokeForm),
    "council": _plain(admin_councils.CouncilForm),
    "edit council": _plain(admin_councils.EditCouncilForm),
    "merge": _plain(admin_councils.MergeForm),
    "import councils": _plain(admin_councils.ImportForm),
    "apply import": _plain(admin_councils.ApplyImportForm),
    "clone edition": _plain(admin_editions.CloneForm),
    "edition settings": _plain(admin_edition_drafts.SettingsForm),
    "criterion": _plain(admin_edition_drafts.CriterionForm.for_edition(FAKE_EDITION)),
    "theme": _plain(admin_edition_drafts.ThemeForm),
    "levels": _plain(admin_edition_drafts._levels_form(FAKE_EDITION)),
    "import edition": _plain(admin_editions.ImportForm),
    "role": _plain(admin_people.RoleForm),
    "invite staff": _plain(admin_people.InviteForm),
    "audit filters": lambda formdata: _audit_filters(formdata),
}


def _audit_filters(formdata) -> AuditFilterForm:
    form = AuditFilterForm(formdata)
    form.action.choices = choices([("", "Any action"), ("user.created", "user.created")])
    return form


def field_names(make: Callable) -> list[str]:
    return [field.name for field in make(MultiDict())]


@pytest.mark.parametrize("name", FORMS)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_form_validates_or_says_what_is_wrong_and_never_raises(app, name, data):
    make = FORMS[name]
    with app.test_request_context():
        names = field_names(make)
        # Each field gets nothing, one value or a few (a date's three parts, a repeated field).
        formdata = MultiDict(
            [
                (field, value)
                for field in names
                for value in data.draw(st.lists(TYPED, max_size=3), label=field)
            ]
        )
        form = make(formdata)
        valid = form.validate()
        if valid:
            assert not form.errors
            _use_the_data(name, form)
        else:
            assert form.errors
            for messages in form.errors.values():
                assert messages and all(isinstance(m, str) and m for m in messages), messages
        # Every field renders, with what was typed escaped, whatever it was.
        for field in form:
            if field.type in ("CSRFTokenField", "FileField") or field.widget is None:
                continue
            assert_no_injection(soup_of(str(field())), f"{name}: {field.name}")


def _use_the_data(name: str, form) -> None:
    """What the views do with a valid form must work too."""
    if name == "decision":
        assert isinstance(form.override(), str)
    elif name in ("council", "edit council"):
        assert form.details()["name"] == form.name.data
    elif name == "edition settings":
        assert form.values()["title"] == form.title.data
    elif name == "audit filters":
        assert form.filters().council == (form.council.data or "")


@pytest.mark.parametrize(
    "name", ["sign up", "submit", "council", "edition settings", "criterion", "theme", "levels"]
)
def test_required_text_is_not_only_spaces(app, name):
    """A required field with only spaces (or other whitespace) in it is empty: refused, never
    stored blank."""
    make = FORMS[name]
    with app.test_request_context():
        for blank in (" ", "\t\n", "\u00a0\u2003"):
            form = make(MultiDict((field, blank) for field in field_names(make)))
            assert not form.validate()
            required = [f for f in form if f.flags.required and f.type in TEXT_FIELDS]
            for field in required:
                assert field.errors, f"{name}: {field.name} accepted {blank!r}"


TEXT_FIELDS = ("StringField", "TextAreaField", "EmailField")


# --- The pages show again what was typed ---------------------------------------------------------


def _token(client: PageClient, url: str) -> str:
    page = client.get(url)
    return page.soup.find("input", attrs={"name": "csrf_token"})["value"]


@pytest.fixture
def anonymous(app) -> PageClient:
    return PageClient(app)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(full_name=TYPED)
@example(full_name='"><script>alert(1)</script>')
@example(full_name="   ")
@example(full_name="a\rb\r\nc\x0b\x0c\x1c\x85\u2028\ufeff\U000e0067")
def test_the_sign_up_page_shows_again_the_name_as_typed(anonymous, full_name):
    assume("\x00" not in full_name)
    token = _token(anonymous, "/sign-up")
    # No password: refused, whatever the name is.
    page = anonymous.post("/sign-up", data={"csrf_token": token, "full_name": full_name})
    assert isinstance(page, Page) and page.status == 200
    assert page.error_summary()
    assert_no_injection(page.soup, "sign-up")
    assert page.field_value("full_name") == full_name.strip()


@given(full_name=TEXT)
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_nul_is_refused_with_a_400(anonymous, full_name):
    token = _token(anonymous, "/sign-up")
    data = {"csrf_token": token, "full_name": full_name + "\x00"}
    assert anonymous.post("/sign-up", data=data).status_code == 400


@pytest.fixture
def answer_page(app, make) -> tuple[PageClient, str]:
    make.demo_edition()
    lead = make.member(role=MembershipRole.LEAD)
    client = PageClient(app)
    client.sign_in(lead.email, DEMO_PASSWORD)
    client.submit("/apply/", {})
    application = db.session.scalar(sa.select(Application).order_by(Application.id.desc()))
    return client, f"/apply/applications/{application.id}/criteria/MD1"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(narrative=TYPED, links=TYPED)
@example(narrative="</textarea><script>alert(1)</script>", links="javascript:alert(1)")
@example(narrative="\r\nfirst\rsecond\x0b\x0c\x85\u2028", links="https://x.example/\x0b")
def test_an_answer_saved_as_a_draft_or_refused_shows_again_as_typed(answer_page, narrative, links):
    assume("\x00" not in narrative + links)
    client, url = answer_page
    response = client.submit(
        url, {"narrative": narrative, "links": links, "save_as_draft": "Save as draft"}
    )
    web_addresses = lines(links)
    if (
        all(len(a) <= 2000 and is_web_address(a) for a in web_addresses)
        and len(web_addresses) <= 10
    ):
        assert response.status_code == 302  # saved
        page = client.get(url)
        assert page.field_value("links") == "\n".join(web_addresses)
    else:
        page = response
        assert page.status == 200 and page.error_summary()  # refused, all kept
        assert page.field_value("links") == links
    assert_no_injection(page.soup, "answer")
    assert page.field_value("narrative") == narrative


# --- The helpers the forms share -----------------------------------------------------------------


@given(TEXT)
def test_strip_leaves_no_surrounding_space_and_is_idempotent(text):
    stripped = strip(text)
    assert stripped == stripped.strip() == strip(stripped)
    assert stripped in text
    assert strip(None) is None and strip(42) == 42


@given(TEXT)
def test_lines_are_the_non_blank_lines_trimmed(text):
    found = lines(text)
    assert all(line and line == line.strip() and len(line.splitlines()) == 1 for line in found)
    assert lines("\n".join(found)) == found
    rest = text
    for line in found:  # each as typed, in the order typed
        assert line in rest
        rest = rest[rest.index(line) + len(line) :]


# What a browser ignores before a URL's scheme, and inside it.
LEADING = "".join(chr(c) for c in range(0x21))
INSIDE = str.maketrans("", "", "\t\n\r")


@given(TEXT)
@example("javascript:alert(1)//https://x.example")
@example("\x01javascript:alert(1)")
@example(" https://x.example")
@example("java\tscript://x.example/")
@example("HTTPS://EVIL.EXAMPLE/")
def test_a_web_address_is_http_or_https_as_a_browser_reads_it(text):
    if is_web_address(text):
        seen = text.lstrip(LEADING).translate(INSIDE).lower()
        assert seen.startswith(("http://", "https://")), text
        assert " " not in text


@given(
    st.sampled_from(["http", "https"]),
    st.lists(
        st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
        min_size=2,
        max_size=4,
    ),
    st.from_regex(r"(/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*(\?[A-Za-z0-9._~%&=-]*)?", fullmatch=True),
)
def test_real_web_addresses_are_accepted(scheme, labels, path):
    assert is_web_address(f"{scheme}://{'.'.join(labels)}{path}")


@given(
    st.lists(st.text(st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1))
)
def test_words_are_counted_between_spaces(words):
    words = [w for w in words if w.split() == [w]]
    assert count_words(" ".join(words)) == len(words)
    assert count_words("\n\n".join(words) + "  \t") == len(words)


@given(TEXT, TEXT)
def test_counting_words_adds_up(first, second):
    assert count_words(first + " " + second) == count_words(first) + count_words(second)
    assert (count_words(first) == 0) == (not first.strip())
