"""Real processes on one PostgreSQL log: concurrent appenders, SIGKILL mid-batch, server restart.

A batch is *acknowledged* when the worker printed ``ack`` after ``append`` returned. After
each run every acknowledged leaf must be in the log at the index its receipt gave, the
sample receipts must verify and be consistent with the final checkpoint, no index may be
missing or doubled, and every stored subtree and checkpoint must match the tree rebuilt
from the leaves. Each test drives at most a few seconds of load.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import psycopg
import pytest

from did_gov.ledger import BaseLedger, audit, open_checkpoint, open_ledger, verify_receipt
from did_gov.ledger.merkle import leaf_hash
from tests.ledger._integrity import check_database
from tests.ledger._worker import leaves_of
from tests.ledger._workers import KEY, ORIGIN, WAIT, _Ack, _Worker

pytestmark = pytest.mark.e2e


def _named(url: str, tag: str) -> str:
    """The URL with an application_name, so the test can find the worker's session."""
    return f"{url}&application_name={tag}"


def _open(url: str) -> BaseLedger:
    log = open_ledger(url, log_key=KEY, origin=ORIGIN)
    assert isinstance(log, BaseLedger)
    return log


def _kill_inside_append(url: str, worker: _Worker, probes: int) -> None:
    """SIGKILL the worker while its session is inside an append's write transaction.

    A session with a transaction id (``backend_xid``) holds the log's row lock; ``probes``
    consecutive sightings move the kill later into the transaction.
    """
    deadline = time.monotonic() + WAIT
    seen = 0
    with psycopg.connect(url, autocommit=True) as db:
        while seen < probes:
            if worker.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"never caught worker {worker.tag} inside a write transaction")
            row = db.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = %s"
                " AND backend_xid IS NOT NULL",
                (worker.tag,),
            ).fetchone()
            seen = seen + 1 if row is not None else 0
    os.kill(worker.process.pid, signal.SIGKILL)


def _assert_sound(url: str, acks: list[_Ack], batch_size: int | None = None) -> int:
    """The log is sound and every acknowledged leaf still holds; return the final size."""
    with _open(url) as log:
        tree = check_database(url, ORIGIN, log.verifier)
        final = log.checkpoint()
        head = open_checkpoint(final, [log.verifier]).checkpoint
        assert head.size == tree.size and head.root_hash == tree.root()
        for ack in acks:
            expected = [leaf_hash(leaf) for leaf in leaves_of(ack.tag, ack.batch, ack.size)]
            stored = [tree.node(0, i) for i in range(ack.first, ack.first + ack.size)]
            assert stored == expected, f"batch {ack.tag}/{ack.batch} is not where it was acked"
            assert len(ack.samples) == 2
            for receipt in ack.samples:
                assert verify_receipt(receipt, log.verifier).ok
                old = open_checkpoint(receipt.checkpoint, [log.verifier]).checkpoint
                proof = log.prove_consistency(old.size, head.size)
                assert audit(receipt.checkpoint, final, proof, log.verifier).ok
    if batch_size is not None:
        assert tree.size % batch_size == 0, "a batch was half written"
    return tree.size


def _append_after(url: str, size: int) -> None:
    with _open(url) as log:
        [after] = log.append([bytes(32)])
        assert after.index == size and verify_receipt(after, log.verifier).ok


def test_concurrent_appenders_build_one_consistent_tree(
    postgres_url: str, spawn: list[_Worker]
) -> None:
    batches, batch_size = 5, 200
    _open(postgres_url).close()
    spawn.extend(
        _Worker(_named(postgres_url, f"w{i}"), f"w{i}", batches, batch_size) for i in range(4)
    )
    for worker in spawn:
        assert worker.finish() == 0
    acks = [a for worker in spawn for a in worker.acknowledged]
    assert len(acks) == 4 * batches
    indexes = sorted(i for a in acks for i in range(a.first, a.first + a.size))
    assert indexes == list(range(4 * batches * batch_size)), "an index was lost or doubled"
    assert _assert_sound(postgres_url, acks) == len(indexes)


@pytest.mark.parametrize("probes", [1, 20])
def test_sigkill_inside_a_batch_loses_nothing_acknowledged(
    postgres_url: str, spawn: list[_Worker], probes: int
) -> None:
    batch_size = 2000
    _open(postgres_url).close()
    worker = _Worker(_named(postgres_url, "crash"), "crash", batches=200, batch_size=batch_size)
    spawn.append(worker)
    worker.wait_for("ready")
    worker.wait_for("start 2")
    _kill_inside_append(postgres_url, worker, probes)
    assert worker.finish() == -signal.SIGKILL
    acknowledged = worker.acknowledged
    assert len(acknowledged) >= 2
    size = _assert_sound(postgres_url, acknowledged, batch_size)
    assert sum(a.size for a in acknowledged) <= size <= (len(acknowledged) + 1) * batch_size
    _append_after(postgres_url, size)


def test_concurrent_appenders_survive_one_being_killed(
    postgres_url: str, spawn: list[_Worker]
) -> None:
    _open(postgres_url).close()
    victim = _Worker(_named(postgres_url, "victim"), "victim", batches=200, batch_size=2000)
    spawn.append(victim)
    spawn.extend(_Worker(_named(postgres_url, f"s{i}"), f"s{i}", 4, 500) for i in range(2))
    victim.wait_for("start 1")
    _kill_inside_append(postgres_url, victim, probes=5)
    assert victim.finish() == -signal.SIGKILL
    for worker in spawn[1:]:
        assert worker.finish() == 0
    acks = [a for worker in spawn for a in worker.acknowledged]
    assert sum(a.size for a in acks) >= 2000 + 2 * 4 * 500
    _assert_sound(postgres_url, acks)


def test_a_server_restart_mid_load_loses_nothing(
    postgres: Any, postgres_url: str, spawn: list[_Worker]
) -> None:
    """The workers reconnect by themselves: none fails, and every acknowledged batch holds."""
    batches, batch_size = 12, 100
    _open(postgres_url).close()
    spawn.extend(
        _Worker(_named(postgres_url, f"r{i}"), f"r{i}", batches, batch_size) for i in range(3)
    )
    for worker in spawn:  # opening fails fast by design; a running session reconnects
        worker.wait_for("ready")
    while len(spawn[0].acknowledged) < 3:
        if spawn[0].next_event() is None:
            pytest.fail("the first worker ended before the restart")
    postgres.restart(down_for=1.0)
    for worker in spawn:
        assert worker.finish() == 0, f"worker {worker.tag} did not survive the restart"
        if len(worker.acknowledged) < batches:  # it was still appending when the server left
            assert worker.reconnects >= 1, f"worker {worker.tag} never lost its session"
    acks = [a for worker in spawn for a in worker.acknowledged]
    assert len(acks) == 3 * batches
    indexes = sorted(i for a in acks for i in range(a.first, a.first + a.size))
    assert indexes == list(range(3 * batches * batch_size)), "an index was lost or doubled"
    assert _assert_sound(postgres_url, acks, batch_size) == len(indexes)
