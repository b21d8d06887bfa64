"""Key pairs (Ed25519, P-256, P-384), their JWK and Multikey encodings, and the Signer seam."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from did_gov._encoding import (
    b64url_decode,
    b64url_encode,
    base58btc_encode,
    multibase_decode,
    varint_decode,
    varint_encode,
)
from did_gov.errors import InvalidInputError, KeyFormatError, UnsupportedAlgorithmError

__all__ = [
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "Signer",
]


class KeyType(StrEnum):
    """The signature key types did_gov issues and verifies with."""

    ED25519 = "Ed25519"
    P256 = "P-256"
    P384 = "P-384"

    @property
    def jws_alg(self) -> str:
        """The JOSE ``alg`` for this key type (RFC 8037 / RFC 7518)."""
        return _JWS_ALG[self]

    @property
    def hash_name(self) -> str:
        """The hash paired with this key type in ECDSA and in Data Integrity suites."""
        return "sha384" if self is KeyType.P384 else "sha256"

    @classmethod
    def parse(cls, name: str) -> KeyType:
        """Accept ``ed25519``, ``p256``, ``P-256``, ``p-384`` and similar spellings."""
        norm = name.strip().lower().replace("-", "").replace("_", "")
        for kt in cls:
            if kt.value.lower().replace("-", "") == norm:
                return kt
        raise UnsupportedAlgorithmError(f"unsupported key type {name!r}")


_JWS_ALG = {KeyType.ED25519: "EdDSA", KeyType.P256: "ES256", KeyType.P384: "ES384"}
_CURVES: dict[KeyType, ec.EllipticCurve] = {
    KeyType.P256: ec.SECP256R1(),
    KeyType.P384: ec.SECP384R1(),
}
_COORD_LEN = {KeyType.P256: 32, KeyType.P384: 48}
_HASHES: dict[KeyType, hashes.HashAlgorithm] = {
    KeyType.P256: hashes.SHA256(),
    KeyType.P384: hashes.SHA384(),
}
# Multicodec codes (https://github.com/multiformats/multicodec/blob/master/table.csv).
_PUB_CODEC = {KeyType.ED25519: 0xED, KeyType.P256: 0x1200, KeyType.P384: 0x1201}
_PRIV_CODEC = {KeyType.ED25519: 0x1300, KeyType.P256: 0x1306, KeyType.P384: 0x1307}
_PUB_LEN = {KeyType.ED25519: 32, KeyType.P256: 33, KeyType.P384: 49}
_PRIV_LEN = {KeyType.ED25519: 32, KeyType.P256: 32, KeyType.P384: 48}
_SHA256_MULTIHASH = b"\x12\x20"  # multihash: sha2-256, 32-byte digest
_CODEC_PUB = {v: k for k, v in _PUB_CODEC.items()}
_CODEC_PRIV = {v: k for k, v in _PRIV_CODEC.items()}

_PublicObj = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
_PrivateObj = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


# Ed25519 public keys that make a signature verify any message (RFC 8032 §5.1.3; Chalkias,
# Garillot and Nikolaenko, "Taming the many EdDSAs", 2020): y >= p is a non-canonical
# encoding, and these y values are the eight points of small order (the identity, the point
# of order 2, two of order 4 with y = 0, four of order 8), each with either x sign. With such
# a key, R = the identity and S = 0 verify under OpenSSL for every message.
_P25519 = 2**255 - 19
_Y_ORDER_8 = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826
_SMALL_ORDER_Y = frozenset({0, 1, _P25519 - 1, _Y_ORDER_8, _P25519 - _Y_ORDER_8})


def _refuse_weak_ed25519(raw: bytes) -> None:
    """Raise ``key.weak`` for a small-order or non-canonically encoded Ed25519 public key."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= _P25519:
        raise KeyFormatError(
            "a non-canonical Ed25519 public key (y >= p) is refused", code="key.weak"
        )
    if y in _SMALL_ORDER_Y:
        raise KeyFormatError(
            "an Ed25519 public key of small order is refused (one signature would verify"
            " every message)",
            code="key.weak",
        )


def _split_multicodec(text: str, table: dict[int, KeyType], what: str) -> tuple[KeyType, bytes]:
    raw = multibase_decode(text)
    code, n = varint_decode(raw)
    key_type = table.get(code)
    if key_type is None:
        raise UnsupportedAlgorithmError(f"unsupported multicodec 0x{code:x} for a {what}")
    return key_type, raw[n:]


