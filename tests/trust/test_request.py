"""Presentation requests: parsing, matching the spec's examples, every request.* code, a property."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did_gov.errors import PresentationRequestError
from did_gov.proofs._result import Check
from did_gov.trust._dcql import DcqlQuery, select_claims
from did_gov.trust._request import (
    PresentationRequest,
    PresentedCredential,
    kiosk_query,
    match_request,
)
from tests.conftest import load_vector

CREDENTIALS = {
    name: load_vector(f"openid4vp/credentials/{name}.json")
    for name in ("ldp_vc", "jwt_vc", "sd_jwt_vc_unsecured")
}
PID = "https://credentials.example.com/identity_credential"


def _query(name: str) -> DcqlQuery:
    folder = "request" if name.startswith("dcql_") else "query_lang"
    return DcqlQuery.from_json(load_vector(f"openid4vp/{folder}/{name}.json"))


def _sd(claims: dict[str, Any], **extra: Any) -> PresentedCredential:
    """An SD-JWT VC whose every top-level claim but vct was selectively disclosed."""
    disclosed = tuple((name,) for name in claims if name != "vct")
    fields: dict[str, Any] = {
        "vct": claims.get("vct"),
        "holder_bound": True,
        "disclosed": disclosed,
    }
    return PresentedCredential("dc+sd-jwt", claims, **{**fields, **extra})


def _w3c(document: dict[str, Any], fmt: str = "ldp_vc", **extra: Any) -> PresentedCredential:
    fields: dict[str, Any] = {"types": tuple(document.get("type", ())), "holder_bound": True}
    return PresentedCredential(fmt, document, **{**fields, **extra})


def _codes(checks: tuple[Check, ...]) -> list[tuple[bool, str]]:
    return [(c.ok, c.code) for c in checks]


def _failed(checks: tuple[Check, ...]) -> list[str]:
    return [c.code for c in checks if not c.ok]


# -- the specification's examples ------------------------------------------------------------


def test_ldp_vc_example_meets_the_ldp_vc_request_example() -> None:
    """Appendix B.1.3.2: the example credential answers the example query in full."""
    checks = match_request(_query("dcql_ldp_vc"), [_w3c(CREDENTIALS["ldp_vc"])])
    assert _codes(checks) == [(True, "ok")]
    assert "example_ldp_vc <- credential[0]" in checks[0].message


def test_jwt_vc_example_meets_the_jwt_vc_request_example_and_over_discloses() -> None:
    """Appendix B.1.3.1: claims paths apply to the VC; birthdate and address were not asked."""
    document = CREDENTIALS["jwt_vc"]["vc"]
    checks = match_request(_query("dcql_jwt_vc"), [_w3c(document, "jwt_vc_json")])
    assert _codes(checks) == [(True, "ok"), (True, "request.over_disclosed")]
    assert "credentialSubject.birthdate" in checks[1].message
    assert "not selectively disclosable" in checks[1].message


def test_simple_example_against_the_example_sd_jwt_vc() -> None:
    """§7.4 asks last_name, first_name, address.street_address; B.3.2's credential has none of them."""
    credential = dict(CREDENTIALS["sd_jwt_vc_unsecured"])
    checks = match_request(_query("simple"), [_sd(credential)])
    assert _failed(checks) == ["request.claim_missing"] * 3
    assert "address.street_address" in checks[2].message
    credential |= {"last_name": "Doe", "first_name": "John", "address": {"street_address": "1"}}
    checks = match_request(_query("simple"), [_sd(credential)])
    assert _codes(checks) == [(True, "ok"), (True, "request.over_disclosed")]
    assert "given_name" in checks[1].message and "birthdate" in checks[1].message


def test_value_matching_example() -> None:
    """Appendix D: last_name must be Doe, postal_code 90210 or 90211."""
    credential = {
        "vct": PID,
        "last_name": "Doe",
        "first_name": "John",
        "address": {"street_address": "1 Rodeo Dr"},
        "postal_code": "90210",
    }
    assert _codes(match_request(_query("value_matching_simple"), [_sd(credential)])) == [
        (True, "ok")
    ]
    credential["postal_code"] = "10001"
    checks = match_request(_query("value_matching_simple"), [_sd(credential)])
    assert _failed(checks) == ["request.value_mismatch"]
    assert "postal_code" in checks[0].message


