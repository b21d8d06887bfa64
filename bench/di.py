"""Data Integrity figures on the shapes a verifier meets, beside plain pyld and @digitalbazaar/vc.

Rows: verify credentials of one shape (distinct values) and of a new shape
every call (each credential its own set of claims: the cold path), a
1-credential presentation of new shapes, sibling objects (1k/10k/100k, under
the default limits and with the limits raised to show the growth, and with
the fast path off: pyld's node map), and RDFC-1.0 poison graphs (blank-node
cliques) under the default limits.

The same credentials are verified by the reference JavaScript stack
(@digitalbazaar/vc with eddsa-rdfc-2022, pinned in ``bench/js/package.json``)
when Node and ``bench/js/node_modules`` (``make bench`` runs ``npm ci``) are
present: credentials generated here are written to a temporary file, verified
by ``bench/js/verify.mjs`` with the pinned contexts served from a static
document loader, and its timings come back into the same table.

The verify rows run did_gov's calls and the naive baseline's in alternating
runs of 25 calls (:func:`blockwise`), each run back to back as ``verify.mjs``
runs @digitalbazaar/vc's: interleaved call by call with plain pyld, whose every
call churns megabytes, each of ours started with cold caches and measured up to
twice its time, so the ratio to the reference compared unlike conditions. ``EXPANSION`` keeps, per verify row,
how many documents the one-pass expander took and how many went to pyld (and
why); ``python -m bench`` prints it under the table.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyld import jsonld as pyld_jsonld
from pyld.context_resolver import ContextResolver

from bench._harness import Figure, measure
from bench.run import NOW, citizen_credential, naive_verify, naive_verify_presentation
from did_gov import PrivateKey, Verifier, issue, present
from did_gov.dids import DefaultResolver, did_key
from did_gov.errors import DidGovError
from did_gov.jsonld import ExpansionCounts, OfflineDocumentLoader, canonicalize
from did_gov.jsonld._loader import _pinned
from did_gov.jsonld._rdfc import canonical_nquads, from_pyld_dataset
from did_gov.jsonld._safe import precheck
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

JS_DIR = Path(__file__).resolve().parent / "js"
VOCAB = {"@vocab": "https://bench.example/"}
OPTIONAL = [
    "middleName",
    "birthPlace",
    "height",
    "eyeColour",
    "occupation",
    "employer",
    "phone",
    "email",
    "maritalStatus",
    "taxNumber",
    "socialNumber",
    "licenceClass",
    "bloodType",
    "organDonor",
    "veteran",
    "language",
    "district",
    "ward",
    "pollingStation",
    "guardian",
]
"""Optional claims: bit k of a credential's shape number says whether it carries OPTIONAL[k]."""


def shaped_credential(n: int, shape: int) -> dict[str, Any]:
    """A citizen credential with the optional claims of ``shape`` (and a nested one per high bit)."""
    subject: dict[str, Any] = {"id": f"did:example:citizen{n}", "givenName": "Ada"}
    for k, name in enumerate(OPTIONAL):
        if shape >> k & 1:
            subject[name] = f"{name} of {n}"
    for k in range(len(OPTIONAL), shape.bit_length()):
        if shape >> k & 1:
            subject[f"extra{k}"] = {"note": f"nested {n}"}
    return {**citizen_credential(n), "credentialSubject": subject}


def held_credential(n: int, shape: int, holder: str) -> dict[str, Any]:
    """:func:`shaped_credential` whose subject is ``holder`` (a presentation binds the two)."""
    credential = shaped_credential(n, shape)
    credential["credentialSubject"]["id"] = holder
    return credential


ONE_SHAPE = 0b0101_0101_0101_0101_0101
"""Ten optional claims: the same-shape rows carry as many as a new shape does on average."""


def new_shapes(start: int = 1) -> Callable[[], int]:
    """Distinct shape numbers, about ten optional claims each (an odd multiplier permutes 2^20)."""
    counter = itertools.count(start)
    return lambda: (next(counter) * 0x9E3779B1) % (1 << 20)


def sibling_document(count: int) -> dict[str, Any]:
    """``count`` small sibling objects under one property (pyld's node map is quadratic in them)."""
    return {"@context": VOCAB, "item": [{"n": i} for i in range(count)]}


def clique_document(n: int) -> dict[str, Any]:
    """An RDFC-1.0 poison graph: ``n`` blank nodes, each linked to every other."""
    return {
        "@context": VOCAB,
        "@graph": [
            {"@id": f"_:n{i}", "link": [{"@id": f"_:n{j}"} for j in range(n) if j != i]}
            for i in range(n)
        ],
    }


