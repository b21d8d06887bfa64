"""DCQL queries (OpenID4VP 1.0 §6) and claims path pointers (§7): the spec's examples, and each malformation."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did_gov.errors import PresentationRequestError
from did_gov.limits import Limits
from did_gov.trust._dcql import DcqlQuery, select_claims
from tests.conftest import load_vector

QUERIES = {
    "simple": "query_lang/simple.json",
    "claims_alternatives": "query_lang/claims_alternatives.json",
    "credentials_alternatives": "query_lang/credentials_alternatives.json",
    "value_matching_simple": "query_lang/value_matching_simple.json",
    "dcql_jwt_vc": "request/dcql_jwt_vc.json",
    "dcql_ldp_vc": "request/dcql_ldp_vc.json",
}
JSON_QUERIES = {name: load_vector(f"openid4vp/{path}") for name, path in QUERIES.items()}
MDOC_QUERIES = ["simple_mdoc", "complex_mdoc", "multi_credentials"]

# §7.3, transcribed from the specification's prose: the credential and what each pointer selects.
ARTHUR = {
    "name": "Arthur Dent",
    "address": {
        "street_address": "42 Market Street",
        "locality": "Milliways",
        "postal_code": "12345",
    },
    "degrees": [
        {"type": "Bachelor of Science", "university": "University of Betelgeuse"},
        {"type": "Master of Science", "university": "University of Betelgeuse"},
    ],
    "nationalities": ["British", "Betelgeusian"],
}
POINTERS = [
    (["name"], ["Arthur Dent"]),
    (["address"], [ARTHUR["address"]]),
    (["address", "street_address"], ["42 Market Street"]),
    (["degrees", None, "type"], ["Bachelor of Science", "Master of Science"]),
    (["nationalities", 1], ["Betelgeusian"]),
]


@pytest.mark.parametrize("name", sorted(JSON_QUERIES))
def test_spec_examples_parse_and_round_trip(name: str) -> None:
    query = DcqlQuery.from_json(JSON_QUERIES[name])
    assert [c.id for c in query.credentials] == [c["id"] for c in JSON_QUERIES[name]["credentials"]]
    assert DcqlQuery.from_json(query.to_json()) == query


@pytest.mark.parametrize("name", MDOC_QUERIES)
def test_spec_mdoc_examples_are_refused_as_unsupported(name: str) -> None:
    with pytest.raises(PresentationRequestError) as caught:
        DcqlQuery.from_json(load_vector(f"openid4vp/query_lang/{name}.json"))
    assert caught.value.code == "request.format_unsupported"


def test_claims_alternatives_example_reads_claim_sets_in_order() -> None:
    query = DcqlQuery.from_json(JSON_QUERIES["claims_alternatives"]).credentials[0]
    options = query.claim_options()
    assert [[c.id for c in option] for option in options] == [["a", "c", "d", "e"], ["a", "b", "e"]]


def test_credentials_alternatives_example_defaults() -> None:
    query = DcqlQuery.from_json(JSON_QUERIES["credentials_alternatives"])
    assert query.credential_sets is not None
    assert [s.required for s in query.credential_sets] == [True, False]
    assert query.credential_sets[0].options[2] == ("pid_reduced_cred_1", "pid_reduced_cred_2")
    first = query.credentials[0]
    assert first.multiple is False and first.require_cryptographic_holder_binding is True


def test_value_matching_example_keeps_values() -> None:
    claims = DcqlQuery.from_json(JSON_QUERIES["value_matching_simple"]).credentials[0].claims
    assert claims is not None
    assert claims[0].values == ("Doe",) and claims[3].values == ("90210", "90211")


@pytest.mark.parametrize(("path", "selected"), POINTERS, ids=lambda v: json.dumps(v))
def test_claims_path_pointer_example(path: list[Any], selected: list[Any]) -> None:
    """§7.3: the spec's example pointers select what its text says."""
    assert select_claims(ARTHUR, tuple(path)) == selected


@pytest.mark.parametrize(
    ("path", "why"),
    [
        (("name", "first"), "a string into a non-object"),
        (("address", None), "null into a non-array"),
        (("name", 0), "an index into a non-array"),
        (("nationalities", 2), "an index beyond every selected array"),
        (("nickname",), "a member no selected object has"),
        (("degrees", None, "grade"), "a member none of the selected objects has"),
    ],
)
def test_claims_path_pointer_errors(path: tuple[Any, ...], why: str) -> None:
    """§7.1.1: processing aborts with an error, which here is None."""
    assert select_claims(ARTHUR, path) is None, why


