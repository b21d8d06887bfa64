"""The PostgreSQL stores beside SQLite: log appends and status allocations per second.

Each ledger figure times one ``append`` of a batch of 32-byte hashes to a log in a fresh
PostgreSQL database (one committed transaction, ``synchronous_commit = on``); the sqlite
append of the same batch is the comparison column. The registry figures time one
``allocate`` (one committed transaction each) from one session, and the rate when four
sessions (threads, one connection each, as four instances would) allocate at once. This
module starts its own PostgreSQL server (``did_gov.testing.postgres``) and stops it.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench._harness import Figure
from bench.ledger_evm import BATCHES, LOG_KEY, ORIGIN, _times
from did_gov.ledger import open_ledger
from did_gov.status import StatusRegistry
from did_gov.testing.postgres import PostgresServer

LIST_URL = "https://gov.example/status/bench"
SESSIONS = 4


def _figure(
    name: str, per_call: list[float], base: list[float] | None, unit: str, per: int = 1
) -> Figure:
    """Times per call (seconds); the name gives ``per`` items per median call as a rate."""
    median = statistics.median(per_call)
    ordered = sorted(per_call)
    return Figure(
        f"{name}: {per / median:,.0f} {unit}",
        median,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        statistics.median(base) if base else None,
    )


def _allocations(location: str, count: int, tag: str) -> list[float]:
    samples = []
    with StatusRegistry.open(location, list_url=LIST_URL, purpose="revocation") as registry:
        registry.allocate(f"urn:{tag}:warm-up")
        for i in range(count):
            started = time.perf_counter()
            registry.allocate(f"urn:{tag}:{i}")
            samples.append(time.perf_counter() - started)
    return samples


def _concurrent(location: str, count: int) -> float:
    """Wall seconds per allocation while SESSIONS sessions allocate ``count`` each at once."""
    StatusRegistry.open(location, list_url=LIST_URL, purpose="revocation").close()
    threads = [
        threading.Thread(target=_allocations, args=(location, count, f"c{i}"))
        for i in range(SESSIONS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (time.perf_counter() - started) / (SESSIONS * count)


def figures(rounds: int) -> list[Figure]:
    """Append and allocation throughput on PostgreSQL, with SQLite as the baseline."""
    rounds = max(10, rounds // 5)
    out: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp, PostgresServer.start() as server:
        for batch in BATCHES:
            url = server.create_database(f"ledger_{batch}")
            times = {}
            for name, location in (("postgresql", url), ("sqlite", f"sqlite://{tmp}/l{batch}.db")):
                log = open_ledger(location, log_key=LOG_KEY, origin=ORIGIN)
                try:
                    times[name] = _times(log, batch, rounds)
                finally:
                    log.close()
            name = f"ledger postgresql, {batch} hashes/batch"
            out.append(_figure(name, times["postgresql"], times["sqlite"], "hashes/s", batch))
        url = server.create_database("status")
        pg = _allocations(url, rounds * 5, "one")
        lite = _allocations(str(Path(tmp) / "status.db"), rounds * 5, "one")
        out.append(_figure("status postgresql, allocate (1 session)", pg, lite, "allocations/s"))
        together = _concurrent(server.create_database("status_shared"), rounds * 2)
        alone = _concurrent(str(Path(tmp) / "shared.db"), rounds * 2)
        name = f"status postgresql, allocate ({SESSIONS} sessions at once)"
        out.append(_figure(name, [together], [alone], "allocations/s"))
    return out


if __name__ == "__main__":
    for fig in figures(50):
        base = f"  sqlite {fig.baseline_median * 1e3:9.3f} ms" if fig.baseline_median else ""
        print(f"{fig.name:<62} {fig.median * 1e3:9.3f} ms  p95 {fig.p95 * 1e3:9.3f} ms{base}")
