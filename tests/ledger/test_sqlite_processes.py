"""Real processes on one sqlite ledger: SIGKILL in the middle of a batch, and concurrent appenders.

A batch is *acknowledged* when the worker printed ``ack`` after ``append`` returned. After the
crashes, every acknowledged leaf must be in the log at the index its receipt gave, the sample
receipts must verify and be consistent with the final checkpoint, and the file must hold a
sound tree (every subtree and checkpoint recomputed from the leaves).

Nothing here can hang: the workers' output is read on a thread, every wait has a deadline,
and every worker still alive when a test ends is killed.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import Receipt, audit, open_checkpoint, verify_receipt
from did_gov.ledger.merkle import MerkleTree
from did_gov.ledger.sqlite import SqliteLedger
from tests.conftest import ROOT
from tests.ledger._integrity import check_file
from tests.ledger._worker import leaves_of

pytestmark = pytest.mark.e2e

ORIGIN = "did-gov.example/log/agency-a"
SEED = bytes(range(32))
KEY = PrivateKey.from_seed(KeyType.ED25519, SEED)
WAIT = 60.0
"""Longest a test waits for any one event from a worker (seconds)."""


@dataclass
class _Ack:
    tag: str
    batch: int
    first: int
    size: int
    samples: list[Receipt] = field(default_factory=list)


class _Worker:
    """One appender process; its stdout is drained by a thread into a queue."""

    def __init__(
        self, path: Path, tag: str, batches: int, batch_size: int, crash: str | None = None
    ) -> None:
        self.tag = tag
        self.batch_size = batch_size
        args = [str(path), SEED.hex(), ORIGIN, str(batches), str(batch_size), tag]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ledger._worker", *args, *([crash] if crash else [])],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.acknowledged: list[_Ack] = []
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.put(raw.decode().rstrip("\n"))
        self.lines.put(None)

    def next_event(self, timeout: float = WAIT) -> str | None:
        """The next ``ready``/``start``/``ack`` line, None at end of output; fail on timeout."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"worker {self.tag} said nothing for {timeout} s")
            if line is None or not line.startswith("["):
                if line is not None and line.startswith("ack "):
                    _, batch, first, size = line.split()
                    self.acknowledged.append(_Ack(self.tag, int(batch), int(first), int(size)))
                return line
            if self.acknowledged and not self.acknowledged[-1].samples:
                self.acknowledged[-1].samples = [Receipt.from_json(r) for r in json.loads(line)]

    def wait_for(self, event: str) -> None:
        """Read events until ``event``; fail if the output ends or stalls first."""
        while (line := self.next_event()) != event:
            if line is None:
                pytest.fail(f"worker {self.tag} ended before {event!r}")

    def finish(self, timeout: float = WAIT) -> int:
        """Wait for exit and read the rest of the output; return the exit status."""
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"worker {self.tag} did not exit within {timeout} s")
        while self.next_event() is not None:
            pass
        self._thread.join(timeout)
        return status

    def kill(self) -> None:
        """SIGKILL the worker if it is still running."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)


@pytest.fixture
def spawn() -> Iterator[list[_Worker]]:
    """Workers started by a test; any still alive at the end are killed."""
    workers: list[_Worker] = []
    yield workers
    for worker in workers:
        worker.kill()


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
