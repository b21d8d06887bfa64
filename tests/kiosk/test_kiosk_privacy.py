"""No personal data kept (issue 13 §4): many sessions with random claim values, then every file
the kiosk process wrote (its log, temp files, caches) and its output are scanned for any of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did_gov.testing.server import CliServer
from tests.kiosk._world import (
    FORMATS,
    QUERY_OF,
    World,
    fetch_request,
    new_session,
    post_response,
    result,
)

pytestmark = pytest.mark.e2e

VALUES = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd", "Lo")), min_size=12, max_size=24
)


def _traces(value: str) -> set[str]:
    """The forms a value could be written in: as is, JSON-escaped, UTF-8 bytes as latin-1."""
    return {value, json.dumps(value)[1:-1], value.encode("utf-8").decode("latin-1")}


def _segments(presentation: Any) -> set[str]:
    """Long pieces of a presentation (JWS/SD-JWT segments, proof values): never to be kept."""
    if isinstance(presentation, str):
        parts = presentation.replace("~", ".").split(".")
        return {p for p in parts if len(p) >= 24}
    text = json.dumps(presentation)
    found = set()
    for proof in [presentation.get("proof", {})] + [
        c.get("proof", {}) for c in presentation.get("verifiableCredential", [])
    ]:
        if isinstance(proof, dict) and isinstance(proof.get("proofValue"), str):
            found.add(proof["proofValue"])
    assert found, text
    return found


def test_kiosk_keeps_no_claim_value_anywhere(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for sub in ("tmp", "cache", "config", "run"):
        (home / sub).mkdir(parents=True)
    world = World(tmp_path)
    env = {
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    args = ["kiosk", "--bundle", str(world.bundle_path), "--root", str(world.root_path)]
    secrets: set[str] = set()
    seen = {"verified": 0, "rejected": 0}
    with CliServer.start(args, env=env, cwd=home / "run") as server:

        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(
            fmt=st.sampled_from(FORMATS),
            given_name=VALUES,
            family_name=VALUES,
            revoked=st.booleans(),
        )
        def one_session(fmt: str, given_name: str, family_name: str, revoked: bool) -> None:
            claims = {"givenName": given_name, "familyName": family_name}
            session = new_session(server.url)
            request = fetch_request(session["authorization_request"])
            credential = world.credential(fmt, claims=claims, revoked=revoked)
            presentation = world.presentation(
                credential, fmt, request["nonce"], request["client_id"]
            )
            status, _ = post_response(request, {QUERY_OF[fmt]: [presentation]})
            assert status == 200
            verdict = result(server.url, session["state"])
            seen[verdict["status"]] += 1
            if not revoked:  # the kiosk did see (and show) the values
                assert verdict["status"] == "verified", verdict
                shown = json.dumps(verdict["claims"], ensure_ascii=False)
                assert given_name in shown
            secrets.update(_traces(given_name) | _traces(family_name) | _segments(presentation))

        one_session()
        errors = server.stderr()
    output = "".join(server.output)
    assert seen["verified"] > 0
    assert sum(1 for line in server.output if '"event": "verdict"' in line) == sum(seen.values())
    written = {
        path: path.read_bytes().decode("utf-8", "replace")
        for path in home.rglob("*")
        if path.is_file()
    }
    for secret in secrets:
        assert secret not in output
        assert secret not in errors
        for path, text in written.items():
            assert secret not in text, f"{path} holds a claim value or presentation"
