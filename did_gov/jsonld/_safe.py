"""Safe mode for JSON-LD: bounded input, and expanded JSON-LD to RDF with nothing dropped.

Two things a verifier needs before it hashes JSON-LD:

* :func:`precheck` walks the document once, before any expander runs, and
  refuses what would make the work unbounded or crash a dependency: more
  items than ``Limits.max_jsonld_nodes``, nesting deeper than
  ``Limits.max_json_depth``, lone surrogates (``\\ud800`` cannot be UTF-8, so it
  cannot be hashed) and numbers that no IEEE-754 double holds exactly.
* :func:`expanded_to_quads` is JSON-LD 1.1 API §8.5 "Deserialize JSON-LD to
  RDF" applied to the *expanded* document directly, in one linear pass (pyld's
  node map is quadratic in the values of one property), and in safe mode (VC
  Data Integrity §4.6, jsonld.js ``safe``): whatever the RDF would silently
  lose — a relative IRI, a blank-node predicate, an ``@index``, a
  ``@direction``, a free-floating value — is an error, ``jsonld.data_loss``.

It yields the same dataset as pyld's ``to_rdf`` up to blank-node labels and
quad order, which RDFC-1.0 does not see (tests/jsonld hold the two equal).
"""

from __future__ import annotations

import math
import re
from typing import Any

from pyld.jsonld import _canonicalize_double, canonicalize

from did_gov._json import exact_in_double
from did_gov.errors import CanonicalizationError, LimitExceededError
from did_gov.jsonld._rdfc import BLANK, IRI, LITERAL, RDF_LANGSTRING, XSD_STRING, Quad, Term
from did_gov.limits import Limits

