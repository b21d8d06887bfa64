"""Evidence (``specs/issuance-policy.md`` §5): verified with the pipeline and trust, one person.

Every presentation and credential handed in goes through the :class:`~did_gov.verify.Verifier`
(signature, validity, status, trust at the decision time); one that does not verify is a
denial with the verifier's reason. The verified credentials are then matched to the policy's
requirements and the one-person rule is applied.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from did_gov.approval._policy import EvidenceRequirement, Policy
from did_gov.dids import DefaultResolver, did_jwk
from did_gov.errors import ApprovalError, DidGovError
from did_gov.keys import PublicKey
from did_gov.limits import Limits
from did_gov.verify import VerificationReport, Verifier
from did_gov.verify._anchor import credentials_of

__all__ = ["Denial", "Evidence", "Submission", "collect_evidence", "one_person"]

_REGISTERED = frozenset(
    {"iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "sub", "jti", "_sd_alg"}
)
_THUMBPRINT = "urn:ietf:params:oauth:jwk-thumbprint:sha-256:"


@dataclass(frozen=True)
class Submission:
    """What an applicant hands in: presentations (bound to ``challenge``/``domain``) or loose credentials.

    A presentation is a VP (Data Integrity object, or ``vp+jwt``) or an SD-JWT VC with its
    Key Binding JWT; ``credentials`` are credentials given outside any presentation (an
    officer's files), which show one person only through the policy's ``subjectLink``.
    """

    presentations: tuple[Any, ...] = ()
    credentials: tuple[Any, ...] = ()
    challenge: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class Denial:
    """Why a decision is a denial: a stable code and words for the applicant (never claim values)."""

    code: str
    reason: str


@dataclass(frozen=True)
class Evidence:
    """One credential that verified: what the rule and the record need of it.

    ``raw`` is the credential as presented (what its salted hash commits to); ``claims``
    its subject's claims; ``person`` the subject as a comparable key (a JWK thumbprint URN
    for did:key, did:jwk and ``cnf`` keys, else the subject id); ``presented_by`` the
    person whose signature over the presentation carried it (None when loose).
    """

    raw: Any
    format: str
    types: tuple[str, ...]
    issuer: str | None
    claims: Mapping[str, Any]
    subject_id: str | None
    person: str | None
    presented_by: str | None
    status_lists: tuple[str, ...]


def _first_error(report: VerificationReport) -> tuple[str, str]:
    errors = report.errors
    if not errors:
        return "verification.failed", "it did not verify"
    return errors[0].code, f"{errors[0].name}: {errors[0].message}"


def _denial_code(check_code: str) -> str:
    """A credential presented by someone other than its subject breaks the one-person rule."""
    if check_code.startswith("subject."):
        return "approval.subject_mismatch"
    return "approval.evidence_rejected"


def _key_person(key: PublicKey) -> str:
    return _THUMBPRINT + key.jwk_thumbprint()


def subject_key(subject_id: str | None) -> PublicKey | None:
    """The one key of a did:key or did:jwk subject (an issued SD-JWT VC's ``cnf``), else None."""
    if subject_id is None or not subject_id.startswith(("did:key:", "did:jwk:")):
        return None
    try:
        methods = DefaultResolver().resolve(subject_id).verification_methods()
    except DidGovError:
        return None
    keys = [vm.public_key for vm in methods if vm.public_key is not None]
    return keys[0] if len(keys) == 1 else None


@functools.lru_cache(maxsize=4096)
def person_of(subject_id: str | None) -> str | None:
    """A subject id as a comparable key: did:key and did:jwk become their key's thumbprint URN."""
    key = subject_key(subject_id)
    return _key_person(key) if key is not None else subject_id


def _cnf_key(claims: Mapping[str, Any]) -> PublicKey | None:
    cnf = claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if not isinstance(jwk, dict):
        return None
    try:
        return PublicKey.from_jwk(jwk)
    except DidGovError:
        return None


def _status_urls(document: Mapping[str, Any]) -> tuple[str, ...]:
    entries = document.get("credentialStatus", [])
    urls = [
        e.get("statusListCredential")
        for e in (entries if isinstance(entries, list) else [entries])
        if isinstance(e, Mapping)
    ]
    status = document.get("status")
    listed = status.get("bitstring_status_list") if isinstance(status, Mapping) else None
    if isinstance(listed, Mapping):
        urls.append(listed.get("uri"))
    return tuple(sorted({u for u in urls if isinstance(u, str)}))


def _evidence(raw: Any, report: VerificationReport, presented_by: str | None) -> Evidence:
    document = report.document if isinstance(report.document, Mapping) else {}
    if report.format == "sd-jwt-vc":
        vct = document.get("vct")
        key = _cnf_key(document)
        bound = key is not None and any(c.name == "key_binding" and c.ok for c in report.checks)
        sub = document.get("sub")
        person = (
            _key_person(key)
            if key is not None
            else person_of(sub if isinstance(sub, str) else None)
        )
        subject_id = (
            sub if isinstance(sub, str) else (did_jwk.did_for_public_key(key) if key else None)
        )
        issuer = document.get("iss")
        return Evidence(
            raw=raw,
            format=report.format,
            types=(vct,) if isinstance(vct, str) else (),
            issuer=issuer if isinstance(issuer, str) else None,
            claims={k: v for k, v in document.items() if k not in _REGISTERED},
            subject_id=subject_id,
            person=person,
            presented_by=person if bound else presented_by,
            status_lists=_status_urls(document),
        )
    subject = document.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    claims = subject if isinstance(subject, Mapping) else {}
    sid = claims.get("id")
    issuer = document.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    types = document.get("type")
    return Evidence(
        raw=raw,
        format=report.format,
        types=tuple(
            t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)
        ),
        issuer=issuer if isinstance(issuer, str) else None,
        claims={k: v for k, v in claims.items() if k != "id"},
        subject_id=sid if isinstance(sid, str) else None,
        person=person_of(sid if isinstance(sid, str) else None),
        presented_by=presented_by,
        status_lists=_status_urls(document),
    )


