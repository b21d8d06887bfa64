"""The status registry in PostgreSQL: one list per row, shared by several service instances.

:meth:`StatusRegistry.open` returns a :class:`PostgresStatusRegistry` for a
``postgresql://`` URL (``specs/storage.md``). One database holds any number of registries,
each named by its list URL. Every change is one transaction with ``synchronous_commit``:

* allocation draws indexes from the same distribution as the SQLite registry (uniform among
  the free ones): a drawn index is claimed by one statement (``INSERT … ON CONFLICT DO
  NOTHING``, committed on its own: one round trip); when it is taken — by an earlier entry,
  or by another process that claimed it at the same moment (the table's unique key decides)
  — the statement inserts nothing and the registry draws again, so an index never serves two
  credentials. The same credential allocated from two processes at once gets one entry
  (unique on its hash). Only a nearly full list (16 draws taken) falls back to one
  transaction that ranks the free indexes.
* a status change locks its entry (``SELECT … FOR UPDATE``), and a trigger refuses
  clearing a ``revocation`` or ``refresh`` status even to a direct ``UPDATE``; entries are
  never deleted and a registry's parameters never change.

Every operation is idempotent (an allocation is keyed by the credential's hash; a status
is set, not toggled), so after a dropped connection or a server restart it simply runs
again on a new connection (``reconnect_timeout``, 30 s by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from did_gov._postgres import (
    DEFAULT_RECONNECT_TIMEOUT,
    PgProblem,
    Session,
    migrate,
)
from did_gov.errors import StatusError
from did_gov.status._registry import _RANDOM_TRIES, RandomBelow, StatusRegistry
from did_gov.status._store import credential_hash, new_meta

__all__ = ["COMPONENT", "MIGRATIONS", "PostgresStatusRegistry"]

COMPONENT = "status"
"""This store's row in ``did_gov.schema_version``."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1: the first layout.
    (
        """CREATE TABLE did_gov.status_registries(
            registry_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            list_url text NOT NULL UNIQUE,
            purpose text NOT NULL
                CHECK (purpose IN ('revocation', 'suspension', 'refresh', 'message')),
            size integer NOT NULL CHECK (size > 0),
            status_size integer NOT NULL CHECK (status_size >= 1),
            messages text NOT NULL)""",
        """CREATE TABLE did_gov.status_entries(
            registry_id integer NOT NULL REFERENCES did_gov.status_registries,
            idx integer NOT NULL CHECK (idx >= 0),
            credential_hash bytea NOT NULL CHECK (length(credential_hash) = 32),
            value integer NOT NULL DEFAULT 0 CHECK (value >= 0),
            PRIMARY KEY (registry_id, idx),
            UNIQUE (registry_id, credential_hash))""",
        """CREATE TABLE did_gov.status_publications(
            registry_id integer NOT NULL REFERENCES did_gov.status_registries,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            valid_from text NOT NULL,
            credential text NOT NULL,
            PRIMARY KEY (registry_id, seq))""",
        """CREATE FUNCTION did_gov.status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'status_entries' THEN
                IF NEW.registry_id <> OLD.registry_id OR NEW.idx <> OLD.idx
                        OR NEW.credential_hash <> OLD.credential_hash THEN
                    RAISE EXCEPTION 'did_gov status indexes are never reassigned';
                END IF;
                IF OLD.value <> 0 AND NEW.value <> OLD.value AND (
                        SELECT purpose FROM did_gov.status_registries
                        WHERE registry_id = OLD.registry_id) IN ('revocation', 'refresh') THEN
                    RAISE EXCEPTION 'did_gov: this status purpose is not reversible';
                END IF;
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'did_gov status % refused on %', TG_OP, TG_TABLE_NAME;
        END $$""",
        "CREATE TRIGGER status_entries_guard BEFORE UPDATE OR DELETE ON did_gov.status_entries"
        " FOR EACH ROW EXECUTE FUNCTION did_gov.status_guard()",
        "CREATE TRIGGER status_registries_fixed BEFORE UPDATE OR DELETE"
        " ON did_gov.status_registries FOR EACH ROW EXECUTE FUNCTION did_gov.status_guard()",
        *(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON did_gov.{table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION did_gov.status_guard()"
            for table in ("status_registries", "status_entries")
        ),
    ),
)
"""``MIGRATIONS[i]`` takes the status tables from schema version ``i`` to ``i + 1``."""

_COLUMNS = "registry_id, list_url, purpose, size, status_size, messages"
_LOOKUP = (
    "SELECT idx, value FROM did_gov.status_entries WHERE registry_id = %s AND credential_hash = %s"
)
_LOOKUP_FOR_UPDATE = _LOOKUP + " FOR UPDATE"
_CLAIM = (
    "WITH claimed AS (INSERT INTO did_gov.status_entries(registry_id, idx, credential_hash)"
    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING idx)"
    " SELECT idx FROM claimed UNION ALL SELECT idx FROM did_gov.status_entries"
    " WHERE registry_id = %s AND credential_hash = %s"
)
"""Insert an entry at a drawn index, or find the digest's entry: one statement, one row or
none (the index was taken). The ``SELECT`` sees the table as the statement began, so it finds
an entry that existed before, never the one this statement inserts."""


