"""Step 3 for VC-JOSE (``vc+jwt``/``vp+jwt``, VCDM 1.1 JWTs): the JWS, its signer, the shared value."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from did_gov.keys import PublicKey
from did_gov.limits import Limits
from did_gov.proofs import jose
from did_gov.proofs._result import Check, fail
from did_gov.verify._adapter_di import shape_checks, subject_ids, types_of, vcdm_window
from did_gov.verify._keys import KeyRing
from did_gov.verify._model import Bound, Secured, Signer, as_list, id_of, passed

__all__ = ["jwt_window", "secure_jose"]

_TIME_CHECK = "jwt-validity"
"""The proofs layer's own time check: step 8 judges the same claims for every format."""


def jwt_window(claims: Mapping[str, Any]) -> tuple[Bound, ...]:
    """RFC 7519 ``nbf``/``exp``/``iat`` (``iat`` may be written as a date-time, as the W3C suite does)."""
    found = []
    for name, role in (("nbf", "start"), ("exp", "end")):
        if name in claims:
            found.append(Bound(name, role, claims[name], numeric=True))  # type: ignore[arg-type]
    if "iat" in claims:
        value = claims["iat"]
        found.append(Bound("iat", "issued", value, numeric=not isinstance(value, str)))
    return tuple(found)


_VCDM_VOCABULARY = "https://www.w3.org/2018/credentials#"


def _compact_check(document: dict[str, Any]) -> tuple[Check, ...]:
    """A payload names its members by term: one named by keyword (``@included``) or by a
    VCDM IRI is never read by the steps (a presentation's credentials hidden from step 6)."""
    loose = [
        k for k in document if (k[:1] == "@" and k != "@context") or k.startswith(_VCDM_VOCABULARY)
    ]
    if not loose:
        return ()
    return (
        fail(
            "claims",
            "jsonld.not_compact",
            f"the payload writes {', '.join(sorted(loose))} where a term belongs: "
            "no step would read what it holds",
        ),
    )


def secure_jose(
    token: str,
    keys: KeyRing,
    moment: datetime,
    *,
    clock_skew: timedelta,
    limits: Limits,
    nonce: str | None = None,
    audience: str | None = None,
    expect: jose.Kind | None = None,
) -> Secured:
    """Verify a VC-JOSE token (VC-JOSE-COSE §3) with a key of its issuer or holder; read the shared value."""
    signers: list[Signer] = []

    def lookup(header: Mapping[str, Any], owner: str | None, purpose: str) -> PublicKey:
        key, signer = keys.token_key(header, owner, purpose, moment)
        signers.append(signer)
        return key

    result = jose.verify_jwt(
        token,
        lookup,
        expect=expect,
        nonce=nonce,
        audience=audience,
        now=moment,
        clock_skew=clock_skew,
        limits=limits,
        check_times=False,
    )
    document = result.document
    own = tuple([c for c in result.checks if c.name != _TIME_CHECK])
    if result.kind is None or not isinstance(document, dict):
        return Secured(result.format, "credential", own, document)
    kind = result.kind
    shaped = document
    if result.legacy and kind == "presentation":  # 1.1 presentations carry credentials as JWTs
        shaped = {
            **document,
            "verifiableCredential": [
                jose.envelope(vc, "application/jwt") if isinstance(vc, str) else vc
                for vc in as_list(document.get("verifiableCredential", []))
            ],
        }
    checks = (*shape_checks(kind, shaped), *own, *_compact_check(document))
    verified = passed(own)
    issuer = id_of(document.get("issuer"))
    holder = id_of(document.get("holder"))
    window = (*vcdm_window(document), *jwt_window(result.claims))
    return Secured(
        format=result.format,
        kind=kind,
        checks=checks,
        document=document,
        issuer=issuer if isinstance(issuer, str) and kind == "credential" else None,
        holder=holder if isinstance(holder, str) and kind == "presentation" else None,
        signers=tuple(signers) if verified else (),
        subject_ids=subject_ids(document) if kind == "credential" else (),
        types=types_of(document),
        window=window,
        status=tuple(e for e in as_list(document.get("credentialStatus", [])) if e is not None)
        if kind == "credential"
        else (),
        credentials=tuple(as_list(document.get("verifiableCredential", [])))
        if kind == "presentation"
        else (),
    )
