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

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from did_gov._json import check_size
from did_gov.credentials import utc_now
from did_gov.errors import (
    DidGovError,
    InvalidInputError,
    LimitExceededError,
    ProofError,
    UnsupportedAlgorithmError,
)
from did_gov.keys import PublicKey, Signer
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._result import Check, fail, shared_ok, unknown
from did_gov.proofs._sd_jwt_checks import Expect, json_serialization, kb_checks, validity_check
from did_gov.proofs._sd_jwt_disclosures import (
    HASHES,
    Concealer,
    Revealer,
    SaltSource,
    decode_disclosure,
    digest_of,
    format_claim_path,
    parse_claim_path,
    parse_claim_paths,
    path_exists,
    random_salt,
    related,
)
from did_gov.proofs._sd_jwt_jose import (
    KB_JWT_TYPE,
    Jws,
    alg_problem,
    cnf_key,
    jws_verifies,
    parse_jws,
    sd_hash,
    sign_jws,
)

__all__ = [
    "KB_JWT_TYPE",
    "MEDIA_TYPE",
    "NOT_DISCLOSABLE",
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

NOT_DISCLOSABLE = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})
"""Claims of an SD-JWT VC that must stay visible, with everything in them (SD-JWT VC §3.2.2)."""

IssuerKeyLookup = Callable[[Mapping[str, Any], Mapping[str, Any]], PublicKey]
"""Finds the issuer's key from the (unverified) JWT header and payload; raises DidGovError."""


# -- issuance --------------------------------------------------------------------------------


