"""Interleaved timing: each operation and its naive baseline run alternately in one process."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """Timings of one operation (seconds) and, when it has one, of its naive baseline."""

    name: str
    median: float
    p95: float
    baseline_median: float | None = None
    target: str = ""
    unit: str = "ms"

    @property
    def ratio(self) -> float | None:
        """Our median divided by the baseline's (below 1 is faster)."""
        if self.baseline_median is None or self.baseline_median == 0:
            return None
        return self.median / self.baseline_median


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def measure(
    name: str,
    operation: Callable[[], object],
    baseline: Callable[[], object] | None = None,
    *,
    rounds: int = 200,
    warmup: int = 20,
    target: str = "",
) -> Figure:
    """Time ``operation`` (and ``baseline``, interleaved call by call) ``rounds`` times."""
    for _ in range(warmup):
        operation()
        if baseline is not None:
            baseline()
    ours: list[float] = []
    theirs: list[float] = []
    gc.collect()
    for _ in range(rounds):
        start = time.perf_counter()
        operation()
        ours.append(time.perf_counter() - start)
        if baseline is not None:
            start = time.perf_counter()
            baseline()
            theirs.append(time.perf_counter() - start)
    return Figure(
        name,
        statistics.median(ours),
        _p95(ours),
        statistics.median(theirs) if theirs else None,
        target,
    )