def _status_error(problem: PgProblem, what: str) -> StatusError:
    codes = {
        "driver": "postgres.driver_missing",
        "url": "status.invalid_argument",
        "connect": "status.registry_open_failed",
        "foreign": "status.registry_open_failed",
        "newer": "status.registry_open_failed",
    }
    code = codes.get(problem.kind, "status.registry_failed")
    return StatusError(f"postgresql status registry: {what}: {problem.message}", code=code)


def _meta(row: Sequence[Any]) -> dict[str, str]:
    """A ``status_registries`` row as the SQLite registry's ``meta`` strings."""
    return {
        "list_url": str(row[1]),
        "purpose": str(row[2]),
        "size": str(row[3]),
        "status_size": str(row[4]),
        "messages": str(row[5]),
    }


def _find(connection: Any, list_url: str | None) -> tuple[int, dict[str, str]] | None:
    if list_url is not None:
        row = connection.execute(
            f"SELECT {_COLUMNS} FROM did_gov.status_registries WHERE list_url = %s",  # noqa: S608
            (list_url,),
        ).fetchone()
        return None if row is None else (int(row[0]), _meta(row))
    rows = connection.execute(
        f"SELECT {_COLUMNS} FROM did_gov.status_registries ORDER BY registry_id LIMIT 2"  # noqa: S608
    ).fetchall()
    if len(rows) > 1:
        raise StatusError(
            "the database holds several status registries; name one by its list_url",
            code="status.invalid_argument",
        )
    return None if not rows else (int(rows[0][0]), _meta(rows[0]))


def _open_registry(connection: Any, wanted: Mapping[str, str]) -> tuple[int, dict[str, str]]:
    """Migrate, then find or create the registry; compare the parameters given."""
    migrate(connection, COMPONENT, MIGRATIONS)
    found = _find(connection, wanted.get("list_url"))
    if found is None:
        if "list_url" not in wanted or "purpose" not in wanted:
            raise StatusError(
                "no status registry in the database; a new one needs list_url and purpose",
                code="status.invalid_argument",
            )
        meta = new_meta(dict(wanted))
        connection.execute(
            "INSERT INTO did_gov.status_registries(list_url, purpose, size, status_size, messages)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (list_url) DO NOTHING",
            (
                meta["list_url"],
                meta["purpose"],
                int(meta["size"]),
                int(meta["status_size"]),
                meta["messages"],
            ),
        )
        found = _find(connection, meta["list_url"])
        if found is None:  # pragma: no cover - inserted, or inserted by another process
            raise StatusError("the new registry vanished", code="status.registry_failed")
    registry_id, meta = found
    differing = sorted(k for k, v in wanted.items() if meta.get(k) != v)
    if differing:
        raise StatusError(
            f"the registry was created with other {', '.join(differing)}",
            code="status.registry_mismatch",
        )
    return registry_id, meta