def issue_sd_jwt(
    claims: Mapping[str, Any],
    key: Signer,
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
    below another disclosable path gives a recursive disclosure. Every object
    with disclosable members also gets between ``decoys`` and ``2 * decoys``
    decoy digests (CSPRNG-chosen count), so the number of hidden claims does
    not show. ``salt`` is a zero-argument callable returning a salt of ≥128
    bits (default: 128 bits from :mod:`secrets`); inject one only in tests.
    ``holder_key`` becomes ``cnf.jwk``; ``kid`` and ``typ`` go in the header.
    Returns the ``~``-joined issuance ``<jwt>~<disclosure>~…~``.
    """
    if not isinstance(claims, Mapping):
        raise InvalidInputError("SD-JWT claims are a JSON object")
    if not isinstance(sd_alg, str) or sd_alg not in HASHES:
        raise UnsupportedAlgorithmError(f"_sd_alg {sd_alg!r} is not supported")
    if not isinstance(decoys, int) or decoys < 0:
        raise InvalidInputError("decoys is a non-negative integer")
    if holder_key is not None and "cnf" in claims:
        raise InvalidInputError("claims already carry cnf; pass holder_key or cnf, not both")
    paths = parse_claim_paths(disclosable)
    for path in paths:
        if path and path[0] in NOT_DISCLOSABLE:  # nor anything in them (a withheld status entry)
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
    jwt = sign_jws(header, payload, key)
    return "~".join([jwt, *(d.encoded for d in concealer.disclosures), ""])


# -- the holder ------------------------------------------------------------------------------


def split_sd_jwt(token: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[str], str]:
    """Split ``<jwt>~<d1>~…~<dn>~[<kb-jwt>]`` into the JWT, the disclosures, and the KB-JWT ('' if none)."""
    if not isinstance(token, str):
        raise InvalidInputError("an SD-JWT is a string", code="sd_jwt.malformed")
    check_size(token, limits, "SD-JWT")
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
    if not isinstance(sd_alg, str) or sd_alg not in HASHES:
        raise ProofError(f"_sd_alg {sd_alg!r} is not supported", code="sd_jwt.sd_alg_unsupported")
    return str(sd_alg)


def present_sd_jwt(
    sd_jwt: str,
    disclose: Iterable[str],
    *,
    holder_key: Signer | None = None,
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
    payload = parse_jws(jwt, limits, "sd_jwt.malformed", "issuer-signed JWT").payload
    sd_alg = _sd_alg_of(payload)
    revealer = Revealer(
        [decode_disclosure(e, sd_alg, limits) for e in encoded], limits.max_json_depth
    )
    full = revealer.reveal(payload)
    if revealer.unreferenced():
        raise ProofError(
            "the SD-JWT carries disclosures its payload does not reference",
            code="sd_jwt.disclosure_unreferenced",
        )
    wanted = parse_claim_paths(disclose)
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
    if cnf_key(payload) != holder_key.public_key:
        raise ProofError(
            "the holder key is not the key in the credential's cnf",
            code="sd_jwt.holder_key_mismatch",
        )
    moment = now or utc_now()
    kb_payload = {
        "iat": int(moment.timestamp()),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_hash(presentation, sd_alg),
    }
    header = {"alg": holder_key.public_key.jws_alg, "typ": KB_JWT_TYPE}
    return presentation + sign_jws(header, kb_payload, holder_key)


# -- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SdJwtVerification:
    """The result of verifying an SD-JWT: the checks in order, and the disclosed claims.

    ``claims`` is the processed payload (RFC 9901 §7.1): always-visible claims
    plus the disclosed ones, without ``_sd``/``_sd_alg``; None when the
    signature did not verify. ``key_bound`` is true when a KB-JWT verified.
    ``disclosed_paths`` names, for each disclosure presented, the claim it
    revealed in ``claims`` (member names, and array indices as decimal strings).
    """

    checks: tuple[Check, ...]
    claims: dict[str, Any] | None = None
    header: dict[str, Any] | None = field(default=None, repr=False)
    key_bound: bool = False
    disclosed_paths: tuple[tuple[str, ...], ...] = ()

    @property
    def verified(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)


def _issuer_checks(
    jws: Jws, lookup: IssuerKeyLookup, unprotected: Mapping[str, Any], want: Expect
) -> list[Check]:
    checks: list[Check] = []
    problem = alg_problem(jws.header, None)
    if problem is not None:
        return [problem]
    typ = jws.header.get("typ")
    if want.types is not None and (not isinstance(typ, str) or typ not in want.types):
        return [fail("typ", "sd_jwt.typ_invalid", f"typ {typ!r} is not {' or '.join(want.types)}")]
    try:
        key = lookup({**unprotected, **jws.header}, jws.payload)
    except DidGovError as exc:
        builder = unknown if exc.code in ("issuer.key_unknown", "network.disabled") else fail
        return [builder("issuer_key", exc.code, exc.message)]
    checks.append(shared_ok("issuer_key", f"{key.key_type} key found"))
    problem = alg_problem(jws.header, key)
    if problem is not None:
        return [*checks, problem]
    if not jws_verifies(jws, key):
        return [
            *checks,
            fail("signature", "signature.invalid", "the issuer signature does not verify"),
        ]
    return [*checks, shared_ok("signature", f"{jws.header['alg']} signature verifies")]


def _verify_compact(
    token: str, lookup: IssuerKeyLookup, unprotected: Mapping[str, Any], want: Expect
) -> SdJwtVerification:
    try:
        jwt, encoded, kb = split_sd_jwt(token, want.limits)
        jws = parse_jws(jwt, want.limits, "sd_jwt.malformed", "issuer-signed JWT")
    except DidGovError as exc:
        return SdJwtVerification((fail("format", exc.code, exc.message),))
    checks = [shared_ok("format", f"SD-JWT with {len(encoded)} disclosure(s)")]
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
    checks.append(shared_ok("disclosures", f"{len(encoded)} disclosure(s) referenced once each"))
    if want.check_times:
        checks.append(validity_check(jws.payload, want))
    bound: list[Check] = []
    if kb:
        bound = kb_checks(kb, token[: len(token) - len(kb)], jws.payload, sd_alg, want)
        checks += bound
    elif want.require_kb or want.nonce is not None or want.audience is not None:
        checks.append(fail("key_binding", "sd_jwt.kb_missing", "no Key Binding JWT was presented"))
    key_bound = bool(bound) and all(c.ok for c in bound)
    return SdJwtVerification(
        tuple(checks), claims, jws.header, key_bound, tuple(revealer.paths.values())
    )


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
    check_times: bool = True,
) -> SdJwtVerification:
    """Verify an SD-JWT or SD-JWT+KB (RFC 9901 §7), compact or JWS JSON serialization.

    ``issuer_key`` is the issuer's key or a lookup from header and payload to
    it. ``accepted_types`` restricts the JWT ``typ`` (None: any). Giving a
    ``nonce`` or ``audience`` (or ``require_key_binding``) makes a missing
    KB-JWT fail; a KB-JWT checked without them reports those checks as not run.
    ``check_times=False`` leaves ``exp``/``nbf``/``iat`` to the caller (the Verifier's
    validity step judges them for every format); the KB-JWT's freshness is still checked.
    Never raises for invalid input.
    """
    moment = now or utc_now()
    want = Expect(
        nonce,
        audience,
        moment.timestamp(),
        clock_skew.total_seconds(),
        key_binding_max_age.total_seconds(),
        require_key_binding,
        accepted_types,
        limits,
        check_times,
    )
    lookup = _lookup_of(issuer_key)
    if isinstance(token, Mapping):
        try:
            candidates = json_serialization(token)
        except ProofError as exc:
            return SdJwtVerification((fail("format", exc.code, exc.message),))
        results = [_verify_compact(c, lookup, u, want) for c, u in candidates]
        return next((r for r in results if r.verified), results[0])
    return _verify_compact(token.strip() if isinstance(token, str) else token, lookup, {}, want)
