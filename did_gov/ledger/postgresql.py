"""The ``postgresql:`` backend: append-only logs in a PostgreSQL database, shared by processes.

For agencies that run several instances of a service behind a load balancer: every
instance opens the same database and the same log (by its origin), and they append to one
tree. The layout, versioning and backup are in ``specs/storage.md``.

Serialization: an append locks its log's row (``SELECT … FOR UPDATE``) for the length of
one transaction that reads the size and the tree's right border, inserts the leaves, the
new complete subtrees and the signed checkpoint (one statement), and commits; appends from any number of processes
queue on that lock, so no index is given twice and none is skipped. Readers never wait.

Durability: sessions commit with ``synchronous_commit = on``, so ``append`` returns once
the server has flushed the batch to its write-ahead log. A process killed mid-append
leaves nothing (the server rolls the transaction back when the connection drops).

Recovery: the connection is re-established after a server restart or a dropped socket,
and the call that saw the failure runs again (for ``reconnect_timeout`` seconds, 30 by
default). If the connection breaks during a commit, the append looks up whether its
signed checkpoint was stored before trying again, so an acknowledged batch is never
duplicated and an unacknowledged one never half-applied. Triggers refuse UPDATE, DELETE
and TRUNCATE on the log tables.

URL: ``postgresql://user:password@host:port/database?sslmode=…`` (libpq's URI syntax; any
libpq parameter passes through). A database may hold several logs, one per origin;
opening without an origin picks the only one. psycopg 3 comes with ``pip install
'did-gov[postgresql]'`` and is imported only when a log is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from did_gov._postgres import (
    DEFAULT_RECONNECT_TIMEOUT,
    SCHEMA,
    SCHEMES,
    PgProblem,
    Session,
    migrate,
)
from did_gov.errors import DidGovError, InvalidInputError, LedgerError
from did_gov.keys import KeyType, PublicKey, Signer
from did_gov.ledger import merkle
from did_gov.ledger._backend import AppendedBatch, BaseLedger, Clock
from did_gov.ledger._note import NoteSigner, NoteVerifier, check_note_key, parse_unverified_note
from did_gov.ledger._reader import LogReader
from did_gov.ledger._subtrees import (
    STORED_FROM,
    Overlay,
    StoredNodes,
    border,
    extend,
    stored_rows,
)
from did_gov.ledger._url import register_backend
from did_gov.ledger.checkpoint import Checkpoint

__all__ = ["COMPONENT", "MIGRATIONS", "PostgresLedger", "PostgresLogReader"]

_T = TypeVar("_T")

COMPONENT = "ledger"
"""This store's row in ``did_gov.schema_version``."""

_APPEND_ONLY = ("ledger_logs", "ledger_leaves", "ledger_nodes", "ledger_checkpoints")
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1: the first layout.
    (
        """CREATE TABLE did_gov.ledger_logs(
            log_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            origin text NOT NULL UNIQUE,
            public_key bytea NOT NULL CHECK (length(public_key) = 32))""",
        """CREATE TABLE did_gov.ledger_leaves(
            log_id integer NOT NULL REFERENCES did_gov.ledger_logs,
            idx bigint NOT NULL CHECK (idx >= 0),
            leaf bytea NOT NULL CHECK (length(leaf) = 32),
            PRIMARY KEY (log_id, idx))""",
        """CREATE TABLE did_gov.ledger_nodes(
            log_id integer NOT NULL REFERENCES did_gov.ledger_logs,
            level smallint NOT NULL CHECK (level >= 0),
            idx bigint NOT NULL CHECK (idx >= 0),
            hash bytea NOT NULL CHECK (length(hash) = 32),
            PRIMARY KEY (log_id, level, idx))""",
        """CREATE TABLE did_gov.ledger_checkpoints(
            log_id integer NOT NULL REFERENCES did_gov.ledger_logs,
            size bigint NOT NULL CHECK (size > 0),
            note text NOT NULL,
            PRIMARY KEY (log_id, size))""",
        """CREATE FUNCTION did_gov.ledger_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
            RAISE EXCEPTION 'did_gov ledger tables are append-only (% on %)', TG_OP, TG_TABLE_NAME;
            END $$""",
        *(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON did_gov.{table}"
            " FOR EACH ROW EXECUTE FUNCTION did_gov.ledger_append_only()"
            for table in _APPEND_ONLY
        ),
        *(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON did_gov.{table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION did_gov.ledger_append_only()"
            for table in _APPEND_ONLY
        ),
    ),
)
"""``MIGRATIONS[i]`` takes the ledger tables from schema version ``i`` to ``i + 1``."""


