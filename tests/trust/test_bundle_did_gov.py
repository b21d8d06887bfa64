"""Trust bundles carry did:gov logs (did-logs.json): offline resolution and freshness."""

from __future__ import annotations

import json

import pytest

from did_gov import anchor, issue
from did_gov.dids.gov import DidGov, bundle_item, update_log
from did_gov.errors import GovLogError, TrustError
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER, verify_bundle
from did_gov.verify import Verifier
from tests.dids._gov_world import agency, key, world
from tests.trust._bundles import bundle, root
from tests.trust._world import NOW


def _vc(did: str) -> dict[str, object]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "credentialSubject": {"permit": "fishing"},
    }


def test_bundle_carries_a_did_gov_log_with_its_freshness() -> None:
    w = world()
    log = agency(w)
    credential = issue(_vc(log.did), key(10), verification_method=f"{log.did}#key-1")
    receipts = anchor(credential, w.ledger)
    log = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    trusted = root()
    verified = verify_bundle(
        bundle(roots=[trusted], extra={"did_logs": [bundle_item(log)]}), trusted, now=NOW
    )
    assert len(verified.did_logs) == 1
    gov = verified.did_gov()
    assert gov.freshness(log.did).known
    options = verified.verifier_options()
    options["trust"] = UNSAFE_TRUST_ANY_ISSUER
    options["log_keys"] = [*options["log_keys"], w.ledger.verifier.vkey]
    report = Verifier(**options).verify(credential, receipts=receipts)
    assert report.verified, report.summary()
    assert [c.code for c in report.checks if c.name == "did_log"] == ["ok"]
    assert "did.gov_key_removed" in [c.code for c in Verifier(**options).verify(credential).errors]


def test_bundle_head_detects_a_truncated_copy() -> None:
    w = world()
    log = agency(w)
    full = update_log(log, key(1), w.ledger, add_keys=[key(11).public_key])
    trusted = root()
    verified = verify_bundle(
        bundle(roots=[trusted], extra={"did_logs": [bundle_item(full)]}), trusted, now=NOW
    )
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())  # a presented, truncated copy
    item = json.loads(json.dumps(verified.did_logs[0]))
    gov.add_head(item["latest"], log.did)
    with pytest.raises(GovLogError) as excinfo:
        gov.resolve(log.did)
    assert excinfo.value.code == "did.gov_truncated"


def test_bundle_with_a_log_behind_its_own_head_is_refused() -> None:
    w = world()
    log = agency(w)
    full = update_log(log, key(1), w.ledger, add_keys=[key(11).public_key])
    item = bundle_item(log) | {"latest": bundle_item(full)["latest"]}
    with pytest.raises(TrustError) as excinfo:
        bundle(roots=[root()], extra={"did_logs": [item]})
    assert "did.gov_truncated" in str(excinfo.value)
    tampered = bundle_item(full)
    tampered["log"][1]["state"]["assertionMethod"] = []
    with pytest.raises(TrustError) as excinfo:
        bundle(roots=[root()], extra={"did_logs": [tampered]})
    assert "did.gov_hash_chain_broken" in str(excinfo.value)
