"""The sqlite backend's own guarantees: durability settings, identity, append-only storage."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from did_gov.errors import InvalidInputError, LedgerError
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import verify_receipt
from did_gov.ledger.sqlite import SqliteLedger
from tests.ledger._integrity import check_file

ORIGIN = "did-gov.example/log/agency-a"
KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))


def leaves(start: int, count: int) -> list[bytes]:
    """Deterministic distinct 32-byte leaves."""
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(start, start + count)]


def test_wal_and_full_sync(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "log.db", KEY, origin=ORIGIN) as log:
        assert log._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert log._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with SqliteLedger(path, KEY, origin=ORIGIN) as log:
        receipts = log.append(leaves(0, 300))
        note = log.checkpoint()
    with SqliteLedger(path, KEY) as log:
        assert (log.origin, log.size(), log.checkpoint()) == (ORIGIN, 300, note)
        more = log.append(leaves(300, 5))
        assert more[0].index == 300
        assert all(verify_receipt(r, log.verifier).ok for r in receipts + more)
        assert log.receipt(299).leaf == receipts[299].leaf
    tree = check_file(path, log.verifier)
    assert tree.size == 305


def test_identity_is_pinned(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    SqliteLedger(path, KEY, origin=ORIGIN).close()
    cases = [
        (
            lambda: SqliteLedger(path, KEY, origin="did-gov.example/log/other"),
            "ledger.origin_mismatch",
        ),
        (lambda: SqliteLedger(path, PrivateKey.generate()), "ledger.key_mismatch"),
        (lambda: SqliteLedger(tmp_path / "new.db", KEY), "ledger.origin_required"),
    ]
    for open_it, code in cases:
        with pytest.raises(LedgerError) as info:
            open_it()
        assert info.value.code == code


def test_not_a_ledger_file(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('format', x'00')")
    db.commit()
    db.close()
    with pytest.raises(LedgerError) as info:
        SqliteLedger(other, KEY)
    assert info.value.code == "ledger.format_unsupported"
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all, " * 100)
    for path in (garbage, tmp_path):
        with pytest.raises(LedgerError) as failed:
            SqliteLedger(path, KEY, origin=ORIGIN)
        assert failed.value.code == "ledger.open_failed"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE leaves SET leaf = zeroblob(32) WHERE idx = 0",
        "DELETE FROM leaves WHERE idx = 1",
        "UPDATE nodes SET hash = zeroblob(32)",
        "DELETE FROM checkpoints",
        "UPDATE meta SET value = x'00' WHERE key = 'origin'",
    ],
)
def test_storage_is_append_only(tmp_path: Path, statement: str) -> None:
    path = tmp_path / "log.db"
    with SqliteLedger(path, KEY, origin=ORIGIN) as log:
        log.append(leaves(0, 40))
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(statement)
    db.close()


def test_sqlite_failures_are_wrapped(tmp_path: Path) -> None:
    log = SqliteLedger(tmp_path / "log.db", KEY, origin=ORIGIN)
    log._db.close()
    with pytest.raises(LedgerError) as info:
        log.append(leaves(0, 1))
    assert info.value.code == "ledger.backend_failed"
    assert "ProgrammingError" in info.value.message


def test_reader_serves_checkpoints_and_proofs_without_the_key(tmp_path: Path) -> None:
    from did_gov.ledger import audit
    from did_gov.ledger.sqlite import SqliteLogReader

    path = tmp_path / "log.db"
    with SqliteLedger(path, KEY, origin=ORIGIN) as log:
        log.append(leaves(0, 37))
        old = log.checkpoint()
        log.append(leaves(37, 100))
        new = log.checkpoint()
        expected = log.receipt(40)
        proof = log.prove_consistency(37, 137)
    with SqliteLogReader(path) as reader:
        assert (reader.origin, reader.size(), reader.verifier.vkey) == (
            ORIGIN,
            137,
            log.verifier.vkey,
        )
        assert reader.checkpoint() == new
        assert reader.prove_consistency(37, 137) == proof
        assert reader.receipt(40) == expected
        assert reader.receipt(3, old) == log_receipt_at(path, 3, old)
        assert audit(old, reader.checkpoint(), proof, reader.verifier).ok
        for bad in ((40, 38), (-1, 137), (0, 138)):
            with pytest.raises(InvalidInputError) as info:
                reader.prove_consistency(*bad)
            assert info.value.code == "ledger.out_of_range"
        with pytest.raises(LedgerError) as failed:
            reader.receipt(0, SqliteLedger(tmp_path / "other.db", KEY, origin=ORIGIN).checkpoint())
        assert failed.value.code in {"ledger.checkpoint_foreign", "ledger.node_missing"}


def log_receipt_at(path: Path, index: int, note: str) -> object:
    with SqliteLedger(path, KEY) as log:
        return log.receipt(index, note)


def test_reader_refuses_what_is_not_a_log(tmp_path: Path) -> None:
    from did_gov.ledger.sqlite import SqliteLogReader

    SqliteLedger(tmp_path / "empty.db", KEY, origin=ORIGIN).close()
    with SqliteLogReader(tmp_path / "empty.db") as reader, pytest.raises(LedgerError) as info:
        reader.checkpoint()
    assert info.value.code == "ledger.no_checkpoint"
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all, " * 100)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE meta(key TEXT, value BLOB)").connection.commit()
    for path, code in [
        (tmp_path / "missing.db", "ledger.open_failed"),
        (garbage, "ledger.open_failed"),
        (other, "ledger.format_unsupported"),
    ]:
        with pytest.raises(LedgerError) as failed:
            SqliteLogReader(path)
        assert failed.value.code == code
