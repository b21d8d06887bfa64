"""Real processes on one registry file: concurrent allocators, and SIGKILL inside a transaction.

A change is *acknowledged* when the worker printed it after the call returned. After the
runs, every acknowledged allocation must hold its index, every acknowledged revocation must
hold, no index may serve two credentials, and the file must pass SQLite's integrity check.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from did_gov.status import MIN_ENTRIES, StatusRegistry, credential_hash
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

URL = "https://gov.example/status/concurrent"


def _create(path: Path) -> None:
    StatusRegistry.open(path, list_url=URL, purpose="revocation").close()


def spawn_worker(
    path: Path | str, tag: str, count: int, revoke_every: int, shared: int = 0
) -> subprocess.Popen[bytes]:
    """Start ``tests.status._worker`` on the registry at ``path`` (a file or a URL)."""
    args = [str(path), tag, str(count), str(revoke_every), str(shared)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.status._worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


class Acks:
    """The changes a worker acknowledged, read from its output."""

    def __init__(self) -> None:
        self.allocated: dict[str, int] = {}
        self.revoked: set[str] = set()
        self.reconnects = -1

    def read(self, stream: IO[bytes], until: int | None = None) -> None:
        """Read lines (all of them, or until ``until`` allocations were acknowledged)."""
        for raw in stream:
            kind, *rest = raw.decode().split()
            if kind == "alloc":
                self.allocated[rest[0]] = int(rest[1])
            elif kind == "revoked":
                self.revoked.add(rest[0])
            elif kind == "done":
                self.reconnects = int(rest[0])
            if until is not None and len(self.allocated) >= until:
                return


def _assert_sound(path: Path, acks: list[Acks]) -> dict[bytes, tuple[int, int]]:
    """The file is intact and holds every acknowledged change; return hash -> (index, value)."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT idx, credential_hash, value FROM entries").fetchall()
    finally:
        db.close()
    return assert_entries(path, rows, acks)


def assert_entries(
    location: Path | str, rows: list[Any], acks: list[Acks]
) -> dict[bytes, tuple[int, int]]:
    """``(idx, hash, value)`` rows hold every acknowledged change, each index once."""
    stored = {bytes(h): (int(i), int(v)) for i, h, v in rows}
    assert len(stored) == len(rows) == len({i for i, _, _ in rows}), "an index serves two"
    assert all(0 <= i < MIN_ENTRIES and v in (0, 1) for i, v in stored.values())
    for ack in acks:
        for credential_id, index in ack.allocated.items():
            assert stored[credential_hash(credential_id)][0] == index, credential_id
        for credential_id in ack.revoked:
            assert stored[credential_hash(credential_id)][1] == 1, credential_id
    with StatusRegistry.open(location) as reg:
        snapshot = reg.status_list()
    assert {i for i, v in stored.values() if v} == {
        i for i, _ in stored.values() if snapshot.get(i)
    }
    return stored


def test_concurrent_processes_allocate_and_revoke_without_loss(tmp_path: Path) -> None:
    path, count, shared = tmp_path / "status.db", 120, 15
    _create(path)
    workers = [spawn_worker(path, f"w{i}", count, revoke_every=4, shared=shared) for i in range(4)]
    acks = []
    for worker in workers:
        assert worker.stdout is not None
        ack = Acks()
        ack.read(worker.stdout)
        assert worker.wait() == 0
        acks.append(ack)
    stored = _assert_sound(path, acks)
    assert len(stored) == 4 * count + shared
    for j in range(shared):
        indexes = {ack.allocated[f"urn:shared:{j}"] for ack in acks}
        assert len(indexes) == 1, "every process got the same entry for the same credential"
    own = [index for ack in acks for cid, index in ack.allocated.items() if "shared" not in cid]
    assert len(own) == len(set(own)) == 4 * count


def _kill_inside_write_transaction(
    path: Path, worker: subprocess.Popen[bytes], probes: int
) -> None:
    """SIGKILL the worker while it holds the write lock (inside allocate's or revoke's transaction).

    ``BEGIN IMMEDIATE`` with no busy wait fails exactly while another connection holds the
    lock; after ``probes`` consecutive failures the worker is killed.
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


@pytest.mark.parametrize("probes", [1, 5, 30])
def test_sigkill_mid_update_loses_nothing_acknowledged(tmp_path: Path, probes: int) -> None:
    path = tmp_path / "status.db"
    _create(path)
    victim = spawn_worker(path, "victim", 100_000, revoke_every=3)
    assert victim.stdout is not None
    acks = Acks()
    acks.read(victim.stdout, until=50)
    _kill_inside_write_transaction(path, victim, probes)
    victim.wait()
    acks.read(victim.stdout)
    assert victim.returncode == -signal.SIGKILL
    # the lock and the write-ahead log the victim left behind do not stop the next writer
    bystander = spawn_worker(path, "bystander", 60, revoke_every=2)
    assert bystander.stdout is not None
    survivor = Acks()
    survivor.read(bystander.stdout)
    assert bystander.wait() == 0
    stored = _assert_sound(path, [acks, survivor])
    assert len(stored) >= len(acks.allocated) + 60
    with StatusRegistry.open(path) as reg:
        after = reg.allocate("urn:after-the-crash")
        reg.revoke("urn:after-the-crash")
        assert after.status_list_index not in {i for i, _ in stored.values()}
        assert reg.status_list().get(after.status_list_index) == 1
