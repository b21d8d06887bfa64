"""The ``memory:`` backend: a log held in process memory, for tests and examples.

Nothing is persisted; every ``open_ledger("memory:", ...)`` starts an empty log.

>>> from did_gov.keys import PrivateKey
>>> log = MemoryLedger("example.com/log", PrivateKey.from_seed("ed25519", bytes(32)))
>>> [r.index for r in log.append([bytes(32), bytes(32)])]
[0, 1]
"""

from __future__ import annotations

from typing import Any

from did_gov.errors import InvalidInputError, LedgerError
from did_gov.keys import Signer
from did_gov.ledger import merkle
from did_gov.ledger._backend import AppendedBatch, BaseLedger, Clock
from did_gov.ledger._url import register_backend, split_url

__all__ = ["MemoryLedger"]


class MemoryLedger(BaseLedger):
    """An in-memory log: every complete subtree is kept, so proofs cost O(log n)."""

    scheme = "memory"

    def __init__(self, origin: str, log_key: Signer, *, clock: Clock | None = None) -> None:
        super().__init__(origin, log_key, clock=clock)
        self._entries: list[bytes] = []
        self._tree = merkle.MerkleTree()

    def _append(self, leaves: list[bytes]) -> AppendedBatch:
        first = len(self._entries)
        for leaf in leaves:
            self._tree.append(merkle.leaf_hash(leaf))
        self._entries.extend(leaves)
        size = self._tree.size
        return AppendedBatch(first, size, self._sign(size, self._tree.root()), self._tree)

    def _size(self) -> int:
        return self._tree.size

    def _nodes(self) -> merkle.NodeStore:
        return self._tree

    def _leaf(self, index: int) -> bytes:
        return self._entries[index]

    def _close(self) -> None:
        self._entries = []
        self._tree = merkle.MerkleTree()


def _open(url: str, *, log_key: Signer, origin: str | None = None, **options: Any) -> MemoryLedger:
    _, rest = split_url(url)
    clock = options.pop("clock", None)
    if rest not in ("", "//"):
        raise InvalidInputError(
            f"a memory ledger URL is 'memory:', not {url!r}", code="ledger.url_invalid"
        )
    if options:
        raise InvalidInputError(
            f"unknown memory ledger options {sorted(options)}", code="ledger.option_unknown"
        )
    if origin is None:
        raise LedgerError("a new memory ledger needs an origin", code="ledger.origin_required")
    return MemoryLedger(origin, log_key, clock=clock)


register_backend("memory", _open)
