"""Red-team attacks on the housing policy's exchanges, against a real ``create_app``.

Each test is named after the attack it pins: reading someone's outcome, costly postings,
presentations forged, borrowed or made for another protocol, evidence from issuers not
accredited for what it asserts. Defects found by these attacks are fixed; attacks that were
already refused are pinned here so they stay refused.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from did_gov import present
from did_gov.approval import PolicyWorkflow
from did_gov.proofs.data_integrity import add_proof
from tests.approval import test_exchange_openid as oid
from tests.approval.conftest import Housing

service = oid.service  # the housing policy behind a real create_app (fixture)
Service = tuple[Any, PolicyWorkflow]


def _vcalm(client: Any) -> tuple[str, dict[str, Any]]:
    """A new exchange asked over VCALM: its path and the presentation request."""
    created = client.post("/workflows/housing/exchanges", json={})
    assert created.status_code == 201, created.text
    path = oid._path(created.json()["exchangeUrl"])
    asked = client.post(path, json={})
    assert asked.status_code == 200, asked.text
    request: dict[str, Any] = asked.json()["verifiablePresentationRequest"]
    return path, request


def _denied(answer: Any) -> str:
    assert answer.status_code == 403, answer.text
    code: str = answer.json()["code"]
    return code


# -- reading someone else's outcome ----------------------------------------------------------


@pytest.mark.parametrize("citizen", ["ada", "ben"])
@pytest.mark.parametrize("code", ["guessed", ""])
def test_attack_expired_exchange_does_not_tell_a_stranger_approved_from_denied(
    service: Service,
    housing: Housing,
    monkeypatch: pytest.MonkeyPatch,
    citizen: str,
    code: str,
) -> None:
    """A QR code's onlooker, after 15 minutes, asks with any code: the state was the outcome."""
    client, _ = service
    answer, request, _ = oid._apply(client, housing, citizen)
    assert answer.status_code == 200
    exchange = oid._path(request["response_uri"]).removesuffix("/openid/response")
    oid._later(monkeypatch)
    seen = client.get(exchange, params={"response_code": code})
    assert seen.status_code == 409, seen.text
    assert seen.json()["code"] == "service.exchange_expired"
    assert "complete" not in seen.text and "invalid" not in seen.text


def test_attack_a_response_code_of_one_exchange_does_not_open_another(
    service: Service, housing: Housing
) -> None:
    client, _ = service
    mine, _, _ = oid._apply(client, housing, "ada")
    theirs, request, _ = oid._apply(client, housing, "ben")
    code = mine.json()["redirect_uri"].split("response_code=", 1)[1]
    exchange = oid._path(request["response_uri"]).removesuffix("/openid/response")
    seen = client.get(exchange, params={"response_code": code})
    assert seen.status_code == 403 and seen.json()["code"] == "service.response_code_invalid"
    assert theirs.status_code == 200


def test_attack_the_outcome_of_a_vcalm_exchange_has_no_response_code(
    service: Service, housing: Housing
) -> None:
    """Answered over VCALM, no code was handed out: none opens it, the empty one neither."""
    client, _ = service
    path, request = _vcalm(client)
    vp = oid._vp(housing, "ada", request["challenge"], request["domain"])
    assert client.post(path, json={"verifiablePresentation": vp}).status_code == 200
    for code in ("", "None", "null"):
        seen = client.get(path, params={"response_code": code})
        assert seen.status_code == 403, seen.text


# -- getting the benefit without qualifying --------------------------------------------------


def test_attack_a_vp_claiming_another_holder_is_refused(service: Service, housing: Housing) -> None:
    """Eve signs a presentation of Ada's credentials that names Ada as its holder."""
    client, _ = service
    path, request = _vcalm(client)
    world = housing.world
    eve = world.citizens["eve"]
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": world.citizens["ada"].did,
        "verifiableCredential": [
            world.credentials["ada/identity"],
            world.credentials["ada/income"],
        ],
    }
    forged = add_proof(
        vp,
        eve.key,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=eve.vm,
        proof_purpose="authentication",
        challenge=request["challenge"],
        domain=request["domain"],
        now=world.now,
    )
    answer = client.post(path, json={"verifiablePresentation": forged})
    assert _denied(answer) == "approval.evidence_rejected"
    assert "holder.key_mismatch" in answer.json()["detail"]


