"""The did:gov benchmark's signature floor counts what a full verification really verifies."""

from __future__ import annotations

import pytest

from bench import didgov as bench_didgov
from did_gov.dids.gov import verify_log
from did_gov.errors import GovLogError


def test_full_verification_verifies_one_proof_and_one_checkpoint_per_entry() -> None:
    """Entries anchored one per append: each needs its proof and its own checkpoint (§6)."""
    _, log = bench_didgov.history(12)
    entries, receipts = log.entries(), log.receipts()

    def full() -> object:
        bench_didgov._forget_checkpoints()
        return verify_log(entries, receipts)

    assert bench_didgov.signatures_in(full) == 2 * 12
    # the count is restored: a later verification is not counted
    assert verify_log(entries, receipts).did == log.did


def test_stubbed_measurement_restores_the_real_signature_check() -> None:
    from did_gov.keys import PrivateKey, PublicKey

    original = PublicKey.verify
    _, log = bench_didgov.history(3)
    entries, receipts = log.entries(), log.receipts()
    figure = bench_didgov._above_floor(lambda: verify_log(entries, receipts), rounds=3)
    assert figure.median > 0 and PublicKey.verify is original
    key = PrivateKey.generate()
    assert not key.public_key.verify(key.sign(b"a"), b"b")


def test_a_checkpoint_is_verified_once_per_verification() -> None:
    """The same checkpoint note met twice (the last entry's receipt, and again as a credential
    receipt or a re-check) costs one note signature; receipts moved onto one later checkpoint
    are refused (specs/did-gov-method.md §5 rule 5)."""
    ledger, log = bench_didgov.history(6)
    entries, receipts = log.entries(), log.receipts()
    note = ledger.checkpoint()
    shared = [ledger.receipt(v.leaf_index, note).to_json() for v in log.versions]
    with pytest.raises(GovLogError):
        verify_log(entries, shared)

    def twice() -> object:
        bench_didgov._forget_checkpoints()
        verify_log(entries, receipts)
        return verify_log(entries, receipts)

    assert bench_didgov.signatures_in(twice) == 2 * 6 + 6
