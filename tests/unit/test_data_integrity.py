"""The eddsa-rdfc-2022 Data Integrity proofs: the specification's own example reproduced byte
for byte, a proof that fails when anything signed changes, and contexts only from the local
copies."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa as rsa_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyld import jsonld

from marks.awarding import data_integrity as di
from marks.awarding import did, status_list

# W3C Data Integrity EdDSA Cryptosuites v1.0, the eddsa-rdfc-2022 example (its TestVectors:
# keyPair.json, eddsa-rdfc-2022/signedDataInt.json).
SPEC_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_SECRET_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_PROOF_VALUE = (
    "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9"
)
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
SPEC_LOADER = di.document_loader(
    {EXAMPLES_V2: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}
)
SPEC_DOCUMENT = {
    "@context": [di.VC_V2, EXAMPLES_V2],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}


def test_the_specifications_example_is_signed_as_it_says():
    key = di.private_key_from_multibase(SPEC_SECRET_KEY)
    assert di.public_key_multibase(key.public_key()) == SPEC_PUBLIC_KEY
    signed = di.sign(
        SPEC_DOCUMENT,
        key,
        f"https://vc.example/issuers/5678#{SPEC_PUBLIC_KEY}",
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
        loader=SPEC_LOADER,
    )
    assert signed["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": f"https://vc.example/issuers/5678#{SPEC_PUBLIC_KEY}",
        "proofPurpose": "assertionMethod",
        "created": "2023-02-24T23:36:38Z",
        "proofValue": SPEC_PROOF_VALUE,
    }
    public = di.public_key_from_multibase(SPEC_PUBLIC_KEY)
    assert di.verify(signed, public, SPEC_LOADER)


def test_a_proof_fails_when_anything_signed_changes():
    key = di.private_key_from_multibase(SPEC_SECRET_KEY)
    method = f"https://vc.example/issuers/5678#{SPEC_PUBLIC_KEY}"
    signed = di.sign(SPEC_DOCUMENT, key, method, loader=SPEC_LOADER)
    public = key.public_key()
    assert di.verify(signed, public, SPEC_LOADER)
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["alumniOf"] = "Another School"
    assert not di.verify(changed, public, SPEC_LOADER)
    moved = copy.deepcopy(signed)
    moved["proof"]["verificationMethod"] = "https://vc.example/issuers/9999#key"
    assert not di.verify(moved, public, SPEC_LOADER)
    forged = copy.deepcopy(signed)
    forged["proof"]["proofValue"] = SPEC_PROOF_VALUE
    assert not di.verify(forged, public, SPEC_LOADER)
    assert not di.verify(signed, Ed25519PrivateKey.generate().public_key(), SPEC_LOADER)


def test_contexts_come_only_from_the_local_copies():
    loader = di.document_loader()
    assert loader(di.VC_V2)["document"]["@context"]["@protected"] is True
    assert "OpenBadgeCredential" in loader(di.OB_V3)["document"]["@context"]
    for url in (EXAMPLES_V2, "https://example.org/context.json", "file:///etc/passwd"):
        with pytest.raises(di.ContextRefused):
            loader(url)
    # ... and so is a document that names another: nothing is fetched.
    with pytest.raises(jsonld.JsonLdError):
        di.canonical({**SPEC_DOCUMENT, "@context": [di.VC_V2, "https://evil.example/ctx"]})


def test_a_term_no_context_defines_is_left_out_of_what_is_signed():
    """Why the credentials use only the contexts' terms (test_credentials checks that every
    value in one is signed): JSON-LD drops a term it cannot expand."""
    quads = di.canonical({"@context": [di.VC_V2], "type": "VerifiableCredential", "nick": "x"})
    assert "nick" not in quads


@pytest.mark.parametrize("data", [b"", b"\0\0abc", bytes(range(256)), b"\xff" * 40])
def test_base58btc_round_trips(data):
    assert di.from_base58btc(di.base58btc(data)) == data


def test_the_status_list_is_a_gzipped_bitstring_read_from_the_left():
    encoded = status_list.encoded({0, 9, status_list.LIST_BITS - 1})
    assert encoded.startswith("u") and "=" not in encoded
    bits = status_list.decoded(encoded)
    assert len(bits) * 8 == status_list.LIST_BITS == 131072
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert [status_list.is_set(bits, i) for i in (0, 1, 8, 9)] == [True, False, False, True]
    assert status_list.place(5) == (1, 5)
    assert status_list.place(status_list.LIST_BITS + 3) == (2, 3)


def test_production_refuses_a_credential_key_it_cannot_use(tmp_path):
    assert "is not set" in did.settings_problem({})
    missing = did.settings_problem({"CREDENTIAL_SIGNING_KEY": str(tmp_path / "none.pem")})
    assert missing.startswith("CREDENTIAL_SIGNING_KEY names a file that cannot be read")
    rsa = tmp_path / "rsa.pem"
    rsa.write_bytes(
        rsa_key.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    refused = did.settings_problem({"CREDENTIAL_SIGNING_KEY": str(rsa)})
    assert refused == "CREDENTIAL_SIGNING_KEY is not an Ed25519 private key in a PEM file."
    good = tmp_path / "ed25519.pem"
    did.make_key(good)
    assert did.settings_problem({"CREDENTIAL_SIGNING_KEY": str(good)}) is None
