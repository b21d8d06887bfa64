"""Decision records: anchored, replayable, and free of claim values (§7-8)."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov import Verifier
from did_gov.approval import Decision, Submission, TrustState, decide, replay
from did_gov.ledger import open_ledger
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER, verify_bundle
from tests.approval.conftest import Housing


def _decided(housing: Housing, name: str) -> tuple[Decision, Submission, Any]:
    log = housing.ledger()
    submission = housing.submission(name)
    return housing.decide(housing.policy, submission, log), submission, log


@pytest.mark.parametrize("name", ["ada", "ben", "cleo", "dan", "eve"])
def test_every_decision_replays_from_the_log(housing: Housing, name: str) -> None:
    decision, submission, log = _decided(housing, name)
    result = housing.replay(decision.to_json(), submission, log, issued=decision.credential)
    assert result.ok, result.message
    assert "receipt" in result.compared and "trace" in result.compared


def test_replay_refuses_another_bundle(housing: Housing) -> None:
    decision, submission, _ = _decided(housing, "ada")
    world = housing.world
    newer = verify_bundle(json.dumps(world.rebundle(2)).encode(), world.root, now=world.now)
    verifier = Verifier(now=world.now, **newer.verifier_options())
    result = replay(
        decision.to_json(), housing.policy, submission, verifier, trust=TrustState.of_bundle(newer)
    )
    assert (result.ok, result.code) == (False, "approval.bundle_mismatch")
    unsafe = replay(
        decision.to_json(),
        housing.policy,
        submission,
        Verifier(now=world.now, trust=UNSAFE_TRUST_ANY_ISSUER),
        trust=TrustState.unsafe(),
    )
    assert unsafe.code == "approval.bundle_mismatch"


def test_a_forged_record_fails_its_receipt(housing: Housing) -> None:
    decision, submission, log = _decided(housing, "ben")
    forged = copy.deepcopy(decision.to_json())
    forged["record"]["result"]["approved"] = True
    result = housing.replay(forged, submission, log)
    assert result.code == "approval.receipt_invalid"
    unanchored = housing.replay(forged, submission)
    assert unanchored.code == "approval.replay_mismatch"


def test_replay_with_other_evidence_does_not_reproduce(housing: Housing) -> None:
    decision, _, _ = _decided(housing, "ada")
    result = replay(
        decision.to_json(),
        housing.policy,
        housing.submission("ben"),
        housing.verifier,
        trust=housing.trust,
    )
    assert result.code == "approval.replay_mismatch"
    assert "evidence" in result.message


def test_replay_under_another_policy_does_not_reproduce(housing: Housing) -> None:
    decision, submission, _ = _decided(housing, "ada")
    other = housing.signed({**housing.document(), "version": 2})
    result = replay(decision.to_json(), other, submission, housing.verifier, trust=housing.trust)
    assert result.code == "approval.replay_mismatch"


def test_a_substituted_credential_does_not_match_the_anchored_hash(housing: Housing) -> None:
    decision, submission, _ = _decided(housing, "ada")
    substitute = dict(decision.credential)
    substitute["credentialSubject"] = {**substitute["credentialSubject"], "benefit": "cash"}
    result = replay(
        decision.to_json(),
        housing.policy,
        submission,
        housing.verifier,
        trust=housing.trust,
        issued=substitute,
    )
    assert result.code == "approval.replay_mismatch"


def test_an_unreadable_decision_file_is_a_clear_failure(housing: Housing) -> None:
    result = replay("{}", housing.policy, housing.submission("ada"), housing.verifier)
    assert result.code == "approval.record_invalid"


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _scalars(v)] + list(value)
    if isinstance(value, list):
        return [s for v in value for s in _scalars(v)]
    return [value]


_NAMES = st.text(alphabet="ghijklmnopqrstuvwxyz", min_size=8, max_size=16)


@settings(max_examples=8)
@given(name=_NAMES, city=_NAMES, income=st.integers(10_001, 99_999_999))
def test_no_claim_value_reaches_the_record_or_the_ledger(
    housing: Housing, name: str, city: str, income: int
) -> None:
    """Every claim value of the evidence is absent from the record, the receipt and the log file."""
    world, ex = housing.world, housing.ex
    citizen = world.citizens["ada"]
    identity = ex._credential(
        world.interior,
        ex.IDENTITY,
        {"id": citizen.did, "givenName": name, "residence": {"city": city}},
        world.now,
    )
    earnings = ex._credential(
        world.tax,
        ex.INCOME,
        {"id": citizen.did, "taxYear": 2025, "annualIncome": income},
        world.now,
    )
    presentation = ex.present(
        [identity, earnings],
        citizen.key,
        challenge=world.challenge,
        domain=world.domain,
        now=world.now,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.db"
        log = open_ledger(f"sqlite:///{path}", log_key=world.log_key, origin="test.example/log")
        decision = decide(
            housing.policy,
            Submission((presentation,), challenge=world.challenge, domain=world.domain),
            housing.verifier,
            key=world.housing.key,
            ledger=log,
            now=world.now,
            trust=housing.trust,
        )
        log.close()
        stored = path.read_bytes()
    published = decision.to_json()
    text = json.dumps(published)
    for value in (name, city):
        assert value not in text
        assert value.encode() not in stored
    assert income not in _scalars(published)
    assert str(income) not in _scalars(published)
    assert decision.code == "approval.denied" or decision.approved
