"""The trust step's seam: what a credential claims about its issuer, and who judges it.

The verifier extracts one :class:`IssuerClaim` per verified credential and asks a
:class:`TrustPolicy` whether the state accredited that issuer for those types at
that time (``specs/trust-registry.md``). Judging never raises: it returns one
:class:`~did_gov.proofs._result.Check` named ``"trust"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol, runtime_checkable

from did_gov.proofs._result import Check, unknown

__all__ = [
    "BASE_TYPE",
    "UNSAFE_TRUST_ANY_ISSUER",
    "IssuerClaim",
    "TrustPolicy",
    "UnsafeTrustAnyIssuer",
    "not_configured",
]

BASE_TYPE: Final = "VerifiableCredential"
"""The base type every credential carries; it needs no accreditation."""


@dataclass(frozen=True)
class IssuerClaim:
    """What one verified credential asserts about its issuer, as the pipeline extracted it.

    ``types`` are the credential's ``type`` terms as written, without
    ``VerifiableCredential``; ``expanded_types`` their absolute IRIs when the
    format has them (Data Integrity), else empty; ``vct`` the SD-JWT VC type;
    ``signer`` the verification method id, ``kid`` or JWK thumbprint that signed;
    ``anchored_at`` the checkpoint time a verified anchor receipt proves, if any.
    """

    issuer: str
    types: tuple[str, ...]
    expanded_types: tuple[str, ...]
    vct: str | None
    signer: str | None
    format: str
    anchored_at: datetime | None


@runtime_checkable
class TrustPolicy(Protocol):
    """Decides whether an issuer was accredited for what it asserts (the pipeline's trust step)."""

    def judge_issuer(self, claim: IssuerClaim, at: datetime) -> Check:
        """One ``Check`` named ``"trust"``: ok, or fail/unknown with a ``trust.*`` code; never raises."""
        ...

    def may_publish_status(self, list_issuer: str, credential_issuer: str, at: datetime) -> bool:
        """Whether a status list signed by ``list_issuer`` counts for ``credential_issuer`` at ``at``."""
        ...


class UnsafeTrustAnyIssuer:
    """A policy that accepts every issuer: for tests and demos only.

    The trust step passes with the warning code ``trust.unsafe_any_issuer``;
    a status list counts only when its issuer is the credential's issuer.

    >>> from datetime import datetime, timezone
    >>> claim = IssuerClaim("did:key:z6Mk", ("X",), (), None, None, "vc-jwt", None)
    >>> UNSAFE_TRUST_ANY_ISSUER.judge_issuer(claim, datetime.now(timezone.utc)).code
    'trust.unsafe_any_issuer'
    """

    def judge_issuer(self, claim: IssuerClaim, at: datetime) -> Check:
        """Pass, marked with the warning code ``trust.unsafe_any_issuer``."""
        return Check(
            "trust",
            True,
            "trust.unsafe_any_issuer",
            f"issuer {claim.issuer} accepted without a trust check (UNSAFE_TRUST_ANY_ISSUER)",
        )

    def may_publish_status(self, list_issuer: str, credential_issuer: str, at: datetime) -> bool:
        """Only the credential's own issuer may publish its status."""
        return list_issuer == credential_issuer

    def __repr__(self) -> str:
        return "UNSAFE_TRUST_ANY_ISSUER"


UNSAFE_TRUST_ANY_ISSUER: Final = UnsafeTrustAnyIssuer()
"""Trust every issuer (tests, demos): ``Verifier(trust=UNSAFE_TRUST_ANY_ISSUER)``."""


def not_configured() -> Check:
    """The trust check of a verifier given no trust material: indeterminate, so not verified."""
    return unknown(
        "trust",
        "trust.not_configured",
        "no trust material: pass trust= (a TrustRegistry, or a verified trust bundle's "
        "verifier_options()), or UNSAFE_TRUST_ANY_ISSUER for tests and demos",
    )
