"""Red-team attacks on the kiosk: each test is named after the attack it pins."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kiosk.test_kiosk import Clock, World, _app, _client, _post, _start

_FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("kiosk-attacks"))


@pytest.fixture
def clock(world: World) -> Clock:
    return Clock(world.now)


@pytest.mark.parametrize("where", ["bearer", "cookie"])
def test_attack_counter_token_guessing_is_rate_limited(
    world: World, clock: Clock, where: str
) -> None:
    app = _app(world, clock, counter_token="s3cret-token-0123456789")  # noqa: S106
    with _client(app, "192.0.2.7") as other:
        codes = []
        for i in range(80):
            if where == "bearer":
                answer = other.post("/sessions", headers={"authorization": f"Bearer guess{i}"})
            else:
                other.cookies.set("did_gov_kiosk", f"guess{i}")
                answer = other.post("/sessions")
            codes.append(answer.status_code)
    assert codes[0] == 403
    assert 429 in codes


@pytest.mark.parametrize(
    "body",
    [
        b"state=%zz&vp_token=%7B%7D",
        b"state=S&vp_token=%ff%fe",
        b"state=\xff&vp_token=1",
        b"state=S;vp_token={}",
        b"state=S&vp_token=" + b"%5B" * 5000,
        b"state=S&vp_token=%7B%22a%22%3A%5B1e999%5D%7D",
        b"&".join(b"a%d=1" % i for i in range(5000)),
        b"state=a&state=b&vp_token=%7B%7D",
    ],
)
def test_attack_malformed_direct_post_is_invalid_request(
    world: World, clock: Clock, body: bytes
) -> None:
    with _client(_app(world, clock)) as client:
        _, request = _start(client)
        answer = client.post("/response", content=body.replace(b"S", request["state"].encode()),
                             headers=_FORM)  # fmt: skip
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_request"}


@pytest.mark.parametrize(
    "text", [b"\xff\xfe", b"[1]", b'"str"', b"eyJhbGciOiJub25lIn0.e30.", b"x~" * 1000]
)
def test_attack_hostile_paste_is_a_rejection_not_a_crash(
    world: World, clock: Clock, text: bytes
) -> None:
    with _client(_app(world, clock)) as client:
        session, _ = _start(client)
        posted = client.post(f"/sessions/{session['state']}/presentation", content=text)
        assert posted.status_code in (200, 400)
        view = client.get(f"/sessions/{session['state']}/view").json()
        assert view["status"] in ("rejected", "pending")


def test_attack_garbage_under_every_query_id_is_rejected(world: World, clock: Clock) -> None:
    with _client(_app(world, clock)) as client:
        session, request = _start(client)
        vp_token: dict[str, Any] = {"vc-di": [{"a": 1}], "vc-jwt": ["x.y.z"], "sd-jwt": ["a~b~"]}
        assert _post(client, request["state"], vp_token).status_code == 200
        result = client.get(f"/sessions/{session['state']}").json()
        assert result["status"] == "rejected" and result["claims"] == {}
