"""Issuance policies: signed, hashed, versioned, and bounded when they load (issuance-policy §2-4)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did_gov.approval import load_policy, sign_policy
from did_gov.approval._cel import MAX_DEPTH, analyse
from did_gov.errors import ApprovalError
from tests.approval.conftest import Housing


def _with_rule(housing: Housing, expr: str, **extra: Any) -> dict[str, Any]:
    document = housing.document()
    document["rule"] = [{"id": "c", "expr": expr, "text": "the test clause"}]
    document.update(extra)
    return document


def _code(housing: Housing, document: dict[str, Any]) -> str:
    with pytest.raises(ApprovalError) as caught:
        housing.signed(document)
    assert caught.value.message  # a clear sentence, not an empty error
    return caught.value.code


def test_a_signed_policy_loads_and_is_identified_by_its_hash(housing: Housing) -> None:
    policy = load_policy(json.dumps(housing.world.policy))
    assert policy.hash.startswith("sha256:") and len(policy.hash) == 71
    assert policy.hash == housing.policy.hash
    assert [c.id for c in policy.clauses] == ["resident", "recent_income", "income_limit"]
    again = housing.document()
    again["version"] = 2
    assert housing.signed(again).hash != policy.hash


def test_policy_signature_forgery_is_refused(housing: Housing) -> None:
    forged = copy.deepcopy(housing.world.policy)
    forged["policy"]["rule"][2]["expr"] = "income.annualIncome <= 99000"
    with pytest.raises(ApprovalError) as caught:
        load_policy(forged)
    assert caught.value.code == "approval.policy_signature_invalid"


def test_policy_signed_by_someone_else_is_refused(housing: Housing) -> None:
    other = housing.world.tax
    with pytest.raises(ApprovalError) as caught:
        sign_policy(housing.document(), other.key, other.vm)
    assert caught.value.code == "approval.policy_issuer_mismatch"
    signed = sign_policy({**housing.document(), "issuer": other.did}, other.key, other.vm)
    tampered = signed.to_json()
    tampered["proof"]["verificationMethod"] = housing.world.housing.vm
    with pytest.raises(ApprovalError) as caught:
        load_policy(tampered)
    assert caught.value.code == "approval.policy_issuer_mismatch"


def test_withdrawn_and_expired_policies_do_not_evaluate(housing: Housing) -> None:
    now = housing.world.now
    withdrawn = housing.signed({**housing.document(), "version": 2, "withdrawn": True})
    with pytest.raises(ApprovalError) as caught:
        withdrawn.in_force(now)
    assert caught.value.code == "approval.policy_withdrawn"
    with pytest.raises(ApprovalError) as caught:
        housing.policy.in_force(now - timedelta(days=365))
    assert caught.value.code == "approval.policy_not_in_force"


def test_hostile_unbounded_expression_too_large(housing: Housing) -> None:
    expr = " || ".join(["income.taxYear == 2025"] * 200)
    assert _code(housing, _with_rule(housing, expr)) == "approval.policy_expression_too_large"


def test_hostile_expression_too_deep(housing: Housing) -> None:
    expr = "(" * 40 + "income.taxYear" + ")" * 40 + " > 0"
    assert _code(housing, _with_rule(housing, expr)) == "approval.policy_expression_too_deep"
    chain = "income.taxYear" + " + 1" * (MAX_DEPTH + 2) + " > 0"
    assert _code(housing, _with_rule(housing, chain)) == "approval.policy_expression_too_deep"


def test_hostile_expression_nesting_does_not_overflow_the_parser(housing: Housing) -> None:
    expr = "[" * 2000 + "]" * 2000
    assert _code(housing, _with_rule(housing, expr)) == "approval.policy_expression_too_deep"


def test_hostile_comprehensions_nested_three_deep(housing: Housing) -> None:
    expr = "[1].all(a, [2].all(b, [3].all(c, a + b + c > 0)))"
    assert _code(housing, _with_rule(housing, expr)) == "approval.policy_comprehension_too_deep"
    two = "[1].all(a, [2].exists(b, a + b > 0))"
    assert housing.signed(_with_rule(housing, two)).clauses[0].rule.analysis.comprehensions == 2


def test_hostile_rule_reading_missing_claims(housing: Housing) -> None:
    document = _with_rule(housing, "identity.birthDate < '2008-01-01'")
    assert _code(housing, document) == "approval.policy_claim_undeclared"
    unknown = _with_rule(housing, "passport.number != ''")
    assert _code(housing, unknown) == "approval.policy_expression_invalid"


def test_hostile_huge_template(housing: Housing) -> None:
    document = housing.document()
    document["credential"]["credentialSubject"] = {f"k{i}": "x" * 100 for i in range(300)}
    assert _code(housing, document) == "approval.policy_template_too_large"
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(12):
        node["a"] = {}
        node = node["a"]
    document["credential"]["credentialSubject"] = deep
    assert _code(housing, document) == "approval.policy_template_too_large"


def test_template_reading_an_undeclared_claim_is_refused(housing: Housing) -> None:
    document = housing.document()
    document["credential"]["credentialSubject"] = {"born": {"$claim": "identity.birthDate"}}
    assert _code(housing, document) == "approval.policy_claim_undeclared"


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("type", "Policy"),
        ("formatVersion", 2),
        ("version", 0),
        ("timeBudgetMs", 60_000),
        ("extra", True),
        ("evidence", []),
    ],
)
def test_malformed_policies_are_refused(housing: Housing, member: str, value: Any) -> None:
    assert _code(housing, {**housing.document(), member: value}) == "approval.policy_invalid"


def test_syntax_errors_are_refused_with_the_clause_named(housing: Housing) -> None:
    with pytest.raises(ApprovalError) as caught:
        housing.signed(_with_rule(housing, "income.taxYear >"))
    assert caught.value.code == "approval.policy_expression_invalid"
    assert "clause c" in caught.value.message


def test_the_analysis_lists_what_a_rule_reads() -> None:
    found = analyse("identity.residence.city == 'x' && has(income.bonus) && income['year'] > 1")
    assert found.paths == {("identity", "residence", "city"), ("income", "year")}
    assert found.optional == {("income", "bonus")}
    assert found.variables == {"identity", "income"}
    assert analyse("[1, 2].map(x, x * 2).size() > 0").variables == frozenset()


_ATOMS = st.sampled_from(["a.b", "1", "2.5", "'s'", "true", "a.c[0]", "[1, 2]", "{'k': 1}"])
_OPS = st.sampled_from([" + ", " - ", " * ", " == ", " != ", " < ", " && ", " || ", " in "])


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(_ATOMS)
    kind = draw(st.integers(0, 4))
    inner = draw(_expressions(depth + 1))
    if kind == 0:
        return f"({inner}){draw(_OPS)}{draw(_expressions(depth + 1))}"
    if kind == 1:
        return f"!({inner})"
    if kind == 2:
        return f"[{inner}].exists(x, x == {inner})"
    if kind == 3:
        return f"size([{inner}]) > 0 ? {inner} : {draw(_ATOMS)}"
    return f"{inner}{draw(_OPS)}{draw(_ATOMS)}"


@given(_expressions())
def test_the_analyser_accepts_what_the_evaluator_parses(expr: str) -> None:
    """Syntax the pinned evaluator parses, the analyser parses too, or refuses for a bound only."""
    import cel

    try:
        cel.compile(expr)
    except ValueError:
        return  # the generator made something CEL does not parse either
    bounds = {
        "approval.policy_expression_too_deep",
        "approval.policy_comprehension_too_deep",
        "approval.policy_expression_too_large",
    }
    code = None
    try:
        analyse(expr)
    except ApprovalError as exc:
        code = exc.code
    assert code is None or code in bounds, code


def test_hostile_macro_over_a_computed_range_is_refused(housing: Housing) -> None:
    """A range built by another macro or by concatenation has no size known before it runs."""
    for expr in (
        "[1, 2].map(x, x).map(y, y > 0).size() > 0",
        "([1] + [2]).all(x, x > 0)",
        "[[1]].all(x, x.all(y, y > 0))",
    ):
        assert (
            _code(housing, _with_rule(housing, expr)) == "approval.policy_comprehension_unbounded"
        )


def test_macros_within_the_budget_load(housing: Housing) -> None:
    expr = "[1, 2, 3].all(x, [4, 5].exists(y, x < y)) && income.taxYear > 0"
    assert housing.signed(_with_rule(housing, expr)).clauses[0].rule.analysis.macros
