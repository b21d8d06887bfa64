"""The one place every did_gov signature is made: ask the :class:`Signer`, then check its answer.

A signer may be a KMS, an HSM or a test double; what it returns is not trusted
until it verifies under the public key the signer names. A signer whose key is
not the one it claims (a wrong HSM slot or label), a faulty signature, or a
DER-encoded ECDSA signature where ``r‖s`` is expected are each handled here, so
that no format (Data Integrity, VC-JOSE, SD-JWT, KB-JWT, status lists,
checkpoints) can emit a signature that does not verify.

>>> from did_gov.keys import PrivateKey
>>> key = PrivateKey.from_seed("ed25519", bytes(32))
>>> len(sign_with(key, b"hello"))
64
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from did_gov.errors import (
    DidGovError,
    KeyFormatError,
    SignatureError,
    UnsupportedAlgorithmError,
)
from did_gov.keys._keys import KeyType, Signer

__all__ = ["p1363_from_der", "sign_with", "signature_length"]

_SIGNATURE_LENGTH = {KeyType.ED25519: 64, KeyType.P256: 64, KeyType.P384: 96}


def signature_length(key_type: KeyType) -> int:
    """The length of a signature as a Signer returns it: 64 (Ed25519, P-256) or 96 (P-384)."""
    return _SIGNATURE_LENGTH[key_type]


def p1363_from_der(der: bytes, key_type: KeyType) -> bytes:
    """An ECDSA signature in DER (as most KMS and HSM APIs return it) as the ``r‖s`` a Signer returns.

    For :class:`Signer` implementations over such a service; raises ``key.signature_invalid``
    for bytes that are not a DER ECDSA signature of the key's size.
    """
    if key_type is KeyType.ED25519:
        raise UnsupportedAlgorithmError("Ed25519 signatures have no DER form")
    try:
        r, s = decode_dss_signature(der)
    except ValueError:
        raise KeyFormatError("not a DER ECDSA signature", code="key.signature_invalid") from None
    n = _SIGNATURE_LENGTH[key_type] // 2
    if r.bit_length() > 8 * n or s.bit_length() > 8 * n:
        raise KeyFormatError(
            f"not a {key_type.value} ECDSA signature", code="key.signature_invalid"
        )
    return r.to_bytes(n, "big") + s.to_bytes(n, "big")


def sign_with(signer: Signer, data: bytes) -> bytes:
    """``signer``'s signature over ``data``, checked: the right size and valid under its public key.

    Raises :class:`~did_gov.errors.SignatureError`: ``signature.failed`` when the
    signer raises or returns something that is not a signature of its key type,
    ``signature.self_check_failed`` when the signature does not verify under
    ``signer.public_key`` (never emitted: a relying party would reject it anyway,
    and an issuer must learn of a broken signer before it ships credentials).
    An ECDSA signature in DER is converted to ``r‖s``.
    """
    if not isinstance(signer, Signer):
        raise SignatureError(f"{type(signer).__name__} is not a did_gov.keys.Signer")
    try:
        public = signer.public_key
        signature = signer.sign(data)
    except DidGovError:
        raise
    except Exception as exc:  # the seam where a KMS, an HSM or a plug-in fails
        raise SignatureError(f"the signer failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(signature, bytes | bytearray):
        raise SignatureError(f"the signer returned {type(signature).__name__}, not bytes")
    signature = bytes(signature)
    expected = _SIGNATURE_LENGTH[public.key_type]
    if len(signature) != expected and public.key_type is not KeyType.ED25519:
        try:
            signature = p1363_from_der(signature, public.key_type)
        except KeyFormatError:
            raise SignatureError(
                f"the signer returned {len(signature)} bytes, not a {public.key_type.value} "
                f"signature ({expected} bytes r‖s, or DER)"
            ) from None
    if len(signature) != expected:
        raise SignatureError(
            f"the signer returned {len(signature)} bytes, not a {expected}-byte "
            f"{public.key_type.value} signature"
        )
    if not public.verify(signature, data):
        raise SignatureError(
            f"the signer's signature does not verify under its own public key {public!r} "
            "(wrong key in the KMS/HSM, or a faulty signer)",
            code="signature.self_check_failed",
        )
    return signature
