"""Attacks on the JSON-LD layer, each named after what it tries: bounded work, no crash, no loss."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bench.di import clique_document
from did_gov.errors import DidGovError
from did_gov.jsonld import OfflineDocumentLoader, canonicalize, jcs
from did_gov.jsonld._rdfc import BLANK, IRI, Quad, canonical_nquads
from did_gov.limits import Limits

VOCAB = {"@vocab": "https://attack.example/"}
LOADER = OfflineDocumentLoader()


def _code(call: Any) -> str:
    with pytest.raises(DidGovError) as info:
        call()
    return info.value.code


def clique_quads(n: int) -> list[Quad]:
    """Every blank node linked to every other: RDFC-1.0 §6's poison graph."""
    return [
        ((BLANK, f"_:n{i}"), (IRI, "urn:p"), (BLANK, f"_:n{j}"), None)
        for i in range(n)
        for j in range(n)
        if i != j
    ]


@pytest.mark.parametrize("n", [8, 24, 64])
def test_poison_clique_is_refused_within_the_work_limit(n: int) -> None:
    started = time.process_time()
    assert _code(lambda: canonical_nquads(clique_quads(n))) == "rdfc.work_limit_exceeded"
    assert _code(lambda: canonicalize(clique_document(n), loader=LOADER)) == (
        "rdfc.work_limit_exceeded"
    )
    # Not a timing test (the benchmark measures that): a generous bound that the old
    # per-call counting (5 s to 56 s) could never meet.
    assert time.process_time() - started < 3


def test_poison_work_counts_permutations_not_calls() -> None:
    # A 6-clique makes few Hash N-Degree Quads calls but walks 5! permutations in each.
    with pytest.raises(DidGovError):
        canonical_nquads(clique_quads(6), work_limit=2_000)
    assert canonical_nquads(clique_quads(4), work_limit=100_000)


def test_sibling_objects_are_linear_not_quadratic() -> None:
    # pyld's node map took 30 s for 10,000 siblings; the linear pass takes one sweep.
    siblings = {"@context": VOCAB, "item": [{"n": i} for i in range(3_000)]}
    started = time.process_time()
    assert canonicalize(siblings, loader=LOADER).count("\n") == 6_000
    assert time.process_time() - started < 3


def test_ten_thousand_sibling_objects_are_refused_by_the_node_limit() -> None:
    siblings = {"@context": VOCAB, "item": [{"n": i} for i in range(10_000)]}
    assert _code(lambda: canonicalize(siblings, loader=LOADER)) == "input.limit_exceeded"


def test_quad_limit_is_checked_before_rdfc() -> None:
    doc = {"@context": VOCAB, "item": [{"n": i} for i in range(100)]}
    tight = Limits(max_rdf_quads=150)
    assert _code(lambda: canonicalize(doc, loader=OfflineDocumentLoader(), limits=tight)) == (
        "input.limit_exceeded"
    )


def test_dict_nested_900_deep_is_refused_not_a_recursion_error() -> None:
    doc: dict[str, Any] = {"@context": VOCAB, "leaf": "x"}
    for _ in range(900):
        doc = {"@context": VOCAB, "inner": doc}
    assert _code(lambda: canonicalize(doc, loader=LOADER)) == "input.limit_exceeded"


@pytest.mark.parametrize(
    "document",
    [
        {"@context": VOCAB, "claim": "\ud800"},
        {"@context": VOCAB, "\ud800": "member name"},
        {"@context": {"@vocab": "https://attack.example/\udfff"}, "claim": "x"},
    ],
    ids=["claim", "member-name", "context"],
)
def test_lone_surrogate_in_rdfc_is_a_typed_error(document: dict[str, Any]) -> None:
    assert _code(lambda: canonicalize(document, loader=LOADER)) == "jsonld.string_invalid"


@pytest.mark.parametrize("value", [{"claim": "\ud800"}, {"\udc00": 1}, {"a": 1, "\ud800b": 2}])
def test_lone_surrogate_in_jcs_is_a_typed_error(value: dict[str, Any]) -> None:
    assert _code(lambda: jcs(value)) == "jcs.invalid"


@pytest.mark.parametrize(
    "number",
    [10**5000, -(10**400), 2**53 + 1, float("inf"), float("nan")],
    ids=["beyond-int-string-limit", "beyond-double", "inexact-double", "inf", "nan"],
)
def test_huge_number_in_a_claim_is_a_typed_error(number: float) -> None:
    doc = {"@context": VOCAB, "claim": number}
    assert _code(lambda: canonicalize(doc, loader=LOADER)) == "jsonld.number_invalid"


def test_large_exact_numbers_still_canonicalize_like_json_ld() -> None:
    doc = {"@context": VOCAB, "big": 10**21, "exact": 2**60}
    nquads = canonicalize(doc, loader=LOADER)
    assert '"1.0E21"^^<http://www.w3.org/2001/XMLSchema#double>' in nquads
    assert f'"{2**60}"^^<http://www.w3.org/2001/XMLSchema#integer>' in nquads


@pytest.mark.parametrize(
    "document",
    [
        {"@context": {**VOCAB, "names": {"@container": "@index"}}, "names": {"unsigned": "Ada"}},
        {"@context": VOCAB, "claim": {"@value": "x", "@index": "unsigned text"}},
        {"@context": VOCAB, "claim": {"@value": "x", "@direction": "rtl"}},
        {"@context": VOCAB, "claim": {"@id": "relative/path"}},
        {"@context": {"claim": "_:blankProperty"}, "claim": "x"},
        {"@context": {"@vocab": "https://attack.example/", "name": None}, "name": "dropped"},
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "undefinedTerm": "dropped"},
    ],
    ids=[
        "index-map",
        "value-index",
        "direction",
        "relative-iri",
        "blank-node-property",
        "null-term",
        "undefined-term",
    ],
)
def test_unsigned_text_is_data_loss(document: dict[str, Any]) -> None:
    assert _code(lambda: canonicalize(document, loader=LOADER)) == "jsonld.data_loss"
