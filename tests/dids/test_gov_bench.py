"""The did:gov benchmark's signature floor counts what a full verification really verifies."""

from __future__ import annotations

from bench import didgov as bench_didgov
from did_gov.dids.gov import verify_log


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


def test_a_checkpoint_shared_by_entries_is_verified_once() -> None:
    """Receipts of several entries under one checkpoint (entries anchored together, or receipts
    taken at one later checkpoint) cost one note signature between them."""
    ledger, log = bench_didgov.history(6)
    note = ledger.checkpoint()
    shared = [ledger.receipt(v.leaf_index, note).to_json() for v in log.versions]
    entries = log.entries()

    def full() -> object:
        bench_didgov._forget_checkpoints()
        return verify_log(entries, shared)

    assert bench_didgov.signatures_in(full) == 6 + 1
    again = verify_log(entries, shared)
    assert [v.leaf_index for v in again.versions] == [v.leaf_index for v in log.versions]
