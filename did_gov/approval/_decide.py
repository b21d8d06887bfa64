"""Evaluation (``specs/issuance-policy.md`` §5-6): a pure function of policy, evidence and clock.

:func:`evaluate` verifies the evidence, applies the one-person rule, runs the clauses and
fills the template; it returns an :class:`Outcome` (the decision record without the issued
credential). :func:`decide` then allocates status, signs the credential and anchors the
record's hash in the transparency log. Replay (``_record.replay``) runs :func:`evaluate`
again at the recorded time with the recorded salts.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from did_gov._encoding import b64url_encode
from did_gov._time import format_datetime
from did_gov.approval._cel import COST_UNITS_PER_MS, Activation
from did_gov.approval._evidence import (
    Denial,
    Evidence,
    Submission,
    claim,
    collect_evidence,
    match,
    one_person,
)
from did_gov.approval._policy import Policy
from did_gov.errors import ApprovalError, DidGovError
from did_gov.jsonld import jcs
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.status import StatusListEntry
from did_gov.verify import Verifier, anchored_content

__all__ = [
    "EVALUATOR",
    "Outcome",
    "StatusAllocator",
    "TrustState",
    "evaluate",
    "evaluator_version",
    "salted_hash",
    "sha256",
]

EVALUATOR = "did_gov.approval"
"""The evaluator's name in decision records."""
SALT_BYTES = 16
RECORD_TYPE = "DecisionRecord"


@functools.cache
def evaluator_version() -> str:
    """``did-gov <version>; cel <version>``: what evaluated, as the record names it."""
    from importlib.metadata import PackageNotFoundError, version

    import did_gov

    try:
        cel_version = version("common-expression-language")
    except PackageNotFoundError:  # pragma: no cover - the extra is installed with the module
        cel_version = "unknown"
    return f"did-gov {did_gov.__version__}; common-expression-language {cel_version}"


def sha256(data: bytes) -> str:
    """``sha256:`` and the hex digest of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def salted_hash(kind: str, salt: bytes, content: bytes) -> str:
    """``sha256(“did-gov approval <kind> v1\\n” ‖ salt ‖ content)``: the record's evidence/credential hash."""
    return sha256(f"did-gov approval {kind} v1\n".encode() + salt + content)


def content_of(document: Any) -> bytes:
    """The bytes a document's hash commits to: its anchored content (anchor-receipt §7.1)."""
    try:
        return anchored_content(document)[1]
    except DidGovError:
        return json.dumps(document, sort_keys=True, default=str).encode()


class StatusAllocator(Protocol):
    """Where an issued credential's status entry comes from (a :class:`~did_gov.status.StatusRegistry`)."""

    def allocate(self, credential_id: str) -> StatusListEntry:
        """Allocate the entry of ``credential_id``."""
        ...


@dataclass(frozen=True)
class TrustState:
    """What the record says about the trust material: a bundle's version and hash, or unsafe.

    ``TrustState.of_bundle(bundle)`` for a verified :class:`~did_gov.trust.TrustBundle`;
    ``TrustState.unsafe()`` under ``UNSAFE_TRUST_ANY_ISSUER`` (never for real decisions).
    """

    bundle_version: int | None = None
    bundle_hash: str | None = None
    unsafe_any_issuer: bool = False

    @classmethod
    def of_bundle(cls, bundle: Any) -> TrustState:
        """A verified trust bundle's version and the SHA-256 of its JCS form (whitespace aside)."""
        return cls(int(bundle.version), sha256(jcs(json.loads(bytes(bundle.raw)))))

    @classmethod
    def unsafe(cls) -> TrustState:
        """The state of ``--trust-any-issuer``: recorded so replay refuses to pass it off as real."""
        return cls(unsafe_any_issuer=True)

    def to_json(self) -> dict[str, Any]:
        """The record's ``trust`` member."""
        if self.unsafe_any_issuer:
            return {"unsafeAnyIssuer": True}
        return {"bundleVersion": self.bundle_version, "bundleHash": self.bundle_hash}


