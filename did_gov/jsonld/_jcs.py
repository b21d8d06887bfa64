"""JSON Canonicalization Scheme (RFC 8785)."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from did_gov.errors import CanonicalizationError

__all__ = ["canonicalize", "format_number"]

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_MAX_SAFE = 2**53


_PLAIN = re.compile(r'[^\x00-\x1f"\\\ud800-\udfff]*')
"""A string with nothing to escape and no surrogate: written as it is (the common case)."""


def _string(value: str) -> str:
    """RFC 8785 §3.2.2.2: minimal JSON string escaping, everything else as UTF-8."""
    if _PLAIN.fullmatch(value):
        return '"' + value + '"'
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise CanonicalizationError("lone surrogate in string (not I-JSON)", code="jcs.invalid")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _abbreviated(value: int) -> str:
    if value.bit_length() > 128:  # str() of a huge int is slow, and refused past 4300 digits
        return f"of {value.bit_length()} bits"
    return str(value)


def format_number(value: float | int) -> str:
    """ECMAScript Number.prototype.toString of an IEEE-754 double (RFC 8785 §3.2.2.3)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > _MAX_SAFE:
            try:
                as_float = float(value)
            except OverflowError:  # beyond any double (a 400-digit integer): not I-JSON
                as_float = math.inf
            if not math.isfinite(as_float) or int(as_float) != value:
                raise CanonicalizationError(
                    f"integer {_abbreviated(value)} is not exactly representable as an IEEE-754 "
                    "double",
                    code="jcs.invalid",
                )
            value = as_float
        else:
            return str(value)
    if not math.isfinite(value):
        raise CanonicalizationError("NaN and Infinity are not JSON", code="jcs.invalid")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits_tuple = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digits_tuple.digits)).rstrip("0") or "0"
    exponent = int(digits_tuple.exponent)
    # value = 0.digits × 10^n, i.e. digits × 10^(n - k)
    k = len(digits)
    n = len("".join(map(str, digits_tuple.digits))) + exponent
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


def _utf16(key: str) -> bytes:
    """RFC 8785 §3.2.3 sort key; a lone surrogate sorts too and is then refused by :func:`_string`."""
    return key.encode("utf-16-be", "surrogatepass")


def _serialize(value: Any, out: list[str], depth: int) -> None:
    if depth > 1000:
        raise CanonicalizationError("JSON nested too deeply", code="jcs.invalid")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int | float):
        out.append(format_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _serialize(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise CanonicalizationError("object member names must be strings", code="jcs.invalid")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _serialize(value[key], out, depth + 1)
        out.append("}")
    else:
        raise CanonicalizationError(f"{type(value).__name__} is not JSON", code="jcs.invalid")


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value.

    >>> canonicalize({"b": [1.0, 1e21, 0.000001], "a": "\\u20ac"})
    b'{"a":"\\xe2\\x82\\xac","b":[1,1e+21,0.000001]}'
    """
    out: list[str] = []
    _serialize(value, out, 0)
    return "".join(out).encode("utf-8")
