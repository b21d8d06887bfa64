"""The status registry on PostgreSQL beyond the shared suite (test_registry.py).

Several registries in one database, the database-level guards, schema versions, recovery,
and real processes: concurrent allocators, SIGKILL inside a transaction, a server restart
under load. A change is *acknowledged* when a worker printed it after the call returned.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import psycopg
import pytest

from did_gov.errors import StatusError
from did_gov.status import MIN_ENTRIES, StatusRegistry, credential_hash
from did_gov.status._postgres import MIGRATIONS
from tests.conftest import foreign_table, postgres_sql, reset_postgres, terminate_sessions
from tests.status.test_registry_processes import Acks, assert_entries, spawn_worker

pytestmark = pytest.mark.e2e

URL = "https://gov.example/status/1"
OTHER = "https://gov.example/status/2"


def _open(url: str, list_url: str = URL, purpose: str = "revocation", **kw: Any) -> Any:
    return StatusRegistry.open(url, list_url=list_url, purpose=purpose, **kw)


def _rows(url: str) -> list[Any]:
    return postgres_sql(url, "SELECT idx, credential_hash, value FROM did_gov.status_entries")


# -- one database, several registries --------------------------------------------------------


def test_one_database_holds_one_registry_per_list_url(postgres_url: str) -> None:
    with pytest.raises(StatusError) as empty:
        StatusRegistry.open(postgres_url)
    assert empty.value.code == "status.invalid_argument"
    with _open(postgres_url) as first:
        first.allocate("a")
        first.revoke("a")
    with StatusRegistry.open(postgres_url) as only:
        assert only.list_url == URL and only.value("a") == 1
    with _open(postgres_url, OTHER, "suspension") as second:
        assert len(second) == 0
        second.allocate("a")
        assert second.value("a") == 0, "each list keeps its own entries"
    with pytest.raises(StatusError) as several:
        StatusRegistry.open(postgres_url)
    assert several.value.code == "status.invalid_argument"
    for kwargs in ({"purpose": "suspension"}, {"size": 2 * MIN_ENTRIES}):
        with pytest.raises(StatusError) as info:
            StatusRegistry.open(postgres_url, list_url=URL, **kwargs)
        assert info.value.code == "status.registry_mismatch"
    with StatusRegistry.open(postgres_url, list_url=OTHER) as again:
        assert again.purpose == "suspension" and len(again) == 1


def test_the_database_refuses_what_the_registry_never_does(postgres_url: str) -> None:
    with _open(postgres_url) as reg:
        reg.allocate("a")
        reg.revoke("a")
    for statement in (
        "UPDATE did_gov.status_entries SET value = 0",
        "UPDATE did_gov.status_entries SET idx = idx + 1",
        "DELETE FROM did_gov.status_entries",
        "TRUNCATE did_gov.status_entries",
        "UPDATE did_gov.status_registries SET purpose = 'suspension'",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="did_gov"):
            postgres_sql(postgres_url, statement)
    with _open(postgres_url, OTHER, "suspension") as suspensions:
        suspensions.allocate("b")
        suspensions.suspend("b")
        postgres_sql(
            postgres_url,
            "UPDATE did_gov.status_entries SET value = 0 WHERE registry_id ="
            " (SELECT registry_id FROM did_gov.status_registries WHERE list_url = %s)",
            OTHER,
        )
        assert suspensions.value("b") == 0, "a suspension stays reversible"


def test_only_the_hash_of_the_credential_id_is_stored(postgres_url: str) -> None:
    citizen_id = "urn:example:citizen:Ada-Lovelace-1815-12-10"
    with _open(postgres_url) as reg:
        reg.allocate(citizen_id)
        reg.revoke(citizen_id)
    dump = repr(postgres_sql(postgres_url, "SELECT * FROM did_gov.status_entries"))
    dump += repr(postgres_sql(postgres_url, "SELECT * FROM did_gov.status_registries"))
    assert "Ada" not in dump
    assert [bytes(r[1]) for r in _rows(postgres_url)] == [credential_hash(citizen_id)]


# -- schema versions --------------------------------------------------------------------------


def test_both_stores_share_one_database_and_one_version_table(postgres_url: str) -> None:
    from did_gov.keys import PrivateKey
    from did_gov.ledger import open_ledger

    _open(postgres_url).close()
    open_ledger(postgres_url, log_key=PrivateKey.generate(), origin="example.com/log").close()
    rows = postgres_sql(
        postgres_url, "SELECT component, version FROM did_gov.schema_version ORDER BY 1"
    )
    assert rows == [("ledger", 1), ("status", len(MIGRATIONS))]


def test_a_newer_schema_is_refused_untouched(postgres_url: str) -> None:
    _open(postgres_url).close()
    postgres_sql(
        postgres_url, "UPDATE did_gov.schema_version SET version = 7 WHERE component = 'status'"
    )
    try:
        with pytest.raises(StatusError) as info:
            _open(postgres_url)
        assert info.value.code == "status.registry_open_failed"
        assert "version 7" in str(info.value)
    finally:
        reset_postgres(postgres_url)


def test_a_foreign_database_is_refused_untouched(postgres_url: str) -> None:
    with foreign_table(postgres_url):
        with pytest.raises(StatusError) as info:
            _open(postgres_url)
        assert info.value.code == "status.registry_open_failed"
        assert (
            postgres_sql(postgres_url, "SELECT 1 FROM pg_namespace WHERE nspname = 'did_gov'") == []
        )


def test_a_bad_url_and_a_missing_server(postgres_url: str) -> None:
    with pytest.raises(StatusError) as bad:
        StatusRegistry.open("postgresql://127.0.0.1:1/db?colour=blue", list_url=URL)
    assert bad.value.code == "status.invalid_argument"
    with pytest.raises(StatusError) as down:
        StatusRegistry.open("postgresql://u:secret@127.0.0.1:1/db", list_url=URL)
    assert down.value.code == "status.registry_open_failed"
    assert "secret" not in str(down.value)


# -- recovery ---------------------------------------------------------------------------------


def test_a_dropped_session_is_reconnected(postgres_url: str) -> None:
    with _open(postgres_url) as reg:
        entry = reg.allocate("a")
        terminate_sessions(postgres_url)
        reg.revoke("a")
        terminate_sessions(postgres_url)
        assert reg.entry("a") == entry and reg.value("a") == 1
        assert reg._session.reconnects == 2


def test_colliding_draws_retry_and_never_share_an_index(postgres_url: str) -> None:
    """Two sessions insert the same free index at once: the loser draws again, from the rank."""
    _open(postgres_url).close()
    [(registry_id,)] = postgres_sql(
        postgres_url, "SELECT registry_id FROM did_gov.status_registries"
    )
    got: list[int] = []

    def allocate(tag: str) -> None:
        with _open(postgres_url, rng=lambda bound: 5) as reg:
            got.append(reg.allocate(tag).status_list_index)

    threads = [threading.Thread(target=allocate, args=(tag,)) for tag in ("a", "b")]
    with psycopg.connect(postgres_url) as blocker:  # holds index 5, uncommitted
        blocker.execute(
            "INSERT INTO did_gov.status_entries(registry_id, idx, credential_hash)"
            " VALUES (%s, 5, sha256('blocker'::bytea))",
            (registry_id,),
        )
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while postgres_sql(  # both saw 5 free and now wait on the blocker's key
            postgres_url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'",
        ) != [(2,)]:
            assert time.monotonic() < deadline, "the allocators never met on index 5"
            time.sleep(0.02)
        blocker.commit()
    for thread in threads:
        thread.join(60)
    assert sorted(got) == [6, 7], "after 16 taken draws each took the 6th free index in turn"
    indexes = [int(r[0]) for r in _rows(postgres_url)]
    assert sorted(indexes) == [5, 6, 7]


# -- processes -----------------------------------------------------------------------------------


def _named(url: str, tag: str) -> str:
    return f"{url}&application_name={tag}"


def _finish(workers: list[Any]) -> list[Acks]:
    acks = []
    for worker in workers:
        assert worker.stdout is not None
        ack = Acks()
        ack.read(worker.stdout)
        assert worker.wait(timeout=60) == 0
        acks.append(ack)
    return acks


def test_concurrent_processes_allocate_and_revoke_without_loss(postgres_url: str) -> None:
    count, shared = 60, 10
    _open(postgres_url).close()
    workers = [
        spawn_worker(_named(postgres_url, f"w{i}"), f"w{i}", count, 4, shared) for i in range(4)
    ]
    acks = _finish(workers)
    stored = assert_entries(postgres_url, _rows(postgres_url), acks)
    assert len(stored) == 4 * count + shared
    for j in range(shared):
        assert len({ack.allocated[f"urn:shared:{j}"] for ack in acks}) == 1


@pytest.mark.parametrize("probes", [1, 5])
def test_sigkill_mid_update_loses_nothing_acknowledged(postgres_url: str, probes: int) -> None:
    _open(postgres_url).close()
    victim = spawn_worker(_named(postgres_url, "victim"), "victim", 100_000, revoke_every=3)
    assert victim.stdout is not None
    acks = Acks()
    acks.read(victim.stdout, until=30)
    deadline, seen = time.monotonic() + 60, 0
    with psycopg.connect(postgres_url, autocommit=True) as db:
        while seen < probes:  # the victim's session holds a transaction id: it is writing
            assert time.monotonic() < deadline, "never caught the victim inside a transaction"
            row = db.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'victim'"
                " AND backend_xid IS NOT NULL"
            ).fetchone()
            seen = seen + 1 if row is not None else 0
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    acks.read(victim.stdout)
    assert victim.returncode == -signal.SIGKILL
    survivor = _finish([spawn_worker(postgres_url, "bystander", 40, revoke_every=2)])
    stored = assert_entries(postgres_url, _rows(postgres_url), [acks, *survivor])
    assert len(stored) >= len(acks.allocated) + 40


def test_a_server_restart_mid_load_loses_nothing(postgres: Any, postgres_url: str) -> None:
    count = 80
    _open(postgres_url).close()
    workers = [spawn_worker(_named(postgres_url, f"r{i}"), f"r{i}", count, 3) for i in range(3)]
    acks = [Acks() for _ in workers]
    for worker, ack in zip(workers, acks, strict=True):  # every worker has opened its session
        assert worker.stdout is not None
        ack.read(worker.stdout, until=1)
    assert workers[0].stdout is not None
    acks[0].read(workers[0].stdout, until=10)
    postgres.restart(down_for=1.0)
    for worker, ack in zip(workers, acks, strict=True):
        assert worker.stdout is not None
        ack.read(worker.stdout)
        assert worker.wait(timeout=60) == 0, "a worker did not survive the restart"
    stored = assert_entries(postgres_url, _rows(postgres_url), acks)
    assert len(stored) == 3 * count
    assert acks[0].reconnects >= 1, "the first worker was mid-load when the server restarted"
