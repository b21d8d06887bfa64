"""A progress bar for the command's bulk work, drawn on standard error only when it is a terminal.

Scripts and pipes see nothing (no carriage returns in logs); a person at a terminal sees
``issue [##########----------] 500/1000``. No dependency: one line redrawn in place.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 30
_INTERVAL = 0.1


class Progress:
    """Counts ``done`` of ``total`` steps of ``label``; draws only on a TTY, at most 10 times a second."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = sys.stderr if stream is None else stream
        self.enabled = total > 1 and _is_tty(self.stream)
        self._drawn_at = 0.0

    def advance(self, steps: int = 1) -> None:
        """Record ``steps`` more done and redraw when due (always at the end)."""
        self.done = min(self.total, self.done + steps)
        now = time.monotonic()
        if self.enabled and (self.done == self.total or now - self._drawn_at >= _INTERVAL):
            self._drawn_at = now
            filled = _WIDTH * self.done // self.total
            bar = "#" * filled + "-" * (_WIDTH - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.enabled and self._drawn_at:
            self.stream.write("\n")
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
