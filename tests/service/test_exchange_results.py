"""The service store keeps an exchange's outcome until it expires, and upgrades older files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from did_gov.service._store import open_store


def test_an_outcome_is_kept_until_the_exchange_expires(tmp_path: Path) -> None:
    store = open_store(database=None, data=tmp_path)
    store.create_exchange("w", "live", 100.0)
    store.create_exchange("w", "old", 10.0)
    assert store.transition("w", "live", "pending", "requested", challenge="c", now=1.0)
    assert store.transition("w", "live", "requested", "complete", result='{"a":1}', now=1.0)
    assert store.transition("w", "old", "pending", "failed", result='{"b":2}', now=1.0)
    assert store.exchange("w", "live").result == '{"a":1}'  # type: ignore[union-attr]
    assert store.forget_results(50.0) == 1
    assert store.exchange("w", "old").result is None  # type: ignore[union-attr]
    assert store.exchange("w", "live").result == '{"a":1}'  # type: ignore[union-attr]
    store.close()


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
