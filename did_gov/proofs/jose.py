"""W3C VC-JOSE-COSE (JOSE part): credentials as ``application/vc+jwt``, presentations as ``vp+jwt``.

Signing goes through the :class:`~did_gov.keys.Signer` (a KMS or an HSM signs
tokens too); signature checks go through jwcrypto. This module decides what
is acceptable around them (RFC 8725): only EdDSA, ES256 and ES384, the
``alg`` must match the key's type, explicit ``typ``, no ``crit`` extensions.
It also reads legacy VC Data Model 1.1 JWTs (the ``vc``/``vp`` claim with
``iss``/``sub``/``nbf``/``exp``/``jti``). It knows nothing of DIDs: the caller
passes a :data:`KeyLookup` that turns the protected header and the issuer
(or holder) into a public key, or raises a DidGovError.

>>> from did_gov.keys import PrivateKey
>>> key = PrivateKey.from_seed("ed25519", bytes(32))
>>> vc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
...       "type": ["VerifiableCredential"], "issuer": "https://gov.example",
...       "credentialSubject": {"id": "did:example:ada"}}
>>> token = sign_vc_jwt(vc, key, kid="key-1")
>>> result = verify_jwt(token, lambda header, issuer, purpose: key.public_key)
>>> result.verified, result.format, result.document == vc
(True, 'vc-jwt', True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from did_gov._encoding import b64url_decode
from did_gov._json import check_size, parse_json
from did_gov.credentials import utc_now
from did_gov.errors import DidGovError, InvalidInputError, KeyFormatError
from did_gov.keys import KeyType, PublicKey, Signer
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._jose_rules import (
    _TYP,
    ALGORITHMS,
    Kind,
    _binding,
    _check_header,
    _Failed,
    _id_of,
    _kind_of,
    _legacy_document,
    _registered_claims,
    _time_checks,
)
from did_gov.proofs._jws import json_bytes, sign_compact
from did_gov.proofs._result import Check, fail, shared_ok, unknown

if TYPE_CHECKING:  # jwcrypto is imported on first use: it costs ~70 ms of start-up
    from jwcrypto.jwk import JWK

__all__ = [
    "ALGORITHMS",
    "JoseResult",
    "KeyLookup",
    "Kind",
    "UnverifiedJws",
    "VC_MEDIA_TYPE",
    "VP_MEDIA_TYPE",
    "decode_unverified",
    "envelope",
    "is_compact_jws",
    "jwks_keys",
    "open_envelope",
    "parse_jwks",
    "sign_vc_jwt",
    "sign_vp_jwt",
    "verify_jwt",
]


VC_MEDIA_TYPE = "application/vc+jwt"
VP_MEDIA_TYPE = "application/vp+jwt"
_PURPOSE = {"credential": "assertionMethod", "presentation": "authentication"}
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

KeyLookup = Callable[[Mapping[str, Any], str | None, str], PublicKey]
"""(protected header, issuer or holder id, proof purpose) -> the public key; raises DidGovError."""


# --- encoding ------------------------------------------------------------------------------


_JWK_CACHE: dict[int, tuple[PublicKey, JWK]] = {}


def _public_jwk(key: PublicKey) -> JWK:
    """The jwcrypto form of a public key, built once per key object (verification hot path).

    Keyed by identity (the entry holds the key, so its id cannot be reused):
    hashing a PublicKey re-encodes its point, which costs more than the lookup.
    """
    entry = _JWK_CACHE.get(id(key))
    if entry is not None and entry[0] is key:
        return entry[1]
    from jwcrypto.jwk import JWK

    converted = JWK(**key.to_jwk())
    if len(_JWK_CACHE) >= 1024:
        _JWK_CACHE.clear()
    _JWK_CACHE[id(key)] = (key, converted)
    return converted


def _sign(payload: Mapping[str, Any], key: Signer, header: dict[str, Any]) -> str:
    """RFC 7515 §7.1 compact serialization, signed by ``key`` (any :class:`Signer`)."""
    return sign_compact({"alg": key.public_key.jws_alg, **header}, json_bytes(payload), key)


def _kid_header(kid: str | None, typ: str, cty: str) -> dict[str, Any]:
    header: dict[str, Any] = {"typ": typ, "cty": cty}
    if kid is not None:
        if not isinstance(kid, str) or not kid:
            raise InvalidInputError("kid must be a non-empty string", code="jose.kid_invalid")
        header["kid"] = kid
    return header


def sign_vc_jwt(credential: Mapping[str, Any], key: Signer, *, kid: str | None) -> str:
    """Secure a VC 2.0 credential as ``application/vc+jwt`` (VC-JOSE-COSE §3.1.1).

    The JWS payload is the credential itself; the protected header carries
    ``alg`` (from the key type), ``typ: vc+jwt``, ``cty: vc`` and ``kid``.
    """
    if not isinstance(credential, Mapping):
        raise InvalidInputError("a credential is a JSON object")
    return _sign(credential, key, _kid_header(kid, "vc+jwt", "vc"))


def sign_vp_jwt(
    presentation: Mapping[str, Any],
    key: Signer,
    *,
    kid: str | None,
    nonce: str | None = None,
    audience: str | None = None,
) -> str:
    """Secure a VC 2.0 presentation as ``application/vp+jwt`` (VC-JOSE-COSE §3.1.2).

    ``nonce`` and ``audience`` become the JWT ``nonce`` and ``aud`` claims,
    binding the presentation to one verifier's request.
    """
    if not isinstance(presentation, Mapping):
        raise InvalidInputError("a presentation is a JSON object")
    payload = dict(presentation)
    if nonce is not None:
        payload["nonce"] = nonce
    if audience is not None:
        payload["aud"] = audience
    return _sign(payload, key, _kid_header(kid, "vp+jwt", "vp"))


def envelope(token: str, media_type: str = VC_MEDIA_TYPE) -> dict[str, Any]:
    """An ``EnvelopedVerifiableCredential`` carrying ``token`` as a data: URL (VCDM 2.0 §4.13)."""
    if not isinstance(token, str) or not token or "," in token:
        raise InvalidInputError("an enveloped token is a non-empty string without ','")
    return {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": f"data:{media_type},{token}",
        "type": "EnvelopedVerifiableCredential",
    }


def open_envelope(entry: Any) -> tuple[str, str]:
    """The media type and token of an ``EnvelopedVerifiableCredential``; raises InvalidInputError."""
    if not isinstance(entry, Mapping) or entry.get("type") != "EnvelopedVerifiableCredential":
        raise InvalidInputError("not an EnvelopedVerifiableCredential", code="envelope.invalid")
    url = entry.get("id")
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        raise InvalidInputError(
            "an EnvelopedVerifiableCredential id is a data: URL", code="envelope.invalid"
        )
    media_type, data = url[5:].split(",", 1)
    return media_type, data


def is_compact_jws(text: str) -> bool:
    """True when ``text`` has the shape of a JWS compact serialization (three base64url parts)."""
    parts = text.split(".")
    return len(parts) == 3 and all(parts) and all(set(p) <= _B64URL for p in parts)


def parse_jwks(data: Any) -> list[dict[str, Any]]:
    """The JWKs in a parsed JWK or JWK Set (RFC 7517 §5); raises KeyFormatError otherwise."""
    if isinstance(data, Mapping) and "keys" in data:
        keys = data["keys"]
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise KeyFormatError("a JWK Set's 'keys' is an array of objects")
        return [dict(k) for k in keys]
    if isinstance(data, Mapping) and "kty" in data:
        return [dict(data)]
    raise KeyFormatError("not a JWK or a JWK Set")


# --- decoding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnverifiedJws:
    """A compact JWS split and decoded, nothing checked: the header and payload are untrusted."""

    header: dict[str, Any]
    payload: dict[str, Any]
    protected_json: str
    payload_bytes: bytes
    signature: bytes


def decode_unverified(token: str, limits: Limits = DEFAULT_LIMITS) -> UnverifiedJws:
    """Split a compact JWS (RFC 7515 §7.1) and parse its JSON parts; raises InvalidInputError."""
    if not isinstance(token, str):
        raise InvalidInputError("a compact JWS is a string", code="jose.malformed")
    check_size(token, limits, "token")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise InvalidInputError(
            "a compact JWS has three '.'-separated parts", code="jose.malformed"
        )
    try:
        protected, payload, signature = (b64url_decode(p) for p in parts)
        header = parse_json(protected, limits)
        claims = parse_json(payload, limits)
        protected_json = protected.decode("utf-8")
    except DidGovError as exc:
        raise InvalidInputError(
            f"not a compact JWS: {exc.message}", code="jose.malformed"
        ) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidInputError(
            "the JWS header and payload must be JSON objects", code="jose.malformed"
        )
    return UnverifiedJws(header, claims, protected_json, payload, signature)


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class JoseResult:
    """The outcome of :func:`verify_jwt`.

    ``document`` is the credential or presentation as VC Data Model (a 1.1
    JWT's claims folded back into its ``vc``/``vp``); trust it only when
    ``verified``. ``key`` is the key the signature was checked with.
    """

    verified: bool
    format: str
    kind: Kind | None
    legacy: bool
    checks: tuple[Check, ...]
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    document: Any
    key: PublicKey | None


def _signature(parsed: UnverifiedJws, key: PublicKey, alg: str, key_type: KeyType) -> Check:
    """RFC 7515 §5.2 steps 8–9 through jwcrypto, after refusing algorithm confusion."""
    if key.key_type is not key_type:
        return fail(
            "signature",
            "alg.key_mismatch",
            f"alg {alg} cannot be verified with a {key.key_type.value} key",
        )
    from jwcrypto.common import JWException
    from jwcrypto.jws import JWSCore

    try:
        core = JWSCore(alg, _public_jwk(key), parsed.protected_json, parsed.payload_bytes, [alg])
        core.verify(parsed.signature)
    except JWException:
        return fail("signature", "signature.invalid", f"the {alg} signature does not verify")
    return shared_ok("signature", f"{alg} signature verified")


def verify_jwt(
    token: str,
    lookup: KeyLookup,
    *,
    expect: Kind | None = None,
    nonce: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
    clock_skew: timedelta = timedelta(minutes=5),
    limits: Limits = DEFAULT_LIMITS,
    check_times: bool = True,
) -> JoseResult:
    """Verify a ``vc+jwt``/``vp+jwt`` or VCDM 1.1 JWT (VC-JOSE-COSE §3, RFC 7515 §5.2). Never raises for bad input.

    Checks in order: the JWS parses, the header is acceptable, the key is
    found, the signature verifies, the JWT claims agree with the document,
    the verifier's nonce/audience (when given), and exp/nbf/iat.
    """
    checks: list[Check] = []
    header: Mapping[str, Any] = {}
    claims: Mapping[str, Any] = {}
    kind: Kind | None = None
    legacy = False
    document: Any = None
    key: PublicKey | None = None
    try:
        try:
            parsed = decode_unverified(token, limits)
        except DidGovError as exc:
            raise _Failed(fail("jws", exc.code, exc.message)) from None
        header, claims = parsed.header, parsed.payload
        key_type = _check_header(header)
        kind, legacy = _kind_of(header, claims)
        if expect is not None and kind != expect:
            raise _Failed(fail("header", "jose.typ_invalid", f"expected a {expect}, got a {kind}"))
        checks.append(
            shared_ok("header", f"{header['alg']} {_TYP[kind]}" + (" (VCDM 1.1)" if legacy else ""))
        )
        document = _legacy_document(kind, claims) if legacy else dict(claims)
        owner = _id_of(document.get("issuer") if kind == "credential" else document.get("holder"))
        try:
            key = lookup(header, owner if isinstance(owner, str) else None, _PURPOSE[kind])
        except DidGovError as exc:
            builder = (
                unknown
                if exc.code in ("issuer.key_unknown", "holder.key_unknown")
                or exc.code.startswith("network.")
                else fail
            )
            raise _Failed(builder("key", exc.code, exc.message)) from None
        checks.append(shared_ok("key", f"key {header.get('kid', '(no kid)')} of {owner}"))
        signature = _signature(parsed, key, header["alg"], key_type)
        checks.append(signature)
        if not signature.ok:
            raise _Failed(signature) from None
        if not legacy:
            _registered_claims(kind, claims)
        checks.append(shared_ok("claims", "JWT claims agree with the document"))
        if kind == "presentation" and (nonce is not None or audience is not None):
            _binding(claims, kind, nonce, audience)
            checks.append(shared_ok("binding", "nonce and audience match"))
        if (
            check_times
        ):  # False: the caller judges exp/nbf/iat itself (the Verifier's validity step)
            checks.append(_time_checks(claims, now or utc_now(), clock_skew))
    except _Failed as failure:
        if failure.check not in checks:
            checks.append(failure.check)
    fmt = "vp-jwt" if kind == "presentation" else "vc-jwt"
    verified = bool(checks) and all(c.ok for c in checks)
    return JoseResult(verified, fmt, kind, legacy, tuple(checks), header, claims, document, key)


def jwks_keys(jwks: Iterable[Mapping[str, Any]]) -> list[tuple[str | None, PublicKey]]:
    """Parse public JWKs into ``(kid, key)`` pairs; key types did_gov does not verify with are skipped."""
    found: list[tuple[str | None, PublicKey]] = []
    for entry in jwks:
        if not isinstance(entry, Mapping):
            raise KeyFormatError("a JWK is a JSON object")
        if "d" in entry:
            raise KeyFormatError("an issuer JWK must be public (it carries 'd')")
        if (entry.get("kty"), entry.get("crv")) not in (
            ("OKP", "Ed25519"),
            ("EC", "P-256"),
            ("EC", "P-384"),
        ):
            continue
        kid = entry.get("kid")
        found.append((kid if isinstance(kid, str) else None, PublicKey.from_jwk(dict(entry))))
    return found
