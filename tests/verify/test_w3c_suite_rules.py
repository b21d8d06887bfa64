"""Issue-side rules the W3C VC test suites found missing (issue 18, ``specs/conformance.md``).

- A JCS suite (eddsa-jcs-2022, ecdsa-jcs-2019) signs JSON, not JSON-LD: :func:`issue` expands
  the credential in safe mode first, so a JCS proof never secures a document that is not
  conforming JSON-LD (an unpinned context, a redefined protected term, a value object with extra
  keys, a ``null`` id, a type mapped to a non-IRI), as RDFC-1.0 suites already refused.
- The verifier holds a JCS-secured document signed elsewhere to the same rule: its
  ``contexts`` check fails with the ``jsonld.*`` code (VC DI §4: conforming processors MUST
  produce errors when non-conforming documents are consumed).
- The issuer named in the input is replaced by the key's DID, but a malformed one (not a URL,
  ``null``, an object whose ``id`` is not a URL) is refused (VCDM 2.0 §4.7), not silently fixed.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from did_gov import PrivateKey, Verifier, issue
from did_gov.dids import did_key
from did_gov.errors import DidGovError
from did_gov.proofs.data_integrity import add_proof
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

ED25519 = PrivateKey.from_seed("ed25519", bytes(range(32)))
P384 = PrivateKey.from_seed("p384", bytes(range(48)))
V2 = "https://www.w3.org/ns/credentials/v2"
BASE: dict[str, Any] = {
    "@context": [V2],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:agency",
    "credentialSubject": {"id": "did:example:citizen"},
}
JCS = [(ED25519, "eddsa-jcs-2022"), (P384, "ecdsa-jcs-2019")]
NOT_JSON_LD = {
    "value_object_with_extra_keys": {"name": {"@value": "Permit", "@language": "en", "x": 1}},
    "redefined_protected_term": {
        "@context": [V2, {"VerifiableCredential": "https://attacker.example/#Credential"}]
    },
    "unpinned_context_url": {"@context": [V2, "https ://not-a-url/contexts/v1"]},
    "null_id": {"id": None},
    "type_mapped_to_non_iri": {
        "@context": [V2, {"PermitCredential": "https ://not-a-url#Permit"}],
        "type": ["VerifiableCredential", "PermitCredential"],
    },
}


def _credential(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(BASE), **copy.deepcopy(changes)}


@pytest.mark.parametrize(("key", "suite"), JCS, ids=[s for _, s in JCS])
@pytest.mark.parametrize("defect", sorted(NOT_JSON_LD))
def test_jcs_issuer_refuses_what_is_not_json_ld(key: PrivateKey, suite: str, defect: str) -> None:
    credential = _credential(**NOT_JSON_LD[defect])
    with pytest.raises(DidGovError) as refused:
        issue(credential, key, cryptosuite=suite)
    assert refused.value.code.startswith("jsonld."), refused.value.code
    with pytest.raises(DidGovError) as rdfc:  # the same code as the RDFC suites give
        issue(credential, ED25519, cryptosuite="eddsa-rdfc-2022")
    assert rdfc.value.code == refused.value.code


@pytest.mark.parametrize(("key", "suite"), JCS, ids=[s for _, s in JCS])
@pytest.mark.parametrize("defect", sorted(NOT_JSON_LD))
def test_jcs_credential_signed_elsewhere_that_is_not_json_ld_fails_verification(
    key: PrivateKey, suite: str, defect: str
) -> None:
    method = did_key.verification_method_id(key.public_key)
    credential = {**_credential(**NOT_JSON_LD[defect]), "issuer": method.split("#")[0]}
    signed = add_proof(credential, key, cryptosuite=suite, verification_method=method)
    report = Verifier(trust=UNSAFE_TRUST_ANY_ISSUER).verify(signed)
    assert not report.verified
    failed = {c.name: c.code for c in report.errors}
    assert failed.get("contexts", "").startswith("jsonld."), failed


@pytest.mark.parametrize(("key", "suite"), JCS, ids=[s for _, s in JCS])
def test_jcs_issuer_signs_language_and_direction(key: PrivateKey, suite: str) -> None:
    name = {"@value": "تصريح", "@language": "ar", "@direction": "rtl"}
    vc = issue(_credential(name=name), key, cryptosuite=suite)
    assert vc["name"] == name
    verifier = Verifier(trust=UNSAFE_TRUST_ANY_ISSUER)
    assert verifier.verify(vc).verified
    flipped = copy.deepcopy(vc)
    flipped["name"]["@direction"] = "ltr"  # the direction is signed under JCS
    report = verifier.verify(flipped)
    assert not report.verified
    assert [(c.name, c.code) for c in report.errors] == [("proof", "signature.invalid")]


def test_rdfc_issuer_refuses_direction_it_could_not_sign() -> None:
    """RDFC-1.0 drops ``@direction``: signing it would leave the direction unsigned (VC DI §4)."""
    credential = _credential(name={"@value": "Permit", "@language": "en", "@direction": "ltr"})
    with pytest.raises(DidGovError) as refused:
        issue(credential, ED25519, cryptosuite="eddsa-rdfc-2022")
    assert refused.value.code == "jsonld.data_loss"


@pytest.mark.parametrize(
    "issuer",
    ["fake-issuer", None, {"id": None}, {"id": "not a url"}, 42],
    ids=["not_a_url", "null", "object_id_null", "object_id_not_a_url", "number"],
)
def test_issue_refuses_a_malformed_named_issuer(issuer: Any) -> None:
    with pytest.raises(DidGovError) as refused:
        issue(_credential(issuer=issuer), ED25519)
    assert refused.value.code == "credential.issuer_invalid"


@pytest.mark.parametrize(
    "issuer",
    ["https://agency.example", "did:example:agency", {}, {"id": "did:example:a", "name": "A"}],
    ids=["url", "did", "object_without_id", "object_with_id"],
)
def test_issue_replaces_a_well_formed_or_absent_issuer(issuer: Any) -> None:
    vc = issue(_credential(issuer=issuer), ED25519)
    own = vc["issuer"]["id"] if isinstance(vc["issuer"], dict) else vc["issuer"]
    assert own.startswith("did:key:z6Mk")
    absent = _credential()
    del absent["issuer"]
    assert issue(absent, ED25519)["issuer"] == own
