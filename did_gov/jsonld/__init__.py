"""Offline JSON-LD: pinned contexts, RDFC-1.0 canonicalization and JCS.

>>> from did_gov.jsonld import OfflineDocumentLoader, canonicalize
>>> doc = {"@context": {"@vocab": "https://example.org/"}, "name": "Ada"}
>>> canonicalize(doc, loader=OfflineDocumentLoader())
'_:c14n0 <https://example.org/name> "Ada" .\\n'
"""

from __future__ import annotations

from typing import Any

from pyld import jsonld as _pyld

from did_gov.errors import CanonicalizationError, ContextLoadError
from did_gov.jsonld._loader import OfflineDocumentLoader, pinned_context_urls

__all__ = [
    "OfflineDocumentLoader",
    "canonicalize",
    "default_loader",
    "expand",
    "pinned_context_urls",
]

_DEFAULT: OfflineDocumentLoader | None = None


def default_loader() -> OfflineDocumentLoader:
    """The process-wide loader over the pinned contexts only."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = OfflineDocumentLoader()
    return _DEFAULT


def _refused_url(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        details = getattr(seen, "details", None)
        if getattr(seen, "code", None) == "loading document failed" and isinstance(details, dict):
            url = details.get("url")
            if isinstance(url, str):
                return url
        seen = seen.__cause__ or getattr(seen, "cause", None)
    return None


def _options(loader: OfflineDocumentLoader) -> dict[str, Any]:
    return {
        "documentLoader": loader,
        "contextResolver": loader.context_resolver(),
        "safe": True,
    }


def _wrap(exc: Exception) -> Exception:
    url = _refused_url(exc)
    if url is not None:
        return ContextLoadError(
            f"context {url} is not pinned or registered; refusing to load it offline",
            code="jsonld.context_not_allowed",
        )
    return CanonicalizationError(f"JSON-LD processing failed: {exc}", code="jsonld.invalid")


def expand(document: dict[str, Any], *, loader: OfflineDocumentLoader | None = None) -> list[Any]:
    """JSON-LD 1.1 expansion with the offline loader (safe mode: undefined terms are errors)."""
    loader = loader or default_loader()
    try:
        result: list[Any] = _pyld.expand(document, _options(loader))
    except (_pyld.JsonLdError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _wrap(exc) from None
    return result


def canonicalize(
    document: dict[str, Any],
    *,
    loader: OfflineDocumentLoader | None = None,
    hash_name: str = "sha256",
) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (RDF Dataset Canonicalization §4).

    ``hash_name`` is the hash used inside the algorithm: ``sha256`` or ``sha384``
    (ecdsa-rdfc-2019 with P-384 requires SHA-384 here too).
    """
    loader = loader or default_loader()
    if hash_name not in ("sha256", "sha384"):
        raise CanonicalizationError(
            f"unsupported RDFC-1.0 hash {hash_name!r}", code="rdfc.hash_unsupported"
        )
    try:
        options = _options(loader)
        options.update({"algorithm": "URDNA2015", "format": "application/n-quads"})
        result: str = _pyld.normalize(document, options)
    except (_pyld.JsonLdError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _wrap(exc) from None
    return result
