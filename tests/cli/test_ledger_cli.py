"""End to end: the ledger verbs and ``did-gov anchor`` in real subprocesses, forks included."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VECTORS

pytestmark = pytest.mark.e2e

ORIGIN = "did-gov.example/log/agency-a"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "did_gov", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


def ok(*args: str, stdin: str | None = None) -> str:
    done = run(*args, stdin=stdin)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def hashes(tag: str, count: int) -> list[str]:
    return [hashlib.sha256(f"{tag}/{i}".encode()).hexdigest() for i in range(count)]


class Log:
    """One log driven through the command: a sqlite file ``name``, or a database ``url``."""

    def __init__(self, directory: Path, name: str, key: Path, url: str | None = None) -> None:
        self.dir = directory
        self.url = url or f"sqlite:///{directory / name}"
        self.path = directory / name
        self.key = key

    def args(self) -> list[str]:
        return ["--ledger", self.url, "--key", str(self.key)]

    def append(self, leaves: list[str]) -> list[dict[str, Any]]:
        out = ok("ledger", "append", *leaves, *self.args())
        return [json.loads(line) for line in out.splitlines()]

    def checkpoint(self, name: str) -> Path:
        path = self.dir / name
        path.write_text(ok("ledger", "checkpoint", *self.args()))
        return path


def _initialized(tmp_path: Path, url: str | None = None) -> Log:
    key = tmp_path / "log.jwk"
    ok("key", "generate", "--seed", "07" * 32, "-o", str(key))
    ledger = Log(tmp_path, "log.db", key, url)
    vkey = ok("ledger", "init", "--origin", ORIGIN, *ledger.args()).strip()
    assert vkey.startswith(ORIGIN + "+")
    (tmp_path / "log.vkey").write_text(vkey + "\n")
    assert ok("ledger", "init", "--origin", ORIGIN, *ledger.args()).strip() == vkey
    return ledger


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Log:
    """A new log on each backend the command can write and read without extra options."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return _initialized(tmp_path, url)


@pytest.fixture
def sqlite_log(tmp_path: Path) -> Log:
    """A new sqlite log (a file the test can copy)."""
    return _initialized(tmp_path)


def test_append_prove_and_verify_receipts_offline(log: Log) -> None:
    receipts = log.append(hashes("a", 5))
    assert [r["index"] for r in receipts] == [0, 1, 2, 3, 4]
    more = log.append(hashes("b", 2))
    assert more[0]["index"] == 5
    (log.dir / "r0.json").write_text(json.dumps(receipts[0]))
    fresh = json.loads(ok("ledger", "prove", "--index", "0", *log.args()))
    (log.dir / "r0-fresh.json").write_text(json.dumps(fresh))
    assert fresh["leaf"] == receipts[0]["leaf"] and "\n7\n" in fresh["checkpoint"]
    vkey = str(log.dir / "log.vkey")
    out = ok(
        "ledger",
        "verify-receipt",
        str(log.dir / "r0.json"),
        str(log.dir / "r0-fresh.json"),
        "--log-key",
        vkey,
        "--json",
    )
    assert [json.loads(line)["code"] for line in out.splitlines()] == ["receipt.valid"] * 2
    receipts[0]["index"] = 1
    (log.dir / "bad.json").write_text(json.dumps(receipts[0]))
    bad = run("ledger", "verify-receipt", str(log.dir / "bad.json"), "--log-key", vkey)
    assert bad.returncode == 1 and "receipt.inclusion_invalid" in bad.stdout


