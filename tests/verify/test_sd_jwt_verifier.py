"""The Verifier on SD-JWT VC: dispatch, issuer keys (DID or issuer_jwks), policy, report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov import Verifier, issue, issue_sd_jwt, present_sd_jwt
from did_gov.dids import did_key
from did_gov.errors import KeyFormatError
from did_gov.keys import PrivateKey
from did_gov.proofs import sd_jwt
from did_gov.proofs._sd_jwt_jose import sign_jws
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify import VerificationPolicy
from tests.conftest import vector_text

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
GOV = PrivateKey.from_seed("ed25519", bytes([3]) * 32)
CITIZEN = PrivateKey.from_seed("p256", b"citizen seed 0001")
OTHER = PrivateKey.from_seed("ed25519", bytes([4]) * 32)
V2 = "https://www.w3.org/ns/credentials/v2"


def _credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2, "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "CitizenCredential"],
        "issuer": "https://gov.example",
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2035-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:ada",
            "givenName": "Ada",
            "birthDate": "1990-12-10",
            "ageOver18": True,
        },
        **extra,
    }


DISCLOSABLE = ["/credentialSubject/givenName", "/credentialSubject/birthDate", "/ageOver18"]


def _did_issued() -> str:
    return issue_sd_jwt(
        _credential(), GOV, disclosable=DISCLOSABLE, holder_key=CITIZEN.public_key, now=NOW
    )


def _shown(token: str, nonce: str = "n-1", audience: str = "kiosk-7") -> str:
    return present_sd_jwt(
        token, ["/ageOver18"], holder_key=CITIZEN, nonce=nonce, audience=audience, now=NOW
    )


def test_did_issuer_end_to_end() -> None:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        _shown(_did_issued()), nonce="n-1", audience="kiosk-7"
    )
    assert report.verified, report.summary()
    assert report.format == "sd-jwt-vc"
    assert report.document["ageOver18"] is True
    assert "birthDate" not in report.document
    assert "givenName" not in report.document
    assert report.document["iss"] == did_key.did_for_public_key(GOV.public_key)
    assert report.document["vct"] == "CitizenCredential"
    assert report.document["sub"] == "did:example:ada"


def test_bytes_input_is_dispatched_too() -> None:
    shown = _shown(_did_issued()).encode()
    assert (
        Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(shown, nonce="n-1", audience="kiosk-7")
        .verified
    )


def test_issue_format_sd_jwt() -> None:
    token = issue(_credential(), GOV, format="sd-jwt", disclosable=DISCLOSABLE, now=NOW)
    assert isinstance(token, str)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token)
    assert report.verified, report.summary()
    assert report.document["birthDate"] == "1990-12-10"


def test_kid_naming_another_did_is_rejected() -> None:
    iss = did_key.did_for_public_key(GOV.public_key)
    claims = {"iss": iss, "vct": "X", "iat": int(NOW.timestamp())}
    forged = sd_jwt.issue_sd_jwt(
        claims, OTHER, kid=did_key.verification_method_id(OTHER.public_key)
    )
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(forged)
    assert [c.code for c in report.errors] == ["issuer.key_mismatch"]


def test_relative_kid_and_wrong_signer() -> None:
    iss = did_key.did_for_public_key(GOV.public_key)
    fragment = "#" + iss.removeprefix("did:key:")
    claims = {"iss": iss, "vct": "X", "iat": int(NOW.timestamp())}
    assert (
        Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(sd_jwt.issue_sd_jwt(claims, GOV, kid=fragment))
        .verified
    )
    forged = sd_jwt.issue_sd_jwt(claims, OTHER, kid=fragment)
    assert [
        c.code for c in Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(forged).errors
    ] == ["signature.invalid"]


def test_did_issuer_without_kid() -> None:
    iss = did_key.did_for_public_key(GOV.public_key)
    token = sd_jwt.issue_sd_jwt({"iss": iss, "vct": "X"}, GOV)
    assert [
        c.code for c in Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token).errors
    ] == ["issuer.kid_missing"]


def _jwk_issued(kid: str | None) -> str:
    return issue_sd_jwt(
        _credential(),
        GOV,
        disclosable=DISCLOSABLE,
        holder_key=CITIZEN.public_key,
        kid=kid,
        now=NOW,
    )


def test_issuer_jwks_match_by_kid() -> None:
    gov = {**GOV.public_key.to_jwk(), "kid": "gov-1"}
    other = {**OTHER.public_key.to_jwk(), "kid": "gov-2"}
    verifier = Verifier(now=NOW, issuer_jwks=[other, gov], trust=UNSAFE_TRUST_ANY_ISSUER)
    report = verifier.verify(_shown(_jwk_issued("gov-1")), nonce="n-1", audience="kiosk-7")
    assert report.verified, report.summary()
    swapped = Verifier(
        now=NOW,
        issuer_jwks=[{**gov, "kid": "gov-2"}, {**other, "kid": "gov-1"}],
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )
    assert [c.code for c in swapped.verify(_jwk_issued("gov-1")).errors] == ["signature.invalid"]


def test_issuer_jwks_single_key_and_unknown() -> None:
    single = Verifier(now=NOW, issuer_jwks=[GOV.public_key.to_jwk()], trust=UNSAFE_TRUST_ANY_ISSUER)
    assert single.verify(_jwk_issued("anything")).verified
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(_jwk_issued("gov-1"))
    (error,) = report.errors
    assert error.code == "issuer.key_unknown"
    assert error.indeterminate
    two = Verifier(
        now=NOW,
        issuer_jwks=[{**GOV.public_key.to_jwk(), "kid": "a"}, {**OTHER.public_key.to_jwk()}],
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )
    assert [c.code for c in two.verify(_jwk_issued("zzz")).errors] == ["issuer.key_unknown"]


def test_issuer_jwks_refuse_private_keys() -> None:
    with pytest.raises(KeyFormatError):
        Verifier(issuer_jwks=[GOV.to_jwk()], trust=UNSAFE_TRUST_ANY_ISSUER)


def test_policy_requires_key_binding() -> None:
    token = present_sd_jwt(_did_issued(), ["/ageOver18"])
    assert Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token).verified
    strict = Verifier(
        now=NOW, policy=VerificationPolicy(require_key_binding=True), trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert [c.code for c in strict.verify(token).errors] == ["sd_jwt.kb_missing"]


def test_policy_key_binding_window() -> None:
    shown = _shown(_did_issued())
    later = NOW + timedelta(minutes=30)
    assert [
        c.code
        for c in Verifier(now=later, trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(shown, nonce="n-1", audience="kiosk-7")
        .errors
    ] == ["sd_jwt.kb_stale"]
    patient = Verifier(
        now=later,
        policy=VerificationPolicy(key_binding_max_age=timedelta(hours=1)),
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )
    assert patient.verify(shown, nonce="n-1", audience="kiosk-7").verified


def test_media_type_is_enforced() -> None:
    vector = vector_text("sd-jwt/simple/sd_jwt_presentation.txt").strip()
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vector)
    assert [c.code for c in report.errors] == ["sd_jwt.typ_invalid"]


def test_vct_is_required() -> None:
    token = sd_jwt.issue_sd_jwt({"iss": "https://gov.example"}, GOV, kid="k")
    verifier = Verifier(
        now=NOW, issuer_jwks=[GOV.public_key.to_jwk()], trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert [c.code for c in verifier.verify(token).errors] == ["sd_jwt_vc.vct_missing"]


def test_json_still_goes_to_data_integrity() -> None:
    assert (
        Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify('{"a": "x~y"}').format
        != "sd-jwt-vc"
    )


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60).map(lambda t: t + "~" + t[::-1]), st.binary(max_size=40))
def test_any_text_with_a_tilde_is_reported_not_raised(text: str, raw: bytes) -> None:
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    for candidate in (text, raw + b"~", text.encode()):
        report = verifier.verify(candidate, nonce="n", audience="a")
        assert not report.verified
        assert report.checks


_ODD = st.one_of(
    st.none(),
    st.integers(-2, 2),
    st.lists(st.text(max_size=3), max_size=2),
    st.sampled_from(
        ["EdDSA", "ES256", "none", "HS256", "dc+sd-jwt", "#x", "did:key:z6Mk", "did:x"]
    ),
)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["alg", "typ", "kid", "crit"]), _ODD, max_size=4),
    st.dictionaries(st.sampled_from(["iss", "vct", "cnf", "exp", "_sd", "_sd_alg"]), _ODD),
)
def test_hostile_headers_and_issuers_are_reported_not_raised(
    header: dict[str, Any], payload: dict[str, Any]
) -> None:
    jwt = sign_jws(header, payload, GOV)
    verifier = Verifier(
        now=NOW, issuer_jwks=[GOV.public_key.to_jwk()], trust=UNSAFE_TRUST_ANY_ISSUER
    )
    report = verifier.verify(jwt + "~", nonce="n", audience="a")
    assert report.checks
    assert not report.verified
