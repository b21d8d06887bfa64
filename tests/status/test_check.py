"""check_entry: the Validate Algorithm (§3.2) with stable codes, the stale policy, and the cache."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov._encoding import b64url_encode
from did_gov.errors import StatusError
from did_gov.status import (
    MIN_ENTRIES,
    StalePolicy,
    StatusList,
    StatusListCache,
    StatusListCredential,
    StatusListEntry,
    build_list_credential,
    check_entry,
)

URL = "https://gov.example/status/7"
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
FROM = datetime(2025, 6, 1, tzinfo=UTC)
MESSAGES = ["pending_review", "accepted", "rejected", "undefined"]


def _list(
    values: dict[int, int] | None = None,
    *,
    purpose: str | list[str] = "revocation",
    status_size: int = 1,
    encoded: str | None = None,
    valid_until: datetime | None = FROM + timedelta(days=1),
    ttl: timedelta | None = None,
) -> dict[str, Any]:
    sl = StatusList(status_size=status_size)
    for index, value in (values or {}).items():
        sl.set(index, value)
    return build_list_credential(
        list_url=URL,
        issuer="did:example:ministry",
        purpose=purpose,
        encoded_list=sl.encode() if encoded is None else encoded,
        valid_from=FROM,
        valid_until=valid_until,
        ttl=ttl,
    )


def _entry(index: int | str = 94567, purpose: str = "revocation", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"https://gov.example/credentials/1#status-{purpose}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": URL,
        **extra,
    }


def _check(entry: Any, listed: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("cache", StatusListCache())
    return check_entry(entry, listed, **kwargs)


STEPS = ("status_entry", "status_list", "status_purpose", "status_validity", "status_value")


def test_unset_entry_is_valid() -> None:
    result = _check(_entry(), _list({94566: 1, 94568: 1}))
    assert result.ok and result.valid and result.status == "valid" and result.value == 0
    assert tuple(c.name for c in result.checks) == STEPS
    assert result.purpose == "revocation" and result.index == 94567
    assert result.status_list_credential == URL


@pytest.mark.parametrize(
    ("purpose", "status", "code", "ok"),
    [
        ("revocation", "revoked", "status.revoked", False),
        ("suspension", "suspended", "status.suspended", False),
        ("refresh", "refresh", "status.refresh", True),
        ("urn:example:custom-purpose", "set", "status.unrecognized_purpose", False),
    ],
)
def test_set_entry_by_purpose(purpose: str, status: str, code: str, ok: bool) -> None:
    result = _check(_entry(purpose=purpose), _list({94567: 1}, purpose=purpose))
    assert (result.ok, result.status, result.codes[-1]) == (ok, status, code)
    assert result.value == 1 and not result.valid


@pytest.mark.parametrize(("value", "text"), list(enumerate(MESSAGES)))
def test_message_purpose_reads_the_entry_message(value: int, text: str) -> None:
    messages = [{"status": hex(i), "message": m} for i, m in enumerate(MESSAGES)]
    entry = _entry(12345, "message", statusSize=2, statusMessage=messages)
    listed = _list({12345: value, 12344: 3, 12346: 3}, purpose="message", status_size=2)
    result = _check(entry, listed)
    assert result.ok and result.status == text and result.value == value
    assert result.checks[-1].code == "status.message" and result.valid == (value == 0)


def test_message_without_messages_reads_set_and_unset() -> None:
    listed = _list({5: 1}, purpose="message")
    assert _check(_entry(5, "message"), listed).status == "set"
    assert _check(_entry(6, "message"), listed).status == "unset"


def test_list_with_several_purposes() -> None:
    listed = _list({94567: 1}, purpose=["revocation", "suspension"])
    assert _check(_entry(purpose="suspension"), listed).status == "suspended"


def test_purpose_mismatch() -> None:
    """§3.2 step 6: STATUS_VERIFICATION_ERROR when the list has another purpose."""
    result = _check(_entry(purpose="suspension"), _list({94567: 1}))
    assert not result.ok and result.codes[-1] == "status.purpose_mismatch"
    assert result.value is None and result.status == "unknown"


@pytest.mark.parametrize("index", [MIN_ENTRIES, MIN_ENTRIES + 1, 10**40])
def test_index_out_of_range(index: int) -> None:
    """§3.2 step 11: RANGE_ERROR for an index beyond the bitstring."""
    result = _check(_entry(index), _list())
    assert not result.ok and result.checks[-1].name == "status_index"
    assert result.codes[-1] == "status.index_out_of_range" and result.index == index


def test_last_index_is_in_range() -> None:
    assert _check(_entry(MIN_ENTRIES - 1), _list({MIN_ENTRIES - 1: 1})).status == "revoked"


def test_list_too_short_for_the_entry_size() -> None:
    """§3.2 step 10: 16 KiB holds only 65,536 entries of 2 bits (STATUS_LIST_LENGTH_ERROR)."""
    messages = [{"status": hex(i), "message": m} for i, m in enumerate(MESSAGES)]
    entry = _entry(5, "message", statusSize=2, statusMessage=messages)
    result = _check(entry, _list(purpose="message"))
    assert result.checks[-1].name == "status_length"
    assert result.codes[-1] == "status.list_too_short"
    assert _check(entry, _list(purpose="message"), min_entries=65536).ok


@pytest.mark.parametrize(
    ("now", "policy", "ok", "code"),
    [
        (FROM + timedelta(days=2), "fail", False, "status.list_expired"),
        (FROM + timedelta(days=2), "unsafe-warn", True, "status.list_expired"),
        (FROM + timedelta(days=1), "fail", True, "ok"),  # validUntil itself is still valid
        (FROM - timedelta(seconds=1), "unsafe-warn", False, "status.list_not_yet_valid"),
    ],
)
def test_validity_period(now: datetime, policy: str, ok: bool, code: str) -> None:
    result = _check(_entry(), _list(), now=now, stale_policy=policy)
    validity = result.checks[3]
    assert validity.name == "status_validity" and validity.code == code
    assert result.ok is ok and result.value == 0, "the value is still read"


@pytest.mark.parametrize(
    ("age", "policy", "ok", "code"),
    [
        (timedelta(minutes=5), StalePolicy.FAIL, True, "ok"),
        (timedelta(minutes=5, milliseconds=1), StalePolicy.FAIL, False, "status.list_stale"),
        (timedelta(hours=3), StalePolicy.UNSAFE_WARN, True, "status.list_stale"),
    ],
)
def test_ttl(age: timedelta, policy: StalePolicy, ok: bool, code: str) -> None:
    """§2.2 ``ttl``: a list older than validFrom + ttl should have been refreshed."""
    listed = _list(ttl=timedelta(minutes=5))
    result = _check(_entry(), listed, now=FROM + age, stale_policy=policy)
    assert result.checks[3].code == code and result.ok is ok


def test_expiry_wins_over_ttl() -> None:
    listed = _list(ttl=timedelta(minutes=5))
    result = _check(_entry(), listed, now=FROM + timedelta(days=3))
    assert result.checks[3].code == "status.list_expired"


def _bomb() -> str:
    return "u" + b64url_encode(gzip.compress(bytes((16 << 20) + 1), mtime=0))


@pytest.mark.parametrize(
    ("listed", "step", "code"),
    [
        (_list(encoded="zNotBase64url"), "status_list", "status.list_malformed"),
        (_list(encoded="u" + b64url_encode(b"plain")), "status_list", "status.list_malformed"),
        (_list(encoded=_bomb()), "status_list", "status.list_too_large"),
        ({**_list(), "type": ["VerifiableCredential"]}, "status_list", "status.list_malformed"),
        ({**_list(), "validUntil": "soon"}, "status_list", "status.list_malformed"),
        ({**_list(), "id": "https://gov.example/status/8"}, "status_list", "status.list_mismatch"),
        ({**_list(), "credentialSubject": []}, "status_list", "status.list_malformed"),
    ],
    ids=["multibase", "gzip", "bomb", "type", "date", "other-list", "subject"],
)
def test_unreadable_lists_are_reported_not_raised(
    listed: dict[str, Any], step: str, code: str
) -> None:
    result = _check(_entry(), listed)
    assert not result.ok and result.status == "unknown" and result.value is None
    assert (result.checks[-1].name, result.codes[-1]) == (step, code)


def test_list_without_id_is_accepted() -> None:
    """§2.2: the list credential MAY have an id; when it has one it must be the entry's URL."""
    listed = {k: v for k, v in _list({94567: 1}).items() if k != "id"}
    assert _check(_entry(), listed).status == "revoked"


