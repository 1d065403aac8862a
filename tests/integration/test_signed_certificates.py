"""Certificates as the service issues, serves and re-signs them: each signed by the issuer
(PAdES), and signed again by `flask regenerate-certificates` when the issuer's key changes."""

from __future__ import annotations

import sqlalchemy as sa

from marks.awarding import signing
from marks.extensions import db
from marks.models import Certificate
from marks.scheme import issuer
from tests.helpers.signing import (
    authority_in_use,
    pdfsig,
    signature_dictionary,
    trusting,
    validated,
)


def test_an_issued_certificate_is_signed_by_the_issuer(client, award, tmp_path):
    response = client.get(f"/certificates/{award.certificate_number}.pdf")

    assert response.status_code == 200
    status = validated(response.data, authority_in_use())
    assert status.intact and status.valid and status.trusted
    assert signature_dictionary(response.data)["Name"] == issuer.current().name
    said = pdfsig(response.data, tmp_path, trusting(authority_in_use(), tmp_path / "nss"))
    assert "Signature Validation: Signature is Valid." in said
    assert "Certificate Validation: Certificate is Trusted." in said


def test_a_new_key_has_every_certificate_signed_again(app, runner, award, monkeypatch, tmp_path):
    stored = db.session.scalar(sa.select(Certificate))
    db.session.commit()
    assert (
        "0 certificates rendered, 1 unchanged"
        in runner.invoke(args=["regenerate-certificates"]).output
    )

    renewed = signing.make_authority(tmp_path / "renewed", "Renewed issuer")
    for name, value in renewed.settings().items():
        monkeypatch.setitem(app.config, name, value)
    result = runner.invoke(args=["regenerate-certificates"])

    assert result.exit_code == 0, result.output
    assert "Certificates" in result.output  # the progress bar's label
    assert "1 certificates rendered, 0 unchanged" in result.output
    db.session.refresh(stored)
    assert validated(stored.pdf, renewed).bottom_line
    assert not validated(stored.pdf, authority_in_use()).trusted
    again = runner.invoke(args=["regenerate-certificates"])
    assert "0 certificates rendered, 1 unchanged" in again.output
