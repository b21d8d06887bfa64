"""``BitstringStatusListCredential``: building the unsigned list credential and reading one (§2.2).

The list credential is a VC Data Model 2.0 credential whose subject is the
``BitstringStatusList``. did_gov writes only the subject terms the credentials v2 context
defines (``encodedList``, ``statusPurpose``, ``ttl``): §2.2 still mentions
``credentialSubject.statusSize``/``statusMessages`` for the ``message`` purpose, but those
moved to the entry (w3c/vc-bitstring-status-list#175) and are undefined terms in the
context, so writing them would break RDFC-1.0 signing in safe mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from did_gov.credentials import VC_V2_CONTEXT, format_datetime, parse_datetime
from did_gov.errors import CredentialError, StatusError
from did_gov.status._entry import is_url

__all__ = [
    "LIST_CREDENTIAL_TYPE",
    "LIST_SUBJECT_TYPE",
    "StatusListCredential",
    "build_list_credential",
]

LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
"""The credential ``type`` a status list credential must include (§2.2)."""
LIST_SUBJECT_TYPE = "BitstringStatusList"
"""The ``credentialSubject.type`` of a status list credential (§2.2)."""


def _malformed(message: str) -> StatusError:
    return StatusError(f"status list credential: {message}", code="status.list_malformed")


def _types(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return ()


def _purposes(value: object) -> tuple[str, ...]:
    """§2.2 ``statusPurpose``: one or more non-empty strings."""
    found = _types(value)
    if not found or not all(found):
        raise _malformed("credentialSubject.statusPurpose must be one or more strings")
    return found


def _date(doc: Mapping[str, Any], name: str) -> datetime | None:
    if name not in doc:
        return None
    try:
        return parse_datetime(doc[name], field=name)
    except CredentialError as exc:
        raise _malformed(exc.message) from None


def _ttl(subject: Mapping[str, Any]) -> timedelta | None:
    """§2.2 ``ttl``: milliseconds before a refresh should be attempted (optional)."""
    if "ttl" not in subject:
        return None
    ttl = subject["ttl"]
    if type(ttl) is not int or ttl < 0:
        raise _malformed(f"credentialSubject.ttl must be a non-negative integer, not {ttl!r}")
    try:
        return timedelta(milliseconds=ttl)
    except OverflowError:
        raise _malformed(f"credentialSubject.ttl {ttl} is out of range") from None


def _subject(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = doc.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise _malformed("credentialSubject must be one object")
    if LIST_SUBJECT_TYPE not in _types(subject.get("type")):
        raise _malformed(f"credentialSubject.type must be {LIST_SUBJECT_TYPE!r}")
    return subject


@dataclass(frozen=True)
class StatusListCredential:
    """The fields of a ``BitstringStatusListCredential`` a status check reads (§2.2).

    Reading does not verify the proof: callers pass a credential they already verified.
    """

    id: str | None
    purposes: tuple[str, ...]
    encoded_list: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    ttl: timedelta | None = None

    @classmethod
    def from_json(cls, doc: object) -> StatusListCredential:
        """Read a list credential; any violation of §2.2 is ``status.list_malformed``."""
        if not isinstance(doc, Mapping):
            raise _malformed("a status list credential is a JSON object")
        if LIST_CREDENTIAL_TYPE not in _types(doc.get("type")):
            raise _malformed(f"type must include {LIST_CREDENTIAL_TYPE!r}")
        list_id = doc.get("id")
        if list_id is not None and not is_url(list_id):
            raise _malformed(f"id {list_id!r} is not a URL")
        subject = _subject(doc)
        purposes = _purposes(subject.get("statusPurpose"))
        encoded = subject.get("encodedList")
        if not isinstance(encoded, str):
            raise _malformed("credentialSubject.encodedList must be a string")
        valid_from, valid_until = _date(doc, "validFrom"), _date(doc, "validUntil")
        if valid_from and valid_until and valid_until < valid_from:
            raise _malformed("validUntil is before validFrom")
        return cls(list_id, purposes, encoded, valid_from, valid_until, _ttl(subject))


def build_list_credential(
    *,
    list_url: str,
    issuer: str | Mapping[str, Any],
    purpose: str | Sequence[str],
    encoded_list: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl: timedelta | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` (§2.2, step 2 of the Generate Algorithm §3.1).

    The subject ``id`` is ``list_url + "#list"``; ``ttl`` is written in whole milliseconds.
    """
    if not is_url(list_url):
        raise StatusError(f"list_url {list_url!r} is not a URL", code="status.invalid_argument")
    if isinstance(issuer, Mapping) and not is_url(issuer.get("id")):
        raise StatusError("an issuer object needs a URL id", code="status.invalid_argument")
    if not isinstance(issuer, Mapping) and not is_url(issuer):
        raise StatusError(f"issuer {issuer!r} is not a URL", code="status.invalid_argument")
    purposes = [purpose] if isinstance(purpose, str) else list(purpose)
    if not purposes or not all(isinstance(p, str) and p for p in purposes):
        raise StatusError("purpose must be one or more strings", code="status.invalid_argument")
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": LIST_SUBJECT_TYPE,
        "statusPurpose": purposes[0] if len(purposes) == 1 else purposes,
        "encodedList": encoded_list,
    }
    if ttl is not None:
        if not isinstance(ttl, timedelta) or ttl < timedelta(0):
            raise StatusError(
                "ttl must be a non-negative timedelta", code="status.invalid_argument"
            )
        subject["ttl"] = ttl // timedelta(milliseconds=1)
    doc: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer if isinstance(issuer, str) else dict(issuer),
        "validFrom": _format(valid_from),
    }
    if valid_until is not None:
        doc["validUntil"] = _format(valid_until)
        if valid_until < valid_from:
            raise StatusError("valid_until is before valid_from", code="status.invalid_argument")
    doc["credentialSubject"] = subject
    return doc


def _format(moment: datetime) -> str:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise StatusError("times must be timezone-aware datetimes", code="status.invalid_argument")
    return format_datetime(moment)
