"""The shape-template fast path equals plain pyld on arbitrary documents, contexts included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld

from did_gov.errors import DidGovError
from did_gov.jsonld import OfflineDocumentLoader, canonicalize, default_loader
from did_gov.jsonld._rdfc import canonical_nquads, from_pyld_dataset
from did_gov.jsonld._template import shape_of
from did_gov.testing import claim_trees, credentials
from tests.conftest import load_vector
from tests.jsonld.reference import reference_to_rdf as to_rdf

INLINE = {
    "ex": "https://ex.example/ns#",
    "ref": {"@id": "https://ex.example/ns#ref", "@type": "@id"},
    "kind": {"@id": "https://ex.example/ns#kind", "@type": "@vocab"},
    "when": {
        "@id": "https://ex.example/ns#when",
        "@type": "http://www.w3.org/2001/XMLSchema#dateTime",
    },
    "Gold": "https://ex.example/ns#Gold",
}
IRI_VALUES = st.sampled_from(
    [
        "did:example:123",
        "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
        "https://gov.example/a b",
        "ex:local",
        "Gold",
        "relative/path",
        "_:b7",
        "https://ex.example/ns#x",
        "did:example:123",
        "mailto:a@b.example",
        "ex",
        "urn:x-did-gov-slot:0",
        "",
    ]
)


def naive(document: dict[str, Any], hash_name: str = "sha256") -> str:
    """Plain pyld to_rdf (no template, fresh context resolver), then RDFC-1.0: the reference.

    RDFC-1.0 itself is held to pyld's URDNA2015 in tests/jsonld/test_rdfc.py.
    """
    return canonical_nquads(
        from_pyld_dataset(to_rdf(document, default_loader())), hash_name=hash_name
    )


def outcome(fn: Any, document: Any) -> tuple[str, str]:
    try:
        return ("ok", fn(document))
    except DidGovError as exc:
        return ("error", exc.code)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    vc = draw(credentials())
    if draw(st.booleans()):
        vc["@context"] = [*vc["@context"], INLINE]
        subject = vc["credentialSubject"]
        for key in draw(
            st.lists(st.sampled_from(["ref", "kind", "when", "id"]), max_size=3, unique=True)
        ):
            subject[key] = (
                draw(IRI_VALUES)
                if key != "when"
                else draw(st.sampled_from(["2024-01-01T00:00:00Z", "x"]))
            )
        if draw(st.booleans()):
            subject["ref"] = [draw(IRI_VALUES), draw(IRI_VALUES)]
    if draw(st.booleans()):
        vc["credentialSubject"]["nested"] = {
            "id": draw(IRI_VALUES),
            **draw(claim_trees(max_leaves=4)),
        }
    if draw(st.booleans()):
        vc["id"] = draw(IRI_VALUES)
    return vc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_fast_path_equals_plain_pyld(document: dict[str, Any]) -> None:
    assert outcome(canonicalize, document) == outcome(naive, document)
    # Second call: the shape's template is learned and filled; third: served from the cache.
    assert outcome(canonicalize, document) == outcome(naive, document)
    assert outcome(canonicalize, document) == outcome(naive, document)


@settings(max_examples=100, deadline=None)
@given(documents(), st.data())
def test_same_shape_different_values(first: dict[str, Any], data: st.DataObject) -> None:
    """Learn a template on one document, then fill it with another of the same shape."""
    if outcome(naive, first)[0] == "ok":
        canonicalize(first)  # first sight of the shape: no template yet
        canonicalize(first)  # second sight: the template is learned from this document
    second = json.loads(json.dumps(first))
    _, slots = shape_of(second)
    if not slots:
        return
    replacement = data.draw(IRI_VALUES)
    index = data.draw(st.integers(0, len(slots) - 1))
    _replace_slot(second, index, replacement)
    assert outcome(canonicalize, second) == outcome(naive, second)


def _replace_slot(document: Any, index: int, value: str) -> None:
    counter = [0]

    def walk(node: Any, verbatim: bool) -> Any:
        if isinstance(node, str):
            if verbatim:
                return node
            counter[0] += 1
            return value if counter[0] - 1 == index else node
        if isinstance(node, dict):
            for key in list(node):
                keep = (
                    verbatim
                    or key in ("@context", "type", "@type")
                    or (key.startswith("@") and key not in ("@id", "@value"))
                )
                node[key] = walk(node[key], keep)
            return node
        if isinstance(node, list):
            return [walk(item, verbatim) for item in node]
        return node

    walk(document, False)


@pytest.mark.parametrize(
    "path",
    [
        "eddsa/eddsa-rdfc-2022/signedDataInt.json",
        "eddsa/proof-set-chain/signedProofSet2.json",
        "ecdsa/employmentAuth.json",
        "ecdsa/prCredUnsigned.json",
        "eddsa/Ed25519Signature2020/signedEdSig.json",
    ],
)
def test_vectors_fast_equals_naive(path: str) -> None:
    document = load_vector(path)
    for hash_name in ("sha256", "sha384"):
        assert canonicalize(document, hash_name=hash_name) == naive(document, hash_name)
        assert canonicalize(document, hash_name=hash_name) == naive(document, hash_name)


def test_plain_pyld_agrees_on_the_vector() -> None:
    document = load_vector("eddsa/unsigned.json")
    loader = OfflineDocumentLoader()
    plain = pyld_jsonld.normalize(
        document,
        {"documentLoader": loader, "algorithm": "URDNA2015", "format": "application/n-quads"},
    )
    assert canonicalize(document) == plain


def test_cache_is_bounded() -> None:
    loader = OfflineDocumentLoader()
    for i in range(700):
        doc = {"@context": {"@vocab": "https://ex.example/"}, f"k{i}": "v"}
        canonicalize(doc, loader=loader)
    assert len(loader.templates._templates) <= 512
