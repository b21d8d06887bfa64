"""The Verifier's trust step with a real registry: fail closed, anchored time, status lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from did_gov import Verifier, anchor, attach_receipts, issue
from did_gov.ledger.memory import MemoryLedger
from did_gov.status import StatusList, build_list_credential
from did_gov.trust import TrustRegistry
from tests.trust._bundles import LOG_KEY, LOG_ORIGIN
from tests.trust._world import BIRTH, MINISTRY, NOW, OFFICE, ROOT, T0, YEAR, accredit, standard

LIST_URL = "https://gov.example/status/7"


def _unsigned(**more: Any) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential", BIRTH],
        "issuer": OFFICE.did,
        "validFrom": "2026-01-02T00:00:00Z",
        "credentialSubject": {"givenName": "Ada"},
        **more,
    }


def _vc(**more: Any) -> dict[str, Any]:
    return issue(
        _unsigned(**more), OFFICE.key, verification_method=OFFICE.vm, now=T0 + timedelta(days=2)
    )


def test_no_trust_material_is_not_configured() -> None:
    report = Verifier(now=NOW).verify(_vc())
    assert not report.verified
    [error] = report.errors
    assert (error.code, error.indeterminate) == ("trust.not_configured", True)


def test_registry_accepts_and_names_the_chain() -> None:
    report = Verifier(now=NOW, trust=TrustRegistry([ROOT.did], standard())).verify(_vc())
    assert report.verified, report.summary()
    trust = next(c for c in report.checks if c.name == "trust")
    assert "judged at verification time" in trust.message


def test_anchored_credential_is_judged_at_its_anchored_time() -> None:
    vc = _vc()
    log = MemoryLedger(LOG_ORIGIN, LOG_KEY, clock=lambda: T0 + timedelta(days=3))
    receipts = anchor(vc, log)
    held = attach_receipts(vc, receipts)
    later = T0 + 2 * YEAR  # the office's accreditation has expired by now
    registry = TrustRegistry([ROOT.did], standard())
    verifier = Verifier(now=later, trust=registry, log_keys=[log.verifier.vkey])
    bare = Verifier(now=later, trust=registry).verify(vc)
    assert [c.code for c in bare.errors] == ["trust.accreditation_expired"]
    report = verifier.verify(held)
    assert report.verified, report.summary()
    trust = next(c for c in report.checks if c.name == "trust")
    assert "judged at anchored time 2026-01-04T00:00:00Z" in trust.message
    strict = TrustRegistry([ROOT.did], standard(), at_anchored_time=False)
    refused = Verifier(now=later, trust=strict, log_keys=[log.verifier.vkey]).verify(held)
    assert "trust.accreditation_expired" in {c.code for c in refused.errors}


def _status_list(issuer: Any, revoked: bool) -> dict[str, Any]:
    bits = StatusList()
    if revoked:
        bits.set(7, 1)
    unsigned = build_list_credential(
        list_url=LIST_URL,
        issuer=issuer.did,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=T0,
        valid_until=NOW + YEAR,
    )
    return issue(unsigned, issuer.key, verification_method=issuer.vm, now=T0 + timedelta(days=1))


ENTRY = {
    "id": LIST_URL + "#7",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "7",
    "statusListCredential": LIST_URL,
}


def test_own_status_list_counts_without_accrediting_the_list_type() -> None:
    registry = TrustRegistry([ROOT.did], standard())
    vc = _vc(credentialStatus=ENTRY)
    report = Verifier(now=NOW, trust=registry, status_lists=[_status_list(OFFICE, True)]).verify(vc)
    assert [c.code for c in report.errors] == ["status.revoked"]


def test_delegated_status_list_counts_only_when_accredited() -> None:
    vc = _vc(credentialStatus=ENTRY)
    by_ministry = _status_list(MINISTRY, True)
    plain = TrustRegistry([ROOT.did], standard())
    refused = Verifier(now=NOW, trust=plain, status_lists=[by_ministry]).verify(vc)
    assert "status.revoked" not in {c.code for c in refused.errors}
    assert not refused.verified
    delegation = accredit(
        ROOT,
        MINISTRY.did,
        (BIRTH, "MarriageCertificateCredential", "CitizenIdentityCredential"),
        may_accredit=True,
        max_path_length=0,
        status_for=(OFFICE.did,),
        issued=T0 + timedelta(days=1),
    )
    delegated = TrustRegistry([ROOT.did], [*standard(), delegation])
    counted = Verifier(now=NOW, trust=delegated, status_lists=[by_ministry]).verify(vc)
    assert [c.code for c in counted.errors] == ["status.revoked"]
