"""The housing policy's exchanges over OpenID4VP 1.0: a wallet played against a real create_app.

The wallet reads the exchange's ``protocols``, fetches and checks the signed request object,
presents the citizen's credentials bound to its ``nonce`` and ``client_id``, posts them
``direct_post`` and follows the ``redirect_uri`` to the outcome. Then the attacks: a replayed
answer, another exchange's nonce or state, a tampered presentation, one made for another
audience, an expired exchange.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from did_gov import present
from did_gov._encoding import b64url_decode
from did_gov.approval import PolicyWorkflow, Submission, replay
from did_gov.dids import DefaultResolver
from did_gov.trust import DcqlQuery
from tests.approval.conftest import DENIALS, Housing
from tests.approval.test_workflow import service as service  # the fixture

BASE = "http://testserver"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def _path(url: str) -> str:
    assert url.startswith(BASE), url
    return url.removeprefix(BASE)


def _offer(client: Any) -> dict[str, Any]:
    """Create an exchange; return it with its OpenID4VP authorization request's parameters."""
    created = client.post("/workflows/housing/exchanges", json={})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    url = body["protocols"]["oid4vp-1.0"]
    assert url.startswith("openid4vp://?") and body["protocols"]["OID4VP"] == url
    assert body["protocols"]["vcapi"] == body["exchangeUrl"]
    body["authorization"] = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return body


