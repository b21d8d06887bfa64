"""bench/status.py still runs and reports its status-check figure per operation in µs."""

from __future__ import annotations

from bench.status import figures


def test_status_figures_run() -> None:
    found = figures(rounds=2)
    names = [f.name for f in found]
    assert names[0].startswith("status check against a decoded 131,072-entry list")
    assert found[0].unit == "µs" and found[0].baseline_median is not None
    assert all(f.median > 0 for f in found)
