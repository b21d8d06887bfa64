"""Installing bundles into a trust store: one named test per attack (trust-bundle §6)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from did_gov.errors import TrustError
from did_gov.trust import IssuerClaim, TrustStore
from tests.trust._bundles import BUNDLE_KEYS, DAY, Log, bundle, resign, root
from tests.trust._world import BIRTH, NOW, OFFICE, ROOT, accredit, standard


def _code(call: object) -> str:
    with pytest.raises(TrustError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code


def test_install_then_load(tmp_path: Path) -> None:
    store = TrustStore(tmp_path / "store")
    result = store.install(bundle(3), root(), now=NOW)
    assert (result.version, result.root_version, result.floor_reset) == (3, 1, False)
    loaded = store.load(now=NOW)
    assert loaded.version == 3
    claim = IssuerClaim(OFFICE.did, (BIRTH,), (), None, None, "vc-jwt", None)
    assert loaded.registry().judge_issuer(claim, NOW).ok
    # Reinstalling the very same bundle is harmless.
    store.install(bundle(3), root(), now=NOW)


def test_rollback_attack_is_refused(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(5), root(), now=NOW)
    assert _code(lambda: store.install(bundle(4), root(), now=NOW)) == "trust.bundle_rollback"
    other_five = bundle(5, expires_in=10 * DAY)
    assert _code(lambda: store.install(other_five, root(), now=NOW)) == "trust.bundle_rollback"
    assert store.load(now=NOW).version == 5


def test_freeze_attack_is_refused(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(1), root(), now=NOW)
    stale = bundle(2)  # expires NOW + 30 days
    assert _code(lambda: store.install(stale, root(), now=NOW + 31 * DAY)) == "trust.bundle_expired"


def test_freeze_by_turning_the_clock_back_is_refused(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(2, issued_offset=40 * DAY), root(), now=NOW + 40 * DAY)
    # The kiosk clock is turned back: an old, expired-by-now bundle must not install or load.
    old = bundle(3, expires_in=20 * DAY)
    assert _code(lambda: store.install(old, root(), now=NOW)) == "trust.bundle_expired"
    assert store.clock_floor() == NOW + 40 * DAY


def test_mix_and_match_attack_on_install_is_refused(tmp_path: Path) -> None:
    one = json.loads(bundle(1))
    two = json.loads(bundle(2, extra={"status_lists": [{"id": "urn:x"}]}))
    mixed = two | {"files": two["files"] | {"status-lists.json": one["files"]["status-lists.json"]}}
    store = TrustStore(tmp_path)
    raw = json.dumps(mixed).encode()
    assert _code(lambda: store.install(raw, root(), now=NOW)) == "trust.bundle_hash_mismatch"
    assert not store.installed


def test_rotation_without_both_thresholds_is_refused(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(1), root(), now=NOW)
    r2 = root(2, keys=BUNDLE_KEYS[2:4], signers=[BUNDLE_KEYS[2]])
    raw = bundle(2, roots=[root(), r2], signers=[BUNDLE_KEYS[2]])
    assert (
        _code(lambda: store.install(raw, root(), now=NOW)) == "trust.bundle_root_rotation_invalid"
    )


def test_tampered_store_is_detected(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(1), root(), now=NOW)
    stored = tmp_path / "bundle.json"
    value = json.loads(stored.read_bytes())
    extra = accredit(ROOT, "did:web:evil.example", (BIRTH,)).to_json()
    accreditations = [*json.loads(value["files"]["accreditations.json"]), extra]
    value["files"]["accreditations.json"] = json.dumps(accreditations)
    stored.write_text(json.dumps(value))
    assert _code(lambda: store.load(now=NOW)) == "trust.store_tampered"


def test_tampered_store_with_consistent_hash_is_detected(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(1), root(), now=NOW)
    forged = resign(bundle(1, expires_in=300 * DAY), [BUNDLE_KEYS[3]])
    (tmp_path / "bundle.json").write_bytes(forged)
    state = json.loads((tmp_path / "state.json").read_text())
    import hashlib

    state["bundleSha256"] = hashlib.sha256(forged).hexdigest()
    (tmp_path / "state.json").write_text(json.dumps(state))
    assert _code(lambda: store.load(now=NOW)) == "trust.store_tampered"


def test_tampered_root_in_store_is_detected(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(1), root(), now=NOW)
    attacker = root(keys=BUNDLE_KEYS[3:4])
    (tmp_path / "root.json").write_text(json.dumps(attacker.to_json() | {"signatures": []}))
    assert _code(lambda: store.load(now=NOW)) == "trust.store_tampered"


def test_log_fork_is_refused(tmp_path: Path) -> None:
    honest, forked = Log(), Log()
    store = TrustStore(tmp_path)
    store.install(bundle(1, checkpoints=[honest.grow(4)]), root(), now=NOW)
    forked.ledger.append([b"\xff" * 32] * 4)
    fork_entry = forked.grow(2)
    raw = bundle(2, checkpoints=[fork_entry])
    assert _code(lambda: store.install(raw, root(), now=NOW)) == "trust.log_consistency_unknown"
    # Same size, different root: a fork proven by two signed checkpoints.
    twin = Log()
    twin.ledger.append([b"\xee" * 32] * 4)
    twin_entry = twin.grow(0)
    raw = bundle(2, checkpoints=[twin_entry])
    assert _code(lambda: store.install(raw, root(), now=NOW)) == "trust.log_fork"


def test_log_fork_with_a_proof_from_the_stored_size_is_refused(tmp_path: Path) -> None:
    honest = Log()
    store = TrustStore(tmp_path)
    first = honest.grow(4)
    store.install(bundle(1, checkpoints=[first]), root(), now=NOW)
    forked = Log()
    forked.ledger.append([b"\xff" * 32] * 4)
    forked.carried.append(forked.ledger.checkpoint())
    entry = forked.grow(3)  # carries a proof from size 4 of the *forked* tree
    raw = bundle(2, checkpoints=[entry])
    assert _code(lambda: store.install(raw, root(), now=NOW)) == "trust.log_fork"


def test_log_growth_with_consistency_proofs_installs(tmp_path: Path) -> None:
    log = Log()
    store = TrustStore(tmp_path)
    store.install(bundle(1, checkpoints=[log.grow(3)]), root(), now=NOW)
    store.install(bundle(2, checkpoints=[log.grow(5)]), root(), now=NOW)
    store.install(bundle(3, checkpoints=[log.grow(1)]), root(), now=NOW)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["logs"][log.ledger.origin]["size"] == 9


def test_log_further_behind_than_carried_proofs_is_unknown(tmp_path: Path) -> None:
    log = Log()
    store = TrustStore(tmp_path)
    store.install(bundle(1, checkpoints=[log.grow(1)]), root(), now=NOW)
    for _ in range(33):
        log.grow(1)
    assert len(log.grow(1).consistency) == 32
    raw = bundle(2, checkpoints=[log.grow(1)])
    assert _code(lambda: store.install(raw, root(), now=NOW)) == "trust.log_consistency_unknown"


def test_fast_forward_attack_recovery(tmp_path: Path) -> None:
    store = TrustStore(tmp_path)
    store.install(bundle(1), root(), now=NOW)
    # An attacker with the compromised bundle key pushes a huge version, issued far ahead.
    store.install(bundle(2**31, issued_offset=300 * DAY, expires_in=30 * DAY), root(), now=NOW)
    legit = bundle(2)
    assert _code(lambda: store.install(legit, root(), now=NOW)) in {
        "trust.bundle_rollback",
        "trust.bundle_expired",
    }
    # The authority rotates the bundle keys: root v2, signed by both thresholds.
    r2 = root(2, keys=BUNDLE_KEYS[2:4], signers=[BUNDLE_KEYS[0], BUNDLE_KEYS[2]])
    result = store.install(bundle(2, roots=[root(), r2], signers=[BUNDLE_KEYS[2]]), root(), now=NOW)
    assert result.floor_reset
    assert store.load(now=NOW).version == 2
    # The old compromised key no longer counts.
    stale = resign(bundle(3, roots=[root(), r2], signers=[BUNDLE_KEYS[2]]), [BUNDLE_KEYS[0]])
    assert _code(lambda: store.install(stale, root(), now=NOW)) == "trust.bundle_signature_invalid"


def test_install_of_a_five_megabyte_bundle_is_fast(tmp_path: Path) -> None:
    accreditations = [
        *standard(),
        *(accredit(ROOT, f"did:web:office{i}.gov.example", (BIRTH,)) for i in range(40)),
    ]
    padding = [
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"urn:list:{i}",
            "x": "A" * 4000,
        }
        for i in range(1250)
    ]
    raw = bundle(1, extra={"accreditations": accreditations, "status_lists": padding})
    assert len(raw) >= 5_000_000
    rounds = []
    for i in range(3):
        store = TrustStore(tmp_path / f"s{i}")
        start = time.process_time()
        store.install(raw, root(), now=NOW)
        rounds.append(time.process_time() - start)
    assert min(rounds) <= 0.2, f"install took {min(rounds) * 1000:.0f} ms"