def test_stdin_hashes_and_usage_errors(sqlite_log: Log) -> None:
    log = sqlite_log  # parsing does not depend on the backend
    out = ok("ledger", "append", "-", *log.args(), stdin="\n".join(hashes("s", 3)) + "\n")
    assert len(out.splitlines()) == 3
    for bad in (["zz"], ["ab" * 31]):
        done = run("ledger", "append", *bad, *log.args())
        assert done.returncode == 2 and "did-gov: error:" in done.stderr
    for url, code in (
        ("ipfs://127.0.0.1:1/log", "ledger.backend_unknown"),
        ("evm+http://127.0.0.1:1?contract=0x0", "evm.url_invalid"),
    ):
        refused = run("anchor", str(log.key), "--ledger", url, "--key", str(log.key))
        assert refused.returncode == 2 and f"[{code}]" in refused.stderr, refused.stderr
    other = log.dir / "other.jwk"
    ok("key", "generate", "--seed", "08" * 32, "-o", str(other))
    wrong = run("ledger", "checkpoint", "--ledger", log.url, "--key", str(other))
    assert wrong.returncode == 2 and "[ledger.key_mismatch]" in wrong.stderr


def test_honest_growth_passes_audit(log: Log) -> None:
    log.append(hashes("a", 3))
    old = log.checkpoint("old.note")
    log.append(hashes("b", 4))
    new = log.checkpoint("new.note")
    vkey = str(log.dir / "log.vkey")
    proof = log.dir / "proof.json"
    proof.write_text(
        ok("ledger", "prove", "--consistency", str(old), "--checkpoint", str(new), *log.args())
    )
    assert json.loads(proof.read_text())["oldSize"] == 3
    out = ok(
        "ledger", "audit", str(old), str(new), "--log-key", vkey, "--proof", str(proof), "--json"
    )
    assert json.loads(out)["code"] == "audit.consistent"
    assert "audit.consistent" in ok(
        "ledger", "audit", str(old), str(new), "--log-key", vkey, *log.args()
    )
    log.append(hashes("c", 1))
    latest = json.loads(ok("ledger", "audit", str(old), "--log-key", vkey, *log.args(), "--json"))
    assert latest["code"] == "audit.consistent" and "from 3 to 8" in latest["message"]
    # An auditor holds no private key: a sqlite or postgresql log is read, never written.
    keyless = ["--ledger", log.url]
    assert ok("ledger", "checkpoint", *keyless) == ok("ledger", "checkpoint", *log.args())
    audited = json.loads(ok("ledger", "audit", str(old), "--log-key", vkey, *keyless, "--json"))
    assert audited["code"] == "audit.consistent"
    fresh = json.loads(ok("ledger", "prove", "--index", "2", *keyless))
    assert fresh["index"] == 2 and fresh["checkpoint"] == ok("ledger", "checkpoint", *keyless)
    memory = run("ledger", "checkpoint", "--ledger", "memory:")
    assert memory.returncode == 2 and "only a sqlite: or postgresql:" in memory.stderr
    missing = run("ledger", "audit", str(old), "--log-key", vkey, "--proof", str(proof))
    assert missing.returncode == 2 and "latest checkpoint" in missing.stderr
    back = run("ledger", "audit", str(new), str(old), "--log-key", vkey, "--proof", str(proof))
    assert back.returncode == 1 and "audit.rollback" in back.stdout


