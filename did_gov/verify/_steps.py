"""The steps every format shares (``specs/verification.md`` steps 4, 5, 7, 8, 10).

Each reads only the :class:`~did_gov.verify._model.Secured` value a format adapter made,
and returns checks; none raises for invalid input.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from did_gov._time import numeric_date
from did_gov.credentials import parse_datetime
from did_gov.errors import DidGovError
from did_gov.proofs._result import Check, fail, ok
from did_gov.trust import BASE_TYPE, IssuerClaim, TrustPolicy, not_configured
from did_gov.verify._model import Bound, Secured
from did_gov.verify._policy import VerificationPolicy

__all__ = [
    "holder_binding",
    "issuer_binding",
    "subject_binding",
    "trust_check",
    "validity",
]


def _is_did(value: str | None) -> bool:
    return value is not None and value.startswith("did:")


def issuer_binding(secured: Secured, policy: VerificationPolicy) -> Check:
    """Step 4: at least one verified signature by a key of the issuer (all, under ``require_issuer_proofs``).

    Proof sets and chains (VC DI §2.1.2, §2.6) may hold proofs by other parties;
    they are named in the message. An issuer that is not a DID is bound only by
    trust material: a JWK the caller gave for it.
    """
    issuer = secured.issuer
    if not secured.signers:
        return fail("issuer", "issuer.unbound", "no verified signature names a key of the issuer")
    mine = [s for s in secured.signers if s.controller == issuer]
    others = [s for s in secured.signers if s.controller != issuer]
    if not mine:
        first = others[0]
        if not _is_did(issuer):
            return fail(
                "issuer",
                "issuer.unbound",
                f"the issuer {issuer} is not a DID: only a key given for it (issuer_jwks, trust "
                f"material) binds it, not {first.method}",
            )
        return fail(
            "issuer",
            "issuer.key_mismatch",
            f"{first.method} is controlled by {first.controller}, not by the issuer {issuer}",
        )
    if others and policy.require_issuer_proofs:
        first = others[0]
        return fail(
            "issuer",
            "issuer.key_mismatch",
            f"{first.method} is controlled by {first.controller}, and the policy requires "
            f"every proof to be by the issuer {issuer}",
        )
    message = f"signed by a key of {issuer}"
    if others:
        message += "; also signed by " + ", ".join(f"{s.method}" for s in others)
    return ok("issuer", message)


def holder_binding(
    secured: Secured, policy: VerificationPolicy, challenge: str | None
) -> list[Check]:
    """Step 5: a presentation's signature is by a key of its ``holder``; the challenge policy."""
    checks: list[Check] = []
    if policy.require_challenge and challenge is None:
        checks.append(
            fail("challenge", "presentation.challenge_required", "the policy requires a challenge")
        )
    holder = secured.holder
    if holder is None or not secured.ok:
        return checks
    if not secured.signers:
        checks.append(fail("holder", "holder.unbound", "no verified proof names the holder's key"))
        return checks
    for signer in secured.signers:
        if signer.controller != holder:
            checks.append(
                fail(
                    "holder",
                    "holder.key_mismatch",
                    f"{signer.method} is controlled by {signer.controller}, not by the holder {holder}",
                )
            )
            return checks
    checks.append(ok("holder", f"signed by a key of {holder}"))
    return checks


def holder_of(secured: Secured, checks: list[Check]) -> str | None:
    """The presentation's authenticated holder: its ``holder`` when step 5 passed, else None."""
    if secured.holder is None:
        return None
    bound = [c for c in checks if c.name == "holder"]
    return secured.holder if bound and all(c.ok for c in bound) else None


def subject_binding(
    credential: Secured, holder: str | None, policy: VerificationPolicy, presented: bool
) -> Check | None:
    """Step 7: a presented credential's subject is the presentation's authenticated holder.

    ``presented`` is false for a credential verified on its own (no check). An
    SD-JWT VC presented with its KB-JWT is bound by the ``cnf`` key the issuer signed.
    """
    if not policy.subject_binding or not presented:
        return None
    if credential.format == "sd-jwt-vc" and holder is None and credential.holder_bound:
        return ok("subject", "presented by the holder of the key the issuer bound (cnf)")
    if not credential.subject_ids:
        if policy.require_subject_id:
            return fail(
                "subject",
                "subject.id_missing",
                "the credential names no subject (a bearer credential)",
            )
        return Check(
            "subject", True, "subject.bearer", "a bearer credential: it names no subject id"
        )
    if holder is None:
        return fail(
            "subject",
            "subject.holder_mismatch",
            "the presentation has no authenticated holder, and the credential names its subject",
        )
    if holder in credential.subject_ids:
        return ok("subject", f"presented by its subject {holder}")
    return fail(
        "subject",
        "subject.holder_mismatch",
        f"presented by {holder}, not by its subject {', '.join(credential.subject_ids)}",
    )


def _instant(bound: Bound) -> datetime:
    """A bound as an aware datetime; raises DidGovError (``credential.date_invalid``)."""
    value = bound.value
    if bound.numeric:
        seconds = numeric_date(value, field=bound.field)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise DidGovError(
                f"{bound.field} is out of range", code="credential.date_out_of_range"
            ) from None
    return parse_datetime(value, field=bound.field, timezone_required=bound.timezone_required)


def validity(secured: Secured, moment: datetime, skew: timedelta) -> Check:
    """Step 8: the validity window and the JWT time claims, with the clock skew."""
    for bound in secured.window:
        try:
            at = _instant(bound)
        except DidGovError as exc:
            return fail("validity", exc.code, exc.message)
        shown = bound.value
        if bound.role == "start" and moment + skew < at:
            return fail(
                "validity", "credential.not_yet_valid", f"not valid before {shown} ({bound.field})"
            )
        if bound.role == "end" and (moment - skew >= at if bound.numeric else moment - skew > at):
            return fail("validity", "credential.expired", f"expired at {shown} ({bound.field})")
        if bound.role == "issued" and moment + skew < at:
            return fail(
                "validity", "credential.issued_in_future", f"issued in the future: {shown} (iat)"
            )
    return ok("validity", f"valid at {moment.isoformat(timespec='seconds')}")


def issuer_claim(secured: Secured, anchored_at: datetime | None = None) -> IssuerClaim:
    """What the credential asserts about its issuer, for the trust step."""
    signer = next((s.method for s in secured.signers if s.controller == secured.issuer), None)
    return IssuerClaim(
        issuer=secured.issuer or "",
        types=tuple(t for t in secured.types if t != BASE_TYPE),
        expanded_types=(),
        vct=secured.vct,
        signer=signer,
        format=secured.format,
        anchored_at=anchored_at,
    )


def trust_check(
    trust: TrustPolicy | None,
    secured: Secured,
    moment: datetime,
    anchored_at: datetime | None = None,
) -> Check:
    """Step 10: the trust policy judges the issuer (never raises; a failure to judge fails closed).

    Without a policy the check is indeterminate (``trust.not_configured``): a credential
    is never verified without someone having said whom to trust.
    """
    if trust is None:
        return not_configured()
    try:
        check = trust.judge_issuer(issuer_claim(secured, anchored_at), moment)
    except Exception as exc:  # a plug-in must not crash verification
        return fail(
            "trust", "trust.policy_failed", f"the trust policy failed: {type(exc).__name__}"
        )
    if not isinstance(check, Check):
        return fail("trust", "trust.policy_failed", "the trust policy returned no Check")
    return check
