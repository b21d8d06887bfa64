"""Anchoring throughput per ledger backend: memory, sqlite, and evm on a local anvil node.

Each figure times one ``append`` of a batch of 32-byte hashes (the batch is one signed
checkpoint; on evm one mined transaction); the name gives the resulting hashes per second.
The sqlite append of the same batch is the comparison column, so the ratio is the cost of
anchoring on chain. This module starts its own anvil (from ``contracts/node_modules``) and
stops it.
"""

from __future__ import annotations

import hashlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench._harness import Figure
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import LedgerBackend, open_ledger
from did_gov.ledger.evm import deploy_registry, set_writer, writer_address
from did_gov.testing.anvil import Anvil

BATCHES = (1, 100, 1000)
ORIGIN = "did-gov.example/log/bench"
LOG_KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))
ADMIN_KEY = bytes([0xA1]) * 32
WRITER_KEY = bytes([0xB2]) * 32


def _hashes(count: int) -> Iterator[list[bytes]]:
    n = 0
    while True:
        yield [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n, n + count)]
        n += count


def _times(log: LedgerBackend, batch: int, rounds: int) -> list[float]:
    batches = _hashes(batch)
    log.append(next(batches))  # warm-up: connections, caches, first storage slots
    samples = []
    for _ in range(rounds):
        leaves = next(batches)
        started = time.perf_counter()
        log.append(leaves)
        samples.append(time.perf_counter() - started)
    return samples


def _figure(name: str, batch: int, ours: list[float], base: list[float] | None) -> Figure:
    median = statistics.median(ours)
    ordered = sorted(ours)
    return Figure(
        f"{name}, {batch} hashes/batch: {batch / median:,.0f} hashes/s",
        median,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        statistics.median(base) if base else None,
        "" if name != "ledger evm (anvil)" else "one tx per batch",
    )


def figures(rounds: int) -> list[Figure]:
    """Append throughput of memory, sqlite and evm (anvil) for several batch sizes."""
    rounds = max(5, rounds // 10)
    out: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp, Anvil.start() as node:
        for key in (ADMIN_KEY, WRITER_KEY):
            node.fund(writer_address(key))
        for batch in BATCHES:
            times: dict[str, list[float]] = {}
            for name in ("memory", "sqlite", "evm"):
                log = _open(name, node, Path(tmp) / f"{name}-{batch}.db")
                try:
                    times[name] = _times(log, batch, rounds)
                finally:
                    log.close()
            out.append(_figure("ledger memory", batch, times["memory"], None))
            out.append(_figure("ledger sqlite", batch, times["sqlite"], None))
            out.append(_figure("ledger evm (anvil)", batch, times["evm"], times["sqlite"]))
    return out


def _open(name: str, node: Anvil, path: Path) -> LedgerBackend:
    if name == "memory":
        return open_ledger("memory:", log_key=LOG_KEY, origin=ORIGIN)
    if name == "sqlite":
        return open_ledger(f"sqlite://{path}", log_key=LOG_KEY, origin=ORIGIN)
    deployed = deploy_registry(node.url, ADMIN_KEY)
    assert deployed.contract is not None
    set_writer(node.url, deployed.contract, ADMIN_KEY, writer_address(WRITER_KEY))
    return open_ledger(
        f"evm+{node.url}?contract={deployed.contract}",
        log_key=LOG_KEY,
        origin=ORIGIN,
        writer_key=WRITER_KEY,
        store=f"sqlite://{path}",
    )


if __name__ == "__main__":
    for fig in figures(50):
        print(f"{fig.name:<60} {fig.median * 1e3:9.3f} ms  p95 {fig.p95 * 1e3:9.3f} ms")
