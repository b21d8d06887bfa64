"""Issue-side rules held the same at issue and at verify (issue 10).

- ``relatedResource`` (VCDM 2.0 §5.3): objects, each with a URL ``id`` unique among them and
  a ``digestSRI`` or ``digestMultibase``; refused by ``issue()`` and by the verifier's shape
  check with ``credential.related_resource_invalid``.
- Context injection (VC DI 1.0 §2.4.2): ``issue()`` secures VCDM 1.1 credentials with Data
  Integrity, appending (never prepending) the Data Integrity context when no context defines
  the proof terms, and warns (``ContextInjectedWarning``); VCDM 2.0 is never changed.
- A malformed ``BitstringStatusListEntry`` is refused by ``issue()`` with the code the
  verifier gives it (``status.entry_malformed``).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest

from did_gov import PrivateKey, Verifier, issue
from did_gov.dids import did_key
from did_gov.errors import ContextInjectedWarning, CredentialError, DidGovError
from did_gov.proofs.data_integrity import DATA_INTEGRITY_CONTEXT, add_proof
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW, load_vector

ED25519 = PrivateKey.from_seed("ed25519", bytes(range(32)))
P256 = PrivateKey.from_seed("p256", bytes(range(32)))
UNSIGNED = load_vector("eddsa/unsigned.json")
V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
V1_CREDENTIAL = {
    "@context": [V1_CONTEXT, {"@vocab": "https://gov.example/vocab#"}],
    "type": ["VerifiableCredential", "ResidenceCredential"],
    "issuer": "did:example:x",
    "issuanceDate": "2024-01-01T00:00:00Z",
    "expirationDate": "2030-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:citizen", "municipality": "Capital"},
}
SRI = "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"
MULTIBASE = "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"


def _codes(report: Any) -> set[str]:
    return {c.code for c in report.errors}


def _signed_without_issue_checks(document: dict[str, Any]) -> dict[str, Any]:
    """Sign with the DI layer directly, as a non-did_gov issuer could: the verifier must judge it.

    eddsa-jcs-2022, so that relative IRIs (which RDFC safe mode refuses) can be signed too.
    """
    method = did_key.verification_method_id(ED25519.public_key)
    return add_proof(
        {**document, "issuer": method.split("#")[0]},
        ED25519,
        cryptosuite="eddsa-jcs-2022",
        verification_method=method,
        created=NOW,
    )


# --- relatedResource -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "related",
    [
        {"id": "https://gov.example/photo.png", "digestSRI": SRI},
        [
            {"id": "https://gov.example/photo.png", "digestSRI": SRI, "mediaType": "image/png"},
            {"id": "https://gov.example/terms", "digestMultibase": MULTIBASE},
        ],
        [
            {
                "id": "https://gov.example/a",
                "digestSRI": f"{SRI} {SRI}",
                "digestMultibase": MULTIBASE,
            }
        ],
    ],
)
def test_well_formed_related_resources_issue_and_verify(related: Any) -> None:
    vc = issue({**UNSIGNED, "relatedResource": related}, ED25519, now=NOW)
    assert Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).verified


MALFORMED_RELATED = {
    "not-an-object": ["https://gov.example/photo.png"],
    "empty-list": [],
    "no-id": [{"digestSRI": SRI}],
    "id-not-a-url": [{"id": "photo.png", "digestSRI": SRI}],
    "duplicate-ids": [
        {"id": "https://gov.example/photo.png", "digestSRI": SRI},
        {"id": "https://gov.example/photo.png", "digestMultibase": MULTIBASE},
    ],
    "no-digest": [{"id": "https://gov.example/photo.png", "mediaType": "image/png"}],
    "sri-not-sri": [{"id": "https://gov.example/photo.png", "digestSRI": "md5-abc"}],
    "multibase-not-a-string": [{"id": "https://gov.example/photo.png", "digestMultibase": 7}],
}


@pytest.mark.parametrize("name", sorted(MALFORMED_RELATED))
def test_malformed_related_resource_is_refused_at_issue(name: str) -> None:
    with pytest.raises(CredentialError) as info:
        issue({**UNSIGNED, "relatedResource": MALFORMED_RELATED[name]}, ED25519, now=NOW)
    assert info.value.code == "credential.related_resource_invalid"


@pytest.mark.parametrize("name", sorted(MALFORMED_RELATED))
def test_malformed_related_resource_signed_elsewhere_fails_verification(name: str) -> None:
    vc = _signed_without_issue_checks({**UNSIGNED, "relatedResource": MALFORMED_RELATED[name]})
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not report.verified
    assert "credential.related_resource_invalid" in _codes(report)


# --- context injection ------------------------------------------------------------------------


@pytest.mark.parametrize("key", [ED25519, P256], ids=["eddsa-rdfc-2022", "ecdsa-rdfc-2019"])
def test_vcdm_1_1_credential_gets_the_data_integrity_context_appended(key: PrivateKey) -> None:
    with pytest.warns(ContextInjectedWarning, match="data-integrity/v2"):
        vc = issue(V1_CREDENTIAL, key, now=NOW)
    assert vc["@context"] == [*V1_CREDENTIAL["@context"], DATA_INTEGRITY_CONTEXT]
    assert vc["@context"][0] == V1_CONTEXT  # appended, never prepended
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert report.verified, report.summary()


def test_vcdm_1_1_credential_with_the_jcs_suite_verifies() -> None:
    with pytest.warns(ContextInjectedWarning):
        vc = issue(V1_CREDENTIAL, ED25519, cryptosuite="eddsa-jcs-2022", now=NOW)
    assert Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).verified


def test_vcdm_1_1_expiration_is_still_judged() -> None:
    with pytest.warns(ContextInjectedWarning):
        vc = issue({**V1_CREDENTIAL, "expirationDate": "2025-01-01T00:00:00Z"}, ED25519, now=NOW)
    assert "credential.expired" in _codes(
        Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    )


def test_injection_can_be_made_an_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ContextInjectedWarning)
        with pytest.raises(ContextInjectedWarning):
            issue(V1_CREDENTIAL, ED25519, now=NOW)


def test_vcdm_2_0_credential_is_never_changed() -> None:
    unsigned = copy.deepcopy(UNSIGNED)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ContextInjectedWarning)
        vc = issue(unsigned, ED25519, now=NOW)
    assert vc["@context"] == UNSIGNED["@context"]
    assert unsigned == UNSIGNED  # the input is not mutated either


def test_a_1_1_credential_that_names_the_context_is_not_changed() -> None:
    named = {**V1_CREDENTIAL, "@context": [*V1_CREDENTIAL["@context"], DATA_INTEGRITY_CONTEXT]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ContextInjectedWarning)
        vc = issue(named, ED25519, now=NOW)
    assert vc["@context"] == named["@context"]


def test_vcdm_1_1_needs_issuance_date() -> None:
    undated = {k: v for k, v in V1_CREDENTIAL.items() if k != "issuanceDate"}
    with pytest.raises(CredentialError) as info:
        issue(undated, ED25519, now=NOW)
    assert info.value.code == "credential.date_missing"


@pytest.mark.parametrize("format", ["vc-jwt", "sd-jwt"])
def test_vcdm_1_1_is_secured_with_data_integrity_only(format: str) -> None:
    with pytest.raises(CredentialError) as info:
        issue(V1_CREDENTIAL, ED25519, format=format, now=NOW)
    assert info.value.code == "credential.version_unsupported"


# --- status entries: issue refuses what verify refuses ---------------------------------------

BAD_ENTRIES = {
    "index-not-a-string": {"statusListIndex": 94567},
    "index-not-decimal": {"statusListIndex": "0x10"},
    "no-purpose": {"statusPurpose": None},
    "list-not-a-url": {"statusListCredential": "list-1"},
}


def _entry(**changes: Any) -> dict[str, Any]:
    entry = {
        "id": "https://gov.example/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://gov.example/status/1",
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


@pytest.mark.parametrize("format", ["di", "vc-jwt", "sd-jwt"])
@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_issue_refuses_a_malformed_status_entry_as_the_verifier_does(
    name: str, format: str
) -> None:
    credential = {**UNSIGNED, "credentialStatus": _entry(**BAD_ENTRIES[name])}
    with pytest.raises(DidGovError) as issued:
        issue(credential, ED25519, format=format, now=NOW)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        _signed_without_issue_checks(credential)
    )
    assert not report.verified
    assert issued.value.code in _codes(report)
    assert issued.value.code == "status.entry_malformed"
