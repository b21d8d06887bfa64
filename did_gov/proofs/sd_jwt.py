"""SD-JWT and SD-JWT VC (RFC 9901; media type ``dc+sd-jwt``): issue, present, verify.

The issuer picks which claims are selectively disclosable by claim path
(``/address/street_address``, ``/nationalities/0``; see
:func:`parse_claim_path`), at any depth; each disclosure gets a fresh salt of
128 bits from the CSPRNG and every object with disclosable members gets decoy
digests. ``holder_key`` puts the holder's public key in ``cnf``. The holder
keeps the disclosures for the paths it chooses and may add a Key Binding JWT
(``nonce``, ``aud``, ``iat``, ``sd_hash``). The verifier checks all of it and
returns only the disclosed claims.

JWS signing and verification go through jwcrypto; ``alg`` must be one of
EdDSA, ES256, ES384 and match the key type (no ``none``, no HMAC).

>>> from did_gov.keys import PrivateKey
>>> issuer, holder = PrivateKey.generate("p256"), PrivateKey.generate("ed25519")
>>> sd = issue_sd_jwt({"iss": "https://gov.example", "given_name": "Ada", "age_over_18": True},
...                   issuer, disclosable=["/given_name", "/age_over_18"],
...                   holder_key=holder.public_key)
>>> shown = present_sd_jwt(sd, ["/age_over_18"], holder_key=holder,
...                        nonce="n-1", audience="https://kiosk.example")
>>> result = verify_sd_jwt(shown, issuer.public_key, nonce="n-1",
...                        audience="https://kiosk.example")
>>> result.verified, result.claims["age_over_18"], "given_name" in result.claims
(True, True, False)
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jwcrypto.jwk import JWK
from jwcrypto.jws import InvalidJWSSignature, JWSCore

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov._json import parse_json_segment
from did_gov.credentials import utc_now
from did_gov.errors import (
    DidGovError,
    InvalidInputError,
    LimitExceededError,
    ProofError,
    UnsupportedAlgorithmError,
)
from did_gov.keys import KeyType, PrivateKey, PublicKey
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.proofs._sd_jwt_disclosures import (
    HASHES,
    Concealer,
    Revealer,
    SaltSource,
    decode_disclosure,
    digest_of,
    format_claim_path,
    parse_claim_path,
    path_exists,
    random_salt,
    related,
)

__all__ = [
    "KB_JWT_TYPE",
    "MEDIA_TYPE",
    "SdJwtVerification",
    "format_claim_path",
    "issue_sd_jwt",
    "parse_claim_path",
    "present_sd_jwt",
    "split_sd_jwt",
    "verify_sd_jwt",
]

MEDIA_TYPE = "dc+sd-jwt"
"""The ``typ`` of an SD-JWT VC (SD-JWT VC draft §3.2.1)."""
KB_JWT_TYPE = "kb+jwt"
"""The ``typ`` of a Key Binding JWT (RFC 9901 §4.3)."""

_ALGS = {"EdDSA": KeyType.ED25519, "ES256": KeyType.P256, "ES384": KeyType.P384}
_NOT_DISCLOSABLE = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})

IssuerKeyLookup = Callable[[Mapping[str, Any], Mapping[str, Any]], PublicKey]
"""Finds the issuer's key from the (unverified) JWT header and payload; raises DidGovError."""


# -- JWS through jwcrypto ---------------------------------------------------------------------


@lru_cache(maxsize=256)
def _public_jwk(key: PublicKey) -> JWK:
    return JWK(**key.to_jwk())


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"claims are not JSON: {exc}", code="json.invalid") from None


def _sign_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: PrivateKey) -> str:
    if not isinstance(key, PrivateKey):
        raise UnsupportedAlgorithmError(
            "SD-JWT signing needs a did_gov.keys.PrivateKey (jwcrypto signs with it)",
            code="sd_jwt.key_unsupported",
        )
    alg = key.public_key.jws_alg
    core = JWSCore(alg, JWK(**key.to_jwk()), _dumps(header), _dumps(payload).encode(), [alg])
    signed = core.sign()
    return f"{signed['protected']}.{signed['payload'].decode('ascii')}.{signed['signature']}"


