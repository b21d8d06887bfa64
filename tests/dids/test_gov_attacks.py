"""Red-team attacks on did:gov keys: each test is named after the attack it pins."""

from __future__ import annotations

import pytest

from did_gov.dids.gov import update_log
from tests.dids._gov_world import agency, key, world
from tests.verify.test_did_gov_issuer import _anchored, _codes, _vc, _verifier, issue


@pytest.mark.parametrize(
    "suffix",
    [
        "?versionId={v1}#key-1",  # "resolve me at the version where the key was in force"
        "?versionTime=2026-05-03T09:00:01Z#key-1",
        "?versionId={v1}&x=1#key-1",
        "/#key-1",
        "#key%2D1",
        "#KEY-1",
        ";x#key-1",
    ],
)
def test_attack_removed_key_named_through_a_did_url_variant(suffix: str) -> None:
    """A thief of a removed key names it as of an old version, or in another spelling."""
    w = world()
    log = agency(w)
    v1 = log.latest.version_id
    log = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    credential = issue(
        _vc(log.did), key(10), format="di", verification_method=log.did + suffix.format(v1=v1)
    )
    report = _verifier(log, w).verify(credential, receipts=_anchored(credential, w))
    assert not report.verified
    assert _codes(report)[0] in ("did.vm_not_found", "did.invalid", "did.gov_key_removed")


@pytest.mark.parametrize("member", ["versionId", "versionTime", "state"])
def test_attack_huge_integer_in_a_log_entry_is_a_typed_error(member: str) -> None:
    import copy

    from did_gov.dids.gov import verify_log
    from did_gov.errors import DidGovError

    w = world()
    log = agency(w)
    entries = copy.deepcopy(log.entries())
    if member == "state":
        entries[0]["state"]["x"] = 10**5000
    else:
        entries[0][member] = 10**5000
    with pytest.raises(DidGovError):
        verify_log(entries, log.receipts())
