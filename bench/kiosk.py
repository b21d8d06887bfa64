"""Kiosk figures (issue 13 §6): the server-side time from a wallet's post to the verdict, and 50
concurrent sessions against the real ``did-gov kiosk`` process.

``figures(rounds)`` is collected by ``bench/run.py`` (``python -m bench --only kiosk``).
The post → verdict time is the ASGI app handling ``POST /response`` in process (form
parsing, session lookup, verification with the request, recording the verdict) for a
1-credential Data Integrity presentation; its baseline is ``Verifier.verify`` alone on the
same presentations, so the ratio is the kiosk's overhead. The wallet's work (signing) is
done before the clock starts. The world (trust authority, ministry, holder, bundle) is
the kiosk tests' (``tests/kiosk/_world.py``).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench._harness import Figure, measure
from did_gov.kiosk import create_app
from did_gov.testing.server import CliServer
from did_gov.trust._oid4vp import request_for_query
from tests.kiosk._world import World, answer, fetch_request, new_session, result

CONCURRENT = 50


async def _post(app: Any, body: bytes) -> int:
    """One ``POST /response`` through the ASGI app; the status it answered."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/response",
        "raw_path": b"/response",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"kiosk.bench"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("192.0.2.1", 40000),
        "server": ("kiosk.bench", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _post_to_verdict(world: World, rounds: int) -> Figure:
    app = create_app(
        public_url="http://kiosk.bench", bundle=world.bundle_path, root=world.root_path
    )
    kiosk = app.kiosk
    loop = asyncio.new_event_loop()
    credential = world.credential("di")
    prepared: list[tuple[bytes, Any, Any]] = []
    for _ in range(2 * (rounds + 20)):
        session, _url = kiosk.new_session()
        vp = world.presentation(credential, "di", session.nonce, kiosk.client_id)
        body = urlencode({"vp_token": json.dumps({"vc-di": [vp]}), "state": session.state})
        prepared.append((body.encode(), vp, request_for_query(session.request, "vc-di")))
    posts: Iterator[tuple[bytes, Any, Any]] = iter(prepared[: len(prepared) // 2])
    bare: Iterator[tuple[bytes, Any, Any]] = iter(prepared[len(prepared) // 2 :])
    verifier = kiosk.trust.verifier
    assert verifier is not None

    def post() -> None:
        body, _, _ = next(posts)
        assert loop.run_until_complete(_post(app, body)) == 200

    def verify_only() -> None:
        _, vp, request = next(bare)
        assert verifier.verify(vp, request=request).verified

    try:
        return measure(
            "kiosk: wallet post → verdict, 1-credential DI presentation (server side; "
            "baseline: Verifier.verify alone)",
            post,
            verify_only,
            rounds=rounds,
            target="p50 ≤ 20 ms",
        )
    finally:
        loop.close()


def _concurrent(world: World) -> Figure:
    """``CONCURRENT`` wallets at once against the real process; every one must be verified.

    One batch: the counter's ``POST /sessions`` is rate-limited per client (bursts of 60),
    and all these wallets' sessions come from this one loopback client.
    """
    args = ["kiosk", "--bundle", str(world.bundle_path), "--root", str(world.root_path)]
    credentials = [world.credential("di") for _ in range(CONCURRENT)]
    times: list[float] = []
    with CliServer.start(args) as server:

        def one(credential: Any) -> str:
            session = new_session(server.url)
            request = fetch_request(session["authorization_request"])
            status, _ = answer(world, request, credential, "di")
            assert status == 200
            return str(result(server.url, session["state"])["status"])

        with ThreadPoolExecutor(CONCURRENT) as pool:
            for _ in range(1):
                start = time.perf_counter()
                verdicts = list(pool.map(one, credentials))
                times.append(time.perf_counter() - start)
                if verdicts.count("verified") != CONCURRENT:
                    raise AssertionError(f"not every session verified: {verdicts}")
    ordered = sorted(times)
    return Figure(
        f"kiosk: {CONCURRENT} concurrent wallet sessions, all verified, no error (whole batch)",
        ordered[len(ordered) // 2],
        ordered[-1],
        target=f"{CONCURRENT}/{CONCURRENT} verified",
    )


def figures(rounds: int) -> list[Figure]:
    """The kiosk figures."""
    with tempfile.TemporaryDirectory() as directory:
        world = World(Path(directory))
        return [_post_to_verdict(world, rounds), _concurrent(world)]
