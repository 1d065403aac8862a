"""The issuer's signature on certificate PDFs: checked by poppler's pdfsig (what PDF readers
built on poppler show) and by pyHanko's validator, intact and after one byte is changed;
the signer's fields with hostile names; the keys from PEM files or a PKCS#12 file; and the
settings that production refuses."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import pytest

from marks.awarding import awards, certificates, signing
from marks.config import ConfigurationError, check
from tests.helpers.pdfs import SAMPLE as PRINTED
from tests.helpers.pdfs import text_of
from tests.helpers.signing import (
    AUTHORITY_NAME,
    authority_in_use,
    pdfsig,
    pkcs12_settings,
    signature_dictionary,
    trusting,
    validated,
)
from tests.helpers.signing_keys import credential_signing_key
from tests.hostile import EVERY, combined

SAMPLE = dataclasses.replace(PRINTED, issuer_name="Local Government Digital Association")
PASSWORD = "pkcs12-password-7f3a"


@pytest.fixture(scope="module")
def signed(app) -> bytes:
    with app.test_request_context():
        return awards.signed_pdf(SAMPLE)


def tampered(pdf: bytes) -> bytes:
    """One bit of one byte of the signed content changed: in the first stream's data (the
    page's drawing), so that the file still reads as a PDF."""
    at = pdf.index(b"stream\n") + 20
    return pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1 :]


def test_pdfsig_finds_the_signature_valid_and_the_issuer_trusted(signed, tmp_path):
    said = pdfsig(signed, tmp_path, trusting(authority_in_use(), tmp_path / "nss"))

    assert "Signature Validation: Signature is Valid." in said
    assert "Certificate Validation: Certificate is Trusted." in said
    assert "Signature Type: ETSI.CAdES.detached" in said  # PAdES
    assert "Total document signed" in said
    assert f"Signer Certificate Common Name: {AUTHORITY_NAME} certificates" in said
    assert re.search(r"Signing Time: \w{3} \d{2} \d{4}", said)


def test_pdfsig_finds_it_intact_but_untrusted_without_the_authority(signed, tmp_path):
    stranger = signing.make_authority(tmp_path / "stranger", "Someone else")
    said = pdfsig(signed, tmp_path, trusting(stranger, tmp_path / "nss"))

    assert "Signature Validation: Signature is Valid." in said
    assert "Certificate Validation: Certificate issuer isn't Trusted." in said


def test_pdfsig_finds_a_changed_byte(signed, tmp_path):
    said = pdfsig(tampered(signed), tmp_path, trusting(authority_in_use(), tmp_path / "nss"))

    assert "Signature Validation: Digest Mismatch." in said
    assert "Signature is Valid" not in said


def test_it_signs_where_an_event_loop_runs_already(app, tmp_path):
    """As in the browser tests, whose driver runs one in the thread that seeds the demo:
    pyHanko's own sign_pdf cannot (asyncio.run inside a running loop)."""

    async def inside_a_loop() -> bytes:
        with app.test_request_context():
            return awards.signed_pdf(SAMPLE)

    said = pdfsig(asyncio.run(inside_a_loop()), tmp_path, trusting(authority_in_use(), tmp_path))
    assert "Signature Validation: Signature is Valid." in said


def test_pyhankos_validator_finds_it_intact_trusted_and_the_whole_file(signed):
    status = validated(signed, authority_in_use())

    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.signer_reported_dt is not None


def test_pyhankos_validator_finds_a_changed_byte(signed):
    status = validated(tampered(signed), authority_in_use())

    assert not status.intact
    assert not status.bottom_line


def test_pyhankos_validator_does_not_trust_another_authority(signed, tmp_path):
    status = validated(signed, signing.make_authority(tmp_path, "Someone else"))

    assert status.intact and status.valid
    assert not status.trusted


def test_the_signature_names_the_issuer_the_reason_and_the_service(signed):
    fields = signature_dictionary(signed)

    assert fields["Name"] == "Local Government Digital Association"
    assert fields["Reason"] == signing.REASON
    assert fields["Location"] == "http://marks.test"
    assert fields["M"].startswith("D:20")  # the signing time


def test_signing_keeps_what_the_certificate_prints(app, signed):
    with app.app_context():
        unsigned = certificates.render_pdf(SAMPLE)

    assert signed.startswith(unsigned)  # an incremental update: every byte before it kept
    assert text_of(signed) == text_of(unsigned)


