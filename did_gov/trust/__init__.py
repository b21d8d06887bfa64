"""Which issuers the state accredited for which credential types, and since when.

The verifier's trust step hands each verified credential's :class:`IssuerClaim`
to a :class:`TrustPolicy`. :data:`UNSAFE_TRUST_ANY_ISSUER` skips the question
(tests and demos only; the check passes with the warning code
``trust.unsafe_any_issuer``).
"""

from did_gov.trust._policy import (
    BASE_TYPE,
    UNSAFE_TRUST_ANY_ISSUER,
    IssuerClaim,
    TrustPolicy,
    UnsafeTrustAnyIssuer,
)

__all__ = [
    "BASE_TYPE",
    "UNSAFE_TRUST_ANY_ISSUER",
    "IssuerClaim",
    "TrustPolicy",
    "UnsafeTrustAnyIssuer",
]
