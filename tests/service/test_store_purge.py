"""Expired exchanges are deleted: the exchanges table does not grow without bound."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from did_gov.service._app import purge_expired_exchanges


def test_attack_expired_exchanges_are_purged_not_kept_forever(store: Any) -> None:
    """Every created exchange used to stay in the table: a caller creating exchanges and
    never finishing them grew it without bound. Expired ones are deleted, live ones kept."""
    now = time.time()
    for n in range(5):
        store.create_exchange("wf", f"old-{n}", now - 10 - n)
    store.create_exchange("wf", "live", now + 600)
    assert store.purge_exchanges(now, limit=3) == 3
    assert store.purge_exchanges(now) == 2
    assert store.purge_exchanges(now) == 0
    assert [store.exchange("wf", f"old-{n}") for n in range(5)] == [None] * 5
    live = store.exchange("wf", "live")
    assert live is not None and live.state == "pending"


def test_the_service_purges_in_batches_until_none_is_left(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    service = client.app.state.service
    store = service.state.store()
    past = time.time() - 86400 - 1  # expired for over a day: purged
    for n in range(25):
        store.create_exchange("wf", f"gone-{n}", past)
    store.create_exchange("wf", "kept", time.time() + 600)
    store.create_exchange("wf", "expired-recently", time.time() - 60)  # still answers 409
    monkeypatch.setattr("did_gov.service._app._PURGE_BATCH", 10)
    assert asyncio.run(purge_expired_exchanges(service)) == 25
    assert store.exchange("wf", "gone-0") is None
    assert store.exchange("wf", "kept") is not None
    assert store.exchange("wf", "expired-recently") is not None
