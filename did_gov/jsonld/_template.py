"""Shape templates: JSON-LD to RDF once per document shape, then fill in the values.

Credentials of one kind share a shape: the same keys, contexts and types,
different names, dates and identifiers. Expanding such a document with pyld
costs far more than the canonicalization that follows, and the expansion of a
string value in a given position does not depend on the string, only on the
position (its term definition), with two exceptions this module guards:

* a value coerced to an IRI (``@id``/``@vocab`` terms, ``id``) is expanded by
  prefix, term and base rules; a template only fills such a slot with a value
  that pyld would leave unchanged (an absolute IRI whose prefix is no term);
* keyword values (``@type``, ``@language``, …), ``type`` values (they select
  type-scoped contexts), numbers, booleans, nulls and whole ``@context``
  values are part of the shape key, never slots.

A template is learned by running pyld on a *probe*: the document with every
slot replaced by a unique sentinel IRI. Each sentinel must come back whole,
as an IRI or as a literal's lexical value, and nowhere else; otherwise the
shape gets no template and always takes the slow path. The result is
compared against plain pyld by a property test (tests/jsonld).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "NO_TEMPLATE",
    "RdfTerm",
    "Template",
    "TemplateCache",
    "context_terms",
    "learn_template",
    "shape_of",
]

# A term of a pyld RDF dataset: {"type": "IRI"|"blank node"|"literal", "value", "datatype"?, "language"?}
RdfTerm = dict[str, str]

_SLOT = "\x00"
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:[^\s]*")
_NONCE = secrets.token_hex(8)
_SENTINEL_PREFIX = f"urn:x-did-gov-slot:{_NONCE}:"
_SHAPE_KEYS_VERBATIM = frozenset({"@context", "type", "@type"})


def shape_of(document: Any) -> tuple[str, list[str]]:
    """The shape key of a document and its slot values, in document order."""
    slots: list[str] = []

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            slots.append(node)
            return _SLOT
        if isinstance(node, dict):
            # A verbatim member (context, type, keyword) holds no slot: it is kept whole.
            return {
                key: value if key in _SHAPE_KEYS_VERBATIM or _is_keyword_slot(key) else walk(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    skeleton = walk(document)
    return json.dumps(skeleton, separators=(",", ":"), ensure_ascii=False), slots


def _is_keyword_slot(key: str) -> bool:
    return key.startswith("@") and key not in ("@id", "@value")


def _probe(document: Any, verbatim: frozenset[int]) -> tuple[Any, int]:
    """A copy of ``document`` with slots replaced by sentinel IRIs, except the ``verbatim`` ones.

    Slots are numbered in the same order as :func:`shape_of` lists them.
    """
    counter = 0

    def walk(node: Any, keep: bool) -> Any:
        nonlocal counter
        if isinstance(node, str):
            if keep:
                return node
            counter += 1
            index = counter - 1
            return node if index in verbatim else f"{_SENTINEL_PREFIX}{index}"
        if isinstance(node, dict):
            return {
                key: walk(value, keep or key in _SHAPE_KEYS_VERBATIM or _is_keyword_slot(key))
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(item, keep) for item in node]
        return node

    probe = walk(document, False)
    return probe, counter


@dataclass(frozen=True)
class Template:
    """The RDF of one shape with slots: ``quads`` hold ints where a slot's value goes."""

    quads: tuple[tuple[Any, ...], ...]
    iri_slots: frozenset[int]
    known_terms: frozenset[str]
    _plan: tuple[tuple[tuple[Any, ...], tuple[int, ...]], ...] = field(
        init=False, repr=False, compare=False
    )
    """Each quad and the positions of its terms that hold a slot (most hold none or one)."""

    def __post_init__(self) -> None:
        plan = tuple(
            (quad, tuple(i for i, term in enumerate(quad) if _is_slot(term))) for quad in self.quads
        )
        object.__setattr__(self, "_plan", plan)

    def rewritten_slots(self, slots: list[str]) -> frozenset[int]:
        """The IRI slots whose values pyld would rewrite (terms, compact IRIs, relative IRIs)."""
        return frozenset(i for i in self.iri_slots if not self._plain_iri(slots[i]))

    def fill(self, slots: list[str]) -> list[tuple[Any, ...]]:
        """The quads for these slot values; call only when :meth:`rewritten_slots` is empty."""
        out: list[tuple[Any, ...]] = []
        for quad, positions in self._plan:
            if positions:
                filled = list(quad)
                for i in positions:
                    term = quad[i]
                    filled[i] = (term[0], slots[term[1]], *term[2:])
                quad = tuple(filled)
            out.append(quad)
        return out

    def _plain_iri(self, value: str) -> bool:
        """True when pyld would expand ``value`` to itself in an IRI position."""
        if _ABSOLUTE_IRI.fullmatch(value) is None or _SENTINEL_PREFIX[:18] in value:
            return False
        prefix = value.split(":", 1)[0]
        return prefix not in self.known_terms and value not in self.known_terms


NO_TEMPLATE = Template((), frozenset(), frozenset())


def _is_slot(term: Any) -> bool:
    return term is not None and isinstance(term[1], int)


