"""Ed25519 public keys for which one signature verifies every message are refused at decoding.

A naive reference of edwards25519 (RFC 8032 §5.1) lives here, in the test tree only: it
finds the eight points of small order and checks that did_gov refuses each, in every
encoding (both x signs, and y + p where that still fits in 255 bits), and that it accepts
ordinary keys. The attack itself is shown against ``cryptography`` directly: with the
identity as public key, ``R = identity, S = 0`` verifies any message.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given
from hypothesis import strategies as st

from did_gov._encoding import b64url_encode, base58btc_encode
from did_gov.errors import KeyFormatError
from did_gov.keys import KeyType, PrivateKey, PublicKey

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int]


def _add(a: Point, b: Point) -> Point:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P
    return x3, y3


def _times(n: int, point: Point) -> Point:
    result: Point = (0, 1)
    for _ in range(n):
        result = _add(result, point)
    return result


def _decode(raw: bytes) -> Point | None:
    """RFC 8032 §5.1.3 decoding, non-canonical y (>= p) allowed as some libraries do."""
    value = int.from_bytes(raw, "little")
    y, sign = (value & ((1 << 255) - 1)) % P, value >> 255
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    if v * x * x % P != u:
        return None
    if x & 1 != sign:
        x = (-x) % P
    return x, y


def _encodings(point: Point) -> list[bytes]:
    """Every 32-byte string that decodes to ``point``: y and y + p, each with both x signs."""
    y = point[1]
    found = []
    for y_written in (y, y + P):
        if y_written < 2**255:
            for sign in (0, 1):
                raw = (y_written | (sign << 255)).to_bytes(32, "little")
                if _decode(raw) == point:
                    found.append(raw)
    return found


def _small_order_points() -> set[Point]:
    """The eight points T with 8T = O, found from one point of order 8 and its multiples."""
    order_8_y = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826
    generator = _decode(order_8_y.to_bytes(32, "little"))
    assert generator is not None
    assert _times(8, generator) == (0, 1) and _times(4, generator) != (0, 1)
    return {_times(k, generator) for k in range(8)}


SMALL_ORDER = sorted(_small_order_points())


def test_there_are_eight_small_order_points() -> None:
    assert len(SMALL_ORDER) == 8
    assert all(_times(8, point) == (0, 1) for point in SMALL_ORDER)


@pytest.mark.parametrize("point", SMALL_ORDER, ids=lambda p: f"y={p[1] % 1000}")
def test_every_encoding_of_a_small_order_point_is_refused(point: Point) -> None:
    encodings = _encodings(point)
    assert encodings
    for raw in encodings:
        with pytest.raises(KeyFormatError) as info:
            PublicKey.from_raw(KeyType.ED25519, raw)
        assert info.value.code == "key.weak"


@pytest.mark.parametrize("y", range(P, 2**255))
def test_every_non_canonical_y_is_refused(y: int) -> None:
    for sign in (0, 1):
        with pytest.raises(KeyFormatError) as info:
            PublicKey.from_raw(KeyType.ED25519, (y | (sign << 255)).to_bytes(32, "little"))
        assert info.value.code == "key.weak"


def test_the_attack_works_on_a_raw_small_order_key() -> None:
    """Why: with A = identity, R = identity and S = 0 satisfy [S]B = R + [k]A for every k."""
    identity = bytes([1]) + bytes(31)
    raw_key = ed25519.Ed25519PublicKey.from_public_bytes(identity)
    for message in (b"pay 1 euro", b"pay 1,000,000 euro"):
        raw_key.verify(identity + bytes(32), message)  # no InvalidSignature: the attack
    with pytest.raises(KeyFormatError):
        PublicKey.from_raw(KeyType.ED25519, identity)


IDENTITY = bytes([1]) + bytes(31)


@pytest.mark.parametrize(
    "decode",
    [
        lambda: PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(IDENTITY)}),
        lambda: PublicKey.from_multikey(base58btc_encode(b"\xed\x01" + IDENTITY)),
    ],
    ids=["jwk", "multikey"],
)
def test_weak_keys_are_refused_in_every_encoding(decode: Callable[[], PublicKey]) -> None:
    with pytest.raises(KeyFormatError) as info:
        decode()
    assert info.value.code == "key.weak"


@given(st.binary(min_size=32, max_size=32))
def test_ordinary_keys_are_accepted(seed: bytes) -> None:
    key = PrivateKey.from_seed("ed25519", seed).public_key
    assert PublicKey.from_raw(KeyType.ED25519, key.raw()) == key


def test_remembered_multikeys_never_remember_a_refusal() -> None:
    """from_multikey keeps decoded keys; a refused (weak) key is refused again every time."""
    identity = base58btc_encode(b"\xed\x01" + (1).to_bytes(32, "little"))
    for _ in range(2):
        with pytest.raises(KeyFormatError):
            PublicKey.from_multikey(identity)
    good = PrivateKey.from_seed(KeyType.ED25519, bytes(32)).public_key.to_multikey()
    first, second = PublicKey.from_multikey(good), PublicKey.from_multikey(good)
    assert first is second and first.to_multikey() == good
