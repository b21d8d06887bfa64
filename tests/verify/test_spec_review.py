"""Regressions found by a second reader against the specifications, one test each."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from did_gov import PrivateKey, Verifier
from did_gov._encoding import base58btc_encode
from did_gov._time import parse_datetime
from did_gov.dids import DefaultResolver, did_web_to_url
from did_gov.errors import CredentialError, InvalidDidError
from did_gov.jsonld import jcs
from did_gov.keys import PublicKey
from did_gov.proofs.data_integrity import add_proof, verify_proofs
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW, load_vector

ATTACKER = PrivateKey.from_seed("ed25519", b"\x01" * 32)
V2 = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]


def _web_document(did: str, key: PrivateKey, **method: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#k",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key.to_multikey(),
                **method,
            }
        ],
        "assertionMethod": [f"{did}#k"],
    }


def _signed(issuer: str, vm: str, key: PrivateKey = ATTACKER) -> dict[str, Any]:
    vc = {
        "@context": V2,
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:x", "name": "Ada"},
    }
    return add_proof(
        vc,
        key,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=vm,
        created="2025-03-01T00:00:00Z",
    )


def test_a_document_cannot_lend_its_key_to_another_did() -> None:
    # CID 1.0 §3.3: the method's controller must be the document that lists it.
    resolver = DefaultResolver()
    document = _web_document("did:web:attacker.example", ATTACKER, controller="did:web:gov.example")
    resolver.preload(document)
    vc = _signed("did:web:gov.example", "did:web:attacker.example#k")
    report = Verifier(resolver=resolver, now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not report.verified
    assert "did.vm_controller_mismatch" in {c.code for c in report.errors}


@pytest.mark.parametrize(
    ("member", "code"), [("revoked", "did.vm_revoked"), ("expires", "did.vm_expired")]
)
def test_revoked_or_expired_methods_are_refused(member: str, code: str) -> None:
    resolver = DefaultResolver()
    resolver.preload(
        _web_document("did:web:gov.example", ATTACKER, **{member: "2025-04-01T00:00:00Z"})
    )
    vc = _signed("did:web:gov.example", "did:web:gov.example#k")
    assert (
        Verifier(
            resolver=resolver, now=datetime(2025, 3, 2, tzinfo=UTC), trust=UNSAFE_TRUST_ANY_ISSUER
        )
        .verify(vc)
        .verified
    )
    report = Verifier(resolver=resolver, now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert code in {c.code for c in report.errors}


@pytest.mark.parametrize(
    "did",
    [
        "did:web:127.0.0.1",
        "did:web:evil.example%23.gov.example",
        "did:web:evil.example%3F.gov.example",
        "did:web:evil.example%5C.gov.example",
        "did:web:evil.example%2F.gov.example",
        "did:web:example.com%3A99999",
        "did:web:example.com:%2E%2E:x",
        "did:web:-bad.example",
    ],
)
def test_did_web_accepts_only_domain_names(did: str) -> None:
    with pytest.raises(InvalidDidError):
        did_web_to_url(did)


def test_did_web_keeps_path_escapes_as_they_are() -> None:
    assert did_web_to_url("did:web:example.com%3A8443:users:a%20b") == (
        "https://example.com:8443/users/a%20b/did.json"
    )


def _jcs_spec_signed(
    document: dict[str, Any], options: dict[str, Any], key: PrivateKey
) -> dict[str, Any]:
    """eddsa-jcs-2022 exactly as vc-di-eddsa §3.3 words it, independent of our add_proof."""
    data = hashlib.sha256(jcs(options)).digest() + hashlib.sha256(jcs(document)).digest()
    return {**options, "proofValue": base58btc_encode(key.sign(data))}


def _jcs_case() -> tuple[dict[str, Any], dict[str, Any], PrivateKey, PublicKey]:
    pair = load_vector("eddsa/keyPair.json")
    key = PrivateKey.from_multikey(pair["privateKeyMultibase"], pair["publicKeyMultibase"])
    mb = pair["publicKeyMultibase"]
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": f"did:key:{mb}#{mb}",
        "proofPurpose": "assertionMethod",
    }
    return load_vector("eddsa/unsigned.json"), options, key, key.public_key


def test_jcs_proof_without_context_verifies_as_the_spec_hashes_it() -> None:
    document, options, key, public = _jcs_case()
    secured = {**document, "proof": _jcs_spec_signed(document, options, key)}
    assert verify_proofs(secured, lambda _u, _p: public, now=NOW).verified


def test_jcs_proof_context_may_be_a_prefix_of_the_document_context() -> None:
    # Verify Proof step 4: the document starts with the proof's contexts, and the document
    # is hashed with the proof's @context.
    document, options, key, public = _jcs_case()
    signed_as = {**document, "@context": document["@context"][:1]}
    proof = _jcs_spec_signed(signed_as, {**options, "@context": signed_as["@context"]}, key)
    secured = {**document, "proof": proof}
    assert verify_proofs(secured, lambda _u, _p: public, now=NOW).verified
    other = {**document, "@context": [*reversed(document["@context"])], "proof": proof}
    result = verify_proofs(other, lambda _u, _p: public, now=NOW)
    assert "proof.context_mismatch" in {c.code for c in result.checks}


def test_rdfc_proofs_may_carry_a_context() -> None:
    vector = load_vector("eddsa/eddsa-rdfc-2022/signedDataInt.json")
    vector["proof"]["@context"] = vector["@context"]
    public = PublicKey.from_multikey(load_vector("eddsa/keyPair.json")["publicKeyMultibase"])
    assert verify_proofs(vector, lambda _u, _p: public, now=NOW).verified


@pytest.mark.parametrize("suffix", [" ", "\n", "\t\n"])
def test_proof_value_with_whitespace_is_malformed(suffix: str) -> None:
    vector = load_vector("eddsa/eddsa-rdfc-2022/signedDataInt.json")
    vector["proof"]["proofValue"] += suffix
    public = PublicKey.from_multikey(load_vector("eddsa/keyPair.json")["publicKeyMultibase"])
    assert not verify_proofs(vector, lambda _u, _p: public, now=NOW).verified


def test_domain_is_compared_as_a_set() -> None:
    # VC DI §4.4 step 6: "the same strings as proof.domain".
    key = PrivateKey.from_seed("ed25519", bytes(32))
    vm = "did:example:x#k"
    doc = {"@context": V2, "type": ["VerifiablePresentation"]}
    signed = add_proof(
        doc,
        key,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=vm,
        proof_purpose="authentication",
        domain=["rp.example", "evil.example"],
        created="2025-01-01T00:00:00Z",
    )

    def check(domain: Any) -> bool:
        return verify_proofs(
            signed,
            lambda _u, _p: key.public_key,
            expected_purpose="authentication",
            domain=domain,
            now=NOW,
        ).verified

    assert not check("rp.example")
    assert check(["evil.example", "rp.example"])


def test_vcdm_1_1_expiry_holds_even_with_valid_from() -> None:
    key = PrivateKey.from_seed("ed25519", bytes(32))
    from did_gov import issue

    v1 = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://w3id.org/security/data-integrity/v2",
        ],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:x",
        "issuanceDate": "2020-01-01T00:00:00",
        "expirationDate": "2021-01-01T00:00:00Z",
        "validFrom": "2020-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:y"},
    }
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(issue(v1, key, now=NOW))
    assert "credential.expired" in {c.code for c in report.errors}, report.summary()


@pytest.mark.parametrize(
    ("text", "required", "expected"),
    [
        ("2025-01-01T24:00:00Z", True, datetime(2025, 1, 2, tzinfo=UTC)),
        ("2025-01-01T10:00:00", False, datetime(2025, 1, 1, 10, tzinfo=UTC)),
        ("2025-01-01T10:00:00-14:00", True, datetime(2025, 1, 2, 0, tzinfo=UTC)),
    ],
)
def test_xsd_date_times(text: str, required: bool, expected: datetime) -> None:
    assert parse_datetime(text, timezone_required=required) == expected


@pytest.mark.parametrize(
    "text", ["2025-01-01T10:00:00", "2025-01-01T10:00:00+15:00", "2025-01-01T24:00:01Z"]
)
def test_bad_date_stamps(text: str) -> None:
    with pytest.raises(CredentialError):
        parse_datetime(text)


@pytest.mark.parametrize("member", ["evidence", "termsOfUse", "refreshService"])
def test_typed_members_need_a_type(member: str) -> None:
    from did_gov.credentials import credential_problems

    vc = {**load_vector("eddsa/unsigned.json"), member: {"id": "https://x.example/1"}}
    assert any(p.code.endswith("_invalid") for p in credential_problems(vc))


@pytest.mark.parametrize("fmt", ["vc-jwt", "sd-jwt"])
def test_revoked_methods_are_refused_for_tokens_too(fmt: str) -> None:
    from did_gov import issue

    resolver = DefaultResolver()
    did = "did:web:gov.example"
    resolver.preload(_web_document(did, ATTACKER, revoked="2025-04-01T00:00:00Z"))
    unsigned = {
        "@context": V2,
        "type": ["VerifiableCredential", "PermitCredential"],
        "issuer": did,
        "credentialSubject": {"id": "did:example:x", "name": "Ada"},
    }
    before = datetime(2025, 3, 2, tzinfo=UTC)
    token = issue(unsigned, ATTACKER, format=fmt, verification_method=f"{did}#k", now=before)
    verifier = Verifier(resolver=resolver, now=before, trust=UNSAFE_TRUST_ANY_ISSUER)
    assert verifier.verify(token).verified, verifier.verify(token).summary()
    after = verifier.verify(token, now=NOW)
    assert not after.verified
    assert "did.vm_revoked" in {c.code for c in after.errors}, after.summary()
