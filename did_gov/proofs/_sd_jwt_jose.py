"""JOSE plumbing for SD-JWT: JWS signing through the Signer, verification through jwcrypto, the ``alg`` policy,
the ``cnf`` holder key and ``sd_hash``. Private to :mod:`did_gov.proofs.sd_jwt`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jwcrypto.jwk import JWK
from jwcrypto.jws import InvalidJWSSignature, JWSCore

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov._json import parse_json_segment, utf8_length
from did_gov.errors import DidGovError, InvalidInputError, ProofError
from did_gov.keys import KeyType, PublicKey, Signer
from did_gov.limits import Limits
from did_gov.proofs._jws import sign_compact
from did_gov.proofs._result import Check, fail
from did_gov.proofs._sd_jwt_disclosures import HASHES

ALGS = {"EdDSA": KeyType.ED25519, "ES256": KeyType.P256, "ES384": KeyType.P384}
"""The only JWS ``alg`` values accepted, each tied to one key type (no ``none``, no HMAC)."""
KB_JWT_TYPE = "kb+jwt"
"""The ``typ`` of a Key Binding JWT (RFC 9901 §4.3)."""


@lru_cache(maxsize=256)
def public_jwk(key: PublicKey) -> JWK:
    return JWK(**key.to_jwk())


def dumps(value: Any) -> str:
    """Compact JSON whose UTF-8 encoding exists (no lone surrogate), else InvalidInputError."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInputError(f"claims are not JSON: {exc}", code="json.invalid") from None
    utf8_length(text)  # raises json.invalid for a lone surrogate
    return text


def sign_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: Signer) -> str:
    """A compact JWS over the JSON ``payload``, signed by ``key`` (any Signer: a KMS, an HSM)."""
    return sign_compact(header, dumps(payload).encode("utf-8"), key)


@dataclass(frozen=True)
class Jws:
    header_text: str
    header: dict[str, Any]
    payload_bytes: bytes
    payload: dict[str, Any]
    signature: bytes


def parse_jws(text: str, limits: Limits, code: str, what: str) -> Jws:
    parts = text.split(".")
    if len(parts) != 3:
        raise ProofError(f"the {what} is not a compact JWS", code=code)
    try:
        header_raw, payload_raw = b64url_decode(parts[0]), b64url_decode(parts[1])
        signature = b64url_decode(parts[2])
        header, payload = (
            parse_json_segment(header_raw, limits),
            parse_json_segment(payload_raw, limits),
        )
        header_text = header_raw.decode("utf-8")
    except DidGovError as exc:
        raise ProofError(f"the {what} cannot be decoded: {exc.message}", code=code) from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ProofError(f"the {what} header and payload are JSON objects", code=code)
    return Jws(header_text, header, payload_raw, payload, signature)


def jws_verifies(jws: Jws, key: PublicKey) -> bool:
    alg = key.jws_alg
    try:
        JWSCore(alg, public_jwk(key), jws.header_text, jws.payload_bytes, [alg]).verify(
            jws.signature
        )
    except InvalidJWSSignature:
        return False
    return True


def alg_problem(header: Mapping[str, Any], key: PublicKey | None) -> Check | None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGS:
        return fail(
            "alg",
            "alg.unsupported",
            f"alg {alg!r} is not accepted (EdDSA, ES256, ES384 only; never none or HMAC)",
        )
    if "crit" in header:
        return fail("alg", "jws.crit_unsupported", "no critical header extension is supported")
    if key is not None and ALGS[alg] is not key.key_type:
        return fail(
            "alg", "alg.key_mismatch", f"alg {alg} cannot be used with a {key.key_type} key"
        )
    return None


def sd_hash(presentation: str, sd_alg: str) -> str:
    return b64url_encode(HASHES[sd_alg](presentation.encode("utf-8")).digest())


def cnf_key(payload: Mapping[str, Any]) -> PublicKey:
    cnf = payload.get("cnf")
    if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
        raise ProofError("the credential has no cnf.jwk holder key", code="sd_jwt.cnf_missing")
    jwk = cnf["jwk"]
    if "d" in jwk:
        raise ProofError("cnf.jwk holds a private key", code="sd_jwt.cnf_invalid")
    members = tuple(sorted(jwk.items()))
    if not all(isinstance(v, str) for _, v in members):
        raise ProofError("cnf.jwk members are strings", code="sd_jwt.cnf_invalid")
    try:
        return _public_key_of(members)
    except DidGovError as exc:
        raise ProofError(f"cnf.jwk: {exc.message}", code="sd_jwt.cnf_invalid") from None


@lru_cache(maxsize=1024)
def _public_key_of(members: tuple[tuple[str, str], ...]) -> PublicKey:
    """Holder keys recur (one wallet, many presentations): decode each JWK once."""
    return PublicKey.from_jwk(dict(members))
