"""Anchoring credentials of every format, the receipt envelope, and the Verifier's anchor check."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov import (
    PrivateKey,
    VerificationPolicy,
    Verifier,
    anchor,
    attach_receipts,
    issue,
    present,
)
from did_gov.dids import did_key
from did_gov.errors import DidGovError, InvalidInputError
from did_gov.ledger import AnchorKind, BaseLedger, anchor_leaf, open_ledger
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify import anchored_content, open_anchored
from tests.conftest import NOW, load_vector

ISSUER = PrivateKey.from_seed("ed25519", bytes(range(32)))
HOLDER = PrivateKey.from_seed("p256", bytes(range(32)))
LOG_KEY = PrivateKey.from_seed("ed25519", bytes(range(1, 33)))
ORIGIN = "did-gov.example/log/agency-a"


def _b64url(value: Any) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


JWT = f"{_b64url({'alg': 'EdDSA'})}.{_b64url({'type': ['VerifiableCredential']})}.c2lnbmF0dXJl"
STATUS_JWT = f"{_b64url({'alg': 'EdDSA'})}.{_b64url({'vc': {'type': ['VerifiableCredential', 'BitstringStatusListCredential']}})}.c2ln"


@pytest.fixture
def log() -> BaseLedger:
    ledger = open_ledger("memory:", log_key=LOG_KEY, origin=ORIGIN)
    assert isinstance(ledger, BaseLedger)
    ledger.append([bytes(32)] * 5)  # other agencies' entries before ours
    return ledger


@pytest.fixture
def credential() -> dict[str, Any]:
    return issue(load_vector("eddsa/unsigned.json"), ISSUER, now=NOW)


def _verifier(log: BaseLedger, **policy: Any) -> Verifier:
    return Verifier(
        now=NOW,
        log_keys=[log.verifier.vkey],
        policy=VerificationPolicy(**policy),
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )


def _anchor_checks(report: Any) -> list[Any]:
    return [c for c in report.checks if c.name == "anchor"]


# -- which bytes are anchored -------------------------------------------------------------


def test_data_integrity_credential_is_anchored_by_its_jcs_bytes(credential: dict[str, Any]) -> None:
    kind, content = anchored_content(credential)
    assert kind is AnchorKind.CREDENTIAL
    assert json.loads(content) == credential
    assert content == json.dumps(
        credential, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    reordered = dict(reversed(list(credential.items())))
    assert anchored_content(reordered) == (kind, content)


def test_sd_jwt_is_anchored_by_its_issuer_signed_jwt_whatever_is_disclosed() -> None:
    issued = JWT + "~WyJzYWx0IiwiZ2l2ZW5OYW1lIiwiQWRhIl0~WyJzMiIsImJpcnRoRGF0ZSIsIjE5OTAiXQ~"
    presented = JWT + "~WyJzYWx0IiwiZ2l2ZW5OYW1lIiwiQWRhIl0~kb.jwt.sig"
    expected = (AnchorKind.CREDENTIAL, JWT.encode("ascii"))
    assert anchored_content(issued) == anchored_content(presented) == anchored_content(JWT)
    assert anchored_content(JWT) == expected


def test_enveloped_jwt_credential_in_a_presentation_matches_the_token() -> None:
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{JWT}",
    }
    assert anchored_content(enveloped) == anchored_content(JWT)


def test_status_lists_and_documents_have_their_own_kinds() -> None:
    status = {"type": ["VerifiableCredential", "BitstringStatusListCredential"]}
    assert anchored_content(status)[0] is AnchorKind.STATUS_LIST
    assert anchored_content(STATUS_JWT)[0] is AnchorKind.STATUS_LIST
    assert anchored_content(b"minutes of 3 May") == (AnchorKind.DOCUMENT, b"minutes of 3 May")
    assert anchored_content(b"x", "did-document")[0] is AnchorKind.DID_DOCUMENT


@pytest.mark.parametrize(
    "bad", ["not a token", "a.b", "a.b.c.d", "", 12, None, {"x": float("nan")}, ["a"]]
)
def test_unanchorable_input_raises_a_typed_error(bad: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        anchored_content(bad)
    assert info.value.code == "anchor.content_invalid"


# -- issuer side ----------------------------------------------------------------------------


def test_anchor_sends_only_salted_hashes(log: BaseLedger, credential: dict[str, Any]) -> None:
    receipts = anchor([credential, JWT, b"budget 2026"], log)
    assert [r.index for r in receipts] == [5, 6, 7]
    kinds = [r.anchor.kind for r in receipts if r.anchor]
    assert kinds == [AnchorKind.CREDENTIAL, AnchorKind.CREDENTIAL, AnchorKind.DOCUMENT]
    for receipt, document in zip(receipts, [credential, JWT, b"budget 2026"], strict=True):
        assert receipt.anchor is not None
        _, content = anchored_content(document)
        assert log._leaf(receipt.index) == anchor_leaf(
            receipt.anchor.kind, content, receipt.anchor.salt
        )
    assert len({r.anchor.salt for r in receipts if r.anchor}) == 3


def test_anchor_one_document_on_sqlite(tmp_path: Path, credential: dict[str, Any]) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    with open_ledger(url, log_key=LOG_KEY, origin=ORIGIN) as ledger:  # type: ignore[attr-defined]
        [receipt] = anchor(credential, ledger)
        vkey = ledger.verifier.vkey
    envelope = attach_receipts(credential, [receipt])
    report = Verifier(now=NOW, log_keys=[vkey], trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        json.dumps(envelope)
    )
    assert report.verified, report.summary()
    assert _anchor_checks(report)[0].ok


def test_envelope_round_trips_and_leaves_the_credential_untouched(
    log: BaseLedger, credential: dict[str, Any]
) -> None:
    receipts = anchor(credential, log)
    envelope = attach_receipts(credential, receipts)
    assert envelope["type"] == "AnchoredCredential"
    assert envelope["credential"] == credential
    opened = open_anchored(json.loads(json.dumps(envelope)))
    assert opened.document == credential and opened.unverified_receipts == tuple(receipts)
    assert not opened.presentation


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(extra=1),
        lambda e: e.update(anchorReceipts=[]),
        lambda e: e.update(anchorReceipts="x"),
        lambda e: e["anchorReceipts"][0].update(index=-1),
        lambda e: e.pop("credential"),
        lambda e: e.update(type="AnchoredPresentation"),
    ],
)
def test_malformed_envelopes_are_reported(
    log: BaseLedger, credential: dict[str, Any], mutate: Any
) -> None:
    envelope = attach_receipts(credential, anchor(credential, log))
    mutate(envelope)
    with pytest.raises(DidGovError) as info:
        open_anchored(envelope)
    assert info.value.code == "anchor.envelope_malformed"
    report = _verifier(log).verify(envelope)
    assert not report.verified
    assert [c.code for c in report.errors] == ["anchor.envelope_malformed"]


# -- the Verifier -----------------------------------------------------------------------------


def test_verifier_checks_an_anchored_credential(
    log: BaseLedger, credential: dict[str, Any]
) -> None:
    envelope = attach_receipts(credential, anchor(credential, log))
    report = _verifier(log, require_anchor=True).verify(envelope)
    assert report.verified, report.summary()
    assert [c.name for c in report.checks][-1] == "anchor"
    assert f"entry 5 of {ORIGIN}" in _anchor_checks(report)[0].message


def test_receipts_may_travel_beside_the_credential(log: BaseLedger) -> None:
    [receipt] = anchor(JWT, log)
    verifier = _verifier(log)
    check = verifier.check_anchors(verifier.verify(b"{}"), JWT, [receipt]).checks[-1]
    assert check.ok and check.name == "anchor"
    credential = issue(load_vector("eddsa/unsigned.json"), ISSUER, now=NOW)
    [receipt] = anchor(credential, log)
    report = verifier.verify(credential, receipts=[receipt.to_json()])
    assert report.verified, report.summary()


def test_without_a_receipt_only_a_policy_requires_one(
    log: BaseLedger, credential: dict[str, Any]
) -> None:
    assert _anchor_checks(_verifier(log).verify(credential)) == []
    report = _verifier(log, require_anchor=True).verify(credential)
    assert not report.verified
    assert [c.code for c in report.errors] == ["anchor.required"]


def test_an_untrusted_log_cannot_be_checked(log: BaseLedger, credential: dict[str, Any]) -> None:
    envelope = attach_receipts(credential, anchor(credential, log))
    [check] = _anchor_checks(Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(envelope))
    assert (check.ok, check.code, check.indeterminate) == (False, "anchor.log_untrusted", True)


def test_a_receipt_signed_by_another_key_fails(log: BaseLedger, credential: dict[str, Any]) -> None:
    impostor = open_ledger("memory:", log_key=ISSUER, origin=ORIGIN)
    envelope = attach_receipts(credential, anchor(credential, impostor))
    [check] = _anchor_checks(_verifier(log).verify(envelope))
    assert check.code == "receipt.checkpoint_unverified" and not check.indeterminate


def test_an_edited_credential_no_longer_matches_its_receipt(
    log: BaseLedger, credential: dict[str, Any]
) -> None:
    receipts = anchor(credential, log)
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["name"] = "Mallory"
    report = _verifier(log, require_anchor=True).verify(attach_receipts(forged, receipts))
    codes = {c.code for c in report.errors}
    assert {"anchor.required", "anchor.receipt_unmatched", "signature.invalid"} <= codes


def test_a_status_list_receipt_cannot_vouch_for_a_credential(
    log: BaseLedger, credential: dict[str, Any]
) -> None:
    receipts = anchor(credential, log, kind="status-list")
    [check] = _anchor_checks(_verifier(log).verify(attach_receipts(credential, receipts)))
    assert check.code == "anchor.kind_mismatch"


def test_a_tampered_inclusion_proof_fails(log: BaseLedger, credential: dict[str, Any]) -> None:
    envelope = attach_receipts(credential, anchor(credential, log))
    proof = envelope["anchorReceipts"][0]["inclusionProof"]
    proof[0] = base64.b64encode(bytes(32)).decode()
    [check] = _anchor_checks(_verifier(log).verify(envelope))
    assert check.code == "receipt.inclusion_invalid"


def test_a_presentation_carries_its_credentials_receipts(
    log: BaseLedger, credential: dict[str, Any]
) -> None:
    # A credential without a subject id, and one of the holder: both may be presented.
    credential = issue(
        {**load_vector("eddsa/unsigned.json"), "credentialSubject": {"name": "Ada"}},
        ISSUER,
        now=NOW,
    )
    subject = {"id": did_key.did_for_public_key(HOLDER.public_key)}
    second = issue(
        {**load_vector("eddsa/unsigned.json"), "id": "urn:uuid:2", "credentialSubject": subject},
        ISSUER,
        now=NOW,
    )
    receipts = anchor([credential, second], log)
    held = [
        open_anchored(attach_receipts(c, [r]))
        for c, r in zip([credential, second], receipts, strict=True)
    ]
    vp = present([h.document for h in held], HOLDER, challenge="c-1", now=NOW)  # type: ignore[misc]
    envelope = attach_receipts(vp, [r for h in held for r in h.unverified_receipts])
    assert envelope["type"] == "AnchoredPresentation"
    report = _verifier(log, require_anchor=True).verify(envelope, challenge="c-1")
    assert report.verified, report.summary()
    for nested in report.credentials:
        assert nested.checks[-1].name == "anchor" and nested.checks[-1].ok
    partial = attach_receipts(vp, [receipts[0]])
    report = _verifier(log, require_anchor=True).verify(partial, challenge="c-1")
    assert [c.code for c in report.errors] == ["anchor.required"]
    assert [c.name for c in report.errors] == ["credential[1].anchor"]


def test_an_envelope_needs_a_receipt(credential: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError) as info:
        attach_receipts(credential, [])
    assert info.value.code == "anchor.envelope_malformed"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None)
@given(
    member=st.sampled_from(["credential", "anchorReceipts", "type", "extra"]),
    value=_JSON,
    as_text=st.booleans(),
)
def test_hostile_envelopes_are_reported_never_raised(
    member: str, value: Any, as_text: bool
) -> None:
    credential = issue(load_vector("eddsa/unsigned.json"), ISSUER, now=NOW)
    ledger = open_ledger("memory:", log_key=LOG_KEY, origin=ORIGIN)
    envelope: dict[str, Any] = attach_receipts(credential, anchor(credential, ledger))
    envelope[member] = value
    verifier = Verifier(now=NOW, log_keys=[ledger.verifier.vkey], trust=UNSAFE_TRUST_ANY_ISSUER)
    report = verifier.verify(json.dumps(envelope) if as_text else envelope)
    assert not report.verified
    assert report.errors
