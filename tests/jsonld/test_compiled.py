"""Compiled contexts (did_gov/jsonld/_compiled.py): pyld's expansion, each context processed once.

The reference is plain ``pyld.jsonld.expand`` with a fresh loader on every call (no table
of ours, no cache of pyld's shared); ours runs every generated credential through one
long-lived loader, so its tables are warm from earlier shapes, as in a verifier.
``tests/jsonld/test_equivalence.py`` (stacked pinned and inline contexts, type- and
property-scoped contexts, …) also runs through the tables: every canonicalization does.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld

from did_gov.jsonld import OfflineDocumentLoader, _pyld_call
from did_gov.jsonld._compiled import CompiledContexts

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
SHARED = OfflineDocumentLoader()

words = st.sampled_from(
    ["givenName", "familyName", "degree", "name", "description", "alumniOf", "x1", "Zeta", "a_b"]
)
scalars = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["did:example:1", "https://gov.example/a", "2024-01-01T00:00:00Z", "_:b1"]),
    st.integers(-5, 10**12),
    st.sampled_from([1.5, 0.1, 2.0]),
    st.booleans(),
)
types = st.sampled_from(
    [
        "ExampleDegreeCredential",
        "BitstringStatusListEntry",
        "VerifiableCredential",
        "EnvelopedVerifiableCredential",
        "ExampleEvidence",
        ["ExampleAlumniCredential", "ExampleDegreeCredential"],
    ]
)


def claims(depth: int) -> st.SearchStrategy[Any]:
    """Claim trees: terms of the examples vocabulary, nested objects (typed or not), arrays."""
    leaf = scalars if depth == 0 else st.one_of(scalars, st.deferred(lambda: claims(depth - 1)))
    value = st.one_of(leaf, st.lists(leaf, min_size=1, max_size=3))

    @st.composite
    def node(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if draw(st.booleans()):
            out["id"] = draw(
                st.sampled_from(["did:example:ada", "urn:uuid:1", "https://x.example/n"])
            )
        if draw(st.integers(0, 3)) == 0:
            out["type"] = draw(types)
        for key in draw(st.lists(words, min_size=1, max_size=4, unique=True)):
            out[key] = draw(value)
        return out

    return node()


@st.composite
def credentials(draw: st.DrawFn) -> dict[str, Any]:
    """A credential over the pinned contexts, of a new shape each time."""
    document: dict[str, Any] = {
        "@context": [V2, EXAMPLES],
        "type": ["VerifiableCredential", draw(st.sampled_from(["ExampleDegreeCredential", "X"]))],
        "issuer": draw(
            st.one_of(
                st.just("did:example:issuer"),
                st.just({"id": "did:example:issuer", "name": "Ministry"}),
            )
        ),
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": draw(
            st.one_of(claims(2), st.lists(claims(1), min_size=1, max_size=2))
        ),
    }
    if draw(st.booleans()):
        document["credentialStatus"] = {
            "id": "https://gov.example/status/1#7",
            "type": "BitstringStatusListEntry",
            "statusPurpose": draw(st.sampled_from(["revocation", "suspension"])),
            "statusListIndex": "7",
            "statusListCredential": "https://gov.example/status/1",
        }
    if draw(st.booleans()):
        document["validUntil"] = "2030-01-01T00:00:00Z"
        document["evidence"] = draw(claims(1))
    if draw(st.booleans()):
        document["name"] = draw(st.one_of(st.text(max_size=4), st.just({"@value": "x", "@language": "en"})))  # fmt: skip
    return document


def _plain_expand(document: dict[str, Any]) -> Any:
    try:
        return pyld_jsonld.expand(
            copy.deepcopy(document), {"documentLoader": OfflineDocumentLoader(), "base": None}
        )
    except pyld_jsonld.JsonLdError as exc:
        return ("error", type(exc).__name__)


def _ours(document: dict[str, Any]) -> Any:
    try:
        return _pyld_call("expand", SHARED, copy.deepcopy(document))
    except Exception as exc:
        return ("error", getattr(exc, "code", type(exc).__name__))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credentials())
def test_compiled_expansion_equals_plain_pyld(document: dict[str, Any]) -> None:
    expected = _plain_expand(document)
    got = _ours(document)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple)  # both refuse it
    else:
        assert got == expected


def test_a_new_shape_processes_no_context_again() -> None:
    loader = OfflineDocumentLoader()
    base = {
        "@context": [V2, EXAMPLES],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2025-01-01T00:00:00Z",
    }
    _pyld_call("expand", loader, base | {"credentialSubject": {"k0": 1}})
    misses = loader.compiled.misses
    for i in range(50):  # fifty new shapes
        _pyld_call("expand", loader, base | {"credentialSubject": {f"k{i}": i, "type": "X"}})
    assert loader.compiled.misses == misses
    assert loader.compiled.hits >= 50


def test_document_inline_contexts_are_not_tabled() -> None:
    compiled = CompiledContexts({})
    assert compiled.local_key({"name": "https://x.example/n"}) is None
    assert compiled.local_key([V2, {"a": "https://x.example/a"}]) is None
    assert compiled.local_key([V2, EXAMPLES]) == ("urls", (V2, EXAMPLES))
    own = {"b": "https://x.example/b"}
    assert CompiledContexts({id(own): own}).local_key(own) == ("own", id(own))


def test_tables_are_bounded() -> None:
    loader = OfflineDocumentLoader()
    loader.compiled.max_contexts = 2
    for i in range(20):
        inline = {"@vocab": f"https://v{i}.example/"}
        _pyld_call("expand", loader, {"@context": [V2, inline], "p": "v"})
    assert loader.compiled.iri_count <= 2 * 2 * 4096  # pyld's keys, and the one pass's
    assert len(loader.compiled._iris) <= 2
    assert len(loader.compiled._terms) <= 2
