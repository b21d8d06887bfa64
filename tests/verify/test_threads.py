"""One Verifier shared between threads: its caches must not race (issue 10, reliability)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from did_gov import PrivateKey, Verifier, issue, present
from did_gov.dids import did_key
from did_gov.jsonld._lru import LockedLRUCache
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW

ISSUERS = [
    PrivateKey.from_seed(kind, bytes([i]) * 32) for i, kind in enumerate(["ed25519", "p256"] * 3)
]
HOLDER = PrivateKey.from_seed("ed25519", bytes(range(3, 35)))


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _documents() -> list[tuple[Any, dict[str, str]]]:
    subject = did_key.did_for_public_key(HOLDER.public_key)
    docs: list[tuple[Any, dict[str, str]]] = []
    for n, key in enumerate(ISSUERS):
        vc = {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2",
            ],
            "type": ["VerifiableCredential", "ExampleCredential"],
            "issuer": "did:example:replaced",
            "id": f"urn:uuid:{n}",
            "credentialSubject": {"id": subject, "name": f"n{n}"},
        }
        di = issue(vc, key, now=NOW)
        docs.append((di, {}))
        docs.append((issue(vc, key, format="vc-jwt", now=NOW), {}))
        docs.append((issue(vc, key, format="sd-jwt", now=NOW), {}))
        vp = present([di], HOLDER, challenge=f"c{n}", now=NOW)
        docs.append((vp, {"challenge": f"c{n}"}))
    return docs


@pytest.mark.usefixtures("tiny_switch_interval")
def test_one_verifier_hammered_from_several_threads() -> None:
    documents = _documents()
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    # A long-lived kiosk's caches are full: shrink them so every thread evicts.
    verifier.loader.templates._templates = LockedLRUCache(maxsize=2)
    verifier.loader._resolved_cache = LockedLRUCache(maxsize=1)
    failures: list[str] = []
    start = threading.Barrier(6)

    def work(offset: int) -> None:
        start.wait()
        for i in range(len(documents)):
            document, expected = documents[(i + offset) % len(documents)]
            try:
                report = verifier.verify(document, **expected)
            except Exception as exc:  # a race surfaces as an exception
                failures.append(f"{type(exc).__name__}: {exc}")
                continue
            if not report.verified:
                failures.append(report.summary())

    threads = [threading.Thread(target=work, args=(k * 5,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
