"""The app's Open Badges 3.0 credentials, checked by software nobody here wrote: the Digital
Credentials Consortium's verifier (tests/helpers/verifier.py) against the running app, which
alone serves the issuer's DID document and the status list. A current award's credential
verifies; a revoked award's verifies as signed but reports revoked; a credential with a claim
or its signature changed fails; and a credential saved before its award is revoked reports
the revocation afterwards, from the status list alone. Here with the browser tests, which
serve the app for real (no browser is driven)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from marks.awarding import awards
from marks.extensions import db
from marks.models import Award
from marks.people import users
from marks.states import AwardStatus
from tests.browser.conftest import LiveServer, serving
from tests.helpers.verifier import verify

CREDENTIAL_TYPES = {"application/vc+ld+json", "application/ld+json"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own: a test here revokes an award."""
    with serving(tmp_path_factory, "credentials") as server:
        yield server


def did_of(live: LiveServer) -> str:
    """did:web:<host>, the port's colon percent-encoded, as the contract says."""
    return "did:web:" + urlsplit(live.url).netloc.replace(":", "%3A")


def numbers_by_status(live: LiveServer) -> dict[AwardStatus, str]:
    """A certificate number of each status the demo has, the first of each."""
    found: dict[AwardStatus, str] = {}
    with live.app.app_context():
        for award in db.session.scalars(sa.select(Award).order_by(Award.id)):
            found.setdefault(awards.status(award), award.certificate_number)
        db.session.remove()
    return found


def credential(live: LiveServer, number: str) -> dict[str, Any]:
    response = requests.get(f"{live.url}/ob/credentials/{number}.json", timeout=30)
    assert response.status_code == 200, (number, response.status_code, response.text[:500])
    assert response.headers["Content-Type"].split(";")[0] in CREDENTIAL_TYPES
    return response.json()


def one_character_changed(text: str) -> str:
    return text[:-1] + ("b" if text[-1] == "a" else "a")


def with_claim_changed(original: dict[str, Any]) -> dict[str, Any]:
    """The achievement's name (what the council was awarded), one character changed."""
    changed = copy.deepcopy(original)
    achievement = changed["credentialSubject"]["achievement"]
    achievement["name"] = one_character_changed(achievement["name"])
    return changed


def with_signature_changed(original: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(original)
    changed["proof"]["proofValue"] = one_character_changed(changed["proof"]["proofValue"])
    return changed


def test_the_did_document_names_the_key_that_signs(live: LiveServer):
    did = did_of(live)
    response = requests.get(f"{live.url}/.well-known/did.json", timeout=30)
    assert response.status_code == 200, response.text[:500]
    document = response.json()
    assert document["id"] == did
    (method,) = document["verificationMethod"]
    assert method["id"] == f"{did}#key-1"
    assert method["type"] == "Multikey"
    assert method["controller"] == did
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert document["assertionMethod"] == [f"{did}#key-1"]


def test_current_and_revoked_awards_verify_and_tampered_ones_fail(live: LiveServer):
    numbers = numbers_by_status(live)
    current = credential(live, numbers[AwardStatus.CURRENT])
    revoked = credential(live, numbers[AwardStatus.REVOKED])
    did = did_of(live)
    for each in (current, revoked):
        assert each["issuer"]["id"] == did
        assert each["proof"]["verificationMethod"] == f"{did}#key-1"
        assert each["credentialStatus"]["statusListCredential"] == f"{live.url}/ob/status/1.json"
    assert (
        revoked["credentialStatus"]["statusListIndex"]
        != (current["credentialStatus"]["statusListIndex"])
    )

    good, bad, new_claim, new_signature = verify(
        [current, revoked, with_claim_changed(current), with_signature_changed(current)],
        live.url,
    )
    assert good.verified and not good.revoked and good.errors == [], good
    assert bad.verified and bad.revoked, bad
    assert not new_claim.verified, new_claim
    assert not new_signature.verified, new_signature
    assert "Invalid signature." in new_claim.errors + new_signature.errors


def test_a_revocation_shows_in_a_credential_saved_before_it(live: LiveServer):
    """The credential a council downloaded yesterday is not asked for again: the status list
    the app publishes says it is revoked."""
    number = numbers_by_status(live)[AwardStatus.CURRENT]
    saved = credential(live, number)
    (before,) = verify([saved], live.url)
    assert before.verified and not before.revoked, before

    with live.app.app_context():
        admin = users.find_user(live.admin_email)
        awards.revoke(awards.find(number), "Revoked for the verifier's test", actor=admin)
        db.session.commit()
        db.session.remove()

    served_now = credential(live, number)  # still served, with the same status entry
    assert served_now["credentialStatus"] == saved["credentialStatus"]
    after, served = verify([saved, served_now], live.url)
    assert after.verified and after.revoked, after
    assert served.verified and served.revoked, served
