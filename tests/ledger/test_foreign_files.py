"""The sqlite ledger and the status registry never alter a file they then refuse.

Attacks and accidents named: an application database with a ``meta`` table (it used to
gain did_gov tables, triggers on its own ``meta`` and WAL mode before being refused), a
0-byte or foreign file taken over as a new, empty log (a truncated ledger silently
restarted at size 0 is a fork of the log), and a status registry opened as a ledger (a
``TypeError``) or a ledger opened as a registry.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from did_gov.errors import DidGovError, LedgerError, StatusError
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger.sqlite import SqliteLedger, SqliteLogReader
from did_gov.status import StatusRegistry

ORIGIN = "did-gov.example/log/agency-a"
KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))
URL = "https://gov.example/status/1"


def _open_ledger(path: Path) -> object:
    return SqliteLedger(path, KEY, origin=ORIGIN)


def _open_registry(path: Path) -> object:
    return StatusRegistry.open(path, list_url=URL, purpose="revocation")


OPENERS: dict[str, tuple[Callable[[Path], object], type[DidGovError], str]] = {
    "ledger": (_open_ledger, LedgerError, "ledger.format_unsupported"),
    "registry": (_open_registry, StatusError, "status.registry_open_failed"),
}


def _fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's bytes (hashed) and every file beside it: what a refusal must not change."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(
        p.name for p in path.parent.iterdir()
    )


def _app_database(path: Path) -> Path:
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '7')")
        db.execute("CREATE TABLE citizens(id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO citizens(name) VALUES ('Ada')")
    db.close()
    return path


def _refused_untouched(kind: str, path: Path) -> DidGovError:
    opener, error, code = OPENERS[kind]
    before = _fingerprint(path)
    with pytest.raises(error) as info:
        opener(path)
    assert info.value.code == code
    assert _fingerprint(path) == before
    return info.value


@pytest.mark.parametrize("kind", sorted(OPENERS))
def test_app_database_with_a_meta_table_is_refused_and_left_byte_identical(
    kind: str, tmp_path: Path
) -> None:
    path = _app_database(tmp_path / "app.db")
    error = _refused_untouched(kind, path)
    assert "another application" in error.message
    db = sqlite3.connect(path)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    db.close()
    assert tables == {"meta", "citizens", "sqlite_autoindex_meta_1"}
    assert mode == "delete"  # not switched to WAL


@pytest.mark.parametrize("kind", sorted(OPENERS))
def test_zero_byte_file_is_not_taken_over_as_a_new_log(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "truncated.db"
    path.write_bytes(b"")
    error = _refused_untouched(kind, path)
    assert "empty file" in error.message
    assert path.stat().st_size == 0


@pytest.mark.parametrize("kind", sorted(OPENERS))
def test_foreign_database_without_meta_is_not_taken_over(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE things(x)")
    db.commit()
    db.close()
    _refused_untouched(kind, path)


def test_status_registry_opened_as_a_ledger_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "status.db"
    _open_registry(path).close()  # type: ignore[attr-defined]
    error = _refused_untouched("ledger", path)
    assert "status registry" in error.message
    with pytest.raises(LedgerError) as info:
        SqliteLogReader(path)
    assert info.value.code == "ledger.format_unsupported"
    assert "status registry" in info.value.message


def test_ledger_opened_as_a_status_registry_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with SqliteLedger(path, KEY, origin=ORIGIN) as log:
        log.append([bytes(32)])
    error = _refused_untouched("registry", path)
    assert "ledger" in error.message
    with SqliteLedger(path, KEY) as log:  # and the ledger is intact
        assert log.size() == 1


@pytest.mark.parametrize(
    "create",
    [
        lambda path: SqliteLedger(path, KEY, origin="bad\norigin"),
        lambda path: SqliteLedger(path, KEY),
        lambda path: StatusRegistry.open(path, list_url=URL, purpose="revocation", size=7),
        lambda path: StatusRegistry.open(path, list_url=URL),
    ],
    ids=["ledger-bad-origin", "ledger-no-origin", "registry-bad-size", "registry-no-purpose"],
)
def test_a_refused_creation_leaves_no_empty_file_behind(
    create: Callable[[Path], object], tmp_path: Path
) -> None:
    """Else the next, corrected, attempt would find a 0-byte file and (rightly) refuse it."""
    path = tmp_path / "new.db"
    with pytest.raises(DidGovError):
        create(path)
    assert not path.exists()


def test_new_files_are_still_created_and_reopened(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "log.db", KEY, origin=ORIGIN) as log:
        log.append([bytes(32)])
    with SqliteLedger(tmp_path / "log.db", KEY) as log:
        assert log.size() == 1
    _open_registry(tmp_path / "status.db").close()  # type: ignore[attr-defined]
    StatusRegistry.open(tmp_path / "status.db").close()
