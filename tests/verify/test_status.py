"""The Verifier checks credentialStatus: offline lists, an injected fetcher, and every rejection."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from did_gov import PrivateKey, VerificationPolicy, Verifier, issue, present
from did_gov._encoding import b64url_encode
from did_gov.dids import did_key
from did_gov.errors import StatusError
from did_gov.status import (
    StalePolicy,
    StaticStatusSource,
    StatusList,
    StatusListCache,
    StatusRegistry,
    build_list_credential,
)
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify import UnknownStatus
from tests.conftest import NOW

AGENCY = PrivateKey.from_seed("ed25519", bytes(range(32)))
OTHER = PrivateKey.from_seed("ed25519", bytes(range(1, 33)))
HOLDER = PrivateKey.from_seed("p256", bytes(range(32)))
CITIZEN = did_key.did_for_public_key(HOLDER.public_key)
"""The credentials' subject, who presents them."""
REVOCATION_URL = "https://gov.example/status/revocation/1"
SUSPENSION_URL = "https://gov.example/status/suspension/1"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
LATER = NOW + timedelta(hours=1)


def _sign(key: PrivateKey) -> Any:
    return lambda doc: issue(doc, key, now=NOW)


@pytest.fixture
def revocations(tmp_path: Path) -> Iterator[StatusRegistry]:
    with StatusRegistry.open(
        tmp_path / "revocation.db", list_url=REVOCATION_URL, purpose="revocation"
    ) as registry:
        yield registry


@pytest.fixture
def suspensions(tmp_path: Path) -> Iterator[StatusRegistry]:
    with StatusRegistry.open(
        tmp_path / "suspension.db", list_url=SUSPENSION_URL, purpose="suspension"
    ) as registry:
        yield registry


def _credential(credential_id: str, *entries: dict[str, Any]) -> dict[str, Any]:
    status: Any = entries[0] if len(entries) == 1 else list(entries)
    return issue(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
            "id": credential_id,
            "type": ["VerifiableCredential"],
            "issuer": "did:example:replaced",
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": CITIZEN, "name": "Ada"},
            "credentialStatus": status,
        },
        AGENCY,
        now=NOW,
    )


def _publish(registry: StatusRegistry, key: PrivateKey = AGENCY, **kwargs: Any) -> Any:
    kwargs.setdefault("valid_for", timedelta(days=1))
    issuer = issue(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:x",
            "credentialSubject": {"id": "did:example:y"},
        },
        key,
        now=NOW,
    )["issuer"]
    return registry.publish(issuer, _sign(key), now=NOW, **kwargs)


def _codes(report: Any) -> list[str]:
    return [c.code for c in report.checks]


