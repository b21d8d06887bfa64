"""The steps every format shares (``specs/verification.md`` steps 4, 5, 7, 8, 10).

Each reads only the :class:`~did_gov.verify._model.Secured` value a format adapter made,
and returns checks; none raises for invalid input.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, tzinfo

from did_gov._time import numeric_date
from did_gov.credentials import parse_datetime
from did_gov.errors import DidGovError
from did_gov.proofs._result import Check, fail, ok
from did_gov.trust import (
    BASE_TYPE,
    UNSAFE_TRUST_ANY_ISSUER,
    IssuerClaim,
    TrustPolicy,
    UnsafeTrustAnyIssuer,
    not_configured,
)
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
    if not others:
        return _signed_by(issuer)
    also = ", ".join(f"{s.method}" for s in others)
    return ok("issuer", f"signed by a key of {issuer}; also signed by {also}")


@functools.lru_cache(maxsize=256)
def _signed_by(issuer: str | None) -> Check:
    """Step 4's passing check for a document signed by its issuer's keys only (a value: shared)."""
    return ok("issuer", f"signed by a key of {issuer}")


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


_CNF_BOUND = ok("subject", "presented by the holder of the key the issuer bound (cnf)")
"""Step 7's passing check for an SD-JWT VC presented with its KB-JWT (a value: shared)."""


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
        return _CNF_BOUND
    if credential.format == "sd-jwt-vc" and not credential.bearer and not credential.subject_ids:
        # The issuer bound it to a key (cnf): never a bearer credential, whoever presents it.
        return fail(
            "subject",
            "subject.holder_mismatch",
            "bound to a key (cnf) by its issuer, and not presented with a Key Binding JWT by it",
        )
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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FIRST_SECOND = int(datetime(1, 1, 1, tzinfo=UTC).timestamp())
_LAST_SECOND = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
"""The whole seconds :func:`~did_gov._time.numeric_date` accepts (years 0001-9999)."""


def _instant(bound: Bound) -> datetime | int:
    """A bound as an aware datetime, or a whole-second NumericDate as microseconds since the epoch.

    Raises DidGovError (``credential.date_invalid``, ``credential.date_out_of_range``).
    """
    value = bound.value
    if bound.numeric:
        if type(value) is int and _FIRST_SECOND <= value <= _LAST_SECOND:  # the usual NumericDate
            return value * 1_000_000
        seconds = numeric_date(value, field=bound.field)
        if seconds.is_integer():  # exact as an integer: no datetime needed to compare it
            return int(seconds) * 1_000_000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise DidGovError(
                f"{bound.field} is out of range", code="credential.date_out_of_range"
            ) from None
    return parse_datetime(value, field=bound.field, timezone_required=bound.timezone_required)


def validity(secured: Secured, moment: datetime, skew: timedelta) -> Check:
    """Step 8: the validity window and the JWT time claims, with the clock skew."""
    early, late = moment + skew, moment - skew  # the latest start, the earliest end that pass
    in_micros: tuple[int, int] | None = None
    for bound in secured.window:
        try:
            at = _instant(bound)
        except DidGovError as exc:
            return fail("validity", exc.code, exc.message)
        if isinstance(at, int):
            if in_micros is None:
                in_micros = ((early - _EPOCH) // _MICROSECOND, (late - _EPOCH) // _MICROSECOND)
            before, ended = in_micros[0] < at, in_micros[1] >= at
        else:
            before, ended = early < at, (late >= at if bound.numeric else late > at)
        if before or ended:
            breach = _breach(bound, before, ended)
            if breach is not None:
                return breach
    return _valid_at(moment, moment.tzinfo)


def _breach(bound: Bound, before: bool, ended: bool) -> Check | None:
    """The failing check when ``moment`` is before a start (or issue time) or after an end."""
    shown = bound.value
    if bound.role == "start" and before:
        return fail(
            "validity", "credential.not_yet_valid", f"not valid before {shown} ({bound.field})"
        )
    if bound.role == "end" and ended:
        return fail("validity", "credential.expired", f"expired at {shown} ({bound.field})")
    if bound.role == "issued" and before:
        return fail(
            "validity", "credential.issued_in_future", f"issued in the future: {shown} (iat)"
        )
    return None


@functools.lru_cache(maxsize=16)
def _valid_at(moment: datetime, tzinfo: tzinfo | None) -> Check:
    """The passing validity check at ``moment`` (a verifier with a fixed clock reuses it).

    ``tzinfo`` is part of the key: equal instants in other zones are written differently.
    """
    return ok("validity", f"valid at {moment.isoformat(timespec='seconds')}")


def issuer_claim(secured: Secured, anchored_at: datetime | None = None) -> IssuerClaim:
    """What the credential asserts about its issuer, for the trust step.

    ``types`` are the type terms as written less ``VerifiableCredential``;
    ``expanded_types`` their IRIs, position by position, when the format gave one
    IRI per term (``Secured.expanded_types``), else ().
    """
    signer = next((s.method for s in secured.signers if s.controller == secured.issuer), None)
    written, iris = secured.types, secured.expanded_types
    kept = [i for i, term in enumerate(written) if term != BASE_TYPE]
    aligned = len(iris) == len(written)
    return IssuerClaim(
        issuer=secured.issuer or "",
        types=tuple([written[i] for i in kept]),
        expanded_types=tuple([iris[i] for i in kept]) if aligned else (),
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
    if type(trust) is UnsafeTrustAnyIssuer:  # it reads nothing but the issuer
        return _any_issuer(secured.issuer or "")
    try:
        check = trust.judge_issuer(issuer_claim(secured, anchored_at), moment)
    except Exception as exc:  # a plug-in must not crash verification
        return fail(
            "trust", "trust.policy_failed", f"the trust policy failed: {type(exc).__name__}"
        )
    if not isinstance(check, Check):
        return fail("trust", "trust.policy_failed", "the trust policy returned no Check")
    return check


@functools.lru_cache(maxsize=256)
def _any_issuer(issuer: str) -> Check:
    """``UNSAFE_TRUST_ANY_ISSUER``'s check for ``issuer`` (the same for every credential of it)."""
    claim = IssuerClaim(issuer, (), (), None, None, "", None)
    return UNSAFE_TRUST_ANY_ISSUER.judge_issuer(claim, datetime.now(UTC))
