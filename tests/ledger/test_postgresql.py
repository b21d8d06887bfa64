"""The postgresql ledger beyond the shared suite: URLs, several logs, schema versions, recovery.

The shared behaviour (appends, receipts, proofs, errors) runs in test_backends.py; the
processes (concurrency, SIGKILL, server restart) in test_postgresql_processes.py.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from did_gov import _postgres
from did_gov.errors import DidGovError, InvalidInputError, LedgerError
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import BaseLedger, audit, open_checkpoint, open_ledger, verify_receipt
from did_gov.ledger.merkle import MerkleTree, leaf_hash
from did_gov.ledger.postgresql import MIGRATIONS, PostgresLedger, PostgresLogReader
from tests.conftest import foreign_table, postgres_sql, reset_postgres, terminate_sessions
from tests.ledger._integrity import check_database

pytestmark = pytest.mark.e2e

ORIGIN = "did-gov.example/log/agency-a"
KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))
OTHER = PrivateKey.from_seed(KeyType.ED25519, bytes(32))


def _leaves(tag: str, count: int) -> list[bytes]:
    return [hashlib.sha256(f"{tag}/{i}".encode()).digest() for i in range(count)]


def _open(url: str, key: Any = KEY, origin: str | None = ORIGIN, **options: Any) -> BaseLedger:
    log = open_ledger(url, log_key=key, origin=origin, **options)
    assert isinstance(log, PostgresLedger)
    return log


# -- URLs and opening -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://127.0.0.1:1/db?colour=blue",
        "postgresql://127.0.0.1:1",
        "postgresql://[::1",
    ],
    ids=["unknown-parameter", "no-database", "unparsable"],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        open_ledger(url, log_key=KEY, origin=ORIGIN)
    assert info.value.code == "ledger.url_invalid"


def test_both_schemes_open_the_same_log(postgres_url: str) -> None:
    with _open(postgres_url) as log:
        log.append(_leaves("a", 3))
    with _open(postgres_url.replace("postgresql://", "postgres://", 1)) as again:
        assert again.size() == 3


def test_a_wrong_password_fails_at_once_and_is_not_echoed(postgres: Any) -> None:
    url = postgres.url("did_gov_tests").replace(postgres.password, "not-the-password")
    started = time.monotonic()
    with pytest.raises(LedgerError) as info:
        open_ledger(url, log_key=KEY, origin=ORIGIN)
    assert info.value.code == "ledger.open_failed"
    assert time.monotonic() - started < 10, "an authentication failure is not retried"
    assert "not-the-password" not in str(info.value) and "***" in str(info.value)


def test_an_unreachable_server_is_an_open_failure() -> None:
    with pytest.raises(LedgerError) as info:
        open_ledger("postgresql://u:secret@127.0.0.1:1/db", log_key=KEY, origin=ORIGIN)
    assert info.value.code == "ledger.open_failed"
    assert "secret" not in str(info.value)


def test_options(postgres_url: str) -> None:
    with pytest.raises(InvalidInputError) as unknown:
        open_ledger(postgres_url, log_key=KEY, origin=ORIGIN, busy_timeout=3)
    assert unknown.value.code == "ledger.option_unknown"
    with pytest.raises(InvalidInputError) as bad:
        open_ledger(postgres_url, log_key=KEY, origin=ORIGIN, reconnect_timeout="soon")
    assert bad.value.code == "ledger.option_invalid"
    with pytest.raises(InvalidInputError) as name:
        open_ledger(postgres_url, log_key=KEY, origin="has space")
    assert name.value.code == "note.name_invalid"
    _open(postgres_url, reconnect_timeout=1).close()


# -- several logs in one database ---------------------------------------------------------------


def test_one_database_holds_one_log_per_origin(postgres_url: str) -> None:
    with pytest.raises(LedgerError) as empty:
        _open(postgres_url, origin=None)
    assert empty.value.code == "ledger.origin_required"
    with _open(postgres_url) as first:
        first.append(_leaves("a", 5))
    with _open(postgres_url, origin=None) as only:
        assert only.origin == ORIGIN and only.size() == 5
    with _open(postgres_url, OTHER, origin="did-gov.example/log/agency-b") as second:
        assert second.size() == 0
        second.append(_leaves("b", 2))
    with pytest.raises(LedgerError) as several:
        _open(postgres_url, origin=None)
    assert several.value.code == "ledger.origin_required"
    with pytest.raises(LedgerError) as key:
        _open(postgres_url, OTHER)
    assert key.value.code == "ledger.key_mismatch"
    with _open(postgres_url) as first:
        assert first.size() == 5


def test_the_log_tables_are_append_only(postgres_url: str) -> None:
    _open(postgres_url).append(_leaves("a", 20))
    for statement in (
        "UPDATE did_gov.ledger_leaves SET leaf = leaf",
        "DELETE FROM did_gov.ledger_checkpoints",
        "TRUNCATE did_gov.ledger_nodes",
        "UPDATE did_gov.ledger_logs SET origin = 'x'",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            postgres_sql(postgres_url, statement)
    assert check_database(postgres_url, ORIGIN, _open(postgres_url).verifier).size == 20


# -- schema versions ---------------------------------------------------------------------------


def test_the_schema_version_is_recorded(postgres_url: str) -> None:
    _open(postgres_url).close()
    rows = postgres_sql(postgres_url, "SELECT component, version FROM did_gov.schema_version")
    assert rows == [("ledger", len(MIGRATIONS))]


def test_a_newer_schema_is_refused_untouched(postgres_url: str) -> None:
    _open(postgres_url).close()
    postgres_sql(postgres_url, "UPDATE did_gov.schema_version SET version = 99")
    try:
        with pytest.raises(LedgerError) as info:
            _open(postgres_url)
        assert info.value.code == "ledger.format_unsupported"
        assert "version 99" in str(info.value)
        with pytest.raises(LedgerError) as reader:
            PostgresLogReader(postgres_url)
        assert reader.value.code == "ledger.format_unsupported"
        assert postgres_sql(postgres_url, "SELECT version FROM did_gov.schema_version") == [(99,)]
    finally:
        reset_postgres(postgres_url)


def test_a_foreign_database_is_refused_untouched(postgres_url: str) -> None:
    with foreign_table(postgres_url):
        with pytest.raises(LedgerError) as info:
            _open(postgres_url)
        assert info.value.code == "ledger.format_unsupported"
        assert "public.citizens" in str(info.value)
        assert (
            postgres_sql(postgres_url, "SELECT 1 FROM pg_namespace WHERE nspname = 'did_gov'") == []
        )


def test_a_did_gov_schema_that_is_not_ours_is_refused(postgres_url: str) -> None:
    postgres_sql(postgres_url, "CREATE SCHEMA did_gov")
    postgres_sql(postgres_url, "CREATE TABLE did_gov.things(x int)")
    with pytest.raises(LedgerError) as info:
        _open(postgres_url)
    assert info.value.code == "ledger.format_unsupported"
    assert postgres_sql(postgres_url, "SELECT count(*) FROM did_gov.things") == [(0,)]


def test_migrations_run_in_order_once(postgres_url: str) -> None:
    """The runner takes a component from any older version to the newest, step by step."""
    steps = [
        ["CREATE TABLE did_gov.probe(x int)", "INSERT INTO did_gov.probe VALUES (1)"],
        ["ALTER TABLE did_gov.probe ADD COLUMN y int DEFAULT 2"],
    ]
    with psycopg.connect(postgres_url) as db:
        assert _postgres.migrate(db, "probe", steps[:1]) == 0
        db.commit()
        assert _postgres.migrate(db, "probe", steps) == 1
        db.commit()
        assert _postgres.migrate(db, "probe", steps) == 2
        db.commit()
        assert db.execute("SELECT x, y FROM did_gov.probe").fetchall() == [(1, 2)]
        with pytest.raises(_postgres.PgProblem) as newer:
            _postgres.migrate(db, "probe", steps[:1])
        assert newer.value.kind == "newer"


def test_concurrent_first_opens_create_the_schema_once(postgres_url: str) -> None:
    results: list[object] = []

    def opener() -> None:
        try:
            with _open(postgres_url) as log:
                results.append(log.size())
        except DidGovError as exc:  # pragma: no cover - reported below
            results.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [0] * 6
    assert postgres_sql(postgres_url, "SELECT count(*) FROM did_gov.ledger_logs") == [(1,)]


# -- the read-only reader ----------------------------------------------------------------------


def test_the_reader_serves_what_the_log_signed(postgres_url: str) -> None:
    with pytest.raises(LedgerError) as nothing:
        PostgresLogReader(postgres_url)
    assert nothing.value.code == "ledger.format_unsupported"
    with _open(postgres_url) as log:
        first = log.append(_leaves("a", 10))[0]
        log.append(_leaves("b", 7))
        latest = log.checkpoint()
    with PostgresLogReader(postgres_url) as reader:
        assert reader.origin == ORIGIN and reader.size() == 17
        note = reader.checkpoint()
        assert open_checkpoint(note, [reader.verifier]).checkpoint.size == 17
        assert note == latest
        fresh = reader.receipt(3)
        assert verify_receipt(fresh, reader.verifier).ok
        proof = reader.prove_consistency(10, 17)
        assert audit(first.checkpoint, note, proof, reader.verifier).ok
        with pytest.raises(InvalidInputError):
            reader.prove_consistency(3, 18)


# -- recovery ----------------------------------------------------------------------------------


def test_a_dropped_session_is_reconnected(postgres_url: str) -> None:
    log = _open(postgres_url)
    log.append(_leaves("a", 4))
    terminate_sessions(postgres_url)
    assert log.size() == 4
    terminate_sessions(postgres_url)
    [receipt] = log.append(_leaves("b", 1))
    assert receipt.index == 4 and verify_receipt(receipt, log.verifier).ok
    assert log.reconnects == 2  # type: ignore[attr-defined]
    log.close()


class _LoseCommitAnswer:
    """A connection whose transaction commits, then loses the connection before answering."""

    def __init__(self, connection: Any, url: str) -> None:
        self._connection = connection
        self._url = url

    def transaction(self) -> Any:
        outer = self

        class _Commit:
            def __enter__(self) -> Any:
                self._inner = outer._connection.transaction()
                return self._inner.__enter__()

            def __exit__(self, *exc: Any) -> Any:
                done = self._inner.__exit__(*exc)
                terminate_sessions(outer._url)  # committed; the answer never arrives
                outer._connection.execute("SELECT 1")
                return done

        return _Commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def test_a_commit_whose_answer_was_lost_is_not_repeated(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _open(postgres_url)
    log.append(_leaves("a", 3))
    session = log._session  # type: ignore[attr-defined]
    real = session._ensure
    armed = [True]

    def ensure() -> Any:
        connection = real()
        if armed[0]:
            armed[0] = False
            return _LoseCommitAnswer(connection, postgres_url)
        return connection

    monkeypatch.setattr(session, "_ensure", ensure)
    receipts = log.append(_leaves("b", 5))
    assert [r.index for r in receipts] == [3, 4, 5, 6, 7]
    assert log.size() == 8, "the batch was stored once"
    tree = MerkleTree(leaf_hash(leaf) for leaf in _leaves("a", 3) + _leaves("b", 5))
    assert check_database(postgres_url, ORIGIN, log.verifier).root() == tree.root()
    log.close()


def test_a_server_that_stays_away_is_reported(postgres_url: str) -> None:
    log = _open(postgres_url, reconnect_timeout=0.5)
    log._session._conninfo = "postgresql://127.0.0.1:1/none"  # type: ignore[attr-defined]
    terminate_sessions(postgres_url)
    with pytest.raises(LedgerError) as info:
        log.append(_leaves("a", 1))
    assert info.value.code == "ledger.backend_failed"
    assert "could not reconnect" in str(info.value)
    log.close()


# -- checkpoint time -----------------------------------------------------------------------------


def test_time_is_monotonic_across_instances_with_skewed_clocks(postgres_url: str) -> None:
    """An instance whose clock is a day behind never signs a time before another's."""
    t0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    ahead = _open(postgres_url, clock=lambda: t0)
    behind = _open(postgres_url, clock=lambda: t0 - timedelta(days=1))
    ahead.append(_leaves("a", 1))
    [receipt] = behind.append(_leaves("b", 1))
    check = verify_receipt(receipt, behind.verifier)
    assert check.ok and check.checkpoint is not None and check.checkpoint.time == t0
    assert open_checkpoint(behind.checkpoint(), [behind.verifier]).checkpoint.time == t0
    assert behind.checkpoint() == receipt.checkpoint, "the stored note is served again"
    ahead.close()
    behind.close()
