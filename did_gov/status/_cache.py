"""A bounded LRU cache of inflated status lists, so many checks against one list cost one decode.

Entries are keyed by ``(list id, SHA-256 of encodedList, byte bound)``: a republished list
(new ``encodedList``) is a new entry, and two lists can never share one. The digest of the
last string seen is remembered (by identity, holding a reference to it), so repeated
checks against one parsed list do not hash it again. Failures are cached
too, so a hostile list (a gzip bomb) is inflated at most once while it stays cached.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import NoReturn

from did_gov.errors import LimitExceededError, StatusError
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.status._bitstring import inflate_list

__all__ = ["StatusListCache"]

_Key = tuple[str | None, bytes, int]


class _Failure:
    """A cached decoding failure; raised afresh each time (no growing traceback)."""

    __slots__ = ("error",)

    def __init__(self, error: StatusError | LimitExceededError) -> None:
        self.error = error

    def raise_again(self) -> NoReturn:
        raise type(self.error)(self.error.message, code=self.error.code)


class StatusListCache:
    """A thread-safe LRU of inflated bitstrings, bounded in entries and in total bytes.

    >>> from did_gov.status import StatusList
    >>> cache = StatusListCache(max_entries=2)
    >>> encoded = StatusList().encode()
    >>> len(cache.bitstring("https://example.com/status/1", encoded))
    16384
    >>> cache.stats()
    (0, 1)
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = 128 << 20) -> None:
        if type(max_entries) is not int or type(max_bytes) is not int:
            raise StatusError("cache bounds are integers", code="status.invalid_argument")
        if max_entries < 1 or max_bytes < 0:
            raise StatusError("cache bounds must be positive", code="status.invalid_argument")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[_Key, bytes | _Failure] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()
        self._last: tuple[str, bytes] = ("", b"")

    def bitstring(
        self, list_id: str | None, encoded: str, limits: Limits = DEFAULT_LIMITS
    ) -> bytes:
        """The inflated bitstring of ``encoded`` (§3.5), from the cache when it is there.

        Raises what :func:`~did_gov.status.inflate_list` raises (a cached failure is raised
        again without inflating).
        """
        if not isinstance(encoded, str):
            raise StatusError("encodedList must be a string", code="status.list_malformed")
        last = self._last
        if last[0] is encoded:
            digest = last[1]
        else:
            digest = hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).digest()
            self._last = (encoded, digest)
        key = (list_id, digest, limits.max_status_list_bytes)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self._hits += 1
        if found is None:
            try:
                found = inflate_list(encoded, limits)
            except (StatusError, LimitExceededError) as exc:
                found = _Failure(exc)
            self._store(key, found)
        if isinstance(found, _Failure):
            found.raise_again()
        return found

    def _store(self, key: _Key, value: bytes | _Failure) -> None:
        size = len(value) if isinstance(value, bytes) else 0
        with self._lock:
            self._misses += 1
            if size > self.max_bytes or key in self._items:
                return
            self._items[key] = value
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted) if isinstance(evicted, bytes) else 0

    def stats(self) -> tuple[int, int]:
        """``(hits, misses)`` since the cache was made or last cleared."""
        with self._lock:
            return self._hits, self._misses

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        """Drop every entry and reset the statistics."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self._hits = self._misses = 0
