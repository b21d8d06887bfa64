"""``did-gov kiosk`` as a real process: a wallet over HTTP, usage errors, SIGHUP reload."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from did_gov.testing.server import CliServer
from did_gov.trust import TrustStore
from tests.kiosk._world import (
    World,
    answer,
    fetch_request,
    http,
    new_session,
    result,
)

pytestmark = pytest.mark.e2e


def test_kiosk_serves_a_wallet_end_to_end(tmp_path: Path) -> None:
    world = World(tmp_path)
    args = ["kiosk", "--bundle", str(world.bundle_path), "--root", str(world.root_path)]
    with CliServer.start(args) as server:
        session = new_session(server.url)
        assert session["request_uri"].startswith(server.url + "/requests/")
        request = fetch_request(session["authorization_request"])
        status, body = answer(world, request, world.credential("di"), "di")
        assert (status, json.loads(body)) == (200, {})
        verdict = result(server.url, session["state"])
        assert verdict["status"] == "verified", verdict
        assert verdict["claims"]["vc-di"][0]["familyName"] == "Lovelace"
        status, _, page = http("GET", server.url + "/")
        assert status == 200
        assert b"<html" in page
    log = [json.loads(line) for line in server.output if line.startswith("{")]
    assert [e["event"] for e in log] == ["trust", "session", "verdict"]
    assert not any("Lovelace" in line for line in server.output)


def test_kiosk_public_url_names_the_request_and_response_uris(tmp_path: Path) -> None:
    world = World(tmp_path)
    args = [
        "kiosk",
        "--bundle",
        str(world.bundle_path),
        "--root",
        str(world.root_path),
        "--public-url",
        "https://kiosk.example.gov/counter-3",
    ]
    with CliServer.start(args) as server:
        session = new_session(server.url)
    assert session["request_uri"].startswith("https://kiosk.example.gov/counter-3/requests/")


@pytest.mark.parametrize(
    "extra",
    [[], ["--bundle", "b.json"], ["--store", "s", "--bundle", "b.json", "--root", "r.json"]],
    ids=["no trust", "bundle without root", "store and bundle"],
)
def test_kiosk_usage_errors(extra: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "did_gov", "kiosk", *extra, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2
    assert "did-gov: error:" in done.stderr


def test_kiosk_reloads_the_store_on_sighup(tmp_path: Path) -> None:
    world = World(tmp_path)
    store = tmp_path / "store"
    root = json.loads(world.root_path.read_text())
    TrustStore(store).install(world.bundle_path.read_bytes(), root, now=world.now)
    with CliServer.start(["kiosk", "--store", str(store)]) as server:
        status, _, body = http("GET", server.url + "/trust")
        assert (status, json.loads(body)["version"]) == (200, 1)
        from tests.kiosk.test_kiosk import _reversion

        _reversion(world, 2)
        TrustStore(store).install(world.bundle_path.read_bytes(), root, now=world.now)
        os.kill(server.pid, signal.SIGHUP)
        deadline = time.monotonic() + 30
        version = 1
        while version != 2 and time.monotonic() < deadline:
            version = json.loads(http("GET", server.url + "/trust")[2])["version"]
            time.sleep(0.05)
        assert version == 2
