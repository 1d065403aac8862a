"""Sample evidence files, built in memory: a PDF, a PNG, a JPEG, the three kinds of Office Open
XML package, a plain zip and the start of a Windows program; and refused(), the message a file
is refused with. Shared by test_evidence.py, test_evidence_packages.py and
test_evidence_names.py."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from marks.applying.evidence import EvidenceRefused, check

MB = 1024 * 1024
OPENXML = "application/vnd.openxmlformats-officedocument."


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
