"""The one-pass expander (did_gov/jsonld/_expander.py) against pyld, the reference.

The reference is ``to_quads`` with ``loader.one_pass = False``: pyld's expansion in safe
mode, then the linear conversion to quads. Ours is the one-pass walk over compiled
contexts (with pyld taking whatever the walk does not cover). They must give the same
canonical N-Quads, or refuse with the same error code, on credentials of arbitrary shapes
over the pinned contexts, on documents stacking inline, type- and property-scoped
contexts (``test_equivalence.documents``), with contexts appended to attack a signed
credential (both context policies), and on every JSON-LD document in tests/vectors.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did_gov.errors import DidGovError
from did_gov.jsonld import (
    ContextPolicy,
    ExpansionCounts,
    OfflineDocumentLoader,
    canonicalize,
    check_json_ld,
    to_quads,
    validate_contexts,
)
from tests.jsonld.reference import REFERENCE, outcome
from tests.jsonld.test_compiled import claims
from tests.jsonld.test_compiled import credentials as credential_documents
from tests.jsonld.test_equivalence import documents

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FAST = OfflineDocumentLoader()


def _same(document: Any) -> str | None:
    """Assert both paths agree on ``document``; return the walk's fallback reason, if any."""
    counts = FAST.expansion
    before = counts.fast
    expected = outcome(document, REFERENCE)
    got = outcome(document, FAST)
    assert got == expected
    if counts.fast > before:
        return None
    return "fallback"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credential_documents())
def test_one_pass_equals_pyld_on_credentials_of_any_shape(document: dict[str, Any]) -> None:
    reason = _same(document)
    if outcome(document, REFERENCE)[0] == "ok":
        assert reason is None, document  # what credentials carry needs no pyld run


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_one_pass_equals_pyld_with_inline_and_scoped_contexts(document: dict[str, Any]) -> None:
    _same(document)


INLINE = st.dictionaries(
    st.sampled_from(["givenName", "familyName", "name", "type", "Gold", "degree", "@vocab"]),
    st.sampled_from(
        [
            "https://schema.org/givenName",
            "https://schema.org/familyName",
            "https://www.w3.org/ns/credentials/examples#ExampleDegreeCredential",
            "https://other.example/",
            "@type",
            "@id",
        ]
    )
    | st.builds(lambda i: {"@id": i, "@type": "@id"}, st.just("https://x.example/p")),
    min_size=1,
    max_size=3,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credential_documents(), INLINE, st.sampled_from(["top", "subject"]))
def test_safe_mode_and_context_policy_are_the_same_on_both_paths(
    document: dict[str, Any], inline: dict[str, Any], where: str
) -> None:
    """An appended or embedded context (the swap/relabel attacks' shape): the same result,
    data-loss error and context-policy outcome whichever path turns it into quads."""
    if where == "top":
        document["@context"] = [*document["@context"], inline]
    elif isinstance(document["credentialSubject"], dict):
        document["credentialSubject"]["@context"] = inline
    _same(document)
    for policy in ContextPolicy:
        outcomes = []
        for loader in (FAST, REFERENCE):
            try:
                validated = validate_contexts(copy.deepcopy(document), policy=policy, loader=loader)
                outcomes.append(("ok", json.dumps(validated.document, sort_keys=True)))
            except DidGovError as exc:
                outcomes.append(("error", exc.code))
        assert outcomes[0] == outcomes[1]


def _check_outcome(document: Any, loader: OfflineDocumentLoader) -> str:
    try:
        check_json_ld(copy.deepcopy(document), loader=loader)
    except DidGovError as exc:
        return exc.code
    return "ok"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_check_json_ld_is_the_same_on_both_paths(document: dict[str, Any]) -> None:
    assert _check_outcome(document, OfflineDocumentLoader()) == _check_outcome(document, REFERENCE)


