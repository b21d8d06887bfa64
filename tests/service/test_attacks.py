"""Red-team attacks on the service: each test is named after the attack it pins.

Malformed access tokens must be 401 (never a 500), refused tokens count against the
caller's rate, tokens are only read from the Authorization header, and the holder's
exchange steps cannot be replayed or guessed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from did_gov._encoding import b64url_encode
from did_gov.proofs._jws import json_bytes
from tests.service.conftest import unsigned
from tests.service.test_auth import AS, AS_KEY, AUD, CLERK, _access_token, _auth, _bearer


def _issue(client: Any, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return client.post(
        "/credentials/issue", json={"credential": unsigned()}, headers=headers or {}, **params
    )


def _unsigned_jwt(header: Any, payload: Any) -> str:
    return f"{b64url_encode(json_bytes(header))}.{b64url_encode(json_bytes(payload))}.AAAA"


@pytest.fixture
def secured(make_client: Any) -> Any:
    return make_client(no_auth=False, auth=_auth())


_CLAIMS = {"iss": AS, "aud": AUD, "exp": 4102444800, "scope": "credentials:issue"}


@pytest.mark.parametrize(
    ("why", "token"),
    [
        ("alg a list", lambda: _unsigned_jwt({"alg": ["ES256"], "typ": "at+jwt"}, _CLAIMS)),
        ("alg an object", lambda: _unsigned_jwt({"alg": {"ES256": 1}, "typ": "at+jwt"}, _CLAIMS)),
        ("typ a list", lambda: _unsigned_jwt({"alg": "ES256", "typ": ["at+jwt"]}, _CLAIMS)),
        ("kid a list", lambda: _unsigned_jwt({"alg": "ES256", "typ": "at+jwt", "kid": [1]}, _CLAIMS)),
        ("header an array", lambda: _unsigned_jwt([1], _CLAIMS)),
        ("payload an array", lambda: _unsigned_jwt({"alg": "ES256", "typ": "at+jwt"}, [1])),
        ("exp beyond float", lambda: _access_token(exp=10**400)),
        ("nbf beyond float", lambda: _access_token(nbf=10**400)),
        ("iat beyond float", lambda: _access_token(iat=-(10**400))),
        ("exp 1e308: never expires", lambda: _access_token(exp=1e308)),
        ("aud an object", lambda: _access_token(aud={"aud": AUD})),
    ],
)  # fmt: skip
def test_attack_malformed_access_token_is_401_not_500(secured: Any, why: str, token: Any) -> None:
    response = _issue(secured, _bearer(token()))
    assert response.status_code == 401, (why, response.text)
    assert response.json()["code"] == "service.unauthorized"


def test_attack_hs256_with_the_public_key_as_secret_is_401(secured: Any) -> None:
    """Classic alg confusion: an HMAC over the token keyed with the server's public key."""
    import hashlib
    import hmac

    now = int(time.time())
    signing_input = (
        f"{b64url_encode(json_bytes({'alg': 'HS256', 'typ': 'at+jwt', 'kid': 'as-1'}))}."
        f"{b64url_encode(json_bytes({**_CLAIMS, 'iat': now, 'exp': now + 300}))}"
    )
    for secret in (AS_KEY.public_key.raw(), json.dumps(AS_KEY.public_key.to_jwk()).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        response = _issue(secured, _bearer(f"{signing_input}.{b64url_encode(mac)}"))
        assert response.status_code == 401


def test_attack_refused_tokens_are_rate_limited(make_client: Any) -> None:
    """Guessing tokens is not free: a refused token takes from the peer's bucket."""
    client = make_client(no_auth=False, auth=_auth(rate=0.001, burst=3))
    codes = [_issue(client, _bearer(f"guess-{i:020d}")).status_code for i in range(5)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    bad_jwts = [_issue(client, _bearer(_access_token(exp=1))).status_code for _ in range(2)]
    assert bad_jwts == [429, 429]


def test_attack_token_in_the_query_string_is_ignored(secured: Any) -> None:
    for name in ("access_token", "token", "authorization"):
        assert _issue(secured, params={name: CLERK}).status_code == 401
        assert _issue(secured, params={name: _access_token()}).status_code == 401


def test_attack_token_in_a_form_or_cookie_is_ignored(secured: Any) -> None:
    response = secured.post(
        "/credentials/issue",
        content=f"access_token={CLERK}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401
    secured.cookies.set("access_token", CLERK)
    assert _issue(secured).status_code == 401


def test_attack_x_forwarded_for_does_not_make_a_remote_caller_loopback(make_client: Any) -> None:
    from starlette.testclient import TestClient

    client = make_client()
    remote = TestClient(client.app, client=("203.0.113.9", 4000))
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        value = "for=127.0.0.1" if header == "Forwarded" else "127.0.0.1"
        response = remote.post(
            "/credentials/issue",
            json={"credential": unsigned()},
            headers={header: value, "Host": "127.0.0.1"},
        )
        assert response.status_code == 403, header


def test_attack_exchange_ids_are_unguessable_and_not_shared_across_workflows(
    make_client: Any,
) -> None:
    from tests.service.test_exchanges import AlumniWorkflow

    other = AlumniWorkflow()
    other.id = "other"
    client = make_client(workflows=[AlumniWorkflow(), other])
    created = client.post("/workflows/alumni/exchanges", json={}).json()
    exchange = created["exchangeId"]
    assert len(exchange) >= 22  # >= 128 bits of randomness
    wrong = client.post(f"/workflows/other/exchanges/{exchange}", json={})
    assert wrong.status_code == 404
    assert wrong.json()["code"] == "service.exchange_unknown"


def test_attack_invented_http_methods_do_not_grow_the_metrics(client: Any) -> None:
    """Each unknown method used to add a series to /metrics: memory grew without bound."""
    for i in range(50):
        assert client.request(f"M{i}", "/health").status_code == 405
    text = client.get("/metrics").text
    assert 'method="M1"' not in text
    assert 'method="OTHER",route="/health",status="405"} 50' in text


def test_attack_concurrent_replays_of_one_exchange_complete_once(make_client: Any) -> None:
    """Eight threads post the same presentation at once: one completes, seven get 409."""
    from concurrent.futures import ThreadPoolExecutor

    from did_gov.service import _exchange_api as exchanges
    from did_gov.service._exchanges import WorkflowResult

    class Counting:
        id = "counting"
        completed = 0

        def presentation_request(self, *, challenge: str, domain: str) -> dict[str, object]:
            return {"challenge": challenge, "domain": domain, "query": []}

        def dcql_query(self) -> dict[str, object] | None:
            return None

        def complete(self, presentation: object, *, challenge: str, domain: str) -> WorkflowResult:
            Counting.completed += 1
            return WorkflowResult(True, {"issued": True}, None, None, None)

    workflow = Counting()
    client = make_client(workflows=[workflow])
    state = client.app.state.service.state
    exchange_id = exchanges.create(state, workflow)["exchangeId"]
    exchanges.ask(state, workflow, exchange_id)

    def post(_: int) -> str:
        try:
            exchanges.present_to(state, workflow, exchange_id, {"type": "VerifiablePresentation"})
        except Exception as exc:  # the ProblemError of the losers
            return getattr(exc, "code", type(exc).__name__)
        return "completed"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(post, range(8)))
    assert outcomes.count("completed") == 1
    assert outcomes.count("service.exchange_used") == 7
    assert Counting.completed == 1


def test_attack_an_expired_exchange_takes_no_presentation(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from did_gov.service import _exchange_api as exchanges
    from tests.service.test_exchanges import AlumniWorkflow

    workflow = AlumniWorkflow()
    client = make_client(workflows=[workflow])
    created = client.post("/workflows/alumni/exchanges", json={}).json()
    path = created["exchangeUrl"].removeprefix("http://testserver")
    client.post(path, json={})
    later = time.time() + exchanges.EXCHANGE_TTL + 1
    monkeypatch.setattr(exchanges.time, "time", lambda: later)
    response = client.post(
        path, json={"verifiablePresentation": {"type": "VerifiablePresentation"}}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "service.exchange_expired"
    assert workflow.completed == 0


def test_attack_deeply_nested_body_is_400_not_a_crash(client: Any) -> None:
    body = b'{"credential": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post(
        "/credentials/issue", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "service.body_invalid"


def test_attack_lying_content_length_is_refused(make_client: Any) -> None:
    client = make_client(max_body_bytes=4096)
    body = b'{"credential": {"x": "' + b"a" * 8000 + b'"}}'
    response = client.post(
        "/credentials/issue",
        content=body,
        headers={"content-type": "application/json", "content-length": "10"},
    )
    assert response.status_code in (400, 413)