def test_audit_detects_a_forked_and_a_rewritten_log(sqlite_log: Log) -> None:
    log = sqlite_log
    log.append(hashes("a", 3))
    old = log.checkpoint("old.note")
    shutil.copy(log.path, log.dir / "fork.db")
    fork = Log(log.dir, "fork.db", log.key)  # the operator keeps a second history, same key
    log.append(hashes("honest", 2))
    fork.append(hashes("evil", 2))
    honest5, fork5 = log.checkpoint("honest5.note"), fork.checkpoint("fork5.note")
    vkey = str(log.dir / "log.vkey")
    # Both extend the old checkpoint, but two signed trees of size 5 differ: a fork.
    for which in (log, fork):
        assert "audit.consistent" in ok(
            "ledger",
            "audit",
            str(old),
            str(log.dir / "honest5.note" if which is log else fork5),
            "--log-key",
            vkey,
            *which.args(),
        )
    done = run(
        "ledger", "audit", str(honest5), str(fork5), "--log-key", vkey, *fork.args(), "--json"
    )
    assert done.returncode == 1 and json.loads(done.stdout)["code"] == "audit.fork"
    # A rewritten history: same origin and key, other leaves from the start.
    rewritten = Log(log.dir, "rewritten.db", log.key)
    ok("ledger", "init", "--origin", ORIGIN, *rewritten.args())
    rewritten.append(hashes("rewritten", 8))
    new = rewritten.checkpoint("rewritten.note")
    proof = log.dir / "rewritten-proof.json"
    proof.write_text(
        ok(
            "ledger",
            "prove",
            "--consistency",
            str(honest5),
            "--checkpoint",
            str(new),
            *rewritten.args(),
        )
    )
    done = run(
        "ledger",
        "audit",
        str(honest5),
        str(new),
        "--log-key",
        vkey,
        "--proof",
        str(proof),
        "--json",
    )
    assert done.returncode == 1 and json.loads(done.stdout)["code"] == "audit.inconsistent"
    # A checkpoint signed by another key is refused outright.
    other = log.dir / "other.jwk"
    ok("key", "generate", "--seed", "09" * 32, "-o", str(other))
    impostor = Log(log.dir, "impostor.db", other)
    ok("ledger", "init", "--origin", ORIGIN, *impostor.args())
    impostor.append(hashes("x", 6))
    fake = impostor.checkpoint("fake.note")
    done = run(
        "ledger", "audit", str(old), str(fake), "--log-key", vkey, "--proof", str(proof), "--json"
    )
    assert (
        done.returncode == 1 and json.loads(done.stdout)["code"] == "audit.new_checkpoint_invalid"
    )


def test_anchor_credentials_and_documents_then_verify(sqlite_log: Log) -> None:
    log = sqlite_log  # anchoring opens the log as append does, which runs on postgresql above
    issuer = log.dir / "issuer.jwk"
    ok("key", "generate", "--seed", "05" * 32, "-o", str(issuer))
    vc = log.dir / "vc.json"
    vc.write_text(
        ok(
            "issue",
            str(VECTORS / "eddsa" / "unsigned.json"),
            "--key",
            str(issuer),
            "--created",
            "2025-01-01T00:00:00Z",
        )
    )
    minutes = log.dir / "minutes.txt"
    minutes.write_bytes(b"Public consultation, 3 May: 41 comments received.\n")
    lines = ok("anchor", str(vc), str(minutes), *log.args()).splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["receipt"]["anchor"]["kind"] for r in rows] == ["credential", "document"]
    (log.dir / "minutes.receipt.json").write_text(json.dumps(rows[1]["receipt"]))
    vkey = str(log.dir / "log.vkey")
    out = ok(
        "ledger",
        "verify-receipt",
        str(log.dir / "minutes.receipt.json"),
        "--log-key",
        vkey,
        "--document",
        str(minutes),
    )
    assert "VALID [receipt.valid]" in out
    minutes.write_bytes(b"Public consultation, 3 May: 4 comments received.\n")
    done = run(
        "ledger",
        "verify-receipt",
        str(log.dir / "minutes.receipt.json"),
        "--log-key",
        vkey,
        "--document",
        str(minutes),
    )
    assert done.returncode == 1 and "receipt.content_mismatch" in done.stdout

    envelope = log.dir / "anchored.json"
    envelope.write_text(ok("anchor", str(vc), "--envelope", *log.args()))
    assert json.loads(envelope.read_text())["type"] == "AnchoredCredential"
    assert "receipt.valid" in ok("ledger", "verify-receipt", str(envelope), "--log-key", vkey)
    vkey_text = (log.dir / "log.vkey").read_text().strip()
    report = json.loads(
        ok(
            "verify",
            str(envelope),
            "--json",
            "--log-key",
            vkey_text,
            "--require-anchor",
            "--trust-any-issuer",
        )
    )
    assert report["verified"] and report["checks"][-1]["name"] == "anchor"
    untrusted = run("verify", str(envelope), "--json", "--require-anchor", "--trust-any-issuer")
    assert untrusted.returncode == 1 and "anchor.log_untrusted" in untrusted.stdout
    bare = run(
        "verify",
        str(vc),
        "--json",
        "--log-key",
        vkey_text,
        "--require-anchor",
        "--trust-any-issuer",
    )
    assert bare.returncode == 1 and "anchor.required" in bare.stdout
