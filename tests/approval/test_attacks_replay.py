"""Red-team attacks on replay: hostile decision files, and records altered to pass another decision.

Replay never raises for a bad record (the CLI prints its code); it reproduces only the decision
that was made, under the evidence, policy and bundle that made it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.approval.conftest import Housing
from tests.approval.test_record import _decided

Mutation = Callable[[dict[str, Any]], None]

_HOSTILE: dict[str, Mutation] = {
    "policy is a string": lambda r: r.__setitem__("policy", "sha256:00"),
    "evidence items are strings": lambda r: r.__setitem__("evidence", ["a", "b", "c"]),
    "evidence is a number": lambda r: r.__setitem__("evidence", 5),
    "a salt is not base64url": lambda r: r["evidence"][0].__setitem__("salt", "!!*"),
    "a salt is missing": lambda r: r["evidence"][0].pop("salt"),
    "credential is a list": lambda r: r.__setitem__("credential", [1]),
    "credential salt is a number": lambda r: r["credential"].__setitem__("salt", 7),
}


@pytest.mark.parametrize("how", sorted(_HOSTILE))
def test_attack_a_hostile_decision_file_is_refused_not_a_crash(housing: Housing, how: str) -> None:
    """These raised AttributeError, TypeError or InvalidInputError out of replay()."""
    decision, submission, _ = _decided(housing, "ada")
    hostile = copy.deepcopy(decision.to_json())
    _HOSTILE[how](hostile["record"])
    result = housing.replay(hostile, submission)
    assert not result.ok
    assert result.code == "approval.record_invalid", result.message


_ALTERED: dict[str, Mutation] = {
    "an extra member": lambda r: r.__setitem__("note", "approved by the mayor"),
    "the denial turned into an approval": lambda r: r["result"].update(
        approved=True, code=None, clause=None
    ),
    "the salts swapped": lambda r: r["evidence"].reverse(),
    "the trace edited": lambda r: r["trace"][-1].__setitem__("value", True),
    "an earlier decision time": lambda r: r.__setitem__("decisionTime", "2026-05-31T09:00:00Z"),
}


@pytest.mark.parametrize("how", sorted(_ALTERED))
def test_attack_an_altered_record_does_not_replay(housing: Housing, how: str) -> None:
    """Ben's denial, altered: without the log's key it does not reproduce, with it the
    receipt no longer commits to the record."""
    decision, submission, log = _decided(housing, "ben")
    altered = copy.deepcopy(decision.to_json())
    _ALTERED[how](altered["record"])
    result = housing.replay(altered, submission)
    assert not result.ok and result.code == "approval.replay_mismatch", result.message
    anchored = housing.replay(altered, submission, log)
    assert anchored.code == "approval.receipt_invalid"


def test_attack_another_applicants_approval_does_not_cover_this_credential(
    housing: Housing,
) -> None:
    """Ada's anchored approval, offered as the record of a credential issued to someone else."""
    ada, submission, log = _decided(housing, "ada")
    other, _, _ = _decided(housing, "ada")  # a second approval: another salt, another id
    result = housing.replay(ada.to_json(), submission, log, issued=other.credential)
    assert result.code == "approval.replay_mismatch"


# -- forged policies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "(" * 200 + "true" + ")" * 200,  # deeper than the analyser allows
        "[1, 2].map(x, [1, 2].map(y, [1].map(z, z)))",  # comprehensions three deep
        "income.taxYear >",  # does not parse
    ],
)
def test_attack_a_forged_policy_is_refused_before_its_rules_are_compiled(
    housing: Housing, expr: str
) -> None:
    """A policy rewritten by someone without the issuer's key is refused for its signature,
    before its hostile expressions reach the analyser or the CEL compiler."""
    from did_gov.approval import load_policy
    from did_gov.errors import ApprovalError

    forged = copy.deepcopy(housing.world.policy)
    forged["policy"]["rule"][0]["expr"] = expr
    with pytest.raises(ApprovalError) as caught:
        load_policy(forged)
    assert caught.value.code == "approval.policy_signature_invalid"
    unsigned_issuer = copy.deepcopy(forged)
    unsigned_issuer["policy"]["issuer"] = 7
    with pytest.raises(ApprovalError) as caught:
        load_policy(unsigned_issuer)
    assert caught.value.code == "approval.policy_issuer_mismatch"