@dataclass(frozen=True)
class _Jws:
    header_text: str
    header: dict[str, Any]
    payload_bytes: bytes
    payload: dict[str, Any]
    signature: bytes


def _parse_jws(text: str, limits: Limits, code: str, what: str) -> _Jws:
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
    return _Jws(header_text, header, payload_raw, payload, signature)


def _jws_verifies(jws: _Jws, key: PublicKey) -> bool:
    alg = key.jws_alg
    try:
        JWSCore(alg, _public_jwk(key), jws.header_text, jws.payload_bytes, [alg]).verify(
            jws.signature
        )
    except InvalidJWSSignature:
        return False
    return True


def _alg_problem(header: Mapping[str, Any], key: PublicKey | None) -> Check | None:
    alg = header.get("alg")
    if alg not in _ALGS:
        return fail(
            "alg",
            "sd_jwt.alg_unsupported",
            f"alg {alg!r} is not accepted (EdDSA, ES256, ES384 only; never none or HMAC)",
        )
    if "crit" in header:
        return fail("alg", "sd_jwt.crit_unsupported", "no critical header extension is supported")
    if key is not None and _ALGS[alg] is not key.key_type:
        return fail(
            "alg", "sd_jwt.alg_key_mismatch", f"alg {alg} cannot be used with a {key.key_type} key"
        )
    return None


# -- issuance --------------------------------------------------------------------------------


def issue_sd_jwt(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    disclosable: Iterable[str] = (),
    holder_key: PublicKey | None = None,
    kid: str | None = None,
    typ: str = MEDIA_TYPE,
    sd_alg: str = "sha-256",
    decoys: int = 2,
    salt: SaltSource | None = None,
) -> str:
    """Issue an SD-JWT over ``claims`` (the JWT claims set, ``iss``/``iat``/``exp`` included).

    Each path in ``disclosable`` becomes a disclosure (RFC 9901 §4.2); a path
    below another disclosable path gives a recursive disclosure. ``salt`` is a
    zero-argument callable returning a salt of ≥128 bits (default: 128 bits
    from :mod:`secrets`); inject one only in tests. Returns the ``~``-joined
    issuance ``<jwt>~<disclosure>~…~``.
    """
    if not isinstance(claims, Mapping):
        raise InvalidInputError("SD-JWT claims are a JSON object")
    if sd_alg not in HASHES:
        raise UnsupportedAlgorithmError(f"_sd_alg {sd_alg!r} is not supported")
    if not isinstance(decoys, int) or decoys < 0:
        raise InvalidInputError("decoys is a non-negative integer")
    if holder_key is not None and "cnf" in claims:
        raise InvalidInputError("claims already carry cnf; pass holder_key or cnf, not both")
    paths = [parse_claim_path(p) for p in disclosable]
    for path in paths:
        if len(path) == 1 and path[0] in _NOT_DISCLOSABLE:
            raise ProofError(
                f"{format_claim_path(path)} must stay visible in an SD-JWT VC",
                code="sd_jwt.claim_not_disclosable",
            )
    concealer = Concealer(paths, sd_alg, salt or random_salt, decoys)
    payload: dict[str, Any] = concealer.conceal(claims)
    missing = sorted(format_claim_path(p) for p in set(paths) - concealer.found)
    if missing:
        raise InvalidInputError(f"no claim at {', '.join(missing)}", code="sd_jwt.path_not_found")
    payload["_sd_alg"] = sd_alg
    if holder_key is not None:
        payload["cnf"] = {"jwk": holder_key.to_jwk()}
    header: dict[str, Any] = {"alg": key.public_key.jws_alg, "typ": typ}
    if kid is not None:
        header["kid"] = kid
    jwt = _sign_jws(header, payload, key)
    return "~".join([jwt, *(d.encoded for d in concealer.disclosures), ""])


# -- the holder ------------------------------------------------------------------------------


