"""PolicyWorkflow: the housing policy on the service's exchanges (CONTRACTS §C), over HTTP."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from did_gov import present
from did_gov.approval import PolicyWorkflow, replay
from did_gov.approval._workflow import _presentations
from did_gov.trust import DcqlQuery
from tests.approval.conftest import DENIALS, Housing


def _workflow(housing: Housing, tmp_path: Path) -> PolicyWorkflow:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(housing.world.policy))
    workflow = PolicyWorkflow.from_file(
        "housing",
        path,
        signer=housing.world.housing.key,
        verification_method=None,
        verifier=housing.verifier,
        ledger=housing.ledger(),
        trust=housing.trust,
    )
    workflow.clock = lambda: housing.world.now
    return workflow


def test_the_workflow_satisfies_the_service_protocol(housing: Housing, tmp_path: Path) -> None:
    from did_gov.service import Workflow

    assert isinstance(_workflow(housing, tmp_path), Workflow)


def test_one_query_by_example_per_evidence_type(housing: Housing, tmp_path: Path) -> None:
    request = _workflow(housing, tmp_path).presentation_request(challenge="c", domain="d")
    assert (request["challenge"], request["domain"]) == ("c", "d")
    queries = request["query"]
    assert isinstance(queries, list)
    assert [q["type"] for q in queries] == ["QueryByExample", "QueryByExample"]
    assert [q["credentialQuery"][0]["example"]["type"] for q in queries] == [
        "IdentityCredential",
        "IncomeCredential",
    ]


def test_the_dcql_query_asks_each_type_in_every_format(housing: Housing, tmp_path: Path) -> None:
    query = _workflow(housing, tmp_path).dcql_query()
    parsed = DcqlQuery.from_json(query)
    ids = [c.id for c in parsed.credentials]
    assert ids == [
        "identity-vc-di",
        "identity-vc-jwt",
        "identity-sd-jwt-vc",
        "income-vc-di",
        "income-vc-jwt",
        "income-sd-jwt-vc",
    ]
    assert parsed.credential_sets is not None and len(parsed.credential_sets) == 2
    assert query is not None
    sd = next(c for c in query["credentials"] if c["id"] == "income-sd-jwt-vc")  # type: ignore[index, union-attr]
    assert {tuple(c["path"]) for c in sd["claims"]} == {("taxYear",), ("annualIncome",)}


def test_garbage_is_a_result_not_an_exception(housing: Housing, tmp_path: Path) -> None:
    workflow = _workflow(housing, tmp_path)
    for value in (None, 3, [], {"q": "not a list"}, {"type": "VerifiablePresentation"}):
        result = workflow.complete(value, challenge="c", domain="d")
        assert not result.approved and result.code is not None
    assert _presentations({"identity": ["a~"], "income": [{"type": "x"}]}) == ("a~", {"type": "x"})


@pytest.fixture
def service(housing: Housing, tmp_path: Path) -> Iterator[tuple[Any, PolicyWorkflow]]:
    from did_gov.keys import PrivateKey
    from did_gov.service import IssuerConfig, ServiceConfig, create_app
    from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    workflow = _workflow(housing, tmp_path)
    (tmp_path / "data").mkdir()
    config = ServiceConfig(
        issuers=(IssuerConfig("ed", PrivateKey.generate()),),
        public_url="http://testserver",
        data=tmp_path / "data",
        no_auth=True,
        verifier_options={"trust": UNSAFE_TRUST_ANY_ISSUER},
    )
    client = TestClient(
        create_app(config, workflows=[workflow]),
        raise_server_exceptions=False,
        client=("127.0.0.1", 50000),
    )
    with client:
        yield client, workflow


def _exchange(client: Any, housing: Housing, citizen: str) -> Any:
    created = client.post("/workflows/housing/exchanges", json={})
    assert created.status_code == 201, created.text
    path = created.json()["exchangeUrl"].removeprefix("http://testserver")
    request = client.post(path, json={}).json()["verifiablePresentationRequest"]
    world = housing.world
    income = world.credentials["ada/income" if citizen == "eve" else f"{citizen}/income"]
    vp = present(
        [world.credentials[f"{citizen}/identity"], income],
        world.citizens[citizen].key,
        challenge=request["challenge"],
        domain=request["domain"],
        now=world.now,
    )
    return client.post(path, json={"verifiablePresentation": vp}), vp, request


def test_an_exchange_issues_the_benefit_and_anchors_the_record(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, workflow = service
    done, _, _ = _exchange(client, housing, "ada")
    assert done.status_code == 200, done.text
    [credential] = done.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["type"] == ["VerifiableCredential", "HousingBenefitCredential"]
    assert housing.verifier.verify(credential).verified
    assert workflow.ledger.size() == 1  # the decision record is anchored


@pytest.mark.parametrize(("citizen", "code"), DENIALS)
def test_an_exchange_denies_with_the_code_and_reason(
    service: tuple[Any, PolicyWorkflow], housing: Housing, citizen: str, code: str
) -> None:
    client, _ = service
    done, _, _ = _exchange(client, housing, citizen)
    assert done.status_code == 403, done.text
    problem = done.json()
    assert problem["code"] == code and problem["detail"]


def test_a_presentation_bound_to_another_exchange_is_rejected(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, _ = service
    _, vp, _ = _exchange(client, housing, "ben")
    created = client.post("/workflows/housing/exchanges", json={})
    path = created.json()["exchangeUrl"].removeprefix("http://testserver")
    client.post(path, json={})
    done = client.post(path, json={"verifiablePresentation": vp})
    assert done.status_code == 403
    assert done.json()["code"] == "approval.evidence_rejected"


def test_the_workflow_result_record_replays(housing: Housing, tmp_path: Path) -> None:
    from did_gov.approval import Submission

    workflow = _workflow(housing, tmp_path)
    world = housing.world
    vp = housing.ex.application(world, "ada")
    result = workflow.complete(vp, challenge=world.challenge, domain=world.domain)
    assert result.approved and result.record is not None
    replayed = replay(
        result.record,
        housing.policy,
        Submission((vp,), challenge=world.challenge, domain=world.domain),
        housing.verifier,
        trust=housing.trust,
        log_key=workflow.ledger.verifier.vkey,
        issued=result.credential,  # type: ignore[arg-type]
    )
    assert replayed.ok, replayed.message


def test_a_workflow_without_a_log_is_refused(housing: Housing, tmp_path: Path) -> None:
    from did_gov.errors import ApprovalError

    with pytest.raises(ApprovalError) as caught:
        PolicyWorkflow(
            "housing",
            housing.policy,
            signer=housing.world.housing.key,
            verification_method=None,
            verifier=housing.verifier,
            ledger=None,  # type: ignore[arg-type]
        )
    assert caught.value.code == "approval.ledger_missing"
    lazy = PolicyWorkflow(
        "housing",
        housing.policy,
        signer=housing.world.housing.key,
        verification_method=None,
        verifier=housing.verifier,
        ledger=housing.ledger,
    )
    assert lazy.ledger is lazy.ledger and lazy.ledger.size() == 0


def test_an_openid4vp_vp_token_of_sd_jwt_vcs_is_decided(housing: Housing, tmp_path: Path) -> None:
    """The exchange's OID4VP protocol hands complete() a vp_token keyed by DCQL query ids."""
    from tests.approval.test_decide import _sd_jwt_application

    submission = _sd_jwt_application(housing, "ada", ["/annualIncome"])
    identity, income = submission.presentations
    vp_token = {"identity-sd-jwt-vc": [identity], "income-sd-jwt-vc": [income]}
    world = housing.world
    result = _workflow(housing, tmp_path).complete(
        vp_token, challenge=world.challenge, domain=world.domain
    )
    assert result.approved, result.reason
    wrong = _workflow(housing, tmp_path).complete(vp_token, challenge="other", domain=world.domain)
    assert wrong.code == "approval.evidence_rejected"
