"""Strict JSON parsing for untrusted input: size and depth bounds, no duplicate names, no NaN."""

from __future__ import annotations

import json
from typing import Any

from did_gov.errors import InvalidInputError, LimitExceededError
from did_gov.limits import DEFAULT_LIMITS, Limits


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidInputError(
                f"duplicate JSON member name {key!r}", code="json.duplicate_member"
            )
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise InvalidInputError(f"non-standard JSON constant {name}", code="json.invalid")


def _check_depth(text: str, max_depth: int) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot nest deeper than it has openers; skips the scan for typical documents
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise LimitExceededError(
                    f"JSON nesting deeper than {max_depth}", code="input.json_too_deep"
                )
        elif ch in "]}":
            depth -= 1


def parse_json(data: str | bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse untrusted JSON text, enforcing ``limits`` and rejecting duplicate member names."""
    if isinstance(data, bytes | bytearray):
        if len(data) > limits.max_document_bytes:
            raise LimitExceededError(
                f"document of {len(data)} bytes exceeds {limits.max_document_bytes}",
                code="input.too_large",
            )
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"not UTF-8: {exc.reason}", code="json.invalid") from None
    elif isinstance(data, str):
        text = data
        if len(text) > limits.max_document_bytes:
            raise LimitExceededError(
                f"document of {len(text)} characters exceeds {limits.max_document_bytes}",
                code="input.too_large",
            )
    else:
        raise InvalidInputError("JSON input must be str or bytes", code="json.invalid")
    _check_depth(text, limits.max_json_depth)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not JSON: {exc.msg} at line {exc.lineno}", code="json.invalid"
        ) from None
    except RecursionError:
        raise LimitExceededError("JSON nesting too deep", code="input.json_too_deep") from None


def parse_json_segment(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse a short untrusted JSON segment (a JWT header, payload or disclosure).

    Same result and errors as :func:`parse_json`, with one reusable decoder; the
    depth scan runs only when the segment has more brackets than
    ``max_json_depth``, and always before the C decoder sees the text.
    """
    if len(data) > limits.max_document_bytes:
        raise LimitExceededError(
            f"document of {len(data)} bytes exceeds {limits.max_document_bytes}",
            code="input.too_large",
        )
    try:
        text = data.decode("utf-8")
        # Scan before decoding: the C decoder recurses on the C stack, and a library that
        # raises the recursion limit (py_ecc, under web3, does) turns deep nesting into a crash.
        _check_depth(text, limits.max_json_depth)
        value = _SEGMENT_DECODER.decode(text)
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"not UTF-8: {exc.reason}", code="json.invalid") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not JSON: {exc.msg} at line {exc.lineno}", code="json.invalid"
        ) from None
    except RecursionError:
        raise LimitExceededError("JSON nesting too deep", code="input.json_too_deep") from None
    return value


_SEGMENT_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_reject_constant
)
