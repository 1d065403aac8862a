"""The issuer's signature on certificate PDFs: PAdES baseline B-B (pyHanko), with the signing
time, the issuer's name as the signer, the reason and the service as the location. A reader
shows it as valid when it trusts the issuer's certificate, and as broken after any change.

The key and certificate come from the settings: CERTIFICATE_SIGNING_KEY and
CERTIFICATE_SIGNING_CERT (PEM files; the certificate file may hold its chain after it), or
CERTIFICATE_SIGNING_PKCS12 with CERTIFICATE_SIGNING_PASSWORD (from the environment only).
Development, with neither, makes a certificate authority of its own, and a signing
certificate it issues, once, in the instance folder (make_authority). Production refuses to
start without them (config.problems_with calls settings_problem). Nothing here logs or quotes
a key or a password.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app

with warnings.catch_warnings():
    # pyHanko imports cryptography's DSA, which cryptography now calls deprecated; we sign
    # with RSA (or whatever the issuer's certificate says), never DSA.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

REASON = "Certificate of the Social Media Friendly Mark, issued by the signer"
FIELD_NAME = "IssuerSignature"
SETTINGS = (
    "CERTIFICATE_SIGNING_KEY",
    "CERTIFICATE_SIGNING_CERT",
    "CERTIFICATE_SIGNING_PKCS12",
    "CERTIFICATE_SIGNING_PASSWORD",
)
# Development's own authority, in the instance folder (never used in production).
DEVELOPMENT_FOLDER = "certificate-signing"
AUTHORITY_FILE = "authority.pem"
KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"  # the signing certificate, then the authority's


class SigningUnavailable(RuntimeError):
    """The signing key or certificate cannot be read: what to set, never the secret itself."""


@dataclass(frozen=True)
class Issuer:
    """The loaded key and certificate chain, and the signing certificate's SHA-256, which
    names it in each certificate's fingerprint (a new key: every certificate signed again)."""

    signer: _KeptKeySigner
    certificate_sha256: str
    chain_bytes: int  # the certificates' DER, which the signature carries

    @property
    def signature_bytes(self) -> int:
        """Room for the signature (CMS, written in hexadecimal: two characters a byte): its
        certificates, the signature value, the signed attributes and some to spare. Reserved
        at once rather than measured by a trial signature, which pyHanko would otherwise make
        every time (half the cost)."""
        return 2 * (self.chain_bytes + 4096)


def settings_problem(config: dict[str, Any]) -> str | None:
    """What is wrong with the signing settings for production, in a sentence, or None."""
    if not _configured(config):
        return (
            "No key to sign certificates with: set CERTIFICATE_SIGNING_KEY and "
            "CERTIFICATE_SIGNING_CERT to the paths of the PEM files of the issuer's private "
            "key and certificate (with its chain), or CERTIFICATE_SIGNING_PKCS12 to a PKCS#12 "
            "file's path and CERTIFICATE_SIGNING_PASSWORD to its password (docs/deploy.md, "
            '"The certificate signing key").'
        )
    try:
        _load(config)
    except SigningUnavailable as error:
        return str(error)
    return None


def issuer() -> Issuer:
    """The current app's signing key and certificate, read once per change of the files."""
    config = current_app.config
    if not _configured(config):
        if config.get("MARKS_ENV") != "development":
            raise SigningUnavailable(settings_problem(config))
        config = {**config, **development_settings(Path(current_app.instance_path))}
    return _load(config)


