"""The certificate of the Mark: what is printed on it, a fingerprint of that, and its PDF.

The PDF is rendered by WeasyPrint from a Jinja template fed plain values, through a URL
fetcher that reads nothing but the app's own static files (and data: URIs). Fonts are the
system's (Debian's fonts-liberation2), never fetched.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
import weasyprint
from flask import current_app
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

TEMPLATE = "certificates/certificate.html"
STYLESHEET = "certificates/certificate.css"  # in the static folder
# PDF/UA-1: a tagged PDF (structure tree, MarkInfo, language, title) for screen readers.
PDF_VARIANT = "pdf/ua-1"
# Part of the fingerprint: bump it when the design changes, so that every stored certificate
# is rendered again.
DESIGN_VERSION = 2

BLANK_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Blank page</title>
<style>@page { size: A4 landscape; margin: 0 }</style></head><body></body></html>"""


@dataclass(frozen=True)
class Image:
    """A picture printed on a certificate (the issuer's logo, the signature): its type and
    bytes, as uploaded and checked. In the fingerprint by its SHA-256."""

    content_type: str  # "image/png" or "image/svg+xml"
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class Printed:
    """Everything printed on a certificate, as plain values (never ORM objects)."""

    scheme_name: str
    council_name: str
    level_name: str
    edition_title: str
    awarded_on: date
    expires_on: date
    certificate_number: str
    verification_url: str
    signatory_name: str
    signatory_title: str
    issuer_name: str = ""  # the organisation that runs the scheme
    issuer_logo: Image | None = None
    signature: Image | None = None
    distinction: bool = False  # the edition's highest level: a certificate that looks it


def fingerprint(printed: Printed, signed_with: str = "") -> str:
    """A SHA-256 of everything printed, and of the certificate it is signed with (its
    SHA-256): a stored certificate whose fingerprint differs is out of date and must be
    rendered and signed again."""
    values: dict[str, object] = {
        name: _canonical(value)
        for name, value in ((f.name, getattr(printed, f.name)) for f in dataclasses.fields(printed))
    }
    values["design_version"] = DESIGN_VERSION
    values["signed_with"] = signed_with
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Image):
        return [value.content_type, value.sha256]
    return value


# What XML 1.0 cannot hold (C0 controls but tab and line breaks, lone surrogates, U+FFFE/F).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_pdf(printed: Printed) -> bytes:
    """The certificate: one A4 landscape page, tagged (PDF/UA-1). Needs an app context."""
    values = {field.name: getattr(printed, field.name) for field in dataclasses.fields(printed)}
    html = current_app.jinja_env.get_template(TEMPLATE).render(
        # Control characters (which print as nothing) left out: WeasyPrint copies the title
        # and author into the PDF's XMP metadata as they are, which would then not be XML,
        # and no signature could be added.
        **{name: NOT_XML.sub("", v) if isinstance(v, str) else v for name, v in values.items()},
        qr_code=qr_code(printed.verification_url),
    )
    fetcher = StaticFileFetcher(current_app.static_folder or "static")
    return _write_pdf(html, fetcher, stylesheets=[_stylesheet(fetcher)])


def blank_pdf() -> bytes:
    """A blank A4 landscape page through the same WeasyPrint call as render_pdf (fetcher,
    fonts, PDF variant): the floor that rendering a certificate is measured against."""
    return _write_pdf(BLANK_PAGE, StaticFileFetcher(current_app.static_folder or "static"))


def qr_code(url: str) -> str:
    """The QR code for `url`, as a data: URI of a PNG with one pixel per module, which the
    stylesheet scales up without smoothing: as sharp as SVG, and far quicker for WeasyPrint.
    Quartile error correction survives a scuffed or partly covered print."""
    code = segno.make(url, error="q", micro=False)
    return code.png_data_uri(scale=1, border=4, dark="#0b0c0c", light="#ffffff")


class URLRefused(ValueError):
    """The certificate asked for something other than one of the app's static files."""


class StaticFileFetcher(URLFetcher):
    """Serves files under one folder (the app's static files) and data: URIs, which carry
    their own content; refuses everything else: other file:// paths, http(s), any other
    scheme. WeasyPrint logs a refused URL and renders without it."""

    def __init__(self, folder: str | Path) -> None:
        # Only data: URIs ever reach urllib (in super().fetch); say so twice.
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.folder = Path(folder).resolve()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise URLRefused(f"only the app's static files may be fetched, not {url!r}")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise URLRefused(f"not a local file: {url!r}")
        # resolve() follows ".." and symbolic links before the check, not after.
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise URLRefused(f"not one of the app's static files: {url!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


# WeasyPrint's font configuration wraps a Pango font map, which is not thread-safe: each
# thread keeps its own, and its own parsed stylesheet.
_per_thread = threading.local()


def _font_config() -> FontConfiguration:
    """Loading the system's fonts for every PDF would double the cost of a certificate."""
    font_config = getattr(_per_thread, "font_config", None)
    if font_config is None:
        font_config = _per_thread.font_config = FontConfiguration()
    return font_config


def _stylesheet(fetcher: StaticFileFetcher) -> weasyprint.CSS:
    """The certificate's stylesheet, read through the fetcher and parsed once (parsing it
    is an eighth of a certificate's work), again only when the file changes."""
    path = fetcher.folder / STYLESHEET
    key = (path, path.stat().st_mtime_ns)
    cached = getattr(_per_thread, "stylesheet", None)
    if cached is None or cached[0] != key:
        css = weasyprint.CSS(url=path.as_uri(), url_fetcher=fetcher, font_config=_font_config())
        cached = _per_thread.stylesheet = (key, css)
    return cached[1]


def _write_pdf(
    html: str, fetcher: StaticFileFetcher, stylesheets: list[weasyprint.CSS] | None = None
) -> bytes:
    document = weasyprint.HTML(
        string=html,
        # A fixed base: relative URLs resolve into the static folder, all the fetcher serves.
        base_url=fetcher.folder.as_uri() + "/",
        url_fetcher=fetcher,
    )
    return document.write_pdf(
        stylesheets=stylesheets, pdf_variant=PDF_VARIANT, font_config=_font_config()
    )
