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
from dataclasses import dataclass
from typing import Any

from did_gov.errors import ContextLoadError, InvalidInputError

__all__ = ["ContextPolicy", "ContextValidation", "validate_contexts"]


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
    """Where the document carries an inline or embedded context (``@context[2]``, ``credentialSubject.@context``)."""
    recompacted: bool
    expanded_types: tuple[str, ...]
    """The absolute IRIs of the document's ``type`` (what the signature covers)."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _foreign(body: dict[str, Any], urls: frozenset[str]) -> list[str]:
    """Every place in ``body`` where a context other than a known URL appears."""
    found: list[str] = []

    def check(value: Any, where: str) -> None:
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

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for n, item in enumerate(node):
                walk(item, f"{path}[{n}]")
        elif isinstance(node, dict):
            for key, value in node.items():
                where = f"{path}.{key}" if path else key
                if key == "@context":
                    check(value, where)
                elif not (path == "" and key == "proof"):
                    walk(value, where)

    walk(body, "")
    return found


def validate_contexts(
    document: dict[str, Any],
    *,
    policy: ContextPolicy = ContextPolicy.RECOMPACT,
    loader: Any = None,
) -> ContextValidation:
    """Apply the context policy to a document whose proof verified (VC DI §4.6).

    Raises :class:`ContextLoadError`: ``jsonld.context_not_allowed`` for a context
    URL the loader does not serve, ``jsonld.context_unpinned`` under
    :attr:`ContextPolicy.STRICT` for an inline or embedded context;
    :class:`CanonicalizationError` when the document is not valid JSON-LD in safe mode.

    >>> v = validate_contexts({"@context": ["https://www.w3.org/ns/credentials/v2"],
    ...                        "type": "VerifiableCredential"})
    >>> v.recompacted, v.expanded_types
    (False, ('https://www.w3.org/2018/credentials#VerifiableCredential',))
    """
    from did_gov.jsonld import _pyld_call, default_loader, expand

    if not isinstance(document, dict):
        raise InvalidInputError("a JSON-LD document is a JSON object")
    if not isinstance(policy, ContextPolicy):
        raise InvalidInputError(f"policy must be a ContextPolicy, not {type(policy).__name__}")
    loader = loader or default_loader()
    body = {k: v for k, v in document.items() if k != "proof"}
    unpinned = _foreign(body, loader.urls)
    pinned = tuple(c for c in _as_list(body.get("@context")) if isinstance(c, str))
    expanded = expand(body, loader=loader)
    types: tuple[str, ...] = ()
    if len(expanded) == 1 and isinstance(expanded[0], dict):
        types = tuple(expanded[0].get("@type", ()))
    if not unpinned:
        return ContextValidation(document, pinned, (), False, types)
    if policy is ContextPolicy.STRICT:
        raise ContextLoadError(
            f"the document carries contexts that are not pinned ({', '.join(unpinned)}); "
            "they can change what its JSON says without changing what was signed",
            code="jsonld.context_unpinned",
        )
    compacted: dict[str, Any] = _pyld_call("compact", loader, expanded, list(pinned))
    compacted.pop("@context", None)
    recompacted: dict[str, Any] = {"@context": list(pinned), **compacted}
    if "proof" in document:
        recompacted["proof"] = document["proof"]
    return ContextValidation(recompacted, pinned, tuple(unpinned), True, types)
