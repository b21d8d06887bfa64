"""Byte encodings shared by every layer: base64url, multibase, multicodec varints.

Private module; every decoder raises :class:`~did_gov.errors.InvalidInputError`
rather than a foreign exception.
"""

from __future__ import annotations

import base64
import binascii

import base58

from did_gov.errors import InvalidInputError


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_B64URL_INDEX = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
_UNUSED_BITS = {2: 0x0F, 3: 0x03}  # low bits of the last character that carry no data


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url strictly: no padding, no foreign characters, no stray bits.

    RFC 4648 §5 alphabet only; a final character whose unused low bits are set (a
    second spelling of the same bytes) is refused, so one value has one encoding.
    """
    if not isinstance(text, str):
        raise InvalidInputError("base64url value must be a string")
    rest = len(text) % 4
    if rest == 1 or "=" in text or "+" in text or "/" in text:
        raise InvalidInputError("not unpadded base64url")
    try:
        raw = binascii.a2b_base64(
            text.encode("ascii").translate(_TO_STANDARD) + b"=" * (-len(text) % 4),
            strict_mode=True,
        )
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidInputError(f"not base64url: {exc}") from None
    if rest and _B64URL_INDEX[text[-1]] & _UNUSED_BITS[rest]:
        raise InvalidInputError("non-canonical base64url")
    return raw


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def b58decode(text: str) -> bytes:
    """Base58 (Bitcoin alphabet): ``base58.b58decode`` without its leniency for whitespace."""
    body = text
    stripped = body.lstrip("1")
    n = 0
    try:
        for char in stripped:
            n = n * 58 + _B58_INDEX[char]
    except KeyError:
        raise InvalidInputError("not base58btc: invalid character") from None
    return b"\0" * (len(body) - len(stripped)) + n.to_bytes((n.bit_length() + 7) // 8, "big")


def base58btc_encode(data: bytes) -> str:
    """Multibase base58btc: ``'z' + base58btc(data)``."""
    return "z" + base58.b58encode(data).decode("ascii")


def multibase_decode(text: str) -> bytes:
    """Decode a multibase string with prefix ``z`` (base58btc) or ``u`` (base64url)."""
    if not isinstance(text, str) or len(text) < 2:
        raise InvalidInputError("multibase value must be a non-empty string")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        return b64url_decode(body)
    raise InvalidInputError(f"unsupported multibase prefix {prefix!r}")


def varint_encode(value: int) -> bytes:
    """Unsigned LEB128, as used by multicodec."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_decode(data: bytes) -> tuple[int, int]:
    """Return ``(value, length)`` of the unsigned LEB128 varint at the start of ``data``."""
    value = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if i and byte == 0:
                raise InvalidInputError("non-minimal varint")
            return value, i + 1
    raise InvalidInputError("truncated or overlong varint")
