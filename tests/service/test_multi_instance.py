"""Two ``did-gov serve`` instances on one PostgreSQL: shared state, and faults under load.

Each fault test puts at most ~10 s of load on the service. What must hold: every
acknowledged issuance (201) is durable — its status entry is in the registry with the index
the holder was given, its anchor receipt's leaf is in the log at its index — and no status
index ever serves two credentials.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from did_gov.keys import PrivateKey
from did_gov.ledger import merkle, open_checkpoint
from did_gov.ledger.checkpoint import NoteVerifier
from did_gov.service._auth import token_digest
from did_gov.testing.postgres import PostgresServer
from did_gov.testing.server import CliServer
from tests.service.conftest import unsigned

pytestmark = pytest.mark.e2e

TOKEN = "operator-token-0123456789abcdef"  # noqa: S105 - a test token
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = "agency.example/log"
STATUS = {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def agency(pg: PostgresServer, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """An agency.toml pointing at a fresh database of the module's server."""
    database = pg.create_database(f"agency_{abs(hash(request.node.name)) % 10**8}")
    (tmp_path / "keys").mkdir()
    PrivateKey.generate("ed25519").save(tmp_path / "keys" / "issuer.json")
    log_key = PrivateKey.generate("ed25519")
    log_key.save(tmp_path / "keys" / "log.json")
    (tmp_path / "log.vkey").write_text(NoteVerifier(ORIGIN, log_key.public_key).vkey)
    scopes = '["credentials:issue", "credentials:status", "credentials:verify", "exchanges"]'
    (tmp_path / "agency.toml").write_text(
        f"""
[service]
public_url = "https://agency.example"
database = "{database}"

[ledger]
key = "keys/log.json"
origin = "{ORIGIN}"

[[issuers]]
name = "agency"
key = "keys/issuer.json"

[trust]
any_issuer = true

[[auth.tokens]]
name = "operator"
sha256 = "{token_digest(TOKEN).hex()}"
scopes = {scopes}
""",
        encoding="utf-8",
    )
    return tmp_path / "agency.toml"


def _start(config: Path) -> CliServer:
    return CliServer.start(["serve", "--config", str(config)])


def _issue(http: httpx.Client, anchor: bool = True) -> dict[str, Any] | None:
    """Issue one credential with a status entry (and an anchor); None if not acknowledged."""
    try:
        response = http.post(
            "/credentials/issue",
            json={"credential": unsigned(), "options": {**STATUS, "anchor": anchor}},
            headers=AUTH,
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 201:
        return None
    body: dict[str, Any] = response.json()
    return body


def _load(
    urls: list[str], seconds: float, workers: int = 8, at_least: int = 0
) -> list[dict[str, Any]]:
    """Issue from ``workers`` threads round-robin over ``urls`` for ``seconds`` — longer, up to
    10 s, until ``at_least`` were acknowledged (a loaded machine is slow); the 201 bodies."""
    acknowledged: list[dict[str, Any]] = []
    lock = threading.Lock()
    started = time.monotonic()

    def going() -> bool:
        elapsed = time.monotonic() - started
        return elapsed < seconds or (len(acknowledged) < at_least and elapsed < 10.0)

    def work(n: int) -> None:
        with httpx.Client(base_url=urls[n % len(urls)], timeout=60) as http:
            while going():
                body = _issue(http)
                if body is not None:
                    with lock:
                        acknowledged.append(body)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, range(workers)))
    return acknowledged


