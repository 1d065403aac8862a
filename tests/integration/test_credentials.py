"""Open Badges 3.0 over HTTP: each award's credential verifies against the key in the issuer's
DID document, and fails when anything in it changes; the status list says which are revoked;
caches, CORS and unknown numbers answered as the contract says."""

from __future__ import annotations

import copy
import json

import pytest

from marks.awarding import awards, data_integrity, did, status_list
from tests.hostile import EVERY


@pytest.fixture
def award(make):
    make.demo_edition()
    return make.award()


def _did_key(client):
    document = client.get("/.well-known/did.json").get_json()
    method = document["verificationMethod"][0]
    assert document["assertionMethod"] == [method["id"]]
    return method["id"], data_integrity.public_key_from_multibase(method["publicKeyMultibase"])


def _verified(client, credential) -> bool:
    method, key = _did_key(client)
    return credential["proof"]["verificationMethod"] == method and data_integrity.verify(
        credential, key
    )


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("@context", "proof"):
                yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for number, value in enumerate(node):
            yield from _leaves(value, (*path, number))
    else:
        yield path


def test_a_credential_verifies_with_the_did_documents_key_and_says_what_it_should(client, award):
    response = client.get(f"/ob/credentials/{award.certificate_number}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    credential = json.loads(response.get_data(as_text=True))
    assert credential["@context"] == [data_integrity.VC_V2, data_integrity.OB_V3]
    assert credential["issuer"]["id"] == "did:web:marks.test"
    proof = credential["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == "did:web:marks.test#key-1"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["proofValue"].startswith("z")
    subject = credential["credentialSubject"]
    identities = {i["identityType"]: i["identityHash"] for i in subject["identifier"]}
    assert identities == {"identifier": award.council.gss_code, "name": award.council.name}
    assert award.level.name in subject["achievement"]["name"]
    assert subject["achievement"]["criteria"]["id"] == "http://marks.test/criteria"
    assert credential["validFrom"].startswith(award.awarded_on.isoformat())
    assert credential["validUntil"].startswith(award.expires_on.isoformat())
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(award.status_index)
    assert status["statusListCredential"] == "http://marks.test/ob/status/1.json"
    assert _verified(client, credential)


def test_a_credential_fails_when_any_value_in_it_or_its_proof_changes(client, award):
    credential = client.get(f"/ob/credentials/{award.certificate_number}.json").get_json()
    level = copy.deepcopy(credential)
    level["credentialSubject"]["achievement"]["name"] += " with distinction"
    assert not _verified(client, level)
    forged = copy.deepcopy(credential)
    forged["proof"]["proofValue"] = "z" + "1" * 86
    assert not _verified(client, forged)
    # Every value is signed: none is a term the contexts leave out.
    for path in _leaves(credential):
        changed = copy.deepcopy(credential)
        *parents, last = path
        node = changed
        for step in parents:
            node = node[step]
        node[last] = f"{node[last]}x" if not isinstance(node[last], bool) else not node[last]
        assert not _verified(client, changed), path


def test_a_revoked_awards_bit_is_set_and_a_current_ones_is_not(client, make, award):
    other = make.award()
    awards.revoke(other, "The council blocked social media", actor=make.administrator())
    revoked = client.get(f"/ob/credentials/{other.certificate_number}.json")
    assert revoked.status_code == 200  # still served: its status says revoked
    status = client.get("/ob/status/1.json")
    assert status.headers["Access-Control-Allow-Origin"] == "*"
    listed = status.get_json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert _verified(client, listed)
    bits = status_list.decoded(listed["credentialSubject"]["encodedList"])
    for held, expected in ((award, False), (other, True)):
        entry = client.get(f"/ob/credentials/{held.certificate_number}.json").get_json()
        index = int(entry["credentialStatus"]["statusListIndex"])
        assert status_list.is_set(bits, index) is expected


def test_unknown_numbers_and_lists_are_not_found(client, award):
    assert client.get("/ob/credentials/SMFM-2026-99999.json").status_code == 404
    assert client.get("/ob/status/2.json").status_code == 404
    assert client.get("/ob/status/0.json").status_code == 404


@pytest.mark.parametrize(
    "url", ["/ob/credentials/{number}.json", "/ob/status/1.json", "/.well-known/did.json"]
)
def test_an_unchanged_copy_is_answered_304(client, award, url):
    url = url.format(number=award.certificate_number)
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.data == b""
    # Verifiers in browsers read the 304 as they read the 200.
    assert (
        again.headers["Access-Control-Allow-Origin"]
        == first.headers["Access-Control-Allow-Origin"]
        == "*"
    )


def test_the_did_documents_key_is_the_signing_key(app, client):
    document = client.get("/.well-known/did.json").get_json()
    assert document["id"] == "did:web:marks.test"
    with app.app_context():
        key = data_integrity.public_key_multibase(did.signing_key().public_key())
    assert document["verificationMethod"][0]["publicKeyMultibase"] == key
    assert key.startswith("z6Mk")


def test_a_port_is_percent_encoded_in_the_did():
    assert did.did_web("http://127.0.0.1:5000") == "did:web:127.0.0.1%3A5000"
    assert did.did_web("https://mark.example.org/") == "did:web:mark.example.org"


def test_hostile_council_names_stay_data_in_the_credential(client, make):
    make.demo_edition()
    for text in EVERY[:6]:
        award = make.award(make.council(name=text))
        credential = client.get(f"/ob/credentials/{award.certificate_number}.json").get_json()
        names = [i["identityHash"] for i in credential["credentialSubject"]["identifier"]]
        assert text in names
        assert _verified(client, credential)
