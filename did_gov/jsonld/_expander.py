"""One-pass JSON-LD to RDF over compiled contexts: no expanded document, no per-shape warm-up.

JSON-LD 1.1 Processing Algorithms §13 (Expansion) and §8.5 of the API (Deserialize
JSON-LD to RDF) fused into one walk: each node object of the document is expanded with
the term tables of its active context and its quads are emitted at once, so the cost is
linear in the document and the same for a shape never seen before as for a familiar one.
Context processing (top-level, embedded, type-scoped and property-scoped contexts, in
pyld's order) and term-to-IRI expansion go through the loader's
:class:`~did_gov.jsonld._compiled.CompiledContexts`: pyld's own algorithm, each result
computed once per loader.

pyld stays the reference and the fallback. The walk covers what credentials use (node
objects, value objects, ``@id``/``@type`` and their aliases, ``@set``/``@graph``/``@list``
containers, a top-level ``@graph``, ``@id``, ``@vocab``, datatype, language and ``@json``
coercion, ``null``s, embedded, type- and property-scoped contexts); on anything else
(``@list`` objects, ``@reverse``, ``@nest``, ``@included``, index/language/id/type maps,
``@direction``, ...) and on anything pyld would refuse or safe mode would call data loss, it
stops and returns ``None`` with the reason, and the caller runs pyld, which gives the
answer or the error exactly as before. So safe mode (``jsonld.data_loss``) and the
context policy are pyld's on both paths by construction; ``tests/jsonld/test_expander.py``
holds the two equal by property, errors included.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Final

from pyld.jsonld import JsonLdError

from did_gov.errors import CanonicalizationError
from did_gov.jsonld._compiled import MAX_IRIS_PER_CONTEXT, CompiledContexts
from did_gov.jsonld._rdfc import IRI, LITERAL, RDF_LANGSTRING, XSD_STRING, Quad, Term
from did_gov.jsonld._safe import _ABSOLUTE, _FIRST, _NIL, _REST, _TYPE, _Converter

__all__ = ["ExpansionCounts", "one_pass_quads"]

_CONTAINERS: Final = frozenset(
    {(), ("@set",), ("@list",), ("@graph",), ("@graph", "@set"), ("@set", "@graph")}
)
"""Term containers the walk supports; any other goes to pyld."""
_NO_DATATYPE: Final = frozenset({None, "@id", "@vocab", "@none"})
_XSD_DOUBLE: Final = "http://www.w3.org/2001/XMLSchema#double"
_OPTIONS: Final = {
    "isFrame": False,
    "keepFreeFloatingNodes": False,
    "extractAllScripts": False,
    "processingMode": "json-ld-1.1",
    "base": None,
}


class _Fallback(Exception):
    """The walk met something it does not cover; pyld takes the document."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ExpansionCounts:
    """How often a loader turned JSON-LD into quads in one pass, and why it fell back to pyld.

    ``fast`` counts documents done in one pass; ``fallback`` counts the others by reason
    (a short fixed phrase such as ``"@list"`` or ``"value object"``), so a benchmark or an
    operator can see how much traffic the reference path still takes.
    """

    def __init__(self) -> None:
        self.fast = 0
        self.fallback: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, reason: str | None) -> None:
        """Count one document: done in one pass (``None``) or sent to pyld for ``reason``."""
        with self._lock:
            if reason is None:
                self.fast += 1
            else:
                self.fallback[reason] += 1

    @property
    def total(self) -> int:
        """Documents counted."""
        return self.fast + sum(self.fallback.values())

    @property
    def fallback_rate(self) -> float:
        """The share of documents that went to pyld (0.0 when none was counted)."""
        total = self.total
        return 0.0 if total == 0 else (total - self.fast) / total


