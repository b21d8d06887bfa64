"""did_gov benchmark: each operation beside a naive baseline measured in the same run, interleaved.

Run ``python -m bench`` (or ``make bench``); ``--json FILE`` also writes the figures.
The naive baseline is plain ``pyld.jsonld.normalize`` with an offline loader and no
caches, then SHA-256 and Ed25519/ECDSA through ``cryptography``.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import importlib
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from bench._harness import Figure, measure
from did_gov import PrivateKey, Verifier, issue, present
from did_gov._encoding import multibase_decode
from did_gov.dids import did_key
from did_gov.jsonld._loader import _pinned
from did_gov.keys import PublicKey
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

NOW = datetime(2025, 6, 1, tzinfo=UTC)

SECTIONS: tuple[str, ...] = (
    "bench.di",
    "bench.status",
    "bench.jose",
    "bench.sd_jwt",
    "bench.ledger",
    "bench.ledger_evm",
    "bench.postgres",
    "bench.trust",
    "bench.verify_baseline",
    "bench.approval",
    "bench.kiosk",
    "bench.didgov",
    "bench.compiled",
)
"""Modules of further figures, each with ``figures(rounds: int) -> list[Figure]``."""
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def citizen_credential(n: int = 0, subject: str | None = None) -> dict[str, Any]:
    """A citizen identity credential of about 30 quads (``subject``: its subject's DID)."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": f"urn:uuid:6a1e1c2e-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential", "CitizenIdentityCredential"],
        "issuer": {"id": "did:example:ministry", "name": "Ministry of the Interior"},
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2035-01-01T00:00:00Z",
        "credentialSubject": {
            "id": subject or f"did:example:citizen{n}",
            "givenName": "Ada",
            "familyName": "Lovelace",
            "birthDate": "1990-12-10",
            "nationality": "Exampleland",
            "address": {"streetAddress": "1 Main St", "locality": "Capital", "postalCode": "1000"},
            "document": {"number": f"ID{n:08d}", "issued": "2025-01-01", "authority": "City Hall"},
        },
    }


def naive_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A plain offline document loader over the pinned contexts: a dict lookup, nothing cached."""
    document = _pinned()[url]
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }


def naive_normalize(document: dict[str, Any]) -> str:
    """Plain pyld normalize: offline loader, a fresh context cache every call."""
    options = {
        "documentLoader": naive_loader,
        "contextResolver": ContextResolver({}, naive_loader),
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
    }
    result: str = jsonld.normalize(document, options)
    return result


def naive_verify(document: dict[str, Any]) -> bool:
    """Verify one Data Integrity proof (rdfc suites) the naive way."""
    proof = document["proof"]
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    key = PublicKey.from_multikey(proof["verificationMethod"].split("#", 1)[1])
    hasher = getattr(hashlib, key.key_type.hash_name)
    data = (
        hasher(naive_normalize(config).encode()).digest()
        + hasher(naive_normalize(unsecured).encode()).digest()
    )
    return key.verify(multibase_decode(proof["proofValue"]), data)


def naive_verify_presentation(vp: dict[str, Any]) -> bool:
    """The presentation's proof and each credential's, the naive way."""
    return naive_verify(vp) and all(naive_verify(vc) for vc in vp["verifiableCredential"])


def naive_issue(document: dict[str, Any], key: PrivateKey, vm: str) -> dict[str, Any]:
    """Sign the naive way: two plain normalizations, hash, sign."""
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-06-01T00:00:00Z",
        "verificationMethod": vm,
        "proofPurpose": "assertionMethod",
        "@context": document["@context"],
    }
    data = (
        hashlib.sha256(naive_normalize(config).encode()).digest()
        + hashlib.sha256(naive_normalize(document).encode()).digest()
    )
    return {**document, "proof": {**config, "proofValue": key.sign(data).hex()}}


def _bulk_worker(args: tuple[int, int, bytes]) -> tuple[int, float]:
    start, count, seed = args
    cpu_start = time.process_time()
    key = PrivateKey.from_seed("ed25519", seed)
    for n in range(start, start + count):
        issue(citizen_credential(n), key, now=NOW)
    return count, time.process_time() - cpu_start


def bulk_issuance(total: int, workers: int) -> tuple[float, float]:
    """Credentials per second issuing ``total`` credentials on ``workers`` processes.

    Returns the wall-clock rate and the rate the workers' CPU time implies
    (what ``workers`` otherwise idle cores would reach).
    """
    seed = bytes(32)
    share = total // workers
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_bulk_worker, [(i * share, share, seed) for i in range(workers)]))
    wall = time.perf_counter() - started
    done = sum(count for count, _ in results)
    cpu_per_worker = sum(cpu for _, cpu in results) / workers
    return done / wall, done / cpu_per_worker


def cli_verify_times(path: Path, runs: int = 10) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of ``did-gov verify FILE``, process start to exit.

    did_gov's bytecode is compiled first, as ``pip install`` does: an
    environment with ``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile
    every did_gov module from source in every process.
    """
    compileall.compile_dir(str(ROOT / "did_gov"), quiet=1)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "did_gov", "verify", str(path)], check=True, capture_output=True
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def cli_verify_seconds(path: Path, runs: int = 10) -> list[float]:
    """Wall time of ``did-gov verify FILE`` from process start to exit."""
    return cli_verify_times(path, runs)[0]


