"""Compiled contexts: each processed context and each term's IRI computed once per loader.

pyld processes a type-scoped context (``VerifiableCredential``'s in credentials/v2,
``propagate: false``) on a fresh clone of the active context every time a node has that
type, and a fresh clone has no processed-context cache entry: on a credential of a new
shape, two thirds of expansion went to re-creating the same term definitions, and most of
the rest to expanding the same keys to the same IRIs. :class:`CompiledContexts` remembers,
per loader, the active context that processing a context on an active context gives, and
the IRI each (active context, key) expands to, so every pinned context list, with its
type- and property-scoped contexts, is compiled into term tables once and a document of
any shape walks tables.

Results are keyed only by values that fix them: an active context by the ``_uuid`` pyld
gives it (a fresh ``uuid1`` per context, regenerated once its terms are all defined, and
the context frozen), a local context by its URL(s) or, for the loader's own context
objects (an immutable private copy), by identity; the document's inline contexts are not
memoized. pyld's algorithm is unchanged, so the output is pyld's: a hypothesis property
(``tests/jsonld/test_compiled.py``) holds expansion with the tables equal to plain pyld on
credentials of arbitrary shapes, and the existing equivalence properties run through it.
Both tables are bounded LRUs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from did_gov.jsonld._lru import LockedLRUCache

__all__ = ["CompiledContexts"]

MAX_CONTEXTS: Final = 512
"""Processed active contexts kept per loader."""
MAX_IRIS_PER_CONTEXT: Final = 4096
"""Key → IRI expansions kept per active context."""


class CompiledContexts:
    """Per-loader tables of processed contexts and term IRIs (see the module docstring).

    ``hits``/``misses`` count context processing served from and added to the table.
    """

    def __init__(self, own: Mapping[int, Any], max_contexts: int = MAX_CONTEXTS) -> None:
        self._own = own
        self.max_contexts = max_contexts
        self.contexts: LockedLRUCache[Any, tuple[Any, ...]] = LockedLRUCache(max_contexts)
        self._iris: dict[str, dict[tuple[str, bool, Any], Any]] = {}
        self._terms: dict[str, dict[str, Any]] = {}
        self.hits = 0
        self.misses = 0

    def local_key(self, local_ctx: Any) -> Any:
        """A key fixing what ``local_ctx`` means to this loader, or None (not memoized)."""
        if isinstance(local_ctx, str):
            return ("url", local_ctx)
        if isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
            return ("urls", tuple(local_ctx))
        if isinstance(local_ctx, dict | list) and self._own.get(id(local_ctx)) is local_ctx:
            return ("own", id(local_ctx))
        return None

    def process(self, processor: Any, base: Any, active_ctx: Any, local_ctx: Any, options: Any, flags: tuple[bool, bool, bool]) -> Any:  # fmt: skip
        """``processor._process_context`` through the table (``base``: pyld's method)."""
        uid = active_ctx.get("_uuid") if isinstance(active_ctx, dict) else None
        local = self.local_key(local_ctx)
        if uid is None or local is None:
            return base(processor, active_ctx, local_ctx, options, *flags)
        key = (uid, local, flags, options.get("base"), options.get("processingMode"))
        found = self.contexts.get(key)
        if found is not None:
            self.hits += 1
            return found[0]
        result = base(processor, active_ctx, local_ctx, options, *flags)
        self.misses += 1
        # Keep the inputs alive with the result: their identities stay theirs.
        self.contexts[key] = (result, active_ctx, local_ctx)
        return result

    def expand_iri(self, processor: Any, base: Any, active_ctx: Any, value: Any, iri_base: Any, vocab: bool) -> Any:  # fmt: skip
        """``processor._expand_iri`` (pure form: no local context) through the IRI table.

        One plain dict per active context (no lock: a lookup or an insert is atomic), at
        most :data:`MAX_IRIS_PER_CONTEXT` entries each and :data:`MAX_CONTEXTS` tables
        (all dropped when full).
        """
        uid = active_ctx.get("_uuid") if isinstance(active_ctx, dict) else None
        if uid is None or value.__class__ is not str:
            return base(processor, active_ctx, value, iri_base, vocab)
        table = self._iris.get(uid)
        if table is None:
            if len(self._iris) >= self.max_contexts:
                self._iris.clear()
            table = self._iris[uid] = {}
        key = (value, vocab, iri_base)
        try:
            return table[key]
        except KeyError:
            pass
        result = base(processor, active_ctx, value, iri_base, vocab)
        if len(table) < MAX_IRIS_PER_CONTEXT:
            table[key] = result
        return result

    def term_table(self, active_ctx: Any) -> dict[str, Any] | None:
        """The one-pass expander's table for ``active_ctx`` (key → what it expands to, and how).

        Filled by its caller with at most :data:`MAX_IRIS_PER_CONTEXT` entries; at most
        :data:`MAX_CONTEXTS` tables (all dropped when full). None for a context without
        an identity (pyld gives every processed context one).
        """
        uid = active_ctx.get("_uuid")
        if uid is None:
            return None
        table = self._terms.get(uid)
        if table is None:
            if len(self._terms) >= self.max_contexts:
                self._terms.clear()
            table = self._terms[uid] = {}
        return table

    @property
    def iri_count(self) -> int:
        """IRI expansions held (all tables)."""
        return sum(len(t) for t in list(self._iris.values())) + sum(
            len(t) for t in list(self._terms.values())
        )