def sign(pdf: bytes, *, signed_by: str, location: str) -> bytes:
    """The PDF with the issuer's signature added as an incremental update, which leaves every
    byte before it (the tagged structure, the QR code) as it was. `signed_by` is the issuer's
    name, shown by readers as the signer; `location` is the service's address."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=REASON,
        location=location,
        name=signed_by or None,
    )
    # An invisible field whose widget is hidden: PDF/UA-1 needs no tag for it.
    field = fields.SigFieldSpec(
        FIELD_NAME,
        invis_sig_settings=fields.InvisSigSettings(
            set_print_flag=False, set_hidden_flag=True, box_out_of_bounds=False
        ),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signing = issuer()

    def signed() -> bytes:
        return asyncio.run(
            signers.async_sign_pdf(
                writer,
                meta,
                signer=signing.signer,
                new_field_spec=field,
                bytes_reserved=signing.signature_bytes,
            )
        ).getvalue()

    # pyHanko signs in a coroutine (its sign_pdf is asyncio.run of it). Where this thread runs
    # an event loop already (a caller's own, or a browser test's driver), asyncio.run cannot:
    # then the signing runs on a thread of its own.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return signed()
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(signed).result()


def _configured(config: dict[str, Any]) -> bool:
    pem = config.get("CERTIFICATE_SIGNING_KEY") and config.get("CERTIFICATE_SIGNING_CERT")
    return bool(pem or config.get("CERTIFICATE_SIGNING_PKCS12"))


# Loaded issuers by their settings and the files' modification times: a replaced file is read
# again (then `flask regenerate-certificates` signs every certificate with the new key).
_loaded: dict[tuple, Issuer] = {}
_loading = threading.Lock()


def _load(config: dict[str, Any]) -> Issuer:
    names = ("CERTIFICATE_SIGNING_PKCS12",)
    if not config.get("CERTIFICATE_SIGNING_PKCS12"):
        names = ("CERTIFICATE_SIGNING_KEY", "CERTIFICATE_SIGNING_CERT")
    paths = [Path(str(config[name])) for name in names]
    try:
        stamps = tuple((str(path), path.stat().st_mtime_ns) for path in paths)
    except OSError as error:
        raise SigningUnavailable(
            f"{_name_of(paths, names, error)} names a file that cannot be read "
            f"({error.strerror}): set it to the path of the file."
        ) from None
    # The password is part of the key (a changed one reads the file again), never kept itself.
    password = config.get("CERTIFICATE_SIGNING_PASSWORD") or ""
    key = (stamps, hashlib.sha256(password.encode()).hexdigest())
    with _loading:
        if key not in _loaded:
            _loaded.clear()  # one issuer at a time
            _loaded[key] = _read(paths, password)
        return _loaded[key]


def _name_of(paths: list[Path], names: tuple[str, ...], error: OSError) -> str:
    for path, name in zip(paths, names, strict=True):
        if error.filename == str(path):
            return name
    return " or ".join(names)


def _read(paths: list[Path], password: str) -> Issuer:
    try:
        if len(paths) == 1:
            loaded = signers.SimpleSigner.load_pkcs12(
                str(paths[0]), passphrase=password.encode() or None
            )
            if loaded is None:
                raise ValueError("not a PKCS#12 file with a key and certificate")
            signer = _KeptKeySigner(
                signing_cert=loaded.signing_cert,
                signing_key=loaded.signing_key,
                cert_registry=loaded.cert_registry,
            )
        else:
            key = load_private_key_from_pemder_data(
                paths[0].read_bytes(), passphrase=password.encode() or None
            )
            certificates = list(load_certs_from_pemder_data(paths[1].read_bytes()))
            if not certificates:
                raise ValueError("no certificate in the file")
            signer = _KeptKeySigner(
                signing_cert=certificates[0],
                signing_key=key,
                cert_registry=SimpleCertificateStore.from_certs(certificates),
            )
    except Exception as error:  # what is wrong, in a sentence, without the file's content
        which = (
            "CERTIFICATE_SIGNING_PKCS12 (with CERTIFICATE_SIGNING_PASSWORD)"
            if len(paths) == 1
            else "CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT"
        )
        raise SigningUnavailable(
            f"{which} could not be read as a private key and its certificate "
            f"({type(error).__name__}): check the files, and the password."
        ) from None
    if not _matches(signer):
        raise SigningUnavailable(
            "CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT do not belong together: the "
            "certificate file's first certificate must be the key's."
        )
    chain = sum(len(certificate.dump()) for certificate in signer.cert_registry)
    return Issuer(signer, hashlib.sha256(signer.signing_cert.dump()).hexdigest(), chain)


def _matches(signer: _KeptKeySigner) -> bool:
    public = serialization.load_der_public_key(signer.signing_cert.public_key.dump())
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return public.public_bytes(der, raw) == signer.key.public_key().public_bytes(der, raw)


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner reads its private key again for every signature, and
    cryptography checks an RSA key through whenever it reads one (some 40 ms): this reads it
    once. Its common mechanisms sign here; any other, as pyHanko does."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key = serialization.load_der_private_key(self.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            mechanism = None
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), digest)
        if mechanism == "ecdsa" and isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)


# --- An authority of one's own: development's, and the tests' ---------------------------------


@dataclass(frozen=True)
class Authority:
    """The files of a certificate authority and the signing certificate it issued."""

    folder: Path

    @property
    def authority(self) -> Path:
        return self.folder / AUTHORITY_FILE

    @property
    def key(self) -> Path:
        return self.folder / KEY_FILE

    @property
    def cert(self) -> Path:
        return self.folder / CERT_FILE

    def settings(self) -> dict[str, str]:
        return {
            "CERTIFICATE_SIGNING_KEY": str(self.key),
            "CERTIFICATE_SIGNING_CERT": str(self.cert),
        }


def development_settings(instance_path: Path) -> dict[str, str]:
    """Development's authority, made the first time it is needed. Two processes at once: each
    makes its own in a folder of its own, and the first to rename it into place wins."""
    folder = instance_path / DEVELOPMENT_FOLDER
    if not (folder / CERT_FILE).is_file():
        instance_path.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".signing-", dir=instance_path))
        make_authority(scratch, "Social Media Friendly Mark development")
        try:
            scratch.rename(folder)
        except OSError:  # another process was first
            shutil.rmtree(scratch, ignore_errors=True)
    return Authority(folder).settings()


def make_authority(
    folder: Path, name: str, *, now: datetime | None = None, years: int = 10
) -> Authority:
    """A certificate authority named `name`, and a signing certificate it issues, as PEM files
    in `folder` (the key readable by its owner alone)."""
    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    authority_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    authority_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} certificate authority"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        ]
    )
    authority = (
        _builder(authority_name, authority_name, authority_key.public_key(), now, years)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .sign(authority_key, hashes.SHA256())
    )
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} certificates"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        ]
    )
    signing = (
        _builder(signing_name, authority_name, signing_key.public_key(), now, years)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, content_commitment=True),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )
    made = Authority(folder)
    pem = serialization.Encoding.PEM
    made.authority.write_bytes(authority.public_bytes(pem))
    made.cert.write_bytes(signing.public_bytes(pem) + authority.public_bytes(pem))
    made.key.touch(mode=0o600)
    made.key.write_bytes(
        signing_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return made


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    """A key usage extension that allows what is named, and nothing else."""
    uses = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{use: allowed.get(use, False) for use in uses})


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key, now: datetime, years: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
