"""Strict JSON parsing for untrusted input: size and depth bounds, no duplicate names, no NaN.

What the parser refuses, and why (each with a typed error, never a bare ``ValueError``):

- more than ``Limits.max_document_bytes`` UTF-8 bytes (text is measured in bytes too);
- nesting deeper than ``Limits.max_json_depth`` (scanned before the C decoder recurses);
- duplicate member names, and the non-standard constants ``NaN``/``Infinity``;
- integers longer than ``Limits.max_integer_digits`` digits (Python's int-string limit,
  RFC 8259 §6 lets a parser bound numbers) and numbers that overflow a double (``1e400``);
- strings or member names holding a lone UTF-16 surrogate (``"\\ud800"``), which have no
  UTF-8 encoding (RFC 8259 §8.2, RFC 7493 §2.1) and would break every later encoder.

:func:`check_json_value` applies the same bounds to an already-parsed object (a ``dict``
handed to the verifier), so text and objects are held to one rule.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any, NamedTuple

from did_gov.errors import InvalidInputError, LimitExceededError
from did_gov.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "JsonFacts",
    "check_json_value",
    "check_size",
    "exact_in_double",
    "marked_name",
    "parse_json",
    "parse_json_segment",
    "utf8_length",
]


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


def _too_many_digits(digits: int, max_digits: int) -> LimitExceededError:
    return LimitExceededError(
        f"a JSON integer of {digits} digits exceeds {max_digits}", code="json.number_too_large"
    )


def _out_of_range(text: str) -> InvalidInputError:
    shown = text if len(text) <= 24 else text[:20] + "…"
    return InvalidInputError(
        f"the JSON number {shown} is beyond the range of a double", code="json.number_out_of_range"
    )


def _int_parser(max_digits: int) -> Any:
    def parse_int(text: str) -> int:
        if len(text) - text.startswith("-") > max_digits:
            raise _too_many_digits(len(text) - text.startswith("-"), max_digits)
        try:
            return int(text)
        except ValueError:  # the process's own int-string limit is lower than ours
            raise _too_many_digits(len(text), max_digits) from None

    return parse_int


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _out_of_range(text)
    return value


@functools.lru_cache(maxsize=8)
def _decoder(max_digits: int) -> json.JSONDecoder:
    """One reusable strict decoder per integer bound (``Limits`` values are few)."""
    return json.JSONDecoder(
        object_pairs_hook=_no_duplicates,
        parse_constant=_reject_constant,
        parse_int=_int_parser(max_digits),
        parse_float=_parse_float,
    )


def _lone_surrogate(text: str) -> InvalidInputError:
    return InvalidInputError(
        f"JSON string {text[:40]!r} holds a lone surrogate (RFC 8259 §8.2)",
        code="json.lone_surrogate",
    )


def utf8_length(text: str) -> int:
    """The UTF-8 length of ``text`` in bytes; raises ``json.lone_surrogate`` when it has none."""
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise _lone_surrogate(text) from None


def check_size(data: str | bytes, limits: Limits, what: str = "document") -> None:
    """Refuse ``data`` longer than ``limits.max_document_bytes`` UTF-8 bytes (``input.too_large``).

    Text is measured in bytes, not characters: a 1 MB bound is 1 MB whatever the script.
    """
    bound = limits.max_document_bytes
    if isinstance(data, str):
        if len(data) > bound:  # every character is at least one byte
            size = len(data)
        elif len(data) * 4 <= bound:  # and at most four
            return
        else:
            size = utf8_length(data)
    else:
        size = len(data)
    if size > bound:
        raise LimitExceededError(f"{what} of {size} bytes exceeds {bound}", code="input.too_large")


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


# A \uD800–\uDFFF escape: the only way decoded JSON text can hold a surrogate (a valid
# pair is joined into one code point by the decoder, so any surrogate left is a lone one).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]", re.ASCII)


def _check_strings(value: Any) -> None:
    """Raise ``json.lone_surrogate`` when a string or member name in ``value`` has one."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if isinstance(key, str) and not key.isascii():
                    utf8_or_raise(key)
                stack.append(item)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and not node.isascii():
            utf8_or_raise(node)


