"""Checks a stored ledger from scratch (sqlite file, PostgreSQL log): every subtree and checkpoint."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from did_gov.ledger import NoteVerifier, open_checkpoint
from did_gov.ledger._subtrees import STORED_FROM
from did_gov.ledger.merkle import MerkleTree, leaf_hash

Rows = Sequence[Sequence[Any]]


def _check_rows(leaves: Rows, nodes: Rows, notes: Rows, verifier: NoteVerifier) -> MerkleTree:
    """Assert ``(idx, leaf)``, ``(level, idx, hash)`` and ``(size, note)`` rows form a sound log."""
    assert [idx for idx, _ in leaves] == list(range(len(leaves))), "leaf indexes have gaps"
    tree = MerkleTree(leaf_hash(bytes(leaf)) for _, leaf in leaves)
    expected = {
        (level, i)
        for level in range(STORED_FROM, tree.size.bit_length())
        for i in range(tree.size >> level)
    }
    assert {(level, idx) for level, idx, _ in nodes} == expected, "subtree rows differ"
    for level, idx, value in nodes:
        assert bytes(value) == tree.node(level, idx), f"subtree ({level}, {idx}) is wrong"
    for size, note in notes:
        head = open_checkpoint(note, [verifier]).checkpoint
        assert head.size == size and head.root_hash == tree.root(size)
    return tree


def check_file(path: Path, verifier: NoteVerifier) -> MerkleTree:
    """Assert the file is a sound log; return the tree rebuilt from its leaves alone."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return _check_rows(
            db.execute("SELECT idx, leaf FROM leaves ORDER BY idx").fetchall(),
            db.execute("SELECT level, idx, hash FROM nodes").fetchall(),
            db.execute("SELECT size, note FROM checkpoints").fetchall(),
            verifier,
        )
    finally:
        db.close()


def check_database(url: str, origin: str, verifier: NoteVerifier) -> MerkleTree:
    """Assert the log ``origin`` in the PostgreSQL database is sound; return its rebuilt tree."""
    import psycopg

    with psycopg.connect(url) as db:
        (log_id,) = db.execute(
            "SELECT log_id FROM did_gov.ledger_logs WHERE origin = %s", (origin,)
        ).fetchone()
        return _check_rows(
            db.execute(
                "SELECT idx, leaf FROM did_gov.ledger_leaves WHERE log_id = %s ORDER BY idx",
                (log_id,),
            ).fetchall(),
            db.execute(
                "SELECT level, idx, hash FROM did_gov.ledger_nodes WHERE log_id = %s", (log_id,)
            ).fetchall(),
            db.execute(
                "SELECT size, note FROM did_gov.ledger_checkpoints WHERE log_id = %s", (log_id,)
            ).fetchall(),
            verifier,
        )
