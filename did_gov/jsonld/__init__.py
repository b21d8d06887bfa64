"""Offline JSON-LD: pinned contexts, RDFC-1.0 canonicalization and JCS.

>>> from did_gov.jsonld import OfflineDocumentLoader, canonicalize
>>> doc = {"@context": {"@vocab": "https://example.org/"}, "name": "Ada"}
>>> canonicalize(doc, loader=OfflineDocumentLoader())
'_:c14n0 <https://example.org/name> "Ada" .\\n'
"""

from __future__ import annotations

from typing import Any

from pyld import jsonld as _pyld

from did_gov.errors import CanonicalizationError, ContextLoadError, LimitExceededError
from did_gov.jsonld._compiled import CompiledContexts
from did_gov.jsonld._contexts import ContextPolicy, ContextValidation, type_key, validate_contexts
from did_gov.jsonld._expander import ExpansionCounts, one_pass_quads
from did_gov.jsonld._jcs import canonicalize as jcs
from did_gov.jsonld._loader import OfflineDocumentLoader, pinned_context_urls
from did_gov.jsonld._rdfc import Quad, canonical_nquads, to_pyld_dataset
from did_gov.jsonld._safe import data_loss, expanded_to_quads, precheck
from did_gov.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "ContextPolicy",
    "ContextValidation",
    "ExpansionCounts",
    "OfflineDocumentLoader",
    "canonicalize",
    "check_json_ld",
    "default_loader",
    "expand",
    "jcs",
    "pinned_context_urls",
    "to_quads",
    "to_rdf",
    "type_key",
    "validate_contexts",
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


def _dropped(name: str | None) -> None:
    raise data_loss(
        f"term {name!r} is not defined by the document's contexts; it would be dropped unsigned"
    )


_BASE_PROCESS = _pyld.JsonLdProcessor._process_context
_BASE_EXPAND_IRI = _pyld.JsonLdProcessor._expand_iri


class _SafeProcessor(_pyld.JsonLdProcessor):  # type: ignore[misc]  # pyld is untyped
    """pyld's processor in safe mode (a term expansion would drop is an error), on compiled contexts.

    Context processing and IRI expansion go through the loader's
    :class:`~did_gov.jsonld._compiled.CompiledContexts` tables: pyld's algorithm, each
    result computed once per loader.
    """

    def __init__(self, compiled: CompiledContexts | None = None) -> None:
        super().__init__(on_property_dropped=_dropped)
        self._compiled = compiled

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        flags = (override_protected, propagate, validate_scoped)
        if self._compiled is None or cycles is not None:  # nested in context processing
            return _BASE_PROCESS(self, active_ctx, local_ctx, options, *flags, cycles)
        return self._compiled.process(self, _BASE_PROCESS, active_ctx, local_ctx, options, flags)

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        if self._compiled is None or local_ctx is not None or defined is not None:
            return _BASE_EXPAND_IRI(self, active_ctx, value, base, vocab, local_ctx, defined)
        return self._compiled.expand_iri(self, _BASE_EXPAND_IRI, active_ctx, value, base, vocab)


def _pyld_call(method: str, loader: OfflineDocumentLoader, *args: Any) -> Any:
    """Run a pyld processor method in safe mode, with its errors turned into ours."""
    try:
        return getattr(_SafeProcessor(loader.compiled), method)(*args, _options(loader))
    except CanonicalizationError:
        raise
    except (_pyld.JsonLdError, ValueError, TypeError, KeyError, AttributeError) as exc:
        cause = exc.__cause__
        while cause is not None:
            if isinstance(cause, CanonicalizationError):
                raise cause from None
            cause = cause.__cause__
        raise _wrap(exc) from None
    except RecursionError:
        raise CanonicalizationError(
            "JSON-LD nested too deeply", code="input.limit_exceeded"
        ) from None


def to_quads(
    document: Any, loader: OfflineDocumentLoader, limits: Limits = DEFAULT_LIMITS
) -> list[Quad]:
    """JSON-LD 1.1 toRdf in safe mode: bounded input, then one pass over compiled contexts.

    What the one-pass expander (``_expander``) does not cover goes to pyld's expansion
    and a linear conversion, counted in ``loader.expansion``. Raises
    :class:`CanonicalizationError` (``jsonld.data_loss``) when the RDF would lose part of
    the document, :class:`LimitExceededError` beyond ``limits``.
    """
    precheck(document, limits)
    return _expanded_quads(document, loader, limits)


def _expanded_quads(document: Any, loader: OfflineDocumentLoader, limits: Limits) -> list[Quad]:
    """The quads of a prechecked ``document``: in one pass, else (counted) through pyld."""
    quads = _one_pass(document, loader)
    if quads is None:
        return _quads_of_expanded(_pyld_call("expand", loader, document), limits)
    return _bounded(list(dict.fromkeys(quads)), limits)


def _one_pass(document: Any, loader: OfflineDocumentLoader) -> list[Quad] | None:
    """The one-pass quads of ``document``, or None (counted) when pyld must take it."""
    if not getattr(loader, "one_pass", True):
        return None
    quads, reason = one_pass_quads(document, _SafeProcessor(loader.compiled), _options(loader))
    counts = getattr(loader, "expansion", None)
    if counts is not None:
        counts.record(reason)
    return quads


