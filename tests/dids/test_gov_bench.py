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