@pytest.mark.parametrize(
    "entry",
    [
        _entry(index="x"),
        {**_entry(), "statusListIndex": 94567},
        {**_entry(), "type": "StatusList2021Entry"},
        {**_entry(), "statusSize": 2},
    ],
)
def test_malformed_entries_are_reported_not_raised(entry: dict[str, Any]) -> None:
    result = _check(entry, _list())
    assert not result.ok and result.codes == ("status.entry_malformed",)
    assert result.index is None and result.purpose is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"entry": "not an object"},
        {"entry": [_entry()]},
        {"listed": "not an object"},
        {"now": datetime(2025, 6, 1)},  # naive
        {"now": "2025-06-01T00:00:00Z"},
        {"stale_policy": "ignore"},
        {"min_entries": 0},
        {"cache": {}},
        {"limits": {"max_status_list_bytes": 1}},
    ],
)
def test_misuse_raises(kwargs: dict[str, Any]) -> None:
    entry, listed = kwargs.pop("entry", _entry()), kwargs.pop("listed", _list())
    with pytest.raises(StatusError) as info:
        _check(entry, listed, **kwargs)
    assert info.value.code == "status.invalid_argument"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_ENTRY_KEYS = [*_entry(), "statusSize", "statusMessage", "statusReference"]
_LIST_KEYS = ["id", "type", "validFrom", "validUntil", "credentialSubject"]
_SUBJECT_KEYS = ["type", "statusPurpose", "encodedList", "ttl"]


