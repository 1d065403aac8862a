"""The scheme's issuer as the tests set it: every test database starts with it set
(tests/conftest.py reset_database), as approving needs it; pictures to upload."""

from __future__ import annotations

import struct
import zlib

from marks.extensions import db
from marks.models import SchemeSettings
from marks.scheme import issuer
from marks.scheme.issuer import COLUMNS

TEST_ISSUER = {
    "name": "Testshire Association of Councils",
    "address": "1 Test Street\nTestbury\nTB1 1TT",
    "website": "https://www.testshire.example.org",
    "contact_email": "mark@testshire.example.org",
    "description": "The Mark recognises councils that use social media well.",
    "signatory_name": "Sam Signer",
    "signatory_title": "Chair of the Mark’s panel",
    "hashtag": "#SocialMediaFriendly",
}

LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" width="40" height="40">'
    b'<circle cx="20" cy="20" r="18" fill="#1d70b8"/></svg>'
)

# A logo with its name beside it, as wide as many organisations' are.
WIDE_LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 60" width="400" height="60">'
    b'<rect width="60" height="60" fill="#00703c"/>'
    b'<text x="70" y="40" font-size="30">Testshire Association</text></svg>'
)


def png(width: int = 2, height: int = 2) -> bytes:
    """A small, real PNG: grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def set_test_issuer() -> None:
    """Set the test issuer, as a fresh database's row: no audit event, no one who changed it
    (the tests that count events see only their own)."""
    db.session.add(
        SchemeSettings(id=1, **{COLUMNS[name]: value for name, value in TEST_ISSUER.items()})
    )
    db.session.flush()


def clear_issuer() -> None:
    """Nothing about the issuer set, as on a new server."""
    issuer.update(
        actor=None, remove_logo=True, remove_signature=True, **dict.fromkeys(TEST_ISSUER, "")
    )
