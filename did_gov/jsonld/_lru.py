"""A bounded LRU cache that one loader's users may share between threads."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from cachetools import LRUCache

__all__ = ["LockedLRUCache"]

K = TypeVar("K")
V = TypeVar("V")


class LockedLRUCache(LRUCache[K, V]):
    """``cachetools.LRUCache`` with every read and write under one lock.

    A plain LRU cache reorders on every read and evicts on write: two threads at
    once can evict the same entry and fail (a valid credential rejected). A
    Verifier, and the loader it holds, is shared between threads.
    """

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self._lock = threading.RLock()

    def __getitem__(self, key: K) -> V:
        with self._lock:
            return super().__getitem__(key)

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        with self._lock:
            super().__delitem__(key)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return super().__contains__(key)

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        """The value for ``key`` (marking it recently used), else ``default``: one lock, one lookup."""
        with self._lock:
            try:
                return LRUCache.__getitem__(self, key)
            except KeyError:
                return default

    def pop(self, key: K, *default: Any) -> Any:
        """Remove ``key`` and return its value (or ``default``)."""
        with self._lock:
            return super().pop(key, *default)

    def popitem(self) -> tuple[K, V]:
        """Remove and return the least recently used entry."""
        with self._lock:
            return super().popitem()
