"""did_gov benchmark: each operation beside a naive baseline measured in the same run, interleaved.

Run ``python -m bench`` (or ``make bench``); ``--json FILE`` also writes the figures.
The naive baseline is plain ``pyld.jsonld.normalize`` with an offline loader and no
caches, then SHA-256 and Ed25519/ECDSA through ``cryptography``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
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
from did_gov.jsonld import OfflineDocumentLoader
from did_gov.keys import PublicKey

NOW = datetime(2025, 6, 1, tzinfo=UTC)

SECTIONS: tuple[str, ...] = (
    "bench.status",
    "bench.jose",
    "bench.sd_jwt",
    "bench.ledger",
    "bench.ledger_evm",
)
"""Modules of further figures, each with ``figures(rounds: int) -> list[Figure]``."""
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def citizen_credential(n: int = 0) -> dict[str, Any]:
    """A citizen identity credential of about 30 quads."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": f"urn:uuid:6a1e1c2e-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential", "CitizenIdentityCredential"],
        "issuer": {"id": "did:example:ministry", "name": "Ministry of the Interior"},
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2035-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"did:example:citizen{n}",
            "givenName": "Ada",
            "familyName": "Lovelace",
            "birthDate": "1990-12-10",
            "nationality": "Exampleland",
            "address": {"streetAddress": "1 Main St", "locality": "Capital", "postalCode": "1000"},
            "document": {"number": f"ID{n:08d}", "issued": "2025-01-01", "authority": "City Hall"},
        },
    }


def _naive_loader() -> OfflineDocumentLoader:
    return OfflineDocumentLoader()


def naive_normalize(document: dict[str, Any]) -> str:
    """Plain pyld normalize: offline loader, a fresh context cache every call."""
    loader = _naive_loader()
    options = {
        "documentLoader": loader,
        "contextResolver": ContextResolver({}, loader),
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


def _bulk_worker(args: tuple[int, int, bytes]) -> int:
    start, count, seed = args
    key = PrivateKey.from_seed("ed25519", seed)
    for n in range(start, start + count):
        issue(citizen_credential(n), key, now=NOW)
    return count


def bulk_issuance(total: int, workers: int) -> float:
    """Credentials per second issuing ``total`` credentials on ``workers`` processes."""
    seed = bytes(32)
    share = total // workers
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = sum(pool.map(_bulk_worker, [(i * share, share, seed) for i in range(workers)]))
    return done / (time.perf_counter() - started)


def cli_verify_seconds(path: Path, runs: int = 10) -> list[float]:
    """Wall time of ``did-gov verify FILE`` from process start to exit."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "did_gov", "verify", str(path)], check=True, capture_output=True
        )
        times.append(time.perf_counter() - started)
    return times


def _row(fig: Figure) -> str:
    scale = 1e3 if fig.unit == "ms" else 1e6
    ratio = f"{fig.ratio:.2f}×" if fig.ratio is not None else "—"
    base = f"{fig.baseline_median * scale:8.3f}" if fig.baseline_median is not None else "       —"
    label = fig.name if fig.unit == "ms" else f"{fig.name} [{fig.unit}]"
    return f"| {label:<44} | {fig.median * scale:8.3f} | {fig.p95 * scale:8.3f} | {base} | {ratio:>6} | {fig.target:<14} |"


def run(rounds: int, bulk: int) -> dict[str, Any]:
    """Measure everything; return the figures and the machine description."""
    ed = PrivateKey.from_seed("ed25519", bytes(range(32)))
    p256 = PrivateKey.from_seed("p256", bytes(range(32)))
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    vc_ed = issue(citizen_credential(), ed, now=NOW)
    vc_ec = issue(citizen_credential(), p256, now=NOW)
    verifier = Verifier(now=NOW)
    vp1 = present([vc_ed], holder, challenge="c", domain="d", now=NOW)
    vp3 = present(
        [issue(citizen_credential(i), ed, now=NOW) for i in range(3)],
        holder,
        challenge="c",
        domain="d",
        now=NOW,
    )
    vm = vc_ed["proof"]["verificationMethod"]
    figures: list[Figure] = []

    def add(
        name: str, op: Callable[[], object], base: Callable[[], object] | None, target: str
    ) -> None:
        figures.append(measure(name, op, base, rounds=rounds, target=target))

    add(
        "DI verify, eddsa-rdfc-2022 credential",
        lambda: verifier.verify(vc_ed),
        lambda: naive_verify(vc_ed),
        "≤0.7 ms, ≤1/3",
    )
    add(
        "DI verify, ecdsa-rdfc-2019 (P-256) credential",
        lambda: verifier.verify(vc_ec),
        lambda: naive_verify(vc_ec),
        "≤1/3",
    )
    add(
        "DI issue, eddsa-rdfc-2022",
        lambda: issue(citizen_credential(), ed, now=NOW),
        lambda: naive_issue(citizen_credential(), ed, vm),
        "≤0.7 ms, ≤1/3",
    )
    add(
        "DI issue, ecdsa-rdfc-2019 (P-256)",
        lambda: issue(citizen_credential(), p256, now=NOW),
        None,
        "",
    )
    add(
        "DI presentation verify, 1 credential",
        lambda: verifier.verify(vp1, challenge="c", domain="d"),
        lambda: naive_verify_presentation(vp1),
        "≤1.5 ms",
    )
    add(
        "DI presentation verify, 3 credentials",
        lambda: verifier.verify(vp3, challenge="c", domain="d"),
        lambda: naive_verify_presentation(vp3),
        "",
    )

    for section in SECTIONS:
        figures += importlib.import_module(section).figures(rounds)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vc.json"
        path.write_text(json.dumps(vc_ed))
        cli = sorted(cli_verify_seconds(path))
    figures.append(
        Figure(
            "did-gov verify, process start to exit", cli[len(cli) // 2], cli[-1], None, "≤300 ms"
        )
    )
    throughput = bulk_issuance(bulk, os.cpu_count() or 1) if bulk else 0.0
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "figures": figures,
        "bulk_issuance_per_second": throughput,
        "bulk_total": bulk,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
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
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    result = run(args.rounds, args.bulk)
    print(
        f"did_gov benchmark — {result['machine']['platform']}, Python {result['machine']['python']}, {result['machine']['cpus']} CPUs"
    )
    print("| operation | median ms | p95 ms | naive ms | ratio | target |")
    print("|---|---:|---:|---:|---:|---|")
    for fig in result["figures"]:
        print(_row(fig))
    if result["bulk_total"]:
        print(
            f"| bulk issuance of {result['bulk_total']} credentials, all cores | {result['bulk_issuance_per_second']:.0f} credentials/s | | | | ≥1500/s |"
        )
    print(f"peak RSS: {result['peak_rss_mib']:.1f} MiB")
    if args.json:
        out = {
            **result,
            "figures": [fig.__dict__ | {"ratio": fig.ratio} for fig in result["figures"]],
        }
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