@dataclass(frozen=True)
class Outcome:
    """An evaluation's result: the record (less the issued credential) and, on approval, the
    unsigned credential before status allocation and signing."""

    approved: bool
    code: str | None
    reason: str | None
    record: dict[str, Any]
    unsigned: dict[str, Any] | None = field(default=None, repr=False)
    subject_id: str | None = field(default=None, repr=False)


class _Salts:
    def __init__(self, randbytes: Callable[[int], bytes]) -> None:
        self.randbytes = randbytes

    def __call__(self) -> bytes:
        salt = self.randbytes(SALT_BYTES)
        if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
            raise ApprovalError("a salt is 16 bytes", code="approval.record_invalid")
        return salt


def _evidence_hashes(
    evidence: list[Evidence], matched: Mapping[str, Evidence], rejected: Any, salts: _Salts
) -> list[dict[str, Any]]:
    names = {id(e): name for name, e in matched.items()}
    hashed = [(e.raw, names.get(id(e))) for e in evidence]
    if rejected is not None:
        hashed.append((rejected, None))
    out = []
    for raw, name in hashed:
        salt = salts()
        out.append(
            {
                "evidence": name,
                "salt": b64url_encode(salt),
                "hash": salted_hash("evidence", salt, content_of(raw)),
            }
        )
    return out


def _status_hashes(verifier: Verifier, evidence: list[Evidence]) -> list[str]:
    urls = sorted({url for e in evidence for url in e.status_lists})
    return sorted(
        {sha256(content_of(doc)) for url in urls for doc in verifier.offline_lists.candidates(url)}
    )


def _run_rule(
    policy: Policy, matched: Mapping[str, Evidence], subject_id: str | None, now: datetime
) -> tuple[list[dict[str, Any]], str | None]:
    """Every clause, in order, under the policy's time budget; the first false clause's id."""
    variables: dict[str, Any] = {name: dict(e.claims) for name, e in matched.items()}
    variables["subject"] = {"id": subject_id} if subject_id is not None else {}
    variables["now"] = now
    limit = policy.time_budget_ms * COST_UNITS_PER_MS
    cost = sum(clause.rule.cost(variables) for clause in policy.clauses)
    if cost > limit:  # known before anything runs: an evaluation cannot be interrupted
        raise ApprovalError(
            f"the rule's macros would cost {cost} work units over this evidence, more than the"
            f" {limit} the policy's time budget allows",
            code="approval.policy_cost_exceeded",
        )
    deadline = time.perf_counter() + policy.time_budget_ms / 1000
    activation = Activation(variables)
    trace: list[dict[str, Any]] = []
    failing: str | None = None
    for clause in policy.clauses:
        value = clause.rule.run(activation, deadline)
        if not isinstance(value, bool):
            raise ApprovalError(
                f"clause {clause.id} gave a {type(value).__name__}, not a boolean",
                code="approval.policy_rule_error",
            )
        trace.append({"clause": clause.id, "value": value})
        if not value and failing is None:
            failing = clause.id
    return trace, failing


def _fill(template: Any, matched: Mapping[str, Evidence], subject_id: str | None) -> Any:
    if isinstance(template, dict):
        if set(template) == {"$claim"}:
            name, *path = str(template["$claim"]).split(".")
            if name == "subject":
                if subject_id is None:
                    raise _NoSubjectError
                return subject_id
            return claim(matched[name].claims, path)
        return {k: _fill(v, matched, subject_id) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, matched, subject_id) for v in template]
    return template


class _NoSubjectError(Exception):
    pass


def _credential_id(policy: Policy, moment: str, hashes: list[dict[str, Any]]) -> str:
    seed = "\n".join([policy.hash, moment, *(h["hash"] for h in hashes)]).encode()
    return "urn:uuid:" + str(uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16], version=4))


