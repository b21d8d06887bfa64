"""The did_gov exception hierarchy.

Every error did_gov raises is a :class:`DidGovError`. Each class carries a
stable, machine-readable ``code`` (documented in ``specs/error-codes.md``) so
that services and kiosks can act on a failure without parsing messages.

Exceptions are for misuse of the API and for input that cannot even be
parsed. Verifying an *invalid* credential never raises: the verifier returns a
:class:`~did_gov.verify.VerificationReport` whose checks carry the same codes.

>>> try:
...     raise InvalidDidError("not a DID: 'foo'")
... except DidGovError as exc:
...     exc.code
'did.invalid'
"""

from __future__ import annotations

__all__ = [
    "ApprovalError",
    "CanonicalizationError",
    "ContextInjectedWarning",
    "ContextLoadError",
    "CredentialError",
    "DidError",
    "DidGovError",
    "DidResolutionError",
    "GovLogError",
    "HsmError",
    "InvalidDidError",
    "InvalidInputError",
    "KeyFormatError",
    "KeyPassphraseError",
    "LedgerError",
    "LimitExceededError",
    "MethodNotSupportedError",
    "NetworkDisabledError",
    "PresentationRequestError",
    "ProofError",
    "SignatureError",
    "StatusError",
    "TrustError",
    "UnsupportedAlgorithmError",
    "VerificationFailed",
    "VerificationMethodError",
]


class DidGovError(Exception):
    """Base class of every error did_gov raises.

    ``code`` is stable across releases; ``message`` is for people.
    """

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInputError(DidGovError):
    """Input that is not of the expected shape: bad JSON, wrong types, bad encodings."""

    code = "input.invalid"


class LimitExceededError(InvalidInputError):
    """Input larger or deeper than a named bound in :class:`did_gov.limits.Limits`."""

    code = "input.limit_exceeded"


class KeyFormatError(InvalidInputError):
    """A key that cannot be decoded (JWK, Multikey, raw bytes) or is inconsistent."""

    code = "key.invalid"


class KeyPassphraseError(DidGovError):
    """An encrypted key file whose passphrase is missing, wrong, or too weak to encrypt with."""

    code = "key.passphrase_invalid"


class UnsupportedAlgorithmError(DidGovError):
    """An algorithm, curve, key type or cryptosuite did_gov does not accept."""

    code = "alg.unsupported"


class SignatureError(DidGovError):
    """A signature could not be produced (a signer failed)."""

    code = "signature.failed"


class HsmError(DidGovError):
    """A PKCS#11 token (HSM) that cannot be reached, has no such key, or refused to sign."""

    code = "pkcs11.error"


class DidError(DidGovError):
    """Base of DID and DID URL errors."""

    code = "did.error"


class InvalidDidError(DidError, InvalidInputError):
    """A string that is not a syntactically valid DID or DID URL."""

    code = "did.invalid"


class MethodNotSupportedError(DidError):
    """A DID method no registered resolver handles."""

    code = "did.method_not_supported"


class DidResolutionError(DidError):
    """A DID could not be resolved (not found, not cached, bad document)."""

    code = "did.resolution_failed"


class NetworkDisabledError(DidResolutionError):
    """Resolution needed the network but no fetcher was given (offline by default)."""

    code = "network.disabled"


class GovLogError(DidResolutionError):
    """A did:gov DID log that does not verify (``specs/did-gov-method.md`` §6), or misuse of its operations."""

    code = "did.gov_log_invalid"


class VerificationMethodError(DidError):
    """A DID URL does not dereference to a usable verification method."""

    code = "did.verification_method_invalid"


class ContextLoadError(DidGovError):
    """A JSON-LD context that is not pinned or registered was requested."""

    code = "jsonld.context_not_allowed"


class CanonicalizationError(DidGovError):
    """JSON-LD expansion, RDF conversion, RDFC-1.0 or JCS failed on the input."""

    code = "canonicalization.failed"


class CredentialError(InvalidInputError):
    """A credential or presentation that violates the VC Data Model."""

    code = "credential.invalid"


class ProofError(DidGovError):
    """A proof that cannot be created (bad options) or parsed."""

    code = "proof.invalid"


class StatusError(DidGovError):
    """Status list misuse or an unreadable status list."""

    code = "status.error"


class LedgerError(DidGovError):
    """A ledger backend failed or returned something inconsistent."""

    code = "ledger.error"


class TrustError(DidGovError):
    """A trust registry or trust bundle that is invalid, stale or rolled back."""

    code = "trust.error"


class PresentationRequestError(InvalidInputError):
    """A presentation request (OpenID4VP ``dcql_query``, ``nonce``, ``client_id``) that is malformed."""

    code = "request.invalid"


class ApprovalError(DidGovError):
    """An issuance policy that is invalid or unbounded, or a decision record that does not replay."""

    code = "approval.error"


class VerificationFailed(DidGovError):
    """Raised only by ``VerificationReport.raise_for_failure()``."""

    code = "verification.failed"


class ContextInjectedWarning(UserWarning):
    """``issue()`` appended the Data Integrity context to a credential (VC DI 1.0 §2.4.2).

    A warning, not an error: the credential was secured, with
    ``https://w3id.org/security/data-integrity/v2`` added at the end of its ``@context``
    because no context it named defined the proof terms (a VCDM 1.1 credential). Turn it
    into an error with ``warnings.simplefilter("error", ContextInjectedWarning)`` to refuse
    such input instead.
    """
