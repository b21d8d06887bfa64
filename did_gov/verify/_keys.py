"""Where a signature's key comes from: a DID document of the issuer (or holder), or ``issuer_jwks``.

Every format adapter finds keys here, under one rule: a key is used for a document
only when it is a key of that document's issuer (or holder) — checked for every
document, before any cache is consulted — or, for an issuer that is not a DID, one of
the JWKs the caller vouched for. The cache is safe to share between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from did_gov.dids import (
    DidDocument,
    Resolver,
    VerificationMethod,
    parse_did_url,
    resolve_verification_method,
)
from did_gov.dids.gov import DidGov, Freshness
from did_gov.errors import VerificationMethodError
from did_gov.keys import PublicKey
from did_gov.proofs import jose
from did_gov.proofs._result import Check
from did_gov.verify._anchor_check import Anchoring
from did_gov.verify._model import Signer

__all__ = ["ANCHORED", "KeyRing", "did_log_checks"]

GovNotes = list[tuple[str, Freshness]]
ANCHORED: ContextVar[tuple[Anchoring | None, GovNotes | None]] = ContextVar(
    "did_gov_verify_anchored", default=(None, None)
)
"""The anchoring of the document being verified (its anchored bytes and receipts, verified
once for every step that reads them), and where to note the freshness of each did:gov
signer's log: a did:gov key is judged at the document's anchor position."""


def did_log_checks(notes: GovNotes) -> list[Check]:
    """One passing ``did_log`` check per did:gov signer: ``ok`` when a freshness source vouched
    for its log, else the warning code ``did.freshness_unknown`` (did-gov-method §8)."""
    checks: list[Check] = []
    seen: set[str] = set()
    for did, freshness in notes:
        if did in seen:
            continue
        seen.add(did)
        if freshness.known:
            checks.append(Check("did_log", True, "ok", f"{did}: {freshness.message}"))
        else:
            checks.append(Check("did_log", True, "did.freshness_unknown", freshness.message))
    return checks


_IMMUTABLE = ("did:key:", "did:jwk:")
"""DID methods whose document is a function of the DID: a cached key never goes stale."""
_MAX_CACHED = 1024


def _key_of(method: VerificationMethod, vm_url: str) -> PublicKey:
    if method.public_key is None:
        raise VerificationMethodError(
            f"{vm_url} holds no signature key we support", code="did.vm_unsupported_key"
        )
    return method.public_key


def _gov_of(resolver: Resolver) -> DidGov | None:
    """The did:gov handler a resolver uses, if any (a DidGov, or one registered on it)."""
    if isinstance(resolver, DidGov):
        return resolver
    handler = getattr(resolver, "handler", None)
    found = handler("gov") if callable(handler) else None
    return found if isinstance(found, DidGov) else None


class KeyRing:
    """The keys a verifier may check signatures with: resolved DIDs and the caller's JWKs."""

    def __init__(self, resolver: Resolver, issuer_jwks: Iterable[Mapping[str, Any]]) -> None:
        self.resolver = resolver
        self._gov = _gov_of(resolver)
        self._jwks = [(kid, key, key.jwk_thumbprint()) for kid, key in jose.jwks_keys(issuer_jwks)]
        self._methods: dict[
            tuple[str, str], tuple[DidDocument | None, PublicKey, VerificationMethod]
        ] = {}
        self._lock = threading.Lock()

    @property
    def reads_anchor(self) -> bool:
        """Whether a key may be judged at the document's anchor position (a did:gov resolver)."""
        return self._gov is not None

    def method(
        self, vm_url: str, purpose: str, moment: datetime
    ) -> tuple[PublicKey, VerificationMethod]:
        """The key and verification method a Data Integrity proof names (any controller: step 4 judges).

        A did:key or did:jwk method is resolved once (its document is a function of the
        DID) and kept in the cache tokens use, beside their own entries.
        """
        if self._gov is not None and vm_url.startswith("did:gov:"):
            return self._gov_method(vm_url, purpose, moment)
        immutable = vm_url.startswith(_IMMUTABLE)
        if immutable:
            with self._lock:
                cached = self._methods.get((vm_url, purpose))
            if cached is not None and cached[0] is None:
                return cached[1], cached[2]
        method = resolve_verification_method(self.resolver, vm_url, purpose=purpose, now=moment)
        key = _key_of(method, vm_url)
        if immutable and method.controller == vm_url.split("#", 1)[0]:
            self._remember(vm_url, purpose, None, key, method)
        return key, method

    def _remember(
        self,
        vm_url: str,
        purpose: str,
        document: DidDocument | None,
        key: PublicKey,
        method: VerificationMethod,
    ) -> None:
        """Cache a method whose controller is its DID (a dated method is re-checked each time)."""
        if method.dated:
            return
        with self._lock:
            if len(self._methods) >= _MAX_CACHED:
                self._methods.clear()
            self._methods[(vm_url, purpose)] = (document, key, method)

    def token_key(
        self,
        header: Mapping[str, Any],
        owner: str | None,
        purpose: str,
        moment: datetime,
    ) -> tuple[PublicKey, Signer]:
        """The key a JWS header names for a token of ``owner`` (issuer or holder), and its signer.

        A DID owner: the ``kid`` must be a DID URL of that DID (absolute, or a fragment
        relative to it). Another owner: the ``issuer_jwks`` entry whose ``kid``, else
        RFC 7638 thumbprint, is the header ``kid`` (without a ``kid``: the only JWK of the
        ``alg``'s key type). Raises :class:`~did_gov.errors.DidGovError` otherwise.
        """
        what = "issuer" if purpose == "assertionMethod" else "holder"
        kid = header.get("kid")
        is_did = owner is not None and owner.startswith("did:")
        if isinstance(kid, str) and (kid.startswith("did:") or is_did):
            vm_url = kid if kid.startswith("did:") else f"{owner}#{kid.removeprefix('#')}"
            # a fragment of the owner's DID needs no parsing; its controller is checked below
            if owner is not None and vm_url.startswith(f"{owner}#"):
                did = owner
            else:
                did = str(parse_did_url(vm_url).did)
            if owner is not None and did != owner:
                raise VerificationMethodError(
                    f"kid {kid} is a key of {did}, not of the {what} {owner}",
                    code=f"{what}.key_mismatch",
                )
            key, method = self._did_method(vm_url, did, purpose, moment)
            return key, Signer(vm_url, method.controller, purpose)
        if is_did:
            raise VerificationMethodError(
                f"the token names no kid of the {what} {owner}", code=f"{what}.kid_missing"
            )
        key, name = self._jwk(kid, str(header.get("alg")), what)
        return key, Signer(name, owner, purpose)

    def _did_method(
        self, vm_url: str, did: str, purpose: str, moment: datetime
    ) -> tuple[PublicKey, VerificationMethod]:
        if self._gov is not None and did.startswith("did:gov:"):
            key, method = self._gov_method(vm_url, purpose, moment)
            if method.controller != did:
                raise VerificationMethodError(
                    f"{vm_url} is controlled by {method.controller}, not by {did}",
                    code="did.vm_controller_mismatch",
                )
            return key, method
        immutable = did.startswith(_IMMUTABLE)
        document = None if immutable else self.resolver.resolve(did)
        with self._lock:
            cached = self._methods.get((vm_url, purpose))
        if cached is not None and cached[0] is document:
            return cached[1], cached[2]
        method = resolve_verification_method(self.resolver, vm_url, purpose=purpose, now=moment)
        key = _key_of(method, vm_url)
        if method.controller != did:
            raise VerificationMethodError(
                f"{vm_url} is controlled by {method.controller}, not by {did}",
                code="did.vm_controller_mismatch",
            )
        self._remember(vm_url, purpose, document, key, method)
        return key, method

    def _gov_method(
        self, vm_url: str, purpose: str, moment: datetime
    ) -> tuple[PublicKey, VerificationMethod]:
        """A did:gov method as in force at the document's anchor position (did-gov-method §9)."""
        if self._gov is None:  # pragma: no cover - callers check
            raise VerificationMethodError(f"no did:gov resolver for {vm_url}")
        anchoring, notes = ANCHORED.get()
        method = self._gov.method_in_force(
            vm_url,
            purpose,
            anchor_position=anchoring.position if anchoring is not None else None,
            now=moment,
        )
        if notes is not None:
            did = vm_url.split("#", 1)[0]
            notes.append((did, self._gov.freshness(did)))
        return _key_of(method, vm_url), method

    def _jwk(self, kid: Any, alg: str, what: str) -> tuple[PublicKey, str]:
        if isinstance(kid, str):
            found = [(kid, key) for key_id, key, _ in self._jwks if key_id == kid]
            found = found or [(kid, key) for _, key, thumb in self._jwks if thumb == kid]
            if not found and len(self._jwks) == 1 and self._jwks[0][0] is None:
                found = [(self._jwks[0][2], self._jwks[0][1])]
        else:
            wanted = jose.ALGORITHMS.get(alg)
            found = [
                (key_id or thumb, key)
                for key_id, key, thumb in self._jwks
                if key.key_type is wanted
            ]
        if len(found) != 1:
            problem = "no JWK matches" if not found else "several JWKs match"
            raise VerificationMethodError(
                f"{problem} kid {kid!r} (pass the {what}'s key with issuer_jwks / --jwk)",
                code=f"{what}.key_unknown",
            )
        key, name = found[0][1], found[0][0]
        return key, name
