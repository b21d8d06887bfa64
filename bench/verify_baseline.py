"""Verify rows beside an older commit of did_gov, measured side by side in one run.

Issue 10 asks that no verify row be slower than the main of the day it was filed
(commit ``d00943b``) by more than 10 %. This section exports that commit's
``did_gov`` from git history (``git archive``; a clean clone has the history) into
a temporary directory and times the same inputs in subprocesses: one with
``PYTHONPATH`` pointing at the export, one at the current tree (its Verifier
given ``trust=UNSAFE_TRUST_ANY_ISSUER``: the old code had no trust step), and one
at the current tree with a real ``TrustRegistry`` accrediting the issuer. The
three processes take turns batch by batch on one CPU, each verifying the same
distinct credentials (issued here by the current code) once. A row gives the
least CPU time per verify over its batches on each side, and the median over
batches of the paired ratio (a batch's time over the same batch's time on the
baseline, measured next to it): run old against old, the least times of two
processes on a loaded 2-core machine drift up to ±10 % apart, the paired
median ±2 %, so the paired median is the figure the 1.10 bound judges. ``DID_GOV_BENCH_BASELINE``
names another commit. Without git history the section prints why and gives no rows.

``python -m bench --only verify_baseline`` runs this section alone.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._harness import Figure
from bench.run import NOW, citizen_credential
from did_gov import PrivateKey, issue, issue_sd_jwt, present, present_sd_jwt
from did_gov.dids import did_key

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().parent / "_verify_worker.py"
BASELINE = os.environ.get("DID_GOV_BENCH_BASELINE", "d00943b")
LIMIT = 1.10
"""The issue's bound: now ÷ baseline CPU time per verify."""
WARMUP = 20
REPEATS = 40
"""Batches of distinct inputs per row (each ``rounds // 20`` inputs, at least 5)."""
DISCLOSED = [
    "/credentialSubject/givenName",
    "/credentialSubject/familyName",
    "/credentialSubject/birthDate",
    "/credentialSubject/ageOver18",
]


def _sd_credential(n: int) -> dict[str, Any]:
    credential = citizen_credential(n)
    del credential["credentialSubject"]["id"]  # bound by cnf instead
    credential["credentialSubject"]["ageOver18"] = True
    return credential


def _makers() -> dict[str, Callable[[int], Any]]:
    """Each row's input for a serial number ``n`` (every ``n`` a distinct credential)."""
    ed = PrivateKey.from_seed("ed25519", bytes(range(32)))
    p256 = PrivateKey.from_seed("p256", bytes(range(32)))
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    holder_did = did_key.did_for_public_key(holder.public_key)

    def di(key: PrivateKey, suite: str) -> Callable[[int], Any]:
        return lambda n: {"input": issue(citizen_credential(n), key, cryptosuite=suite, now=NOW)}

    def jwt(key: PrivateKey) -> Callable[[int], Any]:
        return lambda n: {"input": issue(citizen_credential(n), key, format="vc-jwt", now=NOW)}

    def di_vp(n: int) -> Any:
        vc = issue(citizen_credential(n, holder_did), ed, now=NOW)
        vp = present([vc], holder, challenge=f"c{n}", domain="kiosk", now=NOW)
        return {"input": vp, "challenge": f"c{n}", "domain": "kiosk"}

    def jwt_vp(n: int) -> Any:
        vc = issue(citizen_credential(n, holder_did), ed, format="vc-jwt", now=NOW)
        vp = present([vc], holder, format="vp-jwt", challenge=f"c{n}", domain="kiosk", now=NOW)
        return {"input": vp, "challenge": f"c{n}", "domain": "kiosk"}

    def sd_jwt(n: int) -> Any:
        token = issue_sd_jwt(
            _sd_credential(n), ed, disclosable=DISCLOSED, holder_key=holder.public_key, now=NOW
        )
        shown = present_sd_jwt(
            token, DISCLOSED, holder_key=holder, nonce=f"n{n}", audience="kiosk", now=NOW
        )
        return {"input": shown, "nonce": f"n{n}", "audience": "kiosk"}

    return {
        "vc-jwt, EdDSA": jwt(ed),
        "vc-jwt, ES256": jwt(p256),
        "DI, eddsa-rdfc-2022": di(ed, "eddsa-rdfc-2022"),
        "DI, ecdsa-rdfc-2019 (P-256)": di(p256, "ecdsa-rdfc-2019"),
        "DI, eddsa-jcs-2022": di(ed, "eddsa-jcs-2022"),
        "DI, ecdsa-jcs-2019 (P-256)": di(p256, "ecdsa-jcs-2019"),
        "SD-JWT VC, 4 disclosures + KB": sd_jwt,
        "DI presentation, 1 credential": di_vp,
        "vp+jwt presentation, 1 vc+jwt": jwt_vp,
    }


def inputs(per_batch: int) -> dict[str, dict[str, Any]]:
    """Per row: warm-up inputs and ``REPEATS`` batches of ``per_batch`` distinct inputs."""
    out = {}
    for row, make in _makers().items():
        serial = iter(range(10**9))
        out[row] = {
            "warmup": [make(next(serial)) for _ in range(WARMUP)],
            "batches": [[make(next(serial)) for _ in range(per_batch)] for _ in range(REPEATS)],
        }
    return out


