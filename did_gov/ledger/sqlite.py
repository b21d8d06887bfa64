"""The ``sqlite:`` backend, the embedded default: an append-only log in one SQLite file.

Durability: the file is in WAL mode with ``synchronous=FULL``, so every commit fsyncs the
write-ahead log before ``append`` returns. ``NORMAL`` would survive a killed process but may
lose the last commits on power loss or an OS crash, and an acknowledged anchor must never be
lost; the cost, one fsync per batch, is amortized over the batch.

Concurrency: each append runs in one ``BEGIN IMMEDIATE`` transaction (the leaves, the new
complete-subtree hashes and the signed checkpoint), so several processes can append to the
same file; SQLite serializes writers and readers never block. A crash at any point leaves
either the whole batch or none of it. Triggers refuse any UPDATE or DELETE.

Layout: ``leaves(idx, leaf)``, ``nodes(level, idx, hash)`` for every complete subtree of
level :data:`STORED_FROM` (16 leaves) or more, ``checkpoints(size, note)`` and ``meta``
(format, origin, public key). Smaller subtrees are rehashed from at most 8 leaves when a
proof needs them, which keeps the rows per leaf, and so the cost of an append, low.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from did_gov._sqlite import existed as file_existed
from did_gov._sqlite import inspect, what_it_is
from did_gov.errors import DidGovError, InvalidInputError, LedgerError
from did_gov.keys import KeyType, PublicKey, Signer
from did_gov.ledger import merkle
from did_gov.ledger._backend import AppendedBatch, BaseLedger, Clock
from did_gov.ledger._note import NoteSigner, NoteVerifier, check_note_key, parse_unverified_note
from did_gov.ledger._reader import LogReader
from did_gov.ledger._subtrees import STORED_FROM, Overlay, StoredNodes, border, extend, stored_rows
from did_gov.ledger._url import register_backend, split_url
from did_gov.ledger.checkpoint import Checkpoint

__all__ = ["FORMAT", "STORED_FROM", "SqliteLedger", "SqliteLogReader"]

_T = TypeVar("_T")

FORMAT = b"did_gov/ledger/sqlite/v1"
"""The ``meta.format`` value of files this module writes and reads."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS leaves(idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nodes(
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY(level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL);
"""
_APPEND_ONLY = ("meta", "leaves", "nodes", "checkpoints")


def _schema() -> str:
    triggers = [
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
        f"BEGIN SELECT RAISE(ABORT, 'did_gov ledger tables are append-only'); END;"
        for t in _APPEND_ONLY
        for op in ("UPDATE", "DELETE")
    ]
    return _SCHEMA + "\n".join(triggers)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction that takes the write lock up front (``BEGIN IMMEDIATE``)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _stored(db: sqlite3.Connection) -> StoredNodes:
    """The file's subtrees (levels below :data:`STORED_FROM` are rehashed from leaves)."""

    def node_row(level: int, index: int) -> bytes | None:
        row = db.execute(
            "SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def leaf_range(low: int, high: int) -> list[bytes]:
        rows = db.execute(
            "SELECT leaf FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx", (low, high)
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    return StoredNodes(node_row, leaf_range)


class SqliteLedger(BaseLedger):
    """An append-only log in one SQLite file (WAL, ``synchronous=FULL``, multi-process).

    A new file needs ``origin``; an existing one remembers its origin and public key and
    refuses a different one (``ledger.origin_mismatch``, ``ledger.key_mismatch``).
    """

    scheme = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        log_key: Signer,
        *,
        origin: str | None = None,
        busy_timeout: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        check_note_key(log_key)
        existed = file_existed(
            path, lambda why: LedgerError(f"cannot open {path!r}: {why}", code="ledger.open_failed")
        )
        if not existed:  # refuse bad parameters before sqlite3 creates an empty file there
            if origin is None:
                raise LedgerError(
                    "a new ledger file needs an origin", code="ledger.origin_required"
                )
            NoteSigner(origin, log_key)
        try:
            self._db = sqlite3.connect(
                os.fspath(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError, TypeError) as exc:
            raise LedgerError(
                f"cannot open ledger file {path!r}: {exc}", code="ledger.open_failed"
            ) from exc
        try:
            stored = self._prepare(origin, log_key, existed)
        except (sqlite3.Error, OSError) as exc:
            self._db.close()
            raise LedgerError(
                f"cannot open ledger file {path!r}: {exc}", code="ledger.open_failed"
            ) from exc
        except BaseException:
            self._db.close()
            raise
        super().__init__(stored, log_key, clock=clock)
        self._store = _stored(self._db)

    def _prepare(self, origin: str | None, log_key: Signer, existed: bool) -> str:
        """Claim the file: look first (in the write transaction), alter only a file of ours.

        A file that did not exist becomes a new log; an existing one must already be a
        did_gov ledger. Anything else (empty, another application's, a status registry)
        is refused with the transaction rolled back: not one byte of it changes.
        """
        db = self._db
        with _transaction(db):
            state = inspect(db)
            if state.empty and not existed:
                for statement in _schema().split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                stored = self._initialize(origin, log_key)
            elif state.format != FORMAT.decode():
                raise LedgerError(
                    f"{what_it_is(state)} is not a did_gov ledger (or is of a newer format);"
                    " it was left untouched",
                    code="ledger.format_unsupported",
                )
            else:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                stored = _check_identity(meta, origin, log_key)
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(f"cannot use WAL mode (got {mode})", code="ledger.open_failed")
        db.execute("PRAGMA synchronous=FULL")
        return stored

    def _initialize(self, origin: str | None, log_key: Signer) -> str:
        if origin is None:
            raise LedgerError("a new ledger file needs an origin", code="ledger.origin_required")
        signer = NoteSigner(origin, log_key)
        rows = [
            ("format", FORMAT),
            ("origin", origin.encode("utf-8")),
            ("public_key", signer.verifier.public_key.raw()),
        ]
        self._db.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", rows)
        return origin

    # -- template seams -------------------------------------------------------------------

    def _append(self, leaves: list[bytes]) -> AppendedBatch:
        db = self._db
        with _transaction(db):
            first = self._size()
            edge = {(lvl, idx): self._store.node(lvl, idx) for lvl, idx in border(first)}
            levels = extend(edge, first, leaves)
            db.executemany(
                "INSERT INTO leaves(idx, leaf) VALUES (?, ?)",
                zip(range(first, first + len(leaves)), leaves, strict=True),
            )
            db.executemany(
                "INSERT INTO nodes(level, idx, hash) VALUES (?, ?, ?)", stored_rows(levels)
            )
            size = first + len(leaves)
            overlay = Overlay(levels, edge, self._store)
            note = self._sign(size, merkle.root(overlay, size))
            db.execute("INSERT INTO checkpoints(size, note) VALUES (?, ?)", (size, note))
        return AppendedBatch(first, size, note, overlay)

    def _time_floor(self) -> datetime:
        """The newest stored checkpoint's time (any process's), or a later one signed here."""
        row = self._db.execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        floor = super()._time_floor()
        if row is not None:
            stored = Checkpoint.parse_body(parse_unverified_note(str(row[0])).text).time
            if stored is not None and stored > floor:
                floor = stored
        return floor

    def _stored_checkpoint(self, size: int, root_hash: bytes) -> str | None:
        row = self._db.execute("SELECT note FROM checkpoints WHERE size = ?", (size,)).fetchone()
        if row is None:
            return super()._stored_checkpoint(size, root_hash)
        note = str(row[0])
        stored = Checkpoint.parse_body(parse_unverified_note(note).text)
        return note if stored.root_hash == root_hash else None

    def _size(self) -> int:
        (last,) = self._db.execute("SELECT max(idx) FROM leaves").fetchone()
        return 0 if last is None else int(last) + 1

    def _nodes(self) -> merkle.NodeStore:
        return self._store

    def _leaf(self, index: int) -> bytes:
        row = self._db.execute("SELECT leaf FROM leaves WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise LedgerError(f"no leaf {index}", code="ledger.node_missing")
        return bytes(row[0])

    def _close(self) -> None:
        self._db.close()


def _check_identity(meta: dict[str, bytes], origin: str | None, log_key: Signer) -> str:
    if bytes(meta.get("format", b"")) != FORMAT:
        raise LedgerError(
            "not a did_gov ledger file (or a newer format)", code="ledger.format_unsupported"
        )
    stored = bytes(meta["origin"]).decode("utf-8")
    if origin is not None and origin != stored:
        raise LedgerError(
            f"this file is the log {stored!r}, not {origin!r}", code="ledger.origin_mismatch"
        )
    if bytes(meta["public_key"]) != log_key.public_key.raw():
        raise LedgerError("log_key is not this log's key", code="ledger.key_mismatch")
    return stored


class SqliteLogReader(LogReader):
    """Read-only access to a sqlite log, for auditors and mirrors: no private key needed.

    It serves what the log already signed (the checkpoint stored by every append) and
    proofs computed from the stored tree; it never writes. Every failure is a
    :class:`~did_gov.errors.LedgerError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        absolute = "/" + os.path.abspath(os.fspath(path)).lstrip("/")
        uri = "file:" + quote(absolute) + "?mode=ro"
        try:
            self._db = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(
                f"cannot read ledger file {path!r}: {exc}", code="ledger.open_failed"
            ) from exc
        try:
            if meta.get("format") != FORMAT:
                raise LedgerError(
                    f"{what_it_is(inspect(self._db))} is not a did_gov ledger (or is of a newer"
                    " format)",
                    code="ledger.format_unsupported",
                )
            key = PublicKey.from_raw(KeyType.ED25519, bytes(meta.get("public_key", b"")))
            self.verifier = NoteVerifier(bytes(meta.get("origin", b"")).decode("utf-8"), key)
        except (DidGovError, UnicodeDecodeError, TypeError) as exc:
            self._db.close()
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(
                f"ledger file {path!r} has a damaged header: {exc}",
                code="ledger.format_unsupported",
            ) from None
        self._store = _stored(self._db)

    def _guard(self, what: str, function: Callable[..., _T], *args: object) -> _T:
        try:
            return function(*args)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(
                f"sqlite ledger: {what} failed: {exc}", code="ledger.backend_failed"
            ) from exc

    def _read_size(self) -> int:
        (last,) = self._db.execute("SELECT max(idx) FROM leaves").fetchone()
        return 0 if last is None else int(last) + 1

    def _read_latest_note(self) -> str | None:
        row = self._db.execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        return None if row is None else str(row[0])

    def _read_leaf(self, index: int) -> bytes:
        row = self._db.execute("SELECT leaf FROM leaves WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise LedgerError(f"no leaf {index}", code="ledger.node_missing")
        return bytes(row[0])

    def _node_store(self) -> merkle.NodeStore:
        return self._store

    def close(self) -> None:
        """Close the file."""
        self._db.close()


def sqlite_path(url: str) -> str:
    """The file path of ``sqlite:///abs/path.db`` (absolute) or ``sqlite:rel/path.db``."""
    _, rest = split_url(url)
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        if authority or not slash:
            raise InvalidInputError(
                f"a sqlite ledger URL has no host: {url!r}", code="ledger.url_invalid"
            )
        rest = "/" + path
    if not rest or "?" in rest or "#" in rest:
        raise InvalidInputError(
            f"a sqlite ledger URL names a file: {url!r}", code="ledger.url_invalid"
        )
    try:
        return unquote(rest, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInputError(
            f"bad percent-encoding in {url!r}", code="ledger.url_invalid"
        ) from None


def _open(url: str, *, log_key: Signer, origin: str | None = None, **options: Any) -> SqliteLedger:
    path = sqlite_path(url)
    timeout = options.pop("busy_timeout", 30.0)
    clock = options.pop("clock", None)
    if options:
        raise InvalidInputError(
            f"unknown sqlite ledger options {sorted(options)}", code="ledger.option_unknown"
        )
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout < 0:
        raise InvalidInputError("busy_timeout is a number of seconds", code="ledger.option_invalid")
    return SqliteLedger(path, log_key, origin=origin, busy_timeout=float(timeout), clock=clock)


register_backend("sqlite", _open)
