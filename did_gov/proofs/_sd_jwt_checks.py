"""The verifier's checks after the issuer signature: validity dates and the Key Binding JWT
(RFC 9901 §7.3), and reading the JWS JSON serialization (§8). Private to
:mod:`did_gov.proofs.sd_jwt`."""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from did_gov._time import numeric_date
from did_gov.errors import DidGovError, ProofError
from did_gov.limits import Limits
from did_gov.proofs._result import Check, fail, ok, shared_ok
from did_gov.proofs._sd_jwt_jose import (
    KB_JWT_TYPE,
    alg_problem,
    cnf_key,
    jws_verifies,
    parse_jws,
    sd_hash,
)


@dataclass(frozen=True)
class Expect:
    nonce: str | None
    audience: str | None
    now: float
    skew: float
    kb_max_age: float
    require_kb: bool
    types: Collection[str] | None
    limits: Limits
    check_times: bool = True


def _numeric(
    payload: Mapping[str, Any], name: str, code: str | None = "sd_jwt.time_invalid"
) -> float | None:
    """A NumericDate claim, None when absent; ``code`` None keeps the ``credential.date_*`` code."""
    value = payload.get(name)
    if value is None:
        return None
    try:
        return numeric_date(value, field=name)
    except DidGovError as exc:
        raise ProofError(exc.message, code=code or exc.code) from None


def validity_check(payload: Mapping[str, Any], want: Expect) -> Check:
    try:
        exp, nbf, iat = (_numeric(payload, n, None) for n in ("exp", "nbf", "iat"))
    except ProofError as exc:
        return fail("validity", exc.code, exc.message)
    if exp is not None and want.now - want.skew >= exp:
        return fail("validity", "credential.expired", f"expired at {int(exp)} (exp)")
    if nbf is not None and want.now + want.skew < nbf:
        return fail("validity", "credential.not_yet_valid", f"not valid before {int(nbf)} (nbf)")
    if iat is not None and want.now + want.skew < iat:
        return fail("validity", "credential.issued_in_future", f"issued in the future ({int(iat)})")
    return ok("validity", "exp, nbf and iat hold")


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and hmac.compare_digest(a.encode(), b.encode())


def kb_checks(
    kb_text: str, presented: str, payload: Mapping[str, Any], sd_alg: str, want: Expect
) -> list[Check]:
    """RFC 9901 §7.3: the Key Binding JWT, signed by the ``cnf`` key, bound to this presentation."""
    try:
        kb = parse_jws(kb_text, want.limits, "sd_jwt.kb_malformed", "KB-JWT")
        holder = cnf_key(payload)
    except ProofError as exc:
        return [fail("key_binding", exc.code, exc.message)]
    if kb.header.get("typ") != KB_JWT_TYPE:
        return [fail("key_binding", "sd_jwt.kb_typ_invalid", f"KB-JWT typ is not {KB_JWT_TYPE}")]
    problem = alg_problem(kb.header, holder)
    if problem is not None:
        return [Check("key_binding", False, problem.code, "KB-JWT: " + problem.message)]
    if not jws_verifies(kb, holder):
        return [
            fail(
                "key_binding",
                "sd_jwt.kb_signature_invalid",
                "the KB-JWT is not signed by the cnf key",
            )
        ]
    checks = [shared_ok("key_binding", f"signed by the holder's {holder.key_type} key")]
    if _same(kb.payload.get("sd_hash"), sd_hash(presented, sd_alg)):
        checks.append(shared_ok("kb.sd_hash", "bound to these disclosures"))
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
            checks.append(shared_ok(name, f"{member} matches"))
        else:
            checks.append(fail(name, mismatch, f"{member} is not the expected one"))
    checks.append(_freshness_check(kb.payload, want))
    return checks


def _freshness_check(kb_payload: Mapping[str, Any], want: Expect) -> Check:
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


def json_serialization(data: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """RFC 9901 §8: each signature of a flattened or general JWS JSON serialization, as compact."""
    signatures = data.get("signatures", [data])
    payload = data.get("payload")
    if not isinstance(signatures, list) or not signatures or not isinstance(payload, str):
        raise ProofError("not an SD-JWT JWS JSON serialization", code="sd_jwt.malformed")
    first = signatures[0].get("header", {}) if isinstance(signatures[0], dict) else {}
    if not isinstance(first, dict):
        raise ProofError("header is an object", code="sd_jwt.malformed")
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
