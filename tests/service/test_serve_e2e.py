"""``did-gov serve`` end to end: a real uvicorn in a subprocess on a free loopback port."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from did_gov.keys import PrivateKey
from did_gov.testing.server import CliServer
from tests.service.conftest import unsigned

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    paths = {}
    for kind in ("ed25519", "p256", "p384"):
        paths[kind] = folder / f"{kind}.json"
        PrivateKey.generate(kind).save(paths[kind])
    return paths


@pytest.fixture(scope="module")
def server(keys: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliServer]:
    data = tmp_path_factory.mktemp("data")
    args = [
        "serve", "--no-auth", "--trust-any-issuer", "--data", str(data),
        "--issuer", f"ed={keys['ed25519']},cryptosuite=eddsa-rdfc-2022",
        "--issuer", f"edjcs={keys['ed25519']},cryptosuite=eddsa-jcs-2022",
        "--issuer", f"p256={keys['p256']},cryptosuite=ecdsa-rdfc-2019",
        "--issuer", f"p384={keys['p384']},cryptosuite=ecdsa-rdfc-2019",
    ]  # fmt: skip
    with CliServer.start(args) as running:
        yield running


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "did_gov", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("issuer", ["ed", "edjcs", "p256", "p384"])
def test_each_issuer_issues_and_the_service_verifies(server: CliServer, issuer: str) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        issued = http.post(f"/issuers/{issuer}/credentials/issue", json={"credential": unsigned()})
        assert issued.status_code == 201, issued.text
        vc = issued.json()["verifiableCredential"]
        report = http.post("/credentials/verify", json={"verifiableCredential": vc})
        assert report.status_code == 200, report.text
        assert report.json()["verified"] is True
        assert "WARNING: issuer trust not checked" in server.stderr()


def test_the_first_issuer_serves_credentials_issue(server: CliServer) -> None:
    body: dict[str, Any] = {"credential": unsigned()}
    vc = httpx.post(server.url + "/credentials/issue", json=body, timeout=30).json()
    assert vc["verifiableCredential"]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_attack_no_auth_off_loopback_is_refused(keys: dict[str, Path]) -> None:
    everywhere = "0.0.0.0"  # noqa: S104 - the address the command must refuse
    done = _serve("--no-auth", "--host", everywhere, "--port", "0", "--key", str(keys["ed25519"]))
    assert done.returncode == 2
    assert "--no-auth is refused on 0.0.0.0" in done.stderr


def test_attack_serving_without_auth_needs_saying_so(keys: dict[str, Path]) -> None:
    done = _serve("--port", "0", "--key", str(keys["ed25519"]))
    assert done.returncode == 2
    assert "--no-auth" in done.stderr


def test_an_issuer_whose_key_cannot_sign_its_cryptosuite_is_refused(keys: dict[str, Path]) -> None:
    spec = f"x={keys['p256']},cryptosuite=eddsa-rdfc-2022"
    done = _serve("--no-auth", "--port", "0", "--issuer", spec)
    assert done.returncode == 2
    assert "eddsa-rdfc-2022 does not sign with" in done.stderr


def test_sigterm_stops_the_server_gracefully(keys: dict[str, Path]) -> None:
    server = CliServer.start(["serve", "--no-auth", "--key", str(keys["ed25519"])])
    assert "state in" in server.stderr()  # the temporary folder is named at start
    # uvicorn shuts down, then re-raises the signal: killed by SIGTERM, not by the SIGKILL
    # the launcher sends after its grace period.
    assert server.stop(grace=30) == -signal.SIGTERM


def test_fetch_status_reads_another_services_list_over_http(
    keys: dict[str, Path], make_client: Any
) -> None:
    """``--fetch-status``: a list published by another service is fetched (off: unavailable)."""
    status = {
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
    }
    with CliServer.start(["serve", "--no-auth", "--key", str(keys["p256"])]) as other:
        issued = httpx.post(
            other.url + "/credentials/issue",
            json={"credential": unsigned(), "options": status},
            timeout=30,
        ).json()["verifiableCredential"]
        assert issued["credentialStatus"]["statusListCredential"].startswith(other.url)
        body = {"verifiableCredential": issued}
        offline = make_client().post("/credentials/verify", json=body)
        assert offline.status_code == 400
        assert "status.list_unavailable" in {e["code"] for e in offline.json()["errors"]}
        online = make_client(fetch_status=True).post("/credentials/verify", json=body)
        assert online.status_code == 200, online.text
