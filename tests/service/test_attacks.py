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
