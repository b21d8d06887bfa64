"""The rules VC-JOSE verification applies around the signature: header, media types, JWT claims.

Private to :mod:`did_gov.proofs.jose`. Each rule raises ``_Failed`` carrying
the check that failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from did_gov.credentials import format_datetime, parse_datetime
from did_gov.errors import DidGovError
from did_gov.keys import KeyType
from did_gov.proofs._result import Check, fail, ok

ALGORITHMS: Mapping[str, KeyType] = {
    "EdDSA": KeyType.ED25519,
    "ES256": KeyType.P256,
    "ES384": KeyType.P384,
}
"""The only JWS ``alg`` values accepted, each bound to the one key type it may be used with."""

Kind = Literal["credential", "presentation"]
"""What a token secures: a credential (``vc+jwt``) or a presentation (``vp+jwt``)."""
_TYP = {"credential": "vc+jwt", "presentation": "vp+jwt"}
_CTY = {"credential": "vc", "presentation": "vp"}


class _Failed(Exception):
    def __init__(self, check: Check) -> None:
        super().__init__(check.message)
        self.check = check


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _numeric_date(claims: Mapping[str, Any], name: str) -> datetime | None:
    """RFC 7519 §2 NumericDate; None when absent."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Failed(fail("claims", "jose.claim_invalid", f"{name} is not a NumericDate"))
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _Failed(fail("claims", "jose.claim_invalid", f"{name} is out of range")) from None


def _issued_at(claims: Mapping[str, Any]) -> datetime | None:
    """``iat``: a NumericDate (RFC 7519); an ISO date-time string is read too (see below).

    The W3C VC-JOSE-COSE test suite writes ``iat`` as a string. It is only
    ever used to refuse a token issued in the future, so reading that
    spelling costs no safety; anything else is rejected.
    """
    value = claims.get("iat")
    if isinstance(value, str):
        try:
            return parse_datetime(value, field="iat")
        except DidGovError:
            raise _Failed(
                fail("claims", "jose.claim_invalid", "iat is neither a NumericDate nor a date-time")
            ) from None
    return _numeric_date(claims, "iat")


def _kind_of(header: Mapping[str, Any], claims: Mapping[str, Any]) -> tuple[Kind, bool]:
    """Which securing this is (VC-JOSE-COSE §3.1, VCDM 1.1 §6.3.1), from ``typ``, ``cty`` and the claims."""
    typ, cty = header.get("typ"), header.get("cty")
    legacy = "@context" not in claims and ("vc" in claims or "vp" in claims)
    if legacy:
        if typ is not None and typ not in ("JWT", "application/jwt"):
            raise _Failed(
                fail("header", "jose.typ_invalid", f"typ {typ!r} for a VCDM 1.1 JWT (want JWT)")
            )
        if cty is not None:
            raise _Failed(fail("header", "jose.cty_invalid", "a VCDM 1.1 JWT has no cty"))
        if "vc" in claims and "vp" in claims:
            raise _Failed(fail("claims", "jose.claim_invalid", "both vc and vp claims"))
        return ("credential" if "vc" in claims else "presentation"), True
    if "vc" in claims or "vp" in claims:  # VC-JOSE-COSE §3: the payload is the VCDM document
        raise _Failed(
            fail("claims", "jose.claim_invalid", "a vc+jwt/vp+jwt payload carries a vc or vp claim")
        )
    bare = typ.removeprefix("application/") if isinstance(typ, str) else typ
    kinds = {v: k for k, v in _TYP.items()}
    if bare not in kinds:
        raise _Failed(
            fail("header", "jose.typ_invalid", f"typ is {typ!r}, expected vc+jwt or vp+jwt")
        )
    kind: Kind = "credential" if kinds[bare] == "credential" else "presentation"
    if cty is not None and (
        not isinstance(cty, str) or cty.removeprefix("application/") != _CTY[kind]
    ):
        raise _Failed(fail("header", "jose.cty_invalid", f"cty is {cty!r} for {_TYP[kind]}"))
    wanted = "VerifiableCredential" if kind == "credential" else "VerifiablePresentation"
    if wanted not in _as_list(claims.get("type")):
        raise _Failed(
            fail("header", "jose.typ_invalid", f"typ {bare} but the payload is not a {wanted}")
        )
    return kind, False


