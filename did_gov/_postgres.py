"""What the PostgreSQL stores share: the lazy driver, URLs, a reconnecting session, migrations.

The ledger (:mod:`did_gov.ledger.postgresql`) and the status registry
(:mod:`did_gov.status._postgres`) keep their tables in the database schema ``did_gov``
(``specs/storage.md``). Each store is a *component* with its own row in
``did_gov.schema_version``; :func:`migrate` brings a component up to the version this code
writes, one numbered migration at a time, under a transaction-scoped advisory lock so that
processes opening the same database at once never race. A database is *foreign* when it has
tables but no ``did_gov`` schema, or a ``did_gov`` schema without our version table: it is
refused, never altered.

:class:`Session` is one connection that reconnects: an operation that fails because the
connection broke (a restarted server, a dropped socket) is retried on a new connection
until ``reconnect_timeout`` runs out. Writes say how to find out whether a commit whose
answer was lost took effect, so an acknowledged write is never repeated or lost.

psycopg 3 comes with ``pip install 'did-gov[postgresql]'`` and is imported only here, when a
store is opened. Failures leave as :class:`PgProblem`, which each store turns into its own
:mod:`did_gov.errors` code; nothing from the driver escapes.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "SCHEMES",
    "Migration",
    "PgProblem",
    "Session",
    "connection_info",
    "migrate",
    "redact",
]

SCHEMES = ("postgresql", "postgres")
"""URL schemes of a PostgreSQL database (libpq accepts both)."""
SCHEMA = "did_gov"
"""The database schema (namespace) every did_gov table lives in."""
DEFAULT_RECONNECT_TIMEOUT = 30.0
"""Seconds an operation keeps trying to reach a server that went away."""

_T = TypeVar("_T")
Problem = Literal["driver", "url", "connect", "foreign", "newer", "failed", "unknown_outcome"]
Migration = Sequence[str]
"""The SQL statements that take a component from one version to the next."""


class PgProblem(Exception):
    """A failure of a PostgreSQL store, with its kind; stores turn it into their own error."""

    def __init__(self, kind: Problem, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _driver() -> Any:
    try:
        return importlib.import_module("psycopg")
    except ImportError:
        raise PgProblem(
            "driver", "PostgreSQL storage needs psycopg: pip install 'did-gov[postgresql]'"
        ) from None


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def connection_info(url: str) -> str:
    """Check a ``postgresql://`` URL (libpq's URI syntax) and return it as connection info."""
    if not isinstance(url, str) or url.partition(":")[0].lower() not in SCHEMES:
        raise PgProblem("url", f"not a postgresql:// URL: {redact(str(url))!r}")
    psycopg = _driver()
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise PgProblem("url", f"invalid PostgreSQL URL {redact(url)!r}: {exc}") from None
    if not params.get("dbname"):
        raise PgProblem("url", f"a PostgreSQL URL names its database: {redact(url)!r}")
    return str(url)


def _transient(psycopg: Any, exc: BaseException, connection: Any) -> bool:
    """A failure worth retrying: the connection broke, or the server asked to retry."""
    if connection is None or connection.closed or connection.broken:
        return isinstance(exc, psycopg.Error)
    return isinstance(exc, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected)


