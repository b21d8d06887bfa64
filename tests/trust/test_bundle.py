"""Trust roots and bundles verified statelessly (trust-bundle §3–5)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from did_gov.errors import InvalidInputError, TrustError
from did_gov.trust import IssuerClaim, TrustRoot, verify_bundle
from tests.trust._bundles import BUNDLE_KEYS, DAY, bundle, resign, root
from tests.trust._world import BIRTH, FORGER, NOW, OFFICE


def _claim(issuer: str) -> IssuerClaim:
    return IssuerClaim(issuer, (BIRTH,), (), None, None, "vc-jwt", None)


def test_valid_bundle_gives_a_registry() -> None:
    verified = verify_bundle(bundle(), root(), now=NOW)
    assert verified.version == 1
    registry = verified.registry()
    assert registry.judge_issuer(_claim(OFFICE.did), NOW).ok
    forged = registry.judge_issuer(_claim(FORGER.did), NOW)
    assert forged.code == "trust.issuer_not_accredited"
    assert "trust bundle v1" in forged.message
    summary = verified.summary()
    assert summary["root_version"] == 1
    assert {a["issuer"] for a in summary["accreditations"]} >= {OFFICE.did}


def test_bundle_signed_by_an_unknown_key_is_refused() -> None:
    with pytest.raises(TrustError) as caught:
        verify_bundle(resign(bundle(), [BUNDLE_KEYS[3]]), root(), now=NOW)
    assert caught.value.code == "trust.bundle_signature_invalid"


def test_threshold_of_bundle_signatures() -> None:
    two = root(threshold=2)
    with pytest.raises(TrustError) as caught:
        verify_bundle(
            resign(bundle(roots=[two], signers=BUNDLE_KEYS[:2]), BUNDLE_KEYS[:1]), two, now=NOW
        )
    assert caught.value.code == "trust.bundle_signature_invalid"
    # The same key twice is one signature.
    with pytest.raises(TrustError):
        verify_bundle(
            resign(bundle(roots=[two], signers=BUNDLE_KEYS[:2]), [BUNDLE_KEYS[0]] * 2), two, now=NOW
        )
    verify_bundle(bundle(roots=[two], signers=BUNDLE_KEYS[:2]), two, now=NOW)


def test_build_refuses_too_few_signers() -> None:
    with pytest.raises(InvalidInputError) as caught:
        bundle(roots=[root(threshold=2)], signers=BUNDLE_KEYS[:1])
    assert caught.value.code == "trust.bundle_signature_invalid"


def test_expired_bundle_is_refused() -> None:
    with pytest.raises(TrustError) as caught:
        verify_bundle(bundle(), root(), now=NOW + 31 * DAY)
    assert caught.value.code == "trust.bundle_expired"


def test_expired_root_is_refused() -> None:
    short = root(expires_in=DAY)
    with pytest.raises(TrustError) as caught:
        verify_bundle(bundle(roots=[short]), short, now=NOW + 2 * DAY)
    assert caught.value.code == "trust.bundle_root_expired"


def test_mix_and_match_attack_is_refused() -> None:
    one = json.loads(bundle(version=1))
    two = json.loads(bundle(version=2, extra={"status_lists": [{"id": "urn:x"}]}))
    mixed = one | {"files": one["files"] | {"status-lists.json": two["files"]["status-lists.json"]}}
    with pytest.raises(TrustError) as caught:
        verify_bundle(json.dumps(mixed), root(), now=NOW)
    assert caught.value.code == "trust.bundle_hash_mismatch"


def test_extra_or_missing_file_is_refused() -> None:
    one = json.loads(bundle())
    for files in (
        one["files"] | {"extra.json": "[]"},
        {k: v for k, v in one["files"].items() if k != "contexts.json"},
    ):
        with pytest.raises(TrustError) as caught:
            verify_bundle(json.dumps(one | {"files": files}), root(), now=NOW)
        assert caught.value.code == "trust.bundle_hash_mismatch"


def test_tampered_manifest_is_refused() -> None:
    one = json.loads(bundle())
    one["signed"]["expires"] = "2099-01-01T00:00:00Z"
    with pytest.raises(TrustError) as caught:
        verify_bundle(json.dumps(one), root(), now=NOW)
    assert caught.value.code == "trust.bundle_signature_invalid"


def test_root_rotation_is_followed() -> None:
    r1 = root()
    r2 = root(2, keys=BUNDLE_KEYS[2:4], signers=[BUNDLE_KEYS[0], BUNDLE_KEYS[2]])
    verified = verify_bundle(bundle(roots=[r1, r2], signers=[BUNDLE_KEYS[2]]), r1, now=NOW)
    assert verified.root.version == 2


def test_root_rotation_without_the_old_threshold_is_refused() -> None:
    r1 = root()
    r2 = root(2, keys=BUNDLE_KEYS[2:4], signers=[BUNDLE_KEYS[2]])
    with pytest.raises(TrustError) as caught:
        verify_bundle(bundle(roots=[r1, r2], signers=[BUNDLE_KEYS[2]]), r1, now=NOW)
    assert caught.value.code == "trust.bundle_root_rotation_invalid"


def test_root_rotation_without_the_new_threshold_is_refused() -> None:
    r1 = root()
    with pytest.raises(InvalidInputError) as caught:
        root(2, keys=BUNDLE_KEYS[2:4], signers=[BUNDLE_KEYS[0]])
    assert caught.value.code == "trust.bundle_root_signature_invalid"
    # A hand-made root that lacks its own signatures is refused when carried.
    r2 = root(2, keys=BUNDLE_KEYS[2:4], signers=[BUNDLE_KEYS[0], BUNDLE_KEYS[2]])
    unsigned = r2.to_json() | {
        "signatures": [s for s in r2.to_json()["signatures"] if s["keyid"] in r1.keys]
    }
    carried = json.loads(bundle(roots=[r1, r2], signers=[BUNDLE_KEYS[2]]))
    carried["roots"] = [r1.to_json(), unsigned]
    with pytest.raises(TrustError) as info:
        verify_bundle(json.dumps(carried), r1, now=NOW)
    assert info.value.code == "trust.bundle_root_signature_invalid"


def test_root_rotation_skipping_a_version_is_refused() -> None:
    r1 = root()
    r3 = root(3, keys=BUNDLE_KEYS[2:4], signers=[BUNDLE_KEYS[0], BUNDLE_KEYS[2]])
    with pytest.raises(TrustError) as caught:
        verify_bundle(bundle(roots=[r1, r3], signers=[BUNDLE_KEYS[2]]), r1, now=NOW)
    assert caught.value.code == "trust.bundle_root_rotation_invalid"


def test_bundle_under_an_older_root_than_carried_is_refused() -> None:
    r1 = root()
    r2 = root(2, signers=BUNDLE_KEYS[:2])
    carried = json.loads(bundle(roots=[r1], signers=[BUNDLE_KEYS[0]]))
    carried["roots"] = [r1.to_json(), r2.to_json()]
    with pytest.raises(TrustError) as caught:
        verify_bundle(json.dumps(carried), r1, now=NOW)
    assert caught.value.code == "trust.bundle_root_mismatch"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("roots"),
        lambda b: b.update(signatures="x"),
        lambda b: b["signed"].update(type="Other"),
        lambda b: b["files"].update({"contexts.json": 5}),
    ],
)
def test_malformed_bundles_are_refused(mutate: Any) -> None:
    value = json.loads(bundle())
    mutate(value)
    with pytest.raises(TrustError):
        verify_bundle(json.dumps(value), root(), now=NOW)


def test_not_json_is_refused() -> None:
    with pytest.raises(TrustError) as caught:
        verify_bundle(b"\x00not json", root(), now=NOW)
    assert caught.value.code == "trust.bundle_malformed"


def test_root_file_with_bad_members_is_refused() -> None:
    value = root().to_json()
    value["signed"] = value["signed"] | {"threshold": 5}
    with pytest.raises(TrustError):
        TrustRoot.parse(value)


def test_verifying_with_a_bundle_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    raw, trusted = bundle(), root()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    verified = verify_bundle(raw, trusted, now=NOW)
    assert verified.registry().judge_issuer(_claim(OFFICE.did), NOW).ok
