"""Issuance policies (``specs/issuance-policy.md`` §2-3): the signed document, parsed strictly.

A policy names the credential to issue, the evidence it needs, a rule (named CEL clauses)
and a template. It is signed by its issuer's key over ``"did-gov issuance policy v1\\n" ‖
JCS(policy)`` and identified by ``sha256:`` of ``JCS(policy)``. Everything bounded is checked
here, once, when the policy loads: a policy that loads can only fail later on its evidence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov._time import format_datetime, parse_datetime
from did_gov.approval._cel import COST_UNITS_PER_MS, Rule
from did_gov.dids import DefaultResolver, Resolver, resolve_verification_method
from did_gov.errors import ApprovalError, DidGovError
from did_gov.jsonld import jcs
from did_gov.keys import Signer
from did_gov.trust import BASE_TYPE

__all__ = [
    "FORMAT_VERSION",
    "Clause",
    "EvidenceRequirement",
    "Policy",
    "load_policy",
    "sign_policy",
]

FORMAT_VERSION = 1
"""The policy format version this library reads."""
MAX_CLAUSES = 32
"""Most clauses in one rule."""
MAX_EVIDENCE = 8
"""Most evidence requirements in one policy."""
MAX_CLAIMS = 64
"""Most claims one evidence requirement declares."""
MAX_TEMPLATE_BYTES = 16 << 10
"""Largest credential template (its JCS form), in bytes."""
MAX_TEMPLATE_DEPTH = 8
"""Deepest nesting of the credential template."""
MAX_TEMPLATE_NODES = 256
"""Most members and items in the credential template."""
MAX_POLICY_BYTES = 64 << 10
"""Largest policy document, in bytes."""
DEFAULT_TIME_BUDGET_MS = 50
"""The default per-evaluation time budget (the rule's clauses together), in milliseconds."""
MAX_TIME_BUDGET_MS = 1000
"""The largest time budget a policy may ask for."""
FORMATS = ("di", "vc-jwt", "sd-jwt")
_SIGNING_PREFIX = b"did-gov issuance policy v1\n"
_RESERVED = frozenset({"subject", "now"})
_REQUIRED = {"type", "formatVersion", "id", "version", "issuer", "validFrom", "evidence", "rule",
             "credential"}  # fmt: skip
_OPTIONAL = {"name", "validUntil", "withdrawn", "subjectLink", "timeBudgetMs"}
_CREDENTIAL = {"@context", "type", "format", "credentialSubject"}
_CREDENTIAL_OPTIONAL = {"validDays", "status", "disclosable"}


def _bad(message: str, code: str = "approval.policy_invalid") -> ApprovalError:
    return ApprovalError(message, code=code)


def _members(value: object, required: set[str], optional: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{what} is a JSON object")
    missing, extra = required - set(value), set(value) - required - optional
    if missing:
        raise _bad(f"{what} lacks {', '.join(sorted(missing))}")
    if extra:
        raise _bad(f"{what} has unknown members: {', '.join(sorted(extra))}")
    return value


def _string(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _bad(f"{what} is a non-empty string")
    return value


def _name(value: object, what: str) -> str:
    text = _string(value, what)
    if not text.isidentifier() or not text.isascii():
        raise _bad(f"{what} {text!r} is not an identifier (letters, digits, _)")
    return text


def _time(value: object, what: str) -> datetime:
    try:
        return parse_datetime(_string(value, what))
    except DidGovError:
        raise _bad(f"{what} is not an XML Schema dateTimeStamp") from None


@dataclass(frozen=True)
class Clause:
    """One named clause of the rule: a CEL expression and what it says, in words."""

    id: str
    text: str
    rule: Rule


@dataclass(frozen=True)
class EvidenceRequirement:
    """One credential the policy needs: its type (or ``vct``), the claims the rule reads.

    ``issuers`` narrows the issuers the trust registry accredits for ``type`` (empty: any
    accredited issuer).
    """

    id: str
    type: str
    claims: tuple[tuple[str, ...], ...]
    issuers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    """A signed issuance policy that loaded: parsed, bounded, its expressions compiled once.

    ``hash`` (``sha256:…`` of ``JCS(document)``) identifies it in decision records.
    """

    document: Mapping[str, Any]
    hash: str
    id: str
    version: int
    issuer: str
    valid_from: datetime
    valid_until: datetime | None
    withdrawn: bool
    evidence: tuple[EvidenceRequirement, ...]
    clauses: tuple[Clause, ...]
    subject_link: Mapping[str, tuple[str, ...]] | None
    credential: Mapping[str, Any]
    format: str
    valid_days: int | None
    status_purpose: str | None
    disclosable: tuple[str, ...]
    time_budget_ms: int
    verification_method: str
    signature: bytes

    def in_force(self, moment: datetime) -> None:
        """Raise ``approval.policy_withdrawn`` or ``approval.policy_not_in_force`` at ``moment``."""
        if self.withdrawn:
            raise _bad(
                f"policy {self.id} v{self.version} is withdrawn", "approval.policy_withdrawn"
            )
        if moment < self.valid_from or (
            self.valid_until is not None and moment >= self.valid_until
        ):
            raise _bad(
                f"policy {self.id} v{self.version} is not in force at {format_datetime(moment)}",
                "approval.policy_not_in_force",
            )

    def to_json(self) -> dict[str, Any]:
        """The signed document: ``{"policy": {...}, "proof": {...}}``."""
        return {
            "policy": dict(self.document),
            "proof": {
                "verificationMethod": self.verification_method,
                "signatureValue": b64url_encode(self.signature),
            },
        }


def policy_hash(document: Mapping[str, Any]) -> str:
    """``sha256:`` and the hex SHA-256 of the policy's JCS form: its identity."""
    return "sha256:" + hashlib.sha256(jcs(document)).hexdigest()


def sign_policy(document: Mapping[str, Any], signer: Signer, verification_method: str) -> Policy:
    """Check ``document`` as :func:`load_policy` would, sign it, and return the loaded policy.

    ``verification_method`` is a method of the policy's ``issuer`` (``did:…#…``) whose key is
    ``signer``.
    """
    _check_size(document)
    issuer = document.get("issuer") if isinstance(document, Mapping) else None
    if not isinstance(issuer, str) or not verification_method.startswith(issuer + "#"):
        raise _bad(
            f"{verification_method} is not a verification method of the policy's issuer",
            "approval.policy_issuer_mismatch",
        )
    signature = signer.sign(_SIGNING_PREFIX + jcs(document))
    return _parse(dict(document), verification_method, signature)


def load_policy(value: object, *, resolver: Resolver | None = None) -> Policy:
    """Verify and parse a signed policy (``{"policy", "proof"}``, as JSON text or parsed).

    The signature must verify by an ``assertionMethod`` key of the policy's ``issuer``
    (did:key and did:jwk resolve offline; give ``resolver`` for did:web). Raises
    :class:`~did_gov.errors.ApprovalError` with an ``approval.policy_*`` code.
    """
    if isinstance(value, bytes | str):
        if len(value) > MAX_POLICY_BYTES:
            raise _bad(f"a policy is at most {MAX_POLICY_BYTES} bytes")
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad("a policy is a JSON document") from None
    if not isinstance(value, dict) or set(value) != {"policy", "proof"}:
        raise _bad("a signed policy is {policy, proof}")
    proof = _members(value["proof"], {"verificationMethod", "signatureValue"}, set(), "proof")
    method = _string(proof["verificationMethod"], "proof.verificationMethod")
    try:
        signature = b64url_decode(_string(proof["signatureValue"], "proof.signatureValue"))
    except DidGovError:
        raise _bad("proof.signatureValue is not base64url") from None
    document = value["policy"]
    _check_size(document)
    _verify_signature(document, method, signature, resolver)  # before any rule is compiled
    return _parse(document, method, signature)


def _check_size(document: object) -> None:
    if not isinstance(document, Mapping):
        raise _bad("a policy is a JSON object")
    try:
        size = len(jcs(document))
    except (DidGovError, ValueError, TypeError, RecursionError):
        raise _bad("a policy is a JSON object of plain JSON values") from None
    if size > MAX_POLICY_BYTES:
        raise _bad(f"a policy is at most {MAX_POLICY_BYTES} bytes, not {size}")


def _verify_signature(
    document: Mapping[str, Any], method: str, signature: bytes, resolver: Resolver | None
) -> None:
    """§3: the signature by a key of ``issuer``, checked before the document is parsed or its
    expressions compiled: an unsigned or forged policy costs one signature check, no more."""
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not method.startswith(issuer + "#"):
        raise _bad(
            f"the policy is signed by {method}, not by its issuer {str(issuer)[:200]}",
            "approval.policy_issuer_mismatch",
        )
    try:
        vm = resolve_verification_method(
            resolver or DefaultResolver(), method, purpose="assertionMethod"
        )
    except DidGovError as exc:
        raise _bad(
            f"cannot resolve the policy key {method}: {exc}", "approval.policy_signature_invalid"
        ) from None
    if vm.public_key is None or not vm.public_key.verify(
        signature, _SIGNING_PREFIX + jcs(document)
    ):
        name = f"{str(document.get('id'))[:200]} v{str(document.get('version'))[:20]}"
        raise _bad(
            f"the signature on policy {name} does not verify", "approval.policy_signature_invalid"
        )


def _parse(document: Any, method: str, signature: bytes) -> Policy:
    """Policy §2, member by member; every expression analysed and compiled."""
    doc = _members(document, _REQUIRED, _OPTIONAL, "policy")
    if doc["type"] != "IssuancePolicy":
        raise _bad('policy.type is "IssuancePolicy"')
    if doc["formatVersion"] != FORMAT_VERSION:
        raise _bad(f"policy.formatVersion {doc['formatVersion']!r} is not {FORMAT_VERSION}")
    version = doc["version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**31:
        raise _bad("policy.version is a positive integer")
    evidence = _evidence(doc["evidence"])
    link = _link(doc.get("subjectLink"), evidence)
    declared = _declared(evidence)
    budget = doc.get("timeBudgetMs", DEFAULT_TIME_BUDGET_MS)
    if (
        not isinstance(budget, int)
        or isinstance(budget, bool)
        or not 1 <= budget <= MAX_TIME_BUDGET_MS
    ):
        raise _bad(f"policy.timeBudgetMs is an integer from 1 to {MAX_TIME_BUDGET_MS}")
    clauses = _clauses(doc["rule"], declared, budget * COST_UNITS_PER_MS)
    credential = _members(doc["credential"], _CREDENTIAL, _CREDENTIAL_OPTIONAL, "credential")
    fmt = credential["format"]
    if fmt not in FORMATS:
        raise _bad(f"credential.format is one of {', '.join(FORMATS)}")
    _template(credential["credentialSubject"], declared)
    valid_days = credential.get("validDays")
    if valid_days is not None and (
        not isinstance(valid_days, int)
        or isinstance(valid_days, bool)
        or not 1 <= valid_days <= 36600
    ):
        raise _bad("credential.validDays is an integer from 1 to 36600")
    status = credential.get("status")
    if status not in (None, "revocation", "suspension"):
        raise _bad('credential.status is "revocation" or "suspension"')
    disclosable = tuple(
        _string(p, "credential.disclosable[]") for p in credential.get("disclosable", [])
    )
    if any(not p.startswith("/credentialSubject/") for p in disclosable):
        raise _bad("credential.disclosable paths look like /credentialSubject/name")
    if disclosable and fmt != "sd-jwt":
        raise _bad("credential.disclosable applies to format sd-jwt only")
    withdrawn = doc.get("withdrawn", False)
    if not isinstance(withdrawn, bool):
        raise _bad("policy.withdrawn is a boolean")
    valid_until = _time(doc["validUntil"], "policy.validUntil") if "validUntil" in doc else None
    return Policy(
        document=doc,
        hash=policy_hash(doc),
        id=_string(doc["id"], "policy.id"),
        version=version,
        issuer=_string(doc["issuer"], "policy.issuer"),
        valid_from=_time(doc["validFrom"], "policy.validFrom"),
        valid_until=valid_until,
        withdrawn=withdrawn,
        evidence=evidence,
        clauses=clauses,
        subject_link=link,
        credential=credential,
        format=fmt,
        valid_days=valid_days,
        status_purpose=status,
        disclosable=disclosable,
        time_budget_ms=budget,
        verification_method=method,
        signature=signature,
    )


def _path(text: object, what: str) -> tuple[str, ...]:
    parts = tuple(_string(text, what).split("."))
    if len(parts) > 8 or not all(p.isidentifier() for p in parts):
        raise _bad(f"{what} {text!r} is a dotted claim path such as residence.city")
    return parts


def _evidence(value: object) -> tuple[EvidenceRequirement, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_EVIDENCE:
        raise _bad(f"policy.evidence is a list of 1 to {MAX_EVIDENCE} requirements")
    found: list[EvidenceRequirement] = []
    for i, entry in enumerate(value):
        where = f"evidence[{i}]"
        item = _members(entry, {"id", "type", "claims"}, {"issuers"}, where)
        name = _name(item["id"], f"{where}.id")
        if name in _RESERVED or any(e.id == name for e in found):
            raise _bad(f"{where}.id {name!r} is reserved or repeated")
        claims = item["claims"]
        if not isinstance(claims, list) or len(claims) > MAX_CLAIMS:
            raise _bad(f"{where}.claims is a list of at most {MAX_CLAIMS} claim paths")
        issuers = item.get("issuers", [])
        if not isinstance(issuers, list):
            raise _bad(f"{where}.issuers is a list of issuer ids")
        kind = _string(item["type"], f"{where}.type")
        if kind == BASE_TYPE or kind.endswith("#" + BASE_TYPE):
            raise _bad(
                f"{where}.type {kind!r} is every credential's type and needs no accreditation:"
                " any accredited issuer could assert anything under it; name the evidence's own"
                " type"
            )
        found.append(
            EvidenceRequirement(
                name,
                kind,
                tuple(_path(c, f"{where}.claims[]") for c in claims),
                tuple(_string(x, f"{where}.issuers[]") for x in issuers),
            )
        )
    return tuple(found)


def _declared(evidence: Iterable[EvidenceRequirement]) -> set[tuple[str, ...]]:
    declared = {(e.id, *claim) for e in evidence for claim in e.claims}
    declared.add(("subject", "id"))
    return declared


def _covered(path: tuple[str, ...], declared: set[tuple[str, ...]]) -> bool:
    """A path is readable when it is a declared claim, inside one, or a prefix of one."""
    return any(path[: len(d)] == d or d[: len(path)] == path for d in declared)


def _link(
    value: object, evidence: tuple[EvidenceRequirement, ...]
) -> dict[str, tuple[str, ...]] | None:
    if value is None:
        return None
    names = {e.id for e in evidence}
    if not isinstance(value, dict) or set(value) != names:
        raise _bad("policy.subjectLink maps every evidence id to its linking claim")
    link = {k: _path(v, f"subjectLink.{k}") for k, v in value.items()}
    for e in evidence:
        if link[e.id] not in e.claims:
            raise _bad(
                f"subjectLink.{e.id}: {'.'.join(link[e.id])} is not among evidence {e.id}'s claims",
                "approval.policy_claim_undeclared",
            )
    return link


def _clauses(value: object, declared: set[tuple[str, ...]], max_cost: int) -> tuple[Clause, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CLAUSES:
        raise _bad(f"policy.rule is a list of 1 to {MAX_CLAUSES} clauses")
    roots = {d[0] for d in declared} | {"now"}
    clauses: list[Clause] = []
    for i, entry in enumerate(value):
        item = _members(entry, {"id", "expr", "text"}, set(), f"rule[{i}]")
        cid = _name(item["id"], f"rule[{i}].id")
        if any(c.id == cid for c in clauses):
            raise _bad(f"rule[{i}].id {cid!r} is repeated")
        expr = item["expr"]
        rule = Rule(expr, f"clause {cid}", max_cost=max_cost) if isinstance(expr, str) else None
        if rule is None:
            raise _bad(
                f"rule[{i}].expr is a CEL expression string", "approval.policy_expression_invalid"
            )
        unknown = sorted(rule.analysis.variables - roots)
        if unknown:
            raise _bad(
                f"clause {cid} reads {', '.join(unknown)}: not an evidence id, subject or now",
                "approval.policy_expression_invalid",
            )
        for path in sorted(rule.analysis.paths - rule.analysis.optional):
            if path[0] != "now" and not _covered(path, declared):
                raise _bad(
                    f"clause {cid} reads {'.'.join(path)}, a claim its evidence does not declare",
                    "approval.policy_claim_undeclared",
                )
        clauses.append(Clause(cid, _string(item["text"], f"rule[{i}].text"), rule))
    return tuple(clauses)


def _template(value: object, declared: set[tuple[str, ...]]) -> None:
    """The credentialSubject template: bounded, and every ``{"$claim": …}`` declared."""
    if not isinstance(value, dict):
        raise _bad("credential.credentialSubject is a JSON object (the template)")
    size = len(jcs(value))
    if size > MAX_TEMPLATE_BYTES:
        raise _bad(
            f"the credential template is {size} bytes, more than {MAX_TEMPLATE_BYTES}",
            "approval.policy_template_too_large",
        )
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_TEMPLATE_DEPTH or nodes > MAX_TEMPLATE_NODES:
            raise _bad(
                f"the credential template is deeper than {MAX_TEMPLATE_DEPTH} levels or has more"
                f" than {MAX_TEMPLATE_NODES} members",
                "approval.policy_template_too_large",
            )
        if isinstance(node, dict) and "$claim" in node:
            if set(node) != {"$claim"}:
                raise _bad('a template reference is {"$claim": "evidence.path"} alone')
            path = _path(node["$claim"], "$claim")
            if len(path) < 2 or not _covered(path, declared):
                raise _bad(
                    f"the template reads {node['$claim']}, a claim no evidence declares",
                    "approval.policy_claim_undeclared",
                )
        elif isinstance(node, dict):
            stack += [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, depth + 1) for v in node]
