"""Authentication, scopes, rate limits and the audit trail — and the ways around them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from did_gov._encoding import b64url_encode
from did_gov.errors import InvalidInputError
from did_gov.keys import PrivateKey
from did_gov.ledger import verify_receipt
from did_gov.proofs._jws import json_bytes, sign_compact
from did_gov.service._audit import record_line, subject_of
from did_gov.service._auth import ApiToken, AuthConfig, OAuthIssuer, read_auth, token_digest
from tests.service.conftest import unsigned

CLERK = "clerk-token-0123456789abcdef"
VERIFIER = "verifier-token-0123456789abcdef"
AS_KEY = PrivateKey.generate("p256")
AS = "https://auth.agency.example"
AUD = "https://agency.example"


def _auth(**overrides: Any) -> AuthConfig:
    settings: dict[str, Any] = {
        "tokens": (
            ApiToken(
                "clerk", token_digest(CLERK), frozenset({"credentials:issue", "credentials:status"})
            ),
            ApiToken("checker", token_digest(VERIFIER), frozenset({"credentials:verify"})),
        ),
        "oauth": (OAuthIssuer(AS, AUD, (("as-1", AS_KEY.public_key),)),),
    }
    settings.update(overrides)
    return AuthConfig(**settings)


@pytest.fixture
def secured(make_client: Any) -> Any:
    return make_client(no_auth=False, auth=_auth())


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _access_token(
    key: PrivateKey = AS_KEY, header: dict[str, Any] | None = None, **claims: Any
) -> str:
    now = int(time.time())
    payload = {"iss": AS, "aud": AUD, "exp": now + 300, "iat": now, "client_id": "registry",
               "scope": "credentials:issue"}  # fmt: skip
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    head = header or {"alg": "ES256", "typ": "at+jwt", "kid": "as-1"}
    return sign_compact(head, json_bytes(payload), key)


def _issue(client: Any, headers: dict[str, str]) -> Any:
    return client.post("/credentials/issue", json={"credential": unsigned()}, headers=headers)


def test_attack_no_token_is_401(secured: Any) -> None:
    response = _issue(secured, {})
    assert response.status_code == 401
    assert response.json()["code"] == "service.unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer wrong-token-0123456789abcdef",
        "Basic Y2xlcms6dG9rZW4=",
        "Bearer ",
        "bearer " + CLERK[:-1],
        "Bearer " + CLERK + "x",
    ],
)
def test_attack_wrong_tokens_are_401(secured: Any, header: str) -> None:
    assert _issue(secured, {"Authorization": header}).status_code == 401


def test_api_token_with_its_scope(secured: Any) -> None:
    assert _issue(secured, _bearer(CLERK)).status_code == 201


def test_attack_token_without_the_scope_is_403(secured: Any) -> None:
    response = _issue(secured, _bearer(VERIFIER))
    assert response.status_code == 403
    assert response.json()["code"] == "service.forbidden"
    assert "insufficient_scope" in response.headers["www-authenticate"]


def test_verify_needs_its_scope_unless_public(secured: Any, make_client: Any) -> None:
    vc = _issue(secured, _bearer(CLERK)).json()["verifiableCredential"]
    body = {"verifiableCredential": vc}
    assert secured.post("/credentials/verify", json=body).status_code == 401
    assert secured.post("/credentials/verify", json=body, headers=_bearer(CLERK)).status_code == 403
    assert (
        secured.post("/credentials/verify", json=body, headers=_bearer(VERIFIER)).status_code == 200
    )
    public = make_client(no_auth=False, auth=_auth(public_verify=True))
    assert public.post("/credentials/verify", json=body).status_code == 200
    assert _issue(public, {}).status_code == 401


def test_public_reads_need_no_token(secured: Any) -> None:
    for path in ("/health", "/issuers", "/log/checkpoint", "/openapi.json"):
        assert secured.get(path).status_code == 200, path


def test_attack_metrics_tell_an_onlooker_how_an_exchange_ended(make_client: Any) -> None:
    """An onlooker who saw an exchange's QR code polled the public /metrics and read
    approved or denied off did_gov_exchanges_total and the route's status codes: the
    counters are now for a token with scope ``metrics`` unless configured public."""
    scraper = "scraper-token-0123456789abcdef"
    tokens = (ApiToken("prometheus", token_digest(scraper), frozenset({"metrics"})),)
    secured = make_client(no_auth=False, auth=_auth(tokens=_auth().tokens + tokens))
    anonymous = secured.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "urn:did-gov:error:service.unauthorized"
    assert secured.get("/metrics", headers=_bearer(CLERK)).status_code == 403
    scraped = secured.get("/metrics", headers=_bearer(scraper))
    assert scraped.status_code == 200
    assert "did_gov_http_requests_total" in scraped.text
    public = make_client(no_auth=False, auth=_auth(public_metrics=True))
    assert public.get("/metrics").status_code == 200
    assert _issue(public, {}).status_code == 401


def test_public_metrics_is_a_boolean(tmp_path: Path) -> None:
    entry = {"name": "p", "sha256": token_digest(CLERK).hex(), "scopes": ["metrics"]}
    assert read_auth({"tokens": [entry], "public_metrics": True}, tmp_path).public_metrics
    assert not read_auth({"tokens": [entry]}, tmp_path).public_metrics
    with pytest.raises(InvalidInputError, match="public_metrics"):
        read_auth({"tokens": [entry], "public_metrics": "yes"}, tmp_path)


def test_oauth_access_token(secured: Any) -> None:
    assert _issue(secured, _bearer(_access_token())).status_code == 201


@pytest.mark.parametrize(
    ("why", "token"),
    [
        ("expired", lambda: _access_token(exp=int(time.time()) - 3600)),
        ("no exp", lambda: _access_token(exp=None)),
        ("not yet valid", lambda: _access_token(nbf=int(time.time()) + 3600)),
        ("other audience", lambda: _access_token(aud="https://elsewhere.example")),
        ("other issuer", lambda: _access_token(iss="https://evil.example")),
        ("unknown key", lambda: _access_token(key=PrivateKey.generate("p256"))),
        ("typ JWT (an ID token)", lambda: _access_token(header={"alg": "ES256", "typ": "JWT", "kid": "as-1"})),
        ("crit header", lambda: _access_token(header={"alg": "ES256", "typ": "at+jwt", "kid": "as-1", "crit": ["x"]})),
        ("wrong scope", lambda: _access_token(scope="credentials:verify")),
        ("scope not a string", lambda: _access_token(scope=["credentials:issue"])),
    ],
)  # fmt: skip
def test_attack_bad_access_tokens_are_refused(secured: Any, why: str, token: Any) -> None:
    response = _issue(secured, _bearer(token()))
    assert response.status_code in (401, 403), why


@pytest.mark.parametrize(
    ("why", "claims"),
    [
        ("two hours from iat", lambda now: {"iat": now, "exp": now + 7200}),
        ("a year, no iat", lambda now: {"iat": None, "exp": now + 365 * 86400}),
        ("backdated iat, exp far ahead", lambda now: {"iat": now - 60, "exp": now + 3600}),
    ],
)
def test_attack_long_lived_access_token_is_refused(secured: Any, why: str, claims: Any) -> None:
    """A leaked access token that lives for days would be honoured for days: refuse it."""
    response = _issue(secured, _bearer(_access_token(**claims(int(time.time())))))
    assert response.status_code == 401, why
    assert "lives longer than 3600 s" in response.json()["detail"]


def test_an_access_token_of_exactly_the_max_lifetime_is_accepted(secured: Any) -> None:
    now = int(time.time())
    assert _issue(secured, _bearer(_access_token(iat=now, exp=now + 3600))).status_code == 201
    assert _issue(secured, _bearer(_access_token(iat=None, exp=now + 3600))).status_code == 201


def test_the_max_lifetime_is_configured_per_authorization_server(tmp_path: Any) -> None:
    from datetime import timedelta

    from did_gov.errors import InvalidInputError
    from did_gov.service._auth import read_auth

    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [AS_KEY.public_key.to_jwk()]}))
    entry = {"issuer": AS, "audience": AUD, "jwks": "jwks.json"}
    assert read_auth({"oauth": [entry]}, tmp_path).oauth[0].max_lifetime == timedelta(hours=1)
    short = read_auth({"oauth": [{**entry, "max_lifetime": 300}]}, tmp_path)
    assert short.oauth[0].max_lifetime == timedelta(seconds=300)
    for bad in (0, -5, "1h", True):
        with pytest.raises(InvalidInputError) as info:
            read_auth({"oauth": [{**entry, "max_lifetime": bad}]}, tmp_path)
        assert info.value.code == "service.config_invalid"


def test_attack_alg_none_access_token_is_401(secured: Any) -> None:
    now = int(time.time())
    header = b64url_encode(json_bytes({"alg": "none", "typ": "at+jwt"}))
    claims = {"iss": AS, "aud": AUD, "exp": now + 300, "scope": "credentials:issue"}
    token = f"{header}.{b64url_encode(json_bytes(claims))}."
    assert _issue(secured, _bearer(token)).status_code == 401


def test_attack_alg_confusion_access_token_is_401(secured: Any) -> None:
    token = _access_token(header={"alg": "EdDSA", "typ": "at+jwt", "kid": "as-1"},
                          key=PrivateKey.generate("ed25519"))  # fmt: skip
    assert _issue(secured, _bearer(token)).status_code == 401


def test_attack_tampered_access_token_is_401(secured: Any) -> None:
    head, payload, signature = _access_token(scope="credentials:verify").split(".")
    claims = json.loads(__import__("base64").urlsafe_b64decode(payload + "=="))
    claims["scope"] = "credentials:issue credentials:status"
    forged = f"{head}.{b64url_encode(json_bytes(claims))}.{signature}"
    assert _issue(secured, _bearer(forged)).status_code == 401


def test_rate_limit_is_429_with_retry_after(make_client: Any) -> None:
    client = make_client(no_auth=False, auth=_auth(rate=0.001, burst=2))
    codes = [_issue(client, _bearer(CLERK)).status_code for _ in range(3)]
    assert codes[:2] == [201, 201]
    assert codes[2] == 429
    limited = _issue(client, _bearer(CLERK))
    assert limited.json()["code"] == "service.rate_limited"
    assert int(limited.headers["retry-after"]) >= 1


def test_attack_no_auth_answers_loopback_only(make_client: Any) -> None:
    from starlette.testclient import TestClient

    client = make_client()
    remote = TestClient(client.app, client=("203.0.113.9", 4000))
    response = remote.post("/credentials/issue", json={"credential": unsigned()})
    assert response.status_code == 403
    assert response.json()["code"] == "service.forbidden"


# -- the audit trail -------------------------------------------------------------------------


def test_audit_records_who_did_what_hashed_and_anchored(secured: Any) -> None:
    options = {
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
    }
    vc = secured.post(
        "/credentials/issue",
        json={"credential": unsigned(), "options": options},
        headers=_bearer(CLERK),
    ).json()["verifiableCredential"]
    change = {"credentialId": vc["id"], "status": True,
              "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}  # fmt: skip
    oauth = _bearer(_access_token(scope="credentials:status"))
    assert secured.post("/credentials/status", json=change, headers=oauth).status_code == 200
    service = secured.app.state.service
    index = service.auditor.anchor_pending()
    assert index is not None
    records = service.state.store().audit()
    assert [(r.actor, r.action) for r in records] == [
        ("token:clerk", "issue"),
        (f"oauth:{AS}#registry", "revoke"),
    ]
    assert {r.subject for r in records} == {subject_of(vc["id"])}
    assert all(r.leaf_index == index for r in records)
    text = json.dumps([r.__dict__ for r in records])
    assert vc["id"] not in text and "Ada" not in text
    # The anchored leaf is exactly the records' JSON lines: check it against the receipt.
    content = b"".join(
        record_line(r.seq, r.at, r.actor, r.action, r.subject, r.detail) for r in records
    )
    receipt = service.state.store()._db.execute("SELECT receipt FROM audit_anchors").fetchone()[0]
    check = verify_receipt(
        json.loads(receipt), service.state.ledger().verifier.vkey, content=content
    )
    assert check.ok, check


def test_attack_audit_records_cannot_be_rewritten(secured: Any) -> None:
    import sqlite3

    _issue(secured, _bearer(CLERK))
    service = secured.app.state.service
    service.auditor.anchor_pending()
    db = service.state.store()._db
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("DELETE FROM audit")


def test_a_verified_access_token_is_remembered_until_it_expires(
    secured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signature is checked once per token, not per request; expiry still applies."""
    import did_gov.service._auth as auth_module

    checks: list[str] = []
    real = auth_module._check_access_token

    def counted(token: str, issuers: Any, now: float) -> Any:
        checks.append(token)
        return real(token, issuers, now)

    monkeypatch.setattr(auth_module, "_check_access_token", counted)
    now = int(time.time())
    token = _access_token(iat=now, exp=now + 120)
    for _ in range(3):
        assert _issue(secured, _bearer(token)).status_code == 201
    assert checks == [token]
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}AA"  # another string: checked, refused
    assert _issue(secured, _bearer(forged)).status_code == 401
    later = now + 120 + 61  # past exp and the 60 s skew
    monkeypatch.setattr(auth_module.time, "time", lambda: float(later))
    assert _issue(secured, _bearer(token)).status_code == 401
    assert checks[-1] == token and len(checks) == 3


def test_the_remembered_tokens_are_bounded(secured: Any) -> None:
    from did_gov.service._auth import _VERIFIED_TOKENS

    auth = secured.app.state.service.auth
    now = int(time.time())
    for n in range(_VERIFIED_TOKENS + 5):
        auth.caller(f"Bearer {_access_token(iat=now, exp=now + 60 + n)}")
    assert len(auth._verified) == _VERIFIED_TOKENS
