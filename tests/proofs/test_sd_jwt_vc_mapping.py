"""The VC 2.0 → SD-JWT VC claims mapping of specs/sd-jwt-vc-mapping.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from did_gov.errors import CredentialError
from did_gov.proofs._sd_jwt_vc import vc_claim_path, vc_to_sd_jwt_claims

AT = datetime(2025, 6, 1, tzinfo=UTC)
V2 = "https://www.w3.org/ns/credentials/v2"


def _vc(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential", "DrivingLicence"],
        "issuer": {"id": "did:example:dmv", "name": "DMV"},
        "credentialSubject": {"id": "did:example:ada", "licence": {"class": "B"}},
        **extra,
    }


def test_full_mapping() -> None:
    claims = vc_to_sd_jwt_claims(
        _vc(
            id="urn:uuid:1234",
            validFrom="2025-01-01T00:00:00Z",
            validUntil="2030-01-01T00:00:00Z",
            name="Licence",
            credentialStatus={
                "id": "https://dmv.example/status/3#94567",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "94567",
                "statusListCredential": "https://dmv.example/status/3",
            },
        ),
        issued_at=AT,
    )
    assert claims == {
        "iss": "did:example:dmv",
        "iat": int(AT.timestamp()),
        "vct": "DrivingLicence",
        "jti": "urn:uuid:1234",
        "nbf": 1735689600,
        "exp": 1893456000,
        "status": {
            "bitstring_status_list": {
                "idx": 94567,
                "uri": "https://dmv.example/status/3",
                "purpose": "revocation",
            }
        },
        "sub": "did:example:ada",
        "licence": {"class": "B"},
    }


def test_explicit_vct() -> None:
    claims = vc_to_sd_jwt_claims(_vc(), issued_at=AT, vct="https://dmv.example/vct/licence")
    assert claims["vct"] == "https://dmv.example/vct/licence"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"evidence": [{"type": "X"}]}, "sd_jwt_vc.member_unmapped"),
        ({"type": ["VerifiableCredential"]}, "sd_jwt_vc.vct_missing"),
        ({"credentialSubject": [{"a": 1}, {"b": 2}]}, "sd_jwt_vc.subject_multiple"),
        ({"credentialSubject": {"exp": 1}}, "sd_jwt_vc.claim_conflict"),
        ({"credentialStatus": {"type": "StatusList2021Entry"}}, "sd_jwt_vc.status_unsupported"),
        ({"issuer": 42}, "credential.issuer_invalid"),
    ],
)
def test_refusals(extra: dict[str, Any], code: str) -> None:
    with pytest.raises(CredentialError) as info:
        vc_to_sd_jwt_claims(_vc(**extra), issued_at=AT)
    assert info.value.code == code


def test_claim_path_rewrite() -> None:
    assert vc_claim_path("/credentialSubject/address/street") == "/address/street"
    assert vc_claim_path("/address") == "/address"
