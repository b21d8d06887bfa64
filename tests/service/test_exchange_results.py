"""The service store keeps an exchange's outcome until it expires, and upgrades older files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from did_gov.service._store import open_store


def test_an_outcome_is_kept_until_the_exchange_expires(store: Any) -> None:
    store.create_exchange("w", "live", 100.0)
    store.create_exchange("w", "old", 10.0)
    assert store.transition("w", "live", "pending", "requested", challenge="c", now=1.0)
    assert store.transition("w", "live", "requested", "complete", result='{"a":1}', now=1.0)
    assert store.transition("w", "old", "pending", "failed", result='{"b":2}', now=1.0)
    assert store.exchange("w", "live").result == '{"a":1}'
    assert store.forget_results(50.0) == 1
    assert store.exchange("w", "old").result is None
    assert store.exchange("w", "live").result == '{"a":1}'


def test_a_data_folder_made_before_outcomes_were_kept_is_upgraded(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / "service.db")
    old.execute(
        "CREATE TABLE exchanges(workflow TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL,"
        " challenge TEXT, expires REAL NOT NULL, PRIMARY KEY (workflow, id))"
    )
    old.execute("INSERT INTO exchanges VALUES ('w', 'e', 'requested', 'c', 100.0)")
    old.commit()
    old.close()
    store = open_store(database=None, data=tmp_path)
    assert store.exchange("w", "e").result is None  # type: ignore[union-attr]
    assert store.transition("w", "e", "requested", "complete", result="{}", now=1.0)
    assert store.exchange("w", "e").result == "{}"  # type: ignore[union-attr]
    store.close()


@pytest.mark.e2e
def test_a_version_1_service_schema_is_migrated(postgres_url: str) -> None:
    from tests.conftest import postgres_sql

    open_store(database=postgres_url, data=None).close()
    postgres_sql(postgres_url, "ALTER TABLE did_gov.service_exchanges DROP COLUMN result")
    postgres_sql(
        postgres_url, "UPDATE did_gov.schema_version SET version = 1 WHERE component = 'service'"
    )
    store = open_store(database=postgres_url, data=None)
    store.create_exchange("w", "e", 100.0)
    assert store.transition("w", "e", "pending", "failed", result="{}", now=1.0)
    assert store.exchange("w", "e").result == "{}"  # type: ignore[union-attr]
    store.close()
    rows = postgres_sql(
        postgres_url, "SELECT version FROM did_gov.schema_version WHERE component = 'service'"
    )
    assert rows == [(2,)]


def test_an_outcome_is_replaced_only_if_unchanged(store: Any) -> None:
    """``replace_result`` is a compare-and-swap: of two callers holding one outcome, one wins."""
    import time

    store.create_exchange("w", "e", time.time() + 60)
    assert store.transition("w", "e", "pending", "requested", challenge="c", now=time.time())
    assert store.transition("w", "e", "requested", "complete", result="r1", now=time.time())
    assert store.replace_result("w", "e", "r1", "r2")
    assert not store.replace_result("w", "e", "r1", "r3")
    found = store.exchange("w", "e")
    assert found is not None and found.result == "r2"
    assert not store.replace_result("w", "other", "r2", "r4")


@pytest.mark.e2e
def test_attack_a_lost_commit_answer_does_not_let_two_instances_take_one_exchange(
    postgres_url: str,
) -> None:
    """Two instances race for one exchange; the loser's answer to its commit is lost.

    The store asked "is the exchange now completing?" and, since the winner had made it so,
    told the loser it had taken it too: both would decide (and issue) on one presentation.
    """
    import time

    winner = open_store(database=postgres_url, data=None)
    loser = open_store(database=postgres_url, data=None)
    try:
        now = time.time()
        winner.create_exchange("w", "raced", now + 60)
        assert winner.transition("w", "raced", "pending", "requested", challenge="c", now=now)
        assert winner.transition("w", "raced", "requested", "completing", challenge="t1", now=now)
        session = loser._session
        real_write = session.write

        def answer_lost(work: Any, *, committed: Any = None, **options: Any) -> Any:
            result = real_write(work, **options)  # committed, but its answer never arrived
            return committed(session._ensure(), result) if committed is not None else result

        session.write = answer_lost
        assert not loser.transition(
            "w", "raced", "requested", "completing", challenge="t2", now=now
        )
        session.write = answer_lost  # and a move of its own is still recognised as its own
        assert loser.transition("w", "raced", "completing", "complete", challenge="t2", now=now)
    finally:
        winner.close()
        loser.close()
