"""End to end: every `--key` takes a `pkcs11:` URI, so issuing (each format), `status publish` and
ledger checkpoints sign inside a real PKCS#11 token (SoftHSM2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from did_gov.keys import KeyType
from did_gov.ledger import NoteVerifier, open_checkpoint
from tests.conftest import VECTORS

pytestmark = pytest.mark.e2e

ORIGIN = "gov.example/hsm-cli-log"


def run(hsm: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "did_gov", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
        env={**os.environ, **hsm.env()},
    )


def ok(hsm: Any, *args: str) -> str:
    done = run(hsm, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def uris(softhsm: Any) -> dict[str, str]:
    return {
        "ed25519": softhsm.generate(KeyType.ED25519, "cli-ed25519"),
        "p256": softhsm.generate(KeyType.P256, "cli-p256"),
        "p384": softhsm.generate(KeyType.P384, "cli-p384"),
    }


@pytest.mark.parametrize("kind", ["ed25519", "p256", "p384"])
@pytest.mark.parametrize("fmt", ["di", "vc-jwt", "sd-jwt"])
def test_issue_with_an_hsm_key_then_verify(
    softhsm: Any, uris: dict[str, str], tmp_path: Path, kind: str, fmt: str
) -> None:
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text((VECTORS / "eddsa" / "unsigned.json").read_text())
    extra = ["--vct", "https://gov.example/identity"] if fmt == "sd-jwt" else []
    out = ok(softhsm, "issue", str(unsigned), "--key", uris[kind], "--format", fmt, *extra)
    (tmp_path / "vc").write_text(out)
    verified = run(softhsm, "verify", str(tmp_path / "vc"), "--trust-any-issuer")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_key_show_reads_the_public_key_from_the_token(softhsm: Any, uris: dict[str, str]) -> None:
    shown = json.loads(ok(softhsm, "key", "show", uris["p256"]))
    assert shown["keyType"] == "P-256"
    assert shown["didKey"].startswith("did:key:zDn")
    assert ok(softhsm, "key", "show", uris["p256"], "--hash").strip() == shown["preRotationHash"]


def test_status_publish_with_an_hsm_key(softhsm: Any, uris: dict[str, str], tmp_path: Path) -> None:
    registry = str(tmp_path / "status.db")
    url = "https://gov.example/status/hsm-cli"
    ok(softhsm, "status", "create", registry, "--list-url", url, "--purpose", "revocation")
    unsigned = json.loads((VECTORS / "eddsa" / "unsigned.json").read_text())
    unsigned["id"] = "urn:uuid:3d0b4c53-46a4-4d4c-a1f7-3f5ad54d8a10"
    (tmp_path / "unsigned.json").write_text(json.dumps(unsigned))
    with_status = ok(
        softhsm, "status", "allocate", registry, "--credential", str(tmp_path / "unsigned.json")
    )
    (tmp_path / "with-status.json").write_text(with_status)
    vc = ok(softhsm, "issue", str(tmp_path / "with-status.json"), "--key", uris["p256"])
    (tmp_path / "vc.json").write_text(vc)
    ok(softhsm, "status", "revoke", registry, "--credential", str(tmp_path / "vc.json"))
    listed = tmp_path / "list.json"
    ok(softhsm, "status", "publish", registry, "--key", uris["p256"], "-o", str(listed))
    report = run(
        softhsm,
        "verify",
        str(tmp_path / "vc.json"),
        "--status-list",
        str(listed),
        "--json",
        "--trust-any-issuer",
    )
    assert report.returncode == 1
    assert "status.revoked" in report.stdout  # the HSM-signed list was verified and read


def test_ledger_checkpoints_signed_in_the_hsm(
    softhsm: Any, uris: dict[str, str], tmp_path: Path
) -> None:
    ledger = ["--ledger", f"sqlite:///{tmp_path / 'log.db'}", "--key", uris["ed25519"]]
    vkey = ok(softhsm, "ledger", "init", "--origin", ORIGIN, *ledger).strip()
    ok(softhsm, "ledger", "append", "ab" * 32, "cd" * 32, *ledger)
    note = ok(softhsm, "ledger", "checkpoint", *ledger)
    opened = open_checkpoint(note, [NoteVerifier.from_vkey(vkey)])
    assert opened.checkpoint.size == 2


def test_a_wrong_pin_is_refused_with_a_code(
    softhsm: Any, uris: dict[str, str], tmp_path: Path
) -> None:
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text((VECTORS / "eddsa" / "unsigned.json").read_text())
    done = subprocess.run(
        [sys.executable, "-m", "did_gov", "issue", str(unsigned), "--key", uris["p256"]],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
        env={**os.environ, **softhsm.env(), "DID_GOV_PKCS11_PIN": "0000"},
    )
    assert done.returncode == 2
    assert "[pkcs11.pin_incorrect]" in done.stderr


def test_holder_key_in_the_hsm_binds_an_sd_jwt(
    softhsm: Any, uris: dict[str, str], tmp_path: Path
) -> None:
    """`--holder-key` takes a `pkcs11:` URI like every `--key`: the token's key goes into `cnf`
    and the same token signs the KB-JWT."""
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text((VECTORS / "eddsa" / "unsigned.json").read_text())
    issuer = tmp_path / "issuer.jwk"
    ok(softhsm, "key", "generate", "--type", "ed25519", "-o", str(issuer))
    token = ok(
        softhsm, "issue", str(unsigned), "--key", str(issuer), "--format", "sd-jwt",
        "--vct", "https://gov.example/identity", "--holder-key", uris["p256"],
    )  # fmt: skip
    (tmp_path / "vc").write_text(token)
    shown = ok(
        softhsm, "present", str(tmp_path / "vc"), "--format", "sd-jwt", "--key", uris["p256"],
        "--nonce", "n-1", "--audience", "kiosk",
    )  # fmt: skip
    (tmp_path / "shown").write_text(shown)
    verified = run(
        softhsm, "verify", str(tmp_path / "shown"), "--trust-any-issuer", "--nonce", "n-1",
        "--audience", "kiosk", "--require-key-binding",
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
