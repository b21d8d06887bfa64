"""Red team: the six did:gov attacks again, on a DidGov / Verifier whose caches are warm.

Today's speedups keep verified logs (incremental verification of appended entries),
judged verification methods per version, decoded Multikeys, verified checkpoint
signatures and each verification's anchoring. Each test first verifies the good history
(or credential) on the same objects, then runs the attack there: a cache must never carry
a verdict from the good input over to the attack.
"""

from __future__ import annotations

import copy

import pytest

from did_gov import present
from did_gov.dids.gov import DidGov, update_log, verify_log
from did_gov.errors import GovLogError
from tests.dids._gov_world import agency, forge, key, world
from tests.verify.test_did_gov_issuer import _anchored, _codes, _issue, _verifier


def _code(excinfo: pytest.ExceptionInfo[GovLogError]) -> str:
    return excinfo.value.code


def test_attack_tampered_entry_after_the_good_log_is_held() -> None:
    w = world()
    log = update_log(agency(w), key(1), w.ledger, add_keys=[key(11).public_key])
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())
    for number in (0, 1):
        entries = copy.deepcopy(log.entries())
        entries[number]["state"]["assertionMethod"] = []
        with pytest.raises(GovLogError) as excinfo:  # alone: refused
            verify_log(entries, log.receipts())
        assert _code(excinfo) in ("did.gov_hash_chain_broken", "did.gov_scid_mismatch")
        # Against the held log the altered copy is a prefix by versionId and proof: what is
        # kept and served is the verified entries, never the altered state.
        served = gov.add_log(entries, log.receipts())
        assert served.entries() == log.entries()
        assert gov.resolve(log.did).data["assertionMethod"] != []
        assert DidGov().add_log(log.entries(), log.receipts()).entries() == log.entries()


def test_attack_unauthorized_update_after_the_good_log_is_held() -> None:
    w = world()
    log = agency(w)
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())
    good = update_log(log, key(1), w.ledger, add_keys=[key(11).public_key])
    gov.add_log(good.entries(), good.receipts())  # incremental: one entry verified
    state = dict(good.latest.state)
    state["verificationMethod"] = [
        {**state["verificationMethod"][0], "publicKeyMultibase": key(66).public_key.to_multikey()}
    ]
    entries, receipts = forge(w, good, key(66), {}, state)
    with pytest.raises(GovLogError) as excinfo:
        gov.add_log(entries, receipts)
    assert _code(excinfo) == "did.gov_update_unauthorized"
    assert gov.log(log.did).latest.number == 2


def test_attack_rotation_breaking_the_prerotation_commitment_after_the_good_log_is_held() -> None:
    w = world()
    log = agency(w, prerotation=True)
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())
    thief = key(66)
    entries, receipts = forge(
        w,
        log,
        key(1),
        {
            "updateKeys": [thief.public_key.to_multikey()],
            "nextKeyHashes": [thief.public_key.pre_rotation_hash()],
        },
    )
    with pytest.raises(GovLogError) as excinfo:
        gov.add_log(entries, receipts)
    assert _code(excinfo) == "did.gov_prerotation_violated"


def test_attack_truncated_copy_after_the_full_log_is_held() -> None:
    w = world()
    log = agency(w)
    full = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    gov = DidGov()
    gov.add_log(full.entries(), full.receipts())
    held = gov.add_log(log.entries(), log.receipts())  # the shorter copy changes nothing
    assert held.latest.number == 2
    assert "key-1" not in str(gov.resolve(log.did).data["assertionMethod"])
    # A verifier that held only the short copy learns of the truncation from a head.
    short = DidGov()
    short.add_log(log.entries(), log.receipts())
    assert short.freshness(log.did).code == "did.freshness_unknown"
    short.add_head(
        {"versionId": full.latest.version_id, "receipt": full.latest.receipt.to_json()}, log.did
    )
    with pytest.raises(GovLogError) as excinfo:
        short.resolve(log.did)
    assert _code(excinfo) == "did.gov_truncated"


def test_attack_fork_after_an_incremental_extension() -> None:
    w = world()
    log = agency(w)
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())
    one = forge(w, log, key(1), {}, {**dict(log.latest.state), "assertionMethod": []})
    two = forge(w, log, key(1), {"updateKeys": [key(66).public_key.to_multikey()]})
    gov.add_log(*one)  # verified incrementally from the held version 1
    with pytest.raises(GovLogError) as excinfo:
        gov.add_log(*two)
    assert _code(excinfo) == "did.gov_forked"
    with pytest.raises(GovLogError):
        gov.resolve(log.did)


def test_attack_backdated_removed_key_beside_an_anchored_credential_in_one_presentation() -> None:
    """The anchoring of one verification is per document: a credential anchored before the
    removal does not lend its position to a forged one presented beside it."""
    w = world()
    log = agency(w)
    vm = f"{log.did}#key-1"
    before = _issue(log, 10, vm)
    before_receipts = _anchored(before, w)
    log = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    verifier = _verifier(log, w)
    assert verifier.verify(before, receipts=before_receipts).verified
    forged = _issue(log, 10, vm, validFrom="2025-01-01T00:00:00Z")
    holder = key(77)
    for credentials in ([before, forged], [forged, before], [forged]):
        vp = present(credentials, holder, format="di", challenge="c", domain="d")
        report = verifier.verify(vp, receipts=before_receipts, challenge="c", domain="d")
        assert not report.verified
        assert "did.gov_key_removed" in _codes(report)
    # and the warm caches still give the good credential its position
    assert verifier.verify(before, receipts=before_receipts).verified