def test_claims_path_pointer_drops_only_elements_without_the_member() -> None:
    tree = {"a": [{"x": 1}, {"y": 2}, {"x": 3}]}
    assert select_claims(tree, ("a", None, "x")) == [1, 3]


def _query(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://example.gov/pid"]},
                "claims": [{"id": "a", "path": ["family_name"]}],
            }
        ]
    }
    for key, value in changes.items():
        target = base["credentials"][0] if key != "credential_sets" else base
        if value is _DELETE:
            del target[key]
        else:
            target[key] = value
    return base


_DELETE = object()

MALFORMED = [
    ("not an object", [], "request.query_invalid"),
    ("no credentials", {}, "request.query_invalid"),
    ("empty credentials", {"credentials": []}, "request.query_invalid"),
    ("credential not an object", {"credentials": ["pid"]}, "request.query_invalid"),
    ("id missing", _query(id=_DELETE), "request.id_invalid"),
    ("id with a dot", _query(id="p.id"), "request.id_invalid"),
    ("id empty", _query(id=""), "request.id_invalid"),
    ("format missing", _query(format=_DELETE), "request.format_unsupported"),
    ("format mso_mdoc", _query(format="mso_mdoc"), "request.format_unsupported"),
    ("format vc+sd-jwt", _query(format="vc+sd-jwt"), "request.format_unsupported"),
    ("meta missing", _query(meta=_DELETE), "request.meta_invalid"),
    ("vct_values missing", _query(meta={}), "request.meta_invalid"),
    ("vct_values empty", _query(meta={"vct_values": []}), "request.meta_invalid"),
    ("vct_values a string", _query(meta={"vct_values": "x"}), "request.meta_invalid"),
    ("vct_values a number", _query(meta={"vct_values": [1]}), "request.meta_invalid"),
    ("type_values on ldp_vc missing", _query(format="ldp_vc"), "request.meta_invalid"),
    (
        "type_values flat",
        _query(format="ldp_vc", meta={"type_values": ["IDCredential"]}),
        "request.meta_invalid",
    ),
    (
        "type_values inner empty",
        _query(format="jwt_vc_json", meta={"type_values": [[]]}),
        "request.meta_invalid",
    ),
    ("claims empty", _query(claims=[]), "request.claim_invalid"),
    ("claims not objects", _query(claims=["family_name"]), "request.claim_invalid"),
    ("path missing", _query(claims=[{"id": "a"}]), "request.path_invalid"),
    ("path empty", _query(claims=[{"path": []}]), "request.path_invalid"),
    ("path a string", _query(claims=[{"path": "family_name"}]), "request.path_invalid"),
    ("path negative index", _query(claims=[{"path": ["a", -1]}]), "request.path_invalid"),
    ("path boolean", _query(claims=[{"path": ["a", True]}]), "request.path_invalid"),
    ("path float", _query(claims=[{"path": ["a", 1.0]}]), "request.path_invalid"),
    ("path object", _query(claims=[{"path": [{"a": 1}]}]), "request.path_invalid"),
    ("claim id bad", _query(claims=[{"id": "a b", "path": ["x"]}]), "request.id_invalid"),
    (
        "claim id twice",
        _query(claims=[{"id": "a", "path": ["x"]}, {"id": "a", "path": ["y"]}]),
        "request.id_duplicate",
    ),
    (
        "same claim twice",
        _query(claims=[{"path": ["x", 0]}, {"path": ["x", 0]}]),
        "request.claim_invalid",
    ),
    ("values empty", _query(claims=[{"path": ["x"], "values": []}]), "request.values_invalid"),
    ("values null", _query(claims=[{"path": ["x"], "values": [None]}]), "request.values_invalid"),
    ("values float", _query(claims=[{"path": ["x"], "values": [1.5]}]), "request.values_invalid"),
    ("values object", _query(claims=[{"path": ["x"], "values": [{}]}]), "request.values_invalid"),
    (
        "claim_sets without claims",
        _query(claims=_DELETE, claim_sets=[["a"]]),
        "request.claim_set_invalid",
    ),
    (
        "claim_sets with a claim without id",
        _query(claims=[{"path": ["x"]}], claim_sets=[["a"]]),
        "request.claim_set_invalid",
    ),
    ("claim_sets unknown id", _query(claim_sets=[["b"]]), "request.claim_set_invalid"),
    ("claim_sets empty", _query(claim_sets=[]), "request.claim_set_invalid"),
    ("claim_sets empty option", _query(claim_sets=[[]]), "request.claim_set_invalid"),
    ("multiple not boolean", _query(multiple="yes"), "request.query_invalid"),
    (
        "holder binding not boolean",
        _query(require_cryptographic_holder_binding=0),
        "request.query_invalid",
    ),
    (
        "trusted_authorities empty",
        _query(trusted_authorities=[]),
        "request.trusted_authorities_invalid",
    ),
    (
        "trusted_authorities no type",
        _query(trusted_authorities=[{"values": ["x"]}]),
        "request.trusted_authorities_invalid",
    ),
    (
        "trusted_authorities empty values",
        _query(trusted_authorities=[{"type": "aki", "values": []}]),
        "request.trusted_authorities_invalid",
    ),
    ("credential_sets empty", _query(credential_sets=[]), "request.credential_set_invalid"),
    (
        "credential_sets unknown id",
        _query(credential_sets=[{"options": [["other"]]}]),
        "request.credential_set_invalid",
    ),
    (
        "credential_sets no options",
        _query(credential_sets=[{"required": True}]),
        "request.credential_set_invalid",
    ),
    (
        "credential_sets empty option",
        _query(credential_sets=[{"options": [[]]}]),
        "request.credential_set_invalid",
    ),
    (
        "credential_sets required not boolean",
        _query(credential_sets=[{"options": [["pid"]], "required": "no"}]),
        "request.credential_set_invalid",
    ),
]


