"""The Bitstring Status List (W3C Bitstring Status List v1.0) of the Open Badges 3.0
credentials: a bit per award, set when the award is revoked, published as a credential signed
like the awards' own, so that a verifier learns of a revocation without telling the issuer
which credential it checks."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import sqlalchemy as sa

from marks import mail
from marks.awarding import awards, data_integrity, did
from marks.extensions import db
from marks.models import Award
from marks.states import AwardState

# The least the specification allows (16 KB): a list this long hides which bit a verifier
# reads among many.
LIST_BITS = 131072
PURPOSE = "revocation"


def place(index: int) -> tuple[int, int]:
    """The list (numbered from 1) and the bit in it of an award's status index."""
    return index // LIST_BITS + 1, index % LIST_BITS


def list_url(number: int) -> str:
    return mail.link("public.ob_status_list", number=number)


def entry(index: int) -> dict[str, Any]:
    """The credentialStatus of the award at this status index."""
    number, bit = place(index)
    url = list_url(number)
    return {
        "id": f"{url}#{bit}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(bit),
        "statusListCredential": url,
    }


def encoded(bits: set[int]) -> str:
    """The list's encodedList: multibase base64url (no padding) of the GZIP of the bitstring,
    bit 0 the leftmost of the first byte."""
    data = bytearray(LIST_BITS // 8)
    for bit in bits:
        data[bit // 8] |= 0x80 >> (bit % 8)
    # mtime=0: the same revocations make the same bytes.
    packed = gzip.compress(bytes(data), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def decoded(encoded_list: str) -> bytes:
    """The bitstring of an encodedList (the tests' verifier reads it)."""
    text = encoded_list.removeprefix("u")
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def is_set(bitstring: bytes, bit: int) -> bool:
    return bool(bitstring[bit // 8] & (0x80 >> (bit % 8)))


def revoked_bits(number: int) -> set[int]:
    """The bits of list `number` that are set: its revoked awards'."""
    table = Award.__table__
    index = awards.status_index(table)
    first = (number - 1) * LIST_BITS
    rows = db.session.scalars(
        sa.select(index).where(
            table.c.state == AwardState.REVOKED.value,
            index >= first,
            index < first + LIST_BITS,
        )
    )
    return {value - first for value in rows}


def exists(number: int) -> bool:
    """Whether list `number` holds any award's bit (the first always exists)."""
    if number == 1:
        return True
    if number < 1:
        return False
    first = (number - 1) * LIST_BITS
    index = awards.status_index(Award.__table__)
    return db.session.scalar(sa.select(sa.exists().where(index >= first))) or False


def credential(number: int) -> dict[str, Any]:
    """The BitstringStatusListCredential of list `number`, signed by the issuer."""
    url = list_url(number)
    document = {
        "@context": [data_integrity.VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did.issuer_did(),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encoded(revoked_bits(number)),
        },
    }
    return data_integrity.sign(document, did.signing_key(), did.verification_method())