def _unsigned(
    policy: Policy,
    matched: Mapping[str, Evidence],
    subject_id: str | None,
    now: datetime,
    hashes: list[dict[str, Any]],
) -> dict[str, Any]:
    moment = format_datetime(now)
    subject = _fill(policy.credential["credentialSubject"], matched, subject_id)
    if subject_id is not None and "id" not in subject:
        subject = {"id": subject_id, **subject}
    credential: dict[str, Any] = {
        "@context": policy.credential["@context"],
        "id": _credential_id(policy, moment, hashes),
        "type": policy.credential["type"],
        "issuer": policy.issuer,
        "validFrom": moment,
    }
    if policy.valid_days is not None:
        credential["validUntil"] = format_datetime(now + timedelta(days=policy.valid_days))
    credential["credentialSubject"] = subject
    return credential


def evaluate(
    policy: Policy,
    submission: Submission,
    verifier: Verifier,
    *,
    now: datetime,
    trust: TrustState | None = None,
    limits: Limits = DEFAULT_LIMITS,
    randbytes: Callable[[int], bytes] = secrets.token_bytes,
) -> Outcome:
    """Judge ``submission`` under ``policy`` at ``now``: a pure function of the three (§6).

    The verifier carries the trust material (its trust bundle's identity is ``trust``);
    ``randbytes`` makes the salts of the record's hashes (replay passes the recorded ones).
    Raises :class:`~did_gov.errors.ApprovalError` (``approval.policy_*``) when the policy is
    not in force or a clause cannot be evaluated; a denial is an :class:`Outcome`.
    """
    if not isinstance(policy, Policy) or not isinstance(submission, Submission):
        raise ApprovalError("evaluate() takes a Policy and a Submission", code="approval.usage")
    if now.tzinfo is None:
        raise ApprovalError("now must be timezone-aware", code="approval.usage")
    now = now.astimezone(UTC).replace(microsecond=0)
    policy.in_force(now)
    salts = _Salts(randbytes)
    evidence, denial, rejected = collect_evidence(submission, verifier, now, limits)
    matched: dict[str, Evidence] = {}
    subject_id: str | None = None
    if denial is None:
        matched, denial = match(policy, evidence)
    if denial is None:
        subject_id, denial = one_person(policy, matched)
    record: dict[str, Any] = {
        "type": RECORD_TYPE,
        "formatVersion": 1,
        "policy": {"id": policy.id, "version": policy.version, "hash": policy.hash},
        "evaluator": {"name": EVALUATOR, "version": evaluator_version()},
        "decisionTime": format_datetime(now),
        "trust": (trust or TrustState()).to_json(),
        "evidence": _evidence_hashes(evidence, matched, rejected, salts),
        "statusLists": _status_hashes(verifier, evidence),
    }
    trace: list[dict[str, Any]] = []
    unsigned: dict[str, Any] | None = None
    if denial is None:
        trace, failing = _run_rule(policy, matched, subject_id, now)
        if failing is not None:
            clause = next(c for c in policy.clauses if c.id == failing)
            denial = Denial("approval.denied", f"not met: {clause.text} (clause {clause.id})")
    if denial is None:
        try:
            unsigned = _unsigned(policy, matched, subject_id, now, record["evidence"])
        except _NoSubjectError:
            denial = Denial("approval.claim_missing", "the evidence names no subject id")
    record["result"] = {
        "approved": denial is None,
        "code": None if denial is None else denial.code,
        "clause": next((t["clause"] for t in trace if not t["value"]), None),
    }
    record["trace"] = trace
    if unsigned is not None:
        salt = salts()
        record["credential"] = {
            "salt": b64url_encode(salt),
            "unsignedHash": salted_hash("credential", salt, jcs(unsigned)),
        }
    return Outcome(
        approved=denial is None,
        code=None if denial is None else denial.code,
        reason=None if denial is None else denial.reason,
        record=record,
        unsigned=unsigned,
        subject_id=subject_id,
    )
