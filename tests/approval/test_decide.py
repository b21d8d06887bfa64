"""Evaluation: verified evidence, the one-person rule, the clauses, the issued credential (§5-6)."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from typing import Any

import pytest

from did_gov import Verifier, issue, present_sd_jwt
from did_gov.approval import Submission, decide, evaluate
from did_gov.approval import _cel as cel_module
from did_gov.errors import ApprovalError
from tests.approval.conftest import Housing


def _salts() -> Any:
    counter = itertools.count()
    return lambda n: next(counter).to_bytes(n, "big")


def _decide(housing: Housing, name: str) -> Any:
    return decide(
        housing.policy,
        housing.submission(name),
        housing.verifier,
        key=housing.world.housing.key,
        ledger=housing.ledger(),
        now=housing.world.now,
        trust=housing.trust,
    )


def test_the_qualifying_citizen_gets_an_accredited_credential(housing: Housing) -> None:
    decision = _decide(housing, "ada")
    assert decision.approved, decision.reason
    credential = decision.credential
    assert credential["credentialSubject"]["givenName"] == "Ada"
    assert credential["credentialSubject"]["id"] == housing.world.citizens["ada"].did
    assert credential["issuer"] == housing.world.housing.did
    report = housing.verifier.verify(credential)
    assert report.verified, report.summary()
    assert [t["clause"] for t in decision.record["trace"]] == [
        "resident",
        "recent_income",
        "income_limit",
    ]
    assert all(t["value"] for t in decision.record["trace"])


def test_income_too_high_is_denied_with_the_clause_in_words(housing: Housing) -> None:
    decision = _decide(housing, "ben")
    assert not decision.approved and decision.credential is None
    assert decision.code == "approval.denied"
    assert decision.reason == "not met: the annual income is at most 30,000 (clause income_limit)"
    assert decision.record["result"] == {
        "approved": False,
        "code": "approval.denied",
        "clause": "income_limit",
    }


def test_revoked_identity_credential_is_denied_with_its_reason(housing: Housing) -> None:
    decision = _decide(housing, "cleo")
    assert decision.code == "approval.evidence_rejected"
    assert "status.revoked" in decision.reason
    assert decision.record["trace"] == []


def test_unaccredited_income_issuer_is_denied_with_its_reason(housing: Housing) -> None:
    decision = _decide(housing, "dan")
    assert decision.code == "approval.evidence_rejected"
    assert "trust.issuer_not_accredited" in decision.reason


def test_someone_elses_income_credential_is_a_subject_mismatch(housing: Housing) -> None:
    decision = _decide(housing, "eve")
    assert decision.code == "approval.subject_mismatch"


def test_evaluation_is_a_pure_function_of_policy_evidence_and_clock(housing: Housing) -> None:
    submission = housing.submission("ada")
    runs = [
        evaluate(
            housing.policy,
            submission,
            housing.verifier,
            now=housing.world.now,
            trust=housing.trust,
            randbytes=_salts(),
        )
        for _ in range(2)
    ]
    assert runs[0].record == runs[1].record
    assert runs[0].unsigned == runs[1].unsigned
    later = evaluate(
        housing.policy,
        submission,
        housing.verifier,
        now=housing.world.now + timedelta(minutes=1),
        trust=housing.trust,
        randbytes=_salts(),
    )
    assert later.record["decisionTime"] != runs[0].record["decisionTime"]


def test_loose_credentials_need_a_linking_claim(housing: Housing) -> None:
    world = housing.world
    loose = Submission(
        credentials=(world.credentials["ada/identity"], world.credentials["ada/income"])
    )
    outcome = evaluate(housing.policy, loose, housing.verifier, now=world.now)
    assert outcome.code == "approval.subject_mismatch"


def _linked_world(housing: Housing, income_id: str) -> tuple[Any, Submission]:
    world, ex = housing.world, housing.ex
    document = housing.document()
    document["evidence"][0]["claims"].append("personalId")
    document["evidence"][1]["claims"].append("personalId")
    document["subjectLink"] = {"identity": "personalId", "income": "personalId"}
    policy = housing.signed(document)
    identity = ex._credential(
        world.interior,
        ex.IDENTITY,
        {"personalId": "P-1", "givenName": "Ada", "residence": {"city": ex.CITY}},
        world.now,
    )
    income = ex._credential(
        world.tax,
        ex.INCOME,
        {"personalId": income_id, "taxYear": 2025, "annualIncome": 1000},
        world.now,
    )
    return policy, Submission(credentials=(identity, income))


def test_a_linking_claim_joins_loose_credentials(housing: Housing) -> None:
    policy, submission = _linked_world(housing, "P-1")
    outcome = evaluate(policy, submission, housing.verifier, now=housing.world.now)
    assert outcome.approved, outcome.reason
    policy, submission = _linked_world(housing, "P-2")
    outcome = evaluate(policy, submission, housing.verifier, now=housing.world.now)
    assert outcome.code == "approval.subject_mismatch"


def _sd_jwt_application(housing: Housing, income_holder: str, disclose: list[str]) -> Submission:
    world, ex = housing.world, housing.ex
    ada = world.citizens["ada"]
    tokens = []
    for issuer, kind, claims, holder in (
        (world.interior, ex.IDENTITY, {"givenName": "Ada", "residence": {"city": ex.CITY}}, "ada"),
        (world.tax, ex.INCOME, {"taxYear": 2025, "annualIncome": 1000}, income_holder),
    ):
        token = issue(
            {
                "@context": [ex.V2, ex.EXAMPLES],
                "type": ["VerifiableCredential", kind],
                "issuer": issuer.did,
                "validFrom": "2026-01-01T00:00:00Z",
                "credentialSubject": claims,
            },
            issuer.key,
            format="sd-jwt",
            verification_method=issuer.vm,
            disclosable=["/credentialSubject/annualIncome"] if kind == ex.INCOME else [],
            holder_key=world.citizens[holder].key.public_key,
            now=world.now,
        )
        tokens.append(
            present_sd_jwt(
                token,
                disclose if kind == ex.INCOME else [],
                holder_key=world.citizens[holder].key,
                nonce=world.challenge,
                audience=world.domain,
                now=world.now,
            )
        )
    assert ada is world.citizens["ada"]
    return Submission(presentations=tuple(tokens), challenge=world.challenge, domain=world.domain)


def _vct_policy(housing: Housing) -> Any:
    document = housing.document()
    return housing.signed(document)


def test_sd_jwt_vcs_whose_cnf_keys_signed_the_presentation_are_one_person(
    housing: Housing,
) -> None:
    policy = _vct_policy(housing)
    submission = _sd_jwt_application(housing, "ada", ["/annualIncome"])
    outcome = evaluate(policy, submission, housing.verifier, now=housing.world.now)
    assert outcome.approved, outcome.reason
    assert outcome.subject_id is not None and outcome.subject_id.startswith("did:jwk:")


def test_sd_jwt_vcs_bound_to_two_keys_are_a_subject_mismatch(housing: Housing) -> None:
    submission = _sd_jwt_application(housing, "eve", ["/annualIncome"])
    outcome = evaluate(_vct_policy(housing), submission, housing.verifier, now=housing.world.now)
    assert outcome.code == "approval.subject_mismatch"


def test_an_undisclosed_claim_the_rule_needs_is_a_denial(housing: Housing) -> None:
    submission = _sd_jwt_application(housing, "ada", [])
    outcome = evaluate(_vct_policy(housing), submission, housing.verifier, now=housing.world.now)
    assert outcome.code == "approval.claim_missing"
    assert "annualIncome" in (outcome.reason or "")


def test_presentation_replayed_to_another_challenge_is_rejected(housing: Housing) -> None:
    world = housing.world
    submission = Submission(
        presentations=(housing.ex.application(world, "ada"),),
        challenge="another-exchange",
        domain=world.domain,
    )
    outcome = evaluate(housing.policy, submission, housing.verifier, now=world.now)
    assert outcome.code == "approval.evidence_rejected"


def test_a_rule_over_its_time_budget_fails_clearly(
    housing: Housing, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = itertools.count(step=10.0)
    monkeypatch.setattr(cel_module.time, "perf_counter", lambda: next(ticks))
    with pytest.raises(ApprovalError) as caught:
        evaluate(housing.policy, housing.submission("ada"), housing.verifier, now=housing.world.now)
    assert caught.value.code == "approval.policy_time_budget"


def test_a_clause_that_is_not_boolean_fails_clearly(housing: Housing) -> None:
    document = housing.document()
    document["rule"] = [{"id": "sum", "expr": "income.annualIncome + 1", "text": "a sum"}]
    with pytest.raises(ApprovalError) as caught:
        evaluate(
            housing.signed(document),
            housing.submission("ada"),
            housing.verifier,
            now=housing.world.now,
        )
    assert caught.value.code == "approval.policy_rule_error"


def test_a_clause_with_a_type_error_fails_clearly(housing: Housing) -> None:
    document = housing.document()
    document["rule"] = [{"id": "t", "expr": "income.annualIncome == 'x' + 1", "text": "bad"}]
    with pytest.raises(ApprovalError) as caught:
        evaluate(
            housing.signed(document),
            housing.submission("ada"),
            housing.verifier,
            now=housing.world.now,
        )
    assert caught.value.code == "approval.policy_rule_error"


def test_issuing_with_a_key_of_someone_else_is_refused(housing: Housing) -> None:
    with pytest.raises(ApprovalError) as caught:
        decide(
            housing.policy,
            housing.submission("ada"),
            housing.verifier,
            key=housing.world.tax.key,
            ledger=housing.ledger(),
            now=housing.world.now,
        )
    assert caught.value.code == "approval.policy_issuer_mismatch"


def test_a_status_policy_needs_a_status_registry(housing: Housing) -> None:
    document = housing.document()
    document["credential"]["status"] = "revocation"
    with pytest.raises(ApprovalError) as caught:
        decide(
            housing.signed(document),
            housing.submission("ada"),
            housing.verifier,
            key=housing.world.housing.key,
            ledger=housing.ledger(),
            now=housing.world.now,
        )
    assert caught.value.code == "approval.status_unavailable"


def test_unconfigured_trust_denies(housing: Housing) -> None:
    outcome = evaluate(housing.policy, housing.submission("ada"), Verifier(), now=housing.world.now)
    assert outcome.code == "approval.evidence_rejected"


def test_attack_two_income_credentials_to_pick_the_lower_one(housing: Housing) -> None:
    """Presenting a low and a high income credential is ambiguous, not a choice for the rule."""
    world, ex = housing.world, housing.ex
    ada = world.citizens["ada"]
    other_income = ex._credential(
        world.tax, ex.INCOME, {"id": ada.did, "taxYear": 2025, "annualIncome": 90000}, world.now
    )
    vp = ex.present(
        [world.credentials["ada/identity"], world.credentials["ada/income"], other_income],
        ada.key,
        challenge=world.challenge,
        domain=world.domain,
        now=world.now,
    )
    submission = Submission((vp,), challenge=world.challenge, domain=world.domain)
    outcome = evaluate(housing.policy, submission, housing.verifier, now=world.now)
    assert outcome.code == "approval.evidence_ambiguous"
    assert len(outcome.record["evidence"]) == 3  # every presented credential is hashed


def test_attack_accredited_but_unlisted_issuer_is_not_evidence(housing: Housing) -> None:
    """A policy naming its issuers accepts no other issuer, accredited or not."""
    document = housing.document()
    document["evidence"][1]["issuers"] = [housing.world.interior.did]  # not the Tax agency
    outcome = evaluate(
        housing.signed(document), housing.submission("ada"), housing.verifier,
        now=housing.world.now,
    )  # fmt: skip
    assert outcome.code == "approval.evidence_missing"


def test_attack_evidence_with_a_huge_list_costs_too_much_before_it_runs(
    housing: Housing,
) -> None:
    """The cost of a macro over an evidence claim is known from the claim's size, before running."""
    world, ex = housing.world, housing.ex
    ada = world.citizens["ada"]
    document = housing.document()
    document["evidence"][1]["claims"].append("payslips")
    document["rule"] = [
        {"id": "payslips", "expr": "income.payslips.map(p, p > 0).size() > 0", "text": "paid"}
    ]
    policy = housing.signed(document)
    income = ex._credential(
        world.tax,
        ex.INCOME,
        {"id": ada.did, "taxYear": 2025, "annualIncome": 1, "payslips": [1] * 3000},
        world.now,
    )
    vp = ex.present(
        [world.credentials["ada/identity"], income],
        ada.key,
        challenge=world.challenge,
        domain=world.domain,
        now=world.now,
    )
    submission = Submission((vp,), challenge=world.challenge, domain=world.domain)
    started = time.perf_counter()
    with pytest.raises(ApprovalError) as caught:
        evaluate(policy, submission, housing.verifier, now=world.now)
    assert caught.value.code == "approval.policy_cost_exceeded"
    assert time.perf_counter() - started < 5  # refused, not run (3,000 maps take ~20 s)


def test_an_sd_jwt_benefit_is_bound_to_the_applicants_key(housing: Housing) -> None:
    from did_gov import present_sd_jwt

    document = housing.document()
    document["credential"]["format"] = "sd-jwt"
    document["credential"]["disclosable"] = ["/credentialSubject/givenName"]
    decision = decide(
        housing.signed(document),
        housing.submission("ada"),
        housing.verifier,
        key=housing.world.housing.key,
        ledger=housing.ledger(),
        now=housing.world.now,
    )
    assert decision.approved and isinstance(decision.credential, str)
    world = housing.world
    shown = present_sd_jwt(
        decision.credential,
        ["/givenName"],
        holder_key=world.citizens["ada"].key,
        nonce="n",
        audience="a",
        now=world.now,
    )
    report = housing.verifier.verify(shown, nonce="n", audience="a")
    assert report.verified, report.summary()
    assert report.document["givenName"] == "Ada" and "cnf" in report.document
