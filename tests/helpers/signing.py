"""The tests' own certificate authority, and two independent checks of a signed PDF:
poppler's pdfsig (with the authority trusted through an NSS database made by certutil) and
pyHanko's validator."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    load_pem_private_key,
    pkcs12,
)
from cryptography.x509 import load_pem_x509_certificates

from marks.awarding import signing

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator import ValidationContext

AUTHORITY_NAME = "Social Media Friendly Mark tests"


def authority_in_use() -> signing.Authority:
    """The authority whose signing certificate the suite's apps sign with (tests/conftest.py
    puts its files in the environment)."""
    return signing.Authority(Path(os.environ["CERTIFICATE_SIGNING_CERT"]).parent)


def trusting(authority: signing.Authority, folder: Path) -> Path:
    """An NSS database, for pdfsig's -nssdir, that trusts this authority to issue signers."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.fail("certutil is missing: install libnss3-tools")
    folder.mkdir(parents=True, exist_ok=True)
    database = f"sql:{folder}"
    run = [certutil, "-d", database]
    subprocess.run([*run, "-N", "--empty-password"], check=True, capture_output=True)  # noqa: S603
    subprocess.run(  # noqa: S603 (our own arguments)
        [*run, "-A", "-n", "authority", "-t", "C,C,C", "-i", str(authority.authority)],
        check=True,
        capture_output=True,
    )
    return folder


def pdfsig(pdf: bytes, folder: Path, nss: Path | None = None) -> str:
    """What poppler's pdfsig says of the PDF's signatures."""
    path = shutil.which("pdfsig")
    if path is None:
        pytest.fail("pdfsig is missing: install poppler-utils")
    (folder / "signed.pdf").write_bytes(pdf)
    options = ["-nssdir", f"sql:{nss}"] if nss else []
    done = subprocess.run(  # noqa: S603 (our own arguments)
        [path, *options, str(folder / "signed.pdf")], capture_output=True, check=False
    )
    return done.stdout.decode() + done.stderr.decode()


def validated(pdf: bytes, authority: signing.Authority) -> PdfSignatureStatus:
    """pyHanko's verdict on the PDF's one signature, with the authority as the trust root."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [signature] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(authority.authority))])
    return validate_pdf_signature(signature, context)


def signature_dictionary(pdf: bytes) -> dict[str, str]:
    """The signature's /Name, /Reason, /Location and /M, as pyHanko reads them back."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [signature] = reader.embedded_signatures
    return {
        key: str(signature.sig_object.get(f"/{key}")) for key in ("Name", "Reason", "Location", "M")
    }


def pkcs12_settings(authority: signing.Authority, path: Path, password: str) -> dict:
    """The settings that sign with the authority's key and certificate as a PKCS#12 file at
    `path`, encrypted with `password`."""
    key = load_pem_private_key(authority.key.read_bytes(), password=None)
    certificate, *chain = load_pem_x509_certificates(authority.cert.read_bytes())
    encryption = BestAvailableEncryption(password.encode())
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(b"issuer", key, certificate, chain, encryption)
    )
    return {
        "CERTIFICATE_SIGNING_KEY": None,
        "CERTIFICATE_SIGNING_CERT": None,
        "CERTIFICATE_SIGNING_PKCS12": str(path),
        "CERTIFICATE_SIGNING_PASSWORD": password,
    }