def collect_evidence(
    submission: Submission, verifier: Verifier, now: datetime, limits: Limits
) -> tuple[list[Evidence], Denial | None, Any]:
    """Verify every presentation and credential at ``now``; the first that fails is a denial.

    Returns the credentials that verified, the denial, and the document that failed (if any).
    """
    total = len(submission.presentations) + len(submission.credentials)
    if total == 0:
        return [], Denial("approval.evidence_missing", "no evidence was presented"), None
    if total > limits.max_credentials_per_presentation:
        raise ApprovalError(
            f"more than {limits.max_credentials_per_presentation} evidence documents",
            code="approval.policy_evidence_limit",
        )
    found: list[Evidence] = []
    for i, presentation in enumerate(submission.presentations):
        report = verifier.verify(
            presentation, challenge=submission.challenge, domain=submission.domain, now=now
        )
        if not report.verified:
            code, message = _first_error(report)
            reason = f"presentation {i} was not accepted: {message} [{code}]"
            return found, Denial(_denial_code(code), reason), presentation
        if report.format == "sd-jwt-vc":
            found.append(_evidence(presentation, report, None))
            continue
        document = report.document if isinstance(report.document, Mapping) else {}
        holder = document.get("holder")
        holder = holder.get("id") if isinstance(holder, Mapping) else holder
        raws = credentials_of(document)
        if len(raws) != len(report.credentials):
            reason = f"presentation {i} carries unreadable credentials"
            return found, Denial("approval.evidence_rejected", reason), presentation
        by = person_of(holder if isinstance(holder, str) else None)
        found += [
            _evidence(r, nested, by) for r, nested in zip(raws, report.credentials, strict=True)
        ]
        if len(found) > limits.max_credentials_per_presentation:
            raise ApprovalError(
                f"more than {limits.max_credentials_per_presentation} evidence credentials",
                code="approval.policy_evidence_limit",
            )
    for i, credential in enumerate(submission.credentials):
        report = verifier.verify(
            credential, nonce=submission.challenge, audience=submission.domain, now=now
        )
        if not report.verified:
            code, message = _first_error(report)
            reason = f"credential {i} was not accepted: {message} [{code}]"
            return found, Denial(_denial_code(code), reason), credential
        found.append(_evidence(credential, report, None))
    return found, None, None


