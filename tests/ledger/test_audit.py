"""Auditing: a log that only grew passes; a fork, a rewritten entry or a rollback is caught."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from did_gov.errors import InvalidInputError
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import Checkpoint, NoteSigner, audit
from did_gov.ledger.memory import MemoryLedger
from did_gov.ledger.merkle import EMPTY_ROOT

ORIGIN = "did-gov.example/log/agency-a"
KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))


def leaves(tag: str, count: int) -> list[bytes]:
    """Deterministic 32-byte leaves."""
    return [hashlib.sha256(f"{tag}/{i}".encode()).digest() for i in range(count)]


def grown_log(*batches: list[bytes]) -> tuple[MemoryLedger, list[str]]:
    """A log with the given batches appended, and the checkpoint after each."""
    log = MemoryLedger(ORIGIN, KEY)
    notes = [log.checkpoint()]
    for batch in batches:
        log.append(batch)
        notes.append(log.checkpoint())
    return log, notes


def test_growth_is_consistent() -> None:
    log, notes = grown_log(leaves("a", 3), leaves("b", 10), leaves("c", 1))
    sizes = [0, 3, 13, 14]
    for i, old in enumerate(notes):
        for j in range(i, len(notes)):
            proof = log.prove_consistency(sizes[i], sizes[j])
            result = audit(old, notes[j], proof, log.verifier)
            assert (result.ok, result.code) == (True, "audit.consistent"), (i, j, result)
            assert result.old is not None and result.new is not None


def test_vkey_string_is_accepted() -> None:
    log, notes = grown_log(leaves("a", 5))
    assert audit(notes[0], notes[1], [], log.verifier.vkey).ok


def test_fork_two_trees_of_the_same_size() -> None:
    honest, honest_notes = grown_log(leaves("a", 8))
    _, forked_notes = grown_log(leaves("a", 7) + leaves("evil", 1))
    result = audit(honest_notes[1], forked_notes[1], [], honest.verifier)
    assert (result.ok, result.code) == (False, "audit.fork")


def test_rewritten_entry_is_detected() -> None:
    original = leaves("a", 12)
    honest, honest_notes = grown_log(original)
    rewritten = [*original[:4], hashlib.sha256(b"rewritten").digest(), *original[5:]]
    liar, liar_notes = grown_log(rewritten, leaves("b", 6))
    for proof in (liar.prove_consistency(12, 18), honest.prove_consistency(6, 12), []):
        result = audit(honest_notes[1], liar_notes[2], proof, honest.verifier)
        assert (result.ok, result.code) == (False, "audit.inconsistent")


def test_rollback_is_detected() -> None:
    log, notes = grown_log(leaves("a", 4), leaves("b", 4))
    result = audit(notes[2], notes[1], [], log.verifier)
    assert (result.ok, result.code) == (False, "audit.rollback")


def test_empty_old_tree() -> None:
    log, notes = grown_log(leaves("a", 4))
    assert audit(notes[0], notes[1], [], log.verifier).ok
    assert audit(notes[0], notes[1], [bytes(32)], log.verifier).code == "audit.inconsistent"
    signer = NoteSigner(ORIGIN, KEY)
    bogus_empty = Checkpoint(ORIGIN, 0, bytes(32)).sign([signer])
    assert audit(bogus_empty, notes[1], [], log.verifier).code == "audit.inconsistent"
    assert Checkpoint.parse_body(notes[0].split("\n\n")[0] + "\n").root_hash == EMPTY_ROOT


def test_unverifiable_or_foreign_checkpoints() -> None:
    log, notes = grown_log(leaves("a", 4))
    stranger = NoteSigner(ORIGIN, PrivateKey.from_seed(KeyType.ED25519, bytes(32)))
    forged = Checkpoint(ORIGIN, 9, bytes(32)).sign([stranger])
    assert audit(forged, notes[1], [], log.verifier).code == "audit.old_checkpoint_invalid"
    result = audit(notes[1], forged, [], log.verifier)
    assert result.code == "audit.new_checkpoint_invalid" and result.old is not None
    assert audit(notes[1], "garbage", [], log.verifier).code == "audit.new_checkpoint_invalid"
    other = Checkpoint("did-gov.example/log/agency-b", 9, bytes(32)).sign([NoteSigner(ORIGIN, KEY)])
    assert audit(notes[1], other, [], log.verifier).code == "audit.origin_mismatch"


@pytest.mark.parametrize(
    ("proof", "verifier"),
    [(None, "ok"), ([b"x", "y"], "ok"), ([], None)],
)
def test_misuse_raises(proof: Any, verifier: Any) -> None:
    log, notes = grown_log(leaves("a", 2))
    with pytest.raises(InvalidInputError):
        audit(notes[0], notes[1], proof, log.verifier if verifier == "ok" else verifier)
