"""End to end over HTTP: ``did-gov serve --config agency.toml`` with a ``[[workflows]]`` policy.

A real uvicorn on a free loopback port (``did_gov.testing.server.CliServer``); the citizens of
the housing example run exchanges against it with httpx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from did_gov import present
from tests.approval.conftest import DENIALS, example

pytestmark = pytest.mark.e2e

AGENCY = """\
[service]
data = "state"

[ledger]
key = "log.key"
origin = "housing.example/log"

[[issuers]]
name = "housing"
key = "housing.key"

[trust]
bundle = "bundle.json"
root = "root.json"

[[workflows]]
id = "housing-benefit"
policy = "policy.json"
issuer = "housing"
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    import httpx

    from did_gov.testing.server import CliServer

    directory = tmp_path_factory.mktemp("agency")
    result = example().run(datetime.now(UTC).replace(microsecond=0), directory)
    (directory / "agency.toml").write_text(AGENCY)
    with (
        CliServer.start(
            ["serve", "--config", str(directory / "agency.toml"), "--no-auth"]
        ) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        yield http, result["world"]


def _apply(http: Any, world: Any, citizen: str) -> Any:
    created = http.post("/workflows/housing-benefit/exchanges", json={})
    assert created.status_code == 201, created.text
    url = created.json()["exchangeUrl"]
    request = http.post(url, json={}).json()["verifiablePresentationRequest"]
    assert [q["type"] for q in request["query"]] == ["QueryByExample", "QueryByExample"]
    income = world.credentials["ada/income" if citizen == "eve" else f"{citizen}/income"]
    vp = present(
        [world.credentials[f"{citizen}/identity"], income],
        world.citizens[citizen].key,
        challenge=request["challenge"],
        domain=request["domain"],
    )
    return http.post(url, json={"verifiablePresentation": vp})


def test_a_citizen_who_qualifies_gets_the_benefit_over_http(served: tuple[Any, Any]) -> None:
    http, world = served
    before = http.get("/log/checkpoint").text
    done = _apply(http, world, "ada")
    assert done.status_code == 200, done.text
    [credential] = done.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["type"] == ["VerifiableCredential", "HousingBenefitCredential"]
    assert credential["credentialSubject"]["givenName"] == "Ada"
    assert http.get("/log/checkpoint").text != before  # the decision record was anchored


@pytest.mark.parametrize(("citizen", "code"), DENIALS)
def test_denials_over_http_carry_the_code_and_reason(
    served: tuple[Any, Any], citizen: str, code: str
) -> None:
    http, world = served
    done = _apply(http, world, citizen)
    assert done.status_code == 403, done.text
    problem = done.json()
    assert problem["code"] == code, json.dumps(problem)
    assert problem["detail"]


def test_a_wallet_over_openid4vp_gets_the_benefit_over_http(served: tuple[Any, Any]) -> None:
    """The exchange's oid4vp-1.0 protocol against `did-gov serve --config agency.toml`."""
    from urllib.parse import parse_qs, urlencode, urlsplit

    from did_gov._encoding import b64url_decode

    http, world = served
    created = http.post("/workflows/housing-benefit/exchanges", json={}).json()
    offer = parse_qs(urlsplit(created["protocols"]["oid4vp-1.0"]).query)
    jwt = http.get(offer["request_uri"][0])
    assert jwt.headers["content-type"].startswith("application/oauth-authz-req+jwt")
    request = json.loads(b64url_decode(jwt.text.split(".")[1]))
    assert request["client_id"] == offer["client_id"][0]
    vp = present(
        [world.credentials["ada/identity"], world.credentials["ada/income"]],
        world.citizens["ada"].key,
        challenge=request["nonce"],
        domain=request["client_id"],
    )
    form = {"vp_token": json.dumps({"identity-vc-di": [vp]}), "state": request["state"]}
    answer = http.post(
        request["response_uri"],
        content=urlencode(form),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    outcome = http.get(answer.json()["redirect_uri"]).json()
    assert outcome["state"] == "complete", outcome
    [credential] = outcome["verifiablePresentation"]["verifiableCredential"]
    assert credential["type"] == ["VerifiableCredential", "HousingBenefitCredential"]