def _row(fig: Figure) -> str:
    scale = 1e3 if fig.unit == "ms" else 1e6
    ratio = f"{fig.ratio:.2f}×" if fig.ratio is not None else "—"
    base = f"{fig.baseline_median * scale:8.3f}" if fig.baseline_median is not None else "       —"
    label = fig.name if fig.unit == "ms" else f"{fig.name} [{fig.unit}]"
    cpu = f"{fig.cpu_median * scale:8.3f}" if fig.cpu_median is not None else "       —"
    base_cpu = (
        f"{fig.baseline_cpu_median * scale:8.3f}"
        if fig.baseline_cpu_median is not None
        else "       —"
    )
    cpu_ratio = f"{fig.cpu_ratio:.2f}×" if fig.cpu_ratio is not None else "—"
    js = (
        f"{fig.reference_median * scale:8.3f} / {fig.reference_cpu_median * scale:.3f}"
        if fig.reference_median is not None and fig.reference_cpu_median is not None
        else "       —"
    )
    js_ratio = f"{fig.reference_ratio:.2f}×" if fig.reference_ratio is not None else "—"
    return (
        f"| {label:<44} | {fig.median * scale:8.3f} | {fig.p95 * scale:8.3f} | {cpu} "
        f"| {base} | {base_cpu} | {ratio:>6} | {cpu_ratio:>6} | {js} | {js_ratio:>6} "
        f"| {fig.target:<14} |"
    )


def _cycle(items: list[Any]) -> Callable[[], Any]:
    """A callable returning the items in turn, forever."""
    iterator = itertools.cycle(items)
    return lambda: next(iterator)


def _counter(start: int = 0) -> Callable[[], int]:
    iterator = itertools.count(start)
    return lambda: next(iterator)


