"""Compiled contexts and the one-pass expander on and off, beside @digitalbazaar/vc.

The Data Integrity verify rows of ``bench/di.py`` (one shape with distinct values, a new
shape every call, a 1-credential presentation of new shapes), each measured with the
loader's compiled-context tables and one-pass expander (the default) against the same
verifier with both off (``loader.compiled = None``, ``loader.one_pass = False``: pyld
expanding and processing every context, as before), on the same credentials, in alternating runs of
25 calls (``bench.di.blockwise``), and the same credentials verified by the
pinned JavaScript stack when Node and ``bench/js/node_modules`` are present.
``figures(rounds)`` is collected by ``bench/run.py`` (``SECTIONS``); its "naive" columns are
the figures with both off.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bench._harness import Figure
from bench.di import ONE_SHAPE, blockwise, held_credential, new_shapes, run_js, shaped_credential
from bench.run import NOW
from did_gov import PrivateKey, Verifier, issue, present
from did_gov.dids import did_key
from did_gov.jsonld import OfflineDocumentLoader
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER


def _verifier(tables: bool) -> Verifier:
    loader = OfflineDocumentLoader()
    if not tables:
        loader.compiled = None  # type: ignore[assignment]
        loader.one_pass = False
    return Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, loader=loader)


def figures(rounds: int) -> list[Figure]:
    """Three verify rows, compiled contexts and one pass on (ours) and off (baseline), with vc-js."""
    key = PrivateKey.from_seed("ed25519", bytes(range(32)))
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    warmup = 20
    count = rounds + warmup
    shape = new_shapes(1)
    holder_did = did_key.did_for_public_key(holder.public_key)
    rows: list[tuple[str, list[dict[str, Any]], str, bool]] = [
        (
            "compiled contexts: DI verify, one shape",
            [issue(shaped_credential(n, ONE_SHAPE), key, now=NOW) for n in range(count)],
            "≤0.3× vc-js",
            False,
        ),
        (
            "compiled contexts: DI verify, new shape every call",
            [issue(shaped_credential(n, shape()), key, now=NOW) for n in range(count)],
            "≤0.5× vc-js, ≤0.7 ms",
            False,
        ),
        (
            "compiled contexts: DI presentation, new shapes",
            [
                present(
                    [issue(held_credential(n, shape(), holder_did), key, now=NOW)],
                    holder,
                    challenge=f"c{n}",
                    domain="d",
                    now=NOW,
                )
                for n in range(count)
            ],
            "≤1.5 ms",
            True,
        ),
    ]
    out: list[Figure] = []
    js_rows: dict[str, dict[str, Any]] = {}
    for name, items, target, vp in rows:
        on, off = _verifier(True), _verifier(False)
        ours, theirs = iter(items), iter(items)

        def call(verifier: Verifier, documents: Any, vp: bool = vp) -> object:
            doc = next(documents)
            if vp:
                report = verifier.verify(doc, challenge=doc["proof"]["challenge"], domain="d")
            else:
                report = verifier.verify(doc)
            if not report.verified:
                raise SystemExit(f"bench.compiled: not verified: {report.summary()}")
            return report

        out.append(
            blockwise(
                name,
                lambda on=on, ours=ours: call(on, ours),  # type: ignore[misc]
                lambda off=off, theirs=theirs: call(off, theirs),  # type: ignore[misc]
                rounds=rounds,
                warmup=warmup,
                target=target,
            )
        )
        kind = "presentation" if vp else "credential"
        js_rows[name] = {"kind": kind, "items": items[warmup:], "domain": "d"}
    js = run_js(js_rows)
    return [
        dataclasses.replace(
            fig,
            reference_median=js[fig.name]["median"],
            reference_cpu_median=js[fig.name]["cpu_median"],
        )
        if fig.name in js
        else fig
        for fig in out
    ]
