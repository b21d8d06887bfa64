"""What README §Thread safety promises: one Verifier, one StatusRegistry and one ledger shared by
many threads give the same results as one thread."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from did_gov import PrivateKey, Verifier, issue
from did_gov.ledger import open_ledger, verify_receipt
from did_gov.status import StatusRegistry
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def _credentials(count: int) -> list[Any]:
    issuers = [PrivateKey.generate(t) for t in ("ed25519", "p256", "p384")]
    out: list[Any] = []
    for n in range(count):
        unsigned = {
            "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:placeholder",
            "credentialSubject": {"name": f"person {n}"},
        }
        fmt = ("di", "vc-jwt")[n % 2]
        secured = issue(unsigned, issuers[n % 3], format=fmt, now=NOW)
        if n % 5 == 0 and isinstance(secured, dict):  # some forged ones
            secured = copy.deepcopy(secured)
            secured["credentialSubject"]["name"] = "someone else"
        out.append(secured)
    return out


def test_one_verifier_shared_by_threads_agrees_with_one_thread() -> None:
    credentials = _credentials(40)
    expected = [
        (r.verified, [c.code for c in r.checks])
        for r in map(Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify, credentials)
    ]
    shared = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(shared.verify, credentials * 3))
    got = [(r.verified, [c.code for c in r.checks]) for r in reports]
    assert got == expected * 3
    assert any(not verified for verified, _ in expected)


def test_one_registry_shared_by_threads_never_gives_an_index_twice(tmp_path: Path) -> None:
    with StatusRegistry.open(tmp_path / "s.db", list_url="https://gov.example/s/1",
                             purpose="revocation") as registry:  # fmt: skip
        ids = [f"urn:uuid:{n:032x}" for n in range(300)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            entries = list(pool.map(registry.allocate, ids))
            list(pool.map(registry.revoke, ids[::3]))
        indexes = [e.status_list_index for e in entries]
        assert len(set(indexes)) == len(ids)
        assert [registry.value(i) for i in ids] == [1 if n % 3 == 0 else 0 for n in range(300)]


def test_one_ledger_shared_by_threads_stays_one_consistent_log(tmp_path: Path) -> None:
    key = PrivateKey.generate("ed25519")
    url = f"sqlite:///{tmp_path / 'log.db'}"
    with open_ledger(url, log_key=key, origin="gov.example/log") as log:
        leaves = [bytes([n]) * 32 for n in range(64)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            receipts = [
                r for batch in pool.map(log.append, [[leaf] for leaf in leaves]) for r in batch
            ]
        assert log.size() == 64
        assert sorted(r.index for r in receipts) == list(range(64))
        vkey = log.verifier.vkey
    assert all(verify_receipt(r, vkey).ok for r in receipts)
