"""Each defect class of issue 10 through all three formats: one pipeline, one code per failure."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from did_gov import PrivateKey, Verifier, issue, present
from did_gov._encoding import b64url_decode, b64url_encode
from did_gov.dids import did_key
from did_gov.status import StatusList, build_list_credential
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import (
    ATTACKER,
    CITIZEN,
    ENTRY,
    FORMATS,
    LIST_URL,
    MINISTRY,
    MINISTRY_DID,
    citizen_vc,
)


def _issued(fmt: str, key: PrivateKey = MINISTRY, **extra: Any) -> Any:
    vm = None if key is MINISTRY else did_key.verification_method_id(key.public_key)
    return issue(citizen_vc(**extra), key, format=fmt, verification_method=vm, now=NOW)  # type: ignore[call-overload]


def _revoked_list() -> dict[str, Any]:
    bits = StatusList()
    bits.set(94, 1)
    unsigned = build_list_credential(
        list_url=LIST_URL,
        issuer=MINISTRY_DID,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(days=1),
    )
    return issue(unsigned, MINISTRY, now=NOW)


def _tampered(fmt: str) -> Any:
    secured = _issued(fmt)
    if fmt == "di":
        secured["credentialSubject"]["name"] = "Eve"
        return secured
    head, payload, rest = secured.split(".", 2)
    claims = json.loads(b64url_decode(payload))
    if fmt == "vc-jwt":
        claims["credentialSubject"]["name"] = "Eve"
    else:
        claims["vct"] = "AdminCredential"
    return f"{head}.{b64url_encode(json.dumps(claims).encode())}.{rest}"


def _stolen(fmt: str) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """The citizen's credential, presented by the attacker (an enveloped token for JWT formats)."""
    secured = _issued(fmt)
    vp = present([secured], ATTACKER, format="di", challenge="n-1", domain="kiosk", now=NOW)
    return vp, {}, {"challenge": "n-1", "domain": "kiosk"}


Case = Callable[[str], tuple[Any, dict[str, Any], dict[str, str]]]
CASES: dict[str, tuple[Case, str]] = {
    "expired": (
        lambda f: (_issued(f, validUntil="2025-05-01T00:00:00Z"), {}, {}),
        "credential.expired",
    ),
    "not yet valid": (
        lambda f: (_issued(f, validFrom="2026-01-01T00:00:00Z"), {}, {}),
        "credential.not_yet_valid",
    ),
    "tampered": (lambda f: (_tampered(f), {}, {}), "signature.invalid"),
    "issuer impersonated": (
        lambda f: (_issued(f, ATTACKER), {}, {}),
        "issuer.key_mismatch",
    ),
    "revoked": (
        lambda f: (_issued(f, credentialStatus=ENTRY), {"status_lists": [_revoked_list()]}, {}),
        "status.revoked",
    ),
    "status list missing": (
        lambda f: (_issued(f, credentialStatus=ENTRY), {}, {}),
        "status.list_unavailable",
    ),
    "stolen credential": (_stolen, "subject.holder_mismatch"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("defect", sorted(CASES))
def test_each_defect_in_every_format(defect: str, fmt: str) -> None:
    make, code = CASES[defect]
    document, environment, expected = make(fmt)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, **environment).verify(
        document, **expected
    )
    assert not report.verified
    assert [c.code for c in report.errors] == [code], report.summary()


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_verifies_when_nothing_is_wrong(fmt: str) -> None:
    document = _issued(fmt)
    assert Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(document).verified
    vp = present([document], CITIZEN, format="di", challenge="n-1", now=NOW)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vp, challenge="n-1")
    assert report.verified, report.summary()