def _check_header(header: Mapping[str, Any]) -> KeyType:
    """RFC 8725 §3.1 and RFC 7515 §4.1.11: a fixed algorithm list, no critical extensions."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise _Failed(
            fail(
                "header",
                "alg.unsupported",
                f"alg {alg!r} is not accepted (only {', '.join(ALGORITHMS)}; never none or HMAC)",
            )
        )
    if "crit" in header:
        raise _Failed(
            fail("header", "jws.crit_unsupported", f"critical header(s) {header['crit']!r}")
        )
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise _Failed(fail("header", "jose.kid_invalid", "kid is not a non-empty string"))
    return ALGORITHMS[alg]


def _legacy_document(kind: Kind, claims: Mapping[str, Any]) -> dict[str, Any]:
    """VCDM 1.1 §6.3.1 JWT decoding: fold iss/sub/nbf/exp/jti back into the vc (or vp)."""
    inner = claims["vc" if kind == "credential" else "vp"]
    if not isinstance(inner, dict):
        raise _Failed(fail("claims", "jose.claim_invalid", "the vc/vp claim is not an object"))
    doc = dict(inner)
    for claim in ("iss", "jti", "sub"):
        if claim in claims and not isinstance(claims[claim], str):
            raise _Failed(fail("claims", "jose.claim_invalid", f"{claim} is not a string"))
    if "jti" in claims:
        _same("jti", claims["jti"], doc.get("id"))
        doc["id"] = claims["jti"]
    if kind == "presentation":
        if "iss" in claims:
            _same("iss", claims["iss"], doc.get("holder"))
            doc["holder"] = claims["iss"]
        return doc
    if "iss" in claims:
        issuer = doc.get("issuer")
        _same("iss", claims["iss"], _id_of(issuer))
        doc["issuer"] = (
            {**issuer, "id": claims["iss"]} if isinstance(issuer, dict) else claims["iss"]
        )
    if "sub" in claims and isinstance(doc.get("credentialSubject"), dict):
        subject = doc["credentialSubject"]
        _same("sub", claims["sub"], subject.get("id"))
        doc["credentialSubject"] = {**subject, "id": claims["sub"]}
    for claim, field in (("nbf", "issuanceDate"), ("exp", "expirationDate")):
        moment = _numeric_date(claims, claim)
        if moment is not None:
            doc[field] = format_datetime(moment)
    return doc


def _same(claim: str, value: Any, member: Any) -> None:
    if member is not None and member != value:
        raise _Failed(
            fail("claims", "jose.claim_mismatch", f"{claim} {value!r} contradicts {member!r}")
        )


def _registered_claims(kind: Kind, claims: Mapping[str, Any]) -> None:
    """VC-JOSE-COSE §3.1.3: JWT claims, when present, must agree with the VC properties."""
    if "iss" in claims:
        owner = claims.get("issuer") if kind == "credential" else claims.get("holder")
        if _id_of(owner) != claims["iss"]:
            what = "issuer" if kind == "credential" else "holder"
            raise _Failed(
                fail(
                    "claims",
                    "jose.claim_mismatch",
                    f"iss {claims['iss']!r} is not the {what} {_id_of(owner)!r}",
                )
            )
    if "jti" in claims and "id" in claims:
        _same("jti", claims["jti"], claims["id"])
    subjects = _as_list(claims.get("credentialSubject", []))
    if "sub" in claims and kind == "credential" and len(subjects) == 1:
        _same("sub", claims["sub"], _id_of(subjects[0]))


def _binding(
    claims: Mapping[str, Any], kind: Kind, nonce: str | None, audience: str | None
) -> None:
    """The verifier's request: ``nonce`` must match, ``aud`` must name the expected audience."""
    if nonce is not None:
        if "nonce" not in claims:
            raise _Failed(fail("binding", "jose.nonce_missing", "the token carries no nonce"))
        if claims["nonce"] != nonce:
            raise _Failed(
                fail("binding", "jose.nonce_mismatch", "the token's nonce is not the expected one")
            )
    if audience is not None and audience not in _as_list(claims.get("aud", [])):
        raise _Failed(
            fail("binding", "jose.audience_mismatch", f"the token is not for audience {audience!r}")
        )


def _time_checks(claims: Mapping[str, Any], now: datetime, skew: timedelta) -> Check:
    """RFC 7519 §4.1.4–4.1.6: exp, nbf and iat against the verification time."""
    expires, not_before, issued = (
        _numeric_date(claims, "exp"),
        _numeric_date(claims, "nbf"),
        _issued_at(claims),
    )
    if expires is not None and now - skew >= expires:
        return fail("jwt-validity", "credential.expired", f"exp {format_datetime(expires)} passed")
    if not_before is not None and now + skew < not_before:
        return fail(
            "jwt-validity", "credential.not_yet_valid", f"nbf is {format_datetime(not_before)}"
        )
    if issued is not None and now + skew < issued:
        return fail("jwt-validity", "credential.issued_in_future", f"iat {format_datetime(issued)}")
    return ok("jwt-validity", "exp/nbf/iat hold")
