"""The SD-JWT benchmark section runs, and its naive baseline agrees with the Verifier."""

from __future__ import annotations

from bench import sd_jwt as bench_sd_jwt


def test_figures_run_and_baseline_agrees() -> None:
    (figure,) = bench_sd_jwt.figures(rounds=3)
    assert figure.name == "SD-JWT presentation verify, 4 disclosures + key binding"
    assert figure.median > 0
    assert figure.baseline_median is not None
    assert figure.baseline_median > 0
