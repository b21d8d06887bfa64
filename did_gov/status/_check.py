"""Checking one status entry against its (already verified) list credential (§3.2 Validate Algorithm).

Pure: no I/O, no clock. The caller dereferences ``statusListCredential`` and verifies the
list's proof (steps 4-5 of §3.2); this module runs the remaining steps in order and
never raises for an invalid entry or list: it returns a :class:`StatusResult` whose
checks carry stable codes. Only misuse (arguments of the wrong type) raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from did_gov._time import format_datetime
from did_gov.errors import LimitExceededError, StatusError
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._result import Check, fail, ok
from did_gov.status._bitstring import MIN_ENTRIES, StatusList
from did_gov.status._cache import StatusListCache
from did_gov.status._credential import StatusListCredential
from did_gov.status._entry import StatusListEntry, StatusPurpose
from did_gov.status._source import BundledStatusList

__all__ = ["DEFAULT_CACHE", "StalePolicy", "StatusResult", "check_entry"]

DEFAULT_CACHE = StatusListCache()
"""The process-wide decoded-list cache :func:`check_entry` uses unless given another."""


_PASSED = {
    "status_entry": ok("status_entry", "a well-formed BitstringStatusListEntry"),
    "status_list": ok("status_list", "the entry's BitstringStatusListCredential"),
    "status_purpose": ok("status_purpose", "the list serves the entry's purpose"),
}
_FRESH = ok("status_validity", "the list is within its validity period and ttl")
_UNSET = ok("status_value", "the status is not set")


class StalePolicy(StrEnum):
    """What an expired (``validUntil``) or stale (``validFrom + ttl``) list does to a check.

    ``FAIL`` (the default) fails the check. ``UNSAFE_WARN`` passes it with the
    ``status.list_expired`` or ``status.list_stale`` code so the report still shows it: a
    revocation published after the list was fetched goes unseen, hence the name.
    """

    FAIL = "fail"
    UNSAFE_WARN = "unsafe-warn"


@dataclass(frozen=True)
class StatusResult:
    """The outcome of checking one status entry (§3.2 step 12's result, plus the checks).

    ``value`` is the entry's value in the list (None when it could not be read), ``status``
    reads "valid", "revoked", "suspended", "refresh", the ``message`` text, or "unknown"
    when the list could not be read. ``ok`` is true when every check passed; ``valid`` is
    the spec's ``valid`` (the value is 0).
    """

    purpose: str | None
    index: int | None
    value: int | None
    status: str
    checks: tuple[Check, ...]
    status_list_credential: str | None = None

    @property
    def ok(self) -> bool:
        """True when every check passed (warnings included as passed)."""
        return all(c.ok for c in self.checks)

    @property
    def valid(self) -> bool:
        """§3.2 step 13: the value is 0."""
        return self.value == 0

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the checks, in order."""
        return tuple(c.code for c in self.checks)


def _misuse(message: str) -> StatusError:
    return StatusError(message, code="status.invalid_argument")


def _check_arguments(
    entry: object, list_credential: object, now: object, extra: tuple[object, object, object]
) -> None:
    if not isinstance(entry, StatusListEntry) and not isinstance(entry, Mapping):
        raise _misuse(f"entry must be a JSON object or StatusListEntry, not {type(entry).__name__}")
    if not isinstance(list_credential, StatusListCredential) and not isinstance(
        list_credential, Mapping
    ):
        raise _misuse("list_credential must be a JSON object or StatusListCredential")
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise _misuse("now must be a timezone-aware datetime")
    min_entries, limits, cache = extra
    if type(min_entries) is not int or min_entries < 1:
        raise _misuse("min_entries must be a positive integer")
    if not isinstance(limits, Limits):
        raise _misuse("limits must be a did_gov.limits.Limits")
    if cache is not None and not isinstance(cache, StatusListCache):
        raise _misuse("cache must be a StatusListCache")


def _policy(value: StalePolicy | str) -> StalePolicy:
    if isinstance(value, StalePolicy):
        return value
    try:
        return StalePolicy(value)
    except ValueError:
        raise _misuse(f"stale_policy must be 'fail' or 'unsafe-warn', not {value!r}") from None


class _Stop(Exception):
    """A failed step after which the check cannot go on (internal control flow only)."""

    def __init__(self, name: str, code: str, message: str) -> None:
        super().__init__(message)
        self.check = fail(name, code, message)


def _parse_entry(entry: Mapping[str, Any] | StatusListEntry) -> StatusListEntry:
    if isinstance(entry, StatusListEntry):
        return entry
    try:
        return StatusListEntry.from_json(entry)
    except StatusError as exc:
        raise _Stop("status_entry", exc.code, exc.message) from None


def _matching_list(
    entry: StatusListEntry, list_credential: Mapping[str, Any] | StatusListCredential
) -> StatusListCredential:
    """Read the list; it must be the entry's list (when it says) and serve its purpose (step 6)."""
    if isinstance(list_credential, StatusListCredential):
        listed = list_credential
    else:
        try:
            listed = StatusListCredential.from_json(list_credential)
        except StatusError as exc:
            raise _Stop("status_list", exc.code, exc.message) from None
    if listed.id is not None and listed.id != entry.status_list_credential:
        message = f"list {listed.id} is not the entry's {entry.status_list_credential}"
        raise _Stop("status_list", "status.list_mismatch", message)
    return listed


def _read_value(
    entry: StatusListEntry,
    listed: StatusListCredential,
    min_entries: int,
    limits: Limits,
    cache: StatusListCache,
) -> int:
    """Steps 7-11: expand the bitstring (cached), check its length, read the entry's value."""
    try:
        data = cache.bitstring(listed.id, listed.encoded_list, limits)
        bits = StatusList.from_bytes(data, status_size=entry.status_size, min_entries=min_entries)
    except (StatusError, LimitExceededError) as exc:
        step = "status_length" if exc.code == "status.list_too_short" else "status_list"
        raise _Stop(step, exc.code, exc.message) from None
    try:
        return bits.get(entry.status_list_index)
    except StatusError as exc:
        raise _Stop("status_index", exc.code, exc.message) from None


def _freshness(
    listed: StatusListCredential,
    now: datetime,
    policy: StalePolicy,
    skew: timedelta,
    bundled: BundledStatusList | None = None,
) -> Check:
    """The list's validity period (VCDM 2.0 §4.9) and ``ttl`` (§2.2) against ``now`` ± ``skew``.

    A list carried in a trust bundle (``bundled``) is fresh until the bundle expires
    instead of for its ``ttl``; its own ``validUntil`` still ends it.
    """
    name = "status_validity"
    if listed.valid_from is not None and now + skew < listed.valid_from:
        return fail(name, "status.list_not_yet_valid", "the status list is not valid yet")
    late: tuple[str, str] | None = None
    if listed.valid_until is not None and now - skew > listed.valid_until:
        late = ("status.list_expired", f"the status list expired at {listed.valid_until}")
    elif bundled is not None and now - skew <= bundled.expires:
        return Check(
            name,
            True,
            "status.list_from_bundle",
            f"the status list is from {bundled.bundle} issued "
            f"{format_datetime(bundled.issued)}: fresh until the bundle expires at "
            f"{format_datetime(bundled.expires)} (revocations after its issue are not seen)",
        )
    elif (
        listed.ttl is not None
        and listed.valid_from is not None
        and now - skew - listed.valid_from > listed.ttl
    ):
        late = ("status.list_stale", f"the status list is older than its ttl ({listed.ttl})")
    if late is None:
        return _FRESH
    return Check(name, policy is StalePolicy.UNSAFE_WARN, late[0], late[1])


def _interpret(entry: StatusListEntry, value: int) -> tuple[str, Check]:
    """The status a value means for the entry's purpose (§2.1 ``statusPurpose``)."""
    name, purpose = "status_value", entry.status_purpose
    if purpose == StatusPurpose.MESSAGE:
        text = entry.message_for(value)
        return text, Check(name, True, "status.message", f"status 0x{value:x}: {text}")
    if value == 0:
        return "valid", _UNSET
    where = f"index {entry.status_list_index} of {entry.status_list_credential}"
    if purpose == StatusPurpose.REVOCATION:
        return "revoked", fail(name, "status.revoked", f"the credential is revoked ({where})")
    if purpose == StatusPurpose.SUSPENSION:
        return "suspended", fail(name, "status.suspended", f"the credential is suspended ({where})")
    if purpose == StatusPurpose.REFRESH:
        text = "an updated credential is available from its refresh service"
        return "refresh", Check(name, True, "status.refresh", text)
    text = entry.message_for(value)
    return text, fail(
        name, "status.unrecognized_purpose", f"status {purpose!r} is set ({text}) at {where}"
    )


def check_entry(
    entry: Mapping[str, Any] | StatusListEntry,
    list_credential: Mapping[str, Any] | StatusListCredential,
    *,
    now: datetime,
    stale_policy: StalePolicy | str = StalePolicy.FAIL,
    min_entries: int = MIN_ENTRIES,
    limits: Limits = DEFAULT_LIMITS,
    cache: StatusListCache | None = None,
    clock_skew: timedelta = timedelta(0),
    bundled: BundledStatusList | None = None,
) -> StatusResult:
    """Validate Algorithm (§3.2) for one entry against its list credential, already verified.

    ``min_entries`` is step 2's lower bound (131,072 unless an ecosystem sets another).
    Decoded lists are cached in ``cache`` (default :data:`DEFAULT_CACHE`). ``clock_skew``
    is tolerated on the list's ``validFrom``, ``validUntil`` and ``ttl`` (a kiosk's clock
    may lag the issuer's). ``bundled`` says the list came from a trust bundle: it is then
    fresh until the bundle expires (``status.list_from_bundle``) rather than for its ``ttl``.

    >>> from datetime import UTC, datetime
    >>> from did_gov.status import StatusList, build_list_credential
    >>> url, sl = "https://example.com/status/3", StatusList()
    >>> sl.set(94567, 1)
    >>> lc = build_list_credential(list_url=url, issuer="did:example:12345",
    ...     purpose="revocation", encoded_list=sl.encode(), valid_from=datetime(2025, 1, 1, tzinfo=UTC))
    >>> entry = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
    ...          "statusListIndex": "94567", "statusListCredential": url}
    >>> r = check_entry(entry, lc, now=datetime(2025, 6, 1, tzinfo=UTC))
    >>> r.ok, r.status, r.codes[-1]
    (False, 'revoked', 'status.revoked')
    """
    _check_arguments(entry, list_credential, now, (min_entries, limits, cache))
    if not isinstance(clock_skew, timedelta) or clock_skew < timedelta(0):
        raise _misuse("clock_skew must be a non-negative timedelta")
    if bundled is not None and not isinstance(bundled, BundledStatusList):
        raise _misuse("bundled must be a BundledStatusList")
    policy = _policy(stale_policy)
    checks: list[Check] = []
    parsed: StatusListEntry | None = None
    try:
        parsed = _parse_entry(entry)
        checks.append(_PASSED["status_entry"])
        listed = _matching_list(parsed, list_credential)
        checks.append(_PASSED["status_list"])
        if parsed.status_purpose not in listed.purposes:
            wanted, found = parsed.status_purpose, list(listed.purposes)
            message = f"entry purpose {wanted!r} is not the list's {found}"
            raise _Stop("status_purpose", "status.purpose_mismatch", message)
        checks.append(_PASSED["status_purpose"])
        checks.append(_freshness(listed, now, policy, clock_skew, bundled))
        value = _read_value(
            parsed, listed, min_entries, limits, DEFAULT_CACHE if cache is None else cache
        )
    except _Stop as stop:
        checks.append(stop.check)
        return _result(parsed, None, "unknown", checks)
    status, check = _interpret(parsed, value)
    checks.append(check)
    return _result(parsed, value, status, checks)


def _result(
    entry: StatusListEntry | None, value: int | None, status: str, checks: list[Check]
) -> StatusResult:
    if entry is None:
        return StatusResult(None, None, value, status, tuple(checks))
    return StatusResult(
        entry.status_purpose,
        entry.status_list_index,
        value,
        status,
        tuple(checks),
        entry.status_list_credential,
    )
