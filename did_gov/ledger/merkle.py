"""RFC 9162 Merkle tree hashes, inclusion and consistency proofs (generation and verification).

Leaves are hashed ``SHA-256(0x00 ‖ data)`` and interior nodes ``SHA-256(0x01 ‖ left ‖ right)``
(RFC 9162 §2.1.1), so a leaf can never pass for a node. Verification follows
transparency-dev/merkle ``proof/verify.go`` step by step, edge cases included (a consistency
check from size 0 is always rejected; equal sizes need an empty proof and equal roots).

Proof generation reads only *complete* subtrees through a :class:`NodeStore`: a complete
subtree's hash never changes once its last leaf is appended, so a store may cache or persist
it forever, and every proof costs O(log n) node reads.

>>> leaves = [leaf_hash(bytes([i])) for i in range(5)]
>>> tree = MerkleTree(leaves)
>>> proof = tree.inclusion_proof(3)
>>> verify_inclusion(leaves[3], 3, 5, proof, tree.root())
True
>>> verify_consistency(2, 5, tree.consistency_proof(2), tree.root(2), tree.root())
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from did_gov.errors import InvalidInputError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "NodeStore",
    "consistency_proof",
    "inclusion_proof",
    "inclusion_proofs",
    "leaf_hash",
    "range_inclusion_proofs",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree, ``SHA-256("")`` (RFC 9162 §2.1.1)."""

