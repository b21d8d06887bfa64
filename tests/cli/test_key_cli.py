"""End to end: `did-gov key generate / show` and encrypted keys used by every verb."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from did_gov.dids import did_jwk, did_key
from did_gov.keys import load_private_key
from tests.conftest import VECTORS

pytestmark = pytest.mark.e2e

PASSPHRASE = "correct horse battery staple"  # noqa: S105 (a test passphrase)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "DID_GOV_KEY_PASSPHRASE"}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "did_gov", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,  # no terminal: the command must never wait on a prompt
        timeout=120,
        check=False,
        env=full,
    )


def test_generate_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "agency.jwk"
    assert run("key", "generate", "-o", str(path)).returncode == 0
    before = path.read_text()
    again = run("key", "generate", "-o", str(path))
    assert again.returncode == 2
    assert "[key.file_exists]" in again.stderr
    assert path.read_text() == before  # the key that signed yesterday's credentials survives
    assert run("key", "generate", "-o", str(path), "--force").returncode == 0
    assert path.read_text() != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_show_prints_dids_jwk_multikey_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "k.jwk"
    assert run("key", "generate", "--type", "p256", "-o", str(path)).returncode == 0
    public = load_private_key(path).public_key
    shown = run("key", "show", str(path))
    assert shown.returncode == 0, shown.stderr
    out = json.loads(shown.stdout)
    assert out["didKey"] == did_key.did_for_public_key(public)
    assert out["didJwk"] == did_jwk.did_for_public_key(public)
    assert out["publicKeyJwk"] == public.to_jwk()
    assert "d" not in out["publicKeyJwk"]
    assert out["publicKeyMultibase"] == public.to_multikey()
    assert out["keyType"] == "P-256"
    hashed = run("key", "show", str(path), "--hash")
    assert hashed.stdout == public.pre_rotation_hash() + "\n"
    (tmp_path / "pub.jwk").write_text(json.dumps(public.to_jwk()))
    from_public = run("key", "show", str(tmp_path / "pub.jwk"), "--hash")
    assert from_public.stdout == hashed.stdout  # a public JWK is enough to commit to a next key


def test_encrypted_key_signs_with_passphrase_file_or_environment(tmp_path: Path) -> None:
    pp = tmp_path / "pp"
    pp.write_text(PASSPHRASE + "\n")
    key = tmp_path / "agency.jwe"
    made = run("key", "generate", "--encrypt", "--passphrase-file", str(pp), "-o", str(key))
    assert made.returncode == 0, made.stderr
    assert '"d"' not in key.read_text()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text((VECTORS / "eddsa" / "unsigned.json").read_text())

    no_pass = run("issue", str(unsigned), "--key", str(key))
    assert no_pass.returncode == 2
    assert "[key.passphrase_required]" in no_pass.stderr

    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase, sorry\n")
    bad = run("issue", str(unsigned), "--key", str(key), "--passphrase-file", str(wrong))
    assert bad.returncode == 2
    assert "[key.passphrase_invalid]" in bad.stderr

    by_file = run("issue", str(unsigned), "--key", str(key), "--passphrase-file", str(pp))
    assert by_file.returncode == 0, by_file.stderr
    by_env = run(
        "issue", str(unsigned), "--key", str(key), env={"DID_GOV_KEY_PASSPHRASE": PASSPHRASE}
    )
    assert by_env.returncode == 0, by_env.stderr
    (tmp_path / "vc.json").write_text(by_env.stdout)
    verified = run("verify", str(tmp_path / "vc.json"), "--trust-any-issuer")
    assert verified.returncode == 0, verified.stdout


def test_encrypt_without_a_passphrase_and_no_terminal_is_a_usage_error(tmp_path: Path) -> None:
    result = run("key", "generate", "--encrypt", "-o", str(tmp_path / "k.jwe"))
    assert result.returncode == 2
    assert "passphrase" in result.stderr
    assert not (tmp_path / "k.jwe").exists()


def test_weak_passphrase_is_refused(tmp_path: Path) -> None:
    pp = tmp_path / "pp"
    pp.write_text("hunter2\n")
    result = run("key", "generate", "--encrypt", "--passphrase-file", str(pp))
    assert result.returncode == 2
    assert "[key.passphrase_weak]" in result.stderr
