"""Anchor leaves and receipts: the leaf encoding, the JSON format, and every verification code."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.errors import DidGovError, InvalidInputError, UnsupportedAlgorithmError
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import (
    AnchorKind,
    ChainTransaction,
    Checkpoint,
    NoteSigner,
    Receipt,
    add_signatures,
    anchor_leaf,
    new_salt,
    verify_receipt,
)
from did_gov.ledger.memory import MemoryLedger

ORIGIN = "did-gov.example/log/agency-a"
KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))
CONTENT = b'{"credentialSubject": {"id": "did:example:ada"}}'


def _counter_rng() -> Any:
    state = {"n": 0}

    def randbytes(n: int) -> bytes:
        state["n"] += 1
        return hashlib.sha256(state["n"].to_bytes(4, "big")).digest()[:n]

    return randbytes


@pytest.fixture
def log() -> MemoryLedger:
    ledger = MemoryLedger(ORIGIN, KEY)
    ledger.append([hashlib.sha256(bytes([i])).digest() for i in range(5)])
    return ledger


@pytest.fixture
def receipt(log: MemoryLedger) -> Receipt:
    [anchored] = log.anchor("credential", [CONTENT], randbytes=_counter_rng())
    log.append([hashlib.sha256(bytes([i])).digest() for i in range(100, 103)])
    return anchored


# ---------------------------------------------------------------- leaf


def test_anchor_leaf_matches_the_spec_encoding() -> None:
    salt = bytes(range(16))
    expected = hashlib.sha256(
        b"did_gov/anchor/v1"
        + b"\x0a"
        + b"credential"
        + b"\x10"
        + salt
        + hashlib.sha256(CONTENT).digest()
    ).digest()
    assert anchor_leaf("credential", CONTENT, salt) == expected


def test_anchor_leaf_spec_test_vector() -> None:
    got = anchor_leaf(AnchorKind.CREDENTIAL, b"{}", bytes(16))
    assert got.hex() == "084d9fa8b448d571f1734ffc6cd6b99651dc45ee59c1f31e5f8f829d8fd92753"


def test_anchor_leaf_binds_kind_salt_and_content() -> None:
    salt = bytes(16)
    leaves = {
        anchor_leaf(kind, CONTENT, salt)
        for kind in ("credential", "status-list", "did-document", "document")
    }
    assert len(leaves) == 4
    assert anchor_leaf("document", CONTENT, salt) != anchor_leaf(
        "document", CONTENT, bytes(15) + b"\x01"
    )
    assert anchor_leaf("document", CONTENT, salt) != anchor_leaf("document", CONTENT + b" ", salt)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("credentials", b"", bytes(16)), "anchor.kind_unknown"),
        (("credential", b"", bytes(15)), "anchor.salt_invalid"),
        (("credential", b"", bytes(65)), "anchor.salt_invalid"),
        (("credential", "text", bytes(16)), "anchor.content_invalid"),
    ],
)
def test_anchor_leaf_misuse(args: tuple[Any, ...], code: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        anchor_leaf(*args)
    assert info.value.code == code


def test_new_salt_is_injectable_and_checked() -> None:
    assert new_salt(lambda n: b"\x07" * n) == b"\x07" * 32
    assert len(new_salt()) == 32
    with pytest.raises(InvalidInputError):
        new_salt(lambda n: b"short")


def test_ledger_never_sees_content_or_salt(log: MemoryLedger) -> None:
    [r] = log.anchor("credential", [CONTENT], randbytes=_counter_rng())
    assert r.anchor is not None
    stored = log.prove_inclusion(r.index, log.size())
    assert log._leaf(r.index) == r.leaf == r.anchor.leaf_for(CONTENT)
    assert r.anchor.salt not in b"".join(stored) and CONTENT not in r.leaf


# ---------------------------------------------------------------- format


def test_receipt_json_round_trips(receipt: Receipt) -> None:
    data = receipt.to_json()
    assert set(data) == {
        "type",
        "version",
        "origin",
        "leaf",
        "index",
        "inclusionProof",
        "checkpoint",
        "anchor",
    }
    assert Receipt.from_json(data) == receipt
    assert Receipt.from_json(json.dumps(data)) == receipt
    assert Receipt.from_json(json.dumps(data).encode()) == receipt
    chained = receipt.with_chain(
        ChainTransaction("0x" + "ab" * 32, 42, "eip155:11155111", "0x" + "cd" * 20)
    )
    assert Receipt.from_json(chained.to_json()) == chained
    assert verify_receipt(chained.to_json(), KEY.public_key).ok


def _mutate(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(data))
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_DELETE = object()
MALFORMED = [
    (("type",), "Receipt"),
    (("type",), _DELETE),
    (("origin",), ""),
    (("origin",), 7),
    (("leaf",), "AAAA"),
    (("leaf",), base64.b64encode(bytes(32)).decode().rstrip("=")),
    (("leaf",), base64.urlsafe_b64encode(b"\xff" * 32).decode()),
    (("index",), -1),
    (("index",), 1.0),
    (("index",), True),
    (("index",), 1 << 53),
    (("inclusionProof",), "AAAA"),
    (("inclusionProof",), [base64.b64encode(bytes(31)).decode()]),
    (("inclusionProof",), [base64.b64encode(bytes(32)).decode()] * 65),
    (("checkpoint",), None),
    (("extra",), 1),
    (("anchor", "kind"), "passport"),
    (("anchor", "salt"), base64.b64encode(bytes(8)).decode()),
    (("anchor", "extra"), 1),
    (("chain",), {"transaction": "0x1"}),
    (("chain",), {"transaction": "", "block": 1}),
    (("chain",), {"transaction": "0x1", "block": -1}),
]


@pytest.mark.parametrize(
    ("path", "value"), MALFORMED, ids=[f"{'.'.join(p)}={v!r}"[:60] for p, v in MALFORMED]
)
def test_malformed_receipts_are_reported_not_raised(
    receipt: Receipt, path: tuple[str, ...], value: Any
) -> None:
    data = _mutate(receipt.to_json(), path, value)
    check = verify_receipt(data, KEY.public_key)
    assert (check.ok, check.code) == (False, "receipt.malformed")
    with pytest.raises(InvalidInputError):
        Receipt.from_json(data)


def test_unsupported_version(receipt: Receipt) -> None:
    check = verify_receipt(_mutate(receipt.to_json(), ("version",), 2), KEY.public_key)
    assert check.code == "receipt.version_unsupported"


@pytest.mark.parametrize("text", ["", "[]", "{", '{"a": 1, "a": 2}', "null", "\xff"])
def test_unparseable_receipts(text: str) -> None:
    check = verify_receipt(text, KEY.public_key)
    assert not check.ok and check.code == "receipt.malformed"


# ---------------------------------------------------------------- verification


def test_valid_receipt_every_key_form(receipt: Receipt, log: MemoryLedger) -> None:
    for key in (log.verifier, log.verifier.vkey, KEY.public_key):
        check = verify_receipt(receipt, key, expected_leaf=receipt.leaf, content=CONTENT)
        assert (check.ok, check.code) == (True, "receipt.valid")
        assert check.checkpoint is not None and check.checkpoint.size == 6
        assert check.receipt == receipt


def test_binding_failures(receipt: Receipt) -> None:
    assert (
        verify_receipt(receipt, KEY.public_key, expected_leaf=bytes(32)).code
        == "receipt.leaf_mismatch"
    )
    assert (
        verify_receipt(receipt, KEY.public_key, content=CONTENT + b" ").code
        == "receipt.content_mismatch"
    )
    bare = replace(receipt, anchor=None)
    assert verify_receipt(bare, KEY.public_key, content=CONTENT).code == "receipt.anchor_missing"
    assert verify_receipt(bare, KEY.public_key).ok


def test_checkpoint_failures(receipt: Receipt, log: MemoryLedger) -> None:
    other = PrivateKey.from_seed(KeyType.ED25519, bytes(32))
    assert verify_receipt(receipt, other.public_key).code == "receipt.checkpoint_unverified"
    body, _, _sigs = receipt.checkpoint.partition("\n\n")
    size_line = body.split("\n")[1]
    tampered = receipt.checkpoint.replace(f"\n{size_line}\n", f"\n{int(size_line) + 1}\n", 1)
    assert verify_receipt(replace(receipt, checkpoint=tampered), KEY.public_key).code == (
        "receipt.checkpoint_signature_invalid"
    )
    assert (
        verify_receipt(replace(receipt, checkpoint=body), KEY.public_key).code
        == "receipt.checkpoint_malformed"
    )
    foreign = Checkpoint("did-gov.example/log/agency-b", 9, bytes(32)).sign(
        [NoteSigner(ORIGIN, KEY)]
    )
    assert (
        verify_receipt(replace(receipt, checkpoint=foreign), log.verifier).code
        == "receipt.origin_mismatch"
    )
    bad_body = sign_body("x\n", log)
    assert verify_receipt(replace(receipt, checkpoint=bad_body), log.verifier).code == (
        "receipt.checkpoint_malformed"
    )


def sign_body(text: str, log: MemoryLedger) -> str:
    from did_gov.ledger import sign_note

    return sign_note(text, [NoteSigner(log.origin, KEY)])


def test_proof_failures(receipt: Receipt, log: MemoryLedger) -> None:
    early = Checkpoint(ORIGIN, receipt.index, log._tree.root(receipt.index)).sign(
        [NoteSigner(ORIGIN, KEY)]
    )
    assert (
        verify_receipt(replace(receipt, checkpoint=early), KEY.public_key).code
        == "receipt.index_out_of_range"
    )
    wrong_index = replace(receipt, index=receipt.index - 1)
    assert verify_receipt(wrong_index, KEY.public_key).code == "receipt.inclusion_invalid"
    flipped = bytes([receipt.inclusion_proof[0][0] ^ 1]) + receipt.inclusion_proof[0][1:]
    bad_proof = replace(receipt, inclusion_proof=(flipped, *receipt.inclusion_proof[1:]))
    assert verify_receipt(bad_proof, KEY.public_key).code == "receipt.inclusion_invalid"
    short = replace(receipt, inclusion_proof=receipt.inclusion_proof[:-1])
    assert verify_receipt(short, KEY.public_key).code == "receipt.inclusion_invalid"
    other_leaf = replace(receipt, leaf=bytes(32), anchor=None)
    assert verify_receipt(other_leaf, KEY.public_key).code == "receipt.inclusion_invalid"


def test_witness_cosignatures_do_not_disturb_verification(receipt: Receipt) -> None:
    witness = NoteSigner(
        "witness.example/w1", PrivateKey.from_seed(KeyType.ED25519, bytes([5]) * 32)
    )
    cosigned = replace(receipt, checkpoint=add_signatures(receipt.checkpoint, [witness]))
    assert verify_receipt(cosigned, KEY.public_key).ok


def test_bare_key_with_an_origin_that_is_not_a_key_name(receipt: Receipt) -> None:
    odd = replace(receipt, origin="has space")
    assert verify_receipt(odd, KEY.public_key).code == "receipt.origin_invalid"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"log_key": None}, InvalidInputError),
        (
            {"log_key": PrivateKey.from_seed("p256", bytes(32)).public_key},
            UnsupportedAlgorithmError,
        ),
        ({"log_key": "not+a+vkey"}, InvalidInputError),
        ({"expected_leaf": b"short"}, InvalidInputError),
        ({"content": "text"}, InvalidInputError),
    ],
)
def test_verify_receipt_misuse_raises(
    receipt: Receipt, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    args: dict[str, Any] = {"log_key": KEY.public_key, **kwargs}
    with pytest.raises(error):
        verify_receipt(receipt, args.pop("log_key"), **args)


def _fixed_receipt() -> Receipt:
    ledger = MemoryLedger(ORIGIN, KEY)
    ledger.append([hashlib.sha256(bytes([i])).digest() for i in range(5)])
    [anchored] = ledger.anchor("credential", [CONTENT], randbytes=_counter_rng())
    return anchored


FIXED = _fixed_receipt()
FIXED_TEXT = json.dumps(FIXED.to_json())


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len(FIXED_TEXT) - 1), replacement=st.text(max_size=3))
def test_mangled_json_never_raises_and_never_verifies_another_receipt(
    position: int, replacement: str
) -> None:
    mangled = FIXED_TEXT[:position] + replacement + FIXED_TEXT[position + 1 :]
    check = verify_receipt(mangled, KEY.public_key)
    assert check.ok is (check.code == "receipt.valid")
    if check.ok:  # only insignificant changes (whitespace, or the unchecked salt) may pass
        assert check.receipt is not None
        assert replace(check.receipt, anchor=None) == replace(FIXED, anchor=None)


def test_receipt_constructor_validates() -> None:
    with pytest.raises(DidGovError):
        Receipt(ORIGIN, b"short", 0, (), "note")
    with pytest.raises(DidGovError):
        Receipt(ORIGIN, bytes(32), 0, [bytes(32)], "note")  # type: ignore[arg-type]


def test_batch_receipts_equal_receipts_built_one_by_one(log: MemoryLedger) -> None:
    receipts = log.append([hashlib.sha256(bytes([i])).digest() for i in range(9)])
    leaves = [r.leaf for r in receipts]
    proofs = [r.inclusion_proof for r in receipts]
    note = receipts[0].checkpoint
    one_by_one = [
        Receipt(log.origin, leaf, 3 + i, proof, note)
        for i, (leaf, proof) in enumerate(zip(leaves, proofs, strict=True))
    ]
    batch = Receipt.for_batch(log.origin, 3, leaves, proofs, note)
    assert batch == one_by_one
    assert [hash(r) for r in batch] == [hash(r) for r in one_by_one]
    assert [r.to_json() for r in batch] == [r.to_json() for r in one_by_one]
    assert Receipt.for_batch(log.origin, 0, [], [], note) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda leaves, proofs: (leaves[:-1], proofs),
        lambda leaves, proofs: ([*leaves[:-1], bytes(31)], proofs),
        lambda leaves, proofs: ([*leaves[:-1], bytearray(32)], proofs),
        lambda leaves, proofs: (leaves, [*proofs[:-1], list(proofs[-1])]),
        lambda leaves, proofs: (leaves, [*proofs[:-1], (bytes(33),)]),
        lambda leaves, proofs: (leaves, [*proofs[:-1], (bytes(32),) * 65]),
    ],
)
def test_batch_receipts_check_every_leaf_and_proof(log: MemoryLedger, mutate: Any) -> None:
    receipts = log.append([hashlib.sha256(bytes([i])).digest() for i in range(4)])
    leaves, proofs = mutate([r.leaf for r in receipts], [r.inclusion_proof for r in receipts])
    with pytest.raises(InvalidInputError) as info:
        Receipt.for_batch(log.origin, 0, leaves, proofs, receipts[0].checkpoint)
    assert info.value.code == "receipt.malformed"
