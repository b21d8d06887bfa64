"""Anchored credentials: the bytes a credential is anchored by, and the envelope carrying receipts.

``specs/anchor-receipt.md`` §7. A Data Integrity credential is anchored by the RFC 8785
(JCS) bytes of the whole secured object, proof included; a compact JWT by its exact ASCII
text; an SD-JWT by its issuer-signed JWT alone (the part before the first ``~``), so every
selection of disclosures a holder later presents still matches; any other document by its
exact bytes. Receipts never go inside a signed credential: they travel beside it, in an
``AnchoredCredential`` (or ``AnchoredPresentation``) envelope, so no signature is touched.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from did_gov._json import parse_json_segment
from did_gov.errors import DidGovError, InvalidInputError
from did_gov.jsonld import jcs
from did_gov.ledger import AnchorKind, Receipt

__all__ = [
    "ANCHORED_CREDENTIAL",
    "ANCHORED_PRESENTATION",
    "MAX_RECEIPTS",
    "AnchoredDocument",
    "anchored_content",
    "attach_receipts",
    "open_anchored",
]

ANCHORED_CREDENTIAL = "AnchoredCredential"
"""The ``type`` of the envelope that carries a credential and its receipts to the holder."""
ANCHORED_PRESENTATION = "AnchoredPresentation"
"""The ``type`` of the envelope that carries a presentation and its credentials' receipts."""
MAX_RECEIPTS = 64
"""Most receipts one envelope may carry."""

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_STATUS_LIST_TYPES = {"BitstringStatusListCredential", "StatusList2021Credential"}
_ENVELOPED = "EnvelopedVerifiableCredential"
_DATA_URL = re.compile(r"data:application/(?:vc\+jwt|vc\+sd-jwt|dc\+sd-jwt)(?:;[^,]*)?,(.+)", re.S)


def _bad(message: str) -> InvalidInputError:
    return InvalidInputError(message, code="anchor.content_invalid")


def _types(value: object) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {t for t in items if isinstance(t, str)}


