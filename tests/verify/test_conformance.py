"""Conformance gaps of issue 10, each from the spec text: VC-JOSE-COSE §3, VCDM 2.0 §4.13,
VC Data Integrity §2.1.2/§2.6, and the Verifier's policy and clock rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from did_gov import PrivateKey, VerificationPolicy, Verifier, issue, present
from did_gov.dids import did_key
from did_gov.errors import InvalidInputError
from did_gov.proofs import jose
from did_gov.proofs.data_integrity import add_proof
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW

MINISTRY = PrivateKey.from_seed("ed25519", bytes(range(32)))
NOTARY = PrivateKey.from_seed("p256", bytes(range(5, 37)))
MINISTRY_DID = did_key.did_for_public_key(MINISTRY.public_key)
MINISTRY_VM = did_key.verification_method_id(MINISTRY.public_key)
NOTARY_VM = did_key.verification_method_id(NOTARY.public_key)


def _vc(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential", "CitizenCredential"],
        "issuer": MINISTRY_DID,
        "credentialSubject": {"name": "Ada"},
        **extra,
    }


def _codes(report: Any) -> list[str]:
    return [c.code for c in report.errors]


# -- VC-JOSE-COSE §3: the payload is the credential, never a `vc`/`vp` claim ---------------


@pytest.mark.parametrize("claim", ["vc", "vp"])
def test_vc_jwt_carrying_a_vc_or_vp_claim_is_rejected(claim: str) -> None:
    token = jose.sign_vc_jwt(
        {**_vc(), claim: {"type": ["VerifiableCredential"]}}, MINISTRY, kid=MINISTRY_VM
    )
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token)
    assert _codes(report) == ["jose.claim_invalid"]


# -- VCDM 2.0 §4.13: enveloped credentials and presentations --------------------------------


def test_a_standalone_enveloped_credential_is_opened_and_verified() -> None:
    token = issue(_vc(), MINISTRY, format="vc-jwt", now=NOW)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(jose.envelope(token))
    assert report.verified, report.summary()
    assert (report.format, report.checks[0].name) == ("vc-jwt", "envelope")
    sd = issue(_vc(), MINISTRY, format="sd-jwt", now=NOW)
    assert (
        Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(jose.envelope(sd, "application/dc+sd-jwt"))
        .verified
    )


def test_a_standalone_enveloped_presentation_is_opened_and_verified() -> None:
    vp = present([issue(_vc(), MINISTRY, now=NOW)], MINISTRY, format="vc-jwt", challenge="n")
    envelope = {**jose.envelope(vp, jose.VP_MEDIA_TYPE), "type": "EnvelopedVerifiablePresentation"}
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(envelope, nonce="n")
    assert report.verified, report.summary()
    assert report.format == "vp-jwt"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"@context": "https://www.w3.org/2018/credentials/v1"}, "envelope.invalid"),
        ({"@context": None}, "envelope.invalid"),
        ({"type": "EnvelopedVerifiablePresentation"}, "envelope.invalid"),
        ({"id": "https://example.com/vc"}, "envelope.invalid"),
        ({"id": "data:application/vc+cose,AAAA"}, "envelope.unsupported"),
    ],
)
def test_the_envelope_object_itself_is_checked(change: dict[str, Any], code: str) -> None:
    token = issue(_vc(), MINISTRY, format="vc-jwt", now=NOW)
    envelope = {**jose.envelope(token), **change}
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(envelope)
    assert not report.verified
    assert _codes(report) == [code]
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    vp = present([issue(_vc(), MINISTRY, now=NOW)], holder, challenge="c", now=NOW)
    vp["verifiableCredential"] = [envelope]
    nested = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vp, challenge="c")
    assert code in _codes(nested.credentials[0])


# -- VC DI §2.1.2 / §2.6: proof sets and chains by several parties ---------------------------


def _co_signed() -> dict[str, Any]:
    unsigned = _vc()
    first = add_proof(
        unsigned,
        MINISTRY,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=MINISTRY_VM,
        proof_purpose="assertionMethod",
        created=NOW,
    )
    return add_proof(
        first,
        NOTARY,
        cryptosuite="ecdsa-rdfc-2019",
        verification_method=NOTARY_VM,
        proof_purpose="assertionMethod",
        created=NOW,
    )


def test_a_proof_set_with_a_co_signer_binds_the_issuer() -> None:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(_co_signed())
    assert report.verified, report.summary()
    (issuer,) = [c for c in report.checks if c.name == "issuer"]
    assert NOTARY_VM in issuer.message  # the other party's proof is reported
    strict = Verifier(
        now=NOW,
        policy=VerificationPolicy(require_issuer_proofs=True),
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )
    assert _codes(strict.verify(_co_signed())) == ["issuer.key_mismatch"]


def test_an_https_issuer_is_bound_only_by_its_jwks() -> None:
    https = issue(
        {**_vc(), "issuer": "https://ministry.example"},
        MINISTRY,
        verification_method=MINISTRY_VM,
        now=NOW,
    )
    assert _codes(Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(https)) == [
        "issuer.unbound"
    ]
    token = jose.sign_vc_jwt({**_vc(), "issuer": "https://ministry.example"}, MINISTRY, kid="k1")
    assert _codes(Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token)) == [
        "issuer.key_unknown"
    ]
    jwks = [{**MINISTRY.public_key.to_jwk(), "kid": "k1"}]
    assert Verifier(now=NOW, issuer_jwks=jwks, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token).verified


# -- clock skew and the policy's own checks ---------------------------------------------------


def test_clock_skew_applies_to_data_integrity_created() -> None:
    early = issue(_vc(), MINISTRY, created=NOW + timedelta(minutes=3), now=NOW)
    assert (
        Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(early).verified
    )  # within the default 5 minutes
    exact = Verifier(
        now=NOW, policy=VerificationPolicy(clock_skew=timedelta(0)), trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert _codes(exact.verify(early)) == ["proof.created_in_future"]


@pytest.mark.parametrize(
    "fields",
    [
        {"clock_skew": 300},
        {"clock_skew": timedelta(minutes=-1)},
        {"key_binding_max_age": timedelta(seconds=-1)},
        {"require_challenge": "yes"},
        {"subject_binding": 1},
        {"unknown_status": "fail"},
    ],
)
def test_verification_policy_validates_its_fields(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError) as info:
        VerificationPolicy(**fields)
    assert info.value.code == "policy.invalid"