@pytest.mark.parametrize(
    ("claims", "met"),
    [
        ({"last_name": "Doe", "postal_code": "1", "date_of_birth": "1940-01-01"}, "a, b, e"),
        (
            {"last_name": "Doe", "locality": "x", "region": "y", "date_of_birth": "1940"},
            "a, c, d, e",
        ),
    ],
)
def test_claims_alternatives_example(claims: dict[str, Any], met: str) -> None:
    """Appendix D: either claim set answers; the first the credential meets is used."""
    checks = match_request(_query("claims_alternatives"), [_sd({"vct": PID, **claims})])
    assert _codes(checks) == [(True, "ok")], met


def test_claims_alternatives_example_unmet_reports_the_closest_set() -> None:
    claims = {"vct": PID, "last_name": "Doe", "postal_code": "1"}
    checks = match_request(_query("claims_alternatives"), [_sd(claims)])
    assert _failed(checks) == ["request.claim_missing"]
    assert "date_of_birth" in checks[0].message


def test_claims_alternatives_example_over_disclosure_beyond_the_met_set() -> None:
    claims = {
        "vct": PID,
        "last_name": "Doe",
        "locality": "x",
        "region": "y",
        "date_of_birth": "1940",
        "postal_code": "1",
    }
    checks = match_request(_query("claims_alternatives"), [_sd(claims)])
    assert _codes(checks) == [(True, "ok"), (True, "request.over_disclosed")]
    assert "postal_code" in checks[1].message


def _reduced(n: int) -> PresentedCredential:
    if n == 1:
        return _sd(
            {
                "vct": "https://credentials.example.com/reduced_identity_credential",
                "family_name": "Doe",
                "given_name": "John",
            }
        )
    return _sd(
        {
            "vct": "https://cred.example/residence_credential",
            "postal_code": "1",
            "locality": "x",
            "region": "y",
        }
    )


def test_credentials_alternatives_example() -> None:
    """Appendix D: pid, or other_pid, or both reduced credentials; nice_to_have is optional."""
    query = _query("credentials_alternatives")
    assert _failed(match_request(query, [_reduced(1), _reduced(2)])) == []
    checks = match_request(query, [_reduced(1)])
    assert _failed(checks) == ["request.type_mismatch"]
    assert "pid_reduced_cred_2" in checks[0].message  # the option half met is the closest
    assert _failed(match_request(query, [])) == ["request.credential_set_unmet"]


def test_credentials_alternatives_example_optional_set_may_be_answered() -> None:
    query = _query("credentials_alternatives")
    rewards = _sd({"vct": "https://company.example/company_rewards", "rewards_number": "7"})
    checks = match_request(query, [_reduced(1), _reduced(2), rewards])
    assert _codes(checks) == [(True, "ok")]
    assert "nice_to_have <- credential[2]" in checks[0].message


# -- each code -------------------------------------------------------------------------------

SD_QUERY = {
    "credentials": [
        {
            "id": "pid",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [PID]},
            "claims": [{"path": ["family_name"]}],
        }
    ]
}


def _sd_query(**changes: Any) -> DcqlQuery:
    raw = copy.deepcopy(SD_QUERY)
    raw["credentials"][0].update(changes)
    return DcqlQuery.from_json(raw)


def test_format_mismatch() -> None:
    checks = match_request(_sd_query(), [_w3c(CREDENTIALS["ldp_vc"])])
    assert _failed(checks) == ["request.format_mismatch"]


def test_type_mismatch_on_vct() -> None:
    checks = match_request(_sd_query(), [_sd({"vct": "https://other/vct", "family_name": "D"})])
    assert _failed(checks) == ["request.type_mismatch"]


def test_type_mismatch_uses_expanded_types_when_given() -> None:
    """Appendix B.1.1: a term counts only as the IRI its context expands it to."""
    query = DcqlQuery.from_json(
        {
            "credentials": [
                {"id": "id", "format": "ldp_vc", "meta": {"type_values": [["IDCredential"]]}}
            ]
        }
    )
    document = CREDENTIALS["ldp_vc"]
    expanded = ("https://www.w3.org/2018/credentials#VerifiableCredential", "https://evil/IDC")
    checks = match_request(query, [_w3c(document, expanded_types=expanded)])
    assert _failed(checks) == ["request.type_mismatch"]
    assert _failed(match_request(query, [_w3c(document)])) == []


