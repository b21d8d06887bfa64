"""Which issuers the state accredited for which credential types, and since when.

The verifier's trust step hands each verified credential's :class:`IssuerClaim`
to a :class:`TrustPolicy`. :data:`UNSAFE_TRUST_ANY_ISSUER` skips the question
(tests and demos only; the check passes with the warning code
``trust.unsafe_any_issuer``).

A :class:`PresentationRequest` (an OpenID4VP 1.0 ``dcql_query`` with its
``nonce`` and ``client_id``) says what a verifier asks a wallet for;
:func:`match_request` judges a verified presentation against it
(``specs/presentation-requests.md``).
"""

from did_gov.trust._dcql import (
    ClaimsQuery,
    CredentialQuery,
    CredentialSetQuery,
    DcqlQuery,
    TrustedAuthoritiesQuery,
    select_claims,
)
from did_gov.trust._policy import (
    BASE_TYPE,
    UNSAFE_TRUST_ANY_ISSUER,
    IssuerClaim,
    TrustPolicy,
    UnsafeTrustAnyIssuer,
)
from did_gov.trust._request import (
    PresentationRequest,
    PresentedCredential,
    kiosk_query,
    match_request,
)

__all__ = [
    "BASE_TYPE",
    "UNSAFE_TRUST_ANY_ISSUER",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlQuery",
    "IssuerClaim",
    "PresentationRequest",
    "PresentedCredential",
    "TrustPolicy",
    "TrustedAuthoritiesQuery",
    "UnsafeTrustAnyIssuer",
    "kiosk_query",
    "match_request",
    "select_claims",
]
