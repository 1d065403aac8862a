"""Evidence files: what a council may upload with its self-assessment.

The type is decided from the bytes alone, never from the name or the browser's claim; files
that are two things at once, zip bombs and unsafe names are refused with a message ready to
show under the file field.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import quote

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_APPLICATION_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


_OPENXML = "application/vnd.openxmlformats-officedocument."
ACCEPTED: MappingProxyType[str, Kind] = MappingProxyType(
    {
        "pdf": Kind("application/pdf", ".pdf"),
        "png": Kind("image/png", ".png"),
        "jpeg": Kind("image/jpeg", ".jpg"),
        "docx": Kind(_OPENXML + "wordprocessingml.document", ".docx"),
        "xlsx": Kind(_OPENXML + "spreadsheetml.sheet", ".xlsx"),
        "pptx": Kind(_OPENXML + "presentationml.presentation", ".pptx"),
    }
)
# The part that makes a package a document, a workbook or a presentation.
_MAIN_PARTS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_END = b"PK\x05\x06"
# A plausible zip local file header (version needed, flags, a known compression method):
# a bare "PK\x03\x04" turns up by chance in about 1 in 400 compressed 10MB images.
_ZIP_HEADER = re.compile(
    rb"PK\x03\x04[\x00-\x3f]\x00..[\x00\x08\x09\x0c\x0e\x5d\x5f\x62\x63]\x00", re.S
)
_UNSAFE_MEMBERS = (".exe", ".dll", ".bat", ".cmd", ".com", ".js", ".vbs", ".ps1", ".jar", ".zip")
_MACRO_TYPES = re.compile(rb"macroenabled|vbaproject|macrosheet", re.I)
# Only a suffix with a letter in it is an extension: "minutes 12.03.2024" keeps its date.
_EXTENSION = re.compile(r"\.(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{1,10}$")
_CONTROL = {"Cc", "Cf", "Cs"}  # Cf takes out bidi overrides that make "exe.pdf" look like a PDF
_CHUNK = 64 * 1024

_TYPES = ", ".join(k.upper() for k in list(ACCEPTED)[:-1]) + " or " + list(ACCEPTED)[-1].upper()
WRONG_TYPE = f"The selected file must be a {_TYPES}"
EMPTY = "The selected file is empty"
HIDDEN = (
    "The selected file has another file hidden inside it. "
    "Save it again from the program that made it and upload the new copy"
)
DAMAGED_OFFICE = "The selected file is damaged or not a real Word, Excel or PowerPoint file"
TOO_MANY_PARTS = f"The selected file has too many parts inside it (more than {MAX_ZIP_ENTRIES:,})"
TOO_BIG_UNPACKED = "The selected file would be larger than 200MB when opened"
TOO_COMPRESSED = "The selected file has a part that expands too much when opened"
UNSAFE_PARTS = "The selected file has parts with unsafe names inside it"
PROGRAM_INSIDE = "The selected file has a program or script inside it"
MACROS = (
    "The selected file contains macros. Macro-enabled files are not accepted: "
    "save it as a DOCX, XLSX or PPTX without macros"
)
ENCRYPTED = "The selected file is password protected. Remove the password and upload it again"
# What a name promises, for a file whose bytes are no accepted type at all.
_NAMED = MappingProxyType(
    {
        ".pdf": "PDF",
        ".png": "PNG image",
        ".jpg": "JPEG image",
        ".jpeg": "JPEG image",
        ".docx": "Word document",
        ".xlsx": "Excel spreadsheet",
        ".pptx": "PowerPoint presentation",
    }
)


def unreadable(named: str) -> str:
    """What a file named as one of the accepted types, but that is none of them, is told: it
    is broken or renamed, and "must be a PDF" would only puzzle someone who chose a PDF."""
    return (
        f"The selected file could not be read as a {named}. Check that it opens, save it "
        "again and upload the new copy"
    )


class EvidenceRefused(ValueError):
    """An upload that cannot be accepted; str() is the message to show the user."""


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    content: bytes


def check(
    filename: str,
    content: bytes,
    *,
    already_stored_bytes: int = 0,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_application_bytes: int = MAX_APPLICATION_BYTES,
) -> CheckedFile:
    """Check an uploaded evidence file; return it with a safe name and its real type.

    Raises EvidenceRefused, whose message can be shown under the file field, if the file is
    empty, too big, not one of ACCEPTED (unreadable, if its name says it is one), carries
    another file, or is a zip bomb.
    """
    content = bytes(content)
    if not content:
        raise EvidenceRefused(EMPTY)
    if len(content) > max_file_bytes:
        raise EvidenceRefused(f"The selected file must be smaller than {_size(max_file_bytes)}")
    if already_stored_bytes + len(content) > max_application_bytes:
        raise EvidenceRefused(
            "Adding this file would take your application's evidence over "
            f"{_size(max_application_bytes)}. Remove a file you no longer need, or make this "
            "one smaller"
        )
    try:
        kind = _detect(content)
    except EvidenceRefused as error:
        named = _NAMED.get(os.path.splitext(filename or "")[1].lower())
        if str(error) == WRONG_TYPE and named:
            raise EvidenceRefused(unreadable(named)) from error
        raise
    return CheckedFile(
        filename=safe_filename(filename, ACCEPTED[kind].extension),
        content_type=ACCEPTED[kind].content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def safe_filename(filename: str, extension: str) -> str:
    """The name to display and send back: last path part, clean, short, with `extension`."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = unicodedata.normalize("NFC", _clean_text(name))
    stem = _EXTENSION.sub("", name).strip(" .")
    stem = stem[: MAX_NAME_CHARS - len(extension)].rstrip(" .")
    return (stem or "evidence") + extension


