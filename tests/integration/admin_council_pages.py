"""The administrators' councils pages as the tests work them: a page's form sent as a browser
would send it, and councils read back (the administrator signed in is conftest.py's). Shared by
test_admin_councils.py, test_admin_council_merges.py and test_admin_council_imports.py."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from marks.extensions import db
from marks.models import Council
from tests.pages import Page, PageClient


def council_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Council.id)))


def by_code(code: str) -> Council | None:
    return db.session.scalar(sa.select(Council).where(Council.gss_code == code))


def post_form(client: PageClient, page: Page, data: dict | None = None, *, multipart=False):
    """Send the page's POST form as a browser would: its hidden fields (a name given more than
    once is sent more than once), what the person typed, and the button they pressed."""
    form = page.soup.find("form", method="post")
    fields: dict[str, list[str]] = {}
    for tag in form.find_all("input", attrs={"type": "hidden"}):
        fields.setdefault(tag["name"], []).append(tag.get("value", ""))
    fields.update({k: v if isinstance(v, list | tuple) else [v] for k, v in (data or {}).items()})
    if not multipart:
        return client.post(form["action"], data=fields)
    return client.post(form["action"], **multipart_body(MultiDict(fields)))


def multipart_body(values) -> dict:
    """A multipart body encoded here, in memory: the test client would spool a large one to a
    temporary file that nothing closes."""
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def filled_in(page: Page) -> dict[str, str]:
    """What the page's POST form holds as it is shown: its text fields and areas, checked radios
    and selected options (hidden fields are sent by post_form)."""
    form = page.soup.find("form", method="post")
    data = {}
    for tag in form.find_all("input", attrs={"type": ["text", "url"]}):
        data[tag["name"]] = tag.get("value", "")
    for tag in form.find_all("textarea"):
        data[tag["name"]] = tag.get_text()
    for tag in form.find_all("input", attrs={"type": "radio", "checked": True}):
        data[tag["name"]] = tag["value"]
    for select in form.find_all("select"):
        chosen = select.find("option", selected=True)
        data[select["name"]] = chosen["value"] if chosen else ""
    return data
