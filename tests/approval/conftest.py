"""The housing-benefit world of examples/housing_benefit.py, shared by the approval tests."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from did_gov import Verifier
from did_gov.approval import (
    Decision,
    Policy,
    ReplayResult,
    Submission,
    TrustState,
    decide,
    load_policy,
    replay,
)
from did_gov.ledger import open_ledger
from tests.conftest import ROOT

DENIALS = [
    ("ben", "approval.denied"),
    ("cleo", "approval.evidence_rejected"),
    ("dan", "approval.evidence_rejected"),
    ("eve", "approval.subject_mismatch"),
]
"""The example's citizens who are refused, with the code each is refused with."""


def example() -> ModuleType:
    """examples/housing_benefit.py as a module (importable once, by name)."""
    name = "housing_benefit_example"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "housing_benefit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Housing:
    """The example module, its world, the office's verifier and the loaded policy."""

    ex: ModuleType
    world: Any
    verifier: Verifier
    trust: TrustState
    policy: Policy

    def ledger(self) -> Any:
        """A fresh in-memory log."""
        return open_ledger("memory:", log_key=self.world.log_key, origin="test.example/log")

    def signed(self, document: dict[str, Any]) -> Policy:
        """``document`` signed by the housing office."""
        from did_gov.approval import sign_policy

        housing = self.world.housing
        return sign_policy(document, housing.key, housing.vm)

    def submission(self, name: str) -> Submission:
        """``name``'s application, bound to the world's challenge and domain."""
        world = self.world
        return Submission(
            presentations=(self.ex.application(world, name),),
            challenge=world.challenge,
            domain=world.domain,
        )

    def decide(self, policy: Policy, submission: Submission, ledger: Any) -> Decision:
        """``submission`` decided under ``policy`` by the housing office at the world's time,
        its record anchored in ``ledger``."""
        return decide(
            policy,
            submission,
            self.verifier,
            key=self.world.housing.key,
            ledger=ledger,
            now=self.world.now,
            trust=self.trust,
        )

    def replay(
        self, decision: Any, submission: Submission, ledger: Any = None, **options: Any
    ) -> ReplayResult:
        """``decision`` (a decision file) replayed under the housing policy, verifier and trust;
        with ``ledger``, its receipt is checked under that log's key."""
        if ledger is not None:
            options["log_key"] = ledger.verifier.vkey
        return replay(decision, self.policy, submission, self.verifier, trust=self.trust, **options)

    def document(self) -> dict[str, Any]:
        """A fresh copy of the example's policy document."""
        return self.ex.policy_document(self.world.housing, self.world.now)


@pytest.fixture(scope="session")
def housing() -> Housing:
    """Built once: keys, bundle, status list, credentials."""
    ex = example()
    world = ex.build_world()
    verifier, trust = world.verifier()
    return Housing(ex, world, verifier, trust, load_policy(world.policy))
