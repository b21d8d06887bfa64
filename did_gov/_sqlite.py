"""Claiming a SQLite file for did_gov without ever altering one that is not ours.

The ledger and the status registry each keep a ``meta`` table whose ``format`` row names
what the file is. Before either creates a table, a trigger or switches the journal mode, it
looks at the file inside its own write transaction (``BEGIN IMMEDIATE``, which writes
nothing): an empty database it did not create (a 0-byte file, or one truncated by a crash),
another application's database (even one with a ``meta`` table), or the other did_gov kind
is refused, and the transaction is rolled back, so the file is left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FileState", "existed", "inspect", "what_it_is"]

_KINDS = {
    "did_gov/ledger/sqlite/v1": "a did_gov transparency log (ledger)",
    "did_gov/status/sqlite/v1": "a did_gov status registry",
}


@dataclass(frozen=True)
class FileState:
    """What an open SQLite file holds: its table names and its ``meta.format``, if any."""

    tables: frozenset[str]
    format: str | None

    @property
    def empty(self) -> bool:
        """No table at all: a new file, a 0-byte file, or an empty database."""
        return not self.tables


def existed(path: object, error: Callable[[str], Exception]) -> bool:
    """Whether something is already at ``path`` (read before sqlite creates a file there).

    A path of the wrong type or with a NUL byte raises ``error(reason)``.
    """
    try:
        return os.path.lexists(path)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise error(str(exc)) from exc


def inspect(db: sqlite3.Connection) -> FileState:
    """Read the table names and ``meta.format`` (text or blob); reads only, never writes."""
    tables = frozenset(
        str(name) for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    )
    found: str | None = None
    if "meta" in tables:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.Error:  # another application's meta table, with other columns
            row = None
        if row is not None:
            value = row[0]
            if isinstance(value, bytes):
                found = value.decode("utf-8", "replace")
            elif isinstance(value, str):
                found = value
    return FileState(tables, found)


def what_it_is(state: FileState) -> str:
    """A phrase for an error message: what the file is, as far as did_gov can tell."""
    if state.empty:
        return "an existing empty file (0 bytes, or a database without tables)"
    if state.format in _KINDS:
        return _KINDS[state.format]
    if state.format is not None:
        return f"a file of format {state.format[:60]!r}"
    return "a SQLite database of another application"
