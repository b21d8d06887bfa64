"""Real processes on one sqlite ledger: SIGKILL in the middle of a batch, and concurrent appenders.

A batch is *acknowledged* when the worker printed ``ack`` after ``append`` returned. After the
crashes, every acknowledged leaf must be in the log at the index its receipt gave, the sample
receipts must verify and be consistent with the final checkpoint, and the file must hold a
sound tree (every subtree and checkpoint recomputed from the leaves).

Nothing here can hang: the workers' output is read on a thread, every wait has a deadline,
and every worker still alive when a test ends is killed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from did_gov.ledger import audit, open_checkpoint, verify_receipt
from did_gov.ledger.merkle import MerkleTree
from did_gov.ledger.sqlite import SqliteLedger
from tests.ledger._integrity import check_file
from tests.ledger._worker import leaves_of
from tests.ledger._workers import KEY, ORIGIN, WAIT, _Ack, _Worker

pytestmark = pytest.mark.e2e


def _kill_inside_write_transaction(path: Path, worker: _Worker, probes: int) -> None:
    """SIGKILL the worker while it holds the write lock, i.e. inside an append's transaction.

    Spins on ``BEGIN IMMEDIATE`` with no busy wait: once it fails, the worker holds the lock;
    ``probes`` more failed attempts move the kill later into the transaction. Bounded: fails
    the test if the worker exits or no transaction is caught within :data:`WAIT` seconds.
    """
    db = sqlite3.connect(path, timeout=0, isolation_level=None)
    deadline = time.monotonic() + WAIT
    seen = 0
    try:
        while seen < probes:
            if worker.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"never caught worker {worker.tag} inside a write transaction")
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
                seen = 0
            except sqlite3.OperationalError:
                seen += 1
        os.kill(worker.process.pid, signal.SIGKILL)
    finally:
        db.close()


def _assert_sound(path: Path, acks: list[_Ack], batch_size: int | None = None) -> int:
    """The file is sound and every acknowledged leaf still holds; return the final size."""
    verifier = SqliteLedger(path, KEY).verifier
    tree: MerkleTree = check_file(path, verifier)
    with SqliteLedger(path, KEY) as log:
        final = log.checkpoint()
        head = open_checkpoint(final, [verifier]).checkpoint
        assert head.size == tree.size and head.root_hash == tree.root()
        for ack in acks:
            expected = leaves_of(ack.tag, ack.batch, ack.size)
            stored = [log._leaf(i) for i in range(ack.first, ack.first + ack.size)]
            assert stored == expected, f"batch {ack.tag}/{ack.batch} is not where it was acked"
            assert len(ack.samples) == 2
            for receipt in ack.samples:
                assert verify_receipt(receipt, verifier).ok
                old = open_checkpoint(receipt.checkpoint, [verifier]).checkpoint
                proof = log.prove_consistency(old.size, head.size)
                assert audit(receipt.checkpoint, final, proof, verifier).ok
                assert log.prove_inclusion(receipt.index, head.size) == tree.inclusion_proof(
                    receipt.index, head.size
                )
    if batch_size is not None:
        assert tree.size % batch_size == 0, "a batch was half written"
    return tree.size


def _append_after_crash(path: Path, size: int) -> None:
    with SqliteLedger(path, KEY) as log:
        [after] = log.append([bytes(32)])
        assert after.index == size and verify_receipt(after, log.verifier).ok


@pytest.mark.parametrize(
    "statement", ["INSERT INTO leaves", "INSERT INTO nodes", "INSERT INTO checkpoints", "COMMIT"]
)
def test_sigkill_at_each_step_of_a_batch_loses_nothing_acknowledged(
    tmp_path: Path, spawn: list[_Worker], statement: str
) -> None:
    path, batch_size = tmp_path / "log.db", 1000
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    worker = _Worker(path, "crash", batches=5, batch_size=batch_size, crash=f"2:{statement}")
    spawn.append(worker)
    assert worker.finish() == -signal.SIGKILL
    assert [a.batch for a in worker.acknowledged] == [0, 1]
    size = _assert_sound(path, worker.acknowledged, batch_size)
    assert size == 2 * batch_size, "the killed batch left leaves behind"
    _append_after_crash(path, size)


@pytest.mark.parametrize("probes", [1, 20, 400])
def test_sigkill_inside_a_batch_loses_nothing_acknowledged(
    tmp_path: Path, spawn: list[_Worker], probes: int
) -> None:
    path, batch_size = tmp_path / "log.db", 2000
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    worker = _Worker(path, "crash", batches=200, batch_size=batch_size)
    spawn.append(worker)
    worker.wait_for("ready")
    worker.wait_for("start 2")
    _kill_inside_write_transaction(path, worker, probes)
    assert worker.finish() == -signal.SIGKILL
    acknowledged = worker.acknowledged
    assert len(acknowledged) >= 2
    size = _assert_sound(path, acknowledged, batch_size)
    assert size >= sum(a.size for a in acknowledged)
    assert size <= (len(acknowledged) + 1) * batch_size
    _append_after_crash(path, size)


def test_concurrent_appenders_build_one_consistent_tree(
    tmp_path: Path, spawn: list[_Worker]
) -> None:
    path, batches, batch_size = tmp_path / "log.db", 8, 250
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    spawn.extend(_Worker(path, f"w{i}", batches, batch_size) for i in range(4))
    for worker in spawn:
        assert worker.finish() == 0
    acks = [a for worker in spawn for a in worker.acknowledged]
    assert len(acks) == 4 * batches
    indexes = sorted(i for a in acks for i in range(a.first, a.first + a.size))
    assert indexes == list(range(4 * batches * batch_size))
    assert _assert_sound(path, acks) == len(indexes)


def test_concurrent_appenders_survive_one_being_killed(
    tmp_path: Path, spawn: list[_Worker]
) -> None:
    path = tmp_path / "log.db"
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    victim = _Worker(path, "victim", batches=200, batch_size=2000)
    spawn.append(victim)
    spawn.extend(_Worker(path, f"s{i}", 6, 500) for i in range(2))
    victim.wait_for("start 1")
    _kill_inside_write_transaction(path, victim, probes=5)
    assert victim.finish() == -signal.SIGKILL
    for worker in spawn[1:]:
        assert worker.finish() == 0
    acks = [a for worker in spawn for a in worker.acknowledged]
    assert sum(a.size for a in acks) >= 2000 + 2 * 6 * 500
    _assert_sound(path, acks)
