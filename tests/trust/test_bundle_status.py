"""Status lists carried in a trust bundle: fresh until the bundle expires (trust-bundle §4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from did_gov import Verifier, issue
from did_gov.errors import StatusError, TrustError
from did_gov.status import BundledStatusList, StatusList, build_list_credential, check_entry
from did_gov.trust import verify_bundle
from tests.trust._bundles import DAY, bundle, root
from tests.trust._world import BIRTH, NOW, OFFICE, T0

LIST_URL = "https://gov.example/status/9"
ENTRY = {
    "id": LIST_URL + "#9",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "9",
    "statusListCredential": LIST_URL,
}


def _list(*, revoked: bool = False, valid_until: datetime | None = None) -> dict[str, Any]:
    """The office's list, published a day before NOW with a one-hour ttl (stale by NOW)."""
    bits = StatusList()
    if revoked:
        bits.set(9, 1)
    unsigned = build_list_credential(
        list_url=LIST_URL,
        issuer=OFFICE.did,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=NOW - DAY,
        valid_until=valid_until,
        ttl=timedelta(hours=1),
    )
    return issue(unsigned, OFFICE.key, verification_method=OFFICE.vm, now=NOW - DAY)


def _vc() -> dict[str, Any]:
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential", BIRTH],
        "issuer": OFFICE.did,
        "validFrom": "2026-01-02T00:00:00Z",
        "credentialSubject": {"givenName": "Ada"},
        "credentialStatus": ENTRY,
    }
    return issue(unsigned, OFFICE.key, verification_method=OFFICE.vm, now=T0 + 2 * DAY)


def _verifier(status_list: dict[str, Any], *, at: datetime = NOW) -> Verifier:
    raw = bundle(extra={"status_lists": [status_list]}, issued_offset=-2 * timedelta(hours=1))
    return Verifier(now=at, **verify_bundle(raw, root(), now=NOW).verifier_options())


def _validity(report: Any) -> Any:
    return next(c for c in report.checks if c.name == "status_validity")


def test_bundle_carried_list_is_fresh_until_the_bundle_expires() -> None:
    vc, listed = _vc(), _list()
    alone = Verifier(now=NOW, **verify_bundle(bundle(), root(), now=NOW).verifier_options())
    stale = Verifier(now=NOW, trust=alone.trust, status_lists=[listed]).verify(vc)
    assert [c.code for c in stale.errors] == ["status.list_stale"]
    report = _verifier(listed).verify(vc)
    assert report.verified, report.summary()
    check = _validity(report)
    assert check.code == "status.list_from_bundle"
    assert "trust bundle v1 issued 2026-05-31T22:00:00Z" in check.message
    assert "expires at 2026-06-30T22:00:00Z" in check.message


def test_bundle_carried_list_still_shows_a_revocation() -> None:
    report = _verifier(_list(revoked=True)).verify(_vc())
    assert [c.code for c in report.errors] == ["status.revoked"]


def test_bundle_carried_list_past_its_own_valid_until_is_not_fresh() -> None:
    report = _verifier(_list(valid_until=NOW - timedelta(hours=2))).verify(_vc())
    assert [c.code for c in report.errors] == ["status.list_expired"]


def test_bundle_carried_list_after_the_bundle_expiry_falls_back_to_its_ttl() -> None:
    later = NOW + 40 * DAY  # a verification --at past the bundle's expiry
    report = _verifier(_list(), at=later).verify(_vc())
    assert "status.list_stale" in {c.code for c in report.errors}


def test_expired_bundle_with_a_list_is_refused() -> None:
    raw = bundle(extra={"status_lists": [_list()]}, issued_offset=-40 * DAY)
    with pytest.raises(TrustError) as caught:
        verify_bundle(raw, root(), now=NOW)
    assert caught.value.code == "trust.bundle_expired"


def test_a_list_given_outside_the_bundle_keeps_the_ttl_rule() -> None:
    vc, listed = _vc(), _list()
    options = verify_bundle(bundle(), root(), now=NOW).verifier_options()
    report = Verifier(now=NOW, **(options | {"status_lists": [listed]})).verify(vc)
    assert [c.code for c in report.errors] == ["status.list_stale"]


def test_check_entry_takes_the_bundle_provenance() -> None:
    listed = _list()
    carried = BundledStatusList(listed, "trust bundle v3", NOW - DAY, NOW + DAY)
    result = check_entry(ENTRY, listed, now=NOW, bundled=carried)
    assert result.ok and "status.list_from_bundle" in result.codes
    with pytest.raises(StatusError):
        check_entry(ENTRY, listed, now=NOW, bundled="v3")  # type: ignore[arg-type]
    with pytest.raises(StatusError):
        BundledStatusList(listed, "v3", datetime(2026, 1, 1), NOW)  # naive time
