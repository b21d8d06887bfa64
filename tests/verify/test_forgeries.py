"""Forgeries found by attacking a long-lived kiosk Verifier (issue 10), one regression test each.

Each test builds a valid credential with did_gov, then the attacker's mutation, and checks
that the Verifier refuses it with a stable code; ``test_each_defect_in_every_format`` runs
the classes that apply to all formats through Data Integrity, vc+jwt and SD-JWT VC.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from did_gov import PrivateKey, VerificationPolicy, Verifier, issue, present
from did_gov.proofs import jose, sd_jwt
from did_gov.proofs.data_integrity import add_proof
from did_gov.status import StatusList, build_list_credential
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import (
    ATTACKER,
    ATTACKER_DID,
    ATTACKER_VM,
    CITIZEN,
    ENTRY,
    INDEX,
    LIST_URL,
    MINISTRY,
    MINISTRY_DID,
    citizen_vc,
)


def _issued(fmt: str, **extra: Any) -> Any:
    return issue(citizen_vc(**extra), MINISTRY, format=fmt, now=NOW)  # type: ignore[call-overload]


def _list(issuer: str, revoked: bool) -> dict[str, Any]:
    bits = StatusList()
    if revoked:
        bits.set(INDEX, 1)
    return build_list_credential(
        list_url=LIST_URL,
        issuer=issuer,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(days=1),
    )


def _codes(report: Any) -> list[str]:
    return [c.code for c in report.errors]


REVOKED_LIST = issue(_list(MINISTRY_DID, revoked=True), MINISTRY, now=NOW)


# -- 1. SD-JWT issuer impersonation through the key cache ---------------------------------


def test_sd_jwt_issuer_impersonation_through_the_key_cache() -> None:
    kiosk = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    own = sd_jwt.issue_sd_jwt({"iss": ATTACKER_DID, "vct": "X"}, ATTACKER, kid=ATTACKER_VM)
    assert kiosk.verify(own).verified  # the attacker's own credential warms the cache
    forged = sd_jwt.issue_sd_jwt({"iss": MINISTRY_DID, "vct": "X"}, ATTACKER, kid=ATTACKER_VM)
    report = kiosk.verify(forged)
    assert not report.verified
    assert _codes(report) == ["issuer.key_mismatch"]


# -- 2. a forged status list un-revokes credentials ---------------------------------------


def _forged_list_typed_also_presentation() -> Any:
    clean = _list(MINISTRY_DID, revoked=False)
    clean["type"] = [*clean["type"], "VerifiablePresentation"]
    return add_proof(
        clean,
        ATTACKER,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=ATTACKER_VM,
        proof_purpose="authentication",
        created=NOW,
    )


def _forged_list_as_holderless_vp_jwt() -> Any:
    clean = _list(MINISTRY_DID, revoked=False)
    clean["type"] = [*clean["type"], "VerifiablePresentation"]
    return jose.sign_vp_jwt(clean, ATTACKER, kid=ATTACKER_VM)


def _forged_list_as_sd_jwt_with_plain_issuer() -> Any:
    clean = _list(MINISTRY_DID, revoked=False)
    return sd_jwt.issue_sd_jwt(
        {**clean, "iss": ATTACKER_DID, "vct": "X"}, ATTACKER, kid=ATTACKER_VM
    )


@pytest.mark.parametrize(
    "forge",
    [
        _forged_list_typed_also_presentation,
        _forged_list_as_holderless_vp_jwt,
        _forged_list_as_sd_jwt_with_plain_issuer,
    ],
)
def test_forged_status_list_does_not_unrevoke(forge: Any) -> None:
    vc = _issued("di", credentialStatus=ENTRY)
    genuine = Verifier(now=NOW, status_lists=[REVOKED_LIST], trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        vc
    )
    assert "status.revoked" in _codes(genuine)
    report = Verifier(now=NOW, status_lists=[forge()], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not report.verified, report.summary()
    assert _codes(report)[0] in {"status.list_unverified", "status.list_type_invalid"}


def test_a_list_signed_by_another_issuer_does_not_count() -> None:
    clean = issue(_list(MINISTRY_DID, revoked=False), ATTACKER, now=NOW)  # issuer := attacker
    vc = _issued("di", credentialStatus=ENTRY)
    report = Verifier(now=NOW, status_lists=[clean], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert _codes(report) == ["status.list_issuer_mismatch"]


# -- 3. SD-JWT VC status was never checked ------------------------------------------------


def test_sd_jwt_vc_status_is_checked() -> None:
    token = _issued("sd-jwt", credentialStatus=ENTRY)
    report = Verifier(now=NOW, status_lists=[REVOKED_LIST], trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        token
    )
    assert not report.verified
    assert _codes(report) == ["status.revoked"]
    clean = issue(_list(MINISTRY_DID, revoked=False), MINISTRY, now=NOW)
    assert (
        Verifier(now=NOW, status_lists=[clean], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(token)
        .verified
    )


# -- 4. a credential also typed VerifiablePresentation skipped the issuer check -------------


def test_credential_typed_also_presentation_is_refused() -> None:
    doc = citizen_vc()
    doc["type"] = [*doc["type"], "VerifiablePresentation"]
    forged = add_proof(
        doc,
        ATTACKER,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=ATTACKER_VM,
        proof_purpose="authentication",
        created=NOW,
    )
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(forged)
    assert not report.verified
    assert "credential.type_conflict" in _codes(report)


# -- 5. a stolen credential presented by someone else ---------------------------------------


def _presented(fmt: str, vc: Any, key: PrivateKey) -> Any:
    if fmt == "sd-jwt":
        return present([vc], key, format="sd-jwt", challenge="n-1", domain="kiosk", now=NOW)
    return present([vc], key, format=fmt, challenge="n-1", domain="kiosk", now=NOW)


def test_stolen_credential_presented_by_another_holder() -> None:
    vc = _issued("di")
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        _presented("di", vc, ATTACKER), challenge="n-1", domain="kiosk"
    )
    assert _codes(report) == ["subject.holder_mismatch"]
    own = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        _presented("di", vc, CITIZEN), challenge="n-1", domain="kiosk"
    )
    assert own.verified, own.summary()


def test_stolen_credential_in_a_holderless_vp_jwt() -> None:
    vc = _issued("vc-jwt")
    vp = jose.sign_vp_jwt(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [jose.envelope(vc)],
        },
        ATTACKER,
        kid=ATTACKER_VM,
        nonce="n-1",
        audience="kiosk",
    )
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        vp, nonce="n-1", audience="kiosk"
    )
    assert _codes(report) == ["subject.holder_mismatch"]


def test_bearer_credential_passes_with_a_warning_unless_the_policy_requires_a_subject() -> None:
    vp = _presented("di", _issued("di", subject=None), ATTACKER)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        vp, challenge="n-1", domain="kiosk"
    )
    assert report.verified, report.summary()
    (subject,) = [c for c in report.credentials[0].checks if c.name == "subject"]
    assert (subject.ok, subject.code) == (True, "subject.bearer")
    strict = Verifier(
        now=NOW, policy=VerificationPolicy(require_subject_id=True), trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert _codes(strict.verify(vp, challenge="n-1", domain="kiosk")) == ["subject.id_missing"]


def test_a_kiosk_may_turn_subject_binding_off() -> None:
    vp = _presented("di", _issued("di"), ATTACKER)  # a parent presenting a child's credential
    kiosk = Verifier(
        now=NOW, policy=VerificationPolicy(subject_binding=False), trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert kiosk.verify(vp, challenge="n-1", domain="kiosk").verified
