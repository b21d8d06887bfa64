"""Exchanges: the Workflow seam, one-time use, replays; /metrics, /openapi.json, /trust/bundle."""

from __future__ import annotations

import json
from typing import Any

import pytest

from did_gov import issue, present
from did_gov.keys import PrivateKey
from did_gov.service import Workflow, WorkflowResult
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify import VerificationPolicy, Verifier
from tests.conftest import ROOT
from tests.service.conftest import unsigned


class AlumniWorkflow:
    """Issue a credential to whoever presents any verified credential bound to the request."""

    id = "alumni"

    def __init__(self) -> None:
        self.key = PrivateKey.generate()
        self.verifier = Verifier(
            trust=UNSAFE_TRUST_ANY_ISSUER, policy=VerificationPolicy(subject_binding=False)
        )
        self.completed = 0

    def presentation_request(self, *, challenge: str, domain: str) -> dict[str, object]:
        return {
            "query": [
                {
                    "type": "QueryByExample",
                    "credentialQuery": [{"example": {"type": "ExampleAlumniCredential"}}],
                }
            ],
            "challenge": challenge,
            "domain": domain,
        }

    def dcql_query(self) -> dict[str, object] | None:
        return None

    def complete(self, presentation: object, *, challenge: str, domain: str) -> WorkflowResult:
        self.completed += 1
        report = self.verifier.verify(presentation, challenge=challenge, domain=domain)  # type: ignore[arg-type]
        if not report.verified:
            return WorkflowResult(False, None, "approval.denied", report.errors[0].message, None)
        credential = issue(unsigned(), self.key)
        return WorkflowResult(True, credential, None, None, {"decision": "approved"})


@pytest.fixture
def workflow() -> AlumniWorkflow:
    return AlumniWorkflow()


@pytest.fixture
def exchanging(make_client: Any, workflow: AlumniWorkflow) -> Any:
    return make_client(workflows=[workflow])


def _vp(client: Any, request: dict[str, Any], holder: PrivateKey | None = None) -> dict[str, Any]:
    vc = client.post("/credentials/issue", json={"credential": unsigned()}).json()
    presented: dict[str, Any] = present(
        [vc["verifiableCredential"]],
        holder or PrivateKey.generate(),
        challenge=request["challenge"],
        domain=request["domain"],
    )
    return presented


def test_the_workflow_satisfies_the_protocol(workflow: AlumniWorkflow) -> None:
    assert isinstance(workflow, Workflow)


def test_an_exchange_runs_to_a_credential(exchanging: Any, workflow: AlumniWorkflow) -> None:
    created = exchanging.post("/workflows/alumni/exchanges", json={})
    assert created.status_code == 201, created.text
    url = created.json()["exchangeUrl"]
    assert created.headers["location"] == url
    path = url.removeprefix("http://testserver")
    asked = exchanging.post(path, json={})
    assert asked.status_code == 200, asked.text
    request = asked.json()["verifiablePresentationRequest"]
    assert request["domain"] == "http://testserver"
    assert request["query"][0]["type"] == "QueryByExample"
    assert exchanging.post(path, json={}).json()["verifiablePresentationRequest"] == request
    done = exchanging.post(path, json={"verifiablePresentation": _vp(exchanging, request)})
    assert done.status_code == 200, done.text
    [credential] = done.json()["verifiablePresentation"]["verifiableCredential"]
    assert workflow.verifier.verify(credential).verified


def test_attack_replayed_exchange_post_is_409(exchanging: Any, workflow: AlumniWorkflow) -> None:
    path = exchanging.post("/workflows/alumni/exchanges", json={}).json()["exchangeUrl"]
    path = path.removeprefix("http://testserver")
    request = exchanging.post(path, json={}).json()["verifiablePresentationRequest"]
    vp = _vp(exchanging, request)
    assert exchanging.post(path, json={"verifiablePresentation": vp}).status_code == 200
    again = exchanging.post(path, json={"verifiablePresentation": vp})
    assert again.status_code == 409
    assert again.json()["code"] == "service.exchange_used"
    assert exchanging.post(path, json={}).status_code == 409
    assert workflow.completed == 1


