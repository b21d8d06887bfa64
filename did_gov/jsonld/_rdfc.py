"""RDFC-1.0 for the common case: every blank node has a unique first-degree hash.

RDF Dataset Canonicalization §4.4 issues canonical labels in the order of
the blank nodes' first-degree hashes (§4.6); only blank nodes that share a
first-degree hash need the costly Hash N-Degree Quads step (§4.8). Credentials
and presentations almost never have such twins, so this module does §4.4
steps 1–5 and 7 on plain tuples, without pyld's per-quad dict copies, and
returns ``None`` when a twin exists: the caller then runs pyld's complete
algorithm. The output is byte-identical to pyld's ``URDNA2015.main`` on the
same dataset (a property test in tests/jsonld holds the two equal).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from pyld.nquads import escape

__all__ = ["Quad", "canonical_nquads", "dataset_quads"]

Quad = tuple[Any, ...]
"""``(subject, predicate, object, graph)``; a term is ``(kind, value)`` or, for a literal,
``("literal", value, datatype, language)``; ``graph`` is None for the default graph."""

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_BLANK = "blank node"


def _node(term: Sequence[Any], labels: dict[str, str] | None, reference: str | None) -> str:
    """One subject, object or graph term in N-Quads (pyld ``serialize_nquad`` rules)."""
    kind = term[0]
    if kind == "IRI":
        return f"<{term[1]}>"
    if kind == _BLANK:
        if labels is not None:
            return labels[term[1]]
        return "_:a" if term[1] == reference else "_:z"
    text = f'"{escape(term[1])}"'
    datatype = term[2]
    if datatype == _RDF_LANGSTRING:
        return f"{text}@{term[3]}" if term[3] else text
    if datatype != _XSD_STRING:
        return f"{text}^^<{datatype}>"
    return text


def _line(quad: Quad, labels: dict[str, str] | None, reference: str | None = None) -> str:
    subject, predicate, obj, graph = quad
    line = f"{_node(subject, labels, reference)} <{predicate[1]}> {_node(obj, labels, reference)}"
    if graph is not None:
        line += " " + _node(graph, labels, reference)
    return line + " .\n"


def canonical_nquads(quads: Sequence[Quad], hash_name: str) -> str | None:
    """Canonical N-Quads of ``quads`` (RDFC-1.0 §4.4), or None when two blank nodes share a hash."""
    mentions: dict[str, list[Quad]] = {}
    for quad in quads:
        if quad[1][0] != "IRI":
            return None  # generalized RDF: leave it to the complete algorithm
        for position in (0, 2, 3):
            term = quad[position]
            if term is not None and term[0] == _BLANK:
                mentions.setdefault(term[1], []).append(quad)
    labels: dict[str, str] = {}
    if len(mentions) == 1:
        # §4.4 steps 4–5 with one blank node: it is issued _:c14n0 whatever its hash.
        labels[next(iter(mentions))] = "_:c14n0"
    elif mentions:
        by_hash: dict[str, str] = {}
        for node, mentioned in mentions.items():
            # §4.6 Hash First Degree Quads: a quad naming the node twice is listed twice.
            lines = sorted(_line(quad, None, node) for quad in mentioned)
            digest = hashlib.new(hash_name, "".join(lines).encode("utf-8")).hexdigest()
            if digest in by_hash:
                return None
            by_hash[digest] = node
        for number, digest in enumerate(sorted(by_hash)):
            labels[by_hash[digest]] = f"_:c14n{number}"
    return "".join(sorted(_line(quad, labels) for quad in quads))


def dataset_quads(dataset: dict[str, Iterable[dict[str, Any]]]) -> list[Quad]:
    """pyld's dataset form (graph name -> triples) as :data:`Quad` tuples, in pyld's order."""
    out: list[Quad] = []
    for name, triples in dataset.items():
        graph = None if name == "@default" else (_BLANK if name.startswith("_:") else "IRI", name)
        for triple in triples:
            out.append(
                (
                    _term(triple["subject"]),
                    _term(triple["predicate"]),
                    _term(triple["object"]),
                    graph,
                )
            )
    return out


def _term(rdf: dict[str, Any]) -> tuple[Any, ...]:
    if rdf["type"] == "literal":
        return ("literal", rdf["value"], rdf.get("datatype", _XSD_STRING), rdf.get("language"))
    return (rdf["type"], rdf["value"])