def export(commit: str, into: Path) -> Path | None:
    """``commit``'s ``did_gov`` package extracted under ``into``, or None without the history."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        archive = subprocess.run(
            [git, "-C", str(ROOT), "archive", "--format=tar", commit, "did_gov"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


MODES = ("old", "trust-any", "registry")
CPU = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
"""Every worker runs on this one CPU, so that they take turns on the same core and caches."""


def _start(path: Path, mode: str, pythonpath: Path) -> subprocess.Popen[str]:
    """A worker process for ``mode`` importing did_gov from ``pythonpath``, warmed up."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    pin = [str(CPU)] if CPU is not None else []
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(path), mode, *pin],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert worker.stdout is not None
    ready = worker.stdout.readline()
    if not ready:
        raise SystemExit(f"the {mode} worker failed (its error is above)")
    imported = json.loads(ready)["did_gov"]
    if not Path(imported).resolve().is_relative_to(pythonpath.resolve()):
        worker.kill()
        raise SystemExit(f"the {mode} worker imported {imported}, not {pythonpath}")
    return worker


def _batch(worker: subprocess.Popen[str], row: int, batch: int) -> float:
    assert worker.stdin is not None and worker.stdout is not None
    worker.stdin.write(f"{row} {batch}\n")
    worker.stdin.flush()
    answer = worker.stdout.readline()
    if not answer:
        raise SystemExit("a worker failed (its error is above)")
    return float(answer)


def compare(per_batch: int) -> dict[str, dict[str, float]] | None:
    """Least CPU seconds per verify of each row for each of ``MODES``, and paired ratios.

    ``"trust-any/old"`` and ``"registry/old"`` are the medians, over batches, of a batch's
    time divided by the same batch's time on the baseline (a second estimate, robust to
    load that changes between batches).

    One process per mode; batch by batch, each row's batch runs in every process
    in turn (the order rotating), so a change of load hits every side alike.
    """
    with tempfile.TemporaryDirectory() as tmp:
        old = export(BASELINE, Path(tmp) / "old")
        if old is None:
            return None
        path = Path(tmp) / "inputs.json"
        made = inputs(per_batch)
        path.write_text(json.dumps(made))
        where = {"old": old, "trust-any": ROOT, "registry": ROOT}
        workers = {mode: _start(path, mode, where[mode]) for mode in MODES}
        samples: dict[str, dict[str, list[float]]] = {row: {m: [] for m in MODES} for row in made}
        try:
            for batch in range(REPEATS):
                for index, row in enumerate(made):
                    order = MODES[batch % 3 :] + MODES[: batch % 3]
                    for mode in order:
                        samples[row][mode].append(_batch(workers[mode], index, batch))
        finally:
            for worker in workers.values():
                assert worker.stdin is not None
                worker.stdin.close()
                worker.wait()
    best: dict[str, dict[str, float]] = {}
    for row, by_mode in samples.items():
        best[row] = {mode: min(t) for mode, t in by_mode.items()}
        for mode in MODES[1:]:  # each batch beside the same batch on the baseline
            pairs = zip(by_mode[mode], by_mode["old"], strict=True)
            best[row][f"{mode}/old"] = statistics.median(t / o for t, o in pairs)
    return best


def table(best: dict[str, dict[str, float]], per_batch: int) -> str:
    """The ratio table, one line per row (CPU µs per verify)."""
    lines = [
        f"verify vs {BASELINE}: CPU µs per verify, least of {REPEATS} batches of "
        f"{per_batch} distinct inputs, processes interleaved",
        "(ratio: of the least times; paired: median over batches of a batch's time over the same "
        f"batch's on {BASELINE}, the figure the ≤{LIMIT:.2f}× column judges: on a loaded machine the "
        "least times of two processes drift ±10 % apart, paired ratios ±2 %)",
        f"| row | {BASELINE} | now, trust-any | ratio | paired | now, registry | ratio | paired "
        f"| ≤{LIMIT:.2f}× |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row, by_mode in best.items():
        old, now, registry = (by_mode[m] * 1e6 for m in ("old", "trust-any", "registry"))
        verdict = "yes" if by_mode["trust-any/old"] <= LIMIT else "NO"
        lines.append(
            f"| {row} | {old:.1f} | {now:.1f} | {now / old:.2f}× | {by_mode['trust-any/old']:.2f}× "
            f"| {registry:.1f} | {registry / old:.2f}× | {by_mode['registry/old']:.2f}× "
            f"| {verdict} |"
        )
    return "\n".join(lines)


def figures(rounds: int) -> list[Figure]:
    """One figure per verify row (now, trust-any, beside the baseline commit); prints the table."""
    per_batch = max(5, rounds // 20)
    best = compare(per_batch)
    if best is None:
        print(f"verify vs {BASELINE}: skipped (no git history to export {BASELINE} from)")
        return []
    print(table(best, per_batch))
    return [
        Figure(
            f"verify {row} (÷ {BASELINE}, least CPU; paired ratio above)",
            by_mode["trust-any"],
            by_mode["trust-any"],
            by_mode["old"],
            f"≤{LIMIT:.2f}× {BASELINE}",
            cpu_median=by_mode["trust-any"],
            baseline_cpu_median=by_mode["old"],
        )
        for row, by_mode in best.items()
    ]
