"""Threshold-signed metadata (``specs/trust-bundle.md`` §2): ``{"signed": {...}, "signatures": [...]}``.

Shaped by TUF metadata: the ``signed`` object is serialized with JCS (RFC 8785) behind a
domain-separation prefix naming its type, and each signature names its key by the key's
RFC 7638 JWK thumbprint. A threshold counts distinct listed keys whose signature verifies (as
TUF does, signatures by unlisted keys and invalid signatures are not counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov.errors import DidGovError, InvalidInputError, TrustError
from did_gov.jsonld import jcs
from did_gov.keys import PublicKey, Signer

__all__ = [
    "MAX_SIGNATURES",
    "count_signatures",
    "parse_envelope",
    "parse_keys",
    "signed_envelope",
    "signing_input",
]

MAX_SIGNATURES = 64
"""Most signatures one metadata file may carry."""


def signing_input(kind: str, signed: Mapping[str, Any]) -> bytes:
    """The bytes signed for a ``signed`` object of type ``kind``: a prefix and its JCS form."""
    return f"did-gov {kind} v1\n".encode() + jcs(signed)


def signed_envelope(
    kind: str, signed: Mapping[str, Any], signers: Iterable[Signer]
) -> dict[str, Any]:
    """Sign ``signed`` with each signer: ``{"signed": signed, "signatures": [{keyid, sig}]}``."""
    data = signing_input(kind, signed)
    signatures = [
        {"keyid": s.public_key.jwk_thumbprint(), "sig": b64url_encode(s.sign(data))}
        for s in signers
    ]
    if not signatures:
        raise InvalidInputError("at least one signing key is needed", code="trust.key_missing")
    return {"signed": dict(signed), "signatures": signatures}


def parse_envelope(
    value: object, code: str, what: str
) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """Split ``{"signed", "signatures"}`` strictly; raise TrustError with ``code`` otherwise."""
    if not isinstance(value, dict) or not {"signed", "signatures"} <= set(value):
        raise TrustError(f"{what} is not {{signed, signatures}}", code=code)
    signed, signatures = value["signed"], value["signatures"]
    if not isinstance(signed, dict) or not isinstance(signatures, list):
        raise TrustError(f"{what}: signed is an object and signatures a list", code=code)
    if len(signatures) > MAX_SIGNATURES:
        raise TrustError(f"{what} carries more than {MAX_SIGNATURES} signatures", code=code)
    parsed = []
    for entry in signatures:
        if not isinstance(entry, dict) or set(entry) != {"keyid", "sig"}:
            raise TrustError(f"{what}: a signature is {{keyid, sig}}", code=code)
        if not isinstance(entry["keyid"], str) or not isinstance(entry["sig"], str):
            raise TrustError(f"{what}: keyid and sig are strings", code=code)
        try:
            parsed.append((entry["keyid"], b64url_decode(entry["sig"])))
        except InvalidInputError:
            raise TrustError(f"{what}: a sig is not base64url", code=code) from None
    return signed, parsed


def parse_keys(value: object, code: str, what: str) -> dict[str, PublicKey]:
    """A list of public JWKs, indexed by thumbprint."""
    if not isinstance(value, list) or not value or len(value) > MAX_SIGNATURES:
        raise TrustError(f"{what}: keys is a non-empty list of JWKs", code=code)
    keys: dict[str, PublicKey] = {}
    for jwk in value:
        if not isinstance(jwk, dict) or "d" in jwk:
            raise TrustError(f"{what}: keys are public JWKs", code=code)
        try:
            key = PublicKey.from_jwk(jwk)
        except DidGovError as exc:
            raise TrustError(f"{what}: bad key: {exc}", code=code) from None
        keys[key.jwk_thumbprint()] = key
    return keys


def count_signatures(
    data: bytes, signatures: list[tuple[str, bytes]], keys: Mapping[str, PublicKey]
) -> int:
    """How many distinct ``keys`` made a valid signature over ``data``."""
    good: set[str] = set()
    for keyid, signature in signatures:
        key = keys.get(keyid)
        if key is not None and keyid not in good and key.verify(signature, data):
            good.add(keyid)
    return len(good)
