"""Smart approval figures (issue 16 §7): a whole decision, and the rule alone.

``figures(rounds)`` (``python -m bench --only approval``) times, on the housing-benefit world
of ``examples/housing_benefit.py``:

- a **decision**: verify a presentation of two evidence credentials (signatures, status,
  accreditation), the one-person rule, evaluate the three clauses, issue the benefit and
  anchor the record in an in-memory log — for evidence and benefit in VC-JOSE (``vc-jwt``)
  and in Data Integrity (``eddsa-rdfc-2022``, RDF canonicalization of every document);
- the **rule alone**: the three compiled clauses over one applicant's claims, beside the same
  clauses written as a Python function (the floor: no interpreter at all).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench._harness import Figure, measure, per_operation
from did_gov import present
from did_gov.approval import Submission, decide, sign_policy
from did_gov.approval._cel import Activation

BATCH = 1000


def _example() -> ModuleType:
    name = "housing_benefit_example"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "examples" / "housing_benefit.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _jose_world(ex: ModuleType, world: Any) -> tuple[Any, Any]:
    """Ada's evidence as VC-JOSE tokens in a vp+jwt, and a policy issuing vc-jwt."""
    ada = world.citizens["ada"]
    tokens = []
    for issuer, kind, subject in (
        (world.interior, ex.IDENTITY, {"givenName": "Ada", "residence": {"city": ex.CITY}}),
        (world.tax, ex.INCOME, {"taxYear": 2025, "annualIncome": 21000}),
    ):
        tokens.append(
            ex.issue(
                {
                    "@context": [ex.V2, ex.EXAMPLES],
                    "type": ["VerifiableCredential", kind],
                    "issuer": issuer.did,
                    "validFrom": "2026-01-01T00:00:00Z",
                    "credentialSubject": {"id": ada.did, **subject},
                },
                issuer.key,
                format="vc-jwt",
                verification_method=issuer.vm,
            )
        )
    vp = present(tokens, ada.key, format="vc-jwt", challenge=world.challenge, domain=world.domain)
    document = ex.policy_document(world.housing, world.now)
    document["credential"]["format"] = "vc-jwt"
    return vp, sign_policy(document, world.housing.key, world.housing.vm)


def figures(rounds: int) -> list[Figure]:
    """The decision (vc-jwt and DI evidence) and the rule alone."""
    from did_gov.approval import load_policy
    from did_gov.ledger import open_ledger

    ex = _example()
    world = ex.build_world()
    verifier, trust = world.verifier()
    log = open_ledger("memory:", log_key=world.log_key, origin="bench.example/log")
    jose_vp, jose_policy = _jose_world(ex, world)
    di_vp, di_policy = ex.application(world, "ada"), load_policy(world.policy)

    def decision(policy: Any, vp: Any) -> Any:
        submission = Submission((vp,), challenge=world.challenge, domain=world.domain)
        return decide(
            policy, submission, verifier, key=world.housing.key, ledger=log, now=world.now,
            trust=trust,
        )  # fmt: skip

    for policy, vp in ((jose_policy, jose_vp), (di_policy, di_vp)):
        assert decision(policy, vp).approved
    out = [
        measure(
            "approval decision, vc-jwt: verify 2 evidence credentials, evaluate, issue, anchor",
            lambda: decision(jose_policy, jose_vp),
            rounds=rounds,
            warmup=5,
            target="≤5 ms",
        ),
        measure(
            "approval decision, Data Integrity (eddsa-rdfc-2022 evidence and benefit)",
            lambda: decision(di_policy, di_vp),
            rounds=max(5, rounds // 4),
            warmup=2,
            target="",
        ),
    ]
    clauses = [c.rule for c in jose_policy.clauses]
    claims = {
        "identity": {"givenName": "Ada", "residence": {"city": ex.CITY}},
        "income": {"taxYear": 2025, "annualIncome": 21000},
        "subject": {"id": world.citizens["ada"].did},
        "now": world.now,
    }
    city = ex.CITY

    def rule() -> None:
        deadline = time.perf_counter() + 1
        for _ in range(BATCH):
            activation = Activation(claims)  # the evidence as CEL values, once per decision
            for clause in clauses:
                clause.run(activation, deadline)

    def python() -> None:
        for _ in range(BATCH):
            identity, income = claims["identity"], claims["income"]
            _ = (
                identity["residence"]["city"] == city,  # type: ignore[index]
                income["taxYear"] >= 2025,  # type: ignore[index, operator]
                income["annualIncome"] <= 30000,  # type: ignore[index, operator]
            )

    out.append(
        per_operation(
            measure(
                "approval rule alone: 3 compiled CEL clauses (baseline: the same in Python)",
                rule,
                python,
                rounds=max(5, rounds // 10),
                warmup=2,
                target="≤100 µs",
            ),
            BATCH,
        )
    )
    return out
