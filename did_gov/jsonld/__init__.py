"""Offline JSON-LD: pinned contexts, RDFC-1.0 canonicalization and JCS.

>>> from did_gov.jsonld import OfflineDocumentLoader, canonicalize
>>> doc = {"@context": {"@vocab": "https://example.org/"}, "name": "Ada"}
>>> canonicalize(doc, loader=OfflineDocumentLoader())
'_:c14n0 <https://example.org/name> "Ada" .\\n'
"""

from __future__ import annotations

import re
from typing import Any

from pyld import jsonld as _pyld

from did_gov.errors import CanonicalizationError, ContextLoadError
from did_gov.jsonld._jcs import canonicalize as jcs
from did_gov.jsonld._loader import OfflineDocumentLoader, pinned_context_urls
from did_gov.jsonld._rdfc import Quad, canonical_nquads, from_pyld_dataset
from did_gov.limits import DEFAULT_LIMITS

__all__ = [
    "OfflineDocumentLoader",
    "canonicalize",
    "default_loader",
    "expand",
    "jcs",
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
    return {"documentLoader": loader, "contextResolver": loader.context_resolver(), "base": None}


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:[^\s]*|_:[^\s]+")


def _dropped(name: str | None) -> None:
    raise CanonicalizationError(
        f"term {name!r} is not defined by the document's contexts; it would be dropped unsigned",
        code="jsonld.undefined_term",
    )


def _check_absolute(node: Any) -> None:
    """Safe mode (VC Data Integrity §4): no relative IRI may be dropped silently from the RDF."""
    if isinstance(node, list):
        for item in node:
            _check_absolute(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@id" and isinstance(value, str) and _IRI.fullmatch(value) is None:
            raise CanonicalizationError(
                f"relative IRI {value!r} in @id", code="jsonld.relative_iri"
            )
        if key == "@type" and "@value" not in node:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and _IRI.fullmatch(item) is None:
                    raise CanonicalizationError(
                        f"relative IRI {item!r} in @type", code="jsonld.relative_iri"
                    )
        if key != "@value":
            _check_absolute(value)


class _SafeProcessor(_pyld.JsonLdProcessor):  # type: ignore[misc]  # pyld is untyped
    """pyld's processor in safe mode: dropped terms and relative IRIs are errors."""

    def __init__(self) -> None:
        super().__init__(on_property_dropped=_dropped)

    def expand(self, input_: Any, options: dict[str, Any]) -> Any:
        expanded = super().expand(input_, options)
        _check_absolute(expanded)
        return expanded


def to_rdf(document: Any, loader: OfflineDocumentLoader) -> dict[str, Any]:
    """JSON-LD 1.1 toRdf in safe mode with the offline loader (pyld's dataset form)."""
    try:
        dataset: dict[str, Any] = _SafeProcessor().to_rdf(document, _options(loader))
    except CanonicalizationError:
        raise
    except (_pyld.JsonLdError, ValueError, TypeError, KeyError, AttributeError) as exc:
        cause = exc.__cause__
        while cause is not None:
            if isinstance(cause, CanonicalizationError):
                raise cause from None
            cause = cause.__cause__
        raise _wrap(exc) from None
    return dataset


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
        result: list[Any] = _SafeProcessor().expand(document, _options(loader))
    except CanonicalizationError:
        raise
    except (_pyld.JsonLdError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _wrap(exc) from None
    return result


def canonicalize(
    document: dict[str, Any],
    *,
    loader: OfflineDocumentLoader | None = None,
    hash_name: str = "sha256",
    work_limit: int = DEFAULT_LIMITS.max_rdfc_work,
) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (RDF Dataset Canonicalization §4).

    ``hash_name`` is the hash used inside the algorithm: ``sha256`` or ``sha384``
    (ecdsa-rdfc-2019 with P-384 requires SHA-384 here too). ``work_limit`` bounds the
    Hash N-Degree Quads steps, so a poison graph aborts instead of running for hours.
    """
    loader = loader or default_loader()
    if hash_name not in ("sha256", "sha384"):
        raise CanonicalizationError(
            f"unsupported RDFC-1.0 hash {hash_name!r}", code="rdfc.hash_unsupported"
        )
    quads = _fast_quads(document, loader)
    return canonical_nquads(quads, hash_name=hash_name, work_limit=work_limit)


def _fast_quads(document: Any, loader: OfflineDocumentLoader) -> list[Quad]:
    """The RDF quads of ``document``: from its shape template when it has one, else from pyld.

    Equal to :func:`to_rdf` up to blank-node labels and quad order, which
    RDFC-1.0 does not see (a property test holds the two equal).
    """
    quads = loader.templates.quads(document, lambda probe: to_rdf(probe, loader))
    if quads is None:
        return from_pyld_dataset(to_rdf(document, loader))
    return quads
