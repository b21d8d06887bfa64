"""Red-team attacks on approval policies: each test is named after the attack it pins."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from did_gov.approval._cel import Rule
from did_gov.errors import ApprovalError
from tests.approval.conftest import Housing
from tests.approval.test_workflow import service as service  # the fixture


def _literal(n: int) -> str:
    return "[" + ",".join("1" for _ in range(n)) + "]"


def test_attack_cel_bomb_nested_maps_over_big_literals_refused_at_load() -> None:
    bomb = f"{_literal(600)}.map(x, {_literal(600)}.map(y, x * y)).size() > 0"
    assert len(bomb) < 4096
    with pytest.raises(ApprovalError) as caught:  # must not load: it would run for minutes
        Rule(bomb, "bomb")
    assert caught.value.code == "approval.policy_cost_exceeded"


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


# -- the exchange, through the service ---------------------------------------------------------


_MUTATIONS = {
    "proof removed": lambda vp, w: vp.pop("proof"),
    "holder swapped": lambda vp, w: vp.__setitem__("holder", w.citizens["ben"].did),
    "credentials a string": lambda vp, w: vp.__setitem__("verifiableCredential", "x"),
    "credential duplicated x60": lambda vp, w: vp.__setitem__(
        "verifiableCredential", vp["verifiableCredential"] * 60
    ),
    "identity dropped": lambda vp, w: vp["verifiableCredential"].pop(0),
    "claim raised in a credential": lambda vp, w: vp["verifiableCredential"][1][
        "credentialSubject"
    ].__setitem__("annualIncome", 1),
    "challenge rewritten": lambda vp, w: vp["proof"].__setitem__("challenge", "x"),
    "proof set with a forged second proof": lambda vp, w: vp.__setitem__(
        "proof", [vp["proof"], {**vp["proof"], "proofValue": "z" + "1" * 86}]
    ),
    "type a number": lambda vp, w: vp.__setitem__("type", 7),
    "enveloped garbage": lambda vp, w: vp.__setitem__(
        "verifiableCredential",
        [{"@context": "https://www.w3.org/ns/credentials/v2", "type": "EnvelopedVerifiableCredential",
          "id": "data:application/vc+jwt,a.b.c"}],
    ),
}  # fmt: skip


@pytest.mark.parametrize("mutation", [*sorted(_MUTATIONS), "another citizen's key"])
def test_attack_mutated_application_is_refused_not_crashed(
    service: Any,
    housing: Housing,
    mutation: str,
) -> None:
    from did_gov import present

    client, _ = service
    world = housing.world
    holder = "ben" if mutation == "another citizen's key" else "ada"
    created = client.post("/workflows/housing/exchanges", json={}).json()
    path = created["exchangeUrl"].removeprefix("http://testserver")
    request = client.post(path, json={}).json()["verifiablePresentationRequest"]
    vp = present(
        [world.credentials["ada/identity"], world.credentials["ada/income"]],
        world.citizens[holder].key,
        challenge=request["challenge"],
        domain=request["domain"],
        now=world.now,
    )
    vp = copy.deepcopy(vp)  # present() embeds the world's credentials: mutate a copy only
    _MUTATIONS.get(mutation, lambda vp, w: None)(vp, world)
    done = client.post(path, json={"verifiablePresentation": vp})
    assert done.status_code in (400, 403), (mutation, done.status_code, done.text[:300])
    assert done.json()["code"].startswith(("approval.", "service.")), done.text[:300]
