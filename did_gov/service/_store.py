"""The service's own tables: exchanges (and their one-time use) and the audit trail.

In a data folder they are one SQLite file (``service.db``, WAL, ``BEGIN IMMEDIATE``); with a
``postgresql://`` database they are the ``service`` component's tables in the ``did_gov``
schema (``specs/storage.md``), so every instance sees every exchange: a presentation is
accepted once, whichever instance it reaches, because taking an exchange from
``requested`` to ``completing`` is one conditional update that only one caller wins.

Only what the service needs is kept: exchange ids, states, challenges and expiry, and an
exchange's outcome (the issued credential or the denial) until the exchange expires, when
:meth:`ServiceStore.forget_results` drops it; audit records name an action, the client, and
SHA-256 of a credential id — never a claim.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from did_gov.errors import DidGovError

__all__ = ["AuditRecord", "Exchange", "ServiceStore", "StoreError", "open_store"]

_T = TypeVar("_T")

COMPONENT = "service"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE did_gov.service_exchanges(
            workflow text NOT NULL,
            id text NOT NULL,
            state text NOT NULL CHECK (state IN ('pending', 'requested', 'completing',
                                                 'complete', 'failed')),
            challenge text,
            expires double precision NOT NULL,
            PRIMARY KEY (workflow, id))""",
        """CREATE TABLE did_gov.service_audit(
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at text NOT NULL,
            actor text NOT NULL,
            action text NOT NULL,
            subject text NOT NULL,
            detail text NOT NULL,
            leaf_index bigint)""",
        """CREATE TABLE did_gov.service_audit_anchors(
            leaf_index bigint PRIMARY KEY,
            first_seq bigint NOT NULL,
            last_seq bigint NOT NULL,
            receipt text NOT NULL)""",
        """CREATE FUNCTION did_gov.service_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.leaf_index IS NULL AND NEW.seq = OLD.seq
                    AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action
                    AND NEW.subject = OLD.subject AND NEW.detail = OLD.detail THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'did_gov audit records are append-only';
        END $$""",
        "CREATE TRIGGER service_audit_append_only BEFORE UPDATE OR DELETE"
        " ON did_gov.service_audit FOR EACH ROW EXECUTE FUNCTION did_gov.service_audit_guard()",
    ),
    ("ALTER TABLE did_gov.service_exchanges ADD COLUMN result text",),
)
"""``MIGRATIONS[i]`` takes the service tables from schema version ``i`` to ``i + 1``."""

_SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS exchanges(workflow TEXT NOT NULL, id TEXT NOT NULL,"
    " state TEXT NOT NULL, challenge TEXT, expires REAL NOT NULL, result TEXT,"
    " PRIMARY KEY (workflow, id))",
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,"
    " actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL,"
    " leaf_index INTEGER)",
    "CREATE TABLE IF NOT EXISTS audit_anchors(leaf_index INTEGER PRIMARY KEY,"
    " first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, receipt TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'did_gov audit records are never deleted'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_fixed BEFORE UPDATE ON audit"
    " WHEN OLD.leaf_index IS NOT NULL OR NEW.actor != OLD.actor OR NEW.action != OLD.action"
    " OR NEW.subject != OLD.subject OR NEW.detail != OLD.detail OR NEW.at != OLD.at"
    " BEGIN SELECT RAISE(ABORT, 'did_gov audit records are append-only'); END",
)


class StoreError(DidGovError):
    """The service's store failed (``service.store_failed``: 503, retry)."""

    code = "service.store_failed"


@dataclass(frozen=True)
class Exchange:
    """One exchange: its state, the challenge it asked for (once requested), when it expires.

    ``result`` is its outcome as JSON text once decided (until it expires), else None.
    """

    workflow: str
    id: str
    state: str
    challenge: str | None
    expires: float
    result: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit trail: who did what to which (hashed) credential, and its leaf."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str
    leaf_index: int | None


