"""Context validation after the proof (VC Data Integrity 1.0 §2.4.1, §4.6 "Context Validation").

A Data Integrity signature covers the RDF of a document, not its JSON: a
context appended after the signed ones can rename what the JSON shows
(swap ``givenName``/``familyName``, alias ``DiplomaticPassportCredential`` to
the signed type's IRI) while the signature stays valid. So after the proof
verifies, the document's contexts are validated: every context URL must be
one this verifier knows (pinned, or registered by its configuration or trust
bundle — never learned from the document), and a document that also carries
an inline or embedded context is either recompacted under its pinned
contexts, so that what every later step reads says what was signed
(:attr:`ContextPolicy.RECOMPACT`, the default), or refused
(:attr:`ContextPolicy.STRICT`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from did_gov._json import JsonFacts, marked_name
from did_gov.errors import ContextLoadError, InvalidInputError

__all__ = ["ContextPolicy", "ContextValidation", "type_key", "validate_contexts"]


class ContextPolicy(enum.Enum):
    """What a verifier does with a signed document that carries a context it did not pin."""

    RECOMPACT = "recompact"
    """Recompact the document under its pinned contexts: later steps read what was signed."""
    STRICT = "strict"
    """Refuse the document (``jsonld.context_unpinned``)."""


@dataclass(frozen=True)
class ContextValidation:
    """The outcome of :func:`validate_contexts`.

    ``document`` is what later steps read: the input itself when every context
    is pinned, else its recompaction (its ``proof`` member kept as it was).
    """

    document: dict[str, Any]
    pinned: tuple[str, ...]
    """The document's top-level context URLs, in order."""
    unpinned: tuple[str, ...]
    """Where the document carries an inline or embedded context (``@context[2]``,
    ``credentialSubject.@context``), and each member written by keyword or IRI instead of
    a term (``member @id``)."""
    recompacted: bool
    expanded_types: tuple[str, ...]
    """The absolute IRIs of the document's ``type`` (or ``@type``) member, in its order:
    what the signature covers."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_context(value: Any, where: str, urls: frozenset[str], found: list[str]) -> None:
    """Refuse an unknown context URL in ``value``; note where an inline context is."""
    for n, item in enumerate(_as_list(value)):
        if isinstance(item, str):
            if item not in urls:
                raise ContextLoadError(
                    f"context {item} is not pinned or registered; a verifier learns "
                    "contexts by configuration, never from the document",
                    code="jsonld.context_not_allowed",
                )
        elif item is not None:
            found.append(f"{where}[{n}]" if isinstance(value, list) else where)


_VALUE_KEYWORDS = frozenset({"@context", "@value", "@language", "@direction"})


def _scan(body: dict[str, Any]) -> tuple[bool, list[str]]:
    """Whether any object below the top level of ``body`` (its ``proof`` aside) has an
    ``@context``, and every member name written by keyword or IRI instead of a term.

    ``"@id"`` for ``id``, ``"@type"`` for ``type`` (outside a value object), ``"@set"`` or
    ``"https://www.w3.org/2018/credentials#validUntil"`` for ``validUntil`` expand to the
    same RDF as the term, so the signature holds, but a step that reads the JSON by term
    (subject binding, validity, status) would not see the member: such a document is not
    in compact form and is recompacted (or refused) like one with an inline context.
    """
    embeds = False
    names: list[str] = []
    layer: list[Any] = []
    for key, value in body.items():
        if key == "proof":
            continue
        if marked_name(key):
            names.append(key)
        if key != "@context":
            layer.append(value)
    while layer:
        below: list[Any] = []
        for node in layer:
            kind = type(node)
            if kind is str:  # most nodes: one type() instead of two isinstance()
                continue
            if kind is dict or isinstance(node, dict):
                for key in node:
                    loose = (key[:1] == "@" and key not in _VALUE_KEYWORDS) or ":" in key
                    if loose and (key != "@type" or "@value" not in node):
                        names.append(key)
                if "@context" in node:
                    embeds = True
                below.extend(node.values())
            elif kind is list or isinstance(node, list):
                below.extend(node)
        layer = below
    return embeds, names


def _known(context: Any, urls: frozenset[str]) -> bool:
    """Whether a ``@context`` value is a known URL or a list of known URLs only."""
    if isinstance(context, str):
        return context in urls
    return isinstance(context, list) and all(isinstance(c, str) and c in urls for c in context)


def _plain_below(body: dict[str, Any], urls: frozenset[str], facts: JsonFacts | None) -> bool:
    """Whether ``facts`` (of ``body`` itself) show nothing below its top level for :func:`_scan`
    to find: every nested ``@context`` a known URL, no member name marked by ``@`` or ``:``."""
    return (
        facts is not None
        and facts.root is body
        and not facts.marked_names
        and all(_known(c, urls) for c in facts.contexts)
    )


def _foreign(
    body: dict[str, Any], urls: frozenset[str], facts: JsonFacts | None = None
) -> tuple[list[str], list[str]]:
    """Every place in ``body`` where a context other than a known URL appears, and every
    member name not written as a term (:func:`_scan`).

    ``facts`` (:func:`did_gov._json.check_json_value`'s, of ``body``) spare the walk below the
    top level when they show nothing there to find.
    """
    found: list[str] = []
    if _plain_below(body, urls, facts):
        if "@context" in body:
            _check_context(body["@context"], "@context", urls, found)
        names = [key for key in body if key != "proof" and marked_name(key)]
        return found, names
    embeds, names = _scan(body)
    if not embeds:  # the usual case: only the top-level @context to look at
        if "@context" in body:
            _check_context(body["@context"], "@context", urls, found)
        return found, names

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for n, item in enumerate(node):
                walk(item, f"{path}[{n}]")
        elif isinstance(node, dict):
            for key, value in node.items():
                where = f"{path}.{key}" if path else key
                if key == "@context":
                    _check_context(value, where, urls, found)
                elif not (path == "" and key == "proof"):
                    walk(value, where)

    walk(body, "")
    return found, names


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_READ_IRIS = ("https://www.w3.org/2018/credentials#", _RDF_TYPE)
"""Member names a recompaction must not keep: a VCDM property (or a type) the steps read by
its term, written in a form the term does not take, stays under its IRI and goes unread."""


def _has_rdf_type_property(expanded: Any) -> bool:
    """Whether an expanded document states a type as an ``rdf:type`` property, not ``@type``.

    The same triple as a ``type`` member, but it is never compacted back into ``type``.
    """
    layer = [expanded]
    while layer:
        below: list[Any] = []
        for node in layer:
            if isinstance(node, dict):
                if _RDF_TYPE in node:
                    return True
                below.extend(node.values())
            elif isinstance(node, list):
                below.extend(node)
        layer = below
    return False


def type_key(typed: dict[str, Any]) -> Hashable:
    """A cache key for a document's ``@context`` and type members: a tuple of their values
    when they are strings or lists of strings (the usual case), else their canonical JSON.
    """
    parts: list[Any] = []
    for name, value in typed.items():
        if isinstance(value, str):
            parts.append((name, value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            parts.append((name, tuple(value)))
        else:
            return json.dumps(typed, sort_keys=True)
    return tuple(parts)


def validate_contexts(
    document: dict[str, Any],
    *,
    policy: ContextPolicy = ContextPolicy.RECOMPACT,
    loader: Any = None,
    facts: JsonFacts | None = None,
) -> ContextValidation:
    """Apply the context policy to a document whose proof verified (VC DI §4.6).

    ``facts``: what :func:`did_gov._json.check_json_value` learned of ``document`` (used
    only when they are about this very object), so that finding embedded contexts and
    marked member names takes no second walk.

    Raises :class:`ContextLoadError`: ``jsonld.context_not_allowed`` for a context
    URL the loader does not serve, ``jsonld.context_unpinned`` under
    :attr:`ContextPolicy.STRICT` for an inline or embedded context, ``jsonld.not_compact``
    under it for a member written by keyword or IRI instead of its term (``@id``, a full
    IRI for ``validUntil``: recompacted under :attr:`ContextPolicy.RECOMPACT`), and
    ``jsonld.not_compact`` under both when the recompaction still holds keyword members
    (``@included``, ``@reverse``);
    :class:`CanonicalizationError` when the document is not valid JSON-LD in safe mode.

    >>> v = validate_contexts({"@context": ["https://www.w3.org/ns/credentials/v2"],
    ...                        "type": "VerifiableCredential"})
    >>> v.recompacted, v.expanded_types
    (False, ('https://www.w3.org/2018/credentials#VerifiableCredential',))
    """
    if not isinstance(document, dict):
        raise InvalidInputError("a JSON-LD document is a JSON object")
    if not isinstance(policy, ContextPolicy):
        raise InvalidInputError(f"policy must be a ContextPolicy, not {type(policy).__name__}")
    if loader is None:
        from did_gov.jsonld import default_loader

        loader = default_loader()
    unpinned, loose = _foreign(document, loader.urls, facts)  # the proof's own members aside
    pinned = tuple(c for c in _as_list(document.get("@context")) if isinstance(c, str))
    # The type IRIs depend only on the top-level contexts and the type values (type-scoped
    # contexts apply after them), so a two-member document gives them without a full expansion.
    typed: dict[str, Any] = {k: document[k] for k in ("@context", "type", "@type") if k in document}
    cache = getattr(loader, "expanded_types", None)
    key = type_key(typed) if not unpinned and cache is not None else None
    types: tuple[str, ...] | None = cache.get(key) if cache is not None and key else None
    if types is None:
        from did_gov.jsonld import expand

        head = expand(typed, loader=loader) if len(typed) > 1 else []
        types = ()
        if len(head) == 1 and isinstance(head[0], dict):
            types = tuple(head[0].get("@type", ()))
        if cache is not None and key:
            cache[key] = types
    if not unpinned and not loose:
        return ContextValidation(document, pinned, (), False, types)
    if policy is ContextPolicy.STRICT and not unpinned:
        raise ContextLoadError(
            f"the document writes {', '.join(sorted(set(loose)))} where its contexts define a "
            "term: a step reading the JSON would not see what was signed there",
            code="jsonld.not_compact",
        )
    if policy is ContextPolicy.STRICT:
        raise ContextLoadError(
            f"the document carries contexts that are not pinned ({', '.join(unpinned)}); "
            "they can change what its JSON says without changing what was signed",
            code="jsonld.context_unpinned",
        )
    from did_gov.jsonld import _pyld_call, expand

    body = {k: v for k, v in document.items() if k != "proof"}
    expanded = expand(body, loader=loader)
    compacted: dict[str, Any] = _pyld_call("compact", loader, expanded, list(pinned))
    compacted.pop("@context", None)
    # A presentation's credentials are read as written (each has its own contexts step).
    _, left = _scan({k: v for k, v in compacted.items() if k != "verifiableCredential"})
    keywords = sorted({name for name in left if name[:1] == "@" or name.startswith(_READ_IRIS)})
    if _has_rdf_type_property(expanded):
        keywords.append(_RDF_TYPE)
    if keywords:
        # Statements about a node written in another node with its id (``@included``,
        # ``@reverse``) stay there once recompacted: a step reading the credential's own
        # members (validUntil, credentialStatus) would still not see them.
        raise ContextLoadError(
            f"the document keeps {', '.join(keywords)} once recompacted under its pinned "
            "contexts: what it states about a node would stay out of the members read",
            code="jsonld.not_compact",
        )
    recompacted: dict[str, Any] = {"@context": list(pinned), **compacted}
    if "proof" in document:
        recompacted["proof"] = document["proof"]
    places = tuple(unpinned) + tuple(f"member {name}" for name in dict.fromkeys(loose))
    return ContextValidation(recompacted, pinned, places, True, types)
