"""One walk of a document serves every step that needs it (issue 10: verify within 1.10x of d00943b).

Step 1 holds an object to the parser's bounds (``check_json_value``); the same walk learns
what the JSON-LD precheck and the contexts step would otherwise walk the document again
for (:class:`did_gov._json.JsonFacts`). These tests hold the facts equal to the walks they
replace (naive references beside the fast path), and show each check they spare still
refuses what it refused: a context embedded in a presented credential, an unpinned URL
below the top level, facts offered for another object.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did_gov import PrivateKey, VerificationPolicy, Verifier, present
from did_gov._json import JsonFacts, check_json_value
from did_gov.dids import DefaultResolver, DidDocument
from did_gov.errors import DidGovError
from did_gov.jsonld import ContextPolicy, default_loader, validate_contexts
from did_gov.jsonld._contexts import _foreign
from did_gov.jsonld._safe import precheck
from did_gov.limits import Limits
from did_gov.proofs.data_integrity import verify_proofs
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify._model import Bound, Secured
from did_gov.verify._steps import _instant, validity
from tests.conftest import NOW
from tests.jsonld.test_context_policy import EX, KEY, V2, signed

_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=50, max_value=60).map(lambda n: 2**n + 1),  # around 2**53
        st.integers(min_value=15, max_value=40).map(lambda n: 10**n),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=4),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(["a", "@context", "b"]), inner, max_size=3),
    ),
    max_leaves=12,
)


def _precheck_passes(value: Any, limits: Limits) -> bool:
    try:
        precheck(value, limits)
    except DidGovError:
        return False
    return True


def _nested_contexts(value: Any, top: bool = True) -> list[Any]:
    """Every @context value of an object below the top level (the naive recursive walk)."""
    found: list[Any] = []
    if isinstance(value, dict):
        if not top and "@context" in value:
            found.append(value["@context"])
        for item in value.values():
            found += _nested_contexts(item, False)
    elif isinstance(value, list | tuple):
        for item in value:
            found += _nested_contexts(item, False)
    return found


@given(_values, st.integers(min_value=1, max_value=40))
def test_facts_say_exactly_whether_the_jsonld_precheck_passes(value: Any, budget: int) -> None:
    limits = Limits(max_jsonld_nodes=budget)
    facts = check_json_value(value, limits)
    assert facts.precheck_passes() == _precheck_passes(value, limits)
    if facts.ld_safe:
        assert facts.items == precheck(value, Limits())


@given(_values)
def test_facts_hold_every_nested_context(value: Any) -> None:
    facts = check_json_value(value)
    assert sorted(map(repr, facts.contexts)) == sorted(map(repr, _nested_contexts(value)))


def _marked_below(value: Any, top: bool = True) -> bool:
    """A member name below the top level written with ``@`` (not @context) or ``:`` (naively)."""
    if isinstance(value, dict):
        here = not top and any((k[:1] == "@" and k != "@context") or ":" in k for k in value)
        return here or any(_marked_below(v, False) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_marked_below(v, False) for v in value)
    return False


_names = st.sampled_from(["a", "id", "@context", "@id", "@type", "@value", "ex:b", "proof"])
_documents = st.recursive(
    st.one_of(st.text(max_size=3), st.sampled_from([V2, EX + "x", "https://attacker.example/"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_names, inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_values)
def test_facts_say_whether_a_name_below_the_top_is_marked(value: Any) -> None:
    assert check_json_value(value).marked_names == _marked_below(value)


@given(st.dictionaries(_names, _documents, max_size=5))
def test_the_contexts_scan_with_facts_finds_what_the_walk_finds(document: dict[str, Any]) -> None:
    """``_foreign`` with the facts equals ``_foreign`` walking (same places, names and errors)."""
    urls = default_loader().urls

    def outcome(facts: JsonFacts | None) -> Any:
        try:
            return _foreign(document, urls, facts)
        except DidGovError as exc:
            return exc.code, exc.message

    assert outcome(check_json_value(document)) == outcome(None)


@given(_values)
def test_a_part_is_held_by_the_facts_of_the_whole(value: Any) -> None:
    """What JsonFacts.part promises: a member has no more items, and no nested context more."""
    facts = check_json_value({"x": value})
    if isinstance(value, dict | list):
        own = check_json_value(value)
        assert own.items <= facts.part(value).items
        assert own.precheck_passes() or not facts.precheck_passes()
        assert all(any(c is d for d in facts.contexts) for c in own.contexts)


def test_facts_of_another_object_are_not_used() -> None:
    """verify_proofs walks a document it was given no facts for, even beside another's facts."""
    clean = signed()
    hostile = copy.deepcopy(clean)
    hostile["credentialSubject"]["givenName"] = "\ud800"
    result = verify_proofs(
        hostile, lambda url, purpose: KEY.public_key, json_facts=check_json_value(clean)
    )
    assert not result.verified
    assert result.checks[0].code == "json.lone_surrogate"