def rss_mib() -> float:
    """Resident memory of this process now (MiB), from /proc when there is one."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_growth(total: int) -> dict[str, float]:
    """RSS after verifying ``total // 10`` and after ``total`` distinct credentials, one process."""
    key = PrivateKey.from_seed("ed25519", bytes(range(32)))
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    first = max(1, total // 10)
    figures: dict[str, float] = {"n_first": first, "n_total": total}
    for n in range(total):
        report = verifier.verify(issue(citizen_credential(1_000_000 + n), key, now=NOW))
        if not report.verified:
            raise SystemExit(f"benchmark credential {n} did not verify")
        if n + 1 == first:
            figures["rss_first_mib"] = rss_mib()
    figures["rss_total_mib"] = rss_mib()
    return figures


def run(rounds: int, bulk: int, memory: int = 0) -> dict[str, Any]:
    """Measure everything; return the figures and the machine description.

    Every verify figure cycles through distinct credentials (same shape,
    different values), as a kiosk or an issuer would see them.
    """
    ed = PrivateKey.from_seed("ed25519", bytes(range(32)))
    p256 = PrivateKey.from_seed("p256", bytes(range(32)))
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    pool = range(min(rounds, 64))
    vcs_ed = [issue(citizen_credential(i), ed, now=NOW) for i in pool]
    vcs_ec = [issue(citizen_credential(i), p256, now=NOW) for i in pool]
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    holder_did = did_key.did_for_public_key(holder.public_key)  # presented by their subject
    held = [issue(citizen_credential(i, holder_did), ed, now=NOW) for i in pool]
    vps1 = [
        present([vc], holder, challenge=f"c{i}", domain="d", now=NOW) for i, vc in enumerate(held)
    ]
    vps3 = [
        present(held[i : i + 3], holder, challenge=f"c{i}", domain="d", now=NOW)
        for i in range(0, len(held) - 2, 3)
    ]
    vm = vcs_ed[0]["proof"]["verificationMethod"]
    figures: list[Figure] = []

    def add(
        name: str, op: Callable[[], object], base: Callable[[], object] | None, target: str
    ) -> None:
        figures.append(measure(name, op, base, rounds=rounds, target=target))

    def verify_vp(vp: dict[str, Any]) -> bool:
        return verifier.verify(vp, challenge=vp["proof"]["challenge"], domain="d").verified

    ed_ours, ed_naive, ec_ours, ec_naive = (_cycle(x) for x in (vcs_ed, vcs_ed, vcs_ec, vcs_ec))
    add(
        "DI verify, eddsa-rdfc-2022 credential",
        lambda: verifier.verify(ed_ours()),
        lambda: naive_verify(ed_naive()),
        "≤0.7 ms, ≤1/3",
    )
    add(
        "DI verify, ecdsa-rdfc-2019 (P-256) credential",
        lambda: verifier.verify(ec_ours()),
        lambda: naive_verify(ec_naive()),
        "≤1/3",
    )
    n_ours, n_naive, n_ec = _counter(), _counter(), _counter()
    add(
        "DI issue, eddsa-rdfc-2022",
        lambda: issue(citizen_credential(n_ours()), ed, now=NOW),
        lambda: naive_issue(citizen_credential(n_naive()), ed, vm),
        "≤0.7 ms, ≤1/3",
    )
    add(
        "DI issue, ecdsa-rdfc-2019 (P-256)",
        lambda: issue(citizen_credential(n_ec()), p256, now=NOW),
        None,
        "",
    )
    vp1_ours, vp1_naive, vp3_ours, vp3_naive = (_cycle(x) for x in (vps1, vps1, vps3, vps3))
    add(
        "DI presentation verify, 1 credential",
        lambda: verify_vp(vp1_ours()),
        lambda: naive_verify_presentation(vp1_naive()),
        "≤1.5 ms",
    )
    add(
        "DI presentation verify, 3 credentials",
        lambda: verify_vp(vp3_ours()),
        lambda: naive_verify_presentation(vp3_naive()),
        "",
    )

    for section in SECTIONS:
        figures += importlib.import_module(section).figures(rounds)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vc.json"
        path.write_text(json.dumps(vcs_ed[0]))
        walls, cpus = (sorted(x) for x in cli_verify_times(path))
    figures.append(
        Figure(
            "did-gov verify, process start to exit",
            walls[len(walls) // 2],
            walls[min(len(walls) - 1, int(len(walls) * 0.95))],
            None,
            "≤300 ms",
            cpu_median=cpus[len(cpus) // 2],
        )
    )
    throughput, cpu_throughput = bulk_issuance(bulk, os.cpu_count() or 1) if bulk else (0.0, 0.0)
    return {
        "machine": machine(),
        "figures": figures,
        "bulk_issuance_per_second": throughput,
        "bulk_issuance_per_cpu_second_all_cores": cpu_throughput,
        "bulk_total": bulk,
        "memory": memory_growth(memory) if memory else None,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def machine() -> dict[str, Any]:
    """Python version, platform, CPU count and model, and the load when the run started."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the table; optionally write JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--bulk",
        type=int,
        default=10_000,
        help="credentials for the bulk issuance figure (0 skips)",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=2_000,
        metavar="N",
        help="verify N distinct credentials and report RSS after N/10 and after N (0 skips)",
    )
    parser.add_argument(
        "--shapes",
        type=int,
        default=2_000,
        metavar="N",
        help="verify N credentials of distinct shapes and report RSS after N/10 and after N (0 skips)",
    )
    parser.add_argument(
        "--only",
        metavar="SECTION",
        help="run one section of SECTIONS only (e.g. 'di': Data Integrity on every shape, "
        "beside @digitalbazaar/vc)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.only:
        section = importlib.import_module(f"bench.{args.only}")
        result = {
            "machine": machine(),
            "figures": section.figures(args.rounds),
            "bulk_total": 0,
            "memory": None,
            "peak_rss_mib": 0.0,
        }
    else:
        result = run(args.rounds, args.bulk, args.memory)
    if args.shapes:
        from bench.di import shape_memory

        result["shape_memory"] = shape_memory(args.shapes)
    box = result["machine"]
    load = box["load_average"]
    print(
        f"did_gov benchmark — {box['cpus']} × {box['cpu_model']}, {box['platform']}, "
        f"Python {box['python']}, load average at start {load[0]:.2f}"
        if load
        else f"did_gov benchmark — {box['cpus']} × {box['cpu_model']}, Python {box['python']}"
    )
    print(
        "| operation | median ms | p95 ms | CPU ms | naive ms | naive CPU ms | ratio | CPU ratio "
        "| @digitalbazaar/vc ms / CPU ms | CPU ÷ vc | target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for fig in result["figures"]:
        print(_row(fig))
    if result["bulk_total"]:
        print(
            f"| bulk issuance of {result['bulk_total']} credentials, all cores | {result['bulk_issuance_per_second']:.0f}/s | | "
            f"{result['bulk_issuance_per_cpu_second_all_cores']:.0f}/s | | | | | | | ≥1500/s |"
        )
    memory = result["memory"]
    if memory:
        print(
            f"RSS verifying distinct credentials: {memory['rss_first_mib']:.1f} MiB after "
            f"{memory['n_first']:.0f}, {memory['rss_total_mib']:.1f} MiB after {memory['n_total']:.0f} "
            f"(growth {memory['rss_total_mib'] - memory['rss_first_mib']:+.1f} MiB)"
        )
    shapes = result.get("shape_memory")
    if shapes:
        print(
            f"RSS verifying credentials of distinct shapes: {shapes['rss_first_mib']:.1f} MiB after "
            f"{shapes['n_first']:.0f}, {shapes['rss_total_mib']:.1f} MiB after {shapes['n_total']:.0f} "
            f"(growth {shapes['rss_total_mib'] - shapes['rss_first_mib']:+.1f} MiB)"
        )
    from bench.di import EXPANSION

    for name, counts in EXPANSION.items():
        reasons = ", ".join(f"{r} {n}" for r, n in counts.fallback.most_common()) or "none"
        print(
            f"one-pass expander, {name}: {counts.fast} of {counts.total} documents, "
            f"{counts.fallback_rate:.1%} to pyld ({reasons})"
        )
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {result['peak_rss_mib']:.1f} MiB")
    if args.json:
        out = {
            **result,
            "figures": [
                fig.__dict__
                | {
                    "ratio": fig.ratio,
                    "cpu_ratio": fig.cpu_ratio,
                    "reference_ratio": fig.reference_ratio,
                }
                for fig in result["figures"]
            ],
        }
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
