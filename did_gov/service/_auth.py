"""Who may call what: OAuth 2.0 JWT access tokens, static API tokens, scopes, rate limits.

``Authorization: Bearer <token>`` carries either an RFC 9068 JWT access token, signed by a
configured authorization server key (``typ`` ``at+jwt``; ``iss``, ``aud``, ``exp`` checked;
scopes from ``scope``), or a static API token, of which only SHA-256 is configured and
compared in constant time. Each protected endpoint needs one scope
(:data:`SCOPES`); verification may be public by configuration. Rate limits are a token
bucket per client (the token's name or subject, else the peer address).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from did_gov._asgi import ProblemError, RateLimiter
from did_gov.errors import DidGovError, InvalidInputError
from did_gov.keys import KeyType, PublicKey

__all__ = [
    "SCOPES",
    "ApiToken",
    "DEFAULT_MAX_TOKEN_LIFETIME",
    "AuthConfig",
    "Authenticator",
    "OAuthIssuer",
    "token_digest",
]

SCOPES = ("credentials:issue", "credentials:status", "credentials:verify", "exchanges", "metrics")
"""The scopes a token may carry; each protected endpoint needs one of them."""

_ALGS = {"EdDSA": KeyType.ED25519, "ES256": KeyType.P256, "ES384": KeyType.P384}
_TYPS = ("at+jwt", "application/at+jwt")
_MIN_TOKEN_BYTES = 16
_VERIFIED_TOKENS = 1024
DEFAULT_MAX_TOKEN_LIFETIME = timedelta(hours=1)
"""The longest an OAuth access token may live (``exp - iat``) unless configured otherwise."""


def token_digest(token: str) -> bytes:
    """SHA-256 of an API token (UTF-8): what the configuration holds instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def _config_error(message: str) -> InvalidInputError:
    return InvalidInputError(message, code="service.config_invalid")


def _scopes(values: Any, where: str) -> frozenset[str]:
    if not isinstance(values, list | tuple | frozenset | set) or not all(
        isinstance(v, str) for v in values
    ):
        raise _config_error(f"{where}: scopes is a list of strings")
    unknown = sorted(set(values) - set(SCOPES))
    if unknown:
        raise _config_error(f"{where}: unknown scope(s) {', '.join(unknown)}")
    return frozenset(values)


@dataclass(frozen=True)
class ApiToken:
    """A static API token: its name (the actor in the audit trail), SHA-256, scopes."""

    name: str
    sha256: bytes
    scopes: frozenset[str]

    def __post_init__(self) -> None:
        if not isinstance(self.sha256, bytes) or len(self.sha256) != 32:
            raise _config_error(f"token {self.name!r}: sha256 is 32 bytes (64 hex digits)")
        _scopes(self.scopes, f"token {self.name!r}")


@dataclass(frozen=True)
class OAuthIssuer:
    """An authorization server whose JWT access tokens are accepted: ``iss``, ``aud``, keys.

    ``max_lifetime`` bounds how long a token may live (``exp`` after ``iat``, or after now
    without ``iat``): a leaked long-lived token is refused rather than honoured for days.
    """

    issuer: str
    audience: str
    keys: tuple[tuple[str | None, PublicKey], ...]
    clock_skew: timedelta = timedelta(seconds=60)
    max_lifetime: timedelta = DEFAULT_MAX_TOKEN_LIFETIME

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience or not self.keys:
            raise _config_error("an OAuth issuer needs issuer, audience and at least one key")
        if self.max_lifetime <= timedelta(0):
            raise _config_error("an OAuth issuer's max_lifetime is a positive duration")


@dataclass(frozen=True)
class AuthConfig:
    """The service's authentication: tokens, OAuth issuers, public verification, rate limit.

    ``rate`` requests a second per client (``burst`` saved up); None: no limit.
    """

    tokens: tuple[ApiToken, ...] = ()
    oauth: tuple[OAuthIssuer, ...] = ()
    public_verify: bool = False
    rate: float | None = None
    burst: int = 50
    public_metrics: bool = False
    """``GET /metrics`` without a token. Off by default: on a quiet instance the counters tell
    an onlooker how one exchange ended (approved or denied), which the response code hides."""

    def __post_init__(self) -> None:
        names = [t.name for t in self.tokens]
        if len(set(names)) != len(names):
            raise _config_error("two API tokens have the same name")


@dataclass(frozen=True)
class Caller:
    """Who made a request: the actor recorded in the audit trail, and their scopes."""

    actor: str
    scopes: frozenset[str]


_ANONYMOUS = Caller("anonymous", frozenset())
_UNRESTRICTED = Caller("no-auth", frozenset(SCOPES))