@pytest.mark.parametrize(("why", "query", "code"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_queries_raise_with_their_code(why: str, query: Any, code: str) -> None:
    with pytest.raises(PresentationRequestError) as caught:
        DcqlQuery.from_json(query)
    assert caught.value.code == code, caught.value.message


def test_duplicate_credential_query_ids_are_refused() -> None:
    query = _query()
    query["credentials"].append(copy.deepcopy(query["credentials"][0]))
    with pytest.raises(PresentationRequestError) as caught:
        DcqlQuery.from_json(query)
    assert caught.value.code == "request.id_duplicate"


def test_unknown_members_are_ignored() -> None:
    """§6: "Implementations MUST ignore any unknown properties"."""
    query = _query(future_member={"x": 1})
    query["future_top_level"] = True
    query["credentials"][0]["claims"][0]["future"] = []
    assert DcqlQuery.from_json(query) == DcqlQuery.from_json(_query())


@pytest.mark.parametrize(
    ("limits", "query"),
    [
        (
            Limits(max_request_queries=2),
            {
                "credentials": [
                    {"id": f"q{i}", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}}
                    for i in range(3)
                ]
            },
        ),
        (Limits(max_request_items=3), _query(meta={"vct_values": ["a", "b", "c", "d"]})),
        (Limits(max_claim_path_length=4), _query(claims=[{"path": ["a"] * 5}])),
        (
            Limits(max_request_queries=1),
            _query(credential_sets=[{"options": [["pid"]]}, {"options": [["pid"]]}]),
        ),
    ],
    ids=["queries", "items", "path length", "credential sets"],
)
def test_bounds_are_enforced_before_work(limits: Limits, query: Any) -> None:
    with pytest.raises(PresentationRequestError) as caught:
        DcqlQuery.from_json(query, limits)
    assert caught.value.code == "request.limit_exceeded"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "credentials",
                    "credential_sets",
                    "id",
                    "format",
                    "meta",
                    "claims",
                    "claim_sets",
                    "path",
                    "values",
                    "options",
                    "required",
                    "multiple",
                    "type_values",
                    "vct_values",
                    "trusted_authorities",
                    "type",
                    "require_cryptographic_holder_binding",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@given(json_values)
def test_any_json_either_parses_or_raises_a_request_error(value: Any) -> None:
    """Hostile queries: never a bare KeyError/TypeError from the parser."""
    try:
        query = DcqlQuery.from_json(value)
    except PresentationRequestError as exc:
        code = exc.code
    else:
        code = "request.parsed"
        assert DcqlQuery.from_json(query.to_json()) == query
    assert code.startswith("request.")


@given(json_values, st.sampled_from(["ldp_vc", "jwt_vc_json", "dc+sd-jwt"]))
def test_hostile_credential_queries_never_crash(value: Any, fmt: str) -> None:
    raw = value if isinstance(value, dict) else {"x": value}
    query = {"credentials": [{"id": "q", "format": fmt, **raw}]}
    code = "request.parsed"
    try:
        DcqlQuery.from_json(query)
    except PresentationRequestError as exc:
        code = exc.code
    assert code.startswith("request.")
