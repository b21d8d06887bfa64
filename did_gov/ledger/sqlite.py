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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from did_gov.errors import DidGovError, InvalidInputError, LedgerError
from did_gov.keys import KeyType, PublicKey, Signer
from did_gov.ledger import merkle
from did_gov.ledger._backend import AppendedBatch, BaseLedger, Clock
from did_gov.ledger._note import NoteSigner, NoteVerifier, check_note_key, parse_unverified_note
from did_gov.ledger._receipt import Receipt
from did_gov.ledger._url import register_backend, split_url
from did_gov.ledger.checkpoint import Checkpoint, open_checkpoint

__all__ = ["FORMAT", "STORED_FROM", "SqliteLedger", "SqliteLogReader"]

FORMAT = b"did_gov/ledger/sqlite/v1"
"""The ``meta.format`` value of files this module writes and reads."""
STORED_FROM = 4
"""Lowest subtree level stored in ``nodes``; levels 1-3 are rehashed from leaves."""

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


class _Nodes:
    """Complete-subtree hashes read from the file; small subtrees are rehashed from leaves."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def node(self, level: int, index: int) -> bytes:
        if level >= STORED_FROM:
            row = self._db.execute(
                "SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)
            ).fetchone()
            if row is not None:
                return bytes(row[0])
        else:
            count = 1 << level
            rows = self._db.execute(
                "SELECT leaf FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                (index * count, (index + 1) * count),
            ).fetchall()
            if len(rows) == count:
                hashes = [merkle.leaf_hash(bytes(r[0])) for r in rows]
                while len(hashes) > 1:
                    pairs = zip(hashes[0::2], hashes[1::2], strict=True)
                    hashes = [merkle.node_hash(a, b) for a, b in pairs]
                return hashes[0]
        raise LedgerError(f"no stored subtree ({level}, {index})", code="ledger.node_missing")


class _Overlay:
    """The subtrees an append created (and the old right border), in memory, over the file's.

    ``levels[j]`` is ``(first, hashes)``: the new complete subtrees of level ``j`` start at
    index ``first``.
    """

    def __init__(
        self,
        levels: list[tuple[int, list[bytes]]],
        border: dict[tuple[int, int], bytes],
        below: _Nodes,
    ) -> None:
        self.levels = levels
        self.border = border
        self._below = below

    def node(self, level: int, index: int) -> bytes:
        if level < len(self.levels):
            first, hashes = self.levels[level]
            if first <= index < first + len(hashes):
                return hashes[index - first]
        found = self.border.get((level, index))
        return found if found is not None else self._below.node(level, index)


def _border(size: int) -> Iterator[tuple[int, int]]:
    """The (level, index) of the complete subtrees that cover leaves ``[0, size)``."""
    position = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            yield level, position >> level
            position += 1 << level


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
        try:
            self._db = sqlite3.connect(
                os.fspath(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError, TypeError) as exc:
            raise LedgerError(
                f"cannot open ledger file {path!r}: {exc}", code="ledger.open_failed"
            ) from exc
        try:
            stored = self._prepare(origin, log_key)
        except (sqlite3.Error, OSError) as exc:
            self._db.close()
            raise LedgerError(
                f"cannot open ledger file {path!r}: {exc}", code="ledger.open_failed"
            ) from exc
        except BaseException:
            self._db.close()
            raise
        super().__init__(stored, log_key, clock=clock)
        self._store = _Nodes(self._db)

    def _prepare(self, origin: str | None, log_key: Signer) -> str:
        db = self._db
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(f"cannot use WAL mode (got {mode})", code="ledger.open_failed")
        db.execute("PRAGMA synchronous=FULL")
        with _transaction(db):
            for statement in _schema().split(";\n"):
                if statement.strip():
                    db.execute(statement)
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if not meta:
                return self._initialize(origin, log_key)
        return _check_identity(meta, origin, log_key)

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
            border = {(lvl, idx): self._store.node(lvl, idx) for lvl, idx in _border(first)}
            levels = _extend(border, first, leaves)
            db.executemany(
                "INSERT INTO leaves(idx, leaf) VALUES (?, ?)",
                zip(range(first, first + len(leaves)), leaves, strict=True),
            )
            db.executemany("INSERT INTO nodes(level, idx, hash) VALUES (?, ?, ?)", _rows(levels))
            size = first + len(leaves)
            overlay = _Overlay(levels, border, self._store)
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


def _extend(
    border: dict[tuple[int, int], bytes], first: int, leaves: list[bytes]
) -> list[tuple[int, list[bytes]]]:
    """Hash ``leaves`` in at ``first``, level by level; return every new complete subtree.

    ``border`` is the right border of the tree of ``first`` leaves. Level ``j`` of the
    result is ``(first >> j, hashes)``; a level's first new node pairs with the border node
    on its left when its index is odd.
    """
    leaf_hash, node_hash = merkle.leaf_hash, merkle.node_hash
    current = [leaf_hash(leaf) for leaf in leaves]
    levels = []
    level, low = 0, first
    while current:
        levels.append((low, current))
        pairs = [border[(level, low - 1)], *current] if low & 1 else current
        current = [node_hash(a, b) for a, b in zip(pairs[0::2], pairs[1::2])]  # noqa: B905
        level, low = level + 1, low >> 1
    return levels


def _rows(levels: list[tuple[int, list[bytes]]]) -> Iterator[tuple[int, int, bytes]]:
    """The ``nodes`` rows of the levels that are stored."""
    for level, (low, hashes) in enumerate(levels):
        if level >= STORED_FROM:
            for offset, value in enumerate(hashes):
                yield level, low + offset, value


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


class SqliteLogReader:
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
            if bytes(meta.get("format", b"")) != FORMAT:
                raise LedgerError(
                    "not a did_gov ledger file (or a newer format)",
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
        self._store = _Nodes(self._db)

    @property
    def origin(self) -> str:
        """The log's origin line."""
        return self.verifier.name

    def _run(self, what: str, function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(
                f"sqlite ledger: {what} failed: {exc}", code="ledger.backend_failed"
            ) from exc

    def size(self) -> int:
        """The number of leaves in the log."""
        (last,) = self._run(
            "size", lambda: self._db.execute("SELECT max(idx) FROM leaves").fetchone()
        )
        return 0 if last is None else int(last) + 1

    def checkpoint(self) -> str:
        """The newest checkpoint the log signed (``ledger.no_checkpoint`` before the first)."""
        row = self._run(
            "checkpoint",
            lambda: self._db.execute(
                "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone(),
        )
        if row is None:
            raise LedgerError(
                "this log has no signed checkpoint yet (a new log): anchor something first "
                "(each append signs one), or sign one with `did-gov ledger checkpoint --key KEY`",
                code="ledger.no_checkpoint",
            )
        return str(row[0])

    def prove_consistency(self, size1: int, size2: int) -> list[bytes]:
        """The consistency proof between two tree sizes of the stored log."""
        if not isinstance(size2, int) or not 0 <= size2 <= self.size():
            raise InvalidInputError(
                f"tree size {size2!r} is outside the log", code="ledger.out_of_range"
            )
        if not isinstance(size1, int) or not 0 <= size1 <= size2:
            raise InvalidInputError(
                f"tree size {size1!r} is outside [0, {size2}]", code="ledger.out_of_range"
            )
        result: list[bytes] = self._run(
            "prove", merkle.consistency_proof, self._store, size1, size2
        )
        return result

    def receipt(self, index: int, checkpoint: str | None = None) -> Receipt:
        """A receipt for leaf ``index`` against ``checkpoint`` (the newest by default)."""
        note = self.checkpoint() if checkpoint is None else checkpoint
        head = open_checkpoint(note, [self.verifier], origin=self.origin).checkpoint
        if not 1 <= head.size <= self.size():
            raise LedgerError("the checkpoint is beyond this log", code="ledger.checkpoint_foreign")
        if self._run("root", merkle.root, self._store, head.size) != head.root_hash:
            raise LedgerError(
                f"checkpoint of size {head.size} does not match this log",
                code="ledger.checkpoint_foreign",
            )
        if not isinstance(index, int) or not 0 <= index < head.size:
            raise InvalidInputError(
                f"leaf index {index!r} is outside [0, {head.size - 1}]", code="ledger.out_of_range"
            )
        proof = self._run("prove", merkle.inclusion_proof, self._store, index, head.size)
        row = self._run(
            "leaf",
            lambda: self._db.execute("SELECT leaf FROM leaves WHERE idx = ?", (index,)).fetchone(),
        )
        return Receipt(self.origin, bytes(row[0]), index, tuple(proof), note)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> SqliteLogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