def _vector_documents() -> list[Path]:
    found = []
    for path in sorted(VECTORS.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(data, dict) and "@context" in data:
            found.append(path)
    return found


@pytest.mark.parametrize("path", _vector_documents(), ids=lambda p: str(p.relative_to(VECTORS)))
def test_one_pass_equals_pyld_on_the_w3c_vectors(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    _same(document)
    if isinstance(document.get("proof"), dict):
        _same({k: v for k, v in document.items() if k != "proof"})


def test_the_signed_w3c_credential_takes_the_one_pass_path() -> None:
    document = json.loads((VECTORS / "eddsa/eddsa-rdfc-2022/signedDataInt.json").read_text())
    assert _same({k: v for k, v in document.items() if k != "proof"}) is None
    assert _same(document) is None  # the proof in its @graph container too


def test_fallbacks_are_counted_by_reason() -> None:
    loader = OfflineDocumentLoader()
    base = {"@context": [V2, EXAMPLES], "type": "VerifiableCredential", "issuer": "did:ex:1"}
    canonicalize(base, loader=loader)
    canonicalize(base | {"name": {"@value": "x", "@language": "en"}}, loader=loader)
    mapped = {"@context": {"p": {"@id": "https://x.example/p", "@container": "@language"}}}
    canonicalize(mapped | {"p": {"en": "x"}}, loader=loader)
    reverse = {"@context": {"@vocab": "https://x.example/"}, "@reverse": {"q": {"p": 1}}}
    canonicalize(reverse, loader=loader)
    counts: ExpansionCounts = loader.expansion
    assert counts.fast == 2
    assert counts.fallback == {"container": 1, "@reverse": 1}
    assert counts.total == 4
    assert counts.fallback_rate == pytest.approx(2 / 4)


def test_refused_documents_go_to_pyld_for_the_error() -> None:
    """Data loss is pyld's verdict on both paths: the walk never raises it itself."""
    loader = OfflineDocumentLoader()
    with pytest.raises(DidGovError) as caught:
        canonicalize({"@context": [V2], "type": "VerifiableCredential", "nope": 1}, loader=loader)
    assert caught.value.code == "jsonld.data_loss"
    assert loader.expansion.fast == 0
    assert sum(loader.expansion.fallback.values()) == 1


def test_one_pass_off_sends_everything_to_pyld() -> None:
    loader = OfflineDocumentLoader()
    loader.one_pass = False
    canonicalize({"@context": [V2], "type": "VerifiableCredential"}, loader=loader)
    assert loader.expansion.total == 0


def test_sibling_objects_take_the_one_pass_path() -> None:
    """Thousands of sibling objects: one pass (pyld's node map is never built)."""
    loader = OfflineDocumentLoader()
    doc = {"@context": {"@vocab": "https://x.example/"}, "item": [{"n": i} for i in range(3000)]}
    assert len(to_quads(doc, loader)) == 6000
    assert loader.expansion.fast == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(claims(2), min_size=1, max_size=3))
def test_one_pass_equals_pyld_in_graph_containers(subjects: list[dict[str, Any]]) -> None:
    """Credentials inside a presentation (``verifiableCredential`` is a ``@graph`` container)."""
    presentation = {
        "@context": [V2, EXAMPLES],
        "type": "VerifiablePresentation",
        "verifiableCredential": [
            {
                "@context": [V2, EXAMPLES],
                "type": ["VerifiableCredential"],
                "issuer": "did:example:issuer",
                "credentialSubject": subject,
            }
            for subject in subjects
        ],
    }
    assert _same(presentation) is None  # verifiableCredential's null scoped context included


@pytest.mark.parametrize(
    "value", ["1.5", "1", "abc", 2, 2.5, True, "2E0"], ids=lambda v: f"{type(v).__name__}-{v}"
)
@pytest.mark.parametrize(
    "datatype",
    [
        "http://www.w3.org/2001/XMLSchema#double",
        "http://www.w3.org/2001/XMLSchema#integer",
        "http://www.w3.org/2001/XMLSchema#string",
        "@id",
        "@vocab",
        "@none",
    ],
)
def test_one_pass_equals_pyld_on_coerced_values(value: Any, datatype: str) -> None:
    """Coercion of strings, numbers and booleans (xsd:double strings are canonicalized)."""
    context = {
        "@vocab": "https://x.example/",
        "p": {"@id": "https://x.example/p", "@type": datatype},
    }
    _same({"@context": context, "p": value})
    _same({"@context": context, "p": [value, {"@value": value}]})


@pytest.mark.parametrize(
    "value",
    [[], [1, "a"], "one", None, [None], [{"@id": "did:ex:1"}, {"q": 2}], [{"@value": "x"}]],
    ids=["empty", "scalars", "single", "null", "null_item", "nodes", "value_object"],
)
def test_one_pass_equals_pyld_on_list_containers(value: Any) -> None:
    context = {"@vocab": "https://x.example/", "p": {"@id": "https://x.example/p", "@container": "@list"}}  # fmt: skip
    loader = OfflineDocumentLoader()
    document = {"@context": context, "@id": "did:ex:s", "q": 0, "p": value}
    assert outcome(document, loader) == outcome(document, REFERENCE)
    assert loader.expansion.fast == 1


def test_a_null_property_scoped_context_keeps_scalars_plain() -> None:
    """A term whose scoped context is null is undefined inside it: pyld still reads its
    scalar values as plain literals (and its nodes under the reset context)."""
    context = {
        "@vocab": "https://x.example/",
        "p": {"@id": "https://x.example/p", "@context": None},
        "k": {"@id": "https://x.example/k", "@context": {"k": "@id"}},
    }
    assert _same({"@context": context, "q": 1, "p": ["text", 2, {"@id": "did:ex:1"}]}) is None

    # A keyword in its own scope: pyld leaves the value bare; both paths refuse it (the
    # linear conversion raised AttributeError before, out of canonicalize).
    document = {"@context": context, "q": 1, "k": "did:ex:2"}
    _same(document)
    with pytest.raises(DidGovError) as caught:
        canonicalize(document, loader=OfflineDocumentLoader())
    assert caught.value.code == "jsonld.data_loss"


_NAMES = st.sampled_from(["a", "b", "k", "type", "id", "@type", "@id", "x:y", "ex"])
_KEYWORDS = st.sampled_from(
    [
        "@id",
        "@type",
        "@graph",
        "@list",
        "@set",
        "@value",
        "@language",
        "@index",
        "@json",
        "@vocab",
        "@none",
        "@nest",
        "@included",
        "@reverse",
        "@direction",
    ]
)
_IRIS = st.sampled_from(["https://x.example/a", "ex:c", "_:b", "rel", "@id", "@type", "@vocab"])
_TERM_DEFINITIONS = st.recursive(
    st.one_of(_IRIS, _KEYWORDS, st.none()),
    lambda inner: st.fixed_dictionaries(
        {},
        optional={
            "@id": st.one_of(_IRIS, _KEYWORDS),
            "@type": st.one_of(_IRIS, _KEYWORDS),
            "@container": st.one_of(_KEYWORDS, st.lists(_KEYWORDS, max_size=2)),
            "@context": st.one_of(st.none(), st.dictionaries(_NAMES, inner, max_size=2)),
            "@reverse": _IRIS,
            "@language": st.sampled_from(["en", None]),
            "@protected": st.booleans(),
            "@prefix": st.booleans(),
        },
    ),
    max_leaves=4,
)
_LEAVES = st.one_of(
    st.text(max_size=3),
    st.sampled_from(["https://x.example/v", "ex:v", "_:z", "a"]),
    st.integers(-3, 3),
    st.booleans(),
    st.none(),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.one_of(_NAMES, _KEYWORDS), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(st.one_of(_NAMES, st.just("@vocab")), _TERM_DEFINITIONS, max_size=4),
    st.dictionaries(st.one_of(_NAMES, _KEYWORDS), _VALUES, max_size=4),
    st.booleans(),
)
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_hostile_contexts_give_the_same_answer_or_code_on_both_paths(
    context: dict[str, Any], body: dict[str, Any], pinned: bool
) -> None:
    """Arbitrary term definitions (keywords, scoped contexts, containers) over arbitrary JSON:
    both paths answer alike, and nothing but a ``DidGovError`` ever escapes either."""
    document = {**body, "@context": ([V2] if pinned else []) + [context]}
    _same(document)
    assert _check_outcome(document, OfflineDocumentLoader()) == _check_outcome(document, REFERENCE)
