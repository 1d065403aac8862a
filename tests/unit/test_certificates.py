"""The certificate PDF: what it prints (read back with poppler's pdftotext), that its QR code
scans (decoded with zxing-cpp), that it is one tagged A4 page, that nothing printed is taken
as markup, and that WeasyPrint reads nothing but the app's static files."""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import re
import socket
import zlib
from datetime import date, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from weasyprint.urls import URLFetcher

from marks.awarding import awards, certificates
from marks.awarding.certificates import Printed, StaticFileFetcher, URLRefused
from tests.helpers.pdfs import SAMPLE, poppler, raw_text_of, text_of

HOSTILE_NAME = '<b style="color:red">Evil</b> {{7*7}} &amp; <script>alert(1)</script>'
# The longest official name of the 397 UK councils (uk-councils-names.csv), and two famous ones.
LONGEST_COUNCIL_NAME = "Armagh City, Banbridge and Craigavon Borough Council"
ISSUER = "Local Government Digital Association"
LONG_NAME = (
    "The Royal Borough of Windsor and Maidenhead and the Combined Authority of Greater "
    "Hartlepool, Stockton-on-Tees and Middlesbrough Shared Services Partnership Board"
)[:150]


# --- Reading a PDF back -----------------------------------------------------------------------


def info_of(pdf: bytes) -> dict[str, str]:
    lines = poppler("pdfinfo", "-enc", "UTF-8", "-", pdf=pdf).splitlines()
    return {key.strip(): value.strip() for key, _, value in (x.partition(":") for x in lines)}


def objects_of(pdf: bytes) -> bytes:
    """The PDF's bytes with every compressed stream (object streams included) inflated."""
    chunks = [pdf]
    for match in re.finditer(rb"(?<!end)stream\r?\n", pdf):
        try:
            chunks.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(chunks)


def qr_codes_in(pdf: bytes, folder: Path) -> list[zxingcpp.Barcode]:
    """The QR codes a scanner finds on the page, printed at 200 dpi."""
    (folder / "certificate.pdf").write_bytes(pdf)
    poppler("pdftoppm", "-r", "200", "-png", "-singlefile", "certificate.pdf", "page", cwd=folder)
    with Image.open(folder / "page.png") as page:
        return zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)


@pytest.fixture(scope="module")
def pdf(app) -> bytes:
    """The certificate as the service stores it: signed by the issuer (test_signing.py checks
    the signature; these, that signing keeps everything else)."""
    with app.test_request_context():
        return awards.signed_pdf(SAMPLE)


def render(app, **changes) -> bytes:
    with app.app_context():
        return certificates.render_pdf(dataclasses.replace(SAMPLE, **changes))


def page_image(pdf: bytes, folder: Path, dpi: int = 50) -> Image.Image:
    """The page as poppler rasterises it, in RGB."""
    (folder / "certificate.pdf").write_bytes(pdf)
    poppler(
        "pdftoppm", "-r", str(dpi), "-png", "-singlefile", "certificate.pdf", "page", cwd=folder
    )
    with Image.open(folder / "page.png") as page:
        return page.convert("RGB")


def images_in(pdf: bytes) -> list[list[str]]:
    """The raster images the page draws (pdfimages -list): each row's columns."""
    rows = [line.split() for line in poppler("pdfimages", "-list", "-", pdf=pdf).splitlines()[2:]]
    return [row for row in rows if row[2] == "image"]  # not their transparency masks


def png(size: tuple[int, int], draw) -> certificates.Image:
    picture = Image.new("RGBA", size, (255, 255, 255, 0))
    draw(ImageDraw.Draw(picture))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return certificates.Image("image/png", buffer.getvalue())


# A hand-drawn line in ink blue, and a square purple logo (a colour nothing else uses).
SIGNATURE = png(
    (240, 80), lambda d: d.line([(10, 60), (60, 15), (110, 55), (230, 20)], "#1c2f6e", 6)
)
PNG_LOGO = png((120, 120), lambda d: d.ellipse([4, 4, 116, 116], "#7a1fa2"))
SVG_LOGO = certificates.Image(
    "image/svg+xml",
    b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 40 20'>"
    b"<rect width='40' height='20' rx='4' fill='#7a1fa2'/></svg>",
)


def pixels(picture: Image.Image, colour) -> int:
    """How many of the picture's pixels are of this colour."""
    return sum(n for n, pixel in picture.getcolors(maxcolors=1 << 24) if colour(pixel))


