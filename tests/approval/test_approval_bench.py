"""The approval benchmark section runs (``python -m bench --only approval``)."""

from __future__ import annotations

from bench import approval as bench_approval


def test_figures_run() -> None:
    jose, di, rule = bench_approval.figures(rounds=3)
    assert jose.median > 0 and di.median > 0
    assert rule.unit == "µs" and rule.baseline_median is not None and rule.median > 0