def _mutated(base: dict[str, Any], keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), _JSON, max_size=3).map(lambda c: {**base, **c})


@settings(max_examples=150, deadline=None)
@given(
    _mutated(_entry(), _ENTRY_KEYS),
    _mutated(_list(), _LIST_KEYS),
    _mutated(_list()["credentialSubject"], _SUBJECT_KEYS),
)
def test_hostile_json_is_reported_never_raised(
    entry: dict[str, Any], listed: dict[str, Any], subject: dict[str, Any]
) -> None:
    if isinstance(listed.get("credentialSubject"), dict):
        listed["credentialSubject"] = subject
    result = _check(entry, listed)
    assert result.checks and all(
        c.code == "ok" or c.code.startswith("status.") for c in result.checks
    )
    if result.value is None:
        assert not result.ok and result.status == "unknown"


def test_parsed_values_are_accepted() -> None:
    entry, listed = StatusListEntry.from_json(_entry()), _list({94567: 1})
    assert _check(entry, StatusListCredential.from_json(listed)).status == "revoked"


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(0, MIN_ENTRIES - 1), max_size=50), st.integers(0, MIN_ENTRIES - 1))
def test_an_index_reads_revoked_exactly_when_revoked(revoked: set[int], probe: int) -> None:
    listed = _list(dict.fromkeys(revoked, 1))
    cache = StatusListCache()
    for index in {*revoked, probe}:
        result = check_entry(_entry(index), listed, now=NOW, cache=cache)
        assert (result.status == "revoked") is (index in revoked)
    assert cache.stats()[1] == 1, "one decode for the whole list"


def test_cache_decodes_each_list_once() -> None:
    cache, listed = StatusListCache(), _list({1: 1})
    for index in range(100):
        check_entry(_entry(index), listed, now=NOW, cache=cache)
    assert cache.stats() == (99, 1)
    republished = _list({1: 1, 2: 1})
    assert check_entry(_entry(2), republished, now=NOW, cache=cache).status == "revoked"
    assert cache.stats() == (99, 2) and len(cache) == 2


def test_cache_is_a_bounded_lru() -> None:
    cache = StatusListCache(max_entries=2)
    lists = [_list({i: 1}) for i in range(3)]
    for listed in (lists[0], lists[1], lists[0], lists[2]):
        check_entry(_entry(), listed, now=NOW, cache=cache)
    assert len(cache) == 2 and cache.stats() == (1, 3)
    check_entry(_entry(), lists[0], now=NOW, cache=cache)  # kept: it was used most recently
    check_entry(_entry(), lists[1], now=NOW, cache=cache)  # evicted: decoded again
    assert cache.stats() == (2, 4)


def test_cache_is_bounded_in_bytes() -> None:
    cache = StatusListCache(max_bytes=40_000)
    for i in range(3):
        check_entry(_entry(), _list({i: 1}), now=NOW, cache=cache)
    assert len(cache) == 2
    tiny = StatusListCache(max_bytes=1000)
    check_entry(_entry(), _list(), now=NOW, cache=tiny)
    assert len(tiny) == 0, "a list larger than the whole cache is not kept"


def test_cache_remembers_failures() -> None:
    """A gzip bomb is inflated once; later checks against it fail from the cache."""
    cache, bomb = StatusListCache(), _list(encoded=_bomb())
    for _ in range(3):
        assert _check(_entry(), bomb, cache=cache).codes[-1] == "status.list_too_large"
    assert cache.stats() == (2, 1)


@pytest.mark.parametrize("kwargs", [{"max_entries": 0}, {"max_bytes": -1}, {"max_entries": 1.5}])
def test_cache_bounds_are_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(StatusError):
        StatusListCache(**kwargs)


def test_many_checks_cost_one_decode() -> None:
    """Checking many entries against one parsed list inflates it once (the rest are hits)."""
    values = {i * 131: 1 for i in range(1000)}
    listed = StatusListCredential.from_json(_list(values, ttl=timedelta(days=1)))
    cache = StatusListCache()
    for index in range(0, 131 * 50, 131):
        entry = StatusListEntry.from_json(_entry(index=index))
        assert check_entry(entry, listed, now=NOW, cache=cache).status == "revoked"
    assert cache.stats() == (49, 1)


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (FROM - timedelta(minutes=4), "ok"),
        (FROM - timedelta(minutes=6), "status.list_not_yet_valid"),
        (FROM + timedelta(days=1, minutes=4), "ok"),
        (FROM + timedelta(days=1, minutes=6), "status.list_expired"),
    ],
)
def test_clock_skew_is_tolerated_on_the_list_dates(now: datetime, code: str) -> None:
    result = _check(_entry(), _list(), now=now, clock_skew=timedelta(minutes=5))
    assert result.checks[3].code == code


def test_clock_skew_must_be_a_non_negative_timedelta() -> None:
    with pytest.raises(StatusError):
        _check(_entry(), _list(), clock_skew=timedelta(seconds=-1))
