"""End to end: did-gov verify --request REQUEST.json, in a real subprocess."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from did_gov import issue, present
from did_gov.dids import did_key
from did_gov.keys import PrivateKey
from tests.cli.test_cli import run

pytestmark = pytest.mark.e2e

GOV = PrivateKey.from_seed("ed25519", bytes([31]) * 32)
CITIZEN = PrivateKey.from_seed("ed25519", bytes([32]) * 32)
TRUST = ("--trust-any-issuer",)  # issuer trust is not what these tests are about
NONCE, CLIENT = "n-cli-1", "decentralized_identifier:did:web:kiosk.example.gov"
REQUEST = {
    "dcql_query": {
        "credentials": [
            {
                "id": "citizen",
                "format": "ldp_vc",
                "meta": {
                    "type_values": [
                        ["https://www.w3.org/ns/credentials/examples#CitizenCredential"]
                    ]
                },
                "claims": [{"path": ["credentialSubject", "givenName"]}],
            }
        ]
    },
    "nonce": NONCE,
    "client_id": CLIENT,
}


def _vp(nonce: str) -> dict[str, Any]:
    vc = issue(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2",
            ],
            "type": ["VerifiableCredential", "CitizenCredential"],
            "issuer": did_key.did_for_public_key(GOV.public_key),
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {
                "id": did_key.did_for_public_key(CITIZEN.public_key),
                "givenName": "Ada",
            },
        },
        GOV,
    )
    return present([vc], CITIZEN, challenge=nonce, domain=CLIENT)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    bad = copy.deepcopy(REQUEST)
    bad["dcql_query"]["credentials"][0]["format"] = "mso_mdoc"
    contents = {
        "request": REQUEST,
        "vp": _vp(NONCE),
        "old": _vp("n-of-yesterday"),
        "bad": bad,
    }
    for name, value in contents.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(value))
    return {name: tmp_path / f"{name}.json" for name in contents}


def _report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[0])
    return report


def test_verify_with_request(files: dict[str, Path]) -> None:
    result = run("verify", str(files["vp"]), "--request", str(files["request"]), "--json", *TRUST)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = _report(result)["checks"]
    assert checks[-1]["name"] == "request" and checks[-1]["code"] == "ok"


def test_verify_with_request_refuses_a_replayed_presentation(files: dict[str, Path]) -> None:
    result = run("verify", str(files["old"]), "--request", str(files["request"]), "--json", *TRUST)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "proof.challenge_mismatch" in {e["code"] for e in _report(result)["errors"]}


def test_verify_with_a_malformed_request_is_a_usage_error(files: dict[str, Path]) -> None:
    result = run("verify", str(files["vp"]), "--request", str(files["bad"]), *TRUST)
    assert result.returncode == 2
    assert "request.format_unsupported" in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_request_with_challenge_is_a_usage_error(files: dict[str, Path]) -> None:
    result = run(
        "verify", str(files["vp"]), "--request", str(files["request"]), "--challenge", NONCE, *TRUST
    )
    assert result.returncode == 2
    assert "--request" in result.stderr
