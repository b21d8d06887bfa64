"""Carrying log checkpoints from one bundle version to the next (trust-bundle §4, §6 step 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from did_gov.errors import TrustError
from did_gov.keys import PrivateKey
from did_gov.ledger.memory import MemoryLedger
from did_gov.trust import TrustStore, earlier_heads, log_checkpoint
from tests.trust._bundles import LOG_KEY, LOG_ORIGIN, bundle, root
from tests.trust._world import NOW


def _ledger(size: int, fill: int = 0) -> MemoryLedger:
    ledger = MemoryLedger(LOG_ORIGIN, LOG_KEY, clock=lambda: NOW)
    ledger.append([bytes([fill]) * 31 + bytes([i]) for i in range(size)])
    return ledger


def _grow(ledger: MemoryLedger, count: int) -> None:
    start = ledger.size()
    ledger.append([bytes(31) + bytes([i]) for i in range(start, start + count)])


def test_each_bundle_proves_from_the_heads_the_previous_one_carried(tmp_path: Path) -> None:
    ledger, store = _ledger(3), TrustStore(tmp_path)
    previous = bundle(1, checkpoints=[log_checkpoint(ledger)])
    store.install(previous, root(), now=NOW)
    for version in range(2, 6):
        _grow(ledger, version)
        heads = earlier_heads(previous)[LOG_ORIGIN]
        entry = log_checkpoint(ledger, heads)
        assert [size for size, _, _ in entry.consistency] == sorted({s for s, _ in heads})
        previous = bundle(version, checkpoints=[entry])
        store.install(previous, root(), now=NOW)
    assert store.load(now=NOW).checkpoints[0].consistency[-1][0] == 3 + 2 + 3 + 4


def test_building_on_a_forked_log_is_refused() -> None:
    honest, forked = _ledger(4), _ledger(4, fill=0xFF)
    heads = earlier_heads(bundle(1, checkpoints=[log_checkpoint(honest)]))[LOG_ORIGIN]
    _grow(forked, 2)
    with pytest.raises(TrustError) as caught:
        log_checkpoint(forked, heads)
    assert caught.value.code == "trust.log_fork"
    same_size = _ledger(4, fill=0xEE)
    with pytest.raises(TrustError) as caught:
        log_checkpoint(same_size, heads)
    assert caught.value.code == "trust.log_fork"


def test_a_head_beyond_the_carried_checkpoint_is_a_fork() -> None:
    ledger = _ledger(6)
    old = ledger.checkpoint()
    shorter = _ledger(2)
    with pytest.raises(TrustError) as caught:
        log_checkpoint(shorter, [old])
    assert caught.value.code == "trust.log_fork"


def test_a_checkpoint_not_signed_by_the_log_key_is_refused() -> None:
    other = MemoryLedger(LOG_ORIGIN, PrivateKey.from_seed("ed25519", bytes([99]) * 32))
    other.append([bytes(32)])
    with pytest.raises(TrustError) as caught:
        log_checkpoint(_ledger(2), note=other.checkpoint())
    assert caught.value.code == "trust.bundle_malformed"
