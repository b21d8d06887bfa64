"""The tuple RDFC-1.0 fast path equals pyld's complete URDNA2015 on generated datasets."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.jsonld import _Urdna
from did_gov.jsonld._rdfc import Quad, canonical_nquads, dataset_quads
from did_gov.jsonld._template import quads_to_dataset

XSD = "http://www.w3.org/2001/XMLSchema#"
LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

iris = st.sampled_from(
    ["https://ex.example/a", "https://ex.example/b", "did:example:1", "urn:uuid:1"]
).map(lambda v: ("IRI", v))
blanks = st.integers(0, 5).map(lambda n: ("blank node", f"_:b{n}"))
lexical = st.text(
    alphabet=st.sampled_from(list('ab "\\\n\r\tÅ€😀<>@^')), max_size=6
) | st.sampled_from(["", "1", "true", "2025-01-01"])
literals = st.one_of(
    st.tuples(st.just("literal"), lexical, st.just(XSD + "string"), st.none()),
    st.tuples(
        st.just("literal"),
        lexical,
        st.sampled_from([XSD + "integer", XSD + "dateTime", "https://ex.example/T"]),
        st.none(),
    ),
    st.tuples(st.just("literal"), lexical, st.just(LANGSTRING), st.sampled_from(["en", "fr-BE"])),
)
predicates = st.sampled_from(["https://ex.example/p", "https://ex.example/q"]).map(
    lambda v: ("IRI", v)
)
quads = st.tuples(
    iris | blanks,
    predicates,
    iris | blanks | literals,
    st.none() | iris | blanks,
)


def reference(quad_list: list[Quad], hash_name: str) -> str:
    """pyld's complete algorithm (with Hash N-Degree Quads), on pyld's dataset form."""
    dataset = quads_to_dataset(copy.deepcopy(quad_list))
    return _Urdna(hash_name).main(dataset, {"format": "application/n-quads"})  # type: ignore[no-any-return]


@settings(max_examples=400, deadline=None)
@given(st.lists(quads, max_size=14), st.sampled_from(["sha256", "sha384"]))
def test_fast_rdfc_equals_pyld(quad_list: list[Quad], hash_name: str) -> None:
    fast = canonical_nquads(quad_list, hash_name)
    if fast is not None:
        assert fast == reference(quad_list, hash_name)


def test_twins_fall_back() -> None:
    """Two blank nodes with identical surroundings share a first-degree hash: no fast answer."""
    p = ("IRI", "https://ex.example/p")
    twins = [
        (("blank node", "_:b0"), p, ("blank node", "_:b1"), None),
        (("blank node", "_:b1"), p, ("blank node", "_:b0"), None),
    ]
    assert canonical_nquads(twins, "sha256") is None


def test_dataset_round_trip() -> None:
    quad_list: list[Quad] = [
        (("blank node", "_:b0"), ("IRI", "https://ex.example/p"), ("IRI", "urn:x"), None),
        (
            ("IRI", "urn:s"),
            ("IRI", "https://ex.example/p"),
            ("literal", "x", LANGSTRING, "en"),
            ("blank node", "_:b1"),
        ),
    ]
    assert dataset_quads(quads_to_dataset(quad_list)) == quad_list


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_unique_hashes_are_the_common_case(hash_name: str) -> None:
    """A credential-like dataset: blank nodes in distinct roles canonicalize without fallback."""
    p: Any = ("IRI", "https://ex.example/p")
    quad_list = [
        (("blank node", "_:b0"), p, ("blank node", "_:b1"), None),
        (("blank node", "_:b1"), p, ("literal", "Ada", XSD + "string", None), None),
        (("blank node", "_:b2"), p, ("IRI", "urn:x"), ("blank node", "_:b3")),
    ]
    fast = canonical_nquads(quad_list, hash_name)
    assert fast is not None
    assert fast == reference(quad_list, hash_name)