def purple(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return red > 90 and blue > 130 and green < 80


def gold(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return red > 150 and 90 < green < red - 20 and blue < green - 40


# --- What is printed --------------------------------------------------------------------------


def drawn(pdf: bytes) -> str:
    """The printed text in the order the page draws it (as it is tagged, and read aloud),
    whitespace collapsed, and lines that break after a slash joined again."""
    return " ".join(raw_text_of(pdf).split()).replace("/ ", "/")


def test_the_certificate_prints_everything_on_one_a4_landscape_page(pdf):
    text = drawn(pdf)

    for printed in (
        "Social Media Friendly Mark",
        "Certificate of accreditation",
        "This is to certify that",
        "Hartlepool Borough Council",
        "has been awarded the Social Media Friendly Mark at the level of",
        "Accredited",
        "Assessed against Social Media Friendly Mark 2026",
        "Awarded on 22 November 2026",
        "Valid until 22 November 2028",
        "Certificate number",
        "SMFM-2026-00042",
        "Check this certificate at",
        "http://127.0.0.1:5000/verify/SMFM-2026-00042",
        "Alex Morgan",
        "Chair, Social Media Friendly Mark panel",
    ):
        assert printed in text
    info = info_of(pdf)
    assert info["Pages"] == "1"
    assert info["Page size"].startswith("841.89 x 595.276 pts")


def test_the_issuer_its_logo_and_the_signature_are_printed(app, tmp_path):
    plain = render(app)
    pdf = render(app, issuer_name=ISSUER, issuer_logo=PNG_LOGO, signature=SIGNATURE)

    text = text_of(pdf)
    assert ISSUER in text
    assert "Alex Morgan Chair, Social Media Friendly Mark panel" in text
    assert len(images_in(plain)) == 1  # the QR code
    assert len(images_in(pdf)) == 3  # and the logo and the signature
    objects = objects_of(pdf)
    assert f"/Alt (Logo of {ISSUER})".encode() in objects
    assert b"/Alt (Signature of Alex Morgan)" in objects
    assert pixels(page_image(pdf, tmp_path), purple)


def test_an_svg_logo_is_drawn_and_no_logo_leaves_no_gap(app, tmp_path):
    pdf = render(app, issuer_name=ISSUER, issuer_logo=SVG_LOGO)
    without = render(app, issuer_name=ISSUER)

    assert pixels(page_image(pdf, tmp_path), purple)
    assert f"/Alt (Logo of {ISSUER})".encode() in objects_of(pdf)
    assert ISSUER in text_of(without)
    assert b"/Alt (Logo of" not in objects_of(without)


def test_a_distinction_looks_like_one(app, tmp_path):
    accredited = page_image(render(app), tmp_path)
    distinction_pdf = render(app, level_name="Accredited with distinction", distinction=True)
    distinction = page_image(distinction_pdf, tmp_path)

    # A gold seal with its ribbon, a sizeable thing, which the accredited certificate has not.
    assert pixels(distinction, gold) > 400
    assert pixels(accredited, gold) == 0
    assert "Distinction" in raw_text_of(distinction_pdf).splitlines()


def test_nothing_is_printed_within_10_mm_of_the_paper_edge(app, tmp_path):
    """Office printers cannot print to the edge, and crop what is there unevenly."""
    pdf = render(
        app,
        council_name=LONGEST_COUNCIL_NAME,
        issuer_name=ISSUER,
        issuer_logo=PNG_LOGO,
        signature=SIGNATURE,
        distinction=True,
    )
    dpi = 50
    page = page_image(pdf, tmp_path, dpi)
    width, height = page.size
    edge = math.ceil(10 / 25.4 * dpi)  # 10 mm in pixels, rounded up

    bands = [(0, 0, width, edge), (0, height - edge, width, height)]
    bands += [(0, 0, edge, height), (width - edge, 0, width, height)]
    for band in bands:
        strip = page.crop(band)
        assert strip.getcolors() == [(strip.width * strip.height, (255, 255, 255))], band
    # The frame is printed, just inside.
    inside = page.crop((edge, edge, width - edge, height - edge))
    assert len(inside.getcolors(maxcolors=1 << 16)) > 2


@pytest.mark.parametrize(
    "name",
    [
        LONGEST_COUNCIL_NAME,
        "Royal Borough of Windsor and Maidenhead",
        "Council of the Isles of Scilly",
    ],
)
def test_real_council_names_fit_on_one_page(app, name, tmp_path):
    pdf = render(app, council_name=name, issuer_name=ISSUER, issuer_logo=PNG_LOGO, distinction=True)

    assert info_of(pdf)["Pages"] == "1"
    assert name in text_of(pdf)
    assert [code.text for code in qr_codes_in(pdf, tmp_path)] == [SAMPLE.verification_url]


def test_dates_are_written_the_gov_uk_way(app):
    text = drawn(render(app, awarded_on=date(2027, 3, 1), expires_on=date(2029, 3, 1)))

    assert "Awarded on 1 March 2027" in text
    assert "Valid until 1 March 2029" in text
    assert "01 March" not in text


def test_the_qr_code_scans_to_the_verification_address(pdf, tmp_path):
    codes = qr_codes_in(pdf, tmp_path)

    assert [code.text for code in codes] == ["http://127.0.0.1:5000/verify/SMFM-2026-00042"]
    assert codes[0].ec_level in {"M", "Q", "H"}


def test_a_long_name_still_fits_on_one_page(app, tmp_path):
    assert len(LONG_NAME) == 150
    pdf = render(app, council_name=LONG_NAME, level_name="Accredited with distinction")

    assert info_of(pdf)["Pages"] == "1"
    text = text_of(pdf)
    assert LONG_NAME in text
    assert "Accredited with distinction" in text
    assert "SMFM-2026-00042" in text
    assert [code.text for code in qr_codes_in(pdf, tmp_path)] == [SAMPLE.verification_url]


def test_the_longest_name_the_register_holds_fits_even_without_spaces(app):
    pdf = render(app, council_name="W" * 200)

    assert info_of(pdf)["Pages"] == "1"
    assert "SMFM-2026-00042" in text_of(pdf)


def test_markup_in_a_name_is_printed_as_it_is(app):
    pdf = render(app, council_name=HOSTILE_NAME, level_name="<i>Accredited</i>")

    text = drawn(pdf)
    assert HOSTILE_NAME in text
    assert "<i>Accredited</i>" in text
    assert "49" not in text
    assert info_of(pdf)["Title"].endswith(f"SMFM-2026-00042: {HOSTILE_NAME}")


# --- The PDF itself ---------------------------------------------------------------------------


def test_metadata_gives_title_author_and_language(pdf):
    info = info_of(pdf)
    assert info["Title"] == (
        "Social Media Friendly Mark certificate SMFM-2026-00042: Hartlepool Borough Council"
    )
    assert info["Author"] == "Social Media Friendly Mark"
    assert b"/Lang (en-GB)" in objects_of(pdf)


def test_the_pdf_is_tagged_for_screen_readers(pdf):
    objects = objects_of(pdf)

    assert info_of(pdf)["Tagged"] == "yes"
    assert b"/StructTreeRoot" in objects
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", objects)
    assert b"<pdfuaid:part>1</pdfuaid:part>" in objects or b'pdfuaid:part="1"' in objects
    # The QR code is a figure with a text alternative; the artwork is background.
    assert b"/Alt (QR code linking to http://127.0.0.1:5000/verify/SMFM-2026-00042)" in objects


def test_fonts_are_debians_liberation_fonts_embedded(pdf):
    fonts = [line.split() for line in poppler("pdffonts", "-", pdf=pdf).splitlines()[2:]]

    assert fonts
    assert all("+Liberation-" in font[0] for font in fonts)
    assert all(font[-5] == "yes" for font in fonts)  # the "emb" column


def test_rendering_raises_no_complaint_from_weasyprint(app, caplog):
    # A missing font, a refused URL or an image without alternative text would be logged.
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render(app)

    assert caplog.records == []


def test_the_same_certificate_renders_to_the_same_bytes(app, pdf):
    """Before it is signed (a signature carries its time), and the signature only adds."""
    assert render(app) == render(app)
    assert pdf.startswith(render(app))


def test_a_blank_page_goes_through_the_same_path(app):
    with app.app_context():
        blank = certificates.blank_pdf()

    info = info_of(blank)
    assert info["Pages"] == "1"
    assert info["Page size"].startswith("841.89 x 595.276 pts")
    assert info["Tagged"] == "yes"
    assert text_of(blank) == ""


# --- The fingerprint --------------------------------------------------------------------------


def changed(value):
    if isinstance(value, date):
        return value + timedelta(days=1)
    if isinstance(value, bool):
        return not value
    if value is None:  # an image where there was none
        return certificates.Image("image/png", b"\x89PNG a picture")
    return value + " (changed)"


def test_the_fingerprint_changes_with_anything_printed_and_nothing_else():
    same = Printed(**dataclasses.asdict(SAMPLE))
    assert certificates.fingerprint(same) == certificates.fingerprint(SAMPLE)
    assert re.fullmatch(r"[0-9a-f]{64}", certificates.fingerprint(SAMPLE))

    seen = {certificates.fingerprint(SAMPLE)}
    for field in dataclasses.fields(Printed):
        other = dataclasses.replace(SAMPLE, **{field.name: changed(getattr(SAMPLE, field.name))})
        seen.add(certificates.fingerprint(other))
    assert len(seen) == 1 + len(dataclasses.fields(Printed))


def test_the_fingerprint_does_not_confuse_one_field_with_another():
    moved = dataclasses.replace(SAMPLE, signatory_name="Alex", signatory_title="Morgan Chair")
    spaced = dataclasses.replace(SAMPLE, signatory_name="Alex Morgan Chair", signatory_title="")

    assert certificates.fingerprint(moved) != certificates.fingerprint(spaced)


# --- The URL fetcher --------------------------------------------------------------------------


@pytest.fixture
def fetcher(app) -> StaticFileFetcher:
    return StaticFileFetcher(app.static_folder)


def test_the_fetcher_serves_the_apps_static_files(fetcher):
    stylesheet = fetcher.folder / "certificates" / "certificate.css"

    response = fetcher(stylesheet.as_uri())

    assert response.content_type == "text/css"
    assert response.read() == stylesheet.read_bytes()


def test_the_fetcher_serves_data_uris(fetcher):
    assert fetcher("data:text/plain,hello%20there").read() == b"hello there"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/x.png",
        "https://example.org/x.png",
        "ftp://example.org/x.png",
        "file:///etc/passwd",
        "file://example.org/etc/passwd",
        "file:///etc/passwd?/static/",
    ],
)
def test_the_fetcher_refuses_anything_else(fetcher, url):
    with pytest.raises(URLRefused):
        fetcher(url)


