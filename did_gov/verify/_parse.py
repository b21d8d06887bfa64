"""Steps 1-2: parse the input, open anchor and VCDM envelopes, and tell the formats apart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from did_gov._json import JsonFacts, check_json_value, parse_json
from did_gov.credentials import VC_V2_CONTEXT
from did_gov.errors import DidGovError
from did_gov.ledger import Receipt
from did_gov.limits import Limits
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.verify._anchor import is_envelope, open_anchored
from did_gov.verify._model import Kind, as_list

__all__ = [
    "ENVELOPE_TYPES",
    "Opened",
    "Parsed",
    "compact_token",
    "open_enveloped",
    "parse_input",
]

ENVELOPE_TYPES: dict[str, Kind] = {
    "EnvelopedVerifiableCredential": "credential",
    "EnvelopedVerifiablePresentation": "presentation",
}
"""VCDM 2.0 §4.13 enveloping objects, and what each carries."""

_MEDIA_TYPES: dict[str, tuple[str, Kind]] = {
    "application/vc+jwt": ("jose", "credential"),
    "application/vp+jwt": ("jose", "presentation"),
    "application/dc+sd-jwt": ("sd-jwt", "credential"),
    "application/vc+sd-jwt": ("sd-jwt", "credential"),
}
"""Enveloped media types did_gov verifies: (format family, what it must carry)."""

_TOKEN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~"
"""base64url and the ``.``/``~`` separators: all a compact JWS or SD-JWT is made of."""


def compact_token(value: Any) -> str | None:
    """The text as a compact JWS or SD-JWT, or None when it is (meant to be) JSON."""
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    # base64url runs joined by "." or "~", starting with a run: what the regex
    # [A-Za-z0-9_-]+(?:[.~][A-Za-z0-9_-]*)+ matches, checked in C (the regex costs ~20 ns a character)
    if not text.isascii() or text[:1] in ("", ".", "~"):
        return None
    raw = text.encode("ascii")
    if raw.translate(None, _TOKEN_BYTES) or (b"." not in raw and b"~" not in raw):
        return None
    return text


class Parsed(NamedTuple):
    """Step 1's outcome: the document (object, token or text), its receipts, or the failed check.

    ``facts``: what holding an object input to the parser's bounds learned of it.
    """

    value: Any
    receipts: list[Receipt] | None = None
    problem: Check | None = None
    facts: JsonFacts | None = None


def parse_input(
    value: Any, receipts: Iterable[Receipt | dict[str, Any] | str] | None, limits: Limits
) -> Parsed:
    """Split an anchor envelope into its document and receipts; parse receipts given beside."""
    document: Any = value
    facts = None
    if isinstance(value, bytes | bytearray):
        try:
            document = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return Parsed(value)
    if isinstance(document, str) and document.lstrip().startswith("{"):
        try:
            document = parse_json(document, limits)
        except DidGovError:
            return Parsed(value)
    elif isinstance(document, dict):  # never went through the parser: same bounds, same codes
        try:
            facts = check_json_value(document, limits)
        except DidGovError as exc:
            return Parsed(value, None, fail("parse", exc.code, exc.message))
    parsed: list[Receipt] | None = None
    try:
        if is_envelope(document):
            opened = open_anchored(document)
            document, parsed = opened.document, list(opened.unverified_receipts)
            facts = facts.part(document) if facts is not None else None
        if receipts is not None:
            extra = [r if isinstance(r, Receipt) else Receipt.from_json(r) for r in receipts]
            parsed = (parsed or []) + extra
    except DidGovError as exc:
        return Parsed(value, None, fail("anchor", exc.code, exc.message))
    return Parsed(document, parsed, None, facts)


@dataclass(frozen=True)
class Opened:
    """An opened VCDM envelope: the check on the envelope object, and the token it carries."""

    check: Check
    token: str | None = None
    family: str | None = None
    kind: Kind | None = None


def open_enveloped(envelope: dict[str, Any], expect: Kind | None) -> Opened:
    """VCDM 2.0 §4.13: check the envelope's own ``@context``, ``type`` and ``id`` (a data: URL); open it."""
    kind = ENVELOPE_TYPES.get(envelope.get("type"))  # type: ignore[arg-type]
    name = "envelope"
    if kind is None:
        return Opened(fail(name, "envelope.invalid", "type is not one enveloping type"))
    if expect is not None and kind != expect:
        return Opened(
            fail(name, "envelope.invalid", f"an enveloped {kind} where a {expect} belongs")
        )
    contexts = as_list(envelope.get("@context"))
    if not contexts or contexts[0] != VC_V2_CONTEXT:
        return Opened(
            fail(name, "envelope.invalid", f"the envelope's first @context is not {VC_V2_CONTEXT}")
        )
    url = envelope.get("id")
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        return Opened(fail(name, "envelope.invalid", "the envelope's id is not a data: URL"))
    media, data = url[5:].split(",", 1)
    bare = media.split(";")[0].strip().lower()
    known = _MEDIA_TYPES.get(bare)
    if known is None or ";" in media:
        return Opened(
            unknown(
                name,
                "envelope.unsupported",
                f"enveloped {media} {kind}s are not supported (only {', '.join(_MEDIA_TYPES)})",
            )
        )
    family, carried = known
    if carried != kind:
        return Opened(fail(name, "envelope.invalid", f"{bare} does not carry a {kind}"))
    return Opened(ok(name, f"an enveloped {bare} {kind}"), data, family, kind)
