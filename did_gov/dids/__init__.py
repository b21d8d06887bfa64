"""DIDs (W3C DID Core 1.0): syntax, documents, verification methods and the methods key, jwk and web.

Resolution is offline by default: did:key and did:jwk need no network, and
did:web is served from a cache unless the caller injects a fetcher.

>>> from did_gov.dids import DefaultResolver, resolve_verification_method
>>> did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
>>> vm = resolve_verification_method(DefaultResolver(), did + "#" + did[8:], purpose="assertionMethod")
>>> vm.public_key.key_type.value
'Ed25519'
"""

from did_gov.dids import _methods
from did_gov.dids._document import (
    PURPOSES,
    Did,
    DidDocument,
    DidUrl,
    VerificationMethod,
    parse_did,
    parse_did_url,
)
from did_gov.dids._methods import (
    DefaultResolver,
    DidJwk,
    DidKey,
    DidMethod,
    DidWeb,
    Fetcher,
    Resolver,
    did_web_document,
    did_web_for,
    did_web_to_url,
    resolve_verification_method,
)


class did_key:
    """did:key helpers: ``did_key.did_for_public_key(pk)``, ``did_key.verification_method_id(pk)``."""

    did_for_public_key = staticmethod(_methods.DidKey.did_for_public_key)
    verification_method_id = staticmethod(_methods.DidKey.verification_method_id)


class did_jwk:
    """did:jwk helpers: ``did_jwk.did_for_public_key(pk)``, ``did_jwk.verification_method_id(pk)``."""

    did_for_public_key = staticmethod(_methods.DidJwk.did_for_public_key)
    verification_method_id = staticmethod(_methods.DidJwk.verification_method_id)


class did_web:
    """did:web helpers: ``did_web.for_domain(domain)``, ``did_web.document(did, keys)``,
    ``did_web.to_url(did)`` (where the document is served)."""

    for_domain = staticmethod(did_web_for)
    document = staticmethod(did_web_document)
    to_url = staticmethod(did_web_to_url)


__all__ = [
    "PURPOSES",
    "DefaultResolver",
    "Did",
    "DidDocument",
    "DidJwk",
    "DidKey",
    "DidMethod",
    "DidUrl",
    "DidWeb",
    "Fetcher",
    "Resolver",
    "VerificationMethod",
    "did_jwk",
    "did_key",
    "did_web",
    "did_web_document",
    "did_web_for",
    "did_web_to_url",
    "parse_did",
    "parse_did_url",
    "resolve_verification_method",
]