def _quads_of_expanded(expanded: list[Any], limits: Limits) -> list[Quad]:
    return _bounded(list(dict.fromkeys(expanded_to_quads(expanded))), limits)


def _bounded(quads: list[Quad], limits: Limits) -> list[Quad]:
    if len(quads) > limits.max_rdf_quads:
        raise LimitExceededError(
            f"the document has more than {limits.max_rdf_quads} RDF quads",
            code="input.limit_exceeded",
        )
    return quads


def to_rdf(
    document: Any, loader: OfflineDocumentLoader, limits: Limits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """:func:`to_quads` in pyld's dataset form (``{graph name: [triple, ...]}``)."""
    return to_pyld_dataset(to_quads(document, loader, limits))


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
    precheck(document, DEFAULT_LIMITS)
    result: list[Any] = _pyld_call("expand", loader, document)
    return result


def check_json_ld(
    document: dict[str, Any],
    *,
    loader: OfflineDocumentLoader | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Raise unless ``document`` is valid JSON-LD in safe mode (what a JCS proof cannot see).

    An expansion with the offline loader: an unpinned context, a redefined protected term, a
    value object with extra keys, a ``null`` id or an undefined term raise
    (``jsonld.*``). Whether a document expands depends on its shape (keys, contexts, types,
    keywords, nulls and numbers), not on its strings, so a shape that expanded once is
    remembered by the loader (``valid_shapes``, bounded) and the next document of that shape
    costs one walk, not a pyld run; a new shape costs the one-pass expander when it covers
    the document (it expands only what pyld expands), else pyld's expansion. Unlike
    :func:`to_quads` nothing is refused for what RDF would drop: ``@direction`` is valid here.
    """
    from did_gov.jsonld._template import shape_of

    loader = loader or default_loader()
    precheck(document, limits)
    key, _ = shape_of(document)
    shapes = getattr(loader, "valid_shapes", None)
    if shapes is not None and _inline_context(document):
        shapes = None  # an inline term may alias a keyword whose value the shape does not hold
    if shapes is not None and shapes.get(key):
        return
    if _one_pass(document, loader) is None:  # what the one pass covers expands
        _pyld_call("expand", loader, document)
    if shapes is not None:
        shapes[key] = True


def _inline_context(document: Any) -> bool:
    """Whether ``document`` carries a context that is not a URL (top-level or embedded)."""
    from did_gov.jsonld._contexts import _scan

    if not isinstance(document, dict):
        return False
    top = document.get("@context")
    if any(c is not None and not isinstance(c, str) for c in (top if isinstance(top, list) else [top])):  # fmt: skip
        return True
    return _scan(document)[0]


def canonicalize(
    document: dict[str, Any],
    *,
    loader: OfflineDocumentLoader | None = None,
    hash_name: str = "sha256",
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (RDF Dataset Canonicalization §4).

    ``hash_name`` is the hash used inside the algorithm: ``sha256`` or ``sha384``
    (ecdsa-rdfc-2019 with P-384 requires SHA-384 here too). ``limits`` bound the
    input before either expander runs (items, depth, then quads) and the work of
    RDFC-1.0 (every hash and permutation step), so a poison graph aborts in well
    under a second instead of running for hours.
    """
    loader = loader or default_loader()
    _check_hash_name(hash_name)
    items = precheck(document, limits)
    return canonicalize_prechecked(
        document, loader=loader, hash_name=hash_name, limits=limits, items=items
    )


def canonicalize_prechecked(
    document: dict[str, Any],
    *,
    loader: OfflineDocumentLoader,
    hash_name: str,
    limits: Limits,
    items: int,
) -> str:
    """:func:`canonicalize` of a document the caller already held to :func:`precheck` under
    ``limits`` (``items``: its count of items, or a bound on it), so that walk is not repeated.

    For the verifier, which learns the precheck's verdict for a whole secured document in
    the walk that holds it to the JSON parser's bounds (:class:`did_gov._json.JsonFacts`);
    every document it canonicalizes is made of parts of that one. Private to did_gov.
    """
    _check_hash_name(hash_name)
    quads = _fast_quads(document, loader, limits, items)
    return canonical_nquads(quads, hash_name=hash_name, work_limit=limits.max_rdfc_work)


def _check_hash_name(hash_name: str) -> None:
    if hash_name not in ("sha256", "sha384"):
        raise CanonicalizationError(
            f"unsupported RDFC-1.0 hash {hash_name!r}", code="rdfc.hash_unsupported"
        )


_TEMPLATE_ITEMS = 2_000
"""Larger documents get no shape template: a template holds every quad, and the cache holds 512."""


def _fast_quads(
    document: Any, loader: OfflineDocumentLoader, limits: Limits, items: int
) -> list[Quad]:
    """The RDF quads of ``document``: from its shape's template, else in one pass, else from pyld.

    A shape seen before (a kiosk sees the same few credential types again and again) is
    filled in from its template, which costs less than the one pass; a new shape goes to
    the one pass (its template is learned on its second sight). Equal to :func:`to_rdf`
    up to blank-node labels and quad order, which RDFC-1.0 does not see (property tests
    hold the paths equal).
    """
    quads = None
    if items <= _TEMPLATE_ITEMS:
        quads = loader.templates.quads(document, lambda probe: to_rdf(probe, loader, limits))
    if quads is not None:
        return _bounded(quads, limits)
    return _expanded_quads(document, loader, limits)
