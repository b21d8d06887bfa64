"""Appender processes for the multi-process ledger tests (sqlite file or PostgreSQL URL).

Each :class:`_Worker` runs ``tests.ledger._worker``; its stdout is drained on a thread, so
nothing here can hang: every wait has a deadline (:data:`WAIT`).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import Receipt
from tests.conftest import ROOT

__all__ = ["KEY", "ORIGIN", "SEED", "WAIT", "_Ack", "_Worker"]

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
        self, path: Path | str, tag: str, batches: int, batch_size: int, crash: str | None = None
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
        self.reconnects = -1
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
                if line is not None and line.startswith("done "):
                    self.reconnects = int(line.split()[1])
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