class Authenticator:
    """Checks a request's bearer token and scope, and its client's rate (``specs/service.md`` §5)."""

    def __init__(self, config: AuthConfig | None) -> None:
        """``config`` None: no authentication (``--no-auth``); every caller has every scope."""
        self.config = config
        rate = config.rate if config is not None else None
        self.limiter = RateLimiter(rate, config.burst) if config and rate else None
        self._verified: OrderedDict[bytes, tuple[Caller, float]] = OrderedDict()
        self._verified_lock = threading.Lock()

    def check_rate(self, client: str) -> None:
        """429 ``service.rate_limited`` (with Retry-After) when ``client`` is over its rate."""
        if self.limiter is not None and not self.limiter.allow(client):
            raise ProblemError(
                429,
                "service.rate_limited",
                "too many requests; slow down",
                {"Retry-After": str(self.limiter.retry_after(client))},
            )

    def caller(self, authorization: str | None) -> Caller:
        """The caller an ``Authorization`` header names (anonymous without one); 401 if invalid."""
        if self.config is None:
            return _UNRESTRICTED
        if authorization is None:
            return _ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("use Authorization: Bearer <token>")
        if token.count(".") == 2 and self.config.oauth:
            return self._access_token(token)
        return self._api_token(token)

    def authorize(self, caller: Caller, scope: str) -> None:
        """401 for an anonymous caller, 403 when the caller lacks ``scope``."""
        if self.config is not None and (
            (scope == "credentials:verify" and self.config.public_verify)
            or (scope == "metrics" and self.config.public_metrics)
        ):
            return
        if scope in caller.scopes:
            return
        if caller is _ANONYMOUS:
            raise _unauthorized(f"this endpoint needs a token with scope {scope}")
        raise ProblemError(
            403,
            "service.forbidden",
            f"the token lacks scope {scope}",
            {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )

    def _api_token(self, token: str) -> Caller:
        assert self.config is not None  # noqa: S101 - caller() checked it
        digest = token_digest(token)
        found: ApiToken | None = None
        for candidate in self.config.tokens:  # every one compared: no early exit
            if hmac.compare_digest(candidate.sha256, digest) and found is None:
                found = candidate
        if found is None or len(token.encode("utf-8")) < _MIN_TOKEN_BYTES:
            raise _unauthorized("the token is not valid")
        return Caller(f"token:{found.name}", found.scopes)

    def _access_token(self, token: str) -> Caller:
        """The caller of a JWT access token: checked in full once, then remembered until it
        expires (its SHA-256 as the key; at most ``_VERIFIED_TOKENS`` kept, oldest dropped),
        so a client reusing its token does not pay a signature check per request."""
        assert self.config is not None  # noqa: S101 - caller() checked it
        now = time.time()
        key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        with self._verified_lock:
            known = self._verified.get(key)
        if known is not None and now <= known[1]:
            return known[0]
        try:
            caller, until = _check_access_token(token, self.config.oauth, now)
        except DidGovError as exc:
            raise _unauthorized(f"the access token is not valid: {exc.message}") from None
        with self._verified_lock:
            self._verified[key] = (caller, until)
            while len(self._verified) > _VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return caller


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, "service.unauthorized", detail, {"WWW-Authenticate": 'Bearer realm="did-gov"'}
    )


def _refuse(message: str) -> InvalidInputError:
    return InvalidInputError(message, code="service.unauthorized")


def _check_access_token(
    token: str, issuers: tuple[OAuthIssuer, ...], now: float
) -> tuple[Caller, float]:
    """RFC 9068 §4: typ at+jwt, a configured issuer's key, aud, exp/nbf/iat, then the scopes.

    Returns the caller and the time until which the token stays valid (``exp`` + skew).
    """
    from jwcrypto.common import JWException
    from jwcrypto.jws import JWSCore

    from did_gov.proofs.jose import _public_jwk, decode_unverified

    parsed = decode_unverified(token)
    header, claims = parsed.header, parsed.payload
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _ALGS or header.get("typ") not in _TYPS:
        raise _refuse("header: alg EdDSA/ES256/ES384, typ at+jwt, no crit")
    if "crit" in header:
        raise _refuse("header: alg EdDSA/ES256/ES384, typ at+jwt, no crit")
    issuer = next((i for i in issuers if i.issuer == claims.get("iss")), None)
    if issuer is None:
        raise _refuse("iss is not a configured authorization server")
    kid = header.get("kid")
    keys = [k for (key_id, k) in issuer.keys if (kid is None or key_id == kid)]
    keys = [k for k in keys if k.key_type is _ALGS[str(alg)]]
    if not keys:
        raise _refuse("no key of the authorization server matches kid and alg")
    for key in keys:
        try:
            JWSCore(
                str(alg), _public_jwk(key), parsed.protected_json, parsed.payload_bytes, [alg]
            ).verify(parsed.signature)
            break
        except JWException:
            continue
    else:
        raise _refuse("the signature does not verify")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if issuer.audience not in audiences:
        raise _refuse("aud does not name this service")
    skew = issuer.clock_skew.total_seconds()
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if not isinstance(exp, int | float) or not _in_range(exp) or now > float(exp) + skew:
        raise _refuse("expired (or no exp)")
    if nbf is not None and (not _number(nbf) or not _in_range(nbf) or now + skew < float(nbf)):
        raise _refuse("not yet valid")
    if iat is not None and (not _number(iat) or not _in_range(iat) or now + skew < float(iat)):
        raise _refuse("issued in the future")
    lifetime = float(exp) - (now if iat is None else float(iat))
    if lifetime > issuer.max_lifetime.total_seconds() + (skew if iat is None else 0):
        raise _refuse(
            f"lives longer than {issuer.max_lifetime.total_seconds():.0f} s (exp - iat);"
            " this service accepts only short-lived access tokens"
        )
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise _refuse("scope is a space-separated string")
    subject = claims.get("client_id", claims.get("sub"))
    actor = (
        f"oauth:{issuer.issuer}#{subject}" if isinstance(subject, str) else f"oauth:{issuer.issuer}"
    )
    return Caller(actor, frozenset(scope.split()) & frozenset(SCOPES)), float(exp) + skew


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_MAX_NUMERIC_DATE = 2**53
"""NumericDate claims beyond this (year ~285 million) are refused, not turned into floats."""


