"""Step 3 for SD-JWT VC (``dc+sd-jwt``): the issuer JWS, disclosures, key binding, the shared value."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from did_gov.errors import ProofError
from did_gov.keys import PublicKey
from did_gov.limits import Limits
from did_gov.proofs import sd_jwt
from did_gov.proofs._result import Check, fail
from did_gov.proofs.sd_jwt import verify_sd_jwt
from did_gov.status import ENTRY_TYPE
from did_gov.verify._keys import KeyRing
from did_gov.verify._model import Bound, Secured, Signer, passed

__all__ = ["ACCEPTED_TYPES", "secure_sd_jwt", "status_entries"]

ACCEPTED_TYPES = ("dc+sd-jwt", "vc+sd-jwt")
"""``typ`` values of an SD-JWT VC; ``vc+sd-jwt`` is the name older issuers still send."""

_BITSTRING = "bitstring_status_list"
"""did_gov's ``status`` member for a Bitstring Status List entry (``specs/sd-jwt-vc-mapping.md``)."""


def status_entries(status: Any) -> tuple[Any, ...]:
    """The ``status`` claim as ``credentialStatus`` entries (a mechanism other than ours keeps its name as type)."""
    if status is None:
        return ()
    if not isinstance(status, Mapping):
        return (status,)  # not an object: the status step reports it malformed
    entries: list[Any] = []
    for name, value in status.items():
        if name != _BITSTRING:
            entries.append({"type": name})
            continue
        listed = value if isinstance(value, Mapping) else {}
        index = listed.get("idx")
        entry: dict[str, Any] = {
            "type": ENTRY_TYPE,
            "statusListIndex": str(index)
            if isinstance(index, int) and not isinstance(index, bool)
            else index,
            "statusListCredential": listed.get("uri"),
        }
        if "purpose" in listed:
            entry["statusPurpose"] = listed["purpose"]
        entries.append(entry)
    return tuple(entries)


def _concealed(value: Any) -> bool:
    """Whether a signed payload value holds a digest of a selectively disclosable claim."""
    if isinstance(value, Mapping):
        return "_sd" in value or any(_concealed(v) for v in value.values())
    if isinstance(value, list):
        return any((isinstance(v, Mapping) and "..." in v) or _concealed(v) for v in value)
    return False


def _visible_claims_check(
    payload: Mapping[str, Any], disclosed: tuple[tuple[str, ...], ...]
) -> Check | None:
    """SD-JWT VC §3.2.2: ``status``, ``cnf``, ``iss``, ``exp``... are never selectively disclosed.

    A disclosure the holder withholds inside one of them still shows as a digest in the
    signed payload (a status entry hidden that way would skip the status step); one
    presented for one of them shows in ``disclosed``. Returns None when neither is there.
    """
    names = sorted(
        {n for n in sd_jwt.NOT_DISCLOSABLE if _concealed(payload.get(n))}
        | {p[0] for p in disclosed if p and p[0] in sd_jwt.NOT_DISCLOSABLE}
    )
    if not names:
        return None
    return fail(
        "disclosures",
        "sd_jwt.claim_not_disclosable",
        f"{', '.join(names)} must stay visible in an SD-JWT VC, yet the issuer made "
        "something in it selectively disclosable",
    )


def _window(claims: Mapping[str, Any]) -> tuple[Bound, ...]:
    return tuple(
        Bound(name, role, claims[name], numeric=True)  # type: ignore[arg-type]
        for name, role in (("nbf", "start"), ("exp", "end"), ("iat", "issued"))
        if name in claims
    )


def secure_sd_jwt(
    token: str,
    keys: KeyRing,
    moment: datetime,
    *,
    clock_skew: timedelta,
    limits: Limits,
    require_key_binding: bool,
    key_binding_max_age: timedelta,
    nonce: str | None = None,
    audience: str | None = None,
) -> Secured:
    """RFC 9901 §7 plus the SD-JWT VC profile (``typ``, ``vct``) with a key of ``iss``; the shared value."""
    signers: list[Signer] = []
    signed: list[Mapping[str, Any]] = []

    def lookup(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        signed.append(payload)
        iss = payload.get("iss")
        if not isinstance(iss, str):
            raise ProofError("the SD-JWT has no string iss", code="credential.issuer_missing")
        key, signer = keys.token_key(header, iss, "assertionMethod", moment)
        signers.append(signer)
        return key

    result = verify_sd_jwt(
        token,
        lookup,
        nonce=nonce,
        audience=audience,
        now=moment,
        require_key_binding=require_key_binding,
        key_binding_max_age=key_binding_max_age,
        clock_skew=clock_skew,
        accepted_types=ACCEPTED_TYPES,
        limits=limits,
        check_times=False,  # step 8 judges exp/nbf/iat
    )
    checks = list(result.checks)
    claims = result.claims
    if claims is None:
        return Secured("sd-jwt-vc", "credential", tuple(checks), None)
    hidden = _visible_claims_check(signed[-1], result.disclosed_paths) if signed else None
    if hidden is not None:
        checks.append(hidden)
    vct = claims.get("vct")
    if not isinstance(vct, str):
        checks.append(fail("vct", "sd_jwt_vc.vct_missing", "an SD-JWT VC has a string vct"))
    iss, sub = claims.get("iss"), claims.get("sub")
    return Secured(
        format="sd-jwt-vc",
        kind="credential",
        checks=tuple(checks),
        document=claims,
        issuer=iss if isinstance(iss, str) else None,
        holder_bound=result.key_bound,
        signers=tuple(signers) if passed(checks) else (),
        subject_ids=(sub,) if isinstance(sub, str) else (),
        bearer="cnf" not in claims,
        vct=vct if isinstance(vct, str) else None,
        window=_window(claims),
        status=status_entries(claims.get("status")),
        disclosed=claims,
        disclosed_paths=result.disclosed_paths,
    )
