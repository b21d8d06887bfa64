"""Real processes on one sqlite ledger: SIGKILL in the middle of a batch, and concurrent appenders.

A batch is *acknowledged* when the worker printed ``ack`` after ``append`` returned. After the
crashes, every acknowledged receipt must verify, be consistent with the final checkpoint, and
the file must hold a sound tree (every subtree and checkpoint recomputed from the leaves).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import Receipt, audit, open_checkpoint, verify_receipt
from did_gov.ledger.sqlite import SqliteLedger
from tests.conftest import ROOT
from tests.ledger._integrity import check_file

pytestmark = pytest.mark.e2e

ORIGIN = "did-gov.example/log/agency-a"
SEED = bytes(range(32))
KEY = PrivateKey.from_seed(KeyType.ED25519, SEED)


def _spawn(path: Path, tag: str, batches: int, batch_size: int) -> subprocess.Popen[bytes]:
    args = [str(path), SEED.hex(), ORIGIN, str(batches), str(batch_size), tag]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger._worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


class _Reader:
    """Collects the receipts of acknowledged batches from a worker's output."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.acknowledged: list[Receipt] = []
        self._pending: list[Receipt] = []

    def next_event(self) -> str:
        """Read up to the next ``ready``/``start``/``ack`` line; '' at end of output."""
        for raw in self.stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("["):
                self._pending = [Receipt.from_json(r) for r in json.loads(line)]
            elif line.startswith("ack"):
                self.acknowledged.extend(self._pending)
                self._pending = []
                return line
            else:
                return line
        return ""

    def drain(self) -> None:
        while self.next_event():
            pass


def _kill_inside_write_transaction(path: Path, worker: subprocess.Popen[bytes], probes: int) -> None:
    """SIGKILL the worker while it holds the write lock, i.e. inside an append's transaction.

    Spins on ``BEGIN IMMEDIATE`` with no busy wait: once it fails, the worker holds the lock;
    ``probes`` more failed attempts move the kill later into the transaction.
    """
    db = sqlite3.connect(path, timeout=0, isolation_level=None)
    seen = 0
    try:
        while seen < probes:
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
                seen = 0
            except sqlite3.OperationalError:
                seen += 1
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        db.close()


def _assert_sound(path: Path, receipts: list[Receipt]) -> int:
    """The file is sound and every acknowledged receipt still holds; return the final size."""
    verifier = SqliteLedger(path, KEY).verifier
    tree = check_file(path, verifier)
    with SqliteLedger(path, KEY) as log:
        final = log.checkpoint()
        head = open_checkpoint(final, [verifier]).checkpoint
        assert head.size == tree.size and head.root_hash == tree.root()
        for r in receipts:
            assert verify_receipt(r, verifier).ok
            old = open_checkpoint(r.checkpoint, [verifier]).checkpoint
            assert audit(r.checkpoint, final, log.prove_consistency(old.size, head.size), verifier).ok
            assert log.prove_inclusion(r.index, head.size) == tree.inclusion_proof(r.index, head.size)
            assert tree.node(0, r.index) == log._nodes().node(0, r.index)
    return tree.size


@pytest.mark.parametrize("probes", [1, 20, 400])
def test_sigkill_inside_a_batch_loses_nothing_acknowledged(tmp_path: Path, probes: int) -> None:
    path, batch_size = tmp_path / "log.db", 4000
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    worker = _spawn(path, "crash", batches=50, batch_size=batch_size)
    assert worker.stdout is not None
    reader = _Reader(worker.stdout)
    assert reader.next_event() == "ready"
    while reader.next_event() != "start 2":
        pass
    _kill_inside_write_transaction(path, worker, probes)
    worker.wait()
    reader.drain()
    assert worker.returncode == -signal.SIGKILL
    acknowledged = len(reader.acknowledged)
    assert acknowledged >= 2 * batch_size
    size = _assert_sound(path, reader.acknowledged)
    assert size % batch_size == 0, "a batch was half written"
    assert size >= acknowledged
    with SqliteLedger(path, KEY) as log:
        [after] = log.append([bytes(32)])
        assert after.index == size and verify_receipt(after, log.verifier).ok


def test_concurrent_appenders_build_one_consistent_tree(tmp_path: Path) -> None:
    path, batches, batch_size = tmp_path / "log.db", 8, 250
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    workers = [_spawn(path, f"w{i}", batches, batch_size) for i in range(4)]
    readers = []
    for worker in workers:
        assert worker.stdout is not None
        reader = _Reader(worker.stdout)
        reader.drain()
        readers.append(reader)
        assert worker.wait() == 0
    receipts = [r for reader in readers for r in reader.acknowledged]
    assert len(receipts) == 4 * batches * batch_size
    assert sorted(r.index for r in receipts) == list(range(len(receipts)))
    assert _assert_sound(path, receipts) == len(receipts)


def test_concurrent_appenders_survive_one_being_killed(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    victim = _spawn(path, "victim", batches=40, batch_size=3000)
    survivors = [_spawn(path, f"s{i}", 6, 500) for i in range(2)]
    assert victim.stdout is not None
    victim_reader = _Reader(victim.stdout)
    while victim_reader.next_event() != "start 1":
        pass
    _kill_inside_write_transaction(path, victim, probes=5)
    victim.wait()
    victim_reader.drain()
    receipts = list(victim_reader.acknowledged)
    for worker in survivors:
        assert worker.stdout is not None
        reader = _Reader(worker.stdout)
        reader.drain()
        assert worker.wait() == 0
        receipts.extend(reader.acknowledged)
    assert len(receipts) >= 3000 + 2 * 6 * 500
    _assert_sound(path, receipts)
