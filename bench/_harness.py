"""Interleaved timing: each operation and its naive baseline run alternately in one process."""

from __future__ import annotations

import dataclasses
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
    cpu_median: float | None = None
    """Median CPU time of the process per call: less sensitive than wall time to a busy machine."""
    baseline_cpu_median: float | None = None
    reference_median: float | None = None
    """Median wall time of the reference JavaScript stack (@digitalbazaar/vc) on the same inputs."""
    reference_cpu_median: float | None = None

    @property
    def reference_ratio(self) -> float | None:
        """Our median CPU time divided by @digitalbazaar/vc's (below 1 is faster).

        CPU, not wall: on a shared machine the two processes are preempted differently.
        """
        if not self.reference_cpu_median or not self.cpu_median:
            return None
        return self.cpu_median / self.reference_cpu_median

    @property
    def ratio(self) -> float | None:
        """Our median divided by the baseline's (below 1 is faster)."""
        if self.baseline_median is None or self.baseline_median == 0:
            return None
        return self.median / self.baseline_median

    @property
    def cpu_ratio(self) -> float | None:
        """The same ratio on CPU time (a long call is preempted more often on a busy machine)."""
        if not self.cpu_median or not self.baseline_cpu_median:
            return None
        return self.cpu_median / self.baseline_cpu_median


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
    """Time ``operation`` (and ``baseline``, interleaved call by call) ``rounds`` times.

    Wall time gives the median and p95; the process's CPU time per call is
    kept too, because other work on a shared machine inflates wall time only.
    """
    for _ in range(warmup):
        operation()
        if baseline is not None:
            baseline()
    ours: list[float] = []
    cpu: list[float] = []
    theirs: list[float] = []
    theirs_cpu: list[float] = []
    gc.collect()
    for _ in range(rounds):
        cpu_start = time.process_time()
        start = time.perf_counter()
        operation()
        ours.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        if baseline is not None:
            cpu_start = time.process_time()
            start = time.perf_counter()
            baseline()
            theirs.append(time.perf_counter() - start)
            theirs_cpu.append(time.process_time() - cpu_start)
    return Figure(
        name,
        statistics.median(ours),
        _p95(ours),
        statistics.median(theirs) if theirs else None,
        target,
        cpu_median=statistics.median(cpu),
        baseline_cpu_median=statistics.median(theirs_cpu) if theirs_cpu else None,
    )


def per_operation(fig: Figure, batch: int) -> Figure:
    """A figure of ``batch`` operations per call, restated per operation in µs."""
    per = 1 / batch
    return dataclasses.replace(
        fig,
        median=fig.median * per,
        p95=fig.p95 * per,
        baseline_median=None if fig.baseline_median is None else fig.baseline_median * per,
        cpu_median=None if fig.cpu_median is None else fig.cpu_median * per,
        baseline_cpu_median=None
        if fig.baseline_cpu_median is None
        else fig.baseline_cpu_median * per,
        unit="µs",
    )
