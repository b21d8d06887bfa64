"""Red-team attacks on approval policies: each test is named after the attack it pins."""

from __future__ import annotations

import time

import pytest

from did_gov.approval._cel import Rule
from did_gov.errors import ApprovalError


def _literal(n: int) -> str:
    return "[" + ",".join("1" for _ in range(n)) + "]"


@pytest.mark.xfail(
    strict=True,
    reason="open (@approval): two nested map() over 600-element list literals pass every static "
    "bound (2.4 KB, depth 4, nesting 2) yet evaluate for minutes (map is ~cubic in the cel "
    "package); the time budget is only checked after the run, which cannot be interrupted",
)
def test_attack_cel_bomb_nested_maps_over_big_literals_refused_at_load() -> None:
    bomb = f"{_literal(600)}.map(x, {_literal(600)}.map(y, x * y)).size() > 0"
    assert len(bomb) < 4096
    with pytest.raises(ApprovalError):  # must not load: it would run for minutes
        Rule(bomb, "bomb")


def test_attack_cel_arithmetic_traps_are_rule_errors_not_crashes() -> None:
    deadline = time.perf_counter() + 1.0
    for expr in ("9223372036854775807 + 1 > 0", "1 / 0 == 1", "-9223372036854775808 / -1 == 0"):
        with pytest.raises(ApprovalError) as caught:
            Rule(expr, "trap").run({}, deadline)
        assert caught.value.code == "approval.policy_rule_error", expr


def test_attack_cel_catastrophic_regex_is_linear() -> None:
    rule = Rule("'" + "a" * 40 + "!'.matches('(a+)+$')", "regex")
    started = time.perf_counter()
    assert rule.run({}, started + 5) is False
    assert time.perf_counter() - started < 1.0