def _jwt_types(jws: str) -> set[str]:
    """The credential types named by a JWT's payload (``type``, ``vc.type``), if readable."""
    payload = jws.split(".")[1]
    try:
        claims = parse_json_segment(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (DidGovError, binascii.Error, ValueError):
        return set()
    if not isinstance(claims, dict):
        return set()
    vc = claims.get("vc")
    return _types(claims.get("type")) | (_types(vc.get("type")) if isinstance(vc, dict) else set())


def _compact(token: str) -> tuple[set[str], bytes]:
    jws = token.split("~", 1)[0]
    if not _COMPACT_JWS.fullmatch(jws):
        raise _bad("a credential string must be a compact JWT or SD-JWT")
    return _jwt_types(jws), jws.encode("ascii")


def _of_object(document: Mapping[str, Any]) -> tuple[set[str], bytes]:
    types = _types(document.get("type"))
    if _ENVELOPED in types:
        match = _DATA_URL.fullmatch(str(document.get("id", "")))
        if match is None:
            raise _bad("an EnvelopedVerifiableCredential needs a vc+jwt or sd-jwt data: URL id")
        return _compact(match.group(1))
    try:
        return types, jcs(document)
    except DidGovError as exc:
        raise _bad(f"the credential has no JCS serialization: {exc.message}") from None


def anchored_content(
    document: Mapping[str, Any] | str | bytes, kind: AnchorKind | str | None = None
) -> tuple[AnchorKind, bytes]:
    """The kind and the exact bytes that anchor ``document`` (anchor-receipt §7.1).

    A JSON object is a Data Integrity credential (JCS bytes, proof included) or an
    ``EnvelopedVerifiableCredential`` (its JWT); a string is a compact JWT or SD-JWT (the
    issuer-signed JWT); ``bytes`` are any document. The kind is ``status-list`` for a status
    list credential, ``credential`` for other credentials and ``document`` for bytes, unless
    ``kind`` says otherwise.

    >>> anchored_content("eyJhbGciOiJFZERTQSJ9.e30.c2ln~WyJzIiwibiIsMV0~")
    (<AnchorKind.CREDENTIAL: 'credential'>, b'eyJhbGciOiJFZERTQSJ9.e30.c2ln')
    """
    if isinstance(document, bytes | bytearray):
        found = AnchorKind.DOCUMENT
        content = bytes(document)
    else:
        if isinstance(document, Mapping):
            types, content = _of_object(document)
        elif isinstance(document, str):
            types, content = _compact(document)
        else:
            raise _bad(f"cannot anchor a {type(document).__name__}")
        found = AnchorKind.STATUS_LIST if types & _STATUS_LIST_TYPES else AnchorKind.CREDENTIAL
    return (found if kind is None else AnchorKind.parse(kind)), content


@dataclass(frozen=True)
class AnchoredDocument:
    """An opened envelope: the credential or presentation, untouched, and its receipts.

    ``unverified_receipts`` have only been parsed; the Verifier checks them.
    """

    document: Mapping[str, Any] | str
    unverified_receipts: tuple[Receipt, ...]
    presentation: bool


def _is_presentation(document: object) -> bool:
    return isinstance(document, Mapping) and "VerifiablePresentation" in _types(
        document.get("type")
    )


def attach_receipts(
    document: Mapping[str, Any] | str, receipts: Iterable[Receipt | Mapping[str, Any]]
) -> dict[str, Any]:
    """Wrap a credential (or presentation) and its receipts in an envelope (§7.2).

    The document is carried as is (an object, or a compact JWT / SD-JWT string), so its
    signatures are untouched.

    >>> from did_gov.keys import PrivateKey
    >>> from did_gov.ledger import open_ledger
    >>> log = open_ledger("memory:", log_key=PrivateKey.generate(), origin="example.com/log")
    >>> token = "eyJhbGciOiJFZERTQSJ9.e30.c2ln"
    >>> [receipt] = log.anchor("credential", [anchored_content(token)[1]])
    >>> sorted(attach_receipts(token, [receipt]))
    ['anchorReceipts', 'credential', 'type']
    """
    if not isinstance(document, Mapping | str):
        raise InvalidInputError("an anchored document is a JSON object or a compact token")
    parsed = [r if isinstance(r, Receipt) else Receipt.from_json(r) for r in receipts]
    if not 1 <= len(parsed) <= MAX_RECEIPTS:
        raise InvalidInputError(
            f"an envelope carries 1 to {MAX_RECEIPTS} receipts", code="anchor.envelope_malformed"
        )
    member = "presentation" if _is_presentation(document) else "credential"
    kind = ANCHORED_PRESENTATION if member == "presentation" else ANCHORED_CREDENTIAL
    body = dict(document) if isinstance(document, Mapping) else document
    return {"type": kind, member: body, "anchorReceipts": [r.to_json() for r in parsed]}


def is_envelope(value: object) -> bool:
    """Whether ``value`` is an object typed as an anchored credential or presentation."""
    return isinstance(value, Mapping) and value.get("type") in (
        ANCHORED_CREDENTIAL,
        ANCHORED_PRESENTATION,
    )


def open_anchored(envelope: Mapping[str, Any]) -> AnchoredDocument:
    """Parse an envelope strictly (§7.2); raise ``anchor.envelope_malformed`` on anything else."""

    def bad(message: str) -> InvalidInputError:
        return InvalidInputError(f"anchored envelope: {message}", code="anchor.envelope_malformed")

    if not is_envelope(envelope):
        raise bad("type must be AnchoredCredential or AnchoredPresentation")
    presentation = envelope["type"] == ANCHORED_PRESENTATION
    member = "presentation" if presentation else "credential"
    if set(envelope) != {"type", member, "anchorReceipts"}:
        raise bad(f"members must be exactly type, {member} and anchorReceipts")
    document = envelope[member]
    if presentation and not _is_presentation(document):
        raise bad("presentation must be a VerifiablePresentation object")
    if not presentation and (_is_presentation(document) or not isinstance(document, Mapping | str)):
        raise bad("credential must be a credential object or a compact token")
    receipts = envelope["anchorReceipts"]
    if not isinstance(receipts, list) or not 1 <= len(receipts) <= MAX_RECEIPTS:
        raise bad(f"anchorReceipts must be a list of 1 to {MAX_RECEIPTS} receipts")
    try:
        parsed = tuple(Receipt.from_json(r) for r in receipts)
    except DidGovError as exc:
        raise bad(f"a receipt is malformed: {exc.message}") from None
    return AnchoredDocument(document, parsed, presentation)


def credentials_of(presentation: Mapping[str, Any]) -> Sequence[Any]:
    """The credentials a presentation carries, in order."""
    value = presentation.get("verifiableCredential", [])
    return value if isinstance(value, list) else [value]
