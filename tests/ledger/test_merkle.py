"""Merkle primitives: the transparency-dev probes, the RFC 6962 reference values, and properties
that hold the fast proof generation equal to the naive RFC 9162 definitions."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.errors import InvalidInputError
from did_gov.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    inclusion_proofs,
    leaf_hash,
    node_hash,
    range_inclusion_proofs,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import VECTORS, load_vector
from tests.ledger import _reference as ref

PROBES = sorted(
    p for p in (VECTORS / "merkle").rglob("*.json") if p.name != "rfc6962-reference.json"
)
REFERENCE = load_vector("merkle/rfc6962-reference.json")


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _probe_id(path: Path) -> str:
    return str(path.relative_to(VECTORS / "merkle"))


@pytest.mark.parametrize("path", PROBES, ids=[_probe_id(p) for p in PROBES])
def test_transparency_dev_probe(path: Path) -> None:
    probe: dict[str, Any] = load_vector(str(path.relative_to(VECTORS)))
    proof = [_b64(h) for h in probe["proof"] or []]
    if "leafIdx" in probe:
        got = verify_inclusion(
            _b64(probe["leafHash"]), probe["leafIdx"], probe["treeSize"], proof, _b64(probe["root"])
        )
    else:
        got = verify_consistency(
            probe["size1"], probe["size2"], proof, _b64(probe["root1"]), _b64(probe["root2"])
        )
    assert got is not probe["wantErr"], probe["desc"]


def test_probe_files_are_all_there() -> None:
    assert len(PROBES) == 118


@pytest.mark.parametrize("vector", REFERENCE["hasher_vectors"], ids=lambda v: v["desc"])
def test_hasher_vectors(vector: dict[str, str]) -> None:
    if "leaf_hex" in vector:
        got = leaf_hash(bytes.fromhex(vector["leaf_hex"]))
    elif "left_hex" in vector:
        got = node_hash(bytes.fromhex(vector["left_hex"]), bytes.fromhex(vector["right_hex"]))
    else:
        got = EMPTY_ROOT
    assert got.hex() == vector["expected"]


LEAVES = [leaf_hash(bytes.fromhex(x)) for x in REFERENCE["leaf_inputs_hex"]]


@pytest.mark.parametrize("size", sorted(int(s) for s in REFERENCE["root_hash_by_tree_size"]))
def test_reference_roots(size: int) -> None:
    expected = REFERENCE["root_hash_by_tree_size"][str(size)]
    assert root(LEAVES[:size]).hex() == expected
    assert MerkleTree(LEAVES).root(size).hex() == expected


def test_reference_node_hashes() -> None:
    tree = MerkleTree(LEAVES)
    for level, hashes in enumerate(REFERENCE["node_hashes_by_level"]):
        assert [tree.node(level, i).hex() for i in range(len(hashes))] == hashes


@pytest.mark.parametrize("case", REFERENCE["inclusion_proofs"], ids=lambda c: c["testdata_dir"])
def test_reference_inclusion_proofs(case: dict[str, Any]) -> None:
    got = inclusion_proof(LEAVES, case["leaf_index"], case["tree_size"])
    assert [h.hex() for h in got] == case["proof"]


@pytest.mark.parametrize("case", REFERENCE["consistency_proofs"], ids=lambda c: c["testdata_dir"])
def test_reference_consistency_proofs(case: dict[str, Any]) -> None:
    got = consistency_proof(LEAVES, case["size1"], case["size2"])
    assert [h.hex() for h in got] == case["proof"]


# ---------------------------------------------------------------- properties against the naive RFC

inputs = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(data=inputs, choice=st.data())
def test_inclusion_agrees_with_rfc_and_verifies(data: list[bytes], choice: st.DataObject) -> None:
    size = choice.draw(st.integers(1, len(data)))
    index = choice.draw(st.integers(0, size - 1))
    hashes = [leaf_hash(d) for d in data]
    tree = MerkleTree(hashes)
    expected = ref.path(index, data[:size])
    assert tree.inclusion_proof(index, size) == expected
    assert inclusion_proof(hashes, index, size) == expected
    top = ref.mth(data[:size])
    assert tree.root(size) == top == root(hashes[:size])
    assert verify_inclusion(hashes[index], index, size, expected, top)


@settings(max_examples=150, deadline=None)
@given(data=inputs, choice=st.data())
def test_consistency_agrees_with_rfc_and_verifies(data: list[bytes], choice: st.DataObject) -> None:
    size2 = choice.draw(st.integers(1, len(data)))
    size1 = choice.draw(st.integers(1, size2))
    hashes = [leaf_hash(d) for d in data]
    tree = MerkleTree(hashes)
    got = tree.consistency_proof(size1, size2)
    if size1 < size2:
        assert got == ref.proof(size1, data[:size2])
    else:
        assert got == []
    assert consistency_proof(hashes, size1, size2) == got
    assert verify_consistency(size1, size2, got, ref.mth(data[:size1]), ref.mth(data[:size2]))


def _flip(proof: list[bytes], item: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[item])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:item], bytes(changed), *proof[item + 1 :]]


@settings(max_examples=120, deadline=None)
@given(size=st.integers(2, 300), choice=st.data())
def test_inclusion_rejects_any_change(size: int, choice: st.DataObject) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tree = MerkleTree(hashes)
    index = choice.draw(st.integers(0, size - 1))
    proof, top = tree.inclusion_proof(index), tree.root()
    item = choice.draw(st.integers(0, len(proof) - 1))
    bit = choice.draw(st.integers(0, 255))
    assert not verify_inclusion(hashes[index], index, size, _flip(proof, item, bit), top)
    assert not verify_inclusion(hashes[index], index, size, proof, _flip([top], 0, bit)[0])
    assert not verify_inclusion(_flip([hashes[index]], 0, bit)[0], index, size, proof, top)
    other = choice.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    assert not verify_inclusion(hashes[index], other, size, proof, top)
    assert not verify_inclusion(hashes[index], index, size, proof[:-1], top)
    assert not verify_inclusion(hashes[index], index, size, [*proof, top], top)


@settings(max_examples=120, deadline=None)
@given(size2=st.integers(3, 300), choice=st.data())
def test_consistency_rejects_any_change(size2: int, choice: st.DataObject) -> None:
    tree = MerkleTree(leaf_hash(i.to_bytes(4, "big")) for i in range(size2))
    size1 = choice.draw(st.integers(1, size2 - 1))
    proof, r1, r2 = tree.consistency_proof(size1), tree.root(size1), tree.root()
    item = choice.draw(st.integers(0, len(proof) - 1))
    bit = choice.draw(st.integers(0, 255))
    assert not verify_consistency(size1, size2, _flip(proof, item, bit), r1, r2)
    assert not verify_consistency(size1, size2, proof, _flip([r1], 0, bit)[0], r2)
    assert not verify_consistency(size1, size2, proof, r1, _flip([r2], 0, bit)[0])
    other = choice.draw(st.integers(1, size2).filter(lambda s: s != size1))
    assert not verify_consistency(other, size2, proof, r1, r2)
    assert not verify_consistency(size1, size2, proof[:-1], r1, r2)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_range_proofs_equal_the_naive_reference(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 140))
    first = data.draw(st.integers(0, size - 1))
    count = data.draw(st.integers(1, size - first))
    inputs = [i.to_bytes(4, "big") for i in range(size + data.draw(st.integers(0, 5)))]
    tree = MerkleTree(leaf_hash(x) for x in inputs)
    proofs = range_inclusion_proofs(tree, first, count, size)
    assert [list(p) for p in proofs] == [
        ref.path(m, inputs[:size]) for m in range(first, first + count)
    ]
    with pytest.raises(InvalidInputError):
        range_inclusion_proofs(tree, first, size - first + 1, size)


def test_batch_proofs_equal_single_proofs() -> None:
    tree = MerkleTree(leaf_hash(i.to_bytes(4, "big")) for i in range(77))
    for size in (1, 2, 33, 64, 77):
        assert inclusion_proofs(tree, range(size), size) == [
            inclusion_proof(tree, i, size) for i in range(size)
        ]


def test_million_leaf_tree_proves_from_cached_subtrees() -> None:
    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1 << 20)]
    tree = MerkleTree(hashes)
    top = tree.root()
    for index in (0, 1, 524_287, 524_288, 1_048_575):
        assert verify_inclusion(hashes[index], index, tree.size, tree.inclusion_proof(index), top)
    assert verify_consistency(1000, tree.size, tree.consistency_proof(1000), tree.root(1000), top)


# ---------------------------------------------------------------- edges and misuse


def test_empty_tree_root_and_edges() -> None:
    assert root([]) == EMPTY_ROOT == MerkleTree().root()
    assert consistency_proof([], 0, 0) == []
    assert not verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    assert not verify_inclusion(bytes(32), 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(bytes(32), -1, 4, [], EMPTY_ROOT)


@pytest.mark.parametrize(
    "call",
    [
        lambda: verify_inclusion("00" * 32, 0, 1, [], bytes(32)),  # type: ignore[arg-type]
        lambda: verify_inclusion(bytes(32), True, 1, [], bytes(32)),
        lambda: verify_inclusion(bytes(32), 0, 1, None, bytes(32)),  # type: ignore[arg-type]
        lambda: verify_consistency(1, 2, ["x"], bytes(32), bytes(32)),  # type: ignore[list-item]
        lambda: inclusion_proof([bytes(32)], 1, 1),
        lambda: inclusion_proof([bytes(32)], 0, 2),
        lambda: consistency_proof([bytes(32)] * 3, 3, 2),
        lambda: root(object()),  # type: ignore[arg-type]
        lambda: MerkleTree().append(b"short"),
        lambda: MerkleTree().node(0, 0),
        lambda: MerkleTree([bytes(32)]).inclusion_proof(0, 2),
    ],
)
def test_misuse_raises_our_errors(call: Any) -> None:
    with pytest.raises(InvalidInputError):
        call()


def test_short_proof_items_give_false_not_exceptions() -> None:
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(5))
    proof = tree.inclusion_proof(2)
    proof[0] = proof[0][:31]
    assert verify_inclusion(tree.node(0, 2), 2, 5, proof, tree.root()) is False
    assert verify_consistency(1, 5, [b""] * 3, tree.root(1), tree.root()) is False
