"""Decisions and their records (``specs/issuance-policy.md`` §7-8): issue, anchor, replay.

A decision file is ``{"record": {...}, "receipt": {...}}``: the record (hashes, never claim
values) and the anchor receipt of ``JCS(record)`` (kind ``document``) in the transparency log.
:func:`replay` evaluates the same evidence again at the recorded time, under the same trust
bundle, with the recorded salts, and compares everything up to the unsigned credential.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from did_gov._api import anchor, issue
from did_gov._encoding import b64url_decode
from did_gov._time import parse_datetime
from did_gov.approval._decide import (
    SALT_BYTES,
    Outcome,
    StatusAllocator,
    TrustState,
    content_of,
    evaluate,
    sha256,
)
from did_gov.approval._evidence import Submission, subject_key
from did_gov.approval._policy import Policy
from did_gov.dids import did_key
from did_gov.errors import ApprovalError, DidGovError
from did_gov.jsonld import jcs
from did_gov.keys import Signer
from did_gov.ledger import LedgerBackend, NoteVerifier, Receipt, verify_receipt
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.verify import Verifier

__all__ = ["Decision", "ReplayResult", "decide", "replay"]


@dataclass(frozen=True)
class Decision:
    """A decision that was made and anchored: the credential (on approval), the record, its receipt.

    ``reason`` says in words why a denial was given (the failing clause, the rejected
    evidence); it is for the applicant and is never written to the record.
    """

    approved: bool
    credential: dict[str, Any] | str | None
    code: str | None
    reason: str | None
    record: dict[str, Any]
    receipt: Receipt

    def to_json(self) -> dict[str, Any]:
        """The decision file: ``{"record", "receipt"}``."""
        return {"record": self.record, "receipt": self.receipt.to_json()}


def _verification_method(policy: Policy, key: Signer, verification_method: str | None) -> str:
    method = verification_method or did_key.verification_method_id(key.public_key)
    if not method.startswith(policy.issuer + "#"):
        raise ApprovalError(
            f"the issuing key {method} is not a key of the policy's issuer {policy.issuer}",
            code="approval.policy_issuer_mismatch",
        )
    return method


def decide(
    policy: Policy,
    submission: Submission,
    verifier: Verifier,
    *,
    key: Signer,
    ledger: LedgerBackend,
    now: datetime,
    trust: TrustState | None = None,
    status: StatusAllocator | None = None,
    verification_method: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    randbytes: Callable[[int], bytes] = secrets.token_bytes,
) -> Decision:
    """Evaluate, then on approval allocate status, sign with ``key``; anchor the record either way.

    ``key`` must be a key of the policy's issuer (its did:key, or ``verification_method``).
    A policy with a ``status`` option needs ``status`` (a :class:`~did_gov.status.StatusRegistry`).
    """
    method = _verification_method(policy, key, verification_method)
    if policy.status_purpose is not None and status is None:
        raise ApprovalError(
            f"the policy gives credentials a {policy.status_purpose} status: a status registry is needed",
            code="approval.status_unavailable",
        )
    outcome = evaluate(
        policy, submission, verifier, now=now, trust=trust, limits=limits, randbytes=randbytes
    )
    record = dict(outcome.record)
    credential: dict[str, Any] | str | None = None
    if outcome.unsigned is not None:
        credential = _issue(policy, outcome, key, method, status)
        record["credential"] = {
            **record["credential"],
            "issuedHash": sha256(content_of(credential)),
        }
    [receipt] = anchor(jcs(record), ledger, kind="document", randbytes=randbytes)
    return Decision(outcome.approved, credential, outcome.code, outcome.reason, record, receipt)


def _issue(
    policy: Policy,
    outcome: Outcome,
    key: Signer,
    method: str,
    status: StatusAllocator | None,
) -> dict[str, Any] | str:
    assert outcome.unsigned is not None  # noqa: S101 - only called on approval
    credential = dict(outcome.unsigned)
    if status is not None and policy.status_purpose is not None:
        entry = status.allocate(credential["id"])
        credential["credentialStatus"] = entry.to_json()
    moment = parse_datetime(credential["validFrom"])
    if policy.format == "sd-jwt":
        return issue(
            credential,
            key,
            format="sd-jwt",
            verification_method=method,
            now=moment,
            disclosable=policy.disclosable,
            holder_key=subject_key(outcome.subject_id),
        )
    return issue(credential, key, format=policy.format, verification_method=method, now=moment)


# -- replay ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayResult:
    """Whether a replay reproduced the record: ``ok``, a code, and what was compared."""

    ok: bool
    code: str
    message: str
    compared: tuple[str, ...] = ()


def _fail(code: str, message: str) -> ReplayResult:
    return ReplayResult(False, code, message)


def parse_decision(value: object) -> tuple[dict[str, Any], Receipt]:
    """A decision file (text or parsed): its record and its receipt; ``approval.record_invalid``."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApprovalError("a decision file is JSON", code="approval.record_invalid") from None
    if not isinstance(value, dict) or set(value) != {"record", "receipt"}:
        raise ApprovalError("a decision file is {record, receipt}", code="approval.record_invalid")
    record = value["record"]
    if not isinstance(record, dict) or record.get("type") != "DecisionRecord":
        raise ApprovalError("record.type is DecisionRecord", code="approval.record_invalid")
    _check_shape(record)
    try:
        receipt = Receipt.from_json(value["receipt"])
    except DidGovError as exc:
        raise ApprovalError(
            f"the decision's receipt is unreadable: {exc}", code="approval.record_invalid"
        ) from None
    return record, receipt


