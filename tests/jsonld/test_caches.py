"""Caches on the verification path: bounded (memory stays flat) and never stale."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from did_gov import PrivateKey, Verifier, issue
from did_gov.jsonld import OfflineDocumentLoader, canonicalize
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW


def citizen(n: int) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "id": f"urn:uuid:6a1e1c2e-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential", "CitizenIdentityCredential"],
        "issuer": "did:example:ministry",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"did:example:citizen{n}",
            "givenName": f"Ada {n}",
            "document": {"number": f"ID{n:08d}"},
        },
    }


def test_template_and_context_caches_are_bounded() -> None:
    loader = OfflineDocumentLoader()
    for i in range(600):  # distinct shapes and distinct inline contexts
        doc = {"@context": {"@vocab": f"https://ex.example/{i}/"}, f"k{i}": "v"}
        canonicalize(doc, loader=loader)
    assert len(loader.templates._templates) <= loader.templates._templates.maxsize
    assert len(loader._resolved_cache) <= loader._resolved_cache.maxsize


def test_memory_is_flat_over_distinct_credentials() -> None:
    """Verifying credentials that differ in every value keeps no per-credential state."""
    key = PrivateKey.from_seed("ed25519", bytes(range(32)))
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    credentials = (issue(citizen(n), key, now=NOW) for n in range(800))
    tracemalloc.start()
    try:
        for n, vc in enumerate(credentials):
            assert verifier.verify(vc).verified
            if n == 199:
                gc.collect()
                first, _ = tracemalloc.get_traced_memory()
        gc.collect()
        last, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last - first < 128 * 1024, f"grew by {last - first} bytes over 600 credentials"


def test_registered_context_is_copied() -> None:
    """Mutating a registered context afterwards cannot change a cached answer."""
    url = "https://ex.example/ctx"
    context = {"@context": {"name": "https://ex.example/name"}}
    loader = OfflineDocumentLoader(documents={url: context})
    doc = {"@context": url, "name": "Ada"}
    before = canonicalize(doc, loader=loader)
    context["@context"]["name"] = "https://evil.example/name"
    assert canonicalize(doc, loader=loader) == before
    assert canonicalize(doc, loader=OfflineDocumentLoader(documents={url: context})) != before
