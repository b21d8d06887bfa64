"""What a verifier accepts beyond the specifications' must-haves (``specs/verification.md``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from enum import StrEnum

from did_gov.errors import InvalidInputError
from did_gov.status import StalePolicy

__all__ = ["UnknownStatus", "VerificationPolicy"]


class UnknownStatus(StrEnum):
    """What a ``credentialStatus`` entry of a type did_gov does not know does to the status step.

    ``WARN`` (the default) passes the check with the warning code
    ``status.type_unsupported``: VC-JOSE-COSE says an unknown status type MUST be
    ignored. ``FAIL`` fails it, for verifiers that accept only statuses they can read.
    """

    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class VerificationPolicy:
    """What a verifier accepts beyond the specifications' must-haves.

    ``clock_skew`` is tolerated on every date (validity window, JWT
    ``exp``/``nbf``/``iat``, Data Integrity ``created``/``expires``, status list
    freshness). ``require_challenge`` makes a presentation without a challenge
    fail (replay protection), even when the caller passed none.
    ``stale_status_lists`` says what an expired or stale status list credential
    does (``specs/status-registry.md``); ``unknown_status`` what a status entry
    of an unknown type does. ``require_key_binding`` makes an SD-JWT without a
    Key Binding JWT fail; ``key_binding_max_age`` is how old a KB-JWT's ``iat``
    may be. ``subject_binding`` checks that a presented credential's subject is
    the presentation's authenticated holder (turn it off where someone else may
    present, e.g. a parent for a child); ``require_subject_id`` makes a bearer
    credential (no subject id) fail. ``require_issuer_proofs`` makes every proof
    of a Data Integrity proof set or chain be by a key of the issuer (default: at
    least one). ``require_anchor`` makes every credential without a valid anchor
    receipt, from a log the verifier trusts, fail (``anchor.required``).

    A field of the wrong type or a negative duration raises
    :class:`~did_gov.errors.InvalidInputError` (``policy.invalid``).

    >>> VerificationPolicy(subject_binding=False).subject_binding
    False
    """

    clock_skew: timedelta = timedelta(minutes=5)
    require_challenge: bool = False
    stale_status_lists: StalePolicy = StalePolicy.FAIL
    """An expired or stale status list credential fails the status check (``FAIL``), or
    passes with ``status.list_expired``/``status.list_stale`` (``UNSAFE_WARN``)."""
    unknown_status: UnknownStatus = UnknownStatus.WARN
    require_key_binding: bool = False
    key_binding_max_age: timedelta = timedelta(minutes=5)
    subject_binding: bool = True
    require_subject_id: bool = False
    require_issuer_proofs: bool = False
    require_anchor: bool = False

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            wanted = {
                "clock_skew": timedelta,
                "key_binding_max_age": timedelta,
                "stale_status_lists": StalePolicy,
                "unknown_status": UnknownStatus,
            }.get(spec.name, bool)
            if not isinstance(value, wanted) or (wanted is not bool and isinstance(value, bool)):
                raise InvalidInputError(
                    f"VerificationPolicy.{spec.name} must be a {wanted.__name__}, "
                    f"not {type(value).__name__}",
                    code="policy.invalid",
                )
            if isinstance(value, timedelta) and value < timedelta(0):
                raise InvalidInputError(
                    f"VerificationPolicy.{spec.name} must not be negative", code="policy.invalid"
                )
