"""Step 12 end to end: Verifier.verify(..., request=...) for a DI VP, a vp+jwt and an SD-JWT VC + KB-JWT."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from did_gov import Verifier, issue, issue_sd_jwt, present, present_sd_jwt
from did_gov.dids import did_key
from did_gov.errors import InvalidInputError
from did_gov.keys import PrivateKey
from did_gov.proofs._result import Check, ok
from did_gov.proofs.sd_jwt import verify_sd_jwt
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER, IssuerClaim, PresentationRequest, kiosk_query
from did_gov.verify import VerificationReport

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
GOV = PrivateKey.from_seed("ed25519", bytes([21]) * 32)
CITIZEN = PrivateKey.from_seed("ed25519", bytes([22]) * 32)
CITIZEN_DID = did_key.did_for_public_key(CITIZEN.public_key)
V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
CITIZEN_TYPE = "https://www.w3.org/ns/credentials/examples#CitizenCredential"
NONCE = "n-0S6_WzA2Mj"
CLIENT = "decentralized_identifier:did:web:kiosk.example.gov"


def _credential() -> dict[str, Any]:
    return {
        "@context": [V2, EXAMPLES],
        "type": ["VerifiableCredential", "CitizenCredential"],
        "issuer": did_key.did_for_public_key(GOV.public_key),
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": CITIZEN_DID,
            "givenName": "Ada",
            "familyName": "Lovelace",
            "birthDate": "1990-12-10",
        },
    }


def _request(
    fmt: str, claims: list[dict[str, Any]] | None = None, **extra: Any
) -> PresentationRequest:
    meta = (
        {"vct_values": ["CitizenCredential"]}
        if fmt == "dc+sd-jwt"
        else {"type_values": [[CITIZEN_TYPE]]}
    )
    query: dict[str, Any] = {"id": "citizen", "format": fmt, "meta": meta, **extra}
    if claims is not None:
        query["claims"] = claims
    return PresentationRequest.from_json(
        {"dcql_query": {"credentials": [query]}, "nonce": NONCE, "client_id": CLIENT}
    )


def _di_vp(nonce: str = NONCE, client: str = CLIENT) -> dict[str, Any]:
    vc = issue(_credential(), GOV, now=NOW)
    return present([vc], CITIZEN, challenge=nonce, domain=client, now=NOW)


def _vp_jwt(nonce: str = NONCE, client: str = CLIENT) -> str:
    vc = issue(_credential(), GOV, format="vc-jwt", now=NOW)
    return present([vc], CITIZEN, format="vp-jwt", challenge=nonce, domain=client, now=NOW)


def _sd_jwt() -> str:
    return issue_sd_jwt(
        _credential(),
        GOV,
        disclosable=["/credentialSubject/givenName", "/credentialSubject/birthDate"],
        holder_key=CITIZEN.public_key,
        now=NOW,
    )


def _sd_shown(
    disclose: tuple[str, ...] = ("/credentialSubject/givenName",),
    nonce: str = NONCE,
    client: str = CLIENT,
) -> str:
    return present_sd_jwt(
        _sd_jwt(), list(disclose), holder_key=CITIZEN, nonce=nonce, audience=client, now=NOW
    )


VERIFIER = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)  # issuer trust is not what is tested


def _verify(value: Any, request: PresentationRequest) -> VerificationReport:
    return VERIFIER.verify(value, request=request)


def _request_checks(report: VerificationReport) -> list[tuple[bool, str]]:
    return [(c.ok, c.code) for c in report.checks if c.name == "request"]


def _failed(report: VerificationReport) -> list[str]:
    return [c.code for c in report.errors]


SD_CLAIMS = [{"path": ["givenName"]}]  # SD-JWT VC claims are flat (specs/sd-jwt-vc-mapping.md)
W3C_CLAIMS = [
    {"path": ["credentialSubject", "givenName"]},
    {"path": ["credentialSubject", "familyName"]},
]

FORMATS = {
    "di": ("ldp_vc", _di_vp, W3C_CLAIMS),
    "vp-jwt": ("jwt_vc_json", _vp_jwt, W3C_CLAIMS),
    "sd-jwt": ("dc+sd-jwt", _sd_shown, SD_CLAIMS),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_presentation_made_for_the_request_verifies(name: str) -> None:
    fmt, make, claims = FORMATS[name]
    report = _verify(make(), _request(fmt, claims))
    assert report.verified, report.summary()
    assert report.checks[-1].name == "request"  # the last step
    assert _request_checks(report)[0] == (True, "ok")


REPLAYS = {
    "another nonce": (
        {"nonce": "an-old-nonce"},
        {"proof.challenge_mismatch", "jose.nonce_mismatch", "sd_jwt.kb_nonce_mismatch"},
    ),
    "another client_id": (
        {"client": "x509_san_dns:other.example"},
        {"proof.domain_mismatch", "jose.audience_mismatch", "sd_jwt.kb_aud_mismatch"},
    ),
}


@pytest.mark.parametrize("replay", sorted(REPLAYS))
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_replayed_presentation_fails(name: str, replay: str) -> None:
    """Appendix B: a presentation made for another transaction or verifier is refused."""
    fmt, make, claims = FORMATS[name]
    made_for, codes = REPLAYS[replay]
    report = _verify(make(**made_for), _request(fmt, claims))
    assert not report.verified
    assert set(_failed(report)) & codes, report.summary()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_request_for_another_type_fails(name: str) -> None:
    fmt, make, claims = FORMATS[name]
    other = (
        {"vct_values": ["DriverLicence"]}
        if fmt == "dc+sd-jwt"
        else {"type_values": [["https://example.gov/ns#DriverLicence"]]}
    )
    request = _request(fmt, claims)
    raw = request.to_json()
    raw["dcql_query"]["credentials"][0]["meta"] = other
    report = _verify(make(), PresentationRequest.from_json(raw))
    assert _failed(report) == ["request.type_mismatch"]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_request_for_an_undisclosed_claim_fails(name: str) -> None:
    fmt, make, claims = FORMATS[name]
    asked = [*claims, {"path": [*claims[0]["path"][:-1], "nationality"]}]
    report = _verify(make(), _request(fmt, asked))
    assert _failed(report) == ["request.claim_missing"]


def test_sd_jwt_over_disclosure_is_a_warning() -> None:
    shown = _sd_shown(("/credentialSubject/givenName", "/credentialSubject/birthDate"))
    report = _verify(shown, _request("dc+sd-jwt", SD_CLAIMS))
    assert report.verified
    assert _request_checks(report) == [(True, "ok"), (True, "request.over_disclosed")]
    assert "birthDate" in report.checks[-1].message


def test_sd_jwt_disclosed_paths_name_the_revealed_claims() -> None:
    shown = _sd_shown(("/credentialSubject/birthDate",), nonce="n", client="a")
    result = verify_sd_jwt(shown, GOV.public_key, nonce="n", audience="a", now=NOW)
    assert result.disclosed_paths == (("birthDate",),)


def test_sd_jwt_without_key_binding() -> None:
    """B.3: without require_cryptographic_holder_binding=false a KB-JWT is needed."""
    bare = present_sd_jwt(_sd_jwt(), ["/credentialSubject/givenName"], now=NOW)
    report = _verify(bare, _request("dc+sd-jwt", SD_CLAIMS))
    assert _failed(report) == ["request.holder_binding_missing"]
    waived = _request("dc+sd-jwt", SD_CLAIMS, require_cryptographic_holder_binding=False)
    assert _verify(bare, waived).verified


def test_a_credential_alone_is_not_holder_bound() -> None:
    vc = issue(_credential(), GOV, now=NOW)
    report = _verify(vc, _request("ldp_vc", W3C_CLAIMS))
    assert _failed(report) == ["request.holder_binding_missing"]


def test_a_request_and_a_challenge_beside_it_is_misuse() -> None:
    with pytest.raises(InvalidInputError):
        VERIFIER.verify(
            _di_vp(), request=_request("ldp_vc", W3C_CLAIMS), challenge=NONCE, domain=CLIENT
        )


def test_kiosk_default_query_answered_by_each_format() -> None:
    query = kiosk_query([CITIZEN_TYPE], ["CitizenCredential"])
    request = PresentationRequest(query, NONCE, CLIENT)
    for make in (_di_vp, _vp_jwt, _sd_shown):
        report = _verify(make(), request)
        assert report.verified, report.summary()


def test_tampered_nested_credential_answers_nothing() -> None:
    vp = _di_vp()
    forged = copy.deepcopy(vp)
    forged["verifiableCredential"][0]["credentialSubject"]["givenName"] = "Eve"
    report = _verify(forged, _request("ldp_vc", W3C_CLAIMS))
    assert not report.verified
    assert "request.credential_missing" in _failed(report)


def test_request_must_be_a_presentation_request() -> None:
    with pytest.raises(InvalidInputError):
        VERIFIER.verify(_di_vp(), request={"nonce": NONCE})  # type: ignore[arg-type]


class _Chained:
    """A trust policy that accredits everyone under one chain, and records what it was asked."""

    def __init__(self) -> None:
        self.claims: list[IssuerClaim] = []

    def judge_issuer(self, claim: IssuerClaim, at: datetime) -> Check:
        return ok("trust", "accredited (test double)")

    def may_publish_status(self, list_issuer: str, credential_issuer: str, at: datetime) -> bool:
        return list_issuer == credential_issuer

    def chain_of(self, claim: IssuerClaim, at: datetime) -> tuple[str, ...]:
        self.claims.append(claim)
        return (claim.issuer, "did:web:ministry.example", "did:web:state.example")


@pytest.mark.parametrize(
    ("authority", "code"),
    [("did:web:state.example", None), ("did:web:elsewhere.example", "request.untrusted_authority")],
)
def test_trusted_authorities_follow_the_trust_policys_chain(
    authority: str, code: str | None
) -> None:
    trust = _Chained()
    request = _request(
        "ldp_vc",
        W3C_CLAIMS,
        trusted_authorities=[{"type": "openid_federation", "values": [authority]}],
    )
    report = Verifier(now=NOW, trust=trust).verify(_di_vp(), request=request)
    assert _failed(report) == ([code] if code else []), report.summary()
    assert CITIZEN_TYPE in trust.claims[-1].expanded_types


def test_trusted_authorities_without_a_chain_are_indeterminate() -> None:
    request = _request(
        "dc+sd-jwt",
        SD_CLAIMS,
        trusted_authorities=[{"type": "openid_federation", "values": ["did:web:state.example"]}],
    )
    report = _verify(_sd_shown(), request)
    assert _failed(report) == ["request.authority_unknown"]
    assert report.errors[0].indeterminate