__all__ = ["data_loss", "expanded_to_quads", "precheck"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TYPE: Term = (IRI, _RDF + "type")
_FIRST: Term = (IRI, _RDF + "first")
_REST: Term = (IRI, _RDF + "rest")
_NIL: Term = (IRI, _RDF + "nil")
_JSON = _RDF + "JSON"
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:[^\s]*")
"""An absolute IRI as jsonld.js and RDF see one (no whitespace); anything else RDF would drop."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_EXACT = 2**53


def data_loss(message: str) -> CanonicalizationError:
    """The safe-mode error: expansion or RDF would drop (or never sign) part of the document."""
    return CanonicalizationError(message, code="jsonld.data_loss")


def _check_string(text: str, where: str) -> None:
    if not text.isascii() and _SURROGATE.search(text) is not None:
        raise CanonicalizationError(
            f"lone surrogate in {where}: not Unicode text, cannot be hashed",
            code="jsonld.string_invalid",
        )


def _check_number(value: int | float) -> None:
    if isinstance(value, int):
        if not exact_in_double(value):
            raise CanonicalizationError(
                "an integer no IEEE-754 double holds exactly (JSON-LD processors would "
                "read another number)",
                code="jsonld.number_invalid",
            )
    elif not math.isfinite(value):
        raise CanonicalizationError("NaN and Infinity are not JSON", code="jsonld.number_invalid")


def _ascii_names(node: dict[Any, Any]) -> bool:
    """True when every member name of ``node`` is an ASCII string (one C loop, no per-name call)."""
    try:
        return all(map(str.isascii, node))
    except TypeError:  # a name that is not a string
        return False


def _too_many(limits: Limits) -> LimitExceededError:
    return LimitExceededError(
        f"the JSON-LD document has more than {limits.max_jsonld_nodes} items",
        code="input.limit_exceeded",
    )


def precheck(document: Any, limits: Limits) -> int:
    """Refuse, in one pass over ``document``, what no expander should be given.

    Counts every object, array, member name and scalar (``Limits.max_jsonld_nodes``),
    the nesting depth (``Limits.max_json_depth``), lone surrogates in member names
    and strings (``jsonld.string_invalid``) and numbers beyond a double
    (``jsonld.number_invalid``). Contexts embedded in the document are walked too.
    Returns the number of items. One nesting level at a time, no recursion.
    """
    budget = limits.max_jsonld_nodes
    layer: list[Any] = [document]
    depth = 1  # of the nodes in ``layer``
    count = 0
    while layer:
        count += len(layer)
        if count > budget:
            raise _too_many(limits)
        below: list[Any] = []
        for node in layer:
            if isinstance(node, str):
                if not node.isascii():
                    _check_string(node, "a string")
            elif node is None or node is True or node is False:
                continue
            elif isinstance(node, dict):
                if depth > limits.max_json_depth:
                    raise _too_deep(limits)
                if not _ascii_names(node):  # else each name: a string, without a lone surrogate
                    for key in node:
                        if not isinstance(key, str):
                            raise CanonicalizationError(
                                "object member names must be strings", code="jsonld.invalid"
                            )
                        if not key.isascii():
                            _check_string(key, "a member name")
                count += len(node)
                if count > budget:
                    raise _too_many(limits)
                below.extend(node.values())
            elif isinstance(node, list):
                if depth > limits.max_json_depth:
                    raise _too_deep(limits)
                below.extend(node)
            elif isinstance(node, int | float):
                if not (isinstance(node, int) and -_MAX_EXACT <= node <= _MAX_EXACT):
                    _check_number(node)
            else:
                raise CanonicalizationError(
                    f"{type(node).__name__} is not JSON", code="jsonld.invalid"
                )
        layer = below
        depth += 1
    return count


def _too_deep(limits: Limits) -> LimitExceededError:
    return LimitExceededError(
        f"the JSON-LD document nests deeper than {limits.max_json_depth}",
        code="input.limit_exceeded",
    )


class _Converter:
    """One pass over expanded JSON-LD, emitting quads (JSON-LD 1.1 API §8.5 without the node map)."""

    def __init__(self) -> None:
        self.quads: list[Quad] = []
        self.labels: dict[str, str] = {}
        self.issued = 0

    def blank(self, label: str | None = None) -> Term:
        """A fresh blank node, or the one already issued for the document's ``label``."""
        if label is not None:
            found = self.labels.get(label)
            if found is not None:
                return (BLANK, found)
        fresh = f"_:b{self.issued}"
        self.issued += 1
        if label is not None:
            self.labels[label] = fresh
        return (BLANK, fresh)

    def resource(self, iri: str, what: str) -> Term:
        if iri.startswith("_:"):
            return self.blank(iri)
        if _ABSOLUTE.fullmatch(iri) is None:
            raise data_loss(f"relative IRI {iri!r} in {what} would be dropped from the RDF")
        return (IRI, iri)

    def top(self, expanded: list[Any]) -> None:
        for element in expanded:
            self.element(element, None, "the document")

    def element(self, element: Any, graph: Term | None, where: str) -> None:
        if not isinstance(element, dict) or "@value" in element or "@list" in element:
            raise data_loss(f"a value in {where} belongs to no node; it would be dropped")
        if set(element) == {"@id"}:
            raise data_loss(
                f"a node in {where} with only an @id states nothing; it would be dropped"
            )
        self.node(element, graph)

    def node(self, node: dict[str, Any], graph: Term | None) -> Term:
        """A node object: its quads into ``graph``; returns its subject term."""
        subject = self.resource(node["@id"], "@id") if "@id" in node else self.blank(None)
        for key, values in node.items():
            if key == "@id":
                continue
            if key == "@type":
                for item in values:
                    if item.__class__ is not str:  # pyld keeps a null from a second @type alias
                        raise CanonicalizationError(
                            f"@type value {item!r} is not a string", code="jsonld.invalid"
                        )
                    self.quads.append((subject, _TYPE, self.resource(item, "@type"), graph))
            elif key == "@graph":
                for item in values:
                    self.element(item, subject, "@graph")
            elif key == "@included":
                for item in values:
                    self.element(item, graph, "@included")
            elif key == "@reverse":
                for prop, items in values.items():
                    predicate = self.predicate(prop)
                    for item in items:
                        self.quads.append((self.node(item, graph), predicate, subject, graph))
            elif key == "@index":
                raise data_loss(f"@index {values!r} is not part of the RDF; it would go unsigned")
            elif key.startswith("@"):
                raise data_loss(f"{key} would be dropped from the RDF")
            else:
                predicate = self.predicate(key)
                for item in values:
                    self.quads.append((subject, predicate, self.object(item, graph), graph))
        return subject

    def predicate(self, iri: str) -> Term:
        if iri.startswith("_:"):
            raise data_loss(f"blank-node property {iri!r} would be dropped from the RDF")
        return self.resource(iri, "a property")

    def object(self, item: dict[str, Any], graph: Term | None) -> Term:
        if not isinstance(item, dict):  # pyld leaves a value bare under a term scoped to a keyword
            raise data_loss(f"the value {item!r} expands to no RDF term; it would be dropped")
        if "@value" in item:
            return self.literal(item)
        if "@list" in item:
            if "@index" in item:
                raise data_loss("@index on a list is not part of the RDF; it would go unsigned")
            return self.list(item["@list"], graph)
        return self.node(item, graph)

    def list(self, items: list[Any], graph: Term | None) -> Term:
        if not items:
            return _NIL
        head = subject = self.blank(None)
        for n, item in enumerate(items):
            self.quads.append((subject, _FIRST, self.object(item, graph), graph))
            following = _NIL if n == len(items) - 1 else self.blank(None)
            self.quads.append((subject, _REST, following, graph))
            subject = following
        return head

    def literal(self, item: dict[str, Any]) -> Term:
        for keyword in ("@index", "@direction"):
            if keyword in item:
                raise data_loss(
                    f"{keyword} on a value is not part of the RDF; it would go unsigned"
                )
        value = item["@value"]
        datatype = item.get("@type")
        if datatype is not None and datatype != "@json" and _ABSOLUTE.fullmatch(datatype) is None:
            raise data_loss(f"relative datatype IRI {datatype!r}")
        if datatype == "@json":
            return (LITERAL, canonicalize(value).decode("utf-8"), _JSON, "")
        if isinstance(value, bool):
            return (LITERAL, "true" if value else "false", datatype or _XSD + "boolean", "")
        if isinstance(value, float) and not value.is_integer():
            return (LITERAL, _canonicalize_double(value), datatype or _XSD + "double", "")
        if datatype == _XSD + "double":
            try:
                as_float = float(value)
            except (ValueError, TypeError):
                return (LITERAL, value, datatype, "")
            return (LITERAL, _canonicalize_double(as_float), datatype, "")
        if isinstance(value, int | float):
            if abs(value) >= 1e21:
                return (LITERAL, _canonicalize_double(value), datatype or _XSD + "double", "")
            return (LITERAL, str(int(value)), datatype or _XSD + "integer", "")
        if "@language" in item:
            return (LITERAL, value, datatype or RDF_LANGSTRING, item["@language"])
        return (LITERAL, value, datatype or XSD_STRING, "")


def expanded_to_quads(expanded: list[Any]) -> list[Quad]:
    """The RDF quads of an expanded JSON-LD document, in safe mode (``jsonld.data_loss``)."""
    converter = _Converter()
    converter.top(expanded)
    return converter.quads
