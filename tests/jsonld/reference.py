"""The naive reference for our JSON-LD fast paths: pyld's own toRdf, in our safe mode.

:func:`reference_to_rdf` is what ``did_gov.jsonld.to_rdf`` must equal (up to
blank-node labels and quad order): the same bounded input check, pyld's
expansion, an independent walk for what the RDF would drop, then pyld's
node map and toRdf — no linear pass and no template of ours involved.

:data:`REFERENCE` is the reference of the one-pass expander: a loader with
``one_pass = False`` (pyld's expansion in safe mode, then the linear conversion to
quads); :func:`outcome` is what either path answers for a document.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pyld import jsonld as pyld_jsonld
from pyld.context_resolver import ContextResolver

from did_gov.errors import CanonicalizationError, DidGovError
from did_gov.jsonld import OfflineDocumentLoader, expand, to_quads
from did_gov.jsonld._rdfc import canonical_nquads
from did_gov.jsonld._safe import precheck
from did_gov.limits import DEFAULT_LIMITS

REFERENCE = OfflineDocumentLoader()
REFERENCE.one_pass = False


def outcome(document: Any, loader: OfflineDocumentLoader) -> tuple[str, str]:
    """``("ok", canonical N-Quads)`` of a copy of ``document`` under ``loader``, or
    ``("error", code)`` if it refuses."""
    try:
        return ("ok", canonical_nquads(to_quads(copy.deepcopy(document), loader)))
    except DidGovError as exc:
        return ("error", exc.code)


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:[^\s]*|_:[^\s]+")


def _loss(message: str) -> CanonicalizationError:
    return CanonicalizationError(message, code="jsonld.data_loss")


def _check(node: Any) -> None:
    """Everything the RDF would drop from expanded JSON-LD, found the naive way."""
    if isinstance(node, list):
        for item in node:
            _check(item)
        return
    if not isinstance(node, dict):
        return
    for keyword in ("@index", "@direction"):
        if keyword in node:
            raise _loss(keyword)
    if "@value" not in node and "@list" not in node:
        kept = {"@id", "@type", "@graph", "@included", "@reverse"}
        dropped = [k for k in node if k.startswith("@") and k not in kept]
        if dropped:  # pyld's toRdf skips every other keyword of a node object
            raise _loss(f"{dropped[0]} on a node")
    for key, value in node.items():
        if key == "@id" and _IRI.fullmatch(value) is None:
            raise _loss(f"relative @id {value!r}")
        if key == "@type":
            for item in value if isinstance(value, list) else [value]:
                if item != "@json" and _IRI.fullmatch(item) is None:
                    raise _loss(f"relative @type {item!r}")
        if not key.startswith("@") and (key.startswith("_:") or _IRI.fullmatch(key) is None):
            raise _loss(f"property {key!r}")
        if key == "@reverse":
            for prop in value:
                if prop.startswith("_:"):
                    raise _loss(f"reverse property {prop!r}")
        if key != "@value":
            _check(value)


def reference_to_rdf(document: Any, loader: OfflineDocumentLoader) -> dict[str, Any]:
    """pyld's toRdf (its dataset form) of ``document`` in safe mode."""
    precheck(document, DEFAULT_LIMITS)
    expanded = expand(document, loader=loader)
    _check(expanded)
    options = {"documentLoader": loader, "contextResolver": ContextResolver({}, loader)}
    dataset: dict[str, Any] = pyld_jsonld.JsonLdProcessor().to_rdf(expanded, options)
    return dataset