def match(
    policy: Policy, evidence: Sequence[Evidence]
) -> tuple[dict[str, Evidence], Denial | None]:
    """Each requirement's one credential (by type or vct, and the policy's issuers if named)."""
    matched: dict[str, Evidence] = {}
    for requirement in policy.evidence:
        candidates = [e for e in evidence if _fits(requirement, e)]
        if not candidates:
            return matched, Denial(
                "approval.evidence_missing",
                f"no accepted {requirement.type} was presented (evidence {requirement.id})",
            )
        if len(candidates) > 1:
            return matched, Denial(
                "approval.evidence_ambiguous",
                f"more than one {requirement.type} was presented (evidence {requirement.id})",
            )
        matched[requirement.id] = candidates[0]
    for name, item in matched.items():
        requirement = next(r for r in policy.evidence if r.id == name)
        for path in requirement.claims:
            if not _has(item.claims, path):
                return matched, Denial(
                    "approval.claim_missing",
                    f"the {requirement.type} (evidence {name}) does not show the claim"
                    f" {'.'.join(path)}",
                )
    return matched, None


def _fits(requirement: EvidenceRequirement, evidence: Evidence) -> bool:
    if requirement.type not in evidence.types:
        return False
    return not requirement.issuers or evidence.issuer in requirement.issuers


def _has(claims: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = claims
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def claim(claims: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path`` (present: :func:`match` checked it)."""
    node: Any = claims
    for part in path:
        node = node[part]
    return node


def one_person(policy: Policy, matched: Mapping[str, Evidence]) -> tuple[str | None, Denial | None]:
    """§5.3: the evidence belongs to one person; return that person's subject id (if any).

    With ``subjectLink`` the linking claims must be equal. Otherwise every credential names
    the same subject and came in a presentation that subject signed (a VP by the holder, or
    an SD-JWT VC's Key Binding JWT by its ``cnf`` key).
    """
    items = list(matched.values())
    subject_ids = [
        e.subject_id for e in items if e.subject_id is not None and e.format != "sd-jwt-vc"
    ]
    subject_id = subject_ids[0] if subject_ids else next((e.subject_id for e in items), None)
    if policy.subject_link is not None:
        values = [claim(matched[name].claims, path) for name, path in policy.subject_link.items()]
        if any(v in (None, "") for v in values) or any(v != values[0] for v in values[1:]):
            names = ", ".join(f"{n}.{'.'.join(p)}" for n, p in policy.subject_link.items())
            return None, Denial(
                "approval.subject_mismatch",
                f"the evidence belongs to different people: the linking claims {names} differ",
            )
        return subject_id, None
    persons = {e.person for e in items}
    if None in persons:
        return None, Denial(
            "approval.subject_mismatch",
            "a credential names no subject, so it cannot be shown to belong to the applicant",
        )
    if len(persons) > 1:
        return None, Denial(
            "approval.subject_mismatch",
            "the evidence belongs to different people: the credentials name different subjects",
        )
    person = persons.pop()
    if any(e.presented_by != person for e in items):
        return None, Denial(
            "approval.subject_mismatch",
            "the evidence was not presented by its subject: one person is shown by one"
            " presentation its subject signed, or by the policy's linking claim",
        )
    return subject_id, None