def _check_durable(url: str, acknowledged: list[dict[str, Any]], vkey: str) -> None:
    """Every acknowledged credential: a unique status index, its leaf in the log."""
    indexes = [
        int(b["verifiableCredential"]["credentialStatus"]["statusListIndex"]) for b in acknowledged
    ]
    assert len(set(indexes)) == len(indexes), "a status index was given to two credentials"
    leaves = [b["anchorReceipts"][0]["index"] for b in acknowledged]
    assert len(set(leaves)) == len(leaves), "a log index was given to two credentials"
    with httpx.Client(base_url=url, timeout=60) as http:
        note = http.get("/log/checkpoint").text
        head = open_checkpoint(note, [NoteVerifier.from_vkey(vkey)], origin=ORIGIN).checkpoint
        for body in acknowledged:
            receipt = body["anchorReceipts"][0]
            proof = http.get(f"/log/proofs/inclusion?index={receipt['index']}&size={head.size}")
            hashes = [base64.b64decode(h) for h in proof.json()["proof"]]
            leaf = merkle.leaf_hash(base64.b64decode(receipt["leaf"]))
            assert merkle.verify_inclusion(
                leaf, receipt["index"], head.size, hashes, head.root_hash
            )
        # the registry still holds each acknowledged entry: revoking it works (200), once
        for body in acknowledged[:: max(1, len(acknowledged) // 20)]:
            vc = body["verifiableCredential"]
            change = {"credentialId": vc["id"], "credentialStatus": STATUS["credentialStatus"],
                      "status": True}  # fmt: skip
            assert http.post("/credentials/status", json=change, headers=AUTH).status_code == 200
            report = http.post(
                "/credentials/verify", json={"verifiableCredential": vc}, headers=AUTH
            )
            assert report.status_code == 400


def test_two_instances_share_status_log_and_exchanges_state(agency: Path) -> None:
    vkey = (agency.parent / "log.vkey").read_text()
    with _start(agency) as a, _start(agency) as b:
        with (
            httpx.Client(base_url=a.url, timeout=60) as on_a,
            httpx.Client(base_url=b.url, timeout=60) as on_b,
        ):
            issued = _issue(on_a)
            assert issued is not None
            vc = issued["verifiableCredential"]
            assert (
                on_b.post(
                    "/credentials/verify", json={"verifiableCredential": vc}, headers=AUTH
                ).status_code
                == 200
            )
            change = {
                "credentialId": vc["id"],
                "credentialStatus": STATUS["credentialStatus"],
                "status": True,
            }
            assert on_a.post("/credentials/status", json=change, headers=AUTH).status_code == 200
            refused = on_b.post(
                "/credentials/verify", json={"verifiableCredential": vc}, headers=AUTH
            )
            assert refused.status_code == 400
            assert (
                "status.revoked" in {e["code"] for e in refused.json()["errors"]}
                or not refused.json()["verified"]
            )
            list_url = vc["credentialStatus"]["statusListCredential"].removeprefix(
                "https://agency.example"
            )
            assert on_a.get(list_url).json() == on_b.get(list_url).json()
        acknowledged = [issued, *_load([a.url, b.url], seconds=3, at_least=10)]
        assert len(acknowledged) > 10
        _check_durable(b.url, acknowledged, vkey)


def test_sigkill_an_instance_mid_issuance(agency: Path) -> None:
    vkey = (agency.parent / "log.vkey").read_text()
    with _start(agency) as a, _start(agency) as b:
        killer = threading.Timer(2.0, a.kill)
        killer.start()
        acknowledged = _load([a.url, b.url], seconds=5, at_least=10)
        killer.join()
        assert a.process.returncode is not None
        assert len(acknowledged) >= 10
        with _start(agency) as again:  # the killed instance's replacement: no manual step
            more = _load([again.url], seconds=1, workers=2, at_least=1)
            _check_durable(b.url, acknowledged + more, vkey)


def test_postgresql_restart_mid_load(agency: Path, pg: PostgresServer) -> None:
    vkey = (agency.parent / "log.vkey").read_text()
    with _start(agency) as a:
        restarter = threading.Timer(1.5, pg.restart, kwargs={"down_for": 1.0})
        restarter.start()
        acknowledged = _load([a.url], seconds=6, workers=4, at_least=5)
        restarter.join()
        after = _load([a.url], seconds=1, workers=2, at_least=1)
        assert after, "the instance did not recover after PostgreSQL came back"
        _check_durable(a.url, acknowledged + after, vkey)
