"""The issuer's `did:web` identifier and DID document, and the Ed25519 key that signs the
Open Badges 3.0 credentials (CREDENTIAL_SIGNING_KEY, a PEM file). The DID is the service's
address (MARKS_BASE_URL) in did:web's spelling; its document, at /.well-known/did.json, holds
the key's public half, which verifiers check the credentials' proofs against."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from flask import current_app

from marks.awarding import data_integrity

KEY_ID = "key-1"
# Where development makes its own key, in the instance folder (tests set their own path).
DEVELOPMENT_KEY_FILE = "credential-signing-key.pem"


def did_web(base_url: str) -> str:
    """did:web of the service's address: the host (a port percent-encoded), then any path's
    segments after colons."""
    parts = urlsplit(base_url)
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", quote(parts.netloc, safe=""), *segments])


def issuer_did() -> str:
    return did_web(current_app.config["MARKS_BASE_URL"])


def verification_method() -> str:
    return f"{issuer_did()}#{KEY_ID}"


def make_key(path: Path) -> None:
    """A new Ed25519 key in a PEM file only its owner reads (development, tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)


def signing_key() -> Ed25519PrivateKey:
    """The key of CREDENTIAL_SIGNING_KEY; in development, one made in the instance folder the
    first time it is needed. Production refuses to start without the setting (config)."""
    setting = current_app.config.get("CREDENTIAL_SIGNING_KEY")
    if setting:
        return _key_from(str(setting))
    if current_app.config.get("MARKS_ENV") != "development":
        raise RuntimeError("CREDENTIAL_SIGNING_KEY is not set")
    path = Path(current_app.instance_path) / DEVELOPMENT_KEY_FILE
    if not path.exists():
        make_key(path)
    return _key_from(str(path))


def settings_problem(config: dict[str, Any]) -> str | None:
    """What is wrong with CREDENTIAL_SIGNING_KEY for production, in a sentence, or None."""
    setting = config.get("CREDENTIAL_SIGNING_KEY")
    if not setting:
        return (
            "CREDENTIAL_SIGNING_KEY is not set: the Open Badges 3.0 credentials could not be "
            "signed. Set it to the path of the issuer's Ed25519 private key, a PEM file "
            "(openssl genpkey -algorithm ed25519 -out /etc/marks/credential-signing-key.pem)."
        )
    try:
        _key_from(str(setting))
    except OSError as error:
        return (
            f"CREDENTIAL_SIGNING_KEY names a file that cannot be read ({error.strerror}): set "
            "it to the path of the issuer's Ed25519 private key, a PEM file."
        )
    except ValueError:  # never the key's bytes in the message
        return "CREDENTIAL_SIGNING_KEY is not an Ed25519 private key in a PEM file."
    return None


@functools.lru_cache(maxsize=4)
def _key_from(path: str) -> Ed25519PrivateKey:
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        # The message names the setting, never the key.
        raise ValueError("CREDENTIAL_SIGNING_KEY is not an Ed25519 private key")
    return key


def document() -> dict[str, Any]:
    """The DID document: the issuer's one key, a Multikey, for assertions."""
    did = issuer_did()
    method = verification_method()
    return {
        "@context": [data_integrity.DID_V1, data_integrity.MULTIKEY_V1],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": data_integrity.public_key_multibase(
                    signing_key().public_key()
                ),
            }
        ],
        "assertionMethod": [method],
    }