class _Walk(_Converter):
    """One document: pyld's ``_expand``/``_expand_object`` steps, emitting quads as it goes."""

    def __init__(self, processor: Any, options: dict[str, Any]) -> None:
        super().__init__()
        self.processor = processor
        self.options = options
        self.compiled: CompiledContexts | None = processor._compiled

    # -- pyld's primitives, through the compiled tables ---------------------------------

    def terms(self, ctx: Any) -> dict[str, Any]:
        """The term table of ``ctx``: key → ``(IRI, kind)`` (a fresh dict without tables)."""
        table = None if self.compiled is None else self.compiled.term_table(ctx)
        return {} if table is None else table

    def term(self, table: dict[str, Any], ctx: Any, key: str) -> tuple[Any, ...]:
        """What ``key`` expands to in ``ctx``, its kind (property, keyword or neither) and,
        for a property, its plan (:meth:`plan`)."""
        found = table.get(key)
        if found is None:
            iri = self.processor._expand_iri(ctx, key, None, True)
            if iri.__class__ is not str:
                found = (iri, _NEITHER, None)
            elif iri.startswith("@"):
                found = (iri, _KEYWORD if iri in _KEYWORDS else _NEITHER, None)
            elif _ABSOLUTE.fullmatch(iri) is None:
                found = (iri, _NEITHER, None)
            else:
                found = (iri, _PROPERTY, self.plan(ctx, key))
            if len(table) < MAX_IRIS_PER_CONTEXT:
                table[key] = found
        return found

    def plan(self, ctx: Any, key: str) -> Any:
        """How the values of property ``key`` expand in ``ctx``, worked out once per table:
        ``(scoped context, container, coercion, term definition, string plan)``, or the
        reason the walk cannot take them."""
        mapping = ctx["mappings"].get(key) or {}
        if mapping.get("reverse"):
            return "@reverse"
        container = tuple(mapping.get("@container") or ())
        if container not in _CONTAINERS:
            return "container"
        scoped = mapping.get("@context")
        coerce = mapping.get("@type")
        plain = None
        if scoped is None and coerce != "@json":
            try:
                plain = self.plain_string(ctx, mapping)
            except _Fallback:  # raised again where a string needs it
                plain = None
        return (scoped, container, coerce, mapping, plain)

    def iri(self, ctx: Any, key: str) -> Any:
        """``_expand_iri(ctx, key, vocab=True)``."""
        return self.term(self.terms(ctx), ctx, key)[0]

    def process(self, ctx: Any, local: Any, override: bool = False, propagate: bool = True) -> Any:
        """``_process_context(ctx, local, override_protected, propagate)``."""
        return self.processor._process_context(ctx, local, self.options, override, propagate)

    def reference(self, ctx: Any, value: str, vocab: bool) -> Term:
        """An ``@id`` value (or an ``@id``/``@vocab``-coerced string) as an RDF term."""
        if vocab:
            iri = self.processor._expand_iri(ctx, value, None, True)
        else:
            iri = _document_iri(ctx, value)
            if iri is not None:  # absolute, or a blank-node label
                return self.blank(iri) if iri.startswith("_:") else (IRI, iri)
            iri = self.processor._expand_iri(ctx, value, None, False)
        if iri.__class__ is not str:
            raise _Fallback("IRI")
        if iri.startswith("_:"):
            return self.blank(iri)
        if _ABSOLUTE.fullmatch(iri) is None:
            raise _Fallback("relative IRI")
        return (IRI, iri)

    # -- expansion ----------------------------------------------------------------------

    def document(self, document: Any, initial: Any) -> None:
        """Expansion of the top-level object (active property null) and its quads."""
        if document.__class__ is not dict:
            raise _Fallback("top-level array")
        if "@graph" in document and document.keys() <= {"@context", "@graph"}:
            # The default graph's nodes (pyld unwraps a top-level lone @graph).
            ctx = initial
            if "@context" in document:
                ctx = self.process(ctx, document["@context"])
            nodes = document["@graph"]
            for item in nodes if nodes.__class__ is list else [nodes]:
                if item.__class__ is not dict:
                    raise _Fallback("@graph")
                self.expand_node(ctx, "@graph", item, None, free=True)
            return
        self.expand_node(initial, None, document, None, free=True)

    def expand_node(self, ctx: Any, prop: str | None, element: dict[str, Any], graph: Term | None, free: bool = False) -> Term:  # fmt: skip
        """A node object (§13 steps 7-14, pyld's order): its quads into ``graph``; its subject."""
        if prop is not None:
            mapping = ctx["mappings"].get(prop)
            scoped = mapping.get("@context") if mapping else None
            if ctx.get("previousContext"):
                revert = True
                if len(element) <= 2 and "@context" not in element:
                    for key in sorted(element):
                        found = self.iri(ctx, key)
                        if found == "@value":
                            revert = False
                            break
                        if found == "@id" and len(element) == 1:
                            revert = False
                            break
                if revert:
                    ctx = ctx["previousContext"]
            if scoped is not None:
                ctx = self.process(ctx, scoped, override=True)
        if "@context" in element:
            local = element["@context"]
            if isinstance(local, dict) and len(local) == 1 and "@context" in local:
                raise _Fallback("@context in @context")
            ctx = self.process(ctx, local)
        type_scoped = ctx
        table = self.terms(ctx)
        for key in element:
            if self.term(table, ctx, key)[0] == "@type":
                break
        else:  # no type key, so no type-scoped context: pyld's loop below changes nothing
            return self.members(ctx, type_scoped, element, graph, free)
        for key in sorted(element):
            if self.iri(ctx, key) != "@type":
                continue
            value = element[key]
            for name in sorted(t for t in (value if value.__class__ is list else [value]) if isinstance(t, str)):  # fmt: skip
                mapping = type_scoped["mappings"].get(name)
                local = mapping.get("@context") if mapping else None
                if local is not None and local is not False:
                    ctx = self.process(ctx, local, propagate=False)
        return self.members(ctx, type_scoped, element, graph, free)

    def members(self, ctx: Any, type_scoped: Any, element: dict[str, Any], graph: Term | None, free: bool) -> Term:  # fmt: skip
        """pyld's ``_expand_object`` on one node: subject, types, then each property's quads.

        ``free``: the node stands alone (top level, or in a ``@graph`` container), where a
        node stating nothing is dropped by pyld or is data loss; pyld takes those.
        """
        subject: Term | None = None
        types: list[Term] = []
        properties: list[tuple[str, tuple[Any, Any], Any]] = []
        literal: dict[str, Any] = {}
        table = self.terms(ctx)
        for key, value in element.items():
            if key == "@context":
                continue
            expanded, kind, plan = self.term(table, ctx, key)
            if kind is _PROPERTY:
                properties.append((key, (expanded, plan), value))
            elif kind is _NEITHER:
                raise _Fallback("undefined term")
            else:
                if expanded == "@id":
                    if subject is not None or value.__class__ is not str:
                        raise _Fallback("@id")
                    subject = self.reference(ctx, value, vocab=False)
                elif expanded == "@type":
                    literal["@type"] = value
                    names = self.terms(type_scoped)
                    for name in value if value.__class__ is list else [value]:
                        if name.__class__ is not str:
                            raise _Fallback("@type")
                        iri, kind, _ = self.term(names, type_scoped, name)
                        if kind is _PROPERTY:  # an absolute IRI
                            types.append((IRI, iri))
                        elif iri.__class__ is str and iri.startswith("_:"):
                            types.append(self.blank(iri))
                        else:
                            raise _Fallback("@type")
                elif expanded in _VALUE_KEYS and expanded not in literal:
                    literal[expanded] = value
                else:
                    raise _Fallback(expanded)
        if "@value" in literal or "@language" in literal:
            if free or subject is not None or properties:
                raise _Fallback("value object")
            return self.value_object(literal, types)
        if free and not types and all(value is None for _, _, value in properties):
            raise _Fallback("free-floating node")
        if subject is None:
            subject = self.blank(None)
        quads = self.quads
        for named in types:
            quads.append((subject, _TYPE, named, graph))
        for key, (expanded, plan), value in properties:
            predicate: Term = (IRI, expanded)
            for item in self.values(ctx, key, plan, value, graph):
                quads.append((subject, predicate, item, graph))
        return subject

    def value_object(self, literal: dict[str, Any], types: list[Term]) -> Term:
        """A value object with a string, number or boolean ``@value`` and at most a datatype
        or a language (anything else is pyld's: an error, or a value it drops)."""
        value = literal.get("@value")
        language = literal.get("@language")
        kind = value.__class__
        if value is None or kind is dict or kind is list:
            raise _Fallback("value object")
        if "@type" in literal:
            if language is not None or len(types) != 1 or literal["@type"].__class__ is not str:
                raise _Fallback("value object")
            datatype = types[0]
            if datatype[0] != IRI:
                raise _Fallback("value object")
            return self.literal({"@value": value, "@type": datatype[1]})
        if language is not None:
            if kind is not str or language.__class__ is not str:
                raise _Fallback("value object")
            return (LITERAL, value, RDF_LANGSTRING, language.lower())
        return self.literal({"@value": value})

    def values(self, ctx: Any, key: str, plan: Any, value: Any, graph: Term | None) -> list[Term]:  # fmt: skip
        """The objects of one property (pyld's ``_expand_object`` for a term or IRI key)."""
        if plan.__class__ is str:
            raise _Fallback(plan)
        scoped, container, coerce, value_mapping, plain = plan
        items = value if value.__class__ is list else [value]
        if coerce == "@json":
            if container:
                raise _Fallback("@json")
            return [self.literal({"@value": value, "@type": "@json"})]
        if value is None:
            return []  # pyld drops the member (a list container gives no empty list either)
        term_ctx = ctx
        keyword = False
        if scoped is not None:  # pyld expands the values with the property-scoped context
            term_ctx = self.process(ctx, scoped, override=True)
            value_mapping = term_ctx["mappings"].get(key) or {}
            plain = None
            if "@list" in (value_mapping.get("@container") or ()):
                raise _Fallback("@list")
            # A key the scoped context makes a keyword changes how a scalar expands; one it
            # leaves undefined (a null context) expands scalars as plain values, like pyld.
            keyword = self.term(self.terms(term_ctx), term_ctx, key)[1] is _KEYWORD
        if container == ("@list",):
            objects = self.values_of(term_ctx, key, items, value_mapping, graph, plain=plain, keyword=keyword)  # fmt: skip
            return [self.chain(objects, graph)]
        in_graph = "@graph" in container
        return self.values_of(term_ctx, key, items, value_mapping, graph, in_graph, plain, keyword)

    def chain(self, items: list[Term], graph: Term | None) -> Term:
        """An RDF collection of ``items`` (JSON-LD API §8.5 step for ``@list``): its head."""
        if not items:
            return _NIL
        head = subject = self.blank(None)
        last = len(items) - 1
        for n, item in enumerate(items):
            self.quads.append((subject, _FIRST, item, graph))
            following = _NIL if n == last else self.blank(None)
            self.quads.append((subject, _REST, following, graph))
            subject = following
        return head

    def values_of(self, term_ctx: Any, key: str, items: list[Any], value_mapping: dict[str, Any], graph: Term | None, in_graph: bool = False, plain: Term | None = None, keyword: bool = False) -> list[Term]:  # fmt: skip
        """Each item of a property's value as an RDF term (``in_graph``: a ``@graph`` container;
        ``plain``: how a string is read, when known; ``keyword``: the key is a keyword in its
        scoped context, so pyld takes scalars)."""
        out: list[Term] = []
        for item in items:
            kind = item.__class__
            if keyword and kind is not dict and item is not None:
                raise _Fallback("keyword value")
            if kind is str and not in_graph:
                if plain is None:
                    plain = self.plain_string(term_ctx, value_mapping)
                if plain[0] == LITERAL:
                    out.append((LITERAL, item, *plain[2:]))
                elif plain[0] == "ref":
                    out.append(self.reference(term_ctx, item, vocab=plain[1] == "@vocab"))
                else:  # xsd:double, whose lexical form is canonicalized
                    out.append(self.literal({"@value": item, "@type": plain[1]}))
            elif kind is dict:
                if in_graph:
                    named = self.blank(None)
                    self.expand_node(term_ctx, key, item, named, free=True)
                    out.append(named)
                else:
                    out.append(self.expand_node(term_ctx, key, item, graph))
            elif item is None:
                continue  # pyld drops a null, in an array or alone (the key stays defined)
            elif in_graph or kind is list:
                raise _Fallback("nested value")
            else:
                out.append(self.scalar(value_mapping, item))
        return out

    @staticmethod
    def plain_string(ctx: Any, mapping: dict[str, Any]) -> Term:
        """How pyld's ``_expand_value`` reads a string here: ``("ref", "@id"|"@vocab")`` for
        an IRI, ``("typed", xsd:double)`` for a double, else a literal term with an empty
        lexical value (its datatype and language)."""
        coerce = mapping.get("@type")
        if coerce == "@id" or coerce == "@vocab":
            return ("ref", coerce)
        if coerce in _NO_DATATYPE:
            language = mapping["@language"] if "@language" in mapping else ctx.get("@language")
            direction = mapping["@direction"] if "@direction" in mapping else ctx.get("@direction")
            if direction is not None:
                raise _Fallback("@direction")
            if language is not None:
                return (LITERAL, "", RDF_LANGSTRING, language)
            return (LITERAL, "", XSD_STRING, "")
        if not isinstance(coerce, str) or _ABSOLUTE.fullmatch(coerce) is None:
            raise _Fallback("relative IRI")
        if coerce == _XSD_DOUBLE:
            return ("typed", coerce)
        return (LITERAL, "", coerce, "")

    def scalar(self, mapping: dict[str, Any], value: Any) -> Term:
        """pyld's ``_expand_value`` for a number or boolean, then its RDF term."""
        coerce = mapping.get("@type")
        if coerce in _NO_DATATYPE:
            return self.literal({"@value": value})
        if not isinstance(coerce, str) or _ABSOLUTE.fullmatch(coerce) is None:
            raise _Fallback("relative IRI")
        return self.literal({"@value": value, "@type": coerce})


