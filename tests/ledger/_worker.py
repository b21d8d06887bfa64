"""A child process that appends batches to a ledger and reports each acknowledged batch.

Run as ``python -m tests.ledger._worker DB SEED_HEX ORIGIN BATCHES BATCH_SIZE TAG [CRASH]``;
``DB`` is a sqlite file or a ``postgresql://`` URL.
It prints ``ready``, then for each batch ``start N``, and once ``append`` returned,
``ack N FIRST SIZE`` followed by one JSON line with the receipts of the batch's first and
last leaf; at the end ``done RECONNECTS`` (how often a PostgreSQL session reconnected). A batch is acknowledged only if its ``ack`` line was printed. Every line is
short, and the parent reads them on a thread, so the worker never blocks on a full pipe.

``CRASH`` (sqlite only; ``BATCH:STATEMENT``, e.g. ``2:INSERT INTO nodes``) makes the worker SIGKILL
itself inside batch ``BATCH``'s write transaction, just before it runs the first SQL
statement starting with ``STATEMENT`` (``COMMIT`` for the moment before the commit).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import sys
from typing import Any

from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import BaseLedger, open_ledger
from did_gov.ledger.sqlite import SqliteLedger


def leaves_of(tag: str, batch: int, batch_size: int) -> list[bytes]:
    """The deterministic leaves of one batch (the parent recomputes them)."""
    return [hashlib.sha256(f"{tag}/{batch}/{i}".encode()).digest() for i in range(batch_size)]


class _Crashing:
    """A connection proxy that SIGKILLs this process before one chosen statement."""

    def __init__(self, db: sqlite3.Connection, statement: str) -> None:
        self._db = db
        self._statement = statement
        self.armed = False

    def _maybe_die(self, sql: str) -> None:
        if self.armed and sql.lstrip().upper().startswith(self._statement.upper()):
            os.kill(os.getpid(), signal.SIGKILL)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._maybe_die(sql)
        return self._db.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self._maybe_die(sql)
        return self._db.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def main(argv: list[str]) -> None:
    path, seed_hex, origin, batches, batch_size, tag, *crash = argv
    key = PrivateKey.from_seed(KeyType.ED25519, bytes.fromhex(seed_hex))
    crash_batch, proxy = -1, None
    if path.startswith("postgresql://"):
        opened = open_ledger(path, log_key=key, origin=origin)
        assert isinstance(opened, BaseLedger)
        ledger: BaseLedger = opened
    else:
        ledger = SqliteLedger(path, key, origin=origin)
    with ledger as log:
        if crash:
            assert isinstance(log, SqliteLedger)
            number, statement = crash[0].split(":", 1)
            crash_batch, proxy = int(number), _Crashing(log._db, statement)
            log._db = proxy  # type: ignore[assignment]
        print("ready", flush=True)
        for batch in range(int(batches)):
            if proxy is not None:
                proxy.armed = batch == crash_batch
            print(f"start {batch}", flush=True)
            receipts = log.append(leaves_of(tag, batch, int(batch_size)))
            print(f"ack {batch} {receipts[0].index} {len(receipts)}", flush=True)
            print(json.dumps([receipts[0].to_json(), receipts[-1].to_json()]), flush=True)
        print(f"done {getattr(log, 'reconnects', 0)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