def test_type_values_need_every_type_of_one_alternative() -> None:
    query = DcqlQuery.from_json(
        {
            "credentials": [
                {
                    "id": "d",
                    "format": "jwt_vc_json",
                    "meta": {"type_values": [["https://x#A", "https://x#B"], ["https://x#C"]]},
                }
            ]
        }
    )

    def make(*types: str) -> PresentedCredential:
        return _w3c({"type": ["VerifiableCredential"]}, "jwt_vc_json", expanded_types=types)

    assert _failed(match_request(query, [make("https://x#B", "https://x#A")])) == []
    assert _failed(match_request(query, [make("https://x#C", "https://x#Z")])) == []
    assert _failed(match_request(query, [make("https://x#A")])) == ["request.type_mismatch"]


def test_holder_binding_missing_unless_the_query_waives_it() -> None:
    bare = _sd({"vct": PID, "family_name": "Doe"}, holder_bound=False)
    assert _failed(match_request(_sd_query(), [bare])) == ["request.holder_binding_missing"]
    waived = _sd_query(require_cryptographic_holder_binding=False)
    assert _failed(match_request(waived, [bare])) == []


def test_trusted_authorities() -> None:
    query = _sd_query(
        trusted_authorities=[{"type": "openid_federation", "values": ["did:web:state.example"]}]
    )
    chain = ("did:web:office.example", "did:web:ministry.example", "did:web:state.example")
    claims = {"vct": PID, "family_name": "Doe"}
    assert _failed(match_request(query, [_sd(claims, trust_chain=chain)])) == []
    forger = _sd(claims, trust_chain=("did:key:z6Mkforger",))
    assert _failed(match_request(query, [forger])) == ["request.untrusted_authority"]
    unjudged = match_request(query, [_sd(claims)])
    assert _failed(unjudged) == ["request.authority_unknown"] and unjudged[0].indeterminate


def test_trusted_authorities_of_x509_kinds_cannot_be_checked() -> None:
    query = _sd_query(
        trusted_authorities=[{"type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}]
    )
    claims = {"vct": PID, "family_name": "Doe"}
    checks = match_request(query, [_sd(claims, trust_chain=("did:web:a",))])
    assert _failed(checks) == ["request.authority_unknown"] and checks[0].indeterminate


def test_claim_missing_and_value_mismatch() -> None:
    assert _failed(match_request(_sd_query(), [_sd({"vct": PID})])) == ["request.claim_missing"]
    query = _sd_query(claims=[{"path": ["age_over_18"], "values": [True]}])
    assert _failed(match_request(query, [_sd({"vct": PID, "age_over_18": True})])) == []
    for wrong in (False, 1, "true"):  # a boolean is matched as a boolean only
        checks = match_request(query, [_sd({"vct": PID, "age_over_18": wrong})])
        assert _failed(checks) == ["request.value_mismatch"], wrong


def test_value_matching_on_numbers_and_wildcards() -> None:
    query = _sd_query(claims=[{"path": ["scores", None], "values": [7]}])
    assert _failed(match_request(query, [_sd({"vct": PID, "scores": [3, 7.0]})])) == []
    checks = match_request(query, [_sd({"vct": PID, "scores": [3, True]})])
    assert _failed(checks) == ["request.value_mismatch"]


def test_credential_missing() -> None:
    assert _failed(match_request(_sd_query(), [])) == ["request.credential_missing"]


def test_multiple_not_allowed() -> None:
    two = [_sd({"vct": PID, "family_name": "A"}), _sd({"vct": PID, "family_name": "B"})]
    assert _failed(match_request(_sd_query(), two)) == ["request.multiple_not_allowed"]
    assert _failed(match_request(_sd_query(multiple=True), two)) == []


def test_keyed_presentations_answer_only_their_query() -> None:
    """§8.1: a vp_token maps credential query ids to presentations."""
    query = _query("credentials_alternatives")
    keyed = [
        PresentedCredential(**{**_reduced(1).__dict__, "query_id": "pid_reduced_cred_1"}),
        PresentedCredential(**{**_reduced(2).__dict__, "query_id": "pid_reduced_cred_2"}),
    ]
    assert _failed(match_request(query, keyed)) == []
    wrong = PresentedCredential(**{**_reduced(2).__dict__, "query_id": "pid"})
    assert _failed(match_request(query, [wrong])) == ["request.type_mismatch"]
    stray = PresentedCredential(**{**_reduced(2).__dict__, "query_id": "nope"})
    assert "request.query_unknown" in _failed(match_request(query, [stray]))


def test_over_disclosed_credential_that_answers_nothing() -> None:
    extra = _w3c(CREDENTIALS["ldp_vc"])
    checks = match_request(_sd_query(), [_sd({"vct": PID, "family_name": "Doe"}), extra])
    assert _codes(checks) == [(True, "ok"), (True, "request.over_disclosed")]
    assert "credential[1] answers no credential query" in checks[1].message


def test_over_disclosure_counts_nested_disclosures_of_asked_claims_as_asked() -> None:
    query = _sd_query(claims=[{"path": ["address", "street_address"]}])
    claims = {"vct": PID, "address": {"street_address": "1", "locality": "x"}}
    needed = _sd(claims, disclosed=(("address",), ("address", "street_address")))
    assert _codes(match_request(query, [needed])) == [(True, "ok")]
    extra = _sd(
        claims, disclosed=(("address",), ("address", "street_address"), ("address", "locality"))
    )
    checks = match_request(query, [extra])
    assert _codes(checks) == [(True, "ok"), (True, "request.over_disclosed")]
    assert "address.locality" in checks[1].message


def test_no_claims_asked_means_no_disclosure_for_sd_jwt_and_full_credential_otherwise() -> None:
    """§6.4.1: without claims, an SD-JWT VC discloses nothing optional; a W3C VC shows everything."""
    query = DcqlQuery.from_json(
        {
            "credentials": [
                {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID]}},
                {"id": "id", "format": "ldp_vc", "meta": {"type_values": [["IDCredential"]]}},
            ]
        }
    )
    shown = [_sd({"vct": PID, "given_name": "J"}), _w3c(CREDENTIALS["ldp_vc"])]
    checks = match_request(query, shown)
    assert _codes(checks) == [(True, "ok"), (True, "request.over_disclosed")]
    assert "credential[0]" in checks[1].message and "given_name" in checks[1].message


