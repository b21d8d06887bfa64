"""The Verifier end to end: credentials, presentations, holder binding, validity, and hostile input."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov import PrivateKey, VerificationPolicy, Verifier, issue, present
from did_gov.dids import DefaultResolver, did_key
from did_gov.errors import DidGovError, InvalidInputError, VerificationFailed
from did_gov.testing import credentials, private_keys
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW, load_vector

ISSUER = PrivateKey.from_seed("ed25519", bytes(range(32)))
HOLDER = PrivateKey.from_seed("p256", bytes(range(32)))


def _credential(**extra: Any) -> dict[str, Any]:
    unsigned = {**load_vector("eddsa/unsigned.json"), **extra}
    return issue(unsigned, ISSUER, now=NOW)


def _codes(report: Any) -> set[str]:
    return {c.code for c in report.errors}


def test_issued_credential_verifies() -> None:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(_credential())
    assert report.verified, report.summary()
    assert report.format == "vc-di"
    assert [c.name for c in report.checks] == ["shape", "proof", "issuer", "validity", "trust"]
    report.raise_for_failure()


def test_issuer_must_control_the_key() -> None:
    other = did_key.did_for_public_key(HOLDER.public_key)
    forged = issue(
        {**load_vector("eddsa/unsigned.json"), "issuer": other},
        ISSUER,
        verification_method=did_key.verification_method_id(ISSUER.public_key),
        now=NOW,
    )
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(forged)
    assert not report.verified
    assert "issuer.key_mismatch" in _codes(report)
    with pytest.raises(VerificationFailed) as info:
        report.raise_for_failure()
    assert info.value.code == "issuer.key_mismatch"


@pytest.mark.parametrize(
    ("extra", "at", "code"),
    [
        ({"validFrom": "2030-01-01T00:00:00Z"}, NOW, "credential.not_yet_valid"),
        ({"validUntil": "2024-01-01T00:00:00Z"}, NOW, "credential.expired"),
    ],
)
def test_validity_window(extra: dict[str, str], at: datetime, code: str) -> None:
    report = Verifier(now=at, trust=UNSAFE_TRUST_ANY_ISSUER).verify(_credential(**extra))
    assert code in _codes(report)


def test_injected_clock_and_per_call_now() -> None:
    vc = _credential(validUntil="2026-01-01T00:00:00Z")
    verifier = Verifier(now=lambda: NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    assert verifier.verify(vc).verified
    assert not verifier.verify(vc, now=datetime(2027, 1, 1, tzinfo=UTC)).verified
    skewed = Verifier(now=datetime(2026, 1, 1, 0, 4, tzinfo=UTC), trust=UNSAFE_TRUST_ANY_ISSUER)
    assert skewed.verify(vc).verified  # within the default 5-minute clock skew


def test_presentation_challenge_domain_and_holder() -> None:
    subject = {"id": did_key.did_for_public_key(HOLDER.public_key)}
    vp = present(
        [_credential(credentialSubject=subject)],
        HOLDER,
        challenge="n-1",
        domain="kiosk.example",
        now=NOW,
    )
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    good = verifier.verify(vp, challenge="n-1", domain="kiosk.example")
    assert good.verified, good.summary()
    assert good.format == "vp-di" and len(good.credentials) == 1
    assert "proof.challenge_mismatch" in _codes(
        verifier.verify(vp, challenge="n-2", domain="kiosk.example")
    )
    assert "proof.domain_mismatch" in _codes(
        verifier.verify(vp, challenge="n-1", domain="other.example")
    )
    strict = Verifier(
        now=NOW, policy=VerificationPolicy(require_challenge=True), trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert "presentation.challenge_required" in _codes(strict.verify(vp))


def test_presentation_holder_binding() -> None:
    vp = present([_credential()], HOLDER, challenge="c", now=NOW)
    stolen = copy.deepcopy(vp)
    stolen["holder"] = did_key.did_for_public_key(ISSUER.public_key)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(stolen, challenge="c")
    assert not report.verified  # the holder is signed, and it is not the signer


def test_presentation_with_tampered_credential() -> None:
    vc = _credential()
    vc["credentialSubject"]["alumniOf"] = "Forged University"
    vp = present([vc], HOLDER, challenge="c", now=NOW)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vp, challenge="c")
    assert not report.verified
    assert any(c.name.startswith("credential[0].") for c in report.errors)
    assert json.dumps(report.to_json())


def test_credential_signed_for_authentication_is_not_an_assertion() -> None:
    vp = present([_credential()], HOLDER, challenge="c", now=NOW)
    as_credential = {
        **vp,
        "type": ["VerifiableCredential"],
        "issuer": vp["holder"],
        "credentialSubject": {"id": "did:example:x"},
    }
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(as_credential)
    assert not report.verified


def test_unresolvable_did_web_is_indeterminate_not_invalid(tmp_path: Path) -> None:
    key = PrivateKey.from_seed("ed25519", bytes(32))
    did = "did:web:ministry.example.gov"
    unsigned = {**load_vector("eddsa/unsigned.json"), "issuer": did}
    vc = issue(unsigned, key, verification_method=f"{did}#key-1", now=NOW)
    offline = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not offline.verified
    assert any(c.indeterminate and c.code == "network.disabled" for c in offline.checks)
    resolver = DefaultResolver()
    resolver.preload(
        {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [
                {
                    "id": f"{did}#key-1",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": key.public_key.to_multikey(),
                }
            ],
            "assertionMethod": [f"{did}#key-1"],
        }
    )
    assert Verifier(now=NOW, resolver=resolver, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).verified


def test_registered_contexts(tmp_path: Path) -> None:
    context = {
        "@context": {
            "@version": 1.1,
            "@protected": True,
            "licenceClass": "https://gov.example/vocab#licenceClass",
        }
    }
    (tmp_path / "licence.json").write_text(json.dumps(context))
    (tmp_path / "index.json").write_text(
        json.dumps({"https://gov.example/contexts/licence/v1": "licence.json"})
    )
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://gov.example/contexts/licence/v1",
        ],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:x",
        "credentialSubject": {"licenceClass": "B"},
    }
    vc = issue(unsigned, ISSUER, contexts=[tmp_path], now=NOW)
    assert Verifier(contexts=[tmp_path], now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).verified
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert "jsonld.context_not_allowed" in _codes(report)


def test_wrong_argument_type_is_misuse() -> None:
    with pytest.raises(InvalidInputError):
        Verifier(trust=UNSAFE_TRUST_ANY_ISSUER).verify(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw", [b"", b"\xff\xfe", b"[]", b"null", b'{"a":1,"a":2}', b"{" * 5000, "x" * 10]
)
def test_unparseable_input_reports(raw: bytes | str) -> None:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(raw)
    assert not report.verified
    assert report.checks


@settings(max_examples=25, deadline=None)
@given(credentials(), private_keys())
def test_round_trip_through_the_verifier(vc: dict[str, Any], key: PrivateKey) -> None:
    signed = issue(vc, key, now=NOW)
    assert Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(json.dumps(signed)).verified


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "@context",
                            "type",
                            "proof",
                            "issuer",
                            "holder",
                            "verifiableCredential",
                            "credentialSubject",
                            "validFrom",
                        ]
                    ),
                    c,
                    max_size=5,
                )
            ),
        ),
    )
)
def test_hostile_input_never_raises(value: Any) -> None:
    if isinstance(value, dict | bytes | str):
        assert not Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(value).verified
    else:
        with pytest.raises(DidGovError):
            Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(value)


def test_truncated_credentials_fail() -> None:
    text = json.dumps(_credential())
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    for cut in range(0, len(text), max(1, len(text) // 25)):
        assert not verifier.verify(text[:cut]).verified
    assert verifier.verify(text).verified
