"""End to end: did-gov issue/present/verify with VC-JOSE tokens, in a real subprocess."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import run
from tests.conftest import VECTORS

pytestmark = pytest.mark.e2e
SUITE = VECTORS / "vc-jose-cose"


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    for name, kind, seed in (("issuer", "p256", "01"), ("holder", "ed25519", "02")):
        out = tmp_path / f"{name}.jwk"
        result = run("key", "generate", "--type", kind, "--seed", seed * 32, "-o", str(out))
        assert result.returncode == 0, result.stderr
    (tmp_path / "unsigned.json").write_text((SUITE / "credential-minimal.json").read_text())
    return tmp_path


def test_issue_present_verify_vc_jwt(keys: Path) -> None:
    issued = run(
        "issue",
        str(keys / "unsigned.json"),
        "--key",
        str(keys / "issuer.jwk"),
        "--format",
        "vc-jwt",
    )
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token
    (keys / "vc.jwt").write_text(issued.stdout)

    presented = run(
        "present",
        str(keys / "vc.jwt"),
        "--key",
        str(keys / "holder.jwk"),
        "--format",
        "vc-jwt",
        "--challenge",
        "n-1",
        "--domain",
        "kiosk.example",
    )
    assert presented.returncode == 0, presented.stderr
    (keys / "vp.jwt").write_text(presented.stdout)

    verified = run(
        "verify",
        str(keys / "vc.jwt"),
        str(keys / "vp.jwt"),
        "--json",
        "--challenge",
        "n-1",
        "--domain",
        "kiosk.example",
        "--no-subject-binding",  # the example credential's subject is not the holder
        "--trust-any-issuer",
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    vc_line, vp_line = _lines(verified.stdout)
    assert (vc_line["format"], vp_line["format"]) == ("vc-jwt", "vp-jwt")
    assert vp_line["credentials"][0]["format"] == "vc-jwt"
    assert vc_line["verified"] and vp_line["verified"]

    replay = run(
        "verify",
        str(keys / "vp.jwt"),
        "--json",
        "--nonce",
        "n-2",
        "--no-subject-binding",
        "--trust-any-issuer",
    )
    assert replay.returncode == 1
    assert [e["code"] for e in _lines(replay.stdout)[0]["errors"]] == ["jose.nonce_mismatch"]


def test_verify_detects_each_format(keys: Path) -> None:
    common = ("--key", str(keys / "issuer.jwk"), "--created", "2025-01-01T00:00:00Z")
    di = run("issue", str(keys / "unsigned.json"), *common)
    jwt = run("issue", str(keys / "unsigned.json"), *common, "--format", "vc-jwt")
    (keys / "a.json").write_text(di.stdout)
    (keys / "b.jwt").write_text(jwt.stdout)
    result = run(
        "verify", str(keys / "a.json"), str(keys / "b.jwt"), "--json", "--trust-any-issuer"
    )
    assert result.returncode == 0, result.stdout
    assert [line["format"] for line in _lines(result.stdout)] == ["vc-di", "vc-jwt"]


def test_tampered_token_fails(keys: Path) -> None:
    issued = run(
        "issue",
        str(keys / "unsigned.json"),
        "--key",
        str(keys / "issuer.jwk"),
        "--format",
        "vc-jwt",
    )
    head, payload, sig = issued.stdout.strip().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["degree"]["name"] = "Doctor of Forgery"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    (keys / "forged.jwt").write_text(f"{head}.{forged}.{sig}\n")
    result = run("verify", str(keys / "forged.jwt"), "--json", "--trust-any-issuer")
    assert result.returncode == 1
    assert "signature.invalid" in {e["code"] for e in _lines(result.stdout)[0]["errors"]}


def test_verify_suite_token_with_jwk_and_jwks(tmp_path: Path) -> None:
    vm = json.loads((SUITE / "vm-p256.json").read_text())
    (tmp_path / "issuer.jwk").write_text(json.dumps(vm["publicKeyJwk"]))
    others = [
        json.loads((SUITE / f"vm-{n}.json").read_text())["publicKeyJwk"] for n in ("p384", "p521")
    ]
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [*others, vm["publicKeyJwk"]]}))
    token = str(SUITE / "credential-jose-minimal.txt")

    without = run("verify", token, "--json", "--trust-any-issuer")
    assert without.returncode == 1
    key_check = next(c for c in _lines(without.stdout)[0]["checks"] if c["name"] == "key")
    assert key_check["code"] == "issuer.key_unknown" and key_check["indeterminate"]

    for flag in ("issuer.jwk", "jwks.json"):
        result = run("verify", token, "--jwk", str(tmp_path / flag), "--trust-any-issuer")
        assert result.returncode == 0, result.stdout
        assert "VERIFIED (vc-jwt)" in result.stdout

    bad_media = run(
        "verify", str(SUITE / "credential-jose-bad-media-type.txt"), "--json", "--trust-any-issuer"
    )
    assert bad_media.returncode == 1
    assert [e["code"] for e in _lines(bad_media.stdout)[0]["errors"]] == ["jose.typ_invalid"]


def test_jwk_usage_errors_exit_2(tmp_path: Path) -> None:
    token = str(SUITE / "credential-jose-minimal.txt")
    (tmp_path / "not-a-jwk.json").write_text('{"hello": 1}')
    private = json.loads((SUITE / "vm-p256.json").read_text())["secretKeyJwk"]
    (tmp_path / "private.jwk").write_text(json.dumps(private))
    for path in ("missing.json", "not-a-jwk.json", "private.jwk"):
        result = run("verify", token, "--jwk", str(tmp_path / path), "--trust-any-issuer")
        assert result.returncode == 2, (path, result.stdout)
        assert result.stderr.startswith("did-gov: error:")


def test_format_is_checked(keys: Path) -> None:
    result = run(
        "issue", str(keys / "unsigned.json"), "--key", str(keys / "issuer.jwk"), "--format", "x"
    )
    assert result.returncode == 2
    misuse = run(
        "issue",
        str(keys / "unsigned.json"),
        "--key",
        str(keys / "issuer.jwk"),
        "--disclosable",
        "credentialSubject.degree",
    )
    assert misuse.returncode == 2
    assert "disclosable" in misuse.stderr
