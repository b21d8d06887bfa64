"""Complete-subtree storage shared by the database backends (``sqlite:``, ``postgresql:``).

A database log stores every leaf and the hash of every complete subtree of level
:data:`STORED_FROM` (16 leaves) or more; smaller subtrees are rehashed from at most 8 leaves
when a proof needs them, which keeps the rows per leaf, and so the cost of an append, low.
An append computes its new subtrees in memory (:func:`extend`) from the old right border
(:func:`border`), writes the stored levels (:func:`stored_rows`), and proves the batch's
receipts against an :class:`Overlay` of what it just computed over what is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from did_gov.errors import LedgerError
from did_gov.ledger import merkle

__all__ = ["STORED_FROM", "Overlay", "StoredNodes", "border", "extend", "stored_rows"]

STORED_FROM = 4
"""Lowest subtree level stored in a database; levels 1-3 are rehashed from leaves."""

NodeRow = Callable[[int, int], "bytes | None"]
"""``node_row(level, index)``: the stored hash, or None."""
LeafRange = Callable[[int, int], list[bytes]]
"""``leaf_range(low, high)``: the stored leaves of indexes ``[low, high)`` in order."""


class StoredNodes:
    """Complete-subtree hashes read from a database; small subtrees are rehashed from leaves."""

    def __init__(self, node_row: NodeRow, leaf_range: LeafRange) -> None:
        self._node_row = node_row
        self._leaf_range = leaf_range

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree at (``level``, ``index``)."""
        if level >= STORED_FROM:
            found = self._node_row(level, index)
            if found is not None:
                return found
        else:
            count = 1 << level
            leaves = self._leaf_range(index * count, (index + 1) * count)
            if len(leaves) == count:
                hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
                while len(hashes) > 1:
                    pairs = zip(hashes[0::2], hashes[1::2], strict=True)
                    hashes = [merkle.node_hash(a, b) for a, b in pairs]
                return hashes[0]
        raise LedgerError(f"no stored subtree ({level}, {index})", code="ledger.node_missing")


class Overlay:
    """The subtrees an append created (and the old right border), in memory, over the stored.

    ``levels[j]`` is ``(first, hashes)``: the new complete subtrees of level ``j`` start at
    index ``first``.
    """

    def __init__(
        self,
        levels: list[tuple[int, list[bytes]]],
        border: dict[tuple[int, int], bytes],
        below: merkle.NodeStore,
    ) -> None:
        self.levels = levels
        self.border = border
        self._below = below

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree at (``level``, ``index``)."""
        if level < len(self.levels):
            first, hashes = self.levels[level]
            if first <= index < first + len(hashes):
                return hashes[index - first]
        found = self.border.get((level, index))
        return found if found is not None else self._below.node(level, index)


def border(size: int) -> Iterator[tuple[int, int]]:
    """The (level, index) of the complete subtrees that cover leaves ``[0, size)``."""
    position = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            yield level, position >> level
            position += 1 << level


def extend(
    edge: dict[tuple[int, int], bytes], first: int, leaves: list[bytes]
) -> list[tuple[int, list[bytes]]]:
    """Hash ``leaves`` in at ``first``, level by level; return every new complete subtree.

    ``edge`` is the right border of the tree of ``first`` leaves. Level ``j`` of the result
    is ``(first >> j, hashes)``; a level's first new node pairs with the border node on its
    left when its index is odd.
    """
    leaf_hash, node_hash = merkle.leaf_hash, merkle.node_hash
    current = [leaf_hash(leaf) for leaf in leaves]
    levels = []
    level, low = 0, first
    while current:
        levels.append((low, current))
        pairs = [edge[(level, low - 1)], *current] if low & 1 else current
        current = [node_hash(a, b) for a, b in zip(pairs[0::2], pairs[1::2])]  # noqa: B905
        level, low = level + 1, low >> 1
    return levels


def stored_rows(levels: list[tuple[int, list[bytes]]]) -> Iterator[tuple[int, int, bytes]]:
    """The ``(level, index, hash)`` rows of the levels that are stored."""
    for level, (low, hashes) in enumerate(levels):
        if level >= STORED_FROM:
            for offset, value in enumerate(hashes):
                yield level, low + offset, value