def content_disposition(filename: str) -> str:
    """An `attachment` Content-Disposition value: an ASCII fallback and an RFC 5987 name."""
    name = _clean_text(filename or "") or "evidence"
    # Strip accents so "Môn" falls back to "Mon" rather than "M_n".
    decomposed = unicodedata.normalize("NFKD", name)
    fallback = "".join(
        c if c.isascii() else "_" for c in decomposed if not unicodedata.combining(c)
    )
    fallback = fallback.replace('"', "").replace("\\", "").strip() or "evidence"
    encoded = quote(unicodedata.normalize("NFC", name), safe="!#$&+^`|")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _clean_text(text: str) -> str:
    """Whitespace collapsed to single spaces, control and format characters removed."""
    kept = "".join(
        " " if c.isspace() else c
        for c in text
        if c.isspace() or unicodedata.category(c) not in _CONTROL
    )
    return " ".join(kept.split())


def _size(n: int) -> str:
    mb, kb = 1024 * 1024, 1024
    if n >= mb:
        return f"{n // mb}MB" if n % mb == 0 else f"{n / mb:.1f}MB"
    if n >= kb:
        return f"{n // kb}KB" if n % kb == 0 else f"{n / kb:.1f}KB"
    return f"{n} bytes"


def _detect(content: bytes) -> str:
    """The kind of `content`, from its bytes, once it is known to be nothing else as well."""
    if content.startswith(b"%PDF-"):
        kind = "pdf"
    elif content.startswith(_PNG_SIGNATURE):
        kind = "png"
    elif content.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif content.startswith(_ZIP_LOCAL):
        kind = "zip"
    else:
        raise EvidenceRefused(WRONG_TYPE)
    # PDF readers look for the header anywhere in the first 1KB.
    if b"%PDF-" in content[1:1024] or _has_embedded_executable(content):
        raise EvidenceRefused(HIDDEN)
    if kind != "zip" and _ZIP_HEADER.search(content):
        raise EvidenceRefused(HIDDEN)
    if kind == "pdf" and b"%%EOF" not in content[-1024:]:
        raise EvidenceRefused("The selected file is damaged or not a real PDF")
    if kind == "png":
        _check_png(content)
    if kind == "jpeg" and not content.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise EvidenceRefused("The selected file is damaged or not a real JPEG image")
    return _check_ooxml(content) if kind == "zip" else kind


def _has_embedded_executable(content: bytes) -> bool:
    """True if a Windows program (an MZ header whose e_lfanew points at "PE\\0\\0") is inside."""
    # Legitimate files essentially never hold this signature; a cap keeps hostile input cheap.
    if content.count(b"PE\x00\x00") > 16:
        return True
    for match in re.finditer(rb"PE\x00\x00", content):
        pe = match.start()
        # The DOS header is 64 bytes long and e_lfanew sits at 0x3C.
        low, mz = max(0, pe - 1024), content.rfind(b"MZ", max(0, pe - 1024), max(0, pe - 0x3E))
        while mz >= 0:
            if int.from_bytes(content[mz + 0x3C : mz + 0x40], "little") == pe - mz:
                return True
            mz = content.rfind(b"MZ", low, mz + 1)
    return False