def _classify(value: str, kind: str, found: dict[int, str]) -> Any:
    """Map a sentinel back to its slot index; return None if the value is not a whole sentinel."""
    if not value.startswith(_SENTINEL_PREFIX):
        return None if _SENTINEL_PREFIX in value else value
    tail = value[len(_SENTINEL_PREFIX) :]
    if not tail.isdigit():
        return None
    index = int(tail)
    if found.setdefault(index, kind) != kind:
        return None
    return index


def _term(rdf: RdfTerm, found: dict[int, str]) -> tuple[Any, ...] | None:
    kind = rdf["type"]
    value = _classify(rdf["value"], kind, found)
    if value is None:
        raise _Unsupported
    if kind == "literal":
        datatype = rdf.get("datatype", "")
        language = rdf.get("language")
        if _SENTINEL_PREFIX in datatype or (language and _SENTINEL_PREFIX in language):
            raise _Unsupported
        return ("literal", value, datatype, language)
    return (kind, value)


class _Unsupported(Exception):
    """The probe shows a slot used in a way a template cannot reproduce."""


def learn_template(
    document: Any,
    to_rdf: Callable[[Any], dict[str, list[dict[str, RdfTerm]]]],
    loader_terms: frozenset[str],
    verbatim: frozenset[int] = frozenset(),
) -> Template:
    """Run ``to_rdf`` on a probe of ``document`` and build its template (or NO_TEMPLATE).

    Slots in ``verbatim`` keep their value in the probe: the caller puts those
    values in the shape key (IRI-position values that pyld would rewrite).
    """
    probe, count = _probe(document, verbatim)
    dataset = to_rdf(probe)
    found: dict[int, str] = {}
    quads: list[tuple[Any, ...]] = []
    try:
        for graph, triples in dataset.items():
            graph_term: Any = None
            if graph != "@default":
                graph_term = _term(
                    {"type": "blank node" if graph.startswith("_:") else "IRI", "value": graph},
                    found,
                )
            for triple in triples:
                quads.append(
                    (
                        _term(triple["subject"], found),
                        _term(triple["predicate"], found),
                        _term(triple["object"], found),
                        graph_term,
                    )
                )
    except _Unsupported:
        return NO_TEMPLATE
    if len(found) != count - len(verbatim):
        return NO_TEMPLATE
    iri_slots = frozenset(i for i, kind in found.items() if kind != "literal")
    predicate_slots = {q[1][1] for q in quads if q[1] is not None and isinstance(q[1][1], int)}
    if predicate_slots or any(kind == "blank node" for kind in found.values()):
        return NO_TEMPLATE
    return Template(tuple(quads), iri_slots, loader_terms | _inline_terms(document))


def _inline_terms(document: Any) -> frozenset[str]:
    """Every key of every inline context in the document (prefix candidates)."""
    terms: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            terms.update(node)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    collect(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return frozenset(terms)


def context_terms(documents: Iterable[Any]) -> frozenset[str]:
    """Every key defined anywhere in the given context documents."""
    terms: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            terms.update(node)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for document in documents:
        collect(document)
    return frozenset(terms)


class TemplateCache:
    """Templates by shape key, bounded (LRU), for one loader's set of contexts."""

    def __init__(self, loader_terms: frozenset[str], maxsize: int = 512) -> None:
        from did_gov.jsonld._lru import LockedLRUCache

        self._terms = loader_terms
        self._templates: LockedLRUCache[str, Template] = LockedLRUCache(maxsize=maxsize)
        self._seen: LockedLRUCache[str, bool] = LockedLRUCache(maxsize=maxsize * 8)
        """Shapes seen once: a template is learned on a shape's second sight, so a
        credential of a shape never seen again costs one expansion, not a probe's too."""

    def _template(
        self,
        key: str,
        document: Any,
        to_rdf: Callable[[Any], dict[str, list[dict[str, RdfTerm]]]],
        verbatim: frozenset[int],
    ) -> Template:
        template = self._templates.get(key)
        if template is None:
            template = learn_template(document, to_rdf, self._terms, verbatim)
            self._templates[key] = template
        return template

    def quads(
        self, document: Any, to_rdf: Callable[[Any], dict[str, list[dict[str, RdfTerm]]]]
    ) -> list[tuple[Any, ...]] | None:
        """The RDF quads of ``document`` from its shape's template, or None for the slow path.

        ``to_rdf`` (the slow path) runs only on probes of shapes not seen before;
        its exceptions propagate, exactly as they would for the document itself.
        """
        key, slots = shape_of(document)
        if key not in self._templates and self._seen.pop(key, None) is None:
            self._seen[key] = True
            return None
        template = self._template(key, document, to_rdf, frozenset())
        if template is NO_TEMPLATE:
            return None
        rewritten = template.rewritten_slots(slots)
        if rewritten:
            pinned = json.dumps([[i, slots[i]] for i in sorted(rewritten)], ensure_ascii=False)
            template = self._template(key + "\x01" + pinned, document, to_rdf, rewritten)
            if template is NO_TEMPLATE or template.rewritten_slots(slots):
                return None
        return list(dict.fromkeys(template.fill(slots)))