def test_the_fetcher_refuses_a_way_out_of_the_static_folder(fetcher):
    outside = fetcher.folder.as_uri() + "/../marks/__init__.py"

    with pytest.raises(URLRefused):
        fetcher(outside)
    with pytest.raises(URLRefused):
        fetcher(fetcher.folder.as_uri() + "/%2e%2e/marks/__init__.py")
    with pytest.raises(URLRefused):
        fetcher(fetcher.folder.as_uri() + "/certificates")  # a folder, not a file


def test_the_fetcher_refuses_a_link_that_leads_out(tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (folder / "innocent.txt").symlink_to(secret)

    with pytest.raises(URLRefused):
        StaticFileFetcher(folder)((folder / "innocent.txt").as_uri())


class RecordingFetcher(StaticFileFetcher):
    def __init__(self, folder) -> None:
        super().__init__(folder)
        self.asked: list[tuple[str, str]] = []

    def fetch(self, url, headers=None):
        try:
            response = super().fetch(url, headers)
        except URLRefused:
            self.asked.append((url, "refused"))
            raise
        self.asked.append((url, "served"))
        return response


def test_a_page_that_asks_for_more_renders_without_it(app, fetcher, monkeypatch, caplog):
    def no_network(*args, **kwargs):
        raise AssertionError("the PDF tried to reach the network")

    def only_data(self, url, headers=None):
        assert url.startswith("data:"), url
        return real_fetch(self, url, headers)

    real_fetch = URLFetcher.fetch
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(URLFetcher, "fetch", only_data)
    recorder = RecordingFetcher(app.static_folder)
    html = """<!DOCTYPE html><html lang="en-GB"><head><title>Greedy</title>
        <link rel="stylesheet" href="http://example.org/style.css">
        <link rel="stylesheet" href="file:///etc/passwd">
        <style>@import url("https://example.org/more.css");
          body { background: url("../marks/__init__.py") }</style></head>
        <body><p>Still here</p>
        <img src="http://example.org/x.png" alt="x">
        <img src="file:///etc/passwd" alt="passwd">
        <img src="../pyproject.toml" alt="outside"></body></html>"""

    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = certificates._write_pdf(html, recorder)

    assert "Still here" in text_of(pdf)
    outcomes = dict(recorder.asked)
    root = fetcher.folder.parent.as_uri()
    for url in (
        "http://example.org/style.css",
        "https://example.org/more.css",
        "http://example.org/x.png",
        "file:///etc/passwd",
        f"{root}/marks/__init__.py",
        f"{root}/pyproject.toml",
    ):
        assert outcomes.get(url) == "refused", url
    assert "served" not in outcomes.values()
    assert "URLRefused" in caplog.text
