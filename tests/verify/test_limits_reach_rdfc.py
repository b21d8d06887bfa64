"""Custom ``Limits`` given to the Verifier bound RDFC-1.0 too (issue 11: the transform took none)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from did_gov import PrivateKey, Verifier, issue
from did_gov.limits import DEFAULT_LIMITS
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.verify._actors import MINISTRY, citizen_vc

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("suite", "key"),
    [
        ("eddsa-rdfc-2022", MINISTRY),
        ("ecdsa-rdfc-2019", PrivateKey.from_seed("p256", bytes(range(32)))),
    ],
)
@pytest.mark.parametrize(
    ("bound", "code"),
    [
        ({"max_rdf_quads": 4}, "input.limit_exceeded"),
        ({"max_rdfc_work": 3}, "rdfc.work_limit_exceeded"),
    ],
)
def test_smaller_limits_refuse_what_the_defaults_accept(
    suite: str, key: PrivateKey, bound: dict[str, int], code: str
) -> None:
    vc = issue(citizen_vc(), key, cryptosuite=suite, now=NOW)
    assert Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).verified
    tight = Verifier(
        now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, limits=replace(DEFAULT_LIMITS, **bound)
    )
    report = tight.verify(vc)
    assert not report.verified
    assert [c.code for c in report.errors] == [code], report.summary()
