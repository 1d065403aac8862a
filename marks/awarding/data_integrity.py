"""Data Integrity proofs of the `eddsa-rdfc-2022` cryptosuite (W3C Data Integrity EdDSA
Cryptosuites v1.0), as the Open Badges 3.0 credentials and their status list carry them: the
document and the proof's options canonicalised (RDFC-1.0 N-Quads), each hashed with SHA-256,
the two hashes signed with Ed25519, the signature in multibase base58btc.

The JSON-LD contexts are the service's own copies (marks/data/contexts/): nothing is fetched,
and a document that names any other context is refused."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld

CRYPTOSUITE = "eddsa-rdfc-2022"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

CONTEXTS_FOLDER = Path(__file__).resolve().parents[1] / "data" / "contexts"
# Context URL -> the file of its local copy (marks/data/contexts/README.md names their sources).
CONTEXT_FILES = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.json",
    DID_V1: "did-v1.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
}

# Multicodec prefixes of an Ed25519 key (varint 0xed and 0x1300).
ED25519_PUBLIC = b"\xed\x01"
ED25519_PRIVATE = b"\x80\x26"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class ContextRefused(jsonld.JsonLdError):
    """A document named a JSON-LD context the service has no copy of: nothing is fetched."""


def base58btc(data: bytes) -> str:
    """Bitcoin's base58, as multibase's 'z' prefix means: each leading zero byte is a '1'."""
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, digit = divmod(number, 58)
        digits = _BASE58[digit] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


def from_base58btc(text: str) -> bytes:
    number = 0
    for character in text:
        number = number * 58 + _BASE58.index(character)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multibase(data: bytes) -> str:
    return "z" + base58btc(data)


def from_multibase(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("not multibase base58btc")
    return from_base58btc(text[1:])


def public_key_multibase(key: Ed25519PublicKey) -> str:
    """The key as a Multikey's publicKeyMultibase ("z6Mk...")."""
    return multibase(ED25519_PUBLIC + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    raw = from_multibase(text)
    if not raw.startswith(ED25519_PUBLIC) or len(raw) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_from_multibase(text: str) -> Ed25519PrivateKey:
    raw = from_multibase(text)
    if not raw.startswith(ED25519_PRIVATE) or len(raw) != 34:
        raise ValueError("not an Ed25519 secret Multikey")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


@functools.cache
def _context(url: str) -> dict[str, Any]:
    return json.loads((CONTEXTS_FOLDER / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def context_bytes(url: str) -> bytes | None:
    """The exact bytes of the local copy of a context, or None for one the service has not."""
    name = CONTEXT_FILES.get(url)
    return (CONTEXTS_FOLDER / name).read_bytes() if name else None


def document_loader(
    extra: Mapping[str, dict[str, Any]] | None = None,
):
    """A pyld document loader that serves the local contexts (and `extra`, for the tests' spec
    examples) and refuses every other URL."""

    def load(url: str, options: dict | None = None) -> dict[str, Any]:
        if extra and url in extra:
            document = extra[url]
        elif url in CONTEXT_FILES:
            document = _context(url)
        else:
            raise ContextRefused(
                f"No local copy of the JSON-LD context {url!r}: nothing is fetched",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document)}

    return load


_LOCAL = document_loader()


def canonical(document: Mapping[str, Any], loader=None) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document."""
    return jsonld.normalize(
        dict(document),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": loader or _LOCAL,
        },
    )


def _hash_data(document: Mapping[str, Any], options: Mapping[str, Any], loader) -> bytes:
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {**options, "@context": document["@context"]}
    return (
        hashlib.sha256(canonical(config, loader).encode()).digest()
        + hashlib.sha256(canonical(unsecured, loader).encode()).digest()
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sign(
    document: Mapping[str, Any],
    key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | None = None,
    loader=None,
) -> dict[str, Any]:
    """The document with a DataIntegrityProof (eddsa-rdfc-2022, assertionMethod) added."""
    options: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    if created is not None:
        options = {**options, "created": _utc(created)}
    signature = key.sign(_hash_data(document, options, loader))
    return {**document, "proof": {**options, "proofValue": multibase(signature)}}


def verify(document: Mapping[str, Any], key: Ed25519PublicKey, loader=None) -> bool:
    """Whether the document's eddsa-rdfc-2022 proof is a signature of it by this key."""
    proof = document.get("proof")
    if not isinstance(proof, Mapping) or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        signature = from_multibase(str(proof.get("proofValue", "")))
        key.verify(signature, _hash_data(document, options, loader))
    except (InvalidSignature, ValueError):
        return False
    return True