def _check_shape(record: Mapping[str, Any]) -> None:
    """The members replay reads have their §6 types (a hostile file is refused, never a crash)."""
    evidence = record.get("evidence", [])
    credential = record.get("credential")
    if not (
        isinstance(record.get("policy"), dict)
        and isinstance(evidence, list)
        and all(isinstance(e, dict) and isinstance(e.get("salt"), str) for e in evidence)
        and (credential is None or isinstance(credential, dict))
        and (credential is None or isinstance(credential.get("salt"), str))
    ):
        raise ApprovalError(
            "the record's policy, evidence or credential is not as specified"
            " (issuance-policy.md §6)",
            code="approval.record_invalid",
        )


def _recorded_salts(record: Mapping[str, Any]) -> Iterator[bytes]:
    """Every recorded salt, decoded at once (an unreadable one raises ``DidGovError``)."""
    salts = [b64url_decode(item["salt"]) for item in record.get("evidence", [])]
    if isinstance(record.get("credential"), Mapping):
        salts.append(b64url_decode(record["credential"]["salt"]))
    return iter(salts)


def replay(
    decision: object,
    policy: Policy,
    submission: Submission,
    verifier: Verifier,
    *,
    trust: TrustState | None = None,
    log_key: NoteVerifier | str | None = None,
    issued: dict[str, Any] | str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ReplayResult:
    """Evaluate again at the recorded time and compare (§8); never raises for a mismatch.

    Refuses another trust bundle than the recorded one (``approval.bundle_mismatch``).
    With ``log_key`` the receipt must commit to the record (so the issued credential's
    hash is the anchored one); with ``issued``, that credential's hash must be it.
    """
    try:
        record, receipt = parse_decision(decision)
    except ApprovalError as exc:
        return _fail(exc.code, exc.message)
    compared: list[str] = []
    if log_key is not None:
        check = verify_receipt(receipt, log_key, content=jcs(record))
        if not check.ok:
            return _fail("approval.receipt_invalid", f"receipt: {check.message} [{check.code}]")
        compared.append("receipt")
    if record.get("policy", {}).get("hash") != policy.hash:
        return _fail("approval.replay_mismatch", "the record was made under another policy")
    recorded_trust = record.get("trust")
    current = (trust or TrustState()).to_json()
    if recorded_trust != current:
        return _fail(
            "approval.bundle_mismatch",
            f"the record was judged under trust {_trust_label(recorded_trust)}, not"
            f" {_trust_label(current)}",
        )
    try:
        moment = parse_datetime(str(record.get("decisionTime")))
        salts = _recorded_salts(record)
    except DidGovError:
        return _fail("approval.record_invalid", "the record's time or salts are unreadable")

    def recorded(size: int) -> bytes:
        salt = next(salts, b"")
        return salt if len(salt) == size == SALT_BYTES else b"\0" * size

    try:
        outcome = evaluate(
            policy, submission, verifier, now=moment, trust=trust, limits=limits, randbytes=recorded
        )
    except ApprovalError as exc:
        return _fail(exc.code, f"the evaluation failed on replay: {exc.message}")
    again = dict(outcome.record)
    if "credential" in again and isinstance(record.get("credential"), Mapping):
        again["credential"] = {
            **again["credential"],
            "issuedHash": record["credential"].get("issuedHash"),
        }
    for name in ("policy", "decisionTime", "trust", "evidence", "statusLists", "result", "trace",
                 "credential"):  # fmt: skip
        if again.get(name) != record.get(name):
            return _fail("approval.replay_mismatch", f"the replay gives another {name}")
        compared.append(name)
    if {k: v for k, v in again.items() if k != "evaluator"} != {
        k: v for k, v in record.items() if k != "evaluator"
    }:
        extra = sorted(set(again) ^ set(record))
        return _fail("approval.replay_mismatch", f"the record differs in {', '.join(extra)}")
    if issued is not None:
        want = record.get("credential", {}).get("issuedHash") if record.get("credential") else None
        if want != sha256(content_of(issued)):
            return _fail(
                "approval.replay_mismatch", "the issued credential is not the recorded one"
            )
        compared.append("issuedHash")
    verdict = "approval" if outcome.approved else f"denial ({outcome.code})"
    return ReplayResult(
        True,
        "approval.replayed",
        f"reproduced the {verdict} of {record['decisionTime']}",
        tuple(compared),
    )


def _trust_label(value: object) -> str:
    if not isinstance(value, Mapping):
        return "none"
    if value.get("unsafeAnyIssuer"):
        return "UNSAFE any issuer"
    if value.get("bundleVersion") is None:
        return "none"
    return f"bundle v{value.get('bundleVersion')} ({value.get('bundleHash')})"