def utf8_or_raise(text: str) -> None:
    """Raise ``json.lone_surrogate`` when ``text`` (non-ASCII) cannot be encoded as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _lone_surrogate(text) from None


def _decode(text: str, limits: Limits) -> Any:
    """Depth scan, then the strict decoder; every failure is one of our errors."""
    # Scan before decoding: the C decoder recurses on the C stack, and a library that
    # raises the recursion limit (py_ecc, under web3, does) turns deep nesting into a crash.
    _check_depth(text, limits.max_json_depth)
    try:
        value = _decoder(limits.max_integer_digits).decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not JSON: {exc.msg} at line {exc.lineno}", code="json.invalid"
        ) from None
    except RecursionError:
        raise LimitExceededError("JSON nesting too deep", code="input.json_too_deep") from None
    if _SURROGATE_ESCAPE.search(text) is not None:
        _check_strings(value)
    return value


def parse_json(data: str | bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse untrusted JSON text, enforcing ``limits`` and rejecting duplicate member names."""
    if isinstance(data, bytes | bytearray):
        check_size(bytes(data), limits)
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"not UTF-8: {exc.reason}", code="json.invalid") from None
    elif isinstance(data, str):
        check_size(data, limits)
        if not data.isascii():
            utf8_length(data)  # raw lone surrogates: text that has no UTF-8 form
        text = data
    else:
        raise InvalidInputError("JSON input must be str or bytes", code="json.invalid")
    return _decode(text, limits)


