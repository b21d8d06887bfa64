"""The hypothesis strategies re-exported by :mod:`did_gov.testing` (needs ``hypothesis``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from did_gov.keys import KeyType, PrivateKey

__all__ = [
    "EXAMPLES_CONTEXT",
    "claim_names",
    "claim_trees",
    "claim_values",
    "credentials",
    "dids",
    "key_types",
    "private_keys",
    "sd_jwt_selections",
]

EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"
_V2 = "https://www.w3.org/ns/credentials/v2"


@cache
def _reserved_terms() -> frozenset[str]:
    """Terms the credentials v2 context defines: generated claims must not redefine them."""
    path = Path(__file__).parents[1] / "jsonld" / "contexts" / "credentials-v2.json"
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.add(key)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text(encoding="utf-8")))
    return frozenset(found)


def key_types() -> st.SearchStrategy[KeyType]:
    """Every key type did_gov signs with."""
    return st.sampled_from(list(KeyType))


def private_keys(key_type: KeyType | None = None) -> st.SearchStrategy[PrivateKey]:
    """Deterministic private keys (from generated seeds) of one or every key type."""
    kinds = st.just(key_type) if key_type is not None else key_types()
    return st.tuples(kinds, st.binary(min_size=32, max_size=32)).map(
        lambda pair: PrivateKey.from_seed(pair[0], pair[1])
    )


def claim_names() -> st.SearchStrategy[str]:
    """Claim names that map under the examples ``@vocab`` (unicode letters, no JSON-LD keywords)."""
    return st.from_regex(r"[a-zA-Zéøßü][a-zA-Z0-9_éøßü]{0,11}", fullmatch=True).filter(
        lambda name: name not in _reserved_terms()
    )


def claim_values() -> st.SearchStrategy[Any]:
    """Leaf claim values: unicode text, integers, finite floats and booleans."""
    return st.one_of(
        st.text(max_size=40),
        st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.booleans(),
    )


def claim_trees(max_leaves: int = 12) -> st.SearchStrategy[dict[str, Any]]:
    """Nested claim objects: objects of leaves, arrays of leaves and nested objects."""
    node = st.recursive(
        claim_values(),
        lambda children: st.one_of(
            st.lists(children, min_size=1, max_size=4),
            st.dictionaries(claim_names(), children, min_size=1, max_size=4),
        ),
        max_leaves=max_leaves,
    )
    return st.dictionaries(claim_names(), node, min_size=1, max_size=6)


def dids() -> st.SearchStrategy[str]:
    """Syntactically valid ``did:example`` identifiers."""
    return st.from_regex(r"did:example:[a-zA-Z0-9]{1,24}", fullmatch=True)


@st.composite
def credentials(draw: st.DrawFn, issuer: str | None = None) -> dict[str, Any]:
    """Unsigned VC Data Model 2.0 credentials with arbitrary subject claim trees."""
    subject = draw(claim_trees())
    if draw(st.booleans()):
        subject["id"] = draw(dids())
    vc: dict[str, Any] = {
        "@context": [_V2, EXAMPLES_CONTEXT],
        "type": ["VerifiableCredential", draw(claim_names())],
        "issuer": issuer or draw(dids()),
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        vc["id"] = "urn:uuid:" + draw(st.uuids()).hex
    if draw(st.booleans()):
        vc["validFrom"] = "2024-01-01T00:00:00Z"
        vc["validUntil"] = "2999-01-01T00:00:00Z"
    return vc


_SD_JWT_REGISTERED = frozenset({"iss", "iat", "exp", "nbf", "cnf", "vct", "status", "sub"})


def _claim_paths(node: Any, prefix: str = "") -> list[str]:
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    found: list[str] = []
    for name, child in items:
        path = prefix + "/" + str(name).replace("~", "~0").replace("/", "~1")
        found += [path, *_claim_paths(child, path)]
    return found


@st.composite
def sd_jwt_selections(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], list[str]]:
    """``(claims, disclosable, disclosed)`` for SD-JWT: a claim tree, some of its claim paths
    made selectively disclosable, and the subset of those a holder discloses.

    >>> from hypothesis import given
    >>> @given(sd_jwt_selections())
    ... def test_subset(case):
    ...     claims, disclosable, disclosed = case
    ...     assert set(disclosed) <= set(disclosable)
    >>> test_subset()
    """
    claims = draw(claim_trees(max_leaves=10).filter(lambda t: not _SD_JWT_REGISTERED & set(t)))
    paths = _claim_paths(claims)
    disclosable = draw(st.lists(st.sampled_from(paths), unique=True)) if paths else []
    disclosed = draw(st.lists(st.sampled_from(disclosable), unique=True)) if disclosable else []
    return claims, disclosable, disclosed
