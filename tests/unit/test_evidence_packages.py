"""Evidence files that are Office packages: zip bombs, too many parts, lying headers, macros,
path traversal, programs and archives inside, encrypted, duplicated or oddly compressed parts,
all refused."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from marks.applying import evidence
from marks.applying.evidence import EvidenceRefused
from tests.unit.evidence_samples import MAIN_PARTS, MB, content_types, make_ooxml, refused

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
