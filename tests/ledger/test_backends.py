"""One suite, every backend: appends, receipts, checkpoints, proofs, errors.

memory, sqlite, postgresql and evm. The postgresql and evm runs are end-to-end: a real
PostgreSQL server (tests/conftest.py), emptied before each test, and a real anvil node
(tests/ledger/conftest.py) with a fresh AnchorRegistry per test.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.errors import DidGovError, InvalidInputError, LedgerError
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import (
    MAX_BATCH,
    BaseLedger,
    Checkpoint,
    LedgerBackend,
    NoteSigner,
    audit,
    open_checkpoint,
    open_ledger,
    verify_receipt,
)
from did_gov.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.conftest import WRITER_KEY

ORIGIN = "did-gov.example/log/agency-a"
KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))
BACKENDS = ["memory", "sqlite"]


def _url(scheme: str, directory: Path) -> str:
    return "memory:" if scheme == "memory" else f"sqlite://{directory / 'log.db'}"


def _open(scheme: str, request: pytest.FixtureRequest, directory: Path) -> LedgerBackend:
    if scheme == "postgresql":
        url = request.getfixturevalue("postgres_url")
        return open_ledger(url, log_key=KEY, origin=ORIGIN)
    if scheme != "evm":
        return open_ledger(_url(scheme, directory), log_key=KEY, origin=ORIGIN)
    registry = request.getfixturevalue("evm_registry")
    store = _url("sqlite", directory)
    return open_ledger(
        registry.url(), log_key=KEY, origin=ORIGIN, writer_key=WRITER_KEY, store=store
    )


@pytest.fixture(
    params=[
        *BACKENDS,
        pytest.param("postgresql", marks=pytest.mark.e2e),
        pytest.param("evm", marks=pytest.mark.e2e),
    ]
)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseLedger]:
    log = _open(request.param, request, tmp_path)
    assert isinstance(log, BaseLedger)
    yield log
    log.close()


def leaves(start: int, count: int) -> list[bytes]:
    """Deterministic distinct 32-byte leaves."""
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(start, start + count)]


def test_satisfies_the_protocol(ledger: BaseLedger) -> None:
    assert isinstance(ledger, LedgerBackend)
    assert ledger.origin == ORIGIN
    assert ledger.public_key == KEY.public_key
    assert ledger.verifier.name == ORIGIN


def test_empty_log_checkpoint(ledger: BaseLedger) -> None:
    assert ledger.size() == 0
    cp = open_checkpoint(ledger.checkpoint(), [ledger.verifier], origin=ORIGIN).checkpoint
    assert (cp.size, cp.root_hash) == (0, EMPTY_ROOT)
    assert ledger.append([]) == []


def test_append_returns_verifying_receipts_in_order(ledger: BaseLedger) -> None:
    batch = leaves(0, 37)
    receipts = ledger.append(batch)
    assert [r.index for r in receipts] == list(range(37))
    assert [r.leaf for r in receipts] == batch
    assert len({r.checkpoint for r in receipts}) == 1
    for r in receipts:
        check = verify_receipt(r, ledger.verifier, expected_leaf=r.leaf)
        assert check.ok, check
        assert check.checkpoint is not None and check.checkpoint.size == 37
    assert ledger.size() == 37


def test_batches_grow_consistently(ledger: BaseLedger) -> None:
    notes, sizes, start = [], [], 0
    for count in (1, 2, 5, 8, 13, 64, 3):
        receipts = ledger.append(leaves(start, count))
        start += count
        notes.append(receipts[0].checkpoint)
        sizes.append(start)
    assert ledger.checkpoint() == notes[-1]
    for i, old in enumerate(notes):
        for new, size2 in zip(notes[i:], sizes[i:], strict=True):
            proof = ledger.prove_consistency(sizes[i], size2)
            assert audit(old, new, proof, ledger.verifier).ok


def test_proofs_at_any_past_size(ledger: BaseLedger) -> None:
    data = leaves(0, 50)
    ledger.append(data[:20])
    ledger.append(data[20:])
    reference = MerkleTree(leaf_hash(d) for d in data)
    for size in (1, 7, 20, 32, 50):
        for index in range(0, size, 3):
            proof = ledger.prove_inclusion(index, size)
            assert proof == reference.inclusion_proof(index, size)
            assert verify_inclusion(
                leaf_hash(data[index]), index, size, proof, reference.root(size)
            )
    assert verify_consistency(
        20, 50, ledger.prove_consistency(20, 50), reference.root(20), reference.root()
    )
    assert ledger.prove_consistency(0, 50) == ledger.prove_consistency(50, 50) == []


def test_receipt_moves_onto_newer_checkpoints(ledger: BaseLedger) -> None:
    [first] = ledger.append(leaves(0, 1))
    older = first.checkpoint
    ledger.append(leaves(1, 9))
    fresh = ledger.receipt(0)
    assert fresh.leaf == first.leaf and fresh.checkpoint == ledger.checkpoint()
    assert verify_receipt(fresh, ledger.verifier).ok
    again = ledger.receipt(0, older)
    assert again.checkpoint == older and verify_receipt(again, ledger.verifier).ok


def test_receipt_refuses_foreign_checkpoints(ledger: BaseLedger) -> None:
    ledger.append(leaves(0, 4))
    forged = Checkpoint(ORIGIN, 4, bytes(32)).sign([NoteSigner(ORIGIN, KEY)])
    with pytest.raises(LedgerError) as info:
        ledger.receipt(0, forged)
    assert info.value.code == "ledger.checkpoint_foreign"
    other_key = NoteSigner(ORIGIN, PrivateKey.from_seed(KeyType.ED25519, bytes(32)))
    with pytest.raises(LedgerError) as unverified:
        ledger.receipt(0, Checkpoint(ORIGIN, 4, bytes(32)).sign([other_key]))
    assert unverified.value.code == "note.unverified"
    with pytest.raises(InvalidInputError) as ahead:
        ledger.receipt(0, Checkpoint(ORIGIN, 5, bytes(32)).sign([NoteSigner(ORIGIN, KEY)]))
    assert ahead.value.code == "ledger.out_of_range"


def test_anchor_with_injected_randomness(ledger: BaseLedger) -> None:
    contents = [b"credential one", b"credential two"]
    receipts = ledger.anchor("credential", contents, randbytes=lambda n: b"\x11" * n)
    for receipt, content in zip(receipts, contents, strict=True):
        assert receipt.anchor is not None and receipt.anchor.salt == b"\x11" * 32
        assert verify_receipt(receipt.to_json(), ledger.public_key, content=content).ok


@pytest.mark.parametrize(
    ("batch", "code"),
    [
        ([b"short"], "ledger.leaf_invalid"),
        ([bytes(32), "x" * 32], "ledger.leaf_invalid"),
        (bytes(32), "ledger.leaf_invalid"),
        ([bytes(32)] * (MAX_BATCH + 1), "ledger.batch_too_large"),
    ],
    ids=["short", "str", "bytes-not-list", "too-large"],
)
def test_append_rejects_bad_batches(ledger: BaseLedger, batch: Any, code: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        ledger.append(batch)
    assert info.value.code == code
    assert ledger.size() == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda log: log.prove_inclusion(3, 3),
        lambda log: log.prove_inclusion(0, 4),
        lambda log: log.prove_inclusion(-1, 2),
        lambda log: log.prove_inclusion(0, 0),
        lambda log: log.prove_consistency(2, 1),
        lambda log: log.prove_consistency(1, 4),
        lambda log: log.receipt(3),
        lambda log: log.prove_inclusion(True, 2),
    ],
)
def test_out_of_range_requests(ledger: BaseLedger, call: Any) -> None:
    ledger.append(leaves(0, 3))
    with pytest.raises(InvalidInputError) as info:
        call(ledger)
    assert info.value.code == "ledger.out_of_range"


def test_closed_ledger_refuses_work(ledger: BaseLedger) -> None:
    ledger.close()
    ledger.close()
    with pytest.raises(LedgerError) as info:
        ledger.append(leaves(0, 1))
    assert info.value.code == "ledger.closed"


def test_foreign_failures_are_wrapped(ledger: BaseLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> Any:
        raise KeyError("disk on fire")

    monkeypatch.setattr(ledger, "_append", broken)
    monkeypatch.setattr(ledger, "_size", broken)
    with pytest.raises(LedgerError) as info:
        ledger.append(leaves(0, 1))
    assert info.value.code == "ledger.backend_failed"
    assert "disk on fire" in info.value.message
    with pytest.raises(LedgerError):
        ledger.checkpoint()


@pytest.mark.e2e
def test_backends_agree_byte_for_byte(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    schemes = [*BACKENDS, "postgresql", "evm"]
    for scheme in schemes:
        (tmp_path / scheme).mkdir()
    logs = [_open(s, request, tmp_path / s) for s in schemes]
    outputs = [[r.to_json() for r in log.append(leaves(0, 21))] for log in logs]
    chains = [out.pop("chain", None) for out in outputs[-1]]
    assert all(output == outputs[0] for output in outputs)
    assert all(c is not None for c in chains) and chains[1:] == chains[:-1]
    assert len({log.checkpoint() for log in logs}) == 1
    for log in logs:
        log.close()


@pytest.mark.e2e
@settings(max_examples=20, deadline=None)
@given(
    batches=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    scheme=st.sampled_from([*BACKENDS, "postgresql"]),
)
def test_any_batch_sequence_keeps_every_receipt_valid(
    postgres_database: str, batches: list[int], scheme: str
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        if scheme == "postgresql":  # a new log (origin) in the shared database
            origin = f"{ORIGIN}/{uuid.uuid4().hex}"
            log = open_ledger(postgres_database, log_key=KEY, origin=origin)
        else:
            log = open_ledger(_url(scheme, Path(directory)), log_key=KEY, origin=ORIGIN)
        reference, receipts, start = MerkleTree(), [], 0
        for count in batches:
            data = leaves(start, count)
            receipts.extend(log.append(data))
            reference.extend(leaf_hash(d) for d in data)
            start += count
        final = log.checkpoint()
        head = open_checkpoint(final, [log.verifier]).checkpoint
        assert head.root_hash == reference.root()
        for r in receipts:
            assert verify_receipt(r, log.verifier).ok
            old = open_checkpoint(r.checkpoint, [log.verifier]).checkpoint
            assert audit(
                r.checkpoint, final, log.prove_consistency(old.size, head.size), log.verifier
            ).ok
        log.close()


# ---------------------------------------------------------------- URLs and the registry


@pytest.mark.parametrize(
    ("url", "error", "code"),
    [
        ("ftp://x", LedgerError, "ledger.backend_unknown"),
        ("evm+http://127.0.0.1:8545", InvalidInputError, "evm.url_invalid"),
        ("evm+http://127.0.0.1:8545?contract=0x12", InvalidInputError, "evm.url_invalid"),
        ("no scheme", InvalidInputError, "ledger.url_invalid"),
        (":memory:", InvalidInputError, "ledger.url_invalid"),
        ("memory:foo", InvalidInputError, "ledger.url_invalid"),
        ("sqlite:", InvalidInputError, "ledger.url_invalid"),
        ("sqlite://host/x.db", InvalidInputError, "ledger.url_invalid"),
        ("sqlite:///x.db?mode=ro", InvalidInputError, "ledger.url_invalid"),
        ("sqlite:///x%ff.db", InvalidInputError, "ledger.url_invalid"),
        (42, InvalidInputError, "ledger.url_invalid"),
    ],
)
def test_bad_urls(url: Any, error: type[DidGovError], code: str) -> None:
    with pytest.raises(error) as info:
        open_ledger(url, log_key=KEY, origin=ORIGIN)
    assert info.value.code == code


def test_url_options_and_origin() -> None:
    with pytest.raises(LedgerError) as info:
        open_ledger("memory:", log_key=KEY)
    assert info.value.code == "ledger.origin_required"
    with pytest.raises(InvalidInputError) as option:
        open_ledger("memory:", log_key=KEY, origin=ORIGIN, colour="blue")
    assert option.value.code == "ledger.option_unknown"
    with pytest.raises(InvalidInputError) as name:
        open_ledger("MEMORY://", log_key=KEY, origin="has space")
    assert name.value.code == "note.name_invalid"


def test_sqlite_url_paths(tmp_path: Path) -> None:
    from did_gov.ledger.sqlite import sqlite_path

    assert sqlite_path("sqlite:///var/lib/log.db") == "/var/lib/log.db"
    assert sqlite_path("sqlite:relative/log.db") == "relative/log.db"
    assert sqlite_path("sqlite:///tmp/a%20b.db") == "/tmp/a b.db"
    log = open_ledger(
        f"sqlite://{tmp_path}/with%20space.db", log_key=KEY, origin=ORIGIN, busy_timeout=1
    )
    log.close()
    assert (tmp_path / "with space.db").exists()


def test_register_a_backend() -> None:
    from did_gov.ledger import register_backend
    from did_gov.ledger.memory import MemoryLedger

    def opener(url: str, *, log_key: Any, origin: str | None = None, **_: Any) -> MemoryLedger:
        return MemoryLedger(origin or "test.example/log", log_key)

    register_backend("test+mem", opener)
    log = open_ledger("test+mem://anything", log_key=KEY)
    assert log.origin == "test.example/log"
    with pytest.raises(InvalidInputError):
        register_backend("Bad Scheme", opener)