class PostgresStatusRegistry(StatusRegistry):
    """A :class:`StatusRegistry` whose list lives in PostgreSQL; open it with :meth:`open`."""

    def __init__(
        self, session: Session, registry_id: int, meta: Mapping[str, str], rng: RandomBelow
    ) -> None:
        """Use :meth:`StatusRegistry.open` with a ``postgresql://`` URL."""
        self._session = session
        self._registry_id = registry_id
        self._closed = False
        self._configure(meta, rng)

    @classmethod
    def connect(
        cls,
        url: str,
        wanted: Mapping[str, str],
        rng: RandomBelow,
        *,
        reconnect_timeout: float = DEFAULT_RECONNECT_TIMEOUT,
    ) -> PostgresStatusRegistry:
        """Open (or create) the registry of ``wanted["list_url"]`` in the database at ``url``."""
        try:
            session = Session(url, reconnect_timeout=reconnect_timeout)
        except PgProblem as problem:
            raise _status_error(problem, "open") from None
        try:
            registry_id, meta = session.write(lambda c: _open_registry(c, wanted))
            return cls(session, registry_id, meta, rng)
        except PgProblem as problem:
            session.close()
            raise _status_error(problem, "open") from None
        except BaseException:
            session.close()
            raise

    # -- storage seams ---------------------------------------------------------------------

    def _run(self, what: str, work: Any, *, write: bool = True, statement: bool = False) -> Any:
        if self._closed:
            raise StatusError("the status registry is closed", code="status.registry_failed")
        try:
            with self._lock:
                if statement:
                    return self._session.statement(work)
                if write:
                    return self._session.write(work, retry_conflicts=True)
                return self._session.read(work)
        except PgProblem as problem:
            raise _status_error(problem, what) from None

    def _lookup(self, connection: Any, digest: bytes, *, lock: bool = False) -> tuple[int, int]:
        query = _LOOKUP_FOR_UPDATE if lock else _LOOKUP
        row = connection.execute(query, (self._registry_id, digest)).fetchone()
        if row is None:
            raise StatusError(
                "no status entry was allocated for that credential id",
                code="status.unknown_credential",
            )
        return int(row[0]), int(row[1])

    def _allocate_index(self, digest: bytes) -> int:
        """Claim a random index in one statement; when the list is nearly full, rank the free.

        The claim inserts ``(index, digest)`` unless either is taken and returns the index;
        when the digest already has an entry, that entry's index comes back instead. No row:
        the drawn index was taken, draw again — the rejection sampling of
        :meth:`_free_index`, one round trip a draw instead of a transaction.
        """
        for _ in range(_RANDOM_TRIES):
            candidate = self._draw(self.size)
            found: int | None = self._run(
                "allocate", lambda c, i=candidate: self._claim(c, i, digest), statement=True
            )
            if found is not None:
                return found
        return self._allocate_ranked(digest)

    def _claim(self, connection: Any, index: int, digest: bytes) -> int | None:
        registry = self._registry_id
        row = connection.execute(_CLAIM, (registry, index, digest, registry, digest)).fetchone()
        return None if row is None else int(row[0])

    def _allocate_ranked(self, digest: bytes) -> int:
        registry = self._registry_id

        def work(connection: Any) -> int:
            row = connection.execute(
                "SELECT idx FROM did_gov.status_entries"
                " WHERE registry_id = %s AND credential_hash = %s",
                (registry, digest),
            ).fetchone()
            if row is not None:
                return int(row[0])

            def used() -> int:
                (count,) = connection.execute(
                    "SELECT count(*) FROM did_gov.status_entries WHERE registry_id = %s",
                    (registry,),
                ).fetchone()
                return int(count)

            def ordered() -> Any:
                return (
                    int(r[0])
                    for r in connection.execute(
                        "SELECT idx FROM did_gov.status_entries WHERE registry_id = %s"
                        " ORDER BY idx",
                        (registry,),
                    )
                )

            index = self._ranked_free_index(used, ordered)
            connection.execute(
                "INSERT INTO did_gov.status_entries(registry_id, idx, credential_hash)"
                " VALUES (%s, %s, %s)",
                (registry, index, digest),
            )
            return index

        result: int = self._run("allocate", work)
        return result

    def _read_entry(self, credential_id: str) -> tuple[int, int]:
        digest = credential_hash(credential_id)
        result: tuple[int, int] = self._run("read", lambda c: self._lookup(c, digest), write=False)
        return result

    def _change_value(self, credential_id: str, value: int) -> int | None:
        digest = credential_hash(credential_id)

        def work(connection: Any) -> int | None:
            index, current = self._lookup(connection, digest, lock=True)
            if current == value:
                return None
            self._check_change(current)
            connection.execute(
                "UPDATE did_gov.status_entries SET value = %s WHERE registry_id = %s AND idx = %s",
                (value, self._registry_id, index),
            )
            return index

        result: int | None = self._run("set_status", work)
        return result

    def _count(self) -> int:
        def work(connection: Any) -> int:
            (count,) = connection.execute(
                "SELECT count(*) FROM did_gov.status_entries WHERE registry_id = %s",
                (self._registry_id,),
            ).fetchone()
            return int(count)

        result: int = self._run("count", work, write=False)
        return result

    def _set_values(self) -> list[tuple[int, int]]:
        def work(connection: Any) -> list[tuple[int, int]]:
            rows = connection.execute(
                "SELECT idx, value FROM did_gov.status_entries"
                " WHERE registry_id = %s AND value <> 0",
                (self._registry_id,),
            ).fetchall()
            return [(int(i), int(v)) for i, v in rows]

        result: list[tuple[int, int]] = self._run("status_list", work, write=False)
        return result

    def _record_publication(self, valid_from: str, text: str) -> None:
        self._run(
            "publish",
            lambda c: c.execute(
                "INSERT INTO did_gov.status_publications(registry_id, valid_from, credential)"
                " VALUES (%s, %s, %s)",
                (self._registry_id, valid_from, text),
            ),
        )

    def _latest_publication_text(self) -> str | None:
        def work(connection: Any) -> str | None:
            row = connection.execute(
                "SELECT credential FROM did_gov.status_publications WHERE registry_id = %s"
                " ORDER BY seq DESC LIMIT 1",
                (self._registry_id,),
            ).fetchone()
            return None if row is None else str(row[0])

        result: str | None = self._run("latest_publication", work, write=False)
        return result

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._closed = True
            self._session.close()