# -- the request object ----------------------------------------------------------------------

REQUEST = {
    "dcql_query": SD_QUERY,
    "nonce": "n-0S6_WzA2Mj",
    "client_id": "x509_san_dns:client.example.org",
}


def test_request_parses_from_object_and_text_and_ignores_other_members() -> None:
    parsed = PresentationRequest.from_json(REQUEST)
    assert PresentationRequest.from_json(json.dumps(REQUEST)) == parsed
    full = {**REQUEST, "response_type": "vp_token", "response_mode": "direct_post"}
    assert PresentationRequest.from_json(json.dumps(full).encode()) == parsed
    assert PresentationRequest.from_json(parsed.to_json()) == parsed
    assert parsed.match([_sd({"vct": PID, "family_name": "Doe"})])[0].ok


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ([], "request.invalid"),
        ({**REQUEST, "nonce": ""}, "request.invalid"),
        ({**REQUEST, "nonce": 5}, "request.invalid"),
        ({k: v for k, v in REQUEST.items() if k != "client_id"}, "request.invalid"),
        ({k: v for k, v in REQUEST.items() if k != "dcql_query"}, "request.invalid"),
        ({**REQUEST, "dcql_query": "{}"}, "request.query_invalid"),
        ('{"nonce": "a", "nonce": "b"}', "json.duplicate_member"),
        ("{not json", "json.invalid"),
    ],
)
def test_malformed_requests(value: Any, code: str) -> None:
    with pytest.raises(PresentationRequestError) as caught:
        PresentationRequest.from_json(value)
    assert caught.value.code == code


# -- the kiosk's default query (issue 13) ----------------------------------------------------


def test_kiosk_query_shape() -> None:
    types = ["https://example.gov/ns#BirthCertificate", "https://example.gov/ns#Licence"]
    query = kiosk_query([*types, types[0]], ["https://example.gov/pid"])
    raw = query.to_json()
    assert [(c["id"], c["format"]) for c in raw["credentials"]] == [
        ("vc-di", "ldp_vc"),
        ("vc-jwt", "jwt_vc_json"),
        ("sd-jwt-vc", "dc+sd-jwt"),
    ]
    assert raw["credentials"][0]["meta"] == {"type_values": [[t] for t in types]}
    assert raw["credentials"][2]["meta"] == {"vct_values": ["https://example.gov/pid"]}
    assert raw["credential_sets"] == [{"options": [["vc-di"], ["vc-jwt"], ["sd-jwt-vc"]]}]
    licence = _w3c({"type": ["VerifiableCredential", "Licence"]}, expanded_types=(types[1],))
    assert _codes(match_request(query, [licence])) == [(True, "ok")]
    other = _w3c({"type": ["VerifiableCredential"]}, expanded_types=("https://x#Other",))
    assert _failed(match_request(query, [other])) == ["request.type_mismatch"]


