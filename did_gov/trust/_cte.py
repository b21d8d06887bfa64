"""DIF Credential Trust Establishment 1.0 documents ↔ accreditations (``specs/trust-registry.md`` §8).

A CTE governance document is published by one ``author`` (an ecosystem authority): it
lists ``schemas`` (credential schema ids), ``roles`` (which schemas a role may ``issue``
or ``verify``, and the credential that ``granted_by`` confers it) and ``participants`` (a
DIF Trust Establishment document whose ``entries`` map a schema URI to statements per
DID: ``roles.json`` role assignments with ``start``/``end``, ``description.json`` names,
``alias.json`` equivalent DIDs).

What maps: an accreditation of ``issuer`` for ``types`` from ``validFrom`` until
``validUntil`` by the author ⇔ a role whose ``issue`` lists those types (schema ids),
assigned to the issuer's DID with ``start``/``end``; the accreditation ``name`` ⇔ the
``description.json`` name; an alias DID ⇒ the same accreditation for that DID (import).
What has no CTE form (``nameZh``, ``mayAccredit``/``maxPathLength``, ``statusFor``,
``keys``, ``statusHistory``, ``issuerJwks``, ``issued``) is exported under the extension
entries schema :data:`EXTENSION_SCHEMA`, which other CTE readers ignore (CTE: "unknown
schemas MUST be ignored"), so a did_gov → CTE → did_gov round trip is lossless. What
did_gov cannot express is reported, not imported: ``verify`` roles (did_gov accredits
issuers only) and ``granted_by`` (a role conferred by presenting a credential; did_gov
grants only by signed accreditations), ``trusted_governance`` links (not followed).

Signing follows the CTE example interop profile: a compact JWS (``typ: JWT``) whose
payload is the document, signed by a key of the author's DID, ``kid`` its DID URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from did_gov._encoding import b64url_decode
from did_gov._json import parse_json
from did_gov._time import format_datetime, parse_datetime
from did_gov.dids import Resolver
from did_gov.errors import DidGovError, TrustError
from did_gov.keys import Signer
from did_gov.proofs._jws import json_bytes, sign_compact
from did_gov.trust._accreditation import (
    Accreditation,
    KeyWindow,
    StatusChange,
    _is_did,
    controller_key,
)

__all__ = [
    "ALIAS_SCHEMA",
    "CTE_CONTEXT",
    "DESCRIPTION_SCHEMA",
    "EXTENSION_SCHEMA",
    "ROLES_SCHEMA",
    "CteImport",
    "export_cte",
    "import_cte",
    "open_cte",
    "sign_cte",
]

_BASE: Final = "https://identity.foundation/credential-trust-establishment"
CTE_CONTEXT: Final = f"{_BASE}/context.jsonld"
ROLES_SCHEMA: Final = f"{_BASE}/schemas/roles.json"
DESCRIPTION_SCHEMA: Final = f"{_BASE}/schemas/description.json"
ALIAS_SCHEMA: Final = f"{_BASE}/schemas/alias.json"
EXTENSION_SCHEMA: Final = "urn:did-gov:cte:accreditation:v1"
"""Participants' entries schema carrying what CTE has no member for (ignored by other readers)."""

MAX_CTE_BYTES: Final = 16 * 1024 * 1024
_ROLE_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
_EXTRA: Final = (
    "issued",
    "name",
    "nameZh",
    "mayAccredit",
    "maxPathLength",
    "statusFor",
    "keys",
    "statusHistory",
    "issuerJwks",
)


def _bad(message: str) -> TrustError:
    return TrustError(message, code="trust.cte_invalid")


# -- export ------------------------------------------------------------------------------