class ServiceStore(ABC):
    """Exchanges and audit records; SQLite or PostgreSQL below."""

    @abstractmethod
    def create_exchange(self, workflow: str, exchange_id: str, expires: float) -> None:
        """Record a new exchange in state ``pending``."""

    @abstractmethod
    def exchange(self, workflow: str, exchange_id: str) -> Exchange | None:
        """The exchange, or None."""

    @abstractmethod
    def transition(
        self,
        workflow: str,
        exchange_id: str,
        before: str,
        after: str,
        *,
        challenge: str | None = None,
        result: str | None = None,
        now: float,
    ) -> bool:
        """Move an unexpired exchange from ``before`` to ``after`` (one caller wins); True if moved.

        ``challenge`` and ``result``, when given, are stored with the move. A caller that must
        know it won even when the database's answer to the commit is lost gives a fresh
        ``challenge``: the move is then recognised as its own.
        """

    @abstractmethod
    def purge_exchanges(self, expired_before: float, *, limit: int = 1000) -> int:
        """Delete up to ``limit`` exchanges that expired before ``expired_before``; how many went.

        An expired exchange can no longer be used (every step checks ``expires``), so keeping
        it forever only grows the table; the service purges those expired for a day (until
        then their URL answers 409 ``service.exchange_expired``, afterwards 404 like any
        unknown exchange).
        """

    @abstractmethod
    def forget_results(self, now: float) -> int:
        """Drop the outcome of every exchange expired at ``now``; return how many were dropped."""

    @abstractmethod
    def replace_result(self, workflow: str, exchange_id: str, before: str, after: str) -> bool:
        """Set the exchange's outcome to ``after`` if it is still ``before`` (one caller wins)."""

    @abstractmethod
    def add_audit(self, at: str, actor: str, action: str, subject: str, detail: str) -> int:
        """Append an audit record; return its sequence number."""

    @abstractmethod
    def anchor_audit(self, seqs: list[int], leaf_index: int, receipt: str) -> None:
        """Note the log leaf (and its receipt) that anchors audit records ``seqs``."""

    @abstractmethod
    def audit(self, after: int = 0, limit: int = 100) -> list[AuditRecord]:
        """Audit records with ``seq > after``, oldest first."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""


class _SqliteStore(ServiceStore):
    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(
                str(path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            for statement in _SQLITE_SCHEMA:
                self._db.execute(statement)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(exchanges)")}
            if "result" not in columns:  # a data folder made before exchanges kept outcomes
                self._db.execute("ALTER TABLE exchanges ADD COLUMN result TEXT")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc
        self._lock = threading.Lock()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"service store failed: {exc}") from exc

    def _read(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"service store failed: {exc}") from exc

    def create_exchange(self, workflow: str, exchange_id: str, expires: float) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO exchanges(workflow, id, state, expires) VALUES (?, ?, 'pending', ?)",
                (workflow, exchange_id, expires),
            )

    def exchange(self, workflow: str, exchange_id: str) -> Exchange | None:
        rows = self._read(
            "SELECT workflow, id, state, challenge, expires, result FROM exchanges"
            " WHERE workflow = ? AND id = ?",
            (workflow, exchange_id),
        )
        return Exchange(*rows[0]) if rows else None

    def transition(
        self,
        workflow: str,
        exchange_id: str,
        before: str,
        after: str,
        *,
        challenge: str | None = None,
        result: str | None = None,
        now: float,
    ) -> bool:
        with self._write() as db:
            moved = db.execute(
                "UPDATE exchanges SET state = ?, challenge = coalesce(?, challenge),"
                " result = coalesce(?, result)"
                " WHERE workflow = ? AND id = ? AND state = ? AND expires > ?",
                (after, challenge, result, workflow, exchange_id, before, now),
            ).rowcount
        return moved == 1

    def purge_exchanges(self, expired_before: float, *, limit: int = 1000) -> int:
        with self._write() as db:
            return int(
                db.execute(
                    "DELETE FROM exchanges WHERE rowid IN"
                    " (SELECT rowid FROM exchanges WHERE expires < ? LIMIT ?)",
                    (expired_before, limit),
                ).rowcount
            )

    def forget_results(self, now: float) -> int:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE exchanges SET result = NULL WHERE result IS NOT NULL AND expires <= ?",
                (now,),
            )
            return int(cursor.rowcount)

    def replace_result(self, workflow: str, exchange_id: str, before: str, after: str) -> bool:
        with self._write() as db:
            moved = db.execute(
                "UPDATE exchanges SET result = ? WHERE workflow = ? AND id = ? AND result = ?",
                (after, workflow, exchange_id, before),
            ).rowcount
        return moved == 1

    def add_audit(self, at: str, actor: str, action: str, subject: str, detail: str) -> int:
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO audit(at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                (at, actor, action, subject, detail),
            )
            return int(cursor.lastrowid or 0)

    def anchor_audit(self, seqs: list[int], leaf_index: int, receipt: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO audit_anchors(leaf_index, first_seq, last_seq, receipt)"
                " VALUES (?, ?, ?, ?)",
                (leaf_index, min(seqs), max(seqs), receipt),
            )
            db.executemany(
                "UPDATE audit SET leaf_index = ? WHERE seq = ?", [(leaf_index, s) for s in seqs]
            )

    def audit(self, after: int = 0, limit: int = 100) -> list[AuditRecord]:
        rows = self._read(
            "SELECT seq, at, actor, action, subject, detail, leaf_index FROM audit"
            " WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        )
        return [AuditRecord(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _PostgresStore(ServiceStore):
    def __init__(self, url: str) -> None:
        from did_gov._postgres import PgProblem, Session, migrate

        self._problem = PgProblem
        try:
            self._session = Session(url)
            self._session.write(lambda c: migrate(c, COMPONENT, MIGRATIONS))
        except PgProblem as problem:
            raise StoreError(f"postgresql service store: {problem.message}") from problem
        self._lock = threading.Lock()

    def _run(self, work: Callable[[Any], _T], *, write: bool = True, statement: bool = False) -> _T:
        with self._lock:
            try:
                if statement:  # one INSERT, committed on its own: one round trip
                    return self._session.statement(work)
                if write:
                    return self._session.write(work)
                return self._session.read(work)
            except self._problem as problem:
                raise StoreError(f"postgresql service store: {problem.message}") from problem

    def create_exchange(self, workflow: str, exchange_id: str, expires: float) -> None:
        self._run(
            lambda c: c.execute(
                "INSERT INTO did_gov.service_exchanges(workflow, id, state, expires)"
                " VALUES (%s, %s, 'pending', %s) ON CONFLICT DO NOTHING",
                (workflow, exchange_id, expires),
            )
        )

    def exchange(self, workflow: str, exchange_id: str) -> Exchange | None:
        row = self._run(
            lambda c: c.execute(
                "SELECT workflow, id, state, challenge, expires, result"
                " FROM did_gov.service_exchanges WHERE workflow = %s AND id = %s",
                (workflow, exchange_id),
            ).fetchone(),
            write=False,
        )
        return None if row is None else Exchange(*row)

    def transition(
        self,
        workflow: str,
        exchange_id: str,
        before: str,
        after: str,
        *,
        challenge: str | None = None,
        result: str | None = None,
        now: float,
    ) -> bool:
        def work(connection: Any) -> bool:
            cursor = connection.execute(
                "UPDATE did_gov.service_exchanges SET state = %s,"
                " challenge = coalesce(%s, challenge), result = coalesce(%s, result)"
                " WHERE workflow = %s AND id = %s AND state = %s AND expires > %s",
                (after, challenge, result, workflow, exchange_id, before, now),
            )
            return bool(cursor.rowcount == 1)

        def committed(connection: Any, moved: bool) -> bool:
            # the answer to the commit was lost: did *this* move land? Not if it matched no
            # row; and another instance's move to the same state shows another challenge
            if not moved:
                return False
            row = connection.execute(
                "SELECT state, challenge FROM did_gov.service_exchanges"
                " WHERE workflow = %s AND id = %s",
                (workflow, exchange_id),
            ).fetchone()
            return (
                row is not None and row[0] == after and (challenge is None or row[1] == challenge)
            )

        with self._lock:
            try:
                return self._session.write(work, committed=committed)
            except self._problem as problem:
                raise StoreError(f"postgresql service store: {problem.message}") from problem

    def purge_exchanges(self, expired_before: float, *, limit: int = 1000) -> int:
        count: int = self._run(
            statement=True,
            work=lambda c: (
                c.execute(
                    "DELETE FROM did_gov.service_exchanges WHERE ctid IN (SELECT ctid FROM"
                    " did_gov.service_exchanges WHERE expires < %s LIMIT %s)",
                    (expired_before, limit),
                ).rowcount
            ),
        )
        return count

    def forget_results(self, now: float) -> int:
        return int(
            self._run(
                lambda c: (
                    c.execute(
                        "UPDATE did_gov.service_exchanges SET result = NULL"
                        " WHERE result IS NOT NULL AND expires <= %s",
                        (now,),
                    ).rowcount
                )
            )
        )

    def replace_result(self, workflow: str, exchange_id: str, before: str, after: str) -> bool:
        def work(connection: Any) -> bool:
            cursor = connection.execute(
                "UPDATE did_gov.service_exchanges SET result = %s"
                " WHERE workflow = %s AND id = %s AND result = %s",
                (after, workflow, exchange_id, before),
            )
            return bool(cursor.rowcount == 1)

        def committed(connection: Any, moved: bool) -> bool:
            # an unknown commit: did this update land? (``after`` holds a fresh marker)
            row = connection.execute(
                "SELECT result FROM did_gov.service_exchanges WHERE workflow = %s AND id = %s",
                (workflow, exchange_id),
            ).fetchone()
            return row is not None and row[0] == after

        with self._lock:
            try:
                return self._session.write(work, committed=committed)
            except self._problem as problem:
                raise StoreError(f"postgresql service store: {problem.message}") from problem

    def add_audit(self, at: str, actor: str, action: str, subject: str, detail: str) -> int:
        row = self._run(
            statement=True,
            work=lambda c: c.execute(
                "INSERT INTO did_gov.service_audit(at, actor, action, subject, detail)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING seq",
                (at, actor, action, subject, detail),
            ).fetchone(),
        )
        return int(row[0])

    def anchor_audit(self, seqs: list[int], leaf_index: int, receipt: str) -> None:
        def work(connection: Any) -> None:
            connection.execute(
                "INSERT INTO did_gov.service_audit_anchors(leaf_index, first_seq, last_seq,"
                " receipt) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (leaf_index, min(seqs), max(seqs), receipt),
            )
            connection.execute(
                "UPDATE did_gov.service_audit SET leaf_index = %s"
                " WHERE seq = ANY(%s) AND leaf_index IS NULL",
                (leaf_index, seqs),
            )

        self._run(work)

    def audit(self, after: int = 0, limit: int = 100) -> list[AuditRecord]:
        rows = self._run(
            lambda c: c.execute(
                "SELECT seq, at, actor, action, subject, detail, leaf_index"
                " FROM did_gov.service_audit WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
            ).fetchall(),
            write=False,
        )
        return [AuditRecord(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._session.close()


class _Pool(ServiceStore):
    """Several PostgreSQL sessions taken in turn (each call is one transaction on one)."""

    def __init__(self, stores: list[ServiceStore]) -> None:
        self._stores = stores
        self._turn = itertools.count()

    def _next(self) -> ServiceStore:
        return self._stores[next(self._turn) % len(self._stores)]

    def create_exchange(self, workflow: str, exchange_id: str, expires: float) -> None:
        self._next().create_exchange(workflow, exchange_id, expires)

    def exchange(self, workflow: str, exchange_id: str) -> Exchange | None:
        return self._next().exchange(workflow, exchange_id)

    def transition(
        self,
        workflow: str,
        exchange_id: str,
        before: str,
        after: str,
        *,
        challenge: str | None = None,
        result: str | None = None,
        now: float,
    ) -> bool:
        return self._next().transition(
            workflow, exchange_id, before, after, challenge=challenge, result=result, now=now
        )

    def purge_exchanges(self, expired_before: float, *, limit: int = 1000) -> int:
        return self._next().purge_exchanges(expired_before, limit=limit)

    def forget_results(self, now: float) -> int:
        return self._next().forget_results(now)

    def replace_result(self, workflow: str, exchange_id: str, before: str, after: str) -> bool:
        return self._next().replace_result(workflow, exchange_id, before, after)

    def add_audit(self, at: str, actor: str, action: str, subject: str, detail: str) -> int:
        return self._next().add_audit(at, actor, action, subject, detail)

    def anchor_audit(self, seqs: list[int], leaf_index: int, receipt: str) -> None:
        self._next().anchor_audit(seqs, leaf_index, receipt)

    def audit(self, after: int = 0, limit: int = 100) -> list[AuditRecord]:
        return self._next().audit(after, limit)

    def close(self) -> None:
        for store in self._stores:
            store.close()


def open_store(*, database: str | None, data: Path | None, pool: int = 1) -> ServiceStore:
    """The service store in ``database`` (PostgreSQL, ``pool`` sessions) or ``data/service.db``."""
    if database is not None:
        stores: list[ServiceStore] = [_PostgresStore(database) for _ in range(max(1, pool))]
        return stores[0] if len(stores) == 1 else _Pool(stores)
    assert data is not None  # noqa: S101 - ServiceConfig holds one of them
    return _SqliteStore(data / "service.db")
