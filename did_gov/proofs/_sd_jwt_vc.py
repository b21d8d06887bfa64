"""From a VC Data Model 2.0 credential to SD-JWT VC claims (``specs/sd-jwt-vc-mapping.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from did_gov.credentials import credential_problems, parse_datetime
from did_gov.errors import CredentialError

_DROPPED = frozenset({"@context", "type", "name", "description", "proof"})
_MAPPED = frozenset(
    {"id", "issuer", "validFrom", "validUntil", "credentialSubject", "credentialStatus"}
)
_REGISTERED = frozenset(
    {"iss", "sub", "iat", "nbf", "exp", "jti", "vct", "cnf", "status", "_sd", "_sd_alg", "..."}
)


def _numeric_date(value: Any, field: str) -> int:
    return int(parse_datetime(value, field=field).timestamp())


def _status(entry: Any) -> dict[str, Any]:
    if isinstance(entry, list):
        if len(entry) != 1:
            raise CredentialError(
                "an SD-JWT VC carries one credentialStatus entry",
                code="sd_jwt_vc.status_unsupported",
            )
        entry = entry[0]
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        raise CredentialError(
            "only a BitstringStatusListEntry credentialStatus maps to SD-JWT VC status",
            code="sd_jwt_vc.status_unsupported",
        )
    index, uri = entry.get("statusListIndex"), entry.get("statusListCredential")
    if not isinstance(index, str) or not index.isdigit() or not isinstance(uri, str):
        raise CredentialError(
            "statusListIndex is a decimal string and statusListCredential a URL",
            code="sd_jwt_vc.status_unsupported",
        )
    listed: dict[str, Any] = {"idx": int(index), "uri": uri}
    if isinstance(entry.get("statusPurpose"), str):
        listed["purpose"] = entry["statusPurpose"]
    return {"bitstring_status_list": listed}


def _vct_of(credential: Mapping[str, Any]) -> str:
    types = credential.get("type")
    names = [t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]
    specific = [t for t in names if t != "VerifiableCredential"]
    if not specific:
        raise CredentialError(
            "give vct=, or a credential type besides VerifiableCredential",
            code="sd_jwt_vc.vct_missing",
        )
    return specific[-1]


def vc_to_sd_jwt_claims(
    credential: Mapping[str, Any], *, issued_at: datetime, vct: str | None = None
) -> dict[str, Any]:
    """Map a VCDM 2.0 credential to an SD-JWT VC claims set (``cnf`` is added at issuance).

    ``issuer`` → ``iss``, ``credentialSubject.id`` → ``sub`` and the other
    subject members → top-level claims, ``validFrom``/``validUntil`` →
    ``nbf``/``exp``, ``id`` → ``jti``, the most specific ``type`` (or ``vct``)
    → ``vct``, a BitstringStatusListEntry → ``status.bitstring_status_list``.
    Members the mapping cannot carry are refused rather than dropped.

    >>> from datetime import UTC, datetime
    >>> vc_to_sd_jwt_claims({"@context": ["https://www.w3.org/ns/credentials/v2"],
    ...     "type": ["VerifiableCredential", "AgeCredential"], "issuer": "did:example:gov",
    ...     "credentialSubject": {"id": "did:example:ada", "ageOver18": True}},
    ...     issued_at=datetime(2025, 1, 1, tzinfo=UTC))
    {'iss': 'did:example:gov', 'iat': 1735689600, 'vct': 'AgeCredential', 'sub': 'did:example:ada', 'ageOver18': True}
    """
    problems = credential_problems(credential)
    if problems:
        raise CredentialError("; ".join(p.message for p in problems), code=problems[0].code)
    unknown = sorted(set(credential) - _DROPPED - _MAPPED)
    if unknown:
        raise CredentialError(
            f"no SD-JWT VC mapping for {', '.join(unknown)}", code="sd_jwt_vc.member_unmapped"
        )
    subject = credential["credentialSubject"]
    if isinstance(subject, list):
        if len(subject) != 1:
            raise CredentialError(
                "an SD-JWT VC has exactly one subject", code="sd_jwt_vc.subject_multiple"
            )
        subject = subject[0]
    issuer = credential["issuer"]
    claims: dict[str, Any] = {
        "iss": issuer["id"] if isinstance(issuer, Mapping) else issuer,
        "iat": int(issued_at.timestamp()),
        "vct": vct if vct is not None else _vct_of(credential),
    }
    if "id" in credential:
        claims["jti"] = credential["id"]
    if "validFrom" in credential:
        claims["nbf"] = _numeric_date(credential["validFrom"], "validFrom")
    if "validUntil" in credential:
        claims["exp"] = _numeric_date(credential["validUntil"], "validUntil")
    if "credentialStatus" in credential:
        claims["status"] = _status(credential["credentialStatus"])
    if "id" in subject:
        claims["sub"] = subject["id"]
    for name, value in subject.items():
        if name == "id":
            continue
        if name in _REGISTERED:
            raise CredentialError(
                f"subject claim {name!r} collides with a registered JWT claim",
                code="sd_jwt_vc.claim_conflict",
            )
        claims[name] = value
    return claims


def vc_claim_path(path: str) -> str:
    """Rewrite a credential path to its SD-JWT VC claim path.

    ``/credentialSubject/x/…`` → ``/x/…``, ``/credentialSubject/id`` → ``/sub``,
    ``/id`` → ``/jti``; any other path is already a claim path.

    >>> vc_claim_path("/credentialSubject/address/street"), vc_claim_path("/credentialSubject/id")
    ('/address/street', '/sub')
    """
    prefix = "/credentialSubject/"
    if path == prefix + "id":
        return "/sub"
    if path == "/id":
        return "/jti"
    return "/" + path[len(prefix) :] if path.startswith(prefix) else path