def export_cte(
    accreditations: Iterable[Accreditation],
    *,
    author: str,
    document_id: str,
    name: str,
    version: int,
    last_updated: datetime,
    description: str | None = None,
) -> dict[str, Any]:
    """A CTE governance document stating ``accreditations``, all made by ``author``.

    One role per distinct ``types`` tuple (``issue_1``, ``issue_2``, … in order of first
    use), one ``roles.json`` assignment per accreditation, the names in
    ``description.json``, and the rest of each record under :data:`EXTENSION_SCHEMA`.
    Raises ``trust.cte_invalid`` for a record by another authority.
    """
    roles: dict[tuple[str, ...], str] = {}
    schemas: dict[str, None] = {}
    assigned: dict[str, list[dict[str, Any]]] = {}
    described: dict[str, dict[str, str]] = {}
    extension: dict[str, list[dict[str, Any]]] = {}
    for record in accreditations:
        if record.authority != author:
            raise _bad(f"an accreditation by {record.authority}, not by the author {author}")
        role = roles.setdefault(record.types, f"issue_{len(roles) + 1}")
        schemas.update(dict.fromkeys(record.types))
        entry: dict[str, Any] = {"start": format_datetime(record.valid_from), "role": role}
        if record.valid_until is not None:
            entry["end"] = format_datetime(record.valid_until)
        assigned.setdefault(record.issuer, []).append(entry)
        if record.name is not None:
            described.setdefault(record.issuer, {"name": record.name})
        full = record.to_json()
        extra = {k: full[k] for k in _EXTRA if k in full} | {"name": record.name}
        extension.setdefault(record.issuer, []).append(entry | extra)
    entries: dict[str, Any] = {ROLES_SCHEMA: {d: {"roles": r} for d, r in assigned.items()}}
    if described:
        entries[DESCRIPTION_SCHEMA] = described
    entries[EXTENSION_SCHEMA] = {d: {"accreditations": e} for d, e in extension.items()}
    stamp = format_datetime(last_updated)
    document: dict[str, Any] = {
        "@context": [CTE_CONTEXT],
        "id": document_id,
        "name": name,
        "version": version,
        "format": "1.0",
        "last_updated": stamp,
        "author": author,
    }
    if description is not None:
        document["description"] = description
    document |= {
        "schemas": [{"id": s, "name": s} for s in schemas],
        "participants": {
            "id": f"{document_id}#participants",
            "author": author,
            "created": stamp,
            "version": version,
            "entries": entries,
        },
        "roles": {name: {"issue": list(types)} for types, name in roles.items()},
    }
    return document


def sign_cte(document: Mapping[str, Any], signer: Signer, kid: str) -> str:
    """The document as a compact JWS (``typ: JWT``, ``kid`` a DID URL of the author)."""
    author = document.get("author")
    if not isinstance(author, str) or not kid.startswith(author + "#"):
        raise _bad(f"the signing key {kid} is not a key of the author {author}")
    header = {"alg": signer.public_key.jws_alg, "typ": "JWT", "kid": kid}
    return sign_compact(header, json_bytes(dict(document)), signer)


def open_cte(
    data: str | bytes, resolver: Resolver | None = None
) -> tuple[dict[str, Any], str | None]:
    """Parse a CTE file: plain JSON (unsigned: ``None``), or a compact JWS checked against its author.

    A JWS must be signed by an ``assertionMethod`` key of the payload's ``author``
    (``kid`` a DID URL of it, resolved offline with ``resolver``); it returns the
    document and that ``kid``. Raises ``trust.cte_invalid`` or ``trust.cte_signature_invalid``.
    """
    if len(data) > MAX_CTE_BYTES:
        raise _bad(f"a CTE file is at most {MAX_CTE_BYTES} bytes")
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = text.strip().strip('"')
    if text.startswith("{"):
        return _document(_json(text.encode("utf-8"))), None
    parts = text.split(".")
    if len(parts) != 3:
        raise _bad("a CTE file is a JSON object or a compact JWS")
    try:
        header = _json(b64url_decode(parts[0]))
        document = _document(_json(b64url_decode(parts[1])))
        signature = b64url_decode(parts[2])
    except DidGovError as exc:
        if isinstance(exc, TrustError):
            raise
        raise _bad(f"not a compact JWS: {exc.message}") from None
    kid, author = header.get("kid") if isinstance(header, dict) else None, document["author"]
    if not isinstance(kid, str):
        raise TrustError("the CTE JWS has no kid", code="trust.cte_signature_invalid")
    key = controller_key(author, kid, resolver, code="trust.cte_signature_invalid")
    signed = f"{parts[0]}.{parts[1]}".encode("ascii", errors="replace")
    if header.get("alg") != key.jws_alg or not key.verify(signature, signed):
        raise TrustError(
            f"the CTE document's signature by {kid} does not verify",
            code="trust.cte_signature_invalid",
        )
    return document, kid


