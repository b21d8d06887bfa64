"""Which issuers the state accredited for which credential types, and since when.

The verifier's trust step hands each verified credential's :class:`IssuerClaim`
to a :class:`TrustPolicy`: a :class:`TrustRegistry` of signed accreditations
chained to pinned root authorities (``specs/trust-registry.md``), usually taken
from a signed :class:`TrustBundle` verified under a :class:`TrustRoot` or
installed in a :class:`TrustStore` (``specs/trust-bundle.md``).
:data:`UNSAFE_TRUST_ANY_ISSUER` skips the question (tests and demos only; the
check passes with the warning code ``trust.unsafe_any_issuer``).

A :class:`PresentationRequest` (an OpenID4VP 1.0 ``dcql_query`` with its
``nonce`` and ``client_id``) says what a verifier asks a wallet for;
:func:`match_request` judges a verified presentation against it
(``specs/presentation-requests.md``). :func:`export_cte` and :func:`import_cte` map
accreditations to and from DIF Credential Trust Establishment documents.
"""

from did_gov.trust._accreditation import (
    Accreditation,
    KeyWindow,
    SignedAccreditation,
    StatusChange,
    sign_accreditation,
)
from did_gov.trust._bundle import (
    LogCheckpoint,
    TrustBundle,
    build_bundle,
    earlier_heads,
    log_checkpoint,
    verify_bundle,
)
from did_gov.trust._cte import CteImport, export_cte, import_cte, open_cte, sign_cte
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
    not_configured,
)
from did_gov.trust._registry import TrustRegistry
from did_gov.trust._request import (
    PresentationRequest,
    PresentedCredential,
    kiosk_query,
    match_request,
)
from did_gov.trust._root import TrustRoot, build_root
from did_gov.trust._store import InstallResult, TrustStore

__all__ = [
    "BASE_TYPE",
    "UNSAFE_TRUST_ANY_ISSUER",
    "Accreditation",
    "ClaimsQuery",
    "CteImport",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlQuery",
    "InstallResult",
    "IssuerClaim",
    "KeyWindow",
    "LogCheckpoint",
    "PresentationRequest",
    "PresentedCredential",
    "SignedAccreditation",
    "StatusChange",
    "TrustBundle",
    "TrustPolicy",
    "TrustRegistry",
    "TrustRoot",
    "TrustStore",
    "TrustedAuthoritiesQuery",
    "UnsafeTrustAnyIssuer",
    "build_bundle",
    "build_root",
    "earlier_heads",
    "export_cte",
    "import_cte",
    "kiosk_query",
    "log_checkpoint",
    "match_request",
    "not_configured",
    "open_cte",
    "select_claims",
    "sign_accreditation",
    "sign_cte",
    "verify_bundle",
]