def _jwk_member(jwk: dict[str, Any], name: str, length: int | None = None) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"JWK member {name!r} is missing or not a string")
    try:
        raw = b64url_decode(value)
    except InvalidInputError as exc:
        raise KeyFormatError(f"JWK member {name!r}: {exc}") from None
    if length is not None and len(raw) != length:
        raise KeyFormatError(f"JWK member {name!r} must be {length} bytes, got {len(raw)}")
    return raw


def _key_type_of_jwk(jwk: dict[str, Any]) -> KeyType:
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        return KeyType.ED25519
    if kty == "EC" and crv in ("P-256", "P-384"):
        return KeyType(crv)
    raise UnsupportedAlgorithmError(f"unsupported JWK kty={kty!r} crv={crv!r}")


@dataclass(frozen=True, eq=False)
class PublicKey:
    """A public signature key. Compare keys with ``==`` (by type and encoded point).

    >>> key = PrivateKey.from_seed(KeyType.ED25519, bytes(32)).public_key
    >>> key.to_multikey()
    'z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'
    """

    key_type: KeyType
    _key: _PublicObj

    @classmethod
    def from_raw(cls, key_type: KeyType, raw: bytes) -> PublicKey:
        """Load from raw bytes: 32 for Ed25519, a SEC1 point (compressed or not) for EC."""
        try:
            if key_type is KeyType.ED25519:
                if len(raw) != 32:
                    raise KeyFormatError("an Ed25519 public key is 32 bytes")
                _refuse_weak_ed25519(raw)
                return cls(key_type, ed25519.Ed25519PublicKey.from_public_bytes(raw))
            return cls(
                key_type, ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[key_type], raw)
            )
        except ValueError as exc:
            raise KeyFormatError(f"invalid {key_type.value} public key: {exc}") from None

    @classmethod
    def from_multikey(cls, public_key_multibase: str) -> PublicKey:
        """Load a Multikey ``publicKeyMultibase`` (``z6Mk…``, ``zDn…``, ``z82…``).

        A key is a value, so the keys of the last strings decoded are kept: a DID log or a
        run of credentials names the same few keys again and again.
        """
        if cls is PublicKey and type(public_key_multibase) is str:
            return _multikey_key(public_key_multibase)
        return cls._decode_multikey(public_key_multibase)

    @classmethod
    def _decode_multikey(cls, public_key_multibase: str) -> PublicKey:
        key_type, raw = _split_multicodec(public_key_multibase, _CODEC_PUB, "public key")
        if len(raw) != _PUB_LEN[key_type]:
            raise KeyFormatError(f"a {key_type.value} Multikey holds {_PUB_LEN[key_type]} bytes")
        return cls.from_raw(key_type, raw)

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> PublicKey:
        """Load a public JWK (RFC 7517; OKP per RFC 8037, EC per RFC 7518)."""
        if not isinstance(jwk, dict):
            raise KeyFormatError("a JWK must be a JSON object")
        key_type = _key_type_of_jwk(jwk)
        if key_type is KeyType.ED25519:
            return cls.from_raw(key_type, _jwk_member(jwk, "x", 32))
        n = _COORD_LEN[key_type]
        point = b"\x04" + _jwk_member(jwk, "x", n) + _jwk_member(jwk, "y", n)
        return cls.from_raw(key_type, point)

    @property
    def jws_alg(self) -> str:
        """The JOSE ``alg`` this key verifies."""
        return self.key_type.jws_alg

    def raw(self) -> bytes:
        """Raw public bytes: 32 bytes (Ed25519) or the compressed SEC1 point (EC)."""
        return self._raw

    @functools.cached_property
    def _raw(self) -> bytes:
        # Encoded once per key object: equality and hashing read it.
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            return self._key.public_bytes_raw()
        return self._key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )

    def to_multikey(self) -> str:
        """The Multikey ``publicKeyMultibase`` value (base58btc, multicodec-prefixed)."""
        return self._multikey

    @functools.cached_property
    def _multikey(self) -> str:
        # Encoded once per key object: an issuer names its key in every credential.
        return base58btc_encode(varint_encode(_PUB_CODEC[self.key_type]) + self.raw())

    def to_jwk(self) -> dict[str, str]:
        """The public JWK, members in RFC 7638 thumbprint order."""
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            return {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(self.raw())}
        nums = self._key.public_numbers()
        n = _COORD_LEN[self.key_type]
        return {
            "crv": self.key_type.value,
            "kty": "EC",
            "x": b64url_encode(nums.x.to_bytes(n, "big")),
            "y": b64url_encode(nums.y.to_bytes(n, "big")),
        }

    def pre_rotation_hash(self) -> str:
        """The key's pre-rotation commitment: ``base58btc(multihash(multikey))`` with SHA-256.

        This is the value a did:webvh 1.0 log entry lists in ``nextKeyHashes``
        (§ Pre-Rotation Key Hash Generation and Verification): the SHA-256
        multihash (``0x12 0x20`` + digest) of the UTF-8 Multikey string, in
        base58btc without a multibase prefix (``Qm…``).

        >>> PublicKey.from_multikey("z6MkvQnUuQn3s52dw4FF3T87sfaTvXRW7owE1QMvFwpag2Bf").pre_rotation_hash()
        'QmXC3vvStVVzCBHRHGUsksGxn6BNmkdETXJGDBXwNSTL33'
        """
        digest = hashlib.sha256(self.to_multikey().encode("ascii")).digest()
        return base58btc_encode(_SHA256_MULTIHASH + digest)[1:]

    def jwk_thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
        canonical = json.dumps(self.to_jwk(), separators=(",", ":"), sort_keys=True)
        return b64url_encode(hashlib.sha256(canonical.encode()).digest())

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Check a signature over ``data``; ECDSA signatures are IEEE P1363 ``r‖s``.

        Returns False for any invalid or malformed signature; never raises for one.
        """
        if not isinstance(signature, bytes | bytearray) or not isinstance(data, bytes | bytearray):
            return False
        try:
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                self._key.verify(bytes(signature), bytes(data))
                return True
            n = _COORD_LEN[self.key_type]
            if len(signature) != 2 * n:
                return False
            r = int.from_bytes(signature[:n], "big")
            s = int.from_bytes(signature[n:], "big")
            der = encode_dss_signature(r, s)
            self._key.verify(der, bytes(data), ec.ECDSA(_HASHES[self.key_type]))
            return True
        except (InvalidSignature, ValueError):
            return False

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PublicKey)
            and other.key_type is self.key_type
            and other.raw() == self.raw()
        )

    def __hash__(self) -> int:
        return hash((self.key_type, self.raw()))

    def __repr__(self) -> str:
        return f"PublicKey({self.key_type.value}, {self.to_multikey()})"


@functools.lru_cache(maxsize=1024)
def _multikey_key(public_key_multibase: str) -> PublicKey:
    """:meth:`PublicKey.from_multikey`, remembered (a failure raises again each time)."""
    return PublicKey._decode_multikey(public_key_multibase)


@runtime_checkable
class Signer(Protocol):
    """Anything that signs bytes with a key it need not reveal (a KMS, an HSM, a PrivateKey).

    ``sign`` returns Ed25519 signatures as-is and ECDSA signatures as P1363 ``r‖s``,
    hashing with SHA-256 (P-256) or SHA-384 (P-384).
    """

    @property
    def public_key(self) -> PublicKey:
        """The public half, used to name the verification method and to self-check."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``."""
        ...


