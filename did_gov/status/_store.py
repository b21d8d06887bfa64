"""The SQLite layout of a status registry: schema, triggers, parameters (``specs/status-registry.md``).

Tables: ``meta(key, value)`` (format, list_url, purpose, size, status_size, messages),
``entries(idx, credential_hash, value)`` and ``publications(seq, valid_from, credential)``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from did_gov._sqlite import inspect, what_it_is
from did_gov.errors import StatusError
from did_gov.status._bitstring import MIN_ENTRIES, StatusList, check_status_size
from did_gov.status._entry import StatusPurpose, is_url, messages_from_texts

__all__ = ["FORMAT", "credential_hash", "new_meta", "prepare", "transaction", "wanted_meta"]

FORMAT = "did_gov/status/sqlite/v1"
"""The ``meta.format`` value of registry files this module writes and reads."""

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
    " credential_hash BLOB NOT NULL UNIQUE CHECK (length(credential_hash) = 32),"
    " value INTEGER NOT NULL DEFAULT 0 CHECK (value >= 0))",
    "CREATE TABLE IF NOT EXISTS publications(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " valid_from TEXT NOT NULL, credential TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries"
    " BEGIN SELECT RAISE(ABORT, 'did_gov status indexes are never released'); END",
    "CREATE TRIGGER IF NOT EXISTS entries_fixed BEFORE UPDATE OF idx, credential_hash ON entries"
    " BEGIN SELECT RAISE(ABORT, 'did_gov status indexes are never reassigned'); END",
    "CREATE TRIGGER IF NOT EXISTS meta_fixed BEFORE UPDATE ON meta"
    " BEGIN SELECT RAISE(ABORT, 'did_gov status registry parameters are fixed'); END",
]
_IRREVERSIBLE = (
    "CREATE TRIGGER IF NOT EXISTS entries_irreversible BEFORE UPDATE OF value ON entries"
    " WHEN OLD.value != 0 AND NEW.value != OLD.value"
    " BEGIN SELECT RAISE(ABORT, 'did_gov: this status purpose is not reversible'); END"
)


def credential_hash(credential_id: str) -> bytes:
    """SHA-256 of the credential ``id`` (UTF-8): all the registry keeps of a credential."""
    if not isinstance(credential_id, str) or not credential_id:
        raise StatusError("a credential id is a non-empty string", code="status.invalid_argument")
    try:
        return hashlib.sha256(credential_id.encode("utf-8")).digest()
    except UnicodeEncodeError:
        raise StatusError(
            "a credential id must be valid Unicode", code="status.invalid_argument"
        ) from None


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction that takes the write lock up front (``BEGIN IMMEDIATE``)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def wanted_meta(
    list_url: str | None,
    purpose: str | None,
    size: int | None,
    status_size: int | None,
    messages: Sequence[str] | None,
) -> dict[str, str]:
    """The caller's parameters as ``meta`` rows (only those given)."""
    wanted: dict[str, str] = {}
    if list_url is not None:
        if not is_url(list_url):
            raise StatusError(f"list_url {list_url!r} is not a URL", code="status.invalid_argument")
        wanted["list_url"] = list_url
    if purpose is not None:
        try:
            wanted["purpose"] = StatusPurpose(purpose).value
        except ValueError:
            raise StatusError(
                f"purpose must be one of {[p.value for p in StatusPurpose]}",
                code="status.invalid_argument",
            ) from None
    if size is not None:
        if type(size) is not int:
            raise StatusError(f"size must be an int, not {size!r}", code="status.invalid_argument")
        wanted["size"] = str(size)
    if status_size is not None:
        wanted["status_size"] = str(check_status_size(status_size))
    if messages is not None:
        if isinstance(messages, str) or not all(isinstance(m, str) for m in messages):
            raise StatusError("messages must be strings", code="status.invalid_argument")
        wanted["messages"] = json.dumps(list(messages))
    return wanted


def new_meta(wanted: dict[str, str]) -> dict[str, str]:
    """Defaults for a new file; check the parameters are a valid list."""
    if "list_url" not in wanted or "purpose" not in wanted:
        raise StatusError(
            "a new status registry needs list_url and purpose", code="status.invalid_argument"
        )
    meta = {"format": FORMAT, "size": str(MIN_ENTRIES), "status_size": "1", "messages": "null"}
    meta.update(wanted)
    size, status_size = int(meta["size"]), int(meta["status_size"])
    StatusList(size, status_size)
    texts = json.loads(meta["messages"])
    if status_size > 1 and texts is None:
        raise StatusError(
            "status_size above 1 needs one message per value", code="status.invalid_argument"
        )
    messages_from_texts(texts, status_size)
    return meta


def prepare(db: sqlite3.Connection, wanted: dict[str, str], existed: bool) -> dict[str, str]:
    """Claim the file (look first, alter only a registry), store or compare the parameters.

    A file that did not exist becomes a new registry; an existing one must already be a
    did_gov status registry. Anything else (empty, another application's database even
    with a ``meta`` table, a ledger) is refused with the transaction rolled back, untouched.
    """
    with transaction(db):
        state = inspect(db)
        if state.empty and not existed:
            meta = new_meta(wanted)
            for statement in _SCHEMA:
                db.execute(statement)
            db.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", meta.items())
        elif state.format != FORMAT:
            raise StatusError(
                f"{what_it_is(state)} is not a did_gov status registry; it was left untouched",
                code="status.registry_open_failed",
            )
        else:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta["purpose"] in (StatusPurpose.REVOCATION, StatusPurpose.REFRESH):
            db.execute(_IRREVERSIBLE)
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StatusError(f"cannot use WAL mode (got {mode})", code="status.registry_open_failed")
    db.execute("PRAGMA synchronous=FULL")
    differing = sorted(k for k, v in wanted.items() if meta.get(k) != v)
    if differing:
        raise StatusError(
            f"the registry was created with other {', '.join(differing)}",
            code="status.registry_mismatch",
        )
    return meta
