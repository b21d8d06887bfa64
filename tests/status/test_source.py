"""StatusSource implementations: offline lists, a fetcher with a bounded keep, and chaining."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from did_gov.errors import DidGovError, StatusError
from did_gov.status import (
    ChainedStatusSource,
    FetchingStatusSource,
    StaticStatusSource,
    StatusSource,
)

URL = "https://gov.example/status/1"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
TYPES = ["VerifiableCredential", "BitstringStatusListCredential"]


def _doc(valid_from: str = "2025-06-01T00:00:00Z", ttl: int | None = None) -> dict[str, Any]:
    subject: dict[str, Any] = {"type": "BitstringStatusList"}
    if ttl is not None:
        subject["ttl"] = ttl
    return {"id": URL, "type": TYPES, "validFrom": valid_from, "credentialSubject": subject}


def test_static_source_serves_the_latest_of_one_id() -> None:
    old, new = _doc("2025-06-01T00:00:00Z"), _doc("2025-06-02T00:00:00Z")
    for lists in ([old, new], [new, old]):
        source = StaticStatusSource(lists)
        assert source.unverified_list_credential(URL, now=NOW) is new
        assert len(source) == 1
    assert StaticStatusSource([old]).unverified_list_credential(URL + "/2", now=NOW) is None
    assert isinstance(StaticStatusSource(), StatusSource)


class _Fetcher:
    def __init__(self, body: Any) -> None:
        self.body, self.calls = body, 0

    def __call__(self, url: str) -> Any:
        self.calls += 1
        if isinstance(self.body, BaseException):
            raise self.body
        return self.body


def test_a_fetched_list_is_kept_for_max_age_then_fetched_again() -> None:
    fetch = _Fetcher(b'{"id": "%s"}' % URL.encode())
    source = FetchingStatusSource(fetch, max_age=timedelta(minutes=5))
    for minutes in (0, 1, 4):
        assert source.unverified_list_credential(URL, now=NOW + timedelta(minutes=minutes))
    assert fetch.calls == 1
    source.unverified_list_credential(URL, now=NOW + timedelta(minutes=6))
    assert fetch.calls == 2
    source.unverified_list_credential(URL, now=NOW - timedelta(minutes=1))  # clock went back
    assert fetch.calls == 3


def test_a_shorter_ttl_shortens_the_keep() -> None:
    fetch = _Fetcher(_doc(ttl=60_000))
    source = FetchingStatusSource(fetch, max_age=timedelta(minutes=5))
    source.unverified_list_credential(URL, now=NOW)
    source.unverified_list_credential(URL, now=NOW + timedelta(seconds=59))
    assert fetch.calls == 1
    source.unverified_list_credential(URL, now=NOW + timedelta(seconds=61))
    assert fetch.calls == 2


def test_max_age_zero_always_fetches() -> None:
    fetch = _Fetcher(_doc())
    source = FetchingStatusSource(fetch, max_age=timedelta(0))
    for _ in range(3):
        source.unverified_list_credential(URL, now=NOW)
    assert fetch.calls == 3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  eyJhbGciOiJFUzI1NiJ9.e30.c2ln  ", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"),
        ('{"id": "x"}', {"id": "x"}),
        (None, None),
    ],
)
def test_what_a_fetcher_may_return(body: Any, expected: Any) -> None:
    assert FetchingStatusSource(_Fetcher(body)).unverified_list_credential(URL, now=NOW) == expected


@pytest.mark.parametrize(
    "body",
    [
        ConnectionError("refused"),
        DidGovError("offline", code="network.disabled"),
        b"\xff",
        '{"a": 1, "a": 2}',
        3.5,
        b"{" * (2 << 20),
    ],
)
def test_fetch_failures_are_our_error(body: Any) -> None:
    with pytest.raises(StatusError) as info:
        FetchingStatusSource(_Fetcher(body)).unverified_list_credential(URL, now=NOW)
    assert info.value.code == "status.list_fetch_failed"


def test_the_keep_is_bounded() -> None:
    source = FetchingStatusSource(lambda url: {"id": url}, max_entries=2)
    for i in range(5):
        source.unverified_list_credential(f"{URL}/{i}", now=NOW)
    assert len(source._kept) == 2


def test_a_chain_asks_in_order() -> None:
    offline, online = _doc(), _Fetcher({"id": URL, "online": True})
    chain = ChainedStatusSource([StaticStatusSource([offline]), FetchingStatusSource(online)])
    assert chain.unverified_list_credential(URL, now=NOW) is offline
    assert chain.unverified_list_credential(URL + "/9", now=NOW) == {"id": URL, "online": True}
    assert online.calls == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: FetchingStatusSource("https://x"),  # type: ignore[arg-type]
        lambda: FetchingStatusSource(print, max_age=timedelta(seconds=-1)),
        lambda: FetchingStatusSource(print, max_entries=0),
        lambda: ChainedStatusSource([object()]),  # type: ignore[list-item]
        lambda: StaticStatusSource([{"id": "not a url", "type": TYPES}]),
    ],
)
def test_misuse_raises_our_error(make: Any) -> None:
    with pytest.raises(StatusError) as info:
        make()
    assert info.value.code == "status.invalid_argument"