def _check_png(content: bytes) -> None:
    """Walk the chunks from IHDR to IEND, checking each CRC; only zero padding may follow."""
    damaged = EvidenceRefused("The selected file is damaged or not a real PNG image")
    view, pos, chunk_type = memoryview(content), len(_PNG_SIGNATURE), b""
    while chunk_type != b"IEND":
        length = int.from_bytes(content[pos : pos + 4], "big")
        end = pos + 12 + length
        chunk_type = content[pos + 4 : pos + 8]
        if end > len(content) or not chunk_type.isalpha():
            raise damaged
        if pos == len(_PNG_SIGNATURE) and (chunk_type != b"IHDR" or length != 13):
            raise damaged
        if zlib.crc32(view[pos + 4 : end - 4]) != int.from_bytes(content[end - 4 : end], "big"):
            raise damaged
        pos = end
    if content[pos:].strip(b"\x00"):
        raise damaged


def _check_ooxml(content: bytes) -> str:
    """The kind of an Office Open XML package, or refuse it; never trusts a zip header."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            infos = zf.infolist()
            kind = _check_members(content, zf, infos)
            _read_members(zf, infos, MAX_UNPACKED_BYTES)
    except EvidenceRefused:
        raise
    # zipfile fails in many ways on hostile input; each of them means "not a real file".
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError) as error:
        raise EvidenceRefused(DAMAGED_OFFICE) from error
    except (IndexError, OverflowError, NotImplementedError, RuntimeError) as error:
        raise EvidenceRefused(DAMAGED_OFFICE) from error
    return kind


def _check_members(content: bytes, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str:
    """Refuse hidden data, bombs and unsafe parts from the central directory alone."""
    if not infos:
        raise EvidenceRefused(WRONG_TYPE)
    # zipfile quietly skips data before the first entry and after the end record.
    if min(info.header_offset for info in infos) != 0 or not _zip_ends_file(content):
        raise EvidenceRefused(HIDDEN)
    if len(infos) > MAX_ZIP_ENTRIES:
        raise EvidenceRefused(TOO_MANY_PARTS)
    names = [info.filename for info in infos]
    lowered = {name.lower() for name in names}
    if len(lowered) != len(names):
        raise EvidenceRefused(DAMAGED_OFFICE)  # two parts of one name: readers may disagree
    found = [kind for kind, part in _MAIN_PARTS.items() if part in lowered]
    if "[content_types].xml" not in lowered or not found:
        raise EvidenceRefused(WRONG_TYPE)
    if len(found) > 1:
        raise EvidenceRefused(DAMAGED_OFFICE)
    for name in names:
        parts = re.split(r"[/\\]", name)
        if not name or parts[0] == "" or ".." in parts or re.match(r"[A-Za-z]:", name):
            raise EvidenceRefused(UNSAFE_PARTS)
        if "vbaproject" in parts[-1].lower():
            raise EvidenceRefused(MACROS)
        if parts[-1].lower().endswith(_UNSAFE_MEMBERS):
            raise EvidenceRefused(PROGRAM_INSIDE)
    for info in infos:
        if info.flag_bits & 0x1:
            raise EvidenceRefused(ENCRYPTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise EvidenceRefused(DAMAGED_OFFICE)  # Office writes nothing else
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise EvidenceRefused(TOO_BIG_UNPACKED)
    for info in infos:
        if info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
            raise EvidenceRefused(TOO_COMPRESSED)
    return found[0]


def _zip_ends_file(content: bytes) -> bool:
    """True if the end record zipfile would use (the last one) is the last thing in the file."""
    if content[-22:-18] == _ZIP_END and content[-2:] == b"\x00\x00":
        return True
    end = content.rfind(_ZIP_END, max(0, len(content) - 22 - 0xFFFF))
    comment = int.from_bytes(content[end + 20 : end + 22], "little")
    return end >= 0 and end + 22 + comment == len(content)


def _read_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], cap: int) -> None:
    """Decompress every part in chunks, refusing past `cap` bytes in all; CRCs are checked.

    The content types and relationships are searched for macro parts, whatever their names.
    """
    total = 0
    for info in infos:
        name = info.filename.lower()
        wiring = name == "[content_types].xml" or name.endswith(".rels")
        tail = b""
        with zf.open(info) as member:
            while chunk := member.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise EvidenceRefused(TOO_BIG_UNPACKED)
                # Keep a tail so that a name split across two chunks is still found.
                if wiring and _MACRO_TYPES.search(tail + chunk):
                    raise EvidenceRefused(MACROS)
                tail = chunk[-32:]