def test_hostile_issuer_names_are_the_signers_name_as_they_are(app, tmp_path):
    with app.test_request_context():
        for name in EVERY:
            pdf = awards.signed_pdf(dataclasses.replace(SAMPLE, issuer_name=name))
            assert signature_dictionary(pdf)["Name"] == name, name
            assert validated(pdf, authority_in_use()).bottom_line, name
        pdf = awards.signed_pdf(dataclasses.replace(SAMPLE, issuer_name=combined()))

    said = pdfsig(pdf, tmp_path, trusting(authority_in_use(), tmp_path / "nss"))
    assert "Signature Validation: Signature is Valid." in said
    assert "Certificate Validation: Certificate is Trusted." in said


def test_a_pkcs12_file_and_its_password_sign_alike(app, tmp_path):
    authority = authority_in_use()
    settings = pkcs12_settings(authority, tmp_path / "issuer.p12", PASSWORD)
    with app.test_request_context():
        for name, value in settings.items():
            app.config[name] = value
        try:
            pdf = awards.signed_pdf(SAMPLE)
            wrong = {**settings, "CERTIFICATE_SIGNING_PASSWORD": "not-the-password"}
            problem = signing.settings_problem(wrong)
        finally:
            app.config.update(authority.settings(), CERTIFICATE_SIGNING_PKCS12=None)
            app.config["CERTIFICATE_SIGNING_PASSWORD"] = None

    assert validated(pdf, authority).bottom_line
    assert "could not be read" in problem and "password" in problem
    assert PASSWORD not in problem and "not-the-password" not in problem


def production(**settings) -> dict:
    return {
        "MARKS_ENV": "production",
        "SECRET_KEY": "5f0c6b1e0d9a4c27b3e8f6a1d2c4b7e9a0f3d6c8b1e4a7d0c3f6b9e2a5d8c1f4",
        "MAIL_BACKEND": "smtp",
        "CREDENTIAL_SIGNING_KEY": credential_signing_key(),  # not this test's
        **settings,
    }


def test_production_refuses_to_start_without_a_signing_key():
    with pytest.raises(ConfigurationError, match="No key to sign certificates with") as refused:
        check(production())
    [problem] = refused.value.problems
    assert "CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT" in problem
    assert "CERTIFICATE_SIGNING_PKCS12" in problem and "CERTIFICATE_SIGNING_PASSWORD" in problem
    # A key without its certificate is no key.
    with pytest.raises(ConfigurationError, match="No key to sign certificates with"):
        check(production(CERTIFICATE_SIGNING_KEY=str(authority_in_use().key)))
    check(production(**authority_in_use().settings()))


def test_production_refuses_keys_it_cannot_read_without_quoting_them(tmp_path):
    authority = authority_in_use()
    missing = production(**{**authority.settings(), "CERTIFICATE_SIGNING_KEY": "/nowhere.pem"})
    with pytest.raises(ConfigurationError, match=r"^CERTIFICATE_SIGNING_KEY names a file that"):
        check(missing)

    other = signing.make_authority(tmp_path, "Another")
    mismatched = production(**{**authority.settings(), "CERTIFICATE_SIGNING_KEY": str(other.key)})
    with pytest.raises(ConfigurationError, match="do not belong together") as refused:
        check(mismatched)
    assert "PRIVATE KEY" not in str(refused.value)

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n")
    broken = production(**{**authority.settings(), "CERTIFICATE_SIGNING_KEY": str(garbage)})
    with pytest.raises(ConfigurationError, match="could not be read") as refused:
        check(broken)
    assert "c2VjcmV0" not in str(refused.value)


def test_development_makes_its_own_authority_once(app, tmp_path, monkeypatch):
    with app.app_context():
        monkeypatch.setattr(app, "instance_path", str(tmp_path))
        for name in ("CERTIFICATE_SIGNING_KEY", "CERTIFICATE_SIGNING_CERT"):
            monkeypatch.setitem(app.config, name, None)
        monkeypatch.setitem(app.config, "MARKS_ENV", "development")
        first = signing.issuer()
        again = signing.issuer()
        made = signing.Authority(tmp_path / signing.DEVELOPMENT_FOLDER)

        assert first is again
        assert made.key.stat().st_mode & 0o077 == 0  # its owner's alone
        with app.test_request_context():
            status = validated(awards.signed_pdf(SAMPLE), made)
        assert status.bottom_line

        # Anywhere but development, no settings: no signing (and no authority made).
        monkeypatch.setitem(app.config, "MARKS_ENV", "production")
        with pytest.raises(signing.SigningUnavailable, match="No key to sign"):
            signing.issuer()