def test_attack_an_unsigned_or_unbound_vp_is_refused(service: Service, housing: Housing) -> None:
    client, _ = service
    world = housing.world
    ada = world.citizens["ada"]
    credentials = [world.credentials["ada/identity"], world.credentials["ada/income"]]
    path, request = _vcalm(client)
    vp = present(credentials, ada.key, challenge=request["challenge"], now=world.now)
    answer = client.post(path, json={"verifiablePresentation": vp})  # no domain
    assert "proof.domain_mismatch" in answer.json()["detail"]
    path, request = _vcalm(client)
    vp = present(credentials, ada.key, domain=request["domain"], now=world.now)
    answer = client.post(path, json={"verifiablePresentation": vp})  # no challenge
    assert "proof.challenge_missing" in answer.json()["detail"]
    path, request = _vcalm(client)
    unsigned = {k: v for k, v in vp.items() if k != "proof"}
    answer = client.post(path, json={"verifiablePresentation": unsigned})
    assert "proof.missing" in answer.json()["detail"]


def test_attack_bare_credentials_instead_of_a_presentation_are_not_evidence(
    service: Service, housing: Housing
) -> None:
    """Ada's credentials, copied, posted without any presentation bound to the exchange."""
    client, _ = service
    world = housing.world
    path, _ = _vcalm(client)
    answer = client.post(path, json={"verifiablePresentation": world.credentials["ada/identity"]})
    assert _denied(answer) == "approval.evidence_missing"
    request = oid._request_object(client, oid._offer(client))
    token = {
        "identity-vc-di": [world.credentials["ada/identity"]],
        "income-vc-di": [world.credentials["ada/income"]],
    }
    outcome = oid._outcome(client, oid._post_token(client, request, token))
    assert outcome["state"] == "invalid" and "verifiablePresentation" not in outcome


@pytest.mark.parametrize("combined", [False, True])
def test_attack_an_identity_issuer_cannot_vouch_for_income(
    service: Service, housing: Housing, combined: bool
) -> None:
    """The Interior (accredited for identity) signs Eve's income, alone or in one credential."""
    client, _ = service
    world, ex = housing.world, housing.ex
    eve = world.citizens["eve"]
    income = {"id": eve.did, "taxYear": 2025, "annualIncome": 10}
    if combined:
        subject = {"givenName": "Eve", "residence": {"city": ex.CITY}, **income}
        both = ex._credential(world.interior, ex.IDENTITY, subject, world.now)
        both = ex.issue(
            {
                **{k: v for k, v in both.items() if k != "proof"},
                "type": ["VerifiableCredential", ex.IDENTITY, ex.INCOME],
            },
            world.interior.key,
            verification_method=world.interior.vm,
            now=world.now,
        )
        credentials = [both]
    else:
        credentials = [
            world.credentials["eve/identity"],
            ex._credential(world.interior, ex.INCOME, income, world.now),
        ]
    path, request = _vcalm(client)
    vp = present(
        credentials,
        eve.key,
        challenge=request["challenge"],
        domain=request["domain"],
        now=world.now,
    )
    answer = client.post(path, json={"verifiablePresentation": vp})
    assert _denied(answer) == "approval.evidence_rejected"
    assert "trust.issuer_not_accredited" in answer.json()["detail"]


def test_attack_a_vcalm_presentation_replayed_over_openid4vp_is_refused(
    service: Service, housing: Housing
) -> None:
    """One exchange, both protocols: the VCALM presentation (domain = the service URL) and
    the OpenID4VP answer (audience = the client_id) are not interchangeable."""
    client, _ = service
    offer = oid._offer(client)
    request = oid._request_object(client, offer)
    vp = oid._vp(housing, "ada", request["nonce"], "http://testserver")
    outcome = oid._outcome(client, oid._post(client, request, vp))
    assert outcome["lastError"]["code"] == "approval.evidence_rejected"
    assert "proof.domain_mismatch" in outcome["lastError"]["detail"]


