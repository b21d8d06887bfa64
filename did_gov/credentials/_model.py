"""VC Data Model 2.0 (and 1.1, read-only) credentials and presentations: shape validation and building."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from did_gov._time import format_datetime, parse_datetime
from did_gov.errors import CredentialError

__all__ = [
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "Credential",
    "Presentation",
    "build_credential",
    "build_presentation",
    "credential_problems",
    "parse_credential",
    "parse_presentation",
    "presentation_problems",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def _problem(code: str, message: str) -> CredentialError:
    return CredentialError(message, code=code)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and _URL.fullmatch(value) is not None


def _version(doc: Mapping[str, Any]) -> tuple[int, list[CredentialError]]:
    ctx = doc.get("@context")
    contexts = _as_list(ctx)
    if ctx is None or not contexts:
        return 2, [_problem("credential.context_missing", "@context is missing")]
    first = contexts[0]
    if first == VC_V2_CONTEXT:
        version = 2
    elif first == VC_V1_CONTEXT:
        version = 1
    else:
        return 2, [
            _problem(
                "credential.context_invalid",
                f"the first @context must be {VC_V2_CONTEXT} (or {VC_V1_CONTEXT}), got {first!r}",
            )
        ]
    bad = [c for c in contexts[1:] if not isinstance(c, str | dict)]
    if bad:
        return version, [
            _problem("credential.context_invalid", "@context entries are URLs or objects")
        ]
    return version, []


def _types_problem(doc: Mapping[str, Any], required: str) -> list[CredentialError]:
    types = _as_list(doc.get("type"))
    if not all(isinstance(t, str) for t in types) or required not in types:
        return [_problem("credential.type_invalid", f"type must include {required!r}")]
    return []


def _id_problem(value: Any, field: str) -> list[CredentialError]:
    if value is not None and not _is_url(value):
        return [_problem("credential.id_invalid", f"{field} must be a URL, got {value!r}")]
    return []


def _issuer_problems(doc: Mapping[str, Any]) -> list[CredentialError]:
    issuer = doc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer is None:
        return [_problem("credential.issuer_missing", "issuer is missing")]
    if not _is_url(issuer_id):
        return [
            _problem(
                "credential.issuer_invalid",
                f"issuer must be a URL or an object with a URL id, got {issuer_id!r}",
            )
        ]
    return []


def _subject_problems(doc: Mapping[str, Any]) -> list[CredentialError]:
    subjects = doc.get("credentialSubject")
    if subjects is None or subjects == []:
        return [_problem("credential.subject_missing", "credentialSubject is missing")]
    problems: list[CredentialError] = []
    for subject in _as_list(subjects):
        if not isinstance(subject, dict) or not subject:
            problems.append(
                _problem(
                    "credential.subject_invalid", "each credentialSubject is a non-empty object"
                )
            )
        else:
            problems += _id_problem(subject.get("id"), "credentialSubject.id")
    return problems


def _typed_objects_problems(
    doc: Mapping[str, Any], field: str, need_id: bool
) -> list[CredentialError]:
    value = doc.get(field)
    if value is None:
        return []
    code = "credential." + re.sub(r"(?<!^)([A-Z])", r"_\1", field).lower() + "_invalid"
    for item in _as_list(value):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str | list):
            return [_problem(code, f"each {field} is an object with a type")]
        if need_id and not _is_url(item.get("id")):
            return [_problem(code, f"each {field} needs a URL id")]
        if not need_id and "id" in item and not _is_url(item["id"]):
            return [_problem(code, f"{field}.id must be a URL")]
    return []


# SRI hash-expression (Subresource Integrity §3.5): hash-algo "-" base64-value ["?" options].
_SRI = re.compile(r"(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}(\?\S*)?", re.ASCII)


def _related_resource_problems(doc: Mapping[str, Any]) -> list[CredentialError]:
    """VCDM 2.0 §5.3: objects, each with a URL ``id`` unique among them and a digest.

    The digest is ``digestSRI`` (one or more SRI hash-expressions) or ``digestMultibase``
    (a multibase string, or a list of them); at least one is present.
    """
    if "relatedResource" not in doc:
        return []
    code = "credential.related_resource_invalid"
    items = _as_list(doc["relatedResource"])
    if not items:
        return [_problem(code, "relatedResource holds one or more objects")]
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            return [_problem(code, "each relatedResource is an object")]
        resource_id = item.get("id")
        if not isinstance(resource_id, str) or not _is_url(resource_id):
            return [_problem(code, f"each relatedResource needs a URL id, got {resource_id!r}")]
        if resource_id in seen:
            return [_problem(code, f"relatedResource id {resource_id!r} appears twice")]
        seen.add(resource_id)
        if "digestSRI" not in item and "digestMultibase" not in item:
            return [
                _problem(code, f"relatedResource {resource_id} has no digestSRI or digestMultibase")
            ]
        sri = item.get("digestSRI")
        if "digestSRI" in item and not (
            isinstance(sri, str) and sri.split() and all(_SRI.fullmatch(h) for h in sri.split())
        ):
            return [
                _problem(code, f"relatedResource {resource_id}: digestSRI is not an SRI digest")
            ]
        multibase = _as_list(item.get("digestMultibase"))
        if "digestMultibase" in item and not (
            multibase and all(isinstance(m, str) and len(m) > 1 for m in multibase)
        ):
            return [
                _problem(code, f"relatedResource {resource_id}: digestMultibase is not multibase")
            ]
    return []


def _date_fields(version: int) -> tuple[str, str]:
    return ("validFrom", "validUntil") if version == 2 else ("issuanceDate", "expirationDate")


def _date_problems(doc: Mapping[str, Any], version: int) -> list[CredentialError]:
    start_field, end_field = _date_fields(version)
    problems: list[CredentialError] = []
    if version == 1 and "issuanceDate" not in doc:
        problems.append(
            _problem("credential.date_missing", "a VCDM 1.1 credential needs issuanceDate")
        )
    parsed: dict[str, datetime] = {}
    for field in (start_field, end_field):
        if field in doc:
            try:
                parsed[field] = parse_datetime(
                    doc[field], field=field, timezone_required=version == 2
                )
            except CredentialError as exc:
                problems.append(exc)
    if start_field in parsed and end_field in parsed and parsed[end_field] < parsed[start_field]:
        problems.append(_problem("credential.date_invalid", f"{end_field} is before {start_field}"))
    return problems


def credential_problems(doc: Any) -> list[CredentialError]:
    """Every way ``doc`` violates the VC Data Model (2.0, or 1.1 by its context); empty when valid.

    The problems are returned, not raised, so that a verifier can report them all.
    """
    if not isinstance(doc, dict):
        return [_problem("credential.not_object", "a credential is a JSON object")]
    version, problems = _version(doc)
    problems += _types_problem(doc, "VerifiableCredential")
    problems += _id_problem(doc.get("id"), "id")
    problems += _issuer_problems(doc)
    problems += _subject_problems(doc)
    problems += _date_problems(doc, version)
    problems += _typed_objects_problems(doc, "credentialStatus", need_id=False)
    problems += _typed_objects_problems(doc, "credentialSchema", need_id=True)
    for field in ("evidence", "termsOfUse", "refreshService"):  # VCDM 2.0 §5: each has a type
        problems += _typed_objects_problems(doc, field, need_id=False)
    if version == 2:
        problems += _related_resource_problems(doc)
    return problems


def presentation_problems(doc: Any) -> list[CredentialError]:
    """Every way ``doc`` violates the VC Data Model for presentations (the embedded credentials aside)."""
    if not isinstance(doc, dict):
        return [_problem("presentation.not_object", "a presentation is a JSON object")]
    _, problems = _version(doc)
    problems += _types_problem(doc, "VerifiablePresentation")
    problems += _id_problem(doc.get("id"), "id")
    holder = doc.get("holder")
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    if holder is not None and not _is_url(holder_id):
        problems.append(
            _problem("presentation.holder_invalid", f"holder must be a URL, got {holder_id!r}")
        )
    for vc in _as_list(doc.get("verifiableCredential", [])):
        if not isinstance(vc, dict):
            problems.append(
                _problem(
                    "presentation.credential_invalid", "each verifiableCredential is an object"
                )
            )
    return problems


@dataclass(frozen=True)
class Credential:
    """A read-only, typed view of a credential whose shape has been validated (not its proof)."""

    data: Mapping[str, Any]
    version: int
    id: str | None
    types: tuple[str, ...]
    issuer: str
    valid_from: datetime | None
    valid_until: datetime | None
    subjects: tuple[Mapping[str, Any], ...]
    status: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Presentation:
    """A read-only, typed view of a presentation whose shape has been validated."""

    data: Mapping[str, Any]
    id: str | None
    types: tuple[str, ...]
    holder: str | None
    credentials: tuple[Any, ...]


def _raise_first(problems: list[CredentialError]) -> None:
    if problems:
        if len(problems) > 1:
            first = problems[0]
            raise CredentialError("; ".join(p.message for p in problems), code=first.code)
        raise problems[0]


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def parse_credential(doc: Any) -> Credential:
    """Validate ``doc`` as a credential and return its typed view, or raise CredentialError."""
    _raise_first(credential_problems(doc))
    version = 2 if _as_list(doc["@context"])[0] == VC_V2_CONTEXT else 1
    start, end = _date_fields(version)
    return Credential(
        data=doc,
        version=version,
        id=doc.get("id"),
        types=tuple(_as_list(doc["type"])),
        issuer=_id_of(doc["issuer"]),
        valid_from=parse_datetime(doc[start], field=start) if start in doc else None,
        valid_until=parse_datetime(doc[end], field=end) if end in doc else None,
        subjects=tuple(_as_list(doc["credentialSubject"])),
        status=tuple(_as_list(doc.get("credentialStatus", []))),
    )


def parse_presentation(doc: Any) -> Presentation:
    """Validate ``doc`` as a presentation and return its typed view, or raise CredentialError."""
    _raise_first(presentation_problems(doc))
    return Presentation(
        data=doc,
        id=doc.get("id"),
        types=tuple(_as_list(doc["type"])),
        holder=_id_of(doc.get("holder")),
        credentials=tuple(_as_list(doc.get("verifiableCredential", []))),
    )


def build_credential(
    *,
    issuer: str | Mapping[str, Any],
    subject: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    types: Iterable[str] = (),
    id: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    contexts: Iterable[str | Mapping[str, Any]] = (),
    status: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build an unsigned VC Data Model 2.0 credential and validate its shape.

    >>> vc = build_credential(issuer="did:example:ministry", subject={"id": "did:example:ada"},
    ...                       types=["ExampleCredential"],
    ...                       contexts=["https://www.w3.org/ns/credentials/examples/v2"])
    >>> vc["type"]
    ['VerifiableCredential', 'ExampleCredential']
    """
    doc: dict[str, Any] = {"@context": [VC_V2_CONTEXT, *contexts]}
    if id is not None:
        doc["id"] = id
    doc["type"] = ["VerifiableCredential", *(t for t in types if t != "VerifiableCredential")]
    doc["issuer"] = dict(issuer) if isinstance(issuer, Mapping) else issuer
    if valid_from is not None:
        doc["validFrom"] = format_datetime(valid_from)
    if valid_until is not None:
        doc["validUntil"] = format_datetime(valid_until)
    doc["credentialSubject"] = (
        dict(subject) if isinstance(subject, Mapping) else [dict(s) for s in subject]
    )
    if status is not None:
        doc["credentialStatus"] = (
            dict(status) if isinstance(status, Mapping) else [dict(s) for s in status]
        )
    doc.update(extra)
    _raise_first(credential_problems(doc))
    return doc


def build_presentation(
    credentials: Iterable[Mapping[str, Any]],
    *,
    holder: str | None = None,
    id: str | None = None,
    contexts: Iterable[str | Mapping[str, Any]] = (),
    types: Iterable[str] = (),
) -> dict[str, Any]:
    """Build an unsigned VC Data Model 2.0 presentation of secured credentials."""
    doc: dict[str, Any] = {"@context": [VC_V2_CONTEXT, *contexts]}
    if id is not None:
        doc["id"] = id
    doc["type"] = ["VerifiablePresentation", *(t for t in types if t != "VerifiablePresentation")]
    if holder is not None:
        doc["holder"] = holder
    creds = [dict(c) for c in credentials]
    if creds:
        doc["verifiableCredential"] = creds
    _raise_first(presentation_problems(doc))
    return doc
