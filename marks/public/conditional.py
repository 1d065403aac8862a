"""Conditional requests (RFC 9110 section 13), answered one way by every public page and
download with an ETag or a Last-Modified: the register and its open data, certificates,
badges, Open Badges assertions.

If-None-Match is compared weakly (a proxy that compresses a response makes its ETag weak, and
the copy is still this one); If-Modified-Since counts only when there is no If-None-Match. A
304 carries the Cache-Control, ETag and Vary its 200 would, and no body (Werkzeug leaves out
Last-Modified and the body's headers: with an ETag, RFC 9110 15.4.5 asks for no more). The
ETag is known before the body, so a 304 is answered without making it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from flask import Response, request
from werkzeug.http import is_resource_modified


def unchanged(etag: str, last_modified: datetime | None = None) -> bool:
    """Whether the copy the visitor already has is this one."""
    return not is_resource_modified(request.environ, etag=etag, last_modified=last_modified)


def answer(
    body: Callable[[], Response],
    *,
    etag: str,
    cache_control: str,
    last_modified: datetime | None = None,
    vary: Iterable[str] = (),
) -> Response:
    """The response `body()` makes, or a 304 without calling it when the visitor's copy is
    this one; either way with the same caching headers. `cache_control` is said by the view
    for both: otherwise the 304 would be private (permissions.keep_private) and gain the
    session's `Vary: Cookie` while its 200 is public. A body that knows its own ETag better
    (the copy it read changed since `etag` was known) sets it, and that one is sent."""
    # A 304 is sent without the headers of a body (Werkzeug).
    response = Response(status=304) if unchanged(etag, last_modified) else body()
    if response.get_etag() == (None, None):
        response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    for header in vary:
        response.vary.add(header)
    return response