def split_sd_jwt(token: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[str], str]:
    """Split ``<jwt>~<d1>~…~<dn>~[<kb-jwt>]`` into the JWT, the disclosures, and the KB-JWT ('' if none)."""
    if not isinstance(token, str):
        raise InvalidInputError("an SD-JWT is a string", code="sd_jwt.malformed")
    if len(token) > limits.max_document_bytes:
        raise LimitExceededError(
            f"SD-JWT of {len(token)} characters exceeds {limits.max_document_bytes}",
            code="input.too_large",
        )
    parts = token.strip().split("~")
    if len(parts) < 2 or not parts[0]:
        raise ProofError("an SD-JWT is <jwt>~<disclosures>~[<kb-jwt>]", code="sd_jwt.malformed")
    disclosures = parts[1:-1]
    if len(disclosures) > limits.max_disclosures:
        raise LimitExceededError(
            f"more than {limits.max_disclosures} disclosures", code="input.limit_exceeded"
        )
    if any(not d for d in disclosures):
        raise ProofError("an SD-JWT has an empty disclosure", code="sd_jwt.malformed")
    return parts[0], disclosures, parts[-1]


def _sd_alg_of(payload: Mapping[str, Any]) -> str:
    sd_alg = payload.get("_sd_alg", "sha-256")
    if sd_alg not in HASHES:
        raise ProofError(f"_sd_alg {sd_alg!r} is not supported", code="sd_jwt.sd_alg_unsupported")
    return str(sd_alg)


