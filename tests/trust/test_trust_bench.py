"""The trust benchmark section runs, and its naive baseline agrees with the registry."""

from __future__ import annotations

from bench import trust as bench_trust
from did_gov.trust import IssuerClaim, TrustRegistry


def test_figures_run() -> None:
    lookup, install = bench_trust.figures(rounds=3, issuers=200, bundle_bytes=200_000)
    assert lookup.unit == "µs" and lookup.median > 0
    assert lookup.baseline_median is not None and lookup.baseline_median > 0
    assert install.median > 0


def test_naive_baseline_agrees_with_the_registry() -> None:
    root, records, names = bench_trust.registry_records(20)
    registry = TrustRegistry([root], records)
    for issuer in [*names, "did:web:unknown.example", root]:
        for types in ((bench_trust.TYPE,), ("OtherCredential",)):
            claim = IssuerClaim(issuer, types, (), None, None, "vc-jwt", None)
            assert (
                bench_trust._naive(records, root, claim)
                is registry.judge_issuer(claim, bench_trust.NOW).ok
            )
