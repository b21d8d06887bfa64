"""Step 12 of ``specs/verification.md``: the verified presentation against the presentation request.

The securing step already checked the binding (the request's ``nonce`` and
``client_id`` were the expected challenge/nonce and domain/audience); this step
turns the shared values into the plain data :func:`did_gov.trust.match_request`
judges (``specs/presentation-requests.md``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from did_gov.errors import DidGovError
from did_gov.jsonld import OfflineDocumentLoader, expand, type_key
from did_gov.proofs._result import Check
from did_gov.trust import PresentationRequest, PresentedCredential, match_request
from did_gov.trust._dcql import ClaimPath
from did_gov.verify._model import Secured, as_list

__all__ = ["DCQL_FORMATS", "TypeExpander", "presented_credentials", "request_checks"]

DCQL_FORMATS = {"vc-di": "ldp_vc", "vc-jwt": "jwt_vc_json", "sd-jwt-vc": "dc+sd-jwt"}
"""The OpenID4VP Credential Format Identifier of each credential format of a report."""

_CACHE_SIZE = 1024


class TypeExpander:
    """The expanded type IRIs of a W3C credential (OpenID4VP 1.0 Appendix B.1.1), cached.

    ``type`` is expanded over the credential's ``@context`` with the verifier's
    offline loader. A term no context defines "remains a relative IRI", so it is
    kept as written. When the contexts cannot be loaded (not pinned) there is no
    expansion: ``()``, and matching falls back to the types as written.
    """

    def __init__(self, loader: OfflineDocumentLoader) -> None:
        self.loader = loader
        self._cache: dict[Hashable, tuple[str, ...]] = {}

    def __call__(self, document: Any) -> tuple[str, ...]:
        """The expanded types of ``document`` (a credential object)."""
        if not isinstance(document, dict) or "@context" not in document:
            return ()
        types = [t for t in as_list(document.get("type")) if isinstance(t, str)]
        try:
            key = type_key({"@context": document["@context"], "type": types})
        except (TypeError, ValueError):
            return ()
        cached = self._cache.get(key)
        if cached is None:
            cached = self._expand(document["@context"], types)
            if len(self._cache) >= _CACHE_SIZE:
                # another thread may be evicting too: losing that race is harmless
                with contextlib.suppress(RuntimeError, StopIteration):
                    self._cache.pop(next(iter(self._cache)), None)
            self._cache[key] = cached
        return cached

    def _expand(self, context: Any, types: list[str]) -> tuple[str, ...]:
        try:
            return self._iris(context, types)
        except DidGovError as exc:
            if exc.code != "jsonld.relative_iri":
                return ()
        expanded: list[str] = []
        for term in types:  # one undefined term: expand the others one by one
            try:
                expanded += self._iris(context, [term])
            except DidGovError as exc:
                if exc.code != "jsonld.relative_iri":
                    return ()
                expanded.append(term)
        return tuple(expanded)

    def _iris(self, context: Any, types: list[str]) -> tuple[str, ...]:
        nodes = expand({"@context": context, "type": types}, loader=self.loader)
        found = [t for node in nodes if isinstance(node, dict) for t in node.get("@type", [])]
        return tuple(t for t in found if isinstance(t, str))


def _typed_path(tree: Any, path: Sequence[str]) -> ClaimPath:
    """A disclosed claim's path with array positions as integers (they come as decimal strings)."""
    typed: list[str | int | None] = []
    node = tree
    for part in path:
        if isinstance(node, list) and part.isdigit():
            typed.append(int(part))
            node = node[int(part)] if int(part) < len(node) else None
        else:
            typed.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return tuple(typed)


Chain = Callable[[Secured], tuple[str, ...]]
"""The trust policy's accreditation chain of a credential's issuer (issuer first, root last)."""


def _one(
    secured: Secured, holder_bound: bool, expander: TypeExpander, chain: Chain | None
) -> PresentedCredential:
    fmt = DCQL_FORMATS.get(secured.format, secured.format)
    document = secured.document
    disclosed = None
    if secured.format == "sd-jwt-vc":
        disclosed = tuple(_typed_path(document, p) for p in secured.disclosed_paths)
    w3c = fmt in ("ldp_vc", "jwt_vc_json")
    return PresentedCredential(
        fmt,
        document,
        types=secured.types,
        expanded_types=expander(document) if w3c else (),
        vct=secured.vct,
        issuer=secured.issuer,
        holder_bound=holder_bound,
        disclosed=disclosed,
        trust_chain=chain(secured) if chain is not None else (),
    )


def presented_credentials(
    secured: Secured,
    nested: Sequence[Secured],
    expander: TypeExpander,
    chain: Chain | None = None,
) -> list[PresentedCredential]:
    """The credentials a verified document presents, as :func:`match_request` reads them.

    A presentation's credentials are holder-bound when its own proof (or
    ``vp+jwt`` signature) verified, against the request's nonce and client_id;
    a credential alone is holder-bound only as an SD-JWT VC whose KB-JWT
    verified. Credentials whose own signature did not verify answer nothing.
    """
    if secured.kind == "presentation":
        bound = secured.ok and bool(secured.signers)
        return [_one(c, bound, expander, chain) for c in nested if c.ok]
    if not secured.ok:
        return []
    bound = secured.format == "sd-jwt-vc" and secured.holder_bound
    return [_one(secured, bound, expander, chain)]


def request_checks(
    request: PresentationRequest,
    secured: Secured,
    nested: Sequence[Secured],
    expander: TypeExpander,
    chain: Chain | None = None,
) -> list[Check]:
    """Step 12: the ``request`` checks of a verified document (``chain``: the trust policy's)."""
    credentials = presented_credentials(secured, nested, expander, chain)
    return list(match_request(request.dcql_query, credentials))
