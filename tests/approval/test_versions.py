"""Policies are versioned and withdrawn by signed new versions; evaluators never go back (§3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from did_gov.approval import PolicyVersions, PolicyWorkflow
from did_gov.errors import ApprovalError
from tests.approval.conftest import Housing


def _version(housing: Housing, version: int, **changes: Any) -> Any:
    return housing.signed({**housing.document(), "version": version, **changes})


def _code(call: Any) -> str:
    with pytest.raises(ApprovalError) as caught:
        call()
    return str(caught.value.code)


def test_a_newer_version_replaces_the_older_which_is_then_refused(housing: Housing) -> None:
    v1, v2 = housing.policy, _version(housing, 2)
    kept = PolicyVersions()
    kept.admit(v1)
    kept.admit(v1)  # the same version again is fine
    kept.admit(v2)
    newest = kept.newest(v2.issuer, v2.id)
    assert newest is not None and (newest.version, newest.hash) == (2, v2.hash)
    assert _code(lambda: kept.admit(v1)) == "approval.policy_superseded"
    other_v2 = _version(housing, 2, name="another text under the same version number")
    assert _code(lambda: kept.admit(other_v2)) == "approval.policy_conflict"


def test_versions_are_kept_in_a_file_across_runs(housing: Housing, tmp_path: Path) -> None:
    path = tmp_path / "policy-versions.json"
    PolicyVersions(path).admit(_version(housing, 3))
    assert json.loads(path.read_text())["policies"][0]["version"] == 3
    assert _code(lambda: PolicyVersions(path).admit(housing.policy)) == "approval.policy_superseded"
    path.write_text("{not json")
    assert _code(lambda: PolicyVersions(path).admit(housing.policy)) == (
        "approval.policy_versions_unreadable"
    )


def test_another_issuer_cannot_withdraw_a_policy_by_reusing_its_id(housing: Housing) -> None:
    from did_gov.approval import sign_policy

    other = housing.world.tax  # a key of another agency, signing a policy of its own
    squat = sign_policy(
        {**housing.document(), "issuer": other.did, "version": 99, "withdrawn": True},
        other.key,
        other.vm,
    )
    kept = PolicyVersions()
    kept.admit(squat)
    kept.admit(housing.policy)  # the housing office's v1 is untouched


def test_withdrawal_refuses_evaluation_and_earlier_decisions_still_replay(
    housing: Housing,
) -> None:
    ledger = housing.ledger()
    kept = PolicyVersions()
    kept.admit(housing.policy)
    before = housing.decide(housing.policy, housing.submission("ada"), ledger)
    assert before.approved
    withdrawal = _version(housing, 2, withdrawn=True)
    kept.admit(withdrawal)
    assert _code(lambda: kept.admit(housing.policy)) == "approval.policy_withdrawn"
    again = lambda: housing.decide(withdrawal, housing.submission("ada"), ledger)  # noqa: E731
    assert _code(again) == "approval.policy_withdrawn"
    replayed = housing.replay(
        before.to_json(), housing.submission("ada"), ledger, issued=before.credential
    )
    assert replayed.ok, replayed.message


def test_a_workflow_stops_once_its_policy_is_withdrawn(housing: Housing) -> None:
    world = housing.world
    kept = PolicyVersions()

    def workflow(policy: Any) -> PolicyWorkflow:
        made = PolicyWorkflow(
            "housing",
            policy,
            signer=world.housing.key,
            verification_method=None,
            verifier=housing.verifier,
            ledger=housing.ledger(),
            trust=housing.trust,
            versions=kept,
        )
        made.clock = lambda: world.now
        return made

    running = workflow(housing.policy)
    vp = housing.ex.application(world, "ada")
    assert running.complete(vp, challenge=world.challenge, domain=world.domain).approved
    withdrawn = workflow(_version(housing, 2, withdrawn=True))  # the service restarted with v2
    for instance in (running, withdrawn):
        result = instance.complete(vp, challenge=world.challenge, domain=world.domain)
        assert not result.approved and result.code == "approval.policy_withdrawn"
        assert result.record is None and instance.ledger.size() == (instance is running)
    assert _code(lambda: workflow(housing.policy)) == "approval.policy_withdrawn"
