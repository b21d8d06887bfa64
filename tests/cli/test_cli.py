"""End to end: the did-gov command in a real subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VECTORS

pytestmark = pytest.mark.e2e


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "did_gov", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    unsigned = json.loads((VECTORS / "eddsa" / "unsigned.json").read_text())
    (tmp_path / "unsigned.json").write_text(json.dumps(unsigned))
    return tmp_path


@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_generate_issue_present_verify(workdir: Path, key_type: str) -> None:
    issuer_key, holder_key = workdir / "issuer.jwk", workdir / "holder.jwk"
    assert run("key", "generate", "--type", key_type, "-o", str(issuer_key)).returncode == 0
    assert issuer_key.stat().st_mode & 0o077 == 0
    assert (
        run(
            "key", "generate", "--type", "ed25519", "--seed", "00" * 32, "-o", str(holder_key)
        ).returncode
        == 0
    )

    issued = run(
        "issue",
        str(workdir / "unsigned.json"),
        "--key",
        str(issuer_key),
        "--created",
        "2025-01-01T00:00:00Z",
    )
    assert issued.returncode == 0, issued.stderr
    vc = json.loads(issued.stdout)
    assert vc["issuer"].startswith("did:key:")
    assert vc["proof"]["created"] == "2025-01-01T00:00:00Z"
    (workdir / "vc.json").write_text(issued.stdout)

    presented = run(
        "present",
        str(workdir / "vc.json"),
        "--key",
        str(holder_key),
        "--challenge",
        "c1",
        "--domain",
        "d.example",
    )
    assert presented.returncode == 0, presented.stderr
    (workdir / "vp.json").write_text(presented.stdout)

    check = ("--json", "--challenge", "c1", "--domain", "d.example")
    stolen = run("verify", str(workdir / "vp.json"), *check, "--trust-any-issuer")
    assert stolen.returncode == 1  # the holder is not the credential's subject
    assert json.loads(stolen.stdout)["errors"][0]["code"] == "subject.holder_mismatch"
    verified = run(
        "verify",
        str(workdir / "vc.json"),
        str(workdir / "vp.json"),
        *check,
        "--no-subject-binding",
        "--trust-any-issuer",
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lines = [json.loads(line) for line in verified.stdout.splitlines()]
    assert [line["format"] for line in lines] == ["vc-di", "vp-di"]
    for line in lines:
        assert set(line) >= {"file", "verified", "format", "checks", "errors"}
        assert line["verified"] is True and line["errors"] == []

    replay = run(
        "verify",
        str(workdir / "vp.json"),
        "--json",
        "--challenge",
        "other",
        "--domain",
        "d.example",
        "--trust-any-issuer",
    )
    assert replay.returncode == 1
    assert any(e["code"] == "proof.challenge_mismatch" for e in json.loads(replay.stdout)["errors"])


def test_verify_the_official_vector_and_a_tampered_copy(tmp_path: Path) -> None:
    """The W3C vector's proof verifies, but its issuer (an https URL) is not the key's controller."""
    signed: dict[str, Any] = json.loads(
        (VECTORS / "eddsa/eddsa-rdfc-2022/signedDataInt.json").read_text()
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps(signed))
    signed["credentialSubject"]["alumniOf"] = "The School of Forgery"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(signed))
    result = run("verify", str(good), str(bad), "--json", "--trust-any-issuer")
    assert result.returncode == 1
    good_line, bad_line = (json.loads(line) for line in result.stdout.splitlines())
    good_checks = {c["name"]: c for c in good_line["checks"]}
    assert good_checks["proof"]["ok"] is True
    # The vector's issuer is an https URL: a did:key proof cannot bind it (specs/verification.md §4).
    assert {e["code"] for e in good_line["errors"]} == {"issuer.unbound"}
    assert "signature.invalid" in {e["code"] for e in bad_line["errors"]}


def test_verify_at_checks_validity_window(tmp_path: Path) -> None:
    vc = tmp_path / "vc.json"
    vc.write_text((VECTORS / "eddsa/eddsa-rdfc-2022/signedDataInt.json").read_text())
    early = run("verify", str(vc), "--at", "2022-06-01T00:00:00Z", "--json", "--trust-any-issuer")
    assert early.returncode == 1
    assert "credential.not_yet_valid" in {e["code"] for e in json.loads(early.stdout)["errors"]}


def test_usage_and_unreadable_input_exit_2(tmp_path: Path) -> None:
    assert run("verify", str(tmp_path / "missing.json"), "--trust-any-issuer").returncode == 2
    assert run("verify", "--trust-any-issuer").returncode == 2
    assert run("key", "generate", "--type", "rsa").returncode == 2
    not_a_key = tmp_path / "k.json"
    not_a_key.write_text("{}")
    (tmp_path / "u.json").write_text("{}")
    result = run("issue", str(tmp_path / "u.json"), "--key", str(not_a_key))
    assert result.returncode == 2
    assert "key.invalid" in result.stderr


def test_garbage_is_a_verification_failure_not_a_crash(tmp_path: Path) -> None:
    garbage = tmp_path / "g.json"
    garbage.write_bytes(b'{"@context": [1, {')
    result = run("verify", str(garbage), "--json", "--trust-any-issuer")
    assert result.returncode == 1
    assert json.loads(result.stdout)["verified"] is False
    assert "Traceback" not in result.stderr


def test_did_resolve() -> None:
    did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    result = run("did", "resolve", did, "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["id"] == did
    assert run("did", "resolve", "did:web:example.com").returncode == 2
    assert run("did", "resolve", "not-a-did").returncode == 2