def test_attack_a_key_binding_jwt_for_another_exchange_is_refused(
    service: Service, housing: Housing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ada's SD-JWT VCs with Key Binding JWTs made for one exchange, posted to another."""
    client, _ = service
    theirs = oid._request_object(client, oid._offer(client))
    mine = oid._request_object(client, oid._offer(client))
    answer = oid._post_sd_jwt(client, housing, monkeypatch, mine, bound_to=theirs)
    outcome = oid._outcome(client, answer)
    assert outcome["state"] == "invalid"
    assert outcome["lastError"]["code"] == "approval.evidence_rejected"
    assert "nonce" in outcome["lastError"]["detail"]


def test_attack_pairing_ones_identity_with_anothers_sd_jwt_income_is_refused(
    service: Service, housing: Housing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eve's wallet answers with her identity and an income SD-JWT VC bound to Ben's key."""
    client, _ = service
    request = oid._request_object(client, oid._offer(client))
    answer = oid._post_sd_jwt(client, housing, monkeypatch, request, "ben")
    outcome = oid._outcome(client, answer)
    assert outcome["lastError"]["code"] == "approval.subject_mismatch"


# -- slowing the service down ----------------------------------------------------------------


def test_attack_a_vcalm_post_of_many_presentations_costs_little(
    service: Service, housing: Housing
) -> None:
    """A megabyte of tiny distinct "presentations" under one key: refused before any work.

    The presentations were de-duplicated pairwise before being counted, so 100,000 of them
    kept a worker (and the GIL) busy for minutes.
    """
    client, workflow = service
    path, _ = _vcalm(client)
    many = {"q": [f"p{i}" for i in range(100_000)]}
    started = time.process_time()
    answer = client.post(path, json={"verifiablePresentation": many})
    assert time.process_time() - started < 2.0
    assert _denied(answer) == "approval.policy_evidence_limit"
    result = workflow.complete({"q": [{"n": i} for i in range(20_000)]}, challenge="c", domain="d")
    assert result.code == "approval.policy_evidence_limit"


def test_attack_duplicates_of_one_presentation_still_count_once(
    service: Service, housing: Housing
) -> None:
    """The same VP under every query id (what wallets send) is one presentation."""
    client, _ = service
    _, request, vp = oid._prepared(client, housing, "ada")
    token = {"identity-vc-di": [vp, copy.deepcopy(vp)], "income-vc-di": [vp]}
    answer = oid._post_token(client, request, token)
    assert oid._outcome(client, answer)["state"] == "complete"


def test_attack_a_response_code_found_later_opens_nothing(
    service: Service, housing: Housing
) -> None:
    """The redirect URL, replayed from a browser history or a proxy log after the wallet's
    user agent followed it: the code is one-time (the issued credential was readable again
    and again until the exchange expired)."""
    client, _ = service
    answer, _, _ = oid._apply(client, housing, "ada")
    redirect = oid._path(answer.json()["redirect_uri"])
    first = client.get(redirect)
    assert first.status_code == 200 and "verifiablePresentation" in first.json()
    again = client.get(redirect)
    assert again.status_code == 403, again.text
    assert again.json()["code"] == "service.response_code_invalid"
    assert "verifiablePresentation" not in again.text


def test_attack_a_key_binding_jwt_for_the_vcalm_domain_is_refused_over_openid4vp(
    service: Service, housing: Housing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right nonce, but Key Binding JWTs addressed to the VCALM domain, not the client_id."""
    client, _ = service
    request = oid._request_object(client, oid._offer(client))
    answer = oid._post_sd_jwt(client, housing, monkeypatch, request, audience=oid.BASE)
    outcome = oid._outcome(client, answer)
    assert outcome["lastError"]["code"] == "approval.evidence_rejected"
    assert "sd_jwt.kb_aud_mismatch" in outcome["lastError"]["detail"]


_WEIRD: list[Any] = [
    None,
    0,
    -1,
    1e308,
    10**30,
    "",
    "x" * 5000,
    [],
    {},
    [None],
    {"id": None},
    True,
    "did:key:zzz",
    "data:application/vp+jwt,a.b.c",
    {"type": "EnvelopedVerifiablePresentation", "id": "data:,"},
    "\u0000",
    "é",
    [[[[[]]]]],
]


def _mutated(document: Any, rnd: Any) -> Any:
    """``document`` with one value, somewhere down a random path, replaced by a weird one."""
    copied = copy.deepcopy(document)
    node = copied
    for _ in range(rnd.randint(1, 6)):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = rnd.choice(keys)
        child = node[key]
        if rnd.random() < 0.35 or not isinstance(child, dict | list) or not child:
            node[key] = rnd.choice(_WEIRD)
            break
        node = child
    return copied


@pytest.mark.parametrize("seed", range(3))
def test_attack_mutated_presentations_are_refused_never_a_500(
    service: Service, housing: Housing, seed: int
) -> None:
    """Ada's valid answers, each with one value replaced, over both protocols: never a 5xx and
    never an approval (a change that leaves the signed content alone is not a mutation)."""
    import random

    client, _ = service
    rnd = random.Random(seed)  # noqa: S311 - test input, not a secret
    for _ in range(12):
        path, request = _vcalm(client)
        vp = oid._vp(housing, "ada", request["challenge"], request["domain"])
        mutated = _mutated(vp, rnd)
        answer = client.post(path, json={"verifiablePresentation": mutated})
        assert answer.status_code < 500, answer.text
        assert answer.status_code != 200 or mutated == vp, json.dumps(mutated)[:300]
    for _ in range(12):
        _, request, vp = oid._prepared(client, housing, "ada")
        token = {"identity-vc-di": [vp], "income-vc-di": [vp]}
        mutated = _mutated(token, rnd)
        answer = oid._post_token(client, request, mutated)
        assert answer.status_code < 500, answer.text
        if answer.status_code == 200 and mutated != token:
            assert oid._outcome(client, answer)["state"] != "complete", json.dumps(mutated)[:300]


def test_attack_no_cache_keeps_an_issued_credential_or_a_response_code(
    service: Service, housing: Housing
) -> None:
    """A browser's or proxy's cache keeping the page the one-time code opened (the issued
    credential), or the direct_post answer carrying the code: every such answer is no-store."""
    client, _ = service
    answer, _, _ = oid._apply(client, housing, "ada")
    assert answer.headers["cache-control"] == "no-store"
    seen = client.get(oid._path(answer.json()["redirect_uri"]))
    assert seen.status_code == 200 and seen.headers["cache-control"] == "no-store"
    path, request = _vcalm(client)
    vp = oid._vp(housing, "ada", request["challenge"], request["domain"])
    issued = client.post(path, json={"verifiablePresentation": vp})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"


def test_attack_credentials_issued_through_exchanges_are_not_missing_from_the_audit_trail(
    service: Service, housing: Housing
) -> None:
    """The trail is "who issued what"; credentials an exchange issued left no record in it
    (the actor ``exchange:<workflow>`` was documented, never written)."""
    from did_gov.service._audit import subject_of

    client, _ = service
    store = client.app.state.service.state.store()
    before = len(store.audit(limit=1000))
    answer, _, _ = oid._apply(client, housing, "ada")  # over OpenID4VP
    over_openid = client.get(oid._path(answer.json()["redirect_uri"])).json()
    oid._apply(client, housing, "ben")  # denied: nothing issued, nothing recorded
    path, request = _vcalm(client)
    vp = oid._vp(housing, "ada", request["challenge"], request["domain"])
    over_vcalm = client.post(path, json={"verifiablePresentation": vp}).json()
    records = store.audit(limit=1000)[before:]
    issued = [
        body["verifiablePresentation"]["verifiableCredential"][0]
        for body in (over_openid, over_vcalm)
    ]
    assert [(r.actor, r.action, r.subject, r.detail) for r in records] == [
        ("exchange:housing", "issue", subject_of(c["id"]), "workflow=housing format=di")
        for c in issued
    ]