def _verifier(policy: ContextPolicy = ContextPolicy.RECOMPACT) -> Verifier:
    return Verifier(
        now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, policy=VerificationPolicy(context_policy=policy)
    )


def _presented(vc: dict[str, Any]) -> dict[str, Any]:
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    return present([vc], holder, challenge="c", domain="d", now=NOW)


def test_embedded_swap_in_a_presented_credential_is_still_found() -> None:
    """The presentation's one walk sees the subject's @context; the nested contexts step acts on it."""
    vc = signed()
    subject = vc["credentialSubject"]
    subject["@context"] = {"givenName": EX + "familyName", "familyName": EX + "givenName"}
    subject["givenName"], subject["familyName"] = subject["familyName"], subject["givenName"]
    vp = _presented(vc)
    policy = VerificationPolicy(subject_binding=False)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, policy=policy).verify(
        vp, challenge="c", domain="d"
    )
    [nested] = report.credentials
    contexts = next(c for c in nested.checks if c.name == "contexts")
    assert contexts.code == "jsonld.context_recompacted"
    assert nested.document["credentialSubject"]["givenName"] == "Ada"
    strict = VerificationPolicy(subject_binding=False, context_policy=ContextPolicy.STRICT)
    refused = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, policy=strict).verify(
        vp, challenge="c", domain="d"
    )
    assert not refused.verified


@pytest.mark.parametrize("where", ["subject", "presented"])
def test_unpinned_url_below_the_top_level_is_refused_with_the_facts(where: str) -> None:
    """The facts say where contexts are; an unknown URL among them is refused as by the walk."""
    vc = signed()
    vc["credentialSubject"]["@context"] = "https://attacker.example/context.jsonld"
    document: dict[str, Any] = vc
    if where == "presented":
        document = {"@context": vc["@context"][:1], "verifiableCredential": [vc]}
    with pytest.raises(DidGovError) as info:
        validate_contexts(document, facts=check_json_value(document))
    assert info.value.code == "jsonld.context_not_allowed"
    with pytest.raises(DidGovError):
        validate_contexts(document)


class _Counting(DefaultResolver):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def resolve(self, did: str) -> DidDocument:
        self.calls += 1
        return super().resolve(did)


def test_a_did_key_method_is_resolved_once_for_many_credentials() -> None:
    """A did:key document is a function of the DID: Data Integrity proofs reuse it as tokens do."""
    resolver = _Counting()
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, resolver=resolver)
    for n in range(3):
        vc = signed()
        vc["credentialSubject"]["givenName"] = f"Ada{n}"
        assert not verifier.verify(vc).verified  # altered: the signature fails, the key is had
    assert verifier.verify(signed()).verified
    assert resolver.calls == 1


def test_a_cached_key_still_answers_to_the_issuer_binding_step() -> None:
    """The cache holds what a did:key says; step 4 still judges who the issuer is, per document."""
    verifier = _verifier()
    assert verifier.verify(signed()).verified
    other = signed()
    other["issuer"] = "did:example:someone-else"
    report = verifier.verify(other)
    assert not report.verified


@given(st.integers(min_value=-62135596800, max_value=253402300799))
def test_a_whole_second_numeric_date_is_the_instant_its_datetime_is(seconds: int) -> None:
    micros = _instant(Bound("exp", "end", seconds, numeric=True))
    assert isinstance(micros, int)
    assert datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros) == (
        datetime.fromtimestamp(float(seconds), UTC)
    )


@pytest.mark.parametrize(
    ("exp", "expired"),
    [(0, True), (-1, True), (1, False), (0.5, False), (-0.5, True)],
    ids=["exp-now", "exp-before", "exp-after", "exp-half-after", "exp-half-before"],
)
def test_exp_is_exclusive_whether_whole_or_fractional(exp: float, expired: bool) -> None:
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    at = moment.timestamp() + exp
    value = int(at) if float(at).is_integer() else at
    secured = Secured("vc-jwt", "credential", (), {}, window=(Bound("exp", "end", value, True),))
    check = validity(secured, moment, timedelta(0))
    assert (check.code == "credential.expired") is expired


def test_facts_type_is_a_value() -> None:
    facts = check_json_value({"a": [1, 2]})
    assert isinstance(facts, JsonFacts) and facts.items == 5 and facts.about(facts.root, Limits())