def _in_range(value: Any) -> bool:
    """A number (not a boolean) within ±2**53 seconds (a huge integer would overflow ``float``)."""
    return _number(value) and bool(-_MAX_NUMERIC_DATE <= value <= _MAX_NUMERIC_DATE)


def read_auth(table: Mapping[str, Any], base: Any) -> AuthConfig:
    """The ``[auth]`` table of ``agency.toml`` (``specs/service.md`` §5); paths relative to ``base``."""
    from did_gov._json import parse_json
    from did_gov.proofs.jose import jwks_keys, parse_jwks

    allowed = {"public_verify", "public_metrics", "rate", "burst", "tokens", "oauth"}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _config_error(f"[auth]: unknown key(s) {', '.join(unknown)}")
    tokens = []
    for entry in table.get("tokens", []):
        if not isinstance(entry, Mapping) or set(entry) - {"name", "sha256", "scopes"}:
            raise _config_error("[[auth.tokens]] has name, sha256 and scopes")
        try:
            digest = bytes.fromhex(str(entry.get("sha256", "")))
        except ValueError:
            raise _config_error(f"token {entry.get('name')!r}: sha256 is hexadecimal") from None
        tokens.append(
            ApiToken(str(entry.get("name", "")), digest, _scopes(entry.get("scopes"), "token"))
        )
    oauth = []
    for entry in table.get("oauth", []):
        known = {"issuer", "audience", "jwks", "max_lifetime"}
        if not isinstance(entry, Mapping) or set(entry) - known:
            raise _config_error(
                "[[auth.oauth]] has issuer, audience, jwks (a file) and max_lifetime (seconds)"
            )
        max_lifetime = entry.get("max_lifetime", DEFAULT_MAX_TOKEN_LIFETIME.total_seconds())
        if not _number(max_lifetime) or not 0 < max_lifetime <= _MAX_NUMERIC_DATE:
            raise _config_error("[[auth.oauth]] max_lifetime is a positive number of seconds")
        path = base / str(entry.get("jwks", ""))
        try:
            jwks = parse_jwks(parse_json(path.read_bytes()))
        except (OSError, DidGovError) as exc:
            raise _config_error(f"[[auth.oauth]] jwks {path}: {exc}") from None
        oauth.append(
            OAuthIssuer(
                str(entry.get("issuer", "")),
                str(entry.get("audience", "")),
                tuple(jwks_keys(jwks)),
                max_lifetime=timedelta(seconds=float(max_lifetime)),
            )
        )
    rate = table.get("rate")
    if rate is not None and (not _number(rate) or rate <= 0):
        raise _config_error("[auth] rate is a positive number of requests a second")
    burst = table.get("burst", 50)
    if not isinstance(burst, int) or isinstance(burst, bool) or burst < 1:
        raise _config_error("[auth] burst is a positive integer")
    public = table.get("public_verify", False)
    public_metrics = table.get("public_metrics", False)
    if not isinstance(public, bool) or not isinstance(public_metrics, bool):
        raise _config_error("[auth] public_verify and public_metrics are true or false")
    if not tokens and not oauth:
        raise _config_error("[auth] configures no token and no OAuth issuer: nobody could call")
    return AuthConfig(
        tuple(tokens),
        tuple(oauth),
        public,
        None if rate is None else float(rate),
        burst,
        public_metrics=public_metrics,
    )