def test_kiosk_query_leaves_out_formats_without_types() -> None:
    assert [c.id for c in kiosk_query([], ["v"]).credentials] == ["sd-jwt-vc"]
    assert [c.id for c in kiosk_query(["https://x#A"], []).credentials] == ["vc-di", "vc-jwt"]
    with pytest.raises(PresentationRequestError):
        kiosk_query([], [])
    with pytest.raises(PresentationRequestError):
        kiosk_query("https://x#A", [])
    with pytest.raises(PresentationRequestError):
        kiosk_query([""], [])


# -- the property ----------------------------------------------------------------------------

names = st.sampled_from(["a", "b", "c", "given_name", "address", "x_1", "0"])
scalars = st.one_of(st.text(max_size=5), st.integers(-5, 5), st.booleans())
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(names, inner, min_size=1, max_size=3),
    ),
    max_leaves=12,
)
subjects = st.dictionaries(names, trees, min_size=1, max_size=4)


def _member_paths(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths that end in an object member, some with array indices replaced by null."""
    found = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.append((*path, key))
            found += _member_paths(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            found += _member_paths(value, (*path, i))
            found += _member_paths(value, (*path, None))
    return found


def _remove(tree: Any, path: tuple[Any, ...]) -> None:
    """Delete every claim ``path`` selects (it ends in a member name)."""
    for parent in select_claims(tree, path[:-1]) if path[:-1] else [tree]:
        if isinstance(parent, dict):
            parent.pop(path[-1], None)


@st.composite
def requests_and_credentials(draw: st.DrawFn) -> tuple[DcqlQuery, list[PresentedCredential]]:
    count = draw(st.integers(1, 3))
    queries, credentials = [], []
    for n in range(count):
        fmt = draw(st.sampled_from(["ldp_vc", "jwt_vc_json", "dc+sd-jwt"]))
        subject = draw(subjects)
        tree = {"credentialSubject": subject}
        paths = sorted(  # §7.1.1: a null over a mixed array is an error, not a claim
            {p for p in _member_paths(tree) if select_claims(tree, p) is not None}, key=repr
        )
        asked = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4, unique=True))
        claims = []
        for path in asked:
            claim: dict[str, Any] = {"path": list(path)}
            value = select_claims({"credentialSubject": subject}, path)
            if value and isinstance(value[0], str | int) and draw(st.booleans()):
                claim["values"] = [value[0]]
            claims.append(claim)
        kind = f"https://example.gov/ns#Type{n}"
        meta = {"vct_values": [kind]} if fmt == "dc+sd-jwt" else {"type_values": [[kind]]}
        queries.append({"id": f"q{n}", "format": fmt, "meta": meta, "claims": claims})
        document = {"type": ["VerifiableCredential"], "credentialSubject": subject}
        credentials.append(
            PresentedCredential(
                fmt,
                document,
                expanded_types=(kind,),
                vct=kind,
                holder_bound=True,
                disclosed=tuple(asked) if fmt == "dc+sd-jwt" else None,
            )
        )
    raw: dict[str, Any] = {"credentials": queries}
    if draw(st.booleans()):
        raw["credential_sets"] = [{"options": [[q["id"] for q in queries]]}]
    shuffled = draw(st.permutations(credentials))
    return DcqlQuery.from_json(raw), list(shuffled)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests_and_credentials(), st.data())
def test_a_presentation_built_for_a_query_meets_it_and_removing_a_claim_fails(
    case: tuple[DcqlQuery, list[PresentedCredential]], data: st.DataObject
) -> None:
    query, credentials = case
    checks = match_request(query, credentials)
    assert checks[0].ok and checks[0].code == "ok", checks
    assert all(c.ok for c in checks)

    victim = data.draw(st.sampled_from(credentials))
    asked = data.draw(
        st.sampled_from(
            [
                c.path
                for q in query.credentials
                if (q.type_values[0][0] if q.type_values else (q.vct_values or ("",))[0])
                == victim.vct
                for c in q.claims or ()
            ]
        )
    )
    damaged = copy.deepcopy(victim.claims)
    _remove(damaged, asked)
    changed = [
        PresentedCredential(**{**c.__dict__, "claims": damaged}) if c is victim else c
        for c in credentials
    ]
    failed = _failed(match_request(query, changed))
    assert failed and set(failed) <= {"request.claim_missing", "request.value_mismatch"}, failed