class PrivateKey:
    """A private signature key held in process memory; satisfies :class:`Signer`.

    ECDSA signing is deterministic (RFC 6979), so signatures are reproducible.

    >>> key = PrivateKey.generate(KeyType.P256)
    >>> key.public_key.verify(key.sign(b"hello"), b"hello")
    True
    """

    __slots__ = ("_key", "_public", "key_type")

    def __init__(self, key_type: KeyType, key: _PrivateObj) -> None:
        self.key_type = key_type
        self._key = key
        self._public = PublicKey(key_type, key.public_key())

    def __repr__(self) -> str:
        return f"PrivateKey({self.key_type.value}, public={self._public.to_multikey()})"

    @classmethod
    def generate(cls, key_type: KeyType | str = KeyType.ED25519) -> PrivateKey:
        """A fresh key from the operating system's CSPRNG."""
        kt = key_type if isinstance(key_type, KeyType) else KeyType.parse(key_type)
        if kt is KeyType.ED25519:
            return cls(kt, ed25519.Ed25519PrivateKey.generate())
        return cls(kt, ec.generate_private_key(_CURVES[kt]))

    @classmethod
    def from_seed(cls, key_type: KeyType | str, seed: bytes) -> PrivateKey:
        """A deterministic key from a seed, for tests and reproducible examples.

        Ed25519 uses the 32-byte seed directly (RFC 8032). For P-256/P-384 the
        scalar is ``SHA-512("did_gov/ec-seed/v1" ‖ curve ‖ seed) mod (n-1) + 1``.
        """
        kt = key_type if isinstance(key_type, KeyType) else KeyType.parse(key_type)
        if not isinstance(seed, bytes) or len(seed) < 16:
            raise KeyFormatError("a seed is at least 16 bytes")
        if kt is KeyType.ED25519:
            if len(seed) != 32:
                raise KeyFormatError("an Ed25519 seed is exactly 32 bytes")
            return cls(kt, ed25519.Ed25519PrivateKey.from_private_bytes(seed))
        order = _ORDERS[kt]
        digest = hashlib.sha512(b"did_gov/ec-seed/v1" + kt.value.encode() + seed).digest()
        scalar = int.from_bytes(digest, "big") % (order - 1) + 1
        return cls(kt, ec.derive_private_key(scalar, _CURVES[kt]))

    @classmethod
    def from_raw(cls, key_type: KeyType, secret: bytes) -> PrivateKey:
        """Load raw private bytes: an Ed25519 seed or a big-endian EC scalar."""
        if len(secret) != _PRIV_LEN[key_type]:
            raise KeyFormatError(f"a {key_type.value} private key is {_PRIV_LEN[key_type]} bytes")
        try:
            if key_type is KeyType.ED25519:
                return cls(key_type, ed25519.Ed25519PrivateKey.from_private_bytes(secret))
            return cls(
                key_type, ec.derive_private_key(int.from_bytes(secret, "big"), _CURVES[key_type])
            )
        except ValueError as exc:
            raise KeyFormatError(f"invalid {key_type.value} private key: {exc}") from None

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> PrivateKey:
        """Load a private JWK; the public members must match the private scalar."""
        if not isinstance(jwk, dict):
            raise KeyFormatError("a JWK must be a JSON object")
        key_type = _key_type_of_jwk(jwk)
        key = cls.from_raw(key_type, _jwk_member(jwk, "d", _PRIV_LEN[key_type]))
        if "x" in jwk and key.public_key != PublicKey.from_jwk(jwk):
            raise KeyFormatError("JWK public members do not match its private key")
        return key

    @classmethod
    def from_multikey(
        cls, secret_key_multibase: str, public_key_multibase: str | None = None
    ) -> PrivateKey:
        """Load a Multikey ``secretKeyMultibase``/``privateKeyMultibase`` (checked against the public one)."""
        key_type, raw = _split_multicodec(secret_key_multibase, _CODEC_PRIV, "secret key")
        key = cls.from_raw(key_type, raw)
        if public_key_multibase is not None and key.public_key != PublicKey.from_multikey(
            public_key_multibase
        ):
            raise KeyFormatError("secret key does not match publicKeyMultibase")
        return key

    @property
    def public_key(self) -> PublicKey:
        """The public half."""
        return self._public

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (Ed25519, or deterministic ECDSA returned as P1363 ``r‖s``)."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        der = self._key.sign(data, ec.ECDSA(_HASHES[self.key_type], deterministic_signing=True))
        r, s = decode_dss_signature(der)
        n = _COORD_LEN[self.key_type]
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        passphrase: str | bytes | None = None,
        overwrite: bool = False,
    ) -> None:
        """Write the key to ``path`` (mode 0600, atomically; an existing file is refused
        with ``key.file_exists`` unless ``overwrite``).

        Without ``passphrase`` the file is the private JWK; with one it is a
        JWE of it (``PBES2-HS512+A256KW`` / ``A256GCM``) that
        :func:`load_private_key` opens with the same passphrase.
        """
        from did_gov.keys._store import save_private_key

        save_private_key(self, path, passphrase=passphrase, overwrite=overwrite)

    def secret_bytes(self) -> bytes:
        """Raw private bytes (the Ed25519 seed or the EC scalar). Handle with care."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.private_bytes_raw()
        return self._key.private_numbers().private_value.to_bytes(_PRIV_LEN[self.key_type], "big")

    def to_jwk(self) -> dict[str, str]:
        """The private JWK (public members plus ``d``)."""
        jwk = self._public.to_jwk()
        jwk["d"] = b64url_encode(self.secret_bytes())
        return jwk

    def to_multikey(self) -> str:
        """The Multikey ``secretKeyMultibase`` value."""
        return base58btc_encode(varint_encode(_PRIV_CODEC[self.key_type]) + self.secret_bytes())


_ORDERS = {
    KeyType.P256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    KeyType.P384: int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
}
