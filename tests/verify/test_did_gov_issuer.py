"""Credentials from a did:gov issuer (did-gov-method §9): signed while the key was in force.

An agency issues, is compromised, rotates; what it issued before the rotation keeps
verifying offline, and what the thief signs with the removed key afterwards does not,
whatever date it carries.
"""

from __future__ import annotations

from typing import Any

import pytest

from did_gov import anchor, issue
from did_gov.dids import DefaultResolver
from did_gov.dids.gov import DidGov, GovLog, deactivate_log, update_log
from did_gov.ledger import Receipt
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify import VerificationReport, Verifier
from tests.dids._gov_world import World, agency, key, world

FORMATS = ("di", "vc-jwt", "sd-jwt")


def _vc(did: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential", "PermitCredential"],
        "issuer": did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"permit": "fishing"},
        **extra,
    }


def _verifier(log: GovLog, w: World) -> Verifier:
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())
    resolver = DefaultResolver()
    resolver.register(gov)
    return Verifier(
        resolver=resolver, trust=UNSAFE_TRUST_ANY_ISSUER, log_keys=[w.ledger.verifier.vkey]
    )


def _issue(log: GovLog, signer_seed: int, vm: str, fmt: str = "di", **extra: Any) -> Any:
    return issue(_vc(log.did, **extra), key(signer_seed), format=fmt, verification_method=vm)


def _anchored(credential: Any, w: World) -> list[Receipt]:
    return anchor(credential, w.ledger)


def _codes(report: VerificationReport) -> list[str]:
    return [c.code for c in report.errors]


@pytest.mark.parametrize("fmt", FORMATS)
def test_credential_from_did_gov_issuer_verifies(fmt: str) -> None:
    w = world()
    log = agency(w)
    credential = _issue(log, 10, f"{log.did}#key-1", fmt)
    report = _verifier(log, w).verify(credential)
    assert report.verified, report.summary()
    [note] = [c for c in report.checks if c.name == "did_log"]
    assert note.ok and note.code == "did.freshness_unknown"
    anchored = _verifier(log, w).verify(credential, receipts=_anchored(credential, w))
    assert anchored.verified, anchored.summary()


@pytest.mark.parametrize("fmt", FORMATS)
def test_attack_credential_with_removed_key_backdated(fmt: str) -> None:
    w = world()
    log = agency(w)
    vm = f"{log.did}#key-1"
    before = _issue(log, 10, vm, fmt)
    before_receipts = _anchored(before, w)
    # key 10 is stolen: the agency removes it and adds key 11 (#key-2)
    log = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    verifier = _verifier(log, w)

    kept = verifier.verify(before, receipts=before_receipts)
    assert kept.verified, kept.summary()
    unanchored = verifier.verify(before)
    assert not unanchored.verified and "did.gov_key_removed" in _codes(unanchored)

    forged = _issue(log, 10, vm, fmt, validFrom="2025-01-01T00:00:00Z")  # back-dated
    assert "did.gov_key_removed" in _codes(verifier.verify(forged))
    forged_receipts = _anchored(forged, w)  # anchoring it now puts it after the removal
    report = verifier.verify(forged, receipts=forged_receipts)
    assert not report.verified and "did.gov_key_removed" in _codes(report)
    # another credential's earlier receipt does not vouch for it
    borrowed = verifier.verify(forged, receipts=before_receipts)
    assert not borrowed.verified

    fresh = _issue(log, 11, f"{log.did}#key-2", fmt)
    assert verifier.verify(fresh, receipts=_anchored(fresh, w)).verified


def test_credential_after_deactivation_fails_with_its_own_code() -> None:
    w = world()
    log = agency(w)
    vm = f"{log.did}#key-1"
    before = _issue(log, 10, vm)
    before_receipts = _anchored(before, w)
    log = deactivate_log(log, key(1), w.ledger)
    verifier = _verifier(log, w)
    assert verifier.verify(before, receipts=before_receipts).verified
    after = _issue(log, 10, vm)
    report = verifier.verify(after, receipts=_anchored(after, w))
    assert not report.verified and "did.gov_deactivated" in _codes(report)
    assert "did.gov_deactivated" in _codes(verifier.verify(after))


def test_credential_anchored_before_the_key_was_added_is_not_in_force() -> None:
    w = world()
    log = agency(w)
    early = _issue(log, 11, f"{log.did}#key-2")
    receipts = _anchored(early, w)
    log = update_log(log, key(1), w.ledger, add_keys=[key(11).public_key])
    report = _verifier(log, w).verify(early, receipts=receipts)
    assert not report.verified and "did.gov_key_not_in_force" in _codes(report)


@pytest.mark.parametrize("fmt", FORMATS)
def test_anchored_bytes_and_receipt_checks_are_computed_once_per_verification(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps 3 (the key's anchor position), 10 (anchored time) and 11 (anchor) share one
    computation of the anchored bytes and one check of each receipt under each log key."""
    from did_gov.verify import _anchor_check

    w = world()
    log = agency(w)
    credential = _issue(log, 10, f"{log.did}#key-1", fmt)
    receipts = _anchored(credential, w)
    verifier = _verifier(log, w)
    calls = {"content": 0, "receipt": 0}
    content, check = _anchor_check.anchored_content, _anchor_check.verify_receipt

    def counted_content(*args: Any, **kwargs: Any) -> Any:
        calls["content"] += 1
        return content(*args, **kwargs)

    def counted_check(*args: Any, **kwargs: Any) -> Any:
        calls["receipt"] += 1
        return check(*args, **kwargs)

    monkeypatch.setattr(_anchor_check, "anchored_content", counted_content)
    monkeypatch.setattr(_anchor_check, "verify_receipt", counted_check)
    report = verifier.verify(credential, receipts=receipts)
    assert report.verified, report.summary()
    assert [c.code for c in report.checks if c.name == "anchor"] == ["ok"]
    assert calls == {"content": 1, "receipt": len(receipts)}
