"""Red team: the one-pass expander against pyld (safe mode), on documents built to split them.

A Data Integrity proof signs canonical N-Quads, so a document for which the one pass gives
other quads than pyld (or quads where pyld refuses) could carry a signature made for
something else. The reference is ``to_quads`` with ``loader.one_pass = False``. The
strategies here go where ``test_expander.py`` does not: ``@base``, ``@vocab`` (absolute,
compact, empty), default and term languages in mixed case, ``@propagate``, protected
terms redefined in embedded and scoped contexts, keyword aliases of ``@value``,
``@language``, ``@json``, ``@graph``, every coercion, odd numbers (``-0.0``, ``1e21``,
``2**53``), IRIs with percent-encoding and non-ASCII, blank nodes and relative IRIs.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did_gov.jsonld import OfflineDocumentLoader
from tests.jsonld.reference import REFERENCE, outcome

V2 = "https://www.w3.org/ns/credentials/v2"
XSD = "http://www.w3.org/2001/XMLSchema#"
FAST = OfflineDocumentLoader()


def _same(document: Any) -> None:
    expected = outcome(document, REFERENCE)
    # A fresh loader (cold tables) and the shared one (tables warm from other documents).
    assert outcome(document, OfflineDocumentLoader()) == expected, document
    assert outcome(document, FAST) == expected, document


_TERMS = ["a", "b", "c", "T", "U", "id", "type", "v", "lang", "ex", "g"]
_IRI_VALUES = [
    "https://x.example/a",
    "https://x.example/b",
    "ex:a",
    "ex:b",
    "_:bn",
    "rel",
    "@id",
    "@type",
    "@value",
    "@language",
    "@json",
    "@graph",
    "@vocab",
    "@none",
    "@set",
]
_COERCIONS = ["@id", "@vocab", "@json", "@none", XSD + "double", XSD + "integer", "ex:dt", "rel"]
_CONTAINERS = [None, "@set", "@list", "@graph", ["@graph", "@set"], "@language", "@index"]
_LANGUAGES = ["en", "EN-us", None, "De"]


def _definitions(depth: int) -> st.SearchStrategy[Any]:
    scoped: st.SearchStrategy[Any] = st.none()
    if depth > 0:
        scoped = st.one_of(st.none(), st.just(None), _contexts(depth - 1))
    full = st.fixed_dictionaries(
        {},
        optional={
            "@id": st.sampled_from(_IRI_VALUES),
            "@type": st.sampled_from(_COERCIONS),
            "@container": st.sampled_from(_CONTAINERS),
            "@context": scoped,
            "@language": st.sampled_from(_LANGUAGES),
            "@protected": st.booleans(),
            "@prefix": st.booleans(),
            "@reverse": st.sampled_from(["https://x.example/r"]),
        },
    )
    return st.one_of(st.sampled_from(_IRI_VALUES), st.none(), full)


def _contexts(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "@vocab": st.sampled_from(["https://v.example/", "ex:", "", "https://v.example/#"]),
            "@base": st.sampled_from(["https://base.example/dir/", None]),
            "@language": st.sampled_from(_LANGUAGES),
            "@propagate": st.booleans(),
            "@protected": st.booleans(),
            "ex": st.just("https://x.example/"),
            "xsd": st.just(XSD),
        },
    ).flatmap(
        lambda top: st.dictionaries(st.sampled_from(_TERMS), _definitions(depth), max_size=4).map(
            lambda terms: {**terms, **top}
        )
    )


_STRINGS = st.sampled_from(
    [
        "x",
        "",
        "ex:v",
        "_:b1",
        "_:b2",
        "rel/x",
        "https://x.example/%41é",
        "https://ü.example/a b",
        "T",
        "U",
        "a",
        "1.0",
        "-0",
        "true",
        "@id",
        "https://x.example/a",
    ]
)
_NUMBERS = st.sampled_from(
    [0, -0.0, 1, -1, 1.0, 1.5, 1e21, 1e20, 2**53, -(2**53), 1e-7, 0.1, 123456789012]
)
_KEYS = st.sampled_from(
    [
        *_TERMS,
        "@id",
        "@type",
        "@value",
        "@language",
        "@graph",
        "@context",
        "ex:p",
        "https://x.example/p",
        "rel",
        "_:p",
    ]
)


def _values(depth: int) -> st.SearchStrategy[Any]:
    leaf = st.one_of(_STRINGS, _NUMBERS, st.booleans(), st.none())
    if depth == 0:
        return leaf
    node = st.dictionaries(_KEYS, st.deferred(lambda: _values(depth - 1)), max_size=3)
    with_context = st.builds(lambda n, c: {**n, "@context": c}, node, _contexts(0))
    return st.one_of(
        leaf,
        node,
        with_context,
        st.lists(st.one_of(leaf, node), max_size=3),
    )


@settings(
    max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(
    _contexts(2),
    st.dictionaries(_KEYS, _values(2), min_size=1, max_size=4),
    st.booleans(),
)
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_rich_documents_give_the_same_quads_or_code_on_both_paths(
    context: dict[str, Any], body: dict[str, Any], pinned: bool
) -> None:
    body.pop("@context", None)
    document = {**body, "@context": ([V2] if pinned else []) + [context]}
    _same(document)


_PLAUSIBLE_TERMS = ["a", "b", "c", "T", "U", "id", "type", "v", "lang", "g"]
_GOOD_IRIS = [
    "https://x.example/a",
    "https://x.example/b",
    "ex:a",
    "ex:b",
    "https://x.example/%C3%A9",
]
_ALIASES = ["@id", "@type", "@value", "@language", "@json", "@graph"]


def _plausible_definitions(depth: int) -> st.SearchStrategy[Any]:
    scoped: st.SearchStrategy[Any] = st.none()
    if depth > 0:
        scoped = _plausible_contexts(depth - 1)
    full = st.fixed_dictionaries(
        {"@id": st.sampled_from(_GOOD_IRIS)},
        optional={
            "@type": st.sampled_from(["@id", "@vocab", "@json", "@none", XSD + "double", "ex:dt"]),
            "@container": st.sampled_from([None, "@set", "@list", "@graph"]),
            "@context": scoped,
            "@language": st.sampled_from(_LANGUAGES),
            "@protected": st.booleans(),
        },
    )
    return st.one_of(
        st.sampled_from(_GOOD_IRIS), st.sampled_from(_ALIASES), full, full.map(_drop_id)
    )


def _drop_id(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k != "@id"}


def _plausible_contexts(depth: int) -> st.SearchStrategy[Any]:
    vocab = st.sampled_from(["https://v.example/", "ex:", "https://v.example/#"])
    tops = st.fixed_dictionaries(
        {"ex": st.just("https://x.example/"), "@vocab": vocab}
        if depth == 2
        else {"ex": st.just("https://x.example/")},
        optional={
            "@language": st.sampled_from(_LANGUAGES),
            "@propagate": st.booleans(),
            "@protected": st.booleans(),
        }
        | ({} if depth == 2 else {"@vocab": vocab}),
    )
    body = st.dictionaries(
        st.sampled_from(_PLAUSIBLE_TERMS), _plausible_definitions(depth), max_size=5
    )
    built = st.builds(lambda t, b: {**b, **t}, tops, body)
    return built if depth == 2 else st.one_of(st.just(None), built)


def _plausible_values(depth: int) -> st.SearchStrategy[Any]:
    leaf = st.one_of(_STRINGS, _NUMBERS, st.booleans(), st.none())
    if depth == 0:
        return leaf
    keys = st.sampled_from([*_PLAUSIBLE_TERMS, "ex:p", "https://x.example/p", "@type", "@id"])
    node = st.dictionaries(
        keys, st.deferred(lambda: _plausible_values(depth - 1)), min_size=1, max_size=3
    )
    with_context = st.builds(lambda n, c: {**n, "@context": c}, node, _plausible_contexts(0))
    value_object = st.fixed_dictionaries(
        {"@value": st.one_of(_STRINGS, _NUMBERS, st.booleans())},
        optional={
            "@language": st.sampled_from(_LANGUAGES),
            "@type": st.sampled_from(["ex:dt", XSD + "double", "T"]),
        },
    )
    return st.one_of(
        leaf, node, with_context, value_object, st.lists(st.one_of(leaf, node), max_size=3)
    )


@settings(
    max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(
    _plausible_contexts(2),
    st.dictionaries(
        st.sampled_from([*_PLAUSIBLE_TERMS, "ex:p"]), _plausible_values(3), min_size=1, max_size=4
    ),
    st.booleans(),
)
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_plausible_documents_give_the_same_quads_or_code_on_both_paths(
    context: Any, body: dict[str, Any], pinned: bool
) -> None:
    document = {**body, "@context": ([V2] if pinned else []) + [context]}
    _same(document)


@pytest.mark.parametrize("where", ["top", "subject"])
def test_a_null_type_through_a_second_type_alias_is_reported_not_raised(where: str) -> None:
    """Two aliases of ``@type``, one null: pyld keeps the null, and the conversion to quads
    raised AttributeError out of ``Verifier.verify``; now ``jsonld.invalid`` on both paths."""
    from did_gov import Verifier, issue
    from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
    from tests.conftest import NOW
    from tests.verify._actors import MINISTRY, citizen_vc

    aliases = {"a": "@type", "b": "@type"}
    vc = issue(citizen_vc(), MINISTRY, now=NOW)
    if where == "top":
        vc["@context"] = [*vc["@context"], aliases]
        vc.update(a=None, b="x")
    else:
        vc["credentialSubject"].update({"@context": aliases, "a": None, "b": "x"})
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not report.verified
    assert [c.code for c in report.errors] == ["jsonld.invalid"]
    document = {"@context": [{"@vocab": "https://v.example/", **aliases}], "a": None, "b": "x"}
    assert outcome(document, FAST) == outcome(document, REFERENCE) == ("error", "jsonld.invalid")


def test_check_json_ld_does_not_remember_a_shape_whose_inline_context_aliases_a_keyword() -> None:
    """The shape key keeps keyword members' values but not those of an inline alias: a valid
    ``"dir": "ltr"`` (alias of ``@direction``) made ``"dir": "sideways"`` pass unexpanded."""
    from did_gov.errors import DidGovError
    from did_gov.jsonld import check_json_ld

    def document(direction: str) -> dict[str, Any]:
        return {
            "@context": [V2, {"dir": "@direction"}],
            "type": "VerifiableCredential",
            "name": {"@value": "x", "dir": direction},
        }

    loader = OfflineDocumentLoader()
    check_json_ld(document("ltr"), loader=loader)
    with pytest.raises(DidGovError) as caught:
        check_json_ld(document("sideways"), loader=loader)
    assert caught.value.code == "jsonld.invalid"