_PROPERTY: Final = 0
_KEYWORD: Final = 1
_NEITHER: Final = 2
"""Kinds of what a key expands to: an absolute IRI, a keyword, or neither (pyld drops it)."""
_VALUE_KEYS: Final = frozenset({"@value", "@language"})
_KEYWORDS: Final = frozenset(
    {
        "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit",
        "@graph", "@id", "@import", "@included", "@index", "@json", "@language", "@list",
        "@nest", "@none", "@omitDefault", "@prefix", "@preserve", "@propagate", "@protected",
        "@requireAll", "@reverse", "@set", "@type", "@value", "@version", "@vocab",
    }
)  # fmt: skip
"""Reasons are keywords or fixed phrases: the fallback counter stays small."""


def _document_iri(ctx: Any, value: str) -> str | None:
    """``_expand_iri(ctx, value)`` without a vocabulary or base, for the usual values; else None.

    A blank-node label, or an absolute IRI (as RDF sees one) whose prefix is no term,
    expands to itself (pyld ``_expand_iri``: a prefix ``_`` or a suffix ``//`` is kept, a
    defined prefix would be used, an absolute IRI is kept); anything else is left to pyld.
    """
    colon = value.find(":")
    if colon <= 0 or value[0] == "@":
        return None
    prefix = value[:colon]
    if prefix == "_":
        return value
    if _ABSOLUTE.fullmatch(value) is None:
        return None
    if value.startswith("//", colon + 1) or prefix not in ctx["mappings"]:
        return value
    return None


_REFUSED = (_Fallback, CanonicalizationError, JsonLdError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError)  # fmt: skip
"""What ends the walk: a case it does not cover, or whatever pyld or safe mode would refuse
(pyld then runs the document and raises its own error, or ours, as before)."""


def one_pass_quads(document: Any, processor: Any, options: dict[str, Any]) -> tuple[list[Quad] | None, str | None]:  # fmt: skip
    """The quads of ``document`` in one pass, or ``(None, reason)`` for pyld to take it.

    ``processor`` is the safe-mode pyld processor on the loader's compiled contexts;
    ``options`` its options (document loader, context resolver). The quads equal
    ``expanded_to_quads(pyld expand(document))`` up to blank-node labels and order.
    """
    walk = _Walk(processor, {**options, **_OPTIONS})
    try:
        walk.document(document, processor._get_initial_context(walk.options))
    except _REFUSED as exc:
        reason = exc.reason if isinstance(exc, _Fallback) else "refused"
        return None, reason
    return walk.quads, None