def _request_object(client: Any, offer: dict[str, Any]) -> dict[str, Any]:
    """The wallet fetches the request object and checks it (typ, kid of the client_id's DID)."""
    answer = client.get(_path(offer["authorization"]["request_uri"]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/oauth-authz-req+jwt")
    header_b64, payload_b64, signature_b64 = answer.text.split(".")
    header = json.loads(b64url_decode(header_b64))
    payload: dict[str, Any] = json.loads(b64url_decode(payload_b64))
    assert header["typ"] == "oauth-authz-req+jwt"
    client_id = offer["authorization"]["client_id"]
    assert payload["client_id"] == client_id
    did = client_id.removeprefix("decentralized_identifier:")
    assert header["kid"].split("#")[0] == did
    method = DefaultResolver().resolve(did).verification_method(header["kid"])
    assert method.public_key is not None
    signing_input = f"{header_b64}.{payload_b64}".encode()
    assert method.public_key.verify(b64url_decode(signature_b64), signing_input)
    return payload


def _vp(housing: Housing, citizen: str, nonce: str, audience: str) -> dict[str, Any]:
    world = housing.world
    income = world.credentials["ada/income" if citizen == "eve" else f"{citizen}/income"]
    presented: dict[str, Any] = present(
        [world.credentials[f"{citizen}/identity"], income],
        world.citizens[citizen].key,
        challenge=nonce,
        domain=audience,
        now=world.now,
    )
    return presented


def _post_token(
    client: Any, request: dict[str, Any], vp_token: Any, state: str | None = None
) -> Any:
    """Post ``vp_token`` to the request's response_uri (direct_post, a form)."""
    form = {
        "vp_token": json.dumps(vp_token),
        "state": request["state"] if state is None else state,
    }
    return client.post(_path(request["response_uri"]), content=urlencode(form), headers=FORM)


def _post(client: Any, request: dict[str, Any], vp: Any, state: str | None = None) -> Any:
    """Post ``vp`` as the answer to both DCQL queries."""
    return _post_token(client, request, {"identity-vc-di": [vp], "income-vc-di": [vp]}, state)


def _post_sd_jwt(
    client: Any,
    housing: Housing,
    monkeypatch: pytest.MonkeyPatch,
    request: dict[str, Any],
    income_holder: str = "ada",
    *,
    bound_to: dict[str, Any] | None = None,
    audience: str | None = None,
) -> Any:
    """Post Ada's identity and ``income_holder``'s income as SD-JWT VCs, keyed by their queries,
    with Key Binding JWTs bound to the nonce of ``bound_to`` (default: ``request``) and to
    ``audience`` (default: its client_id)."""
    from tests.approval.test_decide import _sd_jwt_application

    binding = request if bound_to is None else bound_to
    monkeypatch.setattr(housing.world, "challenge", binding["nonce"])
    monkeypatch.setattr(
        housing.world, "domain", binding["client_id"] if audience is None else audience
    )
    identity, income = _sd_jwt_application(housing, income_holder, ["/annualIncome"]).presentations
    token = {"identity-sd-jwt-vc": [identity], "income-sd-jwt-vc": [income]}
    return _post_token(client, request, token)


def _outcome(client: Any, answer: Any) -> dict[str, Any]:
    """Follow the direct_post answer's redirect_uri (what the wallet's user agent does)."""
    assert answer.status_code == 200, answer.text
    redirect = answer.json()["redirect_uri"]
    assert "response_code=" in redirect
    seen = client.get(_path(redirect))
    assert seen.status_code == 200, seen.text
    outcome: dict[str, Any] = seen.json()
    return outcome


def _prepared(
    client: Any, housing: Housing, citizen: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A new exchange's offer, its checked request object and ``citizen``'s presentation
    bound to it (not posted yet)."""
    offer = _offer(client)
    request = _request_object(client, offer)
    return offer, request, _vp(housing, citizen, request["nonce"], request["client_id"])


def _apply(client: Any, housing: Housing, citizen: str) -> tuple[Any, dict[str, Any], Any]:
    _, request, vp = _prepared(client, housing, citizen)
    return _post(client, request, vp), request, vp


def _later(monkeypatch: pytest.MonkeyPatch) -> None:
    """Move the service's clocks past the exchanges' time to live."""
    import time

    from did_gov.service import _app, _exchange_api

    class Later:
        @staticmethod
        def time() -> float:
            return time.time() + _exchange_api.EXCHANGE_TTL + 1

    monkeypatch.setattr(_app, "time", Later)
    monkeypatch.setattr(_exchange_api, "time", Later)


def test_the_request_object_carries_the_exchange(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, workflow = service
    offer = _offer(client)
    request = _request_object(client, offer)
    assert request["response_type"] == "vp_token"
    assert request["response_mode"] == "direct_post"
    assert request["state"] == offer["exchangeId"]
    assert request["response_uri"] == offer["exchangeUrl"] + "/openid/response"
    assert request["dcql_query"] == workflow.dcql_query()
    DcqlQuery.from_json(request["dcql_query"])
    # the nonce is the exchange's challenge: the VCALM ask step sees the same one
    vpr = client.post(_path(offer["exchangeUrl"]), json={}).json()
    assert vpr["verifiablePresentationRequest"]["challenge"] == request["nonce"]
    assert _request_object(client, offer)["nonce"] == request["nonce"]
    protocols = client.get(_path(offer["exchangeUrl"]) + "/protocols").json()
    assert protocols == {"protocols": offer["protocols"]}


def test_a_wallet_over_openid4vp_gets_the_benefit_and_the_record_replays(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, workflow = service
    answer, request, vp = _apply(client, housing, "ada")
    outcome = _outcome(client, answer)
    assert outcome["state"] == "complete"
    [credential] = outcome["verifiablePresentation"]["verifiableCredential"]
    assert credential["type"] == ["VerifiableCredential", "HousingBenefitCredential"]
    assert credential["credentialSubject"]["givenName"] == "Ada"
    assert housing.verifier.verify(credential).verified
    assert workflow.ledger.size() == 1  # the decision record is anchored
    # the same decision path as VCALM: it replays from the presentation and the anchored record
    record = outcome_record(workflow, housing, vp, request, credential)
    assert record.ok, record.message


def outcome_record(
    workflow: PolicyWorkflow, housing: Housing, vp: Any, request: Any, credential: Any
) -> Any:
    """Decide the same presentation again through the workflow and replay that record."""
    result = workflow.complete(
        {"identity-vc-di": [vp], "income-vc-di": [vp]},
        challenge=request["nonce"],
        domain=request["client_id"],
    )
    assert result.approved and result.record is not None
    return replay(
        result.record,
        housing.policy,
        Submission((vp,), challenge=request["nonce"], domain=request["client_id"]),
        housing.verifier,
        trust=housing.trust,
        log_key=workflow.ledger.verifier.vkey,
        issued=result.credential,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("citizen", "code"), DENIALS)
def test_a_wallet_over_openid4vp_reads_the_denial(
    service: tuple[Any, PolicyWorkflow], housing: Housing, citizen: str, code: str
) -> None:
    client, workflow = service
    answer, _, _ = _apply(client, housing, citizen)
    outcome = _outcome(client, answer)
    assert outcome["state"] == "invalid"
    assert "verifiablePresentation" not in outcome
    assert outcome["lastError"]["code"] == code and outcome["lastError"]["detail"]
    assert workflow.ledger.size() == 1  # a denial is anchored too


# -- attacks ---------------------------------------------------------------------------------


def test_attack_replayed_answer_is_refused(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, workflow = service
    offer, request, vp = _prepared(client, housing, "ada")
    assert _post(client, request, vp).status_code == 200
    again = _post(client, request, vp)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_request",
        "error_description": "the exchange was already used",
        "code": "service.exchange_used",
    }
    with pytest.raises(AssertionError):  # a spent exchange hands out no request (no new nonce)
        _request_object(client, offer)
    assert workflow.ledger.size() == 1


def test_attack_another_exchanges_nonce_is_refused(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, _ = service
    mine = _request_object(client, _offer(client))
    theirs = _request_object(client, _offer(client))
    vp = _vp(housing, "ada", theirs["nonce"], theirs["client_id"])  # made for the other exchange
    outcome = _outcome(client, _post(client, mine, vp))
    assert outcome["state"] == "invalid"
    assert outcome["lastError"]["code"] == "approval.evidence_rejected"
    assert "challenge" in outcome["lastError"]["detail"]


def test_attack_another_exchanges_state_is_refused(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, _ = service
    mine = _request_object(client, _offer(client))
    theirs = _request_object(client, _offer(client))
    vp = _vp(housing, "ada", mine["nonce"], mine["client_id"])
    answer = _post(client, mine, vp, state=theirs["state"])
    assert answer.status_code == 400 and answer.json()["code"] == "oid4vp.state_mismatch"
    assert _outcome(client, _post(client, mine, vp))["state"] == "complete"  # still unspent


def test_attack_tampered_vp_token_is_refused(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, _ = service
    _, request, presented = _prepared(client, housing, "ben")
    vp = copy.deepcopy(presented)
    vp["verifiableCredential"][1]["credentialSubject"]["annualIncome"] = 1000
    outcome = _outcome(client, _post(client, request, vp))
    assert outcome["state"] == "invalid"
    assert outcome["lastError"]["code"] == "approval.evidence_rejected"


@pytest.mark.parametrize(
    "audience",
    [BASE, "decentralized_identifier:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"],
)
def test_attack_presentation_for_another_audience_is_refused(
    service: tuple[Any, PolicyWorkflow], housing: Housing, audience: str
) -> None:
    client, _ = service
    request = _request_object(client, _offer(client))
    vp = _vp(housing, "ada", request["nonce"], audience)  # the VCALM domain, another verifier
    outcome = _outcome(client, _post(client, request, vp))
    assert outcome["state"] == "invalid"
    assert outcome["lastError"]["code"] == "approval.evidence_rejected"
    assert "domain" in outcome["lastError"]["detail"]


def test_attack_expired_exchange_is_refused(
    service: tuple[Any, PolicyWorkflow], housing: Housing, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = service
    offer, request, vp = _prepared(client, housing, "ada")
    _later(monkeypatch)
    answer = _post(client, request, vp)
    assert answer.status_code == 400 and answer.json()["code"] == "service.exchange_expired"
    fetched = client.get(_path(offer["authorization"]["request_uri"]))
    assert fetched.status_code == 409 and fetched.json()["code"] == "service.exchange_expired"


def test_attack_malformed_answers_leave_the_exchange_unspent(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, _ = service
    _, request, vp = _prepared(client, housing, "ada")
    uri = _path(request["response_uri"])
    as_json = client.post(uri, json={"vp_token": {"identity-vc-di": [vp]}, "state": "x"})
    assert as_json.status_code == 400 and as_json.json()["code"] == "oid4vp.response_invalid"
    no_state = client.post(uri, content=urlencode({"vp_token": "{}"}), headers=FORM)
    assert no_state.json()["code"] == "oid4vp.state_missing"
    unknown = _post_token(client, request, {"passport": [vp]})
    assert unknown.status_code == 400 and unknown.json()["code"] == "request.query_unknown"
    assert _outcome(client, _post(client, request, vp))["state"] == "complete"


def test_attack_the_outcome_needs_the_response_code(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, _ = service
    answer, _, _ = _apply(client, housing, "ada")
    redirect = _path(answer.json()["redirect_uri"])
    exchange = redirect.split("?")[0]
    wrong = client.get(exchange + "?response_code=guessed")
    assert wrong.status_code == 403 and wrong.json()["code"] == "service.response_code_invalid"
    assert "verifiablePresentation" in client.get(redirect).json()


def test_a_wallet_error_response_spends_the_exchange(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, workflow = service
    request = _request_object(client, _offer(client))
    form = {"error": "access_denied", "state": request["state"]}
    answer = client.post(_path(request["response_uri"]), content=urlencode(form), headers=FORM)
    outcome = _outcome(client, answer)
    assert outcome["state"] == "invalid"
    assert outcome["lastError"]["code"] == "oid4vp.wallet_error"
    assert workflow.ledger.size() == 0  # nothing was decided


def test_the_outcome_is_forgotten_once_the_exchange_expires(
    service: tuple[Any, PolicyWorkflow], housing: Housing, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from did_gov.service import _app

    client, _ = service
    answer, request, _ = _apply(client, housing, "ada")
    assert "verifiablePresentation" in _outcome(client, answer)
    state = client.app.state.service
    _later(monkeypatch)
    asyncio.run(_app.purge_expired_exchanges(state))
    kept = state.state.store().exchange("housing", request["state"])
    assert kept is not None and kept.result is None  # the credential is no longer stored
    late = client.get(_path(answer.json()["redirect_uri"]))  # nothing is shown any more
    assert late.status_code == 409 and late.json()["code"] == "service.exchange_expired"


def test_a_wallet_of_sd_jwt_vcs_over_openid4vp_gets_the_benefit(
    service: tuple[Any, PolicyWorkflow], housing: Housing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Key Binding JWTs bound to the exchange's nonce and client_id, keyed by their queries."""
    client, _ = service
    request = _request_object(client, _offer(client))
    answer = _post_sd_jwt(client, housing, monkeypatch, request)
    outcome = _outcome(client, answer)
    assert outcome["state"] == "complete", outcome


def test_attack_an_openid4vp_presentation_posted_over_vcalm_is_refused(
    service: tuple[Any, PolicyWorkflow], housing: Housing
) -> None:
    client, _ = service
    offer, _, vp = _prepared(client, housing, "ada")
    done = client.post(_path(offer["exchangeUrl"]), json={"verifiablePresentation": vp})
    assert done.status_code == 403 and done.json()["code"] == "approval.evidence_rejected"
