"""Ledger figures: anchoring throughput per backend, and offline receipt verification time.

Each throughput round appends one batch of :data:`BATCH` fresh hashes (durable on return:
for sqlite, one committed WAL transaction with ``synchronous=FULL``) to a log that already
holds :data:`PREFILL` leaves, and builds every receipt. Verification figures check one
receipt with the log's public key only, as a kiosk does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._harness import Figure, measure
from did_gov.keys import PrivateKey
from did_gov.ledger import BaseLedger, Receipt, open_ledger, verify_receipt

BATCH = 10_000
"""Hashes per append in the throughput figures."""
PREFILL = 100_000
"""Leaves in the log before the throughput rounds start."""
ORIGIN = "bench.did-gov.example/log"
KEY = PrivateKey.from_seed("ed25519", bytes(range(32)))


def _hashes(tag: str, count: int) -> list[bytes]:
    return [hashlib.sha256(f"{tag}/{i}".encode()).digest() for i in range(count)]


@contextmanager
def _ledgers() -> Iterator[list[tuple[str, BaseLedger]]]:
    with tempfile.TemporaryDirectory() as tmp:
        opened = [
            ("memory", open_ledger("memory:", log_key=KEY, origin=ORIGIN)),
            (
                "sqlite",
                open_ledger(f"sqlite:///{Path(tmp) / 'log.db'}", log_key=KEY, origin=ORIGIN),
            ),
        ]
        try:
            yield [(name, log) for name, log in opened if isinstance(log, BaseLedger)]
        finally:
            for _, log in opened:
                log.close()


def _appender(log: BaseLedger, batches: list[list[bytes]]) -> Callable[[], object]:
    pending = iter(batches)

    def append() -> object:
        return log.append(next(pending))

    return append


def _throughput(name: str, log: BaseLedger, rounds: int) -> Figure:
    for start in range(0, PREFILL, BATCH):
        log.append(_hashes(f"prefill/{start}", BATCH))
    batches = [_hashes(f"{name}/round/{i}", BATCH) for i in range(rounds + 1)]
    figure = measure(f"{name}: append", _appender(log, batches), rounds=rounds, warmup=1)
    rate = BATCH / figure.median
    return dataclasses.replace(
        figure,
        name=f"{name}: anchor {BATCH:,} hashes ({rate:,.0f} hashes/s)",
        target="≥50,000/s" if name == "sqlite" else "",
    )


def _cold_receipts(count: int) -> list[Receipt]:
    """Receipts under ``count`` distinct checkpoints, so none is in a verification cache."""
    log = open_ledger("memory:", log_key=KEY, origin=ORIGIN)
    log.append(_hashes("cold", 1000))
    return [log.append(_hashes(f"cold/{i}", 1))[0] for i in range(count)]


def figures(rounds: int) -> list[Figure]:
    """Anchoring throughput (memory, sqlite) and receipt verification time."""
    throughput_rounds = max(3, rounds // 20)
    out: list[Figure] = []
    with _ledgers() as ledgers:
        for name, log in ledgers:
            out.append(_throughput(name, log, throughput_rounds))
        _, log = ledgers[-1]
        receipt = log.receipt(log.size() // 2)
        text = receipt.to_json()
        vkey = log.verifier.vkey
        verifier = log.verifier
        warm = measure(
            "receipt verify, µs (checkpoint seen before)",
            lambda: verify_receipt(receipt, verifier),
            rounds=rounds * 10,
            target="≤50 µs",
        )
        parsed = measure(
            "receipt verify from JSON, µs (checkpoint seen)",
            lambda: verify_receipt(text, vkey),
            rounds=rounds * 10,
        )
    cold = iter(_cold_receipts(rounds + 20))
    first = measure(
        "receipt verify, µs (first sight of checkpoint)",
        lambda: verify_receipt(next(cold), verifier),
        rounds=rounds,
    )
    out += [dataclasses.replace(f, unit="µs") for f in (warm, parsed, first)]
    return out