def parse_json_segment(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse a short untrusted JSON segment (a JWT header, payload or disclosure).

    Same result and errors as :func:`parse_json` for bytes; the depth scan runs
    only when the segment has more brackets than ``max_json_depth``, and always
    before the C decoder sees the text.
    """
    check_size(data, limits)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"not UTF-8: {exc.reason}", code="json.invalid") from None
    return _decode(text, limits)


def _ascii_names(node: dict[Any, Any]) -> bool:
    """True when every member name of ``node`` is an ASCII string (one C loop, no per-name call)."""
    try:
        return all(map(str.isascii, node))
    except TypeError:  # a name that is not a string
        return False


@functools.lru_cache(maxsize=4)
def _ten_to(power: int) -> int:
    return int(10**power)


class JsonFacts(NamedTuple):
    """What one walk of a parsed JSON value learned, for later steps that would walk it again.

    ``root`` is the value walked, under ``limits``. ``items`` counts every object, array,
    member name and scalar (the JSON-LD precheck's count); ``ld_safe`` is true when no
    integer is beyond an IEEE-754 double's exact range and no array is a tuple, so that
    :func:`did_gov.jsonld._safe.precheck` passes on ``root`` exactly when ``items`` is within
    ``limits.max_jsonld_nodes``. ``contexts`` holds the ``@context`` value of every object
    below the top level, in no particular order; ``marked_names`` says a member name below
    the top level starts with ``@`` (other than ``@context``) or holds a ``:`` (a keyword or
    an IRI where a JSON-LD term might be). Facts are about ``root`` as it was: a
    step uses them only for the very object walked (``root is document``) or for a
    document it built from parts of it.
    """

    root: Any
    limits: Limits
    items: int
    ld_safe: bool
    contexts: tuple[Any, ...]
    marked_names: bool

    def precheck_passes(self) -> bool:
        """Whether the JSON-LD precheck passes on ``root`` (and on any document made of its parts)."""
        return self.ld_safe and self.items <= self.limits.max_jsonld_nodes

    def part(self, value: Any) -> JsonFacts:
        """Facts for ``value``, an object or array found inside ``root`` (the caller took it from there).

        Every bound carries over: ``value`` has no more items than ``root``, no deeper
        nesting, no number ``root`` lacks, and no ``@context`` below its top level that is
        not below ``root``'s.
        """
        return self._replace(root=value)

    def about(self, document: Any, limits: Limits) -> bool:
        """Whether these are the facts of ``document`` (that very object) under ``limits``."""
        return self.root is document and (self.limits is limits or self.limits == limits)


_MAX_EXACT = 2**53


def exact_in_double(value: int) -> bool:
    """Whether an IEEE-754 double holds the integer ``value`` exactly (JSON-LD's number rule:
    a processor reads every JSON number as a double). Compared without ``str()``, so a
    10,000-digit integer does not hit Python's int-string limit."""
    try:
        return -_MAX_EXACT <= value <= _MAX_EXACT or int(float(value)) == value
    except OverflowError:
        return False


def marked_name(name: str) -> bool:
    """Whether a member name is a keyword other than ``@context``, or holds a ``:`` (an IRI or
    compact IRI): written where a JSON-LD term might be, so a step reading the term misses it."""
    return (name[:1] == "@" and name != "@context") or ":" in name


def check_json_value(value: Any, limits: Limits = DEFAULT_LIMITS) -> JsonFacts:
    """Hold an already-parsed JSON value (e.g. a ``dict`` given to the verifier) to the parser's rules.

    Refuses (with the codes :func:`parse_json` gives) nesting deeper than
    ``max_json_depth``, integers longer than ``max_integer_digits``, non-finite
    floats, lone surrogates, and anything that is not a JSON value (non-string
    member names, other Python types). Iterative: a value nested 100,000 deep
    costs no recursion. Cycles are caught by the depth bound.

    Returns the :class:`JsonFacts` the same walk learned, so that the JSON-LD
    precheck and the contexts step need not walk ``value`` again.
    """
    # Integers of fewer bits than this have fewer digits than the bound (log2(10) > 3.3219);
    # longer ones are compared with 10**max_integer_digits exactly, never through str().
    safe_bits = int(limits.max_integer_digits * 3.3219)
    layer: list[Any] = [value]
    depth = 0  # of the nodes in ``layer``: the root is at 0, its members at 1, ...
    items = 0
    ld_safe = True
    marked = False
    contexts: list[Any] = []
    while layer:  # one pass per nesting level: no recursion, no per-node tuples
        if depth >= limits.max_json_depth and any(
            isinstance(n, dict | list | tuple) for n in layer
        ):
            raise LimitExceededError(
                f"JSON nesting deeper than {limits.max_json_depth}", code="input.json_too_deep"
            )
        items += len(layer)
        below: list[Any] = []
        for node in layer:
            if isinstance(node, str):
                if not node.isascii():
                    utf8_or_raise(node)
            elif isinstance(node, dict):
                if not _ascii_names(node):  # else each name: a string, and UTF-8
                    for key in node:
                        if not isinstance(key, str):
                            raise InvalidInputError(
                                f"a JSON member name is a string, not {type(key).__name__}",
                                code="json.invalid",
                            )
                        if not key.isascii():
                            utf8_or_raise(key)
                items += len(node)
                if depth:
                    if "@context" in node:
                        contexts.append(node["@context"])
                    if not marked:  # one C pass over the names; a look at each only if marked
                        names = "\x00".join(node)
                        marked = ":" in names or ("@" in names and any(map(marked_name, node)))
                below.extend(node.values())
            elif isinstance(node, list):
                below.extend(node)
            elif node is None or isinstance(node, bool):
                continue
            elif isinstance(node, int):
                if node.bit_length() > safe_bits and abs(node) >= _ten_to(
                    limits.max_integer_digits
                ):
                    digits = int(node.bit_length() * 0.30103) + 1
                    raise _too_many_digits(digits, limits.max_integer_digits)
                if ld_safe and node.bit_length() > 53:
                    ld_safe = exact_in_double(node)
            elif isinstance(node, float):
                if not math.isfinite(node):
                    raise _out_of_range(repr(node))
            elif isinstance(node, tuple):  # a JSON array to the parser's rules, not to JSON-LD's
                ld_safe = False
                below.extend(node)
            else:
                raise InvalidInputError(
                    f"{type(node).__name__} is not a JSON value", code="json.invalid"
                )
        layer = below
        depth += 1
    return JsonFacts(value, limits, items, ld_safe, tuple(contexts), marked)
