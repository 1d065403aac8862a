"""The independent verifier (tests/helpers/verifier.py) on the W3C's own example before it is
trusted with the app's credentials: the signed example of the Data Integrity EdDSA
Cryptosuites specification (eddsa-rdfc-2022) verifies, and it fails when a claim or the
signature is changed, or when a key's controller is not given (nothing is fetched from the
internet to find it)."""

from __future__ import annotations

import copy
from typing import Any

from tests.helpers.verifier import serving_documents, signed_examples, verify

# The signed example of https://www.w3.org/TR/vc-di-eddsa/ (appendix "Representation:
# eddsa-rdfc-2022"; w3c/vc-di-eddsa TestVectors/eddsa-rdfc-2022/signedDataInt.json), byte for
# byte in its values.
KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"  # the specification's public key
METHOD = f"did:key:{KEY}#{KEY}"
ISSUER = "https://vc.example/issuers/5678"
EXAMPLE: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": ISSUER,
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": METHOD,
        "proofPurpose": "assertionMethod",
        "proofValue": "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4"
        "K1FBTQsCZahKZme",
    },
}

# What the example leaves to the verifier: its examples context (as the W3C publishes it), its
# key, and the controller document that makes the key the issuer's (the libraries check that
# the issuer controls the key, as the app's DID document does for the app's).
EXAMPLES_CONTEXT = {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
THE_KEY = {
    "@context": "https://w3id.org/security/multikey/v1",
    "id": METHOD,
    "type": "Multikey",
    "controller": ISSUER,
    "publicKeyMultibase": KEY,
}
THE_ISSUER = {"@context": "https://www.w3.org/ns/did/v1", "id": ISSUER, "assertionMethod": [METHOD]}
DOCUMENTS = {
    "https://www.w3.org/ns/credentials/examples/v2": EXAMPLES_CONTEXT,
    METHOD: THE_KEY,
    ISSUER: THE_ISSUER,
}
# No app is asked: nothing in the example is the app's.
NO_APP = "http://127.0.0.1:9"


def changed(credential: dict[str, Any], *path: str, to: str) -> dict[str, Any]:
    copied = copy.deepcopy(credential)
    inner = copied
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = to
    return copied


def one_character_changed(text: str) -> str:
    last = text[-1]
    return text[:-1] + ("b" if last == "a" else "a")


def test_the_specifications_example_verifies_and_any_change_fails():
    claim = EXAMPLE["credentialSubject"]["alumniOf"]
    signature = EXAMPLE["proof"]["proofValue"]
    example, new_claim, new_signature = verify(
        [
            EXAMPLE,
            changed(EXAMPLE, "credentialSubject", "alumniOf", to=one_character_changed(claim)),
            changed(EXAMPLE, "proof", "proofValue", to=one_character_changed(signature)),
        ],
        NO_APP,
        DOCUMENTS,
    )
    assert example.verified and not example.revoked and example.errors == []
    assert not new_claim.verified
    assert new_claim.errors == ["Invalid signature."]
    assert not new_signature.verified
    assert new_signature.errors == ["Invalid signature."]


def test_nothing_is_fetched_that_was_not_given():
    """Without the issuer's controller document the key is not the issuer's: the verifier does
    not go to the internet for it (vc.example would answer nothing useful anyway)."""
    given = {url: document for url, document in DOCUMENTS.items() if url != ISSUER}
    (verdict,) = verify([EXAMPLE], NO_APP, given)
    assert not verdict.verified
    assert any(f'Refused to load "{ISSUER}"' in error for error in verdict.errors), verdict


def test_an_issuer_at_a_base_url_is_resolved_there_and_its_revocations_shown():
    """The app's part played by a tiny server and an issuer of the tests' own (signed with the
    same libraries): the did:web is resolved from /.well-known/did.json, the status list is
    fetched, a credential whose bit is set is signed but revoked, and a status list changed
    after signing is refused."""
    with serving_documents() as (base_url, served):
        examples = signed_examples(base_url)
        served["/.well-known/did.json"] = examples["didDocument"]
        served["/ob/status/1.json"] = examples["statusList"]
        current, revoked = verify([examples["current"], examples["revoked"]], base_url)
        assert current.verified and not current.revoked and current.errors == [], current
        assert revoked.verified and revoked.revoked and revoked.errors == [], revoked

        # The list changed after it was signed (a character of its bits), its proof kept.
        forged = copy.deepcopy(examples["statusList"])
        forged["credentialSubject"]["encodedList"] = examples["statusList"]["credentialSubject"][
            "encodedList"
        ].replace("A", "B", 1)
        served["/ob/status/1.json"] = forged
        (unrevoked,) = verify([examples["revoked"]], base_url)
        assert not unrevoked.verified, unrevoked
        assert any('"BitstringStatusListCredential" not verified' in e for e in unrevoked.errors), (
            unrevoked
        )

        # A DID other than the base URL's is not resolved.
        served.clear()
        (elsewhere,) = verify([examples["current"]], "http://127.0.0.1:9")
        assert not elsewhere.verified
        assert any("Refused to load" in e for e in elsewhere.errors), elsewhere