def fast_path_off(document: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> str:
    """Canonicalization as before the linear pass: the same limits, then pyld's toRdf (node map)."""
    precheck(document, limits)
    loader = OfflineDocumentLoader()
    dataset = pyld_jsonld.JsonLdProcessor().to_rdf(
        document, {"documentLoader": loader, "contextResolver": ContextResolver({}, loader)}
    )
    return canonical_nquads(from_pyld_dataset(dataset), work_limit=limits.max_rdfc_work)


EXPANSION: dict[str, ExpansionCounts] = {}
"""Per verify row: the verifier's one-pass expander counts (``loader.expansion``)."""


def blockwise(
    name: str,
    operation: Callable[[], object],
    baseline: Callable[[], object] | None,
    *,
    rounds: int,
    warmup: int,
    target: str,
    chunk: int = 25,
) -> Figure:
    """Time ``operation`` and ``baseline`` in alternating runs of ``chunk`` calls each.

    Within a run the calls follow one another, as ``verify.mjs`` runs @digitalbazaar/vc's (so
    only a run's first call meets caches the other side churned, and the median does not
    see it); alternating the runs keeps a change of load from landing on one side only.
    """
    for _ in range(warmup):
        operation()
        if baseline is not None:
            baseline()
    ours: tuple[list[float], list[float]] = ([], [])
    theirs: tuple[list[float], list[float]] = ([], [])
    gc.collect()
    gc.freeze()  # the inputs built before the row are not part of it: no collection rescans them
    done = 0
    while done < rounds:
        calls = min(chunk, rounds - done)
        _timed(operation, calls, ours)
        if baseline is not None:
            _timed(baseline, calls, theirs)
        done += calls
    gc.unfreeze()
    return Figure(
        name,
        statistics.median(ours[0]),
        sorted(ours[0])[min(len(ours[0]) - 1, int(len(ours[0]) * 0.95))],
        statistics.median(theirs[0]) if theirs[0] else None,
        target,
        cpu_median=statistics.median(ours[1]),
        baseline_cpu_median=statistics.median(theirs[1]) if theirs[1] else None,
    )


def _timed(call: Callable[[], object], times: int, into: tuple[list[float], list[float]]) -> None:
    for _ in range(times):
        cpu_start = time.process_time()
        start = time.perf_counter()
        call()
        into[0].append(time.perf_counter() - start)
        into[1].append(time.process_time() - cpu_start)


def _refused_or_done(call: Callable[[], object]) -> Callable[[], str]:
    def run() -> str:
        try:
            call()
        except DidGovError as exc:
            return exc.code
        return "ok"

    return run


def _js_documents(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Pinned contexts plus every DID document and verification method the items name."""
    documents: dict[str, Any] = dict(_pinned())
    resolver = DefaultResolver()
    for item in items:
        for secured in [item, *item.get("verifiableCredential", [])]:
            did = secured["proof"]["verificationMethod"].split("#", 1)[0]
            if did in documents:
                continue
            data = resolver.resolve(did).data
            documents[did] = data
            for method in data.get("verificationMethod", []):
                documents[method["id"]] = {"@context": data["@context"], **method}
    return documents


def run_js(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Verify each row's items with @digitalbazaar/vc; {} when Node or its packages are absent."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        return {}
    items = [item for row in rows.values() for item in row["items"]]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps({"documents": _js_documents(items), "rows": rows, "warmup": 10}))
        done = subprocess.run(
            [node, str(JS_DIR / "verify.mjs"), str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    if done.returncode != 0:
        raise SystemExit(f"bench/js/verify.mjs failed: {done.stderr[-2000:]}")
    result: dict[str, dict[str, float]] = json.loads(done.stdout)
    for name, figures in result.items():
        if figures["verified"] != figures["total"]:
            raise SystemExit(f"@digitalbazaar/vc verified {figures['verified']} of {name}")
    return result


def figures(rounds: int) -> list[Figure]:
    """The Data Integrity rows, with @digitalbazaar/vc beside did_gov's when Node is present."""
    key = PrivateKey.from_seed("ed25519", bytes(range(32)))
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    warmup = 20
    count = rounds + warmup
    same = [issue(shaped_credential(n, ONE_SHAPE), key, now=NOW) for n in range(count)]
    shape = new_shapes(1)
    fresh = [issue(shaped_credential(n, shape()), key, now=NOW) for n in range(count)]
    holder_did = did_key.did_for_public_key(holder.public_key)
    vps = [
        present(
            [issue(held_credential(n, shape(), holder_did), key, now=NOW)],
            holder,
            challenge=f"c{n}",
            domain="d",
            now=NOW,
        )
        for n in range(count)
    ]
    out: list[Figure] = []
    js_rows: dict[str, dict[str, Any]] = {}

    def verify_rows(name: str, items: list[dict[str, Any]], target: str, vp: bool = False) -> None:
        verifier = Verifier(
            now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER
        )  # a new verifier: no shape learned before this row
        ours, naive = iter(items), iter(items)

        def op() -> object:
            doc = next(ours)
            if vp:
                report = verifier.verify(doc, challenge=doc["proof"]["challenge"], domain="d")
            else:
                report = verifier.verify(doc)
            return report.verified or _fail(name)

        def base() -> object:
            return naive_verify_presentation(next(naive)) if vp else naive_verify(next(naive))

        out.append(blockwise(name, op, base, rounds=rounds, warmup=warmup, target=target))
        EXPANSION[name] = verifier.loader.expansion
        js_rows[name] = {
            "kind": "presentation" if vp else "credential",
            "items": items[warmup:],
            "domain": "d",
        }

    verify_rows("DI verify, one shape (distinct values)", same, "≤0.3× vc-js")
    verify_rows("DI verify, new shape every call", fresh, "≤0.5× vc-js, ≤0.7 ms")
    verify_rows("DI presentation, 1 credential, new shapes", vps, "≤1.5 ms", vp=True)
    js = run_js(js_rows)
    out = [
        dataclasses.replace(
            fig,
            reference_median=js[fig.name]["median"],
            reference_cpu_median=js[fig.name]["cpu_median"],
        )
        if fig.name in js
        else fig
        for fig in out
    ]
    loader = OfflineDocumentLoader()
    raised = Limits(max_jsonld_nodes=10**6, max_rdf_quads=10**6, max_rdfc_work=10**8)
    for size in (1_000, 10_000, 100_000):
        doc = sibling_document(size)
        few = 1 if size > 10_000 else max(3, rounds // (size // 100))
        out.append(
            measure(
                f"{size:,} sibling objects, default limits",
                _refused_or_done(lambda d=doc: canonicalize(d, loader=loader)),  # type: ignore[misc]
                _refused_or_done(lambda d=doc: fast_path_off(d)) if size <= 1_000 else None,  # type: ignore[misc]
                rounds=few,
                warmup=0 if size > 10_000 else 1,
                target="refused or ≤0.5 s" if size == 10_000 else "",
            )
        )
        out.append(
            measure(
                f"{size:,} sibling objects, limits raised",
                lambda d=doc: canonicalize(d, loader=loader, limits=raised),  # type: ignore[misc]
                None,
                rounds=few,
                warmup=0 if size > 10_000 else 1,
                target="linear",
            )
        )
    for n in (8, 24, 64):
        doc = clique_document(n)
        out.append(
            measure(
                f"RDFC poison graph: {n}-node blank clique (refused)",
                _refused_or_done(lambda d=doc: canonicalize(d, loader=loader)),  # type: ignore[misc]
                _refused_or_done(lambda d=doc: fast_path_off(d)),  # type: ignore[misc]
                rounds=5,
                warmup=1,
                target="≤200 ms CPU",
            )
        )
    return out


def _fail(name: str) -> bool:
    raise SystemExit(f"a benchmark credential of {name!r} did not verify")


def shape_memory(total: int) -> dict[str, float]:
    """RSS after verifying ``total // 10`` and ``total`` credentials of distinct shapes, one verifier."""
    from bench.run import rss_mib

    key = PrivateKey.from_seed("ed25519", bytes(range(32)))
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    shape = new_shapes(1_000_003)
    first = max(1, total // 10)
    figures: dict[str, float] = {"n_first": first, "n_total": total}
    for n in range(total):
        if not verifier.verify(issue(shaped_credential(n, shape()), key, now=NOW)).verified:
            _fail("distinct shapes")
        if n + 1 == first:
            figures["rss_first_mib"] = rss_mib()
    figures["rss_total_mib"] = rss_mib()
    EXPANSION[f"{total:,} distinct shapes (RSS row)"] = verifier.loader.expansion
    return figures
