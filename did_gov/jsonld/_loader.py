"""The offline JSON-LD document loader: pinned contexts only, never the network."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Hashable, Iterable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pyld.context_resolver import ContextResolver
from pyld.documentloader.base import DocumentLoader, RemoteDocument
from pyld.jsonld import JsonLdError
from pyld.resolved_context import ResolvedContext

from did_gov.errors import ContextLoadError
from did_gov.jsonld._compiled import CompiledContexts
from did_gov.jsonld._expander import ExpansionCounts
from did_gov.jsonld._lru import LockedLRUCache
from did_gov.jsonld._template import TemplateCache, context_terms

__all__ = ["OfflineDocumentLoader", "pinned_context_urls"]

_PINNED_DIR = Path(__file__).parent / "contexts"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContextLoadError(
            f"cannot read {path}: {exc.strerror}", code="jsonld.context_unreadable"
        ) from None
    except ValueError as exc:
        raise ContextLoadError(
            f"{path} is not JSON: {exc}", code="jsonld.context_unreadable"
        ) from None


def _read_index(directory: Path) -> dict[str, Any]:
    """Read ``index.json`` (URL -> file name) of a context directory and load every file."""
    index = _read_json(directory / "index.json")
    if not isinstance(index, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in index.items()
    ):
        raise ContextLoadError(
            f"{directory / 'index.json'} must map context URLs to file names",
            code="jsonld.context_index_invalid",
        )
    out: dict[str, Any] = {}
    for url, name in index.items():
        path = (directory / name).resolve()
        if directory.resolve() not in path.parents:
            raise ContextLoadError(
                f"context file {name!r} escapes {directory}", code="jsonld.context_index_invalid"
            )
        out[url] = _read_json(path)
    return out


@cache
def _pinned() -> Mapping[str, Any]:
    return MappingProxyType(_read_index(_PINNED_DIR))


def pinned_context_urls() -> frozenset[str]:
    """The context URLs shipped inside did_gov (credentials v1/v2, DID, Data Integrity, …)."""
    return frozenset(_pinned())


def _objects(documents: Iterable[Any]) -> dict[int, Any]:
    """Every JSON object inside ``documents``, by identity."""
    found: dict[int, Any] = {}
    stack = list(documents)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found[id(node)] = node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


class _PinnedResolver(ContextResolver):  # type: ignore[misc]  # pyld is untyped
    """pyld's context resolver, keying the loader's own context objects by identity.

    pyld keys every object context by its JCS canonical form, computed on every
    use: a third of verifying a credential of a new shape went to
    re-canonicalizing the type- and property-scoped contexts of credentials/v2.
    The loader's documents are a private copy that never changes, so an object
    found among them (held by the loader, so its identity is never reused) is
    keyed by identity; any other object, such as a document's inline context,
    is keyed as pyld keys it.
    """

    def __init__(self, cache: Any, loader: OfflineDocumentLoader, own: Mapping[int, Any]) -> None:
        super().__init__(cache, loader)
        self._own = own

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        """pyld's ``resolve``, with identity keys for the loader's own objects."""
        if cycles is None:
            cycles = set()
        if isinstance(context, dict) and "@context" in context:
            context = context["@context"]
        resolved: list[Any] = []
        for ctx in context if isinstance(context, list) else [context]:
            if isinstance(ctx, dict) and self._own.get(id(ctx)) is ctx:
                key = f"\x00pinned object {id(ctx)}"
                found = self._get(key)
                if not found:
                    found = self._cache_resolved_context(key, ResolvedContext(ctx), "static")
                resolved.append(found)
            else:
                resolved.extend(super().resolve(active_ctx, ctx, base, cycles))
        return resolved


class OfflineDocumentLoader(DocumentLoader):  # type: ignore[misc]  # pyld is untyped
    """Serve pinned contexts plus caller-registered ones; refuse every other URL.

    ``contexts`` are directories laid out like the pinned set: an ``index.json``
    mapping URL to file name, beside the files. ``documents`` maps URLs to
    already-parsed contexts. A registered context may not replace a pinned one
    with different content (that would let a caller silently change the meaning
    of ``https://www.w3.org/ns/credentials/v2``).

    Processed contexts are cached per loader, so repeated canonicalization does
    not re-process the same contexts, and two loaders never share a cache entry
    for a URL they map to different documents.

    >>> loader = OfflineDocumentLoader()
    >>> loader("https://www.w3.org/ns/credentials/v2", {})["documentUrl"]
    'https://www.w3.org/ns/credentials/v2'
    """

    def __init__(
        self,
        contexts: Iterable[str | os.PathLike[str]] = (),
        documents: Mapping[str, Any] | None = None,
    ) -> None:
        table = dict(_pinned())
        extra: dict[str, Any] = {}
        for directory in contexts:
            extra.update(_read_index(Path(directory)))
        # A private copy: a caller mutating its dict later must not change what we serve
        # (processed contexts are cached by URL).
        extra.update(copy.deepcopy(dict(documents or {})))
        for url, doc in extra.items():
            if url in table and table[url] != doc:
                raise ContextLoadError(
                    f"registered context {url} differs from the pinned copy",
                    code="jsonld.context_conflict",
                )
            table[url] = doc
        self._documents: Mapping[str, Any] = MappingProxyType(table)
        self._urls = frozenset(table)
        self._resolved_cache: LockedLRUCache[str, Any] = LockedLRUCache(maxsize=256)
        self.templates = TemplateCache(context_terms(table.values()))
        self._own_objects = _objects(table.values())
        self.compiled = CompiledContexts(self._own_objects)
        """Processed contexts and term IRIs, computed once per loader (``_compiled``)."""
        self.one_pass = True
        """Turn JSON-LD into quads in one pass over the compiled contexts (``_expander``);
        False sends every document to pyld (the reference), as benchmarks compare."""
        self.expansion = ExpansionCounts()
        """Documents done in one pass, and those sent to pyld by reason."""
        self.expanded_types: LockedLRUCache[Hashable, tuple[str, ...]] = LockedLRUCache(maxsize=512)
        """Type IRIs by pinned contexts and type values (``validate_contexts``), bounded."""
        self.valid_shapes: LockedLRUCache[str, bool] = LockedLRUCache(maxsize=512)
        """Document shapes that expanded in safe mode (``check_json_ld``), bounded."""

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this loader serves."""
        return self._urls

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> RemoteDocument:
        """Return the pinned document for ``url`` or refuse it (JSON-LD 1.1 API §9.4 LoadDocumentCallback)."""
        doc = self._documents.get(url)
        if doc is None:
            raise JsonLdError(
                f"context {url} is not pinned; offline loader refuses it",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading document failed",
            )
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": doc,
            # pyld keeps a remote context in the shared (per-loader) cache only when it is
            # tagged; untagged, every call re-resolved and re-processed the pinned contexts.
            "tag": "static",
        }

    def context_resolver(self) -> ContextResolver:
        """A pyld context resolver bound to this loader's own processed-context cache."""
        return _PinnedResolver(self._resolved_cache, self, self._own_objects)