class Session:
    """One connection to the database at ``url`` that reconnects (see the module docstring).

    Reads run statement by statement (autocommit: each sees the latest committed state);
    a write runs in one transaction at READ COMMITTED with synchronous commit, so it has
    reached the server's durable log before :meth:`write` returns.
    """

    def __init__(self, url: str, *, reconnect_timeout: float = DEFAULT_RECONNECT_TIMEOUT) -> None:
        """Connect to ``url``: the first connection is tried once (opening fails fast)."""
        self._psycopg = _driver()
        self._conninfo = connection_info(url)
        self.url = redact(url)
        self.reconnect_timeout = float(reconnect_timeout)
        self._connection: Any = None
        self.reconnects = 0
        self._connection = self._connect()

    def _connect(self) -> Any:
        psycopg = self._psycopg
        try:
            connection = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.Error as exc:
            # No SQLSTATE: the server did not answer; 08/57: it is starting or stopping.
            # Anything else (a wrong password, no such database) will not heal by waiting.
            state = getattr(exc, "sqlstate", None) or ""
            kind: Problem = "connect" if state[:2] in ("", "08", "57") else "failed"
            raise PgProblem(kind, f"cannot connect to {self.url}: {exc}") from exc
        try:
            connection.execute("SET synchronous_commit TO on")
            connection.execute("SET idle_in_transaction_session_timeout TO '60s'")
        except psycopg.Error as exc:
            connection.close()
            raise PgProblem("connect", f"cannot set up a session on {self.url}: {exc}") from exc
        return connection

    def _ensure(self) -> Any:
        connection = self._connection
        if connection is None or connection.closed or connection.broken:
            if connection is not None:
                connection.close()
                self.reconnects += 1
            self._connection = None
            self._connection = self._connect()
        return self._connection

    def read(self, work: Callable[[Any], _T]) -> _T:
        """Run ``work(connection)`` (reads only); run again on a new connection if it was lost."""
        return self._run(work, write=False)

    def statement(self, work: Callable[[Any], _T]) -> _T:
        """Run ``work(connection)``: one write statement that commits on its own.

        One round trip where :meth:`write` takes three (``BEGIN``, the work, ``COMMIT``); the
        statement is its own transaction, committed with synchronous commit (durable) before
        it returns. If the connection breaks, ``work`` runs again on a new connection, so it
        must be idempotent (as :meth:`write` without ``committed``).
        """
        return self._run(work, write=False)

    def write(
        self,
        work: Callable[[Any], _T],
        *,
        committed: Callable[[Any, _T], bool] | None = None,
        retry_conflicts: bool = False,
    ) -> _T:
        """Run ``work(connection)`` in a write transaction and commit it.

        If the connection breaks before the commit, the transaction did not happen and
        ``work`` runs again. If it breaks *during* the commit, the outcome is unknown:
        ``committed(connection, result)`` (on a new connection) says whether it took effect;
        without it, ``work`` must be idempotent and simply runs again. With
        ``retry_conflicts``, a unique-key violation (another session inserted the same key
        first) also runs ``work`` again, which then sees the other session's row.
        """
        return self._run(work, write=True, committed=committed, conflicts=retry_conflicts)

    def _run(
        self,
        work: Callable[[Any], _T],
        *,
        write: bool,
        committed: Callable[[Any, _T], bool] | None = None,
        conflicts: bool = False,
    ) -> _T:
        psycopg = self._psycopg
        deadline = time.monotonic() + self.reconnect_timeout
        pause = 0.05
        pending: tuple[_T] | None = None  # a result whose commit answer was lost
        while True:
            connection = None
            stage = "work"
            try:
                connection = self._ensure()
                if pending is not None and committed is not None:
                    if committed(connection, pending[0]):
                        return pending[0]
                    pending = None
                if not write:
                    return work(connection)
                with connection.transaction():
                    result = work(connection)
                    stage = "commit"
                return result
            except PgProblem as problem:
                if problem.kind != "connect":
                    raise
                if time.monotonic() > deadline:
                    raise PgProblem(
                        "failed",
                        f"lost {self.url} and could not reconnect within "
                        f"{self.reconnect_timeout} s: {problem.message}",
                    ) from problem
            except psycopg.Error as exc:
                lost = connection is None or connection.closed or connection.broken
                if stage == "commit" and lost and committed is not None:
                    pending = (result,)
                conflict = conflicts and isinstance(exc, psycopg.errors.UniqueViolation)
                if not conflict and not _transient(psycopg, exc, connection):
                    raise PgProblem("failed", f"{type(exc).__name__}: {exc}") from exc
                if time.monotonic() > deadline:
                    kind: Problem = "unknown_outcome" if pending is not None else "failed"
                    raise PgProblem(
                        kind,
                        f"lost {self.url} and could not reconnect within "
                        f"{self.reconnect_timeout} s"
                        + (" (the outcome of a commit is unknown)" if pending else "")
                        + f": {exc}",
                    ) from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# -- schema versions and migrations ----------------------------------------------------------

_LOCK = 0x6469645F676F76  # "did_gov": the advisory lock every migration takes
_VERSION_TABLE = """
CREATE TABLE did_gov.schema_version(
    component text PRIMARY KEY,
    version integer NOT NULL CHECK (version >= 1),
    migrated_at timestamptz NOT NULL DEFAULT now())
"""


def _user_tables(connection: Any) -> list[str]:
    rows = connection.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        " AND table_schema NOT LIKE 'pg_toast%%' ORDER BY 1 LIMIT 5"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _prepare_schema(connection: Any) -> None:
    """Create the ``did_gov`` schema in an empty database, or check it is ours."""
    has_schema = connection.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)
    ).fetchone()
    if has_schema is None:
        tables = _user_tables(connection)
        if tables:
            raise PgProblem(
                "foreign",
                "the database holds another application's tables "
                f"({', '.join(tables)}) and no did_gov schema; give did_gov its own database",
            )
        connection.execute("CREATE SCHEMA did_gov")
        connection.execute(_VERSION_TABLE)
        return
    columns = connection.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = 'schema_version' ORDER BY column_name",
        (SCHEMA,),
    ).fetchall()
    if [c[0] for c in columns] != ["component", "migrated_at", "version"]:
        raise PgProblem(
            "foreign",
            f"the database has a {SCHEMA!r} schema that is not did_gov's "
            "(no did_gov.schema_version table)",
        )


def migrate(connection: Any, component: str, migrations: Sequence[Migration]) -> int:
    """Bring ``component`` to version ``len(migrations)``; return the version found before.

    ``migrations[i]`` takes the component from version ``i`` to ``i + 1`` (0: absent). Runs
    in the caller's transaction; a newer version than this code knows is refused.
    """
    connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
    _prepare_schema(connection)
    row = connection.execute(
        "SELECT version FROM did_gov.schema_version WHERE component = %s", (component,)
    ).fetchone()
    found = 0 if row is None else int(row[0])
    latest = len(migrations)
    if found > latest:
        raise PgProblem(
            "newer",
            f"the database's {component} schema is version {found}; this did_gov reads up to "
            f"{latest} (upgrade did_gov)",
        )
    for version in range(found, latest):
        for statement in migrations[version]:
            connection.execute(statement)
    if found == 0:
        connection.execute(
            "INSERT INTO did_gov.schema_version(component, version) VALUES (%s, %s)",
            (component, latest),
        )
    elif found < latest:
        connection.execute(
            "UPDATE did_gov.schema_version SET version = %s, migrated_at = now()"
            " WHERE component = %s",
            (latest, component),
        )
    return found
