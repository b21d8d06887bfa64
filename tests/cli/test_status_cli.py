"""End to end: an agency's revoke-and-publish cycle with `did-gov status`, then `verify --status-list`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from did_gov.cli import UsageError
from did_gov.cli._status import parse_duration
from tests.cli.test_cli import run

pytestmark = pytest.mark.e2e

URL = "https://gov.example/status/revocation/1"
CID = "urn:uuid:9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
UNSIGNED = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": CID,
    "type": ["VerifiableCredential"],
    "issuer": "did:example:replaced",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:citizen", "name": "Ada"},
}


def ok(*args: str) -> str:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_revoke_publish_verify_cycle(tmp_path: Path) -> None:
    reg, key, lst = tmp_path / "status.db", tmp_path / "agency.jwk", tmp_path / "list.json"
    ok("key", "generate", "--seed", "01" * 32, "-o", str(key))
    created = json.loads(
        ok("status", "create", str(reg), "--list-url", URL, "--purpose", "revocation")
    )
    assert (created["size"], created["purpose"]) == (131072, "revocation")
    (tmp_path / "unsigned.json").write_text(json.dumps(UNSIGNED))
    ok(
        "status",
        "allocate",
        str(reg),
        "--credential",
        str(tmp_path / "unsigned.json"),
        "-o",
        str(tmp_path / "with-status.json"),
    )
    entry = json.loads((tmp_path / "with-status.json").read_text())["credentialStatus"]
    assert json.loads(ok("status", "allocate", str(reg), CID)) == entry, "idempotent"
    assert entry["statusListCredential"] == URL
    vc = ok(
        "issue",
        str(tmp_path / "with-status.json"),
        "--key",
        str(key),
        "--created",
        "2025-06-01T00:00:00Z",
    )
    (tmp_path / "vc.json").write_text(vc)

    ok(
        "status",
        "publish",
        str(reg),
        "--key",
        str(key),
        "--at",
        "2025-06-01T00:00:00Z",
        "-o",
        str(lst),
    )
    verify = (
        "verify",
        str(tmp_path / "vc.json"),
        "--status-list",
        str(lst),
        "--json",
        "--trust-any-issuer",
    )
    fresh = run(*verify, "--at", "2025-06-01T01:00:00Z")
    assert fresh.returncode == 0, fresh.stdout
    assert [c["name"] for c in json.loads(fresh.stdout)["checks"]][-2:] == ["status_value", "trust"]

    assert "now 1" in ok("status", "revoke", str(reg), "--credential", str(tmp_path / "vc.json"))
    ok(
        "status",
        "publish",
        str(reg),
        "--key",
        str(key),
        "--at",
        "2025-06-01T00:10:00Z",
        "--valid-for",
        "12h",
        "--ttl",
        "6h",
        "-o",
        str(lst),
    )
    listed = json.loads(lst.read_text())
    assert (listed["validUntil"], listed["credentialSubject"]["ttl"]) == (
        "2025-06-01T12:10:00Z",
        6 * 3600 * 1000,
    )
    revoked = run(*verify, "--at", "2025-06-01T01:00:00Z")
    assert revoked.returncode == 1
    assert [e["code"] for e in json.loads(revoked.stdout)["errors"]] == ["status.revoked"]

    stale = run(*verify, "--at", "2025-06-01T07:00:00Z")
    assert [e["code"] for e in json.loads(stale.stdout)["errors"]] == [
        "status.list_stale",
        "status.revoked",
    ]
    offline = run(
        "verify",
        str(tmp_path / "vc.json"),
        "--at",
        "2025-06-01T01:00:00Z",
        "--json",
        "--trust-any-issuer",
    )
    assert offline.returncode == 1
    assert json.loads(offline.stdout)["errors"][0]["code"] == "status.list_unavailable"

    undo = run("status", "reinstate", str(reg), CID)
    assert undo.returncode == 2 and "[status.irreversible]" in undo.stderr
    with sqlite3.connect(reg) as db:
        rows = db.execute("SELECT credential_hash, value FROM entries").fetchall()
    assert len(rows) == 1 and rows[0][1] == 1 and CID.encode() not in rows[0][0]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.e2e)])
def registry_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where ``status create`` puts a registry: a new file, or a PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "s.db")


def test_suspend_and_reinstate(tmp_path: Path, registry_at: str) -> None:
    reg, key, lst = registry_at, tmp_path / "k.jwk", tmp_path / "list.json"
    ok("key", "generate", "--seed", "02" * 32, "-o", str(key))
    ok("status", "create", str(reg), "--list-url", URL, "--purpose", "suspension")
    (tmp_path / "u.json").write_text(json.dumps(UNSIGNED))
    (tmp_path / "u2.json").write_text(
        ok("status", "allocate", str(reg), "--credential", str(tmp_path / "u.json"))
    )
    (tmp_path / "vc.json").write_text(ok("issue", str(tmp_path / "u2.json"), "--key", str(key)))
    ok("status", "suspend", str(reg), CID)
    ok("status", "publish", str(reg), "--key", str(key), "-o", str(lst))
    suspended = run(
        "verify", str(tmp_path / "vc.json"), "--status-list", str(lst), "--trust-any-issuer"
    )
    assert suspended.returncode == 1 and "status_value" in suspended.stdout
    assert "now 0" in ok("status", "reinstate", str(reg), CID)
    ok("status", "publish", str(reg), "--key", str(key), "-o", str(lst))
    assert (
        run(
            "verify", str(tmp_path / "vc.json"), "--status-list", str(lst), "--trust-any-issuer"
        ).returncode
        == 0
    )


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a revocation registry r.db in which CID is allocated."""
    where = tmp_path_factory.mktemp("usage")
    ok("status", "create", str(where / "r.db"), "--list-url", URL, "--purpose", "revocation")
    ok("status", "allocate", str(where / "r.db"), CID)
    return where


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("status", "revoke", "{dir}/missing.db", CID), "no status registry"),
        (
            (
                "status",
                "create",
                "{dir}/x.db",
                "--list-url",
                "not a url",
                "--purpose",
                "revocation",
            ),
            "[status.invalid_argument]",
        ),
        (("status", "allocate", "{dir}/r.db"), "CREDENTIAL_ID or --credential"),
        (("status", "revoke", "{dir}/r.db", "urn:uuid:never"), "[status.unknown_credential]"),
        (("status", "suspend", "{dir}/r.db", CID), "[status.purpose_mismatch]"),
        (
            ("status", "create", "{dir}/r.db", "--list-url", URL, "--purpose", "revocation"),
            "already exists",
        ),
    ],
)
def test_usage_errors_exit_2(shared: Path, args: tuple[str, ...], needle: str) -> None:
    done = run(*(a.replace("{dir}", str(shared)) for a in args))
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_durations() -> None:
    assert parse_duration("1d12h", "--ttl").total_seconds() == 36 * 3600
    assert parse_duration("90s", "--ttl").total_seconds() == 90
    for bad in ("", "1w", "h", "-1d"):
        with pytest.raises(UsageError, match="not a duration"):
            parse_duration(bad, "--ttl")


@pytest.mark.e2e
def test_a_database_holds_several_lists(postgres_url: str) -> None:
    for url, purpose in ((URL, "revocation"), (URL + "/s", "suspension")):
        ok("status", "create", postgres_url, "--list-url", url, "--purpose", purpose)
    again = run("status", "create", postgres_url, "--list-url", URL, "--purpose", "revocation")
    assert again.returncode == 2 and "already holds" in again.stderr
    ambiguous = run("status", "allocate", postgres_url, CID)
    assert ambiguous.returncode == 2 and "status.invalid_argument" in ambiguous.stderr
    entry = json.loads(ok("status", "allocate", postgres_url, CID, "--list-url", URL + "/s"))
    assert entry["statusPurpose"] == "suspension"
    assert "now 1" in ok("status", "suspend", postgres_url, CID, "--list-url", URL + "/s")
    unknown = run("status", "revoke", postgres_url, CID, "--list-url", URL)
    assert unknown.returncode == 2 and "status.unknown_credential" in unknown.stderr