def test_attack_presentation_for_another_exchange_is_denied(exchanging: Any) -> None:
    first = exchanging.post("/workflows/alumni/exchanges", json={}).json()["exchangeUrl"]
    second = exchanging.post("/workflows/alumni/exchanges", json={}).json()["exchangeUrl"]
    first, second = (u.removeprefix("http://testserver") for u in (first, second))
    request = exchanging.post(first, json={}).json()["verifiablePresentationRequest"]
    exchanging.post(second, json={})
    denied = exchanging.post(second, json={"verifiablePresentation": _vp(exchanging, request)})
    assert denied.status_code == 403
    assert denied.json()["code"] == "approval.denied"
    # a denied exchange is spent too
    assert exchanging.post(second, json={"verifiablePresentation": {}}).status_code == 409


def test_presenting_before_asking_is_409(exchanging: Any) -> None:
    path = exchanging.post("/workflows/alumni/exchanges", json={}).json()["exchangeUrl"]
    response = exchanging.post(
        path.removeprefix("http://testserver"), json={"verifiablePresentation": {}}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "service.exchange_not_requested"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/workflows/nope/exchanges", {}, 404, "service.workflow_unknown"),
        ("/workflows/alumni/exchanges", {"ttl": 5}, 400, "service.body_invalid"),
        ("/workflows/alumni/exchanges/unknown", {}, 404, "service.exchange_unknown"),
    ],
)
def test_exchange_errors(exchanging: Any, path: str, body: Any, status: int, code: str) -> None:
    response = exchanging.post(path, json=body)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_attack_string_presentation_is_400(exchanging: Any) -> None:
    path = exchanging.post("/workflows/alumni/exchanges", json={}).json()["exchangeUrl"]
    path = path.removeprefix("http://testserver")
    exchanging.post(path, json={})
    response = exchanging.post(path, json={"verifiablePresentation": "eyJ.x.y"})
    assert response.status_code == 400
    assert response.json()["code"] == "service.body_invalid"


# -- metrics, openapi, bundle ------------------------------------------------------------------


def test_metrics_count_by_route_template(client: Any) -> None:
    client.post("/issuers/ed/credentials/issue", json={"credential": unsigned()})
    client.post("/issuers/ed/credentials/issue", json={"credential": "no"})
    text = client.get("/metrics")
    assert text.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = text.text
    line = 'did_gov_http_requests_total{method="POST",route="/issuers/{issuer}/credentials/issue",status="201"} 1'
    assert line in body
    assert 'route="/issuers/{issuer}/credentials/issue",status="400"} 1' in body
    assert 'did_gov_credentials_issued_total{format="di",issuer="ed"} 1' in body
    assert "did_gov_http_request_duration_seconds_bucket" in body


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (ROOT / "specs" / "service.openapi.json").read_text(encoding="utf-8")
    )
    return document


def test_openapi_is_served_as_committed(client: Any) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.content == (ROOT / "specs" / "service.openapi.json").read_bytes()
    assert response.json()["openapi"].startswith("3.1")


def test_openapi_describes_every_route_and_method(client: Any) -> None:
    from starlette.routing import Route

    served = {
        (route.path, method.lower())
        for route in client.app.routes
        if isinstance(route, Route)
        for method in (route.methods or ()) - {"HEAD"}
    }
    documented = {(path, method) for path, item in _document()["paths"].items() for method in item}
    assert served == documented


def test_openapi_references_resolve() -> None:
    document = _document()
    text = json.dumps(document)
    import re

    for name in set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', text)):
        assert name in document["components"]["schemas"], name


def test_trust_bundle_is_404_without_one(client: Any) -> None:
    response = client.get("/trust/bundle")
    assert response.status_code == 404
    assert response.json()["code"] == "service.bundle_unavailable"


def test_trust_bundle_is_served_as_given(make_client: Any) -> None:
    bundle = b'{"payload": "signed bundle bytes"}'
    client = make_client(trust_bundle=bundle)
    response = client.get("/trust/bundle")
    assert response.status_code == 200
    assert response.content == bundle


def test_issuers_lists_dids(client: Any) -> None:
    issuers = client.get("/issuers").json()
    assert [i["name"] for i in issuers] == ["ed", "p256", "jcs"]
    assert [i["cryptosuite"] for i in issuers] == [
        "eddsa-rdfc-2022",
        "ecdsa-rdfc-2019",
        "eddsa-jcs-2022",
    ]
    vc = client.post("/issuers/p256/credentials/issue", json={"credential": unsigned()}).json()
    assert vc["verifiableCredential"]["issuer"] == issuers[1]["id"]
    assert (
        vc["verifiableCredential"]["proof"]["verificationMethod"]
        == issuers[1]["verificationMethod"]
    )
