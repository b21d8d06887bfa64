"""Red-team attacks on who may create and read exchanges (scope ``exchanges``, ``specs/service.md`` §5).

Creating an exchange and reading its outcome without a response code need a token of scope
``exchanges``; the holder's steps need none (the exchange URL is the capability), and no
token, a token of another scope, or a guessed response code reads no outcome.
"""

from __future__ import annotations

from typing import Any

import pytest

from did_gov import present
from did_gov.keys import PrivateKey
from did_gov.service._auth import ApiToken, AuthConfig, token_digest
from tests.service.conftest import unsigned
from tests.service.test_exchanges import AlumniWorkflow

CLERK = "clerk-token-0123456789abcdef"
COORDINATOR = "coordinator-token-0123456789abcdef"


@pytest.fixture
def secured(make_client: Any) -> Any:
    auth = AuthConfig(
        tokens=(
            ApiToken("clerk", token_digest(CLERK), frozenset({"credentials:issue"})),
            ApiToken("front", token_digest(COORDINATOR), frozenset({"exchanges"})),
        )
    )
    return make_client(no_auth=False, auth=auth, workflows=[AlumniWorkflow()])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_attack_creating_an_exchange_needs_the_exchanges_scope(secured: Any) -> None:
    nobody = secured.post("/workflows/alumni/exchanges", json={})
    assert nobody.status_code == 401 and nobody.json()["code"] == "service.unauthorized"
    clerk = secured.post("/workflows/alumni/exchanges", json={}, headers=_bearer(CLERK))
    assert clerk.status_code == 403 and clerk.json()["code"] == "service.forbidden"
    front = secured.post("/workflows/alumni/exchanges", json={}, headers=_bearer(COORDINATOR))
    assert front.status_code == 201


def test_attack_reading_an_outcome_needs_the_scope_or_the_response_code(secured: Any) -> None:
    created = secured.post("/workflows/alumni/exchanges", json={}, headers=_bearer(COORDINATOR))
    path = created.json()["exchangeUrl"].removeprefix("http://testserver")
    request = secured.post(path, json={}).json()["verifiablePresentationRequest"]  # no token
    holder = PrivateKey.generate()
    vc = secured.post(
        "/credentials/issue", json={"credential": unsigned()}, headers=_bearer(CLERK)
    ).json()["verifiableCredential"]
    vp = present([vc], holder, challenge=request["challenge"], domain=request["domain"])
    assert secured.post(path, json={"verifiablePresentation": vp}).status_code == 200
    assert secured.get(path).status_code == 401
    assert secured.get(path, headers=_bearer(CLERK)).status_code == 403
    for code in ("", "guessed", COORDINATOR):
        seen = secured.get(path, params={"response_code": code})
        assert seen.status_code == 403, seen.text
        assert "verifiablePresentation" not in seen.text
    broken = secured.get(path, params={"response_code": "x"}, headers={"Authorization": "Bearer"})
    assert broken.status_code == 401
    front = secured.get(path, headers=_bearer(COORDINATOR))
    assert front.status_code == 200 and "verifiablePresentation" in front.json()
    assert front.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("format", "name"), [("di", "di"), ("vc-jwt", "vc-jwt"), ("sd-jwt", "sd-jwt")]
)
def test_an_exchange_issue_record_names_the_credential_id_of_every_format(
    format: str, name: str
) -> None:
    from did_gov import issue
    from did_gov.service._audit import exchange_issue

    credential = {**unsigned(), "id": "urn:uuid:0b6c39f2-6f62-4a52-9a4e-3f1f2c3c1d10"}
    secured = issue(credential, PrivateKey.generate(), format=format)  # type: ignore[call-overload]
    found, detail = exchange_issue("w", secured)
    assert found == credential["id"]
    assert detail == f"workflow=w format={name}"
    assert exchange_issue("w", None) == (None, "workflow=w format=unknown")
    assert exchange_issue("w", "not.a.token")[0] is None
