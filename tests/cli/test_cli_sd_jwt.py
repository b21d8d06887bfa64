"""End to end: did-gov issue/present/verify with --format sd-jwt, in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", "CitizenCredential"],
    "issuer": "https://gov.example",
    "validFrom": "2025-01-01T00:00:00Z",
    "validUntil": "2035-01-01T00:00:00Z",
    "credentialSubject": {
        "givenName": "Ada",
        "birthDate": "1990-12-10",
        "ageOver18": True,
        "address": {"street": "1 Main St", "city": "Capital"},
    },
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "did_gov", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "vc": tmp_path / "vc.json",
        "issuer": tmp_path / "issuer.jwk",
        "holder": tmp_path / "holder.jwk",
        "issuer_pub": tmp_path / "issuer-pub.jwks",
        "sd": tmp_path / "vc.sd-jwt",
        "shown": tmp_path / "shown.sd-jwt",
    }
    paths["vc"].write_text(json.dumps(CREDENTIAL))
    assert run("key", "generate", "--type", "p256", "-o", str(paths["issuer"])).returncode == 0
    assert run("key", "generate", "--type", "ed25519", "-o", str(paths["holder"])).returncode == 0
    public = {k: v for k, v in json.loads(paths["issuer"].read_text()).items() if k != "d"}
    paths["issuer_pub"].write_text(json.dumps({"keys": [{**public, "kid": "gov-2025"}]}))
    return paths


def _issue(files: dict[str, Path], *extra: str) -> str:
    issued = run(
        "issue",
        str(files["vc"]),
        "--key",
        str(files["issuer"]),
        "--format",
        "sd-jwt",
        "--disclosable",
        "/credentialSubject/givenName",
        "--disclosable",
        "/credentialSubject/birthDate",
        "--disclosable",
        "/credentialSubject/ageOver18",
        "--holder-key",
        str(files["holder"]),
        *extra,
    )
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip()


def test_issue_present_verify_with_key_binding(files: dict[str, Path]) -> None:
    token = _issue(files)
    assert token.count("~") == 4
    files["sd"].write_text(token + "\n")
    shown = run(
        "present",
        str(files["sd"]),
        "--format",
        "sd-jwt",
        "--disclose",
        "/credentialSubject/ageOver18",
        "--key",
        str(files["holder"]),
        "--nonce",
        "n-42",
        "--audience",
        "https://kiosk.example",
    )
    assert shown.returncode == 0, shown.stderr
    files["shown"].write_text(shown.stdout)

    ok = run(
        "verify",
        str(files["shown"]),
        "--json",
        "--nonce",
        "n-42",
        "--audience",
        "https://kiosk.example",
        "--require-key-binding",
        "--trust-any-issuer",
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    line = json.loads(ok.stdout)
    assert line["verified"] is True
    assert line["format"] == "sd-jwt-vc"
    assert line["claims"]["ageOver18"] is True
    assert "birthDate" not in line["claims"]
    assert line["claims"]["iss"].startswith("did:key:")

    replay = run(
        "verify", str(files["shown"]), "--json", "--nonce", "n-43", "--audience",
        "https://kiosk.example",
     "--trust-any-issuer",)  # fmt: skip
    assert replay.returncode == 1
    assert [e["code"] for e in json.loads(replay.stdout)["errors"]] == ["sd_jwt.kb_nonce_mismatch"]

    human = run(
        "verify",
        str(files["shown"]),
        "--nonce",
        "n-42",
        "--audience",
        "https://kiosk.example",
        "--trust-any-issuer",
    )
    assert human.returncode == 0
    assert "VERIFIED (sd-jwt-vc)" in human.stdout
    assert '"ageOver18": true' in human.stdout


def test_non_did_issuer_with_jwk_file(files: dict[str, Path]) -> None:
    files["sd"].write_text(_issue(files, "--verification-method", "gov-2025"))
    without = run("verify", str(files["sd"]), "--json", "--trust-any-issuer")
    assert without.returncode == 1
    assert [e["code"] for e in json.loads(without.stdout)["errors"]] == ["issuer.key_unknown"]
    with_jwk = run(
        "verify",
        str(files["sd"]),
        "--json",
        "--jwk",
        str(files["issuer_pub"]),
        "--trust-any-issuer",
    )
    assert with_jwk.returncode == 0, with_jwk.stdout
    claims = json.loads(with_jwk.stdout)["claims"]
    assert claims["iss"] == "https://gov.example"
    assert claims["birthDate"] == "1990-12-10"
    strict = run(
        "verify",
        str(files["sd"]),
        "--jwk",
        str(files["issuer_pub"]),
        "--require-key-binding",
        "--trust-any-issuer",
    )
    assert strict.returncode == 1
    assert "no Key Binding JWT was presented" in strict.stdout


def test_usage_errors(files: dict[str, Path]) -> None:
    bad_path = run(
        "issue", str(files["vc"]), "--key", str(files["issuer"]), "--format", "sd-jwt",
        "--disclosable", "credentialSubject",
    )  # fmt: skip
    assert bad_path.returncode == 2
    assert "[sd_jwt.path_invalid]" in bad_path.stderr
    files["sd"].write_text(_issue(files))
    missing = run(
        "present", str(files["sd"]), "--format", "sd-jwt", "--disclose", "/nope",
    )  # fmt: skip
    assert missing.returncode == 2
    assert "[sd_jwt.path_not_found]" in missing.stderr
    no_kb_params = run(
        "present", str(files["sd"]), "--format", "sd-jwt", "--key", str(files["holder"]),
    )  # fmt: skip
    assert no_kb_params.returncode == 2
    assert "[sd_jwt.kb_params_missing]" in no_kb_params.stderr
    di_flags = run("issue", str(files["vc"]), "--key", str(files["issuer"]), "--disclosable", "/a")
    assert di_flags.returncode == 2