def test_a_valid_credential_passes_every_status_check(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    report = Verifier(
        now=LATER, status_lists=[_publish(revocations)], trust=UNSAFE_TRUST_ANY_ISSUER
    ).verify(vc)
    assert report.verified, report.summary()
    names = [c.name for c in report.checks]
    assert names[4:] == [
        "status_list_credential",
        "status_entry",
        "status_list",
        "status_purpose",
        "status_validity",
        "status_value",
        "trust",
    ]


def test_revoke_then_publish_shows_revoked_offline(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    other = _credential("urn:uuid:2", revocations.allocate("urn:uuid:2").to_json())
    before = _publish(revocations)
    revocations.revoke("urn:uuid:1")
    after = revocations.publish(
        vc["issuer"], _sign(AGENCY), now=NOW + timedelta(minutes=1), valid_for=timedelta(days=1)
    )
    verifier = Verifier(now=LATER, status_lists=[before, after], trust=UNSAFE_TRUST_ANY_ISSUER)
    report = verifier.verify(vc)
    assert not report.verified
    assert report.errors[-1].code == "status.revoked"
    assert not report.errors[-1].indeterminate
    assert verifier.verify(other).verified
    assert (
        Verifier(now=LATER, status_lists=[before], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .verified
    ), "the old list"


def test_suspend_and_reinstate(suspensions: StatusRegistry) -> None:
    vc = _credential("urn:uuid:s", suspensions.allocate("urn:uuid:s").to_json())
    suspensions.suspend("urn:uuid:s")
    report = Verifier(
        now=LATER, status_lists=[_publish(suspensions)], trust=UNSAFE_TRUST_ANY_ISSUER
    ).verify(vc)
    assert [c.code for c in report.errors] == ["status.suspended"]
    suspensions.reinstate("urn:uuid:s")
    assert (
        Verifier(now=LATER, status_lists=[_publish(suspensions)], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .verified
    )


def test_two_entries_are_both_checked(
    revocations: StatusRegistry, suspensions: StatusRegistry
) -> None:
    cid = "urn:uuid:both"
    vc = _credential(cid, revocations.allocate(cid).to_json(), suspensions.allocate(cid).to_json())
    suspensions.suspend(cid)
    verifier = Verifier(
        now=LATER,
        status_lists=[_publish(revocations), _publish(suspensions)],
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )
    report = verifier.verify(vc)
    assert [(c.name, c.code) for c in report.errors] == [
        ("credentialStatus[1].status_value", "status.suspended")
    ]
    assert "credentialStatus[0].status_value" in [c.name for c in report.checks]


def test_no_list_and_no_fetcher_is_indeterminate(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not report.verified
    (error,) = report.errors
    assert (error.code, error.indeterminate) == ("status.list_unavailable", True)


def test_online_through_an_injected_fetcher(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    revocations.revoke("urn:uuid:1")
    published = json.dumps(_publish(revocations)).encode()
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return published

    verifier = Verifier(now=LATER, status_fetcher=fetch, trust=UNSAFE_TRUST_ANY_ISSUER)
    for _ in range(3):
        assert verifier.verify(vc).errors[-1].code == "status.revoked"
    assert asked == [REVOCATION_URL], "fetched once, then kept for max_age"


def test_a_failing_fetcher_is_indeterminate(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())

    def fetch(url: str) -> bytes:
        raise ConnectionError("no route to host")

    (error,) = (
        Verifier(now=LATER, status_fetcher=fetch, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).errors
    )
    assert (error.code, error.indeterminate) == ("status.list_fetch_failed", True)


@pytest.mark.parametrize("body", [b"\xff\xfe", b"{not json", 42, b"x" * (2 << 20)])
def test_a_bad_fetched_body_is_refused(revocations: StatusRegistry, body: Any) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    report = Verifier(
        now=LATER, status_fetcher=lambda url: body, trust=UNSAFE_TRUST_ANY_ISSUER
    ).verify(vc)
    assert not report.verified
    assert report.errors[0].code in {"status.list_fetch_failed", "status.list_unverified"}


def test_a_list_signed_by_another_issuer_is_rejected(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    foreign = _publish(revocations, key=OTHER)
    (error,) = (
        Verifier(now=LATER, status_lists=[foreign], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).errors
    )
    assert (error.code, error.indeterminate) == ("status.list_issuer_mismatch", False)


def test_a_tampered_list_is_rejected(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    revocations.revoke("urn:uuid:1")
    tampered = copy.deepcopy(_publish(revocations))
    tampered["credentialSubject"]["encodedList"] = StatusList().encode()  # "un-revoke"
    (error,) = (
        Verifier(now=LATER, status_lists=[tampered], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .errors
    )
    assert error.code == "status.list_unverified"
    assert "signature.invalid" in error.message


def test_an_unsigned_list_is_rejected(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    unsigned = revocations.list_credential(vc["issuer"], now=NOW, valid_for=timedelta(days=1))
    (error,) = (
        Verifier(now=LATER, status_lists=[unsigned], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .errors
    )
    assert error.code == "status.list_unverified"


def test_an_expired_list_fails_unless_the_policy_is_unsafe(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    listed = _publish(revocations, valid_for=timedelta(hours=2))
    late = NOW + timedelta(days=2)
    (error,) = (
        Verifier(now=late, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).errors
    )
    assert error.code == "status.list_expired"
    unsafe = VerificationPolicy(stale_status_lists=StalePolicy.UNSAFE_WARN)
    report = Verifier(
        now=late, status_lists=[listed], policy=unsafe, trust=UNSAFE_TRUST_ANY_ISSUER
    ).verify(vc)
    assert report.verified
    assert "status.list_expired" in _codes(report), "the warning stays in the report"


def test_a_list_older_than_its_ttl_is_stale(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    listed = _publish(revocations, ttl=timedelta(minutes=30))
    (error,) = (
        Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).errors
    )
    assert error.code == "status.list_stale"


def test_a_list_of_another_purpose_is_rejected(revocations: StatusRegistry) -> None:
    entry = revocations.allocate("urn:uuid:1").to_json()
    vc = _credential("urn:uuid:1", {**entry, "statusPurpose": "suspension"})
    (error,) = (
        Verifier(now=LATER, status_lists=[_publish(revocations)], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .errors
    )
    assert error.code == "status.purpose_mismatch"


def test_a_list_served_for_another_url_is_rejected(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    wrong = _publish(revocations)
    report = Verifier(
        now=LATER,
        status_fetcher=lambda url: {**wrong, "id": url + "x"},
        trust=UNSAFE_TRUST_ANY_ISSUER,
    ).verify(vc)
    assert report.errors[0].code in {"status.list_mismatch", "status.list_unverified"}
    other = json.dumps(_publish(revocations))
    moved = Verifier(
        now=LATER,
        status_fetcher=lambda url: other.replace("revocation/1", "r/9"),
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )
    assert moved.verify(vc).errors[0].code == "status.list_unverified"


def test_an_unknown_status_type_is_ignored_with_a_warning(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", {"id": "https://gov.example/s#1", "type": "StatusList2021Entry"})
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert report.verified, report.summary()
    (status,) = [c for c in report.checks if c.name == "status"]
    assert (status.ok, status.code) == (True, "status.type_unsupported")
    strict = VerificationPolicy(unknown_status=UnknownStatus.FAIL)
    (error,) = Verifier(now=LATER, policy=strict, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).errors
    assert (error.code, error.indeterminate) == ("status.type_unsupported", False)


def test_a_malformed_entry_fails(revocations: StatusRegistry) -> None:
    """issue() refuses such an entry; another issuer's credential may still carry one."""
    from did_gov.dids import did_key
    from did_gov.proofs.data_integrity import add_proof

    good = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    unsigned = {k: v for k, v in good.items() if k != "proof"}
    unsigned["credentialStatus"] = {**unsigned["credentialStatus"], "statusListIndex": 7}
    with pytest.raises(StatusError) as refused:
        issue(unsigned, AGENCY, now=NOW)
    assert refused.value.code == "status.entry_malformed"
    method = did_key.verification_method_id(AGENCY.public_key)
    vc = add_proof(
        unsigned, AGENCY, cryptosuite="eddsa-rdfc-2022", verification_method=method, created=NOW
    )
    (error,) = (
        Verifier(now=LATER, status_lists=[_publish(revocations)], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .errors
    )
    assert error.code == "status.entry_malformed"


def test_status_is_not_checked_when_the_credential_already_fails(
    revocations: StatusRegistry,
) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    vc["credentialSubject"]["name"] = "Eve"
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert "status_list_credential" not in [c.name for c in report.checks]


def test_many_credentials_against_one_list_cost_one_decode(revocations: StatusRegistry) -> None:
    ids = [f"urn:uuid:{i}" for i in range(4)]
    vcs = [_credential(i, revocations.allocate(i).to_json()) for i in ids]
    revocations.revoke(ids[2])
    verifier = Verifier(
        now=LATER, status_lists=[_publish(revocations)], trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert [verifier.verify(vc).verified for vc in vcs] == [True, True, False, True]
    assert verifier.status_cache.stats() == (3, 1)


def test_a_presentation_carries_the_revocation(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    revocations.revoke("urn:uuid:1")
    vp = present([vc], HOLDER, challenge="c", domain="d", now=NOW)
    verifier = Verifier(
        now=LATER, status_lists=[_publish(revocations)], trust=UNSAFE_TRUST_ANY_ISSUER
    )
    report = verifier.verify(vp, challenge="c", domain="d")
    assert not report.verified
    assert [c.code for c in report.errors] == ["status.revoked"]
    assert report.errors[0].name == "credential[0].status_value"


def test_too_many_entries_are_refused(revocations: StatusRegistry) -> None:
    entry = revocations.allocate("urn:uuid:1").to_json()
    many = [{**entry, "id": f"{REVOCATION_URL}#e{i}"} for i in range(17)]
    vc = _credential("urn:uuid:1", *many)
    (error,) = (
        Verifier(now=LATER, status_lists=[_publish(revocations)], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .errors
    )
    assert error.code == "status.too_many_entries"


def test_a_list_with_its_own_status_is_not_recursed_into(revocations: StatusRegistry) -> None:
    entry = revocations.allocate("urn:uuid:1").to_json()
    vc = _credential("urn:uuid:1", entry)
    unsigned = revocations.list_credential(vc["issuer"], now=NOW, valid_for=timedelta(days=1))
    unsigned["credentialStatus"] = entry  # a list that points at itself
    listed = issue(unsigned, AGENCY, now=NOW)
    assert (
        Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .verified
    )


def test_a_hand_built_list_with_a_set_bit(tmp_path: Path) -> None:
    bits = StatusList()
    bits.set(131_071, 1)
    issuer = _credential("urn:uuid:x", {"id": "https://e.example/x", "type": "T"})["issuer"]
    listed = issue(
        build_list_credential(
            list_url=REVOCATION_URL,
            issuer=issuer,
            purpose="revocation",
            encoded_list=bits.encode(),
            valid_from=NOW,
        ),
        AGENCY,
        now=NOW,
    )
    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListCredential": REVOCATION_URL,
    }
    verifier = Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER)
    for index, revoked in [(131_071, True), (131_070, False), (0, False)]:
        vc = _credential(f"urn:uuid:{index}", {**entry, "statusListIndex": str(index)})
        assert verifier.verify(vc).verified is not revoked


def test_an_enveloped_list_is_indexed_by_its_payload_id(revocations: StatusRegistry) -> None:
    """A compact-token list is served for its payload's id; a bad signature is still refused."""
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    unsigned = revocations.list_credential(vc["issuer"], now=NOW, valid_for=timedelta(days=1))
    payload = b64url_encode(json.dumps(unsigned).encode())
    token = f"eyJhbGciOiJFZERTQSJ9.{payload}.c2lnbmF0dXJl"
    source = StaticStatusSource([token])
    assert source.unverified_list_credential(REVOCATION_URL, now=NOW) == token
    (error,) = (
        Verifier(now=LATER, status_lists=[token], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).errors
    )
    assert (error.code, error.indeterminate) == ("status.list_unverified", False)


@pytest.mark.parametrize(
    "bad",
    [{"id": "https://gov.example/x", "type": "VerifiableCredential"}, "not.a.token", 42],
)
def test_one_bad_list_does_not_block_every_verification(
    revocations: StatusRegistry, bad: Any
) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    verifier = Verifier(
        now=LATER, status_lists=[bad, _publish(revocations)], trust=UNSAFE_TRUST_ANY_ISSUER
    )
    assert [p.code for p in verifier.offline_lists.problems] == ["status.invalid_argument"]
    assert verifier.verify(vc).verified


def test_a_forged_copy_of_a_list_does_not_hide_the_genuine_one(
    revocations: StatusRegistry,
) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    revocations.revoke("urn:uuid:1")
    genuine = _publish(revocations)
    forged = {**genuine, "validFrom": "2030-01-01T00:00:00Z"}  # newer, and its proof breaks
    report = Verifier(
        now=LATER, status_lists=[forged, genuine], trust=UNSAFE_TRUST_ANY_ISSUER
    ).verify(vc)
    assert [c.code for c in report.errors] == ["status.revoked"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status_fetcher": "https://gov.example"},
        {"status_source": object()},
        {"status_cache": {}},
    ],
)
def test_misconfiguration_raises_our_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(StatusError) as info:
        Verifier(**kwargs)
    assert info.value.code == "status.invalid_argument"


def test_one_cache_can_serve_several_verifiers(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())
    listed, cache = _publish(revocations), StatusListCache()
    for _ in range(2):
        assert (
            Verifier(
                now=LATER, status_lists=[listed], status_cache=cache, trust=UNSAFE_TRUST_ANY_ISSUER
            )
            .verify(vc)
            .verified
        )
    assert cache.stats() == (1, 1)


def test_a_kiosk_clock_behind_the_agency_within_the_skew(revocations: StatusRegistry) -> None:
    vc = _credential("urn:uuid:1", revocations.allocate("urn:uuid:1").to_json())

    def published(at: datetime) -> Any:
        sign = lambda doc: issue(doc, AGENCY, now=at)  # noqa: E731
        return revocations.publish(vc["issuer"], sign, now=at, valid_for=timedelta(days=1))

    ahead = published(NOW + timedelta(minutes=2))
    assert (
        Verifier(now=NOW, status_lists=[ahead], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).verified
    )
    (error,) = (
        Verifier(
            now=NOW,
            status_lists=[published(NOW + timedelta(minutes=10))],
            trust=UNSAFE_TRUST_ANY_ISSUER,
        )
        .verify(vc)
        .errors
    )
    assert error.code == "status.list_unverified"
    assert "proof.created_in_future" in error.message


def test_a_list_is_verified_once_per_content_and_moment(
    revocations: StatusRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    vcs = [
        _credential(f"urn:uuid:{i}", revocations.allocate(f"urn:uuid:{i}").to_json())
        for i in range(3)
    ]
    listed = _publish(revocations)
    verifier = Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER)
    calls: list[Any] = []
    original = verifier._verify_list_now
    monkeypatch.setattr(
        verifier, "_verify_list_now", lambda doc, at: calls.append(at) or original(doc, at)
    )
    assert all(verifier.verify(vc).verified for vc in vcs)
    assert verifier.verify(vcs[0], now=LATER + timedelta(seconds=1)).verified
    assert calls == [LATER, LATER + timedelta(seconds=1)]
    tampered = copy.deepcopy(listed)
    tampered["validUntil"] = "2099-01-01T00:00:00Z"
    other = Verifier(now=LATER, status_lists=[tampered], trust=UNSAFE_TRUST_ANY_ISSUER)
    other._verified_lists = verifier._verified_lists  # same cache, other content: a miss
    assert other.verify(vcs[0]).errors[0].code == "status.list_unverified"


def test_a_message_list_reports_the_message(tmp_path: Path) -> None:
    texts = ["pending_review", "accepted", "rejected", "withdrawn"]
    with StatusRegistry.open(
        tmp_path / "m.db", list_url=REVOCATION_URL, purpose="message", status_size=2, messages=texts
    ) as registry:
        vc = _credential("urn:uuid:m", registry.allocate("urn:uuid:m").to_json())
        registry.set_status("urn:uuid:m", 2)
        report = Verifier(
            now=LATER, status_lists=[_publish(registry)], trust=UNSAFE_TRUST_ANY_ISSUER
        ).verify(vc)
    assert report.verified, "a message is information, not a failure"
    assert (report.checks[-2].code, report.checks[-2].message) == (
        "status.message",
        "status 0x2: rejected",
    )


def test_a_refresh_list_passes_with_its_code(tmp_path: Path) -> None:
    with StatusRegistry.open(
        tmp_path / "r.db", list_url=REVOCATION_URL, purpose="refresh"
    ) as registry:
        vc = _credential("urn:uuid:r", registry.allocate("urn:uuid:r").to_json())
        registry.set_status("urn:uuid:r", 1)
        report = Verifier(
            now=LATER, status_lists=[_publish(registry)], trust=UNSAFE_TRUST_ANY_ISSUER
        ).verify(vc)
    assert report.verified and report.checks[-2].code == "status.refresh"


def test_vc_jwt_credentials_and_vc_jwt_lists(revocations: StatusRegistry) -> None:
    # A VC-JOSE credential carries credentialStatus too, and the list itself may be a vc+jwt.
    cid = "urn:uuid:jwt-status-1"
    entry = revocations.allocate(cid).to_json()
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": cid,
        "type": ["VerifiableCredential"],
        "issuer": "did:example:replaced",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:citizen", "name": "Ada"},
        "credentialStatus": entry,
    }
    token = issue(unsigned, AGENCY, format="vc-jwt", now=NOW)
    issuer = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token).document["issuer"]
    listed = revocations.publish(
        issuer,
        lambda doc: issue(doc, AGENCY, format="vc-jwt", now=NOW),
        now=NOW,
        valid_for=timedelta(days=1),
    )
    assert isinstance(listed, str)
    assert (
        Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(token)
        .verified
    )
    revocations.revoke(cid)
    listed = revocations.publish(
        issuer,
        lambda doc: issue(doc, AGENCY, format="vc-jwt", now=NOW),
        now=NOW,
        valid_for=timedelta(days=1),
    )
    report = Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER).verify(token)
    assert not report.verified
    assert "status.revoked" in {c.code for c in report.errors}