def _json(data: bytes) -> Any:
    try:
        return parse_json(data)
    except DidGovError as exc:
        raise _bad(f"not JSON: {exc.message}") from None


def _document(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad("a CTE document is a JSON object")
    for member in ("author", "roles", "participants"):
        if member not in value:
            raise _bad(f"a CTE document has {member!r}")
    if not isinstance(value["author"], str):
        raise _bad("author is a DID")
    return value


# -- import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CteImport:
    """What :func:`import_cte` made: the accreditations, and what it could not express."""

    accreditations: tuple[Accreditation, ...]
    notes: tuple[str, ...]


def _time(value: object, what: str) -> datetime:
    """ISO 8601 as CTE writes it: ``2023-02-25 00:00:00Z``, RFC 3339, a date, or epoch seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**40:
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise _bad(f"{what} is an ISO 8601 date-time")
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00Z"
    text = re.sub(r"^(\d{4}-\d{2}-\d{2}) ", r"\1T", text)
    try:
        return parse_datetime(text, field=what)
    except DidGovError:
        raise _bad(f"{what} {value!r} is not an ISO 8601 date-time") from None


def _assignments(value: object, did: str) -> list[Any]:
    """A participant's ``roles.json`` statement: ``{"roles": [...]}`` or a bare list."""
    if isinstance(value, dict) and isinstance(value.get("roles"), list):
        return list(value["roles"])
    if isinstance(value, list):
        return value
    raise _bad(f"the roles of {did} are a list of {{start, end?, role}}")


def _extra_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The record fields a did_gov extension entry restores (what CTE has no member for)."""
    try:
        keys = entry.get("keys")
        fields: dict[str, Any] = {
            "name_zh": entry.get("nameZh"),
            "may_accredit": entry.get("mayAccredit", False) is True,
            "max_path_length": entry.get("maxPathLength"),
            "status_for": tuple(entry.get("statusFor", ())),
            "keys": None if keys is None else tuple(KeyWindow.from_json(k) for k in keys),
            "status_history": tuple(
                StatusChange.from_json(c) for c in entry.get("statusHistory", ())
            ),
            "issuer_jwks": tuple(entry.get("issuerJwks", ())),
        }
    except (TypeError, AttributeError):
        raise _bad("a did_gov extension entry is malformed") from None
    if "issued" in entry:
        fields["issued"] = _time(entry["issued"], "issued")
    if "name" in entry:  # null: this record has no name, whatever description.json says
        name = entry["name"]
        fields["name"] = name if isinstance(name, str) else None
    return fields


def import_cte(document: Mapping[str, Any], *, authority: str, issued: datetime) -> CteImport:
    """The accreditations ``authority`` would sign to state what a CTE document says.

    Each ``roles.json`` assignment of a role that ``issue``\\ s schemas becomes an
    accreditation of the participant for those schema ids (as credential types) from
    ``start`` until ``end``, named by ``description.json``; each ``alias.json`` DID gets
    the same accreditations. Extension entries (:data:`EXTENSION_SCHEMA`) restore what
    CTE cannot say. ``verify``-only roles, ``granted_by`` and ``trusted_governance`` are
    reported in ``notes``. Raises ``trust.cte_invalid`` for a document that is not CTE
    or names a role it does not define.
    """
    roles, participants = document.get("roles"), document.get("participants")
    if not isinstance(roles, dict) or not isinstance(participants, dict):
        raise _bad("roles and participants are objects")
    entries = participants.get("entries")
    if not isinstance(entries, dict):
        raise _bad("participants.entries is an object")
    notes: list[str] = []
    if document.get("author") != authority:
        notes.append(
            f"the document's author is {document.get('author')}; the accreditations are "
            f"made by {authority}"
        )
    if document.get("trusted_governance"):
        notes.append("trusted_governance links are not followed (import each document)")
    schema_ids = {s.get("id") for s in document.get("schemas", []) if isinstance(s, dict)}
    issuing: dict[str, tuple[str, ...]] = {}
    for name, role in roles.items():
        if not isinstance(role, dict) or not _ROLE_NAME.fullmatch(str(name)):
            raise _bad(f"role {name!r} is not a CTE role")
        issue, verify = role.get("issue", []), role.get("verify", [])
        if not isinstance(issue, list) or not all(isinstance(s, str) for s in issue):
            raise _bad(f"role {name}: issue is a list of schema ids")
        if verify:
            notes.append(f"role {name}: verify {verify} not imported (did_gov accredits issuers)")
        if role.get("granted_by"):
            notes.append(
                f"role {name}: granted_by {role['granted_by']} not imported (did_gov grants "
                "roles only by signed accreditations)"
            )
        unknown = [s for s in issue if s not in schema_ids]
        if unknown:
            notes.append(f"role {name}: schemas {unknown} are not in the schemas section")
        if issue:
            issuing[str(name)] = tuple(dict.fromkeys(issue))
    names = entries.get(DESCRIPTION_SCHEMA, {})
    aliases = entries.get(ALIAS_SCHEMA, {})
    extension = entries.get(EXTENSION_SCHEMA, {})
    assigned = entries.get(ROLES_SCHEMA, {})
    if not all(isinstance(x, dict) for x in (names, aliases, extension, assigned)):
        raise _bad("participants' entries are objects keyed by DID")
    out: list[Accreditation] = []
    for did, value in assigned.items():
        extras = list(_extension_of(extension.get(did)))
        described = names.get(did)
        name = described.get("name") if isinstance(described, dict) else None
        for assignment in _assignments(value, did):
            if not isinstance(assignment, dict) or "role" not in assignment:
                raise _bad(f"a role assignment of {did} is {{start, end?, role}}")
            role_name = assignment["role"]
            if role_name not in roles:
                raise _bad(f"{did} is assigned the undefined role {role_name!r}")
            if role_name not in issuing:
                continue  # a verify-only role, reported above
            start = _time(assignment.get("start"), f"{did} {role_name} start")
            end = (
                _time(assignment["end"], f"{did} {role_name} end") if "end" in assignment else None
            )
            fields: dict[str, Any] = {
                "issued": issued,
                "name": name if isinstance(name, str) and name else None,
            }
            match = _take(extras, assignment)
            if match is not None:
                fields |= _extra_fields(match)
            if not _is_did(did) and not fields.get("issuer_jwks"):
                notes.append(f"{did} is not a DID and the document gives no keys for it: skipped")
                continue
            try:
                record = Accreditation(
                    authority=authority,
                    issuer=did,
                    types=issuing[role_name],
                    valid_from=start,
                    valid_until=end,
                    **fields,
                )
            except TrustError as exc:
                raise _bad(f"{did} ({role_name}): {exc.message}") from None
            out.append(record)
            alias_dids = aliases.get(did, {})
            listed = alias_dids.get("alias_dids", []) if isinstance(alias_dids, dict) else []
            for alias in listed if isinstance(listed, list) else []:
                if isinstance(alias, str):
                    out.append(replace(record, issuer=alias))
    return CteImport(tuple(out), tuple(notes))


def _extension_of(value: object) -> list[dict[str, Any]]:
    if isinstance(value, dict) and isinstance(value.get("accreditations"), list):
        return [e for e in value["accreditations"] if isinstance(e, dict)]
    return []


def _take(extras: list[dict[str, Any]], assignment: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first unused extension entry for the same role and window (removed from ``extras``)."""
    for i, entry in enumerate(extras):
        if all(entry.get(k) == assignment.get(k) for k in ("role", "start", "end")):
            return extras.pop(i)
    return None