def _ledger_error(problem: PgProblem, what: str) -> LedgerError:
    codes = {
        "driver": "postgres.driver_missing",
        "url": "ledger.url_invalid",
        "connect": "ledger.open_failed",
        "foreign": "ledger.format_unsupported",
        "newer": "ledger.format_unsupported",
        "unknown_outcome": "ledger.backend_failed",
    }
    code = codes.get(problem.kind, "ledger.backend_failed")
    if problem.kind == "url":
        return InvalidInputError(problem.message, code=code)  # type: ignore[return-value]
    return LedgerError(f"postgresql ledger: {what}: {problem.message}", code=code)


class _Tables:
    """The SQL of one log (``log_id``) on a connection."""

    def __init__(self, connection: Any, log_id: int) -> None:
        self.connection = connection
        self.log_id = log_id

    def size(self) -> int:
        (last,) = self.connection.execute(
            "SELECT max(idx) FROM did_gov.ledger_leaves WHERE log_id = %s", (self.log_id,)
        ).fetchone()
        return 0 if last is None else int(last) + 1

    def node_row(self, level: int, index: int) -> bytes | None:
        row = self.connection.execute(
            "SELECT hash FROM did_gov.ledger_nodes WHERE log_id = %s AND level = %s AND idx = %s",
            (self.log_id, level, index),
        ).fetchone()
        return None if row is None else bytes(row[0])

    def leaf_range(self, low: int, high: int) -> list[bytes]:
        rows = self.connection.execute(
            "SELECT leaf FROM did_gov.ledger_leaves WHERE log_id = %s AND idx >= %s AND idx < %s"
            " ORDER BY idx",
            (self.log_id, low, high),
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    def nodes(self) -> StoredNodes:
        return StoredNodes(self.node_row, self.leaf_range)

    def lock_and_size(self) -> int:
        """Take the log's append lock (until the transaction ends), then read its size.

        The size is read by a second statement, so that it sees every append committed
        while this one waited for the lock (pipelined: one round trip).
        """
        with self.connection.pipeline():
            self.connection.execute(
                "SELECT 1 FROM did_gov.ledger_logs WHERE log_id = %s FOR UPDATE",
                (self.log_id,),
            )
            sized = self.connection.execute(
                "SELECT max(idx) FROM did_gov.ledger_leaves WHERE log_id = %s", (self.log_id,)
            )
        (last,) = sized.fetchone()
        return 0 if last is None else int(last) + 1

    def border(self, size: int) -> dict[tuple[int, int], bytes]:
        """The right border of the tree of ``size`` leaves, read in one query."""
        wanted = list(border(size))
        stored = [(lvl, idx) for lvl, idx in wanted if lvl >= STORED_FROM]
        tail = size & ~((1 << STORED_FROM) - 1)
        rows = self.connection.execute(
            "SELECT level, idx, hash FROM did_gov.ledger_nodes WHERE log_id = %(log)s"
            " AND (level, idx) IN (SELECT * FROM unnest(%(levels)s::smallint[], %(idxs)s::bigint[]))"
            " UNION ALL SELECT -1, idx, leaf FROM did_gov.ledger_leaves"
            " WHERE log_id = %(log)s AND idx >= %(tail)s AND idx < %(size)s",
            {
                "log": self.log_id,
                "levels": [lvl for lvl, _ in stored],
                "idxs": [idx for _, idx in stored],
                "tail": tail,
                "size": size,
            },
        ).fetchall()
        nodes = {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows if r[0] >= 0}
        leaves = {int(r[1]): bytes(r[2]) for r in rows if r[0] < 0}
        local = StoredNodes(
            lambda level, index: nodes.get((level, index)),
            lambda low, high: [leaves[i] for i in range(low, high) if i in leaves],
        )
        return {(lvl, idx): local.node(lvl, idx) for lvl, idx in wanted}

    def insert(
        self,
        first: int,
        leaves: list[bytes],
        nodes: list[tuple[int, int, bytes]],
        size: int,
        note: str,
    ) -> None:
        """Store a batch: its leaves, its stored subtrees and its checkpoint (one statement)."""
        self.connection.execute(
            "WITH new_leaves AS (INSERT INTO did_gov.ledger_leaves(log_id, idx, leaf)"
            " SELECT %(log)s, * FROM unnest(%(idx)s::bigint[], %(leaf)s::bytea[])),"
            " new_nodes AS (INSERT INTO did_gov.ledger_nodes(log_id, level, idx, hash)"
            " SELECT %(log)s, * FROM unnest(%(nlevel)s::smallint[], %(nidx)s::bigint[],"
            " %(nhash)s::bytea[]))"
            " INSERT INTO did_gov.ledger_checkpoints(log_id, size, note)"
            " VALUES (%(log)s, %(size)s, %(note)s)",
            {
                "log": self.log_id,
                "idx": list(range(first, first + len(leaves))),
                "leaf": leaves,
                "nlevel": [n[0] for n in nodes],
                "nidx": [n[1] for n in nodes],
                "nhash": [n[2] for n in nodes],
                "size": size,
                "note": note,
            },
        )

    def leaf(self, index: int) -> bytes:
        found = self.leaf_range(index, index + 1)
        if not found:
            raise LedgerError(f"no leaf {index}", code="ledger.node_missing")
        return found[0]

    def latest_note(self) -> str | None:
        row = self.connection.execute(
            "SELECT note FROM did_gov.ledger_checkpoints WHERE log_id = %s"
            " ORDER BY size DESC LIMIT 1",
            (self.log_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def note_at(self, size: int) -> str | None:
        row = self.connection.execute(
            "SELECT note FROM did_gov.ledger_checkpoints WHERE log_id = %s AND size = %s",
            (self.log_id, size),
        ).fetchone()
        return None if row is None else str(row[0])


def _find_log(connection: Any, origin: str | None) -> tuple[int, str, bytes] | None:
    """The ``(log_id, origin, public_key)`` of the log named ``origin`` (or the only one)."""
    if origin is not None:
        row = connection.execute(
            "SELECT log_id, origin, public_key FROM did_gov.ledger_logs WHERE origin = %s",
            (origin,),
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), bytes(row[2]))
    rows = connection.execute(
        "SELECT log_id, origin, public_key FROM did_gov.ledger_logs ORDER BY log_id LIMIT 2"
    ).fetchall()
    if len(rows) > 1:
        raise LedgerError(
            "the database holds several logs; name one by its origin",
            code="ledger.origin_required",
        )
    return None if not rows else (int(rows[0][0]), str(rows[0][1]), bytes(rows[0][2]))


def _open_log(connection: Any, origin: str | None, public_key: bytes) -> tuple[int, str]:
    """Migrate, then find or create the log; check it is ``public_key``'s."""
    migrate(connection, COMPONENT, MIGRATIONS)
    found = _find_log(connection, origin)
    if found is None:
        if origin is None:
            raise LedgerError("a new log needs an origin", code="ledger.origin_required")
        connection.execute(
            "INSERT INTO did_gov.ledger_logs(origin, public_key) VALUES (%s, %s)"
            " ON CONFLICT (origin) DO NOTHING",
            (origin, public_key),
        )
        found = _find_log(connection, origin)
        if found is None:  # pragma: no cover - the row was inserted or already there
            raise LedgerError(f"the log {origin!r} vanished", code="ledger.backend_failed")
    log_id, stored, key = found
    if key != public_key:
        raise LedgerError(
            f"log_key is not the key of the log {stored!r}", code="ledger.key_mismatch"
        )
    return log_id, stored


class PostgresLedger(BaseLedger):
    """An append-only log in a PostgreSQL database, shared by any number of processes.

    A new log needs ``origin``; an existing one keeps its public key and refuses another
    (``ledger.key_mismatch``).
    """

    scheme = "postgresql"

    def __init__(
        self,
        url: str,
        log_key: Signer,
        *,
        origin: str | None = None,
        reconnect_timeout: float = DEFAULT_RECONNECT_TIMEOUT,
        clock: Clock | None = None,
    ) -> None:
        check_note_key(log_key)
        if origin is not None:
            NoteSigner(origin, log_key)  # a bad origin is refused before touching the database
        public_key = log_key.public_key.raw()
        try:
            self._session = Session(url, reconnect_timeout=reconnect_timeout)
        except PgProblem as problem:
            raise _ledger_error(problem, "open") from None
        try:
            self._log_id, stored = self._session.write(lambda c: _open_log(c, origin, public_key))
        except PgProblem as problem:
            self._session.close()
            raise _ledger_error(problem, "open") from None
        except BaseException:
            self._session.close()
            raise
        super().__init__(stored, log_key, clock=clock)

    @property
    def reconnects(self) -> int:
        """How many times the connection was re-established (for monitoring)."""
        return self._session.reconnects

    def _read(self, work: Any) -> Any:
        return _read(self._session, self._log_id, work)

    # -- template seams -------------------------------------------------------------------

    def _append(self, leaves: list[bytes]) -> AppendedBatch:
        def work(connection: Any) -> AppendedBatch:
            tables = _Tables(connection, self._log_id)
            first = tables.lock_and_size()
            edge = tables.border(first)
            levels = extend(edge, first, leaves)
            size = first + len(leaves)
            note = self._sign(size, merkle.root(Overlay(levels, edge, tables.nodes()), size))
            tables.insert(first, leaves, list(stored_rows(levels)), size, note)
            later = Overlay(levels, edge, _Detached(self._session, self._log_id))
            return AppendedBatch(first, size, note, later)

        def committed(connection: Any, done: AppendedBatch) -> bool:
            return _Tables(connection, self._log_id).note_at(done.size) == done.checkpoint

        try:
            return self._session.write(work, committed=committed)
        except PgProblem as problem:
            raise _ledger_error(problem, "append") from None

    def _time_floor(self) -> datetime:
        """The newest stored checkpoint's time (any instance's), or a later one signed here."""
        floor = super()._time_floor()
        note = self._read(lambda t: t.latest_note())
        if note is not None:
            stored = Checkpoint.parse_body(parse_unverified_note(str(note)).text).time
            if stored is not None and stored > floor:
                floor = stored
        return floor

    def _stored_checkpoint(self, size: int, root_hash: bytes) -> str | None:
        note = self._read(lambda t: t.note_at(size))
        if note is None:
            return super()._stored_checkpoint(size, root_hash)
        stored = Checkpoint.parse_body(parse_unverified_note(str(note)).text)
        return str(note) if stored.root_hash == root_hash else None

    def _size(self) -> int:
        result: int = self._read(lambda t: t.size())
        return result

    def _nodes(self) -> merkle.NodeStore:
        return _Detached(self._session, self._log_id)

    def _leaf(self, index: int) -> bytes:
        result: bytes = self._read(lambda t: t.leaf(index))
        return result

    def _close(self) -> None:
        self._session.close()


def _read(session: Session, log_id: int, work: Any) -> Any:
    """``work(tables)`` on the log's tables in a read (reconnecting); failures as ours."""
    try:
        return session.read(lambda c: work(_Tables(c, log_id)))
    except PgProblem as problem:
        raise _ledger_error(problem, "read") from None


class _Detached:
    """The log's stored subtrees, each read in its own short transaction (reconnecting)."""

    def __init__(self, session: Session, log_id: int) -> None:
        self._session = session
        self._log_id = log_id

    def node(self, level: int, index: int) -> bytes:
        result: bytes = _read(self._session, self._log_id, lambda t: t.nodes().node(level, index))
        return result


class PostgresLogReader(LogReader):
    """Read-only access to a log in PostgreSQL, for auditors and mirrors: no private key.

    It serves what the log already signed (the checkpoint stored by every append) and
    proofs computed from the stored tree; it never writes (not even a migration: a database
    without the ledger tables is refused). Every failure is a
    :class:`~did_gov.errors.LedgerError`.
    """

    def __init__(
        self,
        url: str,
        *,
        origin: str | None = None,
        reconnect_timeout: float = DEFAULT_RECONNECT_TIMEOUT,
    ) -> None:
        try:
            self._session = Session(url, reconnect_timeout=reconnect_timeout)
            found = self._session.read(lambda c: _reader_log(c, origin))
        except PgProblem as problem:
            if hasattr(self, "_session"):
                self._session.close()
            raise _ledger_error(problem, "open") from None
        except DidGovError:
            self._session.close()
            raise
        self._log_id, stored, key = found
        self.verifier = NoteVerifier(stored, PublicKey.from_raw(KeyType.ED25519, key))

    def _guard(self, what: str, function: Callable[..., _T], *args: object) -> _T:
        return function(*args)  # every read already leaves as a LedgerError

    def _read_size(self) -> int:
        result: int = _read(self._session, self._log_id, lambda t: t.size())
        return result

    def _read_latest_note(self) -> str | None:
        result: str | None = _read(self._session, self._log_id, lambda t: t.latest_note())
        return result

    def _read_leaf(self, index: int) -> bytes:
        result: bytes = _read(self._session, self._log_id, lambda t: t.leaf(index))
        return result

    def _node_store(self) -> merkle.NodeStore:
        return _Detached(self._session, self._log_id)

    def close(self) -> None:
        """Close the connection."""
        self._session.close()


def _reader_log(connection: Any, origin: str | None) -> tuple[int, str, bytes]:
    row = None
    if _has_versions(connection):
        row = connection.execute(
            "SELECT version FROM did_gov.schema_version WHERE component = %s", (COMPONENT,)
        ).fetchone()
    if row is None:
        raise LedgerError("the database holds no did_gov ledger", code="ledger.format_unsupported")
    if int(row[0]) > len(MIGRATIONS):
        raise LedgerError(
            f"the database's ledger schema is version {row[0]}; this did_gov reads up to "
            f"{len(MIGRATIONS)} (upgrade did_gov)",
            code="ledger.format_unsupported",
        )
    found = _find_log(connection, origin)
    if found is None:
        raise LedgerError(
            "no such log in the database" if origin else "the database holds no log yet",
            code="ledger.format_unsupported",
        )
    return found


def _has_versions(connection: Any) -> bool:
    row = connection.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
        " AND table_name = 'schema_version'",
        (SCHEMA,),
    ).fetchone()
    return row is not None


def _open(
    url: str, *, log_key: Signer, origin: str | None = None, **options: Any
) -> PostgresLedger:
    timeout = options.pop("reconnect_timeout", DEFAULT_RECONNECT_TIMEOUT)
    clock = options.pop("clock", None)
    if options:
        raise InvalidInputError(
            f"unknown postgresql ledger options {sorted(options)}", code="ledger.option_unknown"
        )
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout < 0:
        raise InvalidInputError(
            "reconnect_timeout is a number of seconds", code="ledger.option_invalid"
        )
    return PostgresLedger(
        url, log_key, origin=origin, reconnect_timeout=float(timeout), clock=clock
    )


for _scheme in SCHEMES:
    register_backend(_scheme, _open)