def present_sd_jwt(
    sd_jwt: str,
    disclose: Iterable[str],
    *,
    holder_key: PrivateKey | None = None,
    nonce: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """Keep the disclosures needed for the ``disclose`` paths, and add a KB-JWT with ``holder_key``.

    Disclosing a path reveals the claims on the way to it and everything below
    it. With ``holder_key`` both ``nonce`` and ``audience`` are required and
    the key must be the one in ``cnf`` (RFC 9901 §4.3).
    """
    jwt, encoded, kb = split_sd_jwt(sd_jwt, limits)
    if kb:
        raise InvalidInputError("this SD-JWT is already a presentation", code="sd_jwt.malformed")
    payload = _parse_jws(jwt, limits, "sd_jwt.malformed", "issuer-signed JWT").payload
    sd_alg = _sd_alg_of(payload)
    revealer = Revealer(
        [decode_disclosure(e, sd_alg, limits) for e in encoded], limits.max_json_depth
    )
    full = revealer.reveal(payload)
    wanted = [parse_claim_path(p) for p in disclose]
    missing = [format_claim_path(p) for p in wanted if not path_exists(full, p)]
    if missing:
        raise InvalidInputError(f"no claim at {', '.join(missing)}", code="sd_jwt.path_not_found")
    kept = [
        e for e in encoded if any(related(revealer.paths[digest_of(e, sd_alg)], p) for p in wanted)
    ]
    presentation = "~".join([jwt, *kept, ""])
    if holder_key is None:
        if nonce is not None or audience is not None:
            raise InvalidInputError(
                "nonce and audience need a holder key", code="sd_jwt.kb_params_missing"
            )
        return presentation
    if not isinstance(nonce, str) or not isinstance(audience, str):
        raise InvalidInputError(
            "key binding needs a nonce and an audience", code="sd_jwt.kb_params_missing"
        )
    if _cnf_key(payload) != holder_key.public_key:
        raise ProofError(
            "the holder key is not the key in the credential's cnf",
            code="sd_jwt.holder_key_mismatch",
        )
    moment = now or utc_now()
    kb_payload = {
        "iat": int(moment.timestamp()),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": _sd_hash(presentation, sd_alg),
    }
    header = {"alg": holder_key.public_key.jws_alg, "typ": KB_JWT_TYPE}
    return presentation + _sign_jws(header, kb_payload, holder_key)


def _sd_hash(presentation: str, sd_alg: str) -> str:
    return b64url_encode(HASHES[sd_alg](presentation.encode("ascii")).digest())


def _cnf_key(payload: Mapping[str, Any]) -> PublicKey:
    cnf = payload.get("cnf")
    if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
        raise ProofError("the credential has no cnf.jwk holder key", code="sd_jwt.cnf_missing")
    jwk = cnf["jwk"]
    if "d" in jwk:
        raise ProofError("cnf.jwk holds a private key", code="sd_jwt.cnf_invalid")
    try:
        return PublicKey.from_jwk(jwk)
    except DidGovError as exc:
        raise ProofError(f"cnf.jwk: {exc.message}", code="sd_jwt.cnf_invalid") from None


# -- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SdJwtVerification:
    """The result of verifying an SD-JWT: the checks in order, and the disclosed claims.

    ``claims`` is the processed payload (RFC 9901 §7.1): always-visible claims
    plus the disclosed ones, without ``_sd``/``_sd_alg``; None when the
    signature did not verify. ``key_bound`` is true when a KB-JWT verified.
    """

    checks: tuple[Check, ...]
    claims: dict[str, Any] | None = None
    header: dict[str, Any] | None = field(default=None, repr=False)
    key_bound: bool = False

    @property
    def verified(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)


@dataclass(frozen=True)
class _Expect:
    nonce: str | None
    audience: str | None
    now: float
    skew: float
    kb_max_age: float
    require_kb: bool
    types: Collection[str] | None
    limits: Limits


def _numeric(payload: Mapping[str, Any], name: str) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProofError(f"{name} is not a NumericDate", code="sd_jwt.time_invalid")
    return float(value)


def _validity_check(payload: Mapping[str, Any], want: _Expect) -> Check:
    try:
        exp, nbf, iat = (_numeric(payload, n) for n in ("exp", "nbf", "iat"))
    except ProofError as exc:
        return fail("validity", exc.code, exc.message)
    if exp is not None and want.now - want.skew >= exp:
        return fail("validity", "sd_jwt.expired", f"expired at {int(exp)} (exp)")
    if nbf is not None and want.now + want.skew < nbf:
        return fail("validity", "sd_jwt.not_yet_valid", f"not valid before {int(nbf)} (nbf)")
    if iat is not None and want.now + want.skew < iat:
        return fail("validity", "sd_jwt.iat_in_future", f"issued in the future ({int(iat)})")
    return ok("validity", "exp, nbf and iat hold")


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and hmac.compare_digest(a.encode(), b.encode())


def _kb_checks(
    kb_text: str, presented: str, payload: Mapping[str, Any], sd_alg: str, want: _Expect
) -> list[Check]:
    """RFC 9901 §7.3: the Key Binding JWT, signed by the ``cnf`` key, bound to this presentation."""
    try:
        kb = _parse_jws(kb_text, want.limits, "sd_jwt.kb_malformed", "KB-JWT")
        holder = _cnf_key(payload)
    except ProofError as exc:
        return [fail("key_binding", exc.code, exc.message)]
    if kb.header.get("typ") != KB_JWT_TYPE:
        return [fail("key_binding", "sd_jwt.kb_typ_invalid", f"KB-JWT typ is not {KB_JWT_TYPE}")]
    problem = _alg_problem(kb.header, holder)
    if problem is not None:
        return [Check("key_binding", False, problem.code, "KB-JWT: " + problem.message)]
    if not _jws_verifies(kb, holder):
        return [
            fail(
                "key_binding",
                "sd_jwt.kb_signature_invalid",
                "the KB-JWT is not signed by the cnf key",
            )
        ]
    checks = [ok("key_binding", f"signed by the holder's {holder.key_type} key")]
    if _same(kb.payload.get("sd_hash"), _sd_hash(presented, sd_alg)):
        checks.append(ok("kb.sd_hash", "bound to these disclosures"))
    else:
        checks.append(
            fail("kb.sd_hash", "sd_jwt.kb_sd_hash_mismatch", "sd_hash is not this presentation's")
        )
    for name, member, expected, unchecked, mismatch in (
        ("kb.nonce", "nonce", want.nonce, "sd_jwt.kb_nonce_unchecked", "sd_jwt.kb_nonce_mismatch"),
        ("kb.audience", "aud", want.audience, "sd_jwt.kb_aud_unchecked", "sd_jwt.kb_aud_mismatch"),
    ):
        if expected is None:
            checks.append(Check(name, False, unchecked, f"no expected {member} was given", True))
        elif _same(kb.payload.get(member), expected):
            checks.append(ok(name, f"{member} matches"))
        else:
            checks.append(fail(name, mismatch, f"{member} is not the expected one"))
    checks.append(_freshness_check(kb.payload, want))
    return checks


def _freshness_check(kb_payload: Mapping[str, Any], want: _Expect) -> Check:
    try:
        iat, exp = _numeric(kb_payload, "iat"), _numeric(kb_payload, "exp")
    except ProofError as exc:
        return fail("kb.freshness", exc.code, exc.message)
    if iat is None:
        return fail("kb.freshness", "sd_jwt.time_invalid", "the KB-JWT has no iat")
    if iat > want.now + want.skew:
        return fail("kb.freshness", "sd_jwt.kb_iat_in_future", "KB-JWT issued in the future")
    if iat < want.now - want.kb_max_age - want.skew or (exp is not None and exp <= want.now):
        return fail(
            "kb.freshness",
            "sd_jwt.kb_stale",
            f"KB-JWT issued {int(want.now - iat)} s ago, beyond {int(want.kb_max_age)} s",
        )
    return ok("kb.freshness", f"issued {int(want.now - iat)} s ago")


def _issuer_checks(
    jws: _Jws, lookup: IssuerKeyLookup, unprotected: Mapping[str, Any], want: _Expect
) -> list[Check]:
    checks: list[Check] = []
    problem = _alg_problem(jws.header, None)
    if problem is not None:
        return [problem]
    typ = jws.header.get("typ")
    if want.types is not None and typ not in want.types:
        return [fail("typ", "sd_jwt.typ_invalid", f"typ {typ!r} is not {' or '.join(want.types)}")]
    try:
        key = lookup({**unprotected, **jws.header}, jws.payload)
    except DidGovError as exc:
        builder = unknown if exc.code in ("sd_jwt.issuer_key_unknown", "network.disabled") else fail
        return [builder("issuer_key", exc.code, exc.message)]
    checks.append(ok("issuer_key", f"{key.key_type} key found"))
    problem = _alg_problem(jws.header, key)
    if problem is not None:
        return [*checks, problem]
    if not _jws_verifies(jws, key):
        return [
            *checks,
            fail("signature", "sd_jwt.signature_invalid", "the issuer signature does not verify"),
        ]
    return [*checks, ok("signature", f"{jws.header['alg']} signature verifies")]


def _verify_compact(
    token: str, lookup: IssuerKeyLookup, unprotected: Mapping[str, Any], want: _Expect
) -> SdJwtVerification:
    try:
        jwt, encoded, kb = split_sd_jwt(token, want.limits)
        jws = _parse_jws(jwt, want.limits, "sd_jwt.malformed", "issuer-signed JWT")
    except DidGovError as exc:
        return SdJwtVerification((fail("format", exc.code, exc.message),))
    checks = [ok("format", f"SD-JWT with {len(encoded)} disclosure(s)")]
    checks += _issuer_checks(jws, lookup, unprotected, want)
    if not all(c.ok for c in checks):
        return SdJwtVerification(tuple(checks), header=jws.header)
    try:
        sd_alg = _sd_alg_of(jws.payload)
        revealer = Revealer(
            [decode_disclosure(e, sd_alg, want.limits) for e in encoded], want.limits.max_json_depth
        )
        claims = revealer.reveal(jws.payload)
        stray = revealer.unreferenced()
        if stray:
            raise ProofError(
                f"{len(stray)} disclosure(s) are not referenced by this credential",
                code="sd_jwt.disclosure_unreferenced",
            )
    except ProofError as exc:
        checks.append(fail("disclosures", exc.code, exc.message))
        return SdJwtVerification(tuple(checks), header=jws.header)
    claims.pop("_sd_alg", None)
    checks.append(ok("disclosures", f"{len(encoded)} disclosure(s) referenced once each"))
    checks.append(_validity_check(jws.payload, want))
    kb_checks = []
    if kb:
        kb_checks = _kb_checks(kb, token[: len(token) - len(kb)], jws.payload, sd_alg, want)
        checks += kb_checks
    elif want.require_kb or want.nonce is not None or want.audience is not None:
        checks.append(fail("key_binding", "sd_jwt.kb_missing", "no Key Binding JWT was presented"))
    key_bound = bool(kb_checks) and all(c.ok for c in kb_checks)
    return SdJwtVerification(tuple(checks), claims, jws.header, key_bound)


def _json_serialization(data: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """RFC 9901 §8: each signature of a flattened or general JWS JSON serialization, as compact."""
    signatures = data.get("signatures", [data])
    payload = data.get("payload")
    if not isinstance(signatures, list) or not signatures or not isinstance(payload, str):
        raise ProofError("not an SD-JWT JWS JSON serialization", code="sd_jwt.malformed")
    first = signatures[0].get("header", {}) if isinstance(signatures[0], dict) else {}
    disclosures, kb = first.get("disclosures", []), first.get("kb_jwt", "")
    if not isinstance(disclosures, list) or not all(isinstance(d, str) for d in disclosures):
        raise ProofError("disclosures is an array of strings", code="sd_jwt.malformed")
    if not isinstance(kb, str):
        raise ProofError("kb_jwt is a string", code="sd_jwt.malformed")
    out = []
    for entry in signatures:
        if not isinstance(entry, dict):
            raise ProofError("a signature entry is an object", code="sd_jwt.malformed")
        protected, signature = entry.get("protected"), entry.get("signature")
        header = entry.get("header", {})
        if not isinstance(protected, str) or not isinstance(signature, str):
            raise ProofError("protected and signature are strings", code="sd_jwt.malformed")
        if not isinstance(header, dict):
            raise ProofError("header is an object", code="sd_jwt.malformed")
        unprotected = {k: v for k, v in header.items() if k not in ("disclosures", "kb_jwt")}
        compact = "~".join([f"{protected}.{payload}.{signature}", *disclosures, kb])
        out.append((compact, unprotected))
    return out


def _lookup_of(issuer_key: PublicKey | IssuerKeyLookup) -> IssuerKeyLookup:
    if isinstance(issuer_key, PublicKey):
        return lambda _header, _payload: issuer_key
    return issuer_key


def verify_sd_jwt(
    token: str | Mapping[str, Any],
    issuer_key: PublicKey | IssuerKeyLookup,
    *,
    nonce: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
    require_key_binding: bool = False,
    key_binding_max_age: timedelta = timedelta(minutes=5),
    clock_skew: timedelta = timedelta(minutes=5),
    accepted_types: Collection[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> SdJwtVerification:
    """Verify an SD-JWT or SD-JWT+KB (RFC 9901 §7), compact or JWS JSON serialization.

    ``issuer_key`` is the issuer's key or a lookup from header and payload to
    it. ``accepted_types`` restricts the JWT ``typ`` (None: any). Giving a
    ``nonce`` or ``audience`` (or ``require_key_binding``) makes a missing
    KB-JWT fail; a KB-JWT checked without them reports those checks as not run.
    Never raises for invalid input.
    """
    moment = now or utc_now()
    want = _Expect(
        nonce,
        audience,
        moment.timestamp(),
        clock_skew.total_seconds(),
        key_binding_max_age.total_seconds(),
        require_key_binding,
        accepted_types,
        limits,
    )
    lookup = _lookup_of(issuer_key)
    if isinstance(token, Mapping):
        try:
            candidates = _json_serialization(token)
        except ProofError as exc:
            return SdJwtVerification((fail("format", exc.code, exc.message),))
        results = [_verify_compact(c, lookup, u, want) for c, u in candidates]
        return next((r for r in results if r.verified), results[0])
    return _verify_compact(token, lookup, {}, want)