_sha256 = hashlib.sha256
_BYTES = (bytes, bytearray)


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 §2.1.1 leaf hash ``SHA-256(0x00 ‖ data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 §2.1.1 interior node hash ``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(b"\x01" + left + right).digest()


@runtime_checkable
class NodeStore(Protocol):
    """Read access to the hashes of complete subtrees of an append-only tree.

    ``node(level, index)`` is the root of the complete subtree over leaves
    ``[index·2^level, (index+1)·2^level)``; level 0 holds the leaf hashes. Proof generation
    only ever asks for subtrees that are complete at the requested tree size.
    """

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree at (``level``, ``index``)."""
        ...


# ---------------------------------------------------------------- verification (verify.go)


def _check_hash_args(*values: object) -> None:
    for value in values:
        if not isinstance(value, _BYTES):
            raise InvalidInputError("Merkle hashes must be bytes", code="merkle.invalid_argument")


def _check_proof(proof: object) -> bool:
    """Raise on a proof of the wrong type; report whether every element is a 32-byte hash."""
    if not isinstance(proof, list | tuple):
        raise InvalidInputError("a Merkle proof is a list of bytes", code="merkle.invalid_argument")
    _check_hash_args(*proof)
    return all(len(h) == HASH_SIZE for h in proof)


def _check_sizes(*values: object) -> None:
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInputError(
                "tree sizes and indexes are integers", code="merkle.invalid_argument"
            )


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if not (index >> i) & 1 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Split a proof for ``index`` in a tree of ``size`` into (inner, border) lengths."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an RFC 9162 §2.1.3.2 inclusion proof of ``leaf_hash`` at ``index`` under ``root``.

    Returns False for any proof that does not verify, an index outside the tree, or hashes
    that are not 32 bytes. Raises :class:`~did_gov.errors.InvalidInputError` only when an
    argument has the wrong type.
    """
    _check_hash_args(leaf_hash, root)
    _check_sizes(index, tree_size)
    well_formed = _check_proof(proof)
    if not well_formed or not 0 <= index < tree_size or len(leaf_hash) != HASH_SIZE:
        return False
    inner, border = _decompose(index, tree_size)
    if len(proof) != inner + border:
        return False
    computed = _chain_inner(bytes(leaf_hash), proof[:inner], index)
    computed = _chain_border_right(computed, proof[inner:])
    return computed == root


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """Check an RFC 9162 §2.1.4.2 consistency proof that tree ``size1`` is a prefix of ``size2``.

    As in transparency-dev/merkle: ``size1 == 0`` is always rejected (a proof from the empty
    tree is meaningless), ``size1 == size2`` needs an empty proof and ``root1 == root2``, and
    ``size1 > size2`` is rejected. Raises only for arguments of the wrong type.
    """
    _check_hash_args(root1, root2)
    _check_sizes(size1, size2)
    well_formed = _check_proof(proof)
    if size1 <= 0 or size2 < size1 or not well_formed:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    inner, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, rest = bytes(root1), proof
    else:
        seed, rest = proof[0], proof[1:]
    if len(rest) != inner + border:
        return False
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if hash1 != root1:
        return False
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    return hash2 == root2


# ---------------------------------------------------------------- generation


class _Ranges:
    """Roots of right-border ranges ``[start, size)``, memoized for one tree size."""

    def __init__(self, get: Callable[[int, int], bytes]) -> None:
        self._get = get
        self._memo: dict[tuple[int, int], bytes] = {}

    def root(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)`` where ``start`` is aligned to the range's top bit."""
        if start == end:
            return EMPTY_ROOT
        key = (start, end)
        found = self._memo.get(key)
        if found is not None:
            return found
        parts: list[bytes] = []
        pos, length = start, end - start
        for level in range(length.bit_length() - 1, -1, -1):
            if length >> level & 1:
                parts.append(self._get(level, pos >> level))
                pos += 1 << level
        value = parts.pop()
        while parts:
            value = node_hash(parts.pop(), value)
        self._memo[key] = value
        return value


def _node_path(
    ranges: _Ranges, get: Callable[[int, int], bytes], level: int, index: int, size: int
) -> list[bytes]:
    """The audit path of complete node (``level``, ``index``) in the tree of ``size`` leaves."""
    last = (size - 1) >> level
    inner = (index ^ last).bit_length()
    path: list[bytes] = []
    for j in range(inner):
        lvl = level + j
        sibling = (index >> j) ^ 1
        start = sibling << lvl
        if start + (1 << lvl) <= size:
            path.append(get(lvl, sibling))
        else:  # the one ephemeral node: an incomplete right subtree
            path.append(ranges.root(start, size))
    for j in range(inner, last.bit_length()):
        if (index >> j) & 1:
            path.append(get(level + j, (index >> j) - 1))
    return path


def _getter(source: Sequence[bytes] | NodeStore) -> Callable[[int, int], bytes]:
    if isinstance(source, NodeStore):
        return source.node
    if isinstance(source, Sequence):
        return _ListStore(source).node
    raise InvalidInputError("expected leaf hashes or a NodeStore", code="merkle.invalid_argument")


def _check_bounds(size: int, available: int | None) -> None:
    if size < 0 or (available is not None and size > available):
        raise InvalidInputError(
            f"tree size {size} is outside the {available}-leaf tree",
            code="merkle.size_out_of_range",
        )


def _available(source: Sequence[bytes] | NodeStore) -> int | None:
    return len(source) if isinstance(source, Sequence) else None


def root(source: Sequence[bytes] | NodeStore, size: int | None = None) -> bytes:
    """MTH (RFC 9162 §2.1.1) of the first ``size`` leaves (all of a sequence by default).

    ``source`` is a sequence of leaf hashes or a :class:`NodeStore`.
    """
    if size is None:
        if not isinstance(source, Sequence):
            raise InvalidInputError(
                "root() of a NodeStore needs a size", code="merkle.invalid_argument"
            )
        size = len(source)
    _check_sizes(size)
    _check_bounds(size, _available(source))
    return _Ranges(_getter(source)).root(0, size)


def inclusion_proof(source: Sequence[bytes] | NodeStore, index: int, size: int) -> list[bytes]:
    """The RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    return inclusion_proofs(source, [index], size)[0]


def inclusion_proofs(
    source: Sequence[bytes] | NodeStore, indexes: Iterable[int], size: int
) -> list[list[bytes]]:
    """Inclusion proofs of several leaves in the tree of ``size`` leaves, sharing work.

    Equal to ``[inclusion_proof(source, i, size) for i in indexes]``; runs of consecutive
    indexes share the work of :func:`range_inclusion_proofs`.
    """
    _check_sizes(size)
    _check_bounds(size, _available(source))
    wanted = list(indexes)
    for index in wanted:
        _check_sizes(index)
        if not 0 <= index < size:
            raise InvalidInputError(
                f"leaf {index} is not in a tree of {size} leaves", code="merkle.index_out_of_range"
            )
    if not wanted:
        return []
    low, high = min(wanted), max(wanted)
    proofs = range_inclusion_proofs(source, low, high - low + 1, size)
    return [list(proofs[i - low]) for i in wanted]


def range_inclusion_proofs(
    source: Sequence[bytes] | NodeStore, first: int, count: int, size: int
) -> list[tuple[bytes, ...]]:
    """The inclusion proofs of leaves ``first … first+count-1`` in the tree of ``size`` leaves.

    A proof is a leaf's sibling followed by the path above its parent, and neighbouring
    leaves share those upper paths. Walking down from the root, each path above a node is
    built once, so ``count`` receipts cost about ``2·count`` node reads instead of
    ``count·log(size)``.
    """
    _check_sizes(first, count, size)
    _check_bounds(size, _available(source))
    if count <= 0 or first < 0 or first + count > size:
        raise InvalidInputError(
            f"leaves {first}..{first + count - 1} are not in a tree of {size} leaves",
            code="merkle.index_out_of_range",
        )
    get = _getter(source)
    ranges = _Ranges(get)
    last = first + count - 1
    depth = (size - 1).bit_length()
    upper: list[tuple[bytes, ...]] = [()]  # the paths above level ``depth``: the root's
    for level in range(depth - 1, -1, -1):
        low, high = first >> level, last >> level
        parent_low = low >> 1
        width = 1 << level
        current: list[tuple[bytes, ...]] = []
        append = current.append
        for index in range(low, high + 1):
            above = upper[(index >> 1) - parent_low]
            if index & 1:
                append((get(level, index - 1), *above))
                continue
            start = (index + 1) << level
            if start >= size:  # no right sibling at this level: the node moves up unchanged
                append(above)
            elif start + width <= size:
                append((get(level, index + 1), *above))
            else:  # the one ephemeral node: an incomplete right subtree
                append((ranges.root(start, size), *above))
        upper = current
    return upper


def consistency_proof(source: Sequence[bytes] | NodeStore, size1: int, size2: int) -> list[bytes]:
    """The RFC 9162 §2.1.4.1 consistency proof between trees of ``size1`` and ``size2`` leaves.

    Empty when ``size1`` is 0 or equals ``size2`` (see :func:`verify_consistency` for how
    those cases verify).
    """
    _check_sizes(size1, size2)
    _check_bounds(size2, _available(source))
    if not 0 <= size1 <= size2:
        raise InvalidInputError(
            f"no consistency proof from size {size1} to {size2}", code="merkle.size_out_of_range"
        )
    if size1 in (0, size2):
        return []
    get = _getter(source)
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    path = _node_path(_Ranges(get), get, level, index, size2)
    return path if index == 0 else [get(level, index), *path]


class _ListStore:
    """Complete-subtree hashes computed on demand from a list of leaf hashes, memoized."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self._leaves = leaves
        self._memo: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        if level == 0:
            return self._leaves[index]
        key = (level, index)
        found = self._memo.get(key)
        if found is None:
            found = node_hash(self.node(level - 1, 2 * index), self.node(level - 1, 2 * index + 1))
            self._memo[key] = found
        return found


class MerkleTree:
    """An in-memory append-only Merkle tree that keeps every complete subtree hash.

    Appending costs amortized O(1) hashes per leaf; roots and proofs for any past size cost
    O(log n). It is a :class:`NodeStore`, so the module functions accept it as well.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return len(self._levels[0])

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree at (``level``, ``index``)."""
        try:
            return self._levels[level][index]
        except IndexError:
            raise InvalidInputError(
                f"no complete subtree at level {level}, index {index}",
                code="merkle.size_out_of_range",
            ) from None

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash; return its index."""
        _check_hash_args(leaf_hash)
        if len(leaf_hash) != HASH_SIZE:
            raise InvalidInputError("a leaf hash is 32 bytes", code="merkle.invalid_argument")
        index = len(self._levels[0])
        value, level, position = bytes(leaf_hash), 0, index
        self._levels[0].append(value)
        while position & 1:
            value = node_hash(self._levels[level][position - 1], value)
            level, position = level + 1, position >> 1
            if len(self._levels) == level:
                self._levels.append([])
            self._levels[level].append(value)
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add several leaf hashes in order."""
        for h in leaf_hashes:
            self.append(h)

    def root(self, size: int | None = None) -> bytes:
        """The tree head at ``size`` leaves (the current size by default)."""
        return root(self, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The inclusion proof of leaf ``index`` at ``size`` (the current size by default)."""
        size = self.size if size is None else size
        _check_sizes(size)
        _check_bounds(size, self.size)
        return inclusion_proof(self, index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The consistency proof from ``size1`` to ``size2`` (the current size by default)."""
        size2 = self.size if size2 is None else size2
        _check_sizes(size2)
        _check_bounds(size2, self.size)
        return consistency_proof(self, size1, size2)
