"""``check_json_ld``: safe-mode JSON-LD validity, remembered per document shape.

What a JCS proof signs is JSON; ``issue()`` and the verifier still require the document to be
valid JSON-LD (issue 18). The check is an expansion, so a shape that expanded once must mean
every document of that shape expands: the property below fills a learned shape with other
values and holds the cached answer to plain pyld's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import did_gov.jsonld as jsonld
from did_gov.errors import DidGovError
from did_gov.jsonld import OfflineDocumentLoader, check_json_ld
from did_gov.jsonld._template import shape_of
from tests.jsonld.test_template import IRI_VALUES, _replace_slot, documents

V2 = "https://www.w3.org/ns/credentials/v2"
BASE: dict[str, Any] = {
    "@context": [V2],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:agency",
    "credentialSubject": {"id": "did:example:citizen"},
}


def plain(document: dict[str, Any]) -> tuple[str, str]:
    """Plain pyld expansion with a fresh loader (no shape cache): the reference."""
    try:
        jsonld.expand(document, loader=OfflineDocumentLoader())
    except DidGovError as exc:
        return ("error", exc.code)
    return ("ok", "")


def cached(document: dict[str, Any], loader: OfflineDocumentLoader) -> tuple[str, str]:
    try:
        check_json_ld(document, loader=loader)
    except DidGovError as exc:
        return ("error", exc.code)
    return ("ok", "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.data())
def test_a_remembered_shape_answers_as_plain_pyld(
    first: dict[str, Any], data: st.DataObject
) -> None:
    loader = OfflineDocumentLoader()
    assert cached(first, loader) == plain(first)
    second = json.loads(json.dumps(first))
    _, slots = shape_of(second)
    if slots:
        index = data.draw(st.integers(0, len(slots) - 1))
        _replace_slot(second, index, data.draw(IRI_VALUES))
    assert cached(second, loader) == plain(second)


def test_a_remembered_shape_skips_pyld(monkeypatch: pytest.MonkeyPatch) -> None:
    loader = OfflineDocumentLoader()
    check_json_ld(BASE, loader=loader)
    calls: list[str] = []
    real = jsonld._pyld_call

    def counting(method: str, *args: Any) -> Any:
        calls.append(method)
        return real(method, *args)

    monkeypatch.setattr(jsonld, "_pyld_call", counting)
    check_json_ld({**BASE, "issuer": "did:example:other"}, loader=loader)
    assert calls == []
    fast = loader.expansion.fast
    check_json_ld({**BASE, "name": "A new member, a new shape"}, loader=loader)
    assert calls == []  # a new shape: the one-pass expander, not pyld
    assert loader.expansion.fast == fast + 1
    check_json_ld({**BASE, "name": {"@value": "x", "@direction": "rtl"}}, loader=loader)
    assert calls == ["expand"]  # what the one pass does not cover: pyld


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"name": {"@value": "Permit", "@language": "en", "x": 1}}, "jsonld.data_loss"),
        ({"id": None}, "jsonld.invalid"),
        ({"@context": [V2, {"VerifiableCredential": "https://x.example/#C"}]}, "jsonld.invalid"),
        ({"@context": [V2, "https://unpinned.example/v1"]}, "jsonld.context_not_allowed"),
    ],
    ids=["value_object_extra_key", "null_id", "redefined_protected_term", "unpinned_context"],
)
def test_what_is_not_json_ld_is_refused_every_time(change: dict[str, Any], code: str) -> None:
    loader = OfflineDocumentLoader()
    for _ in range(2):  # a failure is never remembered as a valid shape
        with pytest.raises(DidGovError) as refused:
            check_json_ld({**BASE, **change}, loader=loader)
        assert refused.value.code == code


def test_direction_is_json_ld_even_though_rdf_drops_it() -> None:
    name = {"@value": "Permit", "@language": "en", "@direction": "ltr"}
    check_json_ld({**BASE, "name": name})
    with pytest.raises(DidGovError) as rdf:
        jsonld.to_quads({**BASE, "name": name}, jsonld.default_loader())
    assert rdf.value.code == "jsonld.data_loss"


def test_the_shape_cache_is_bounded() -> None:
    loader = OfflineDocumentLoader()
    for i in range(600):  # distinct shapes
        check_json_ld({"@context": {"@vocab": "https://ex.example/"}, f"k{i}": "v"}, loader=loader)
    assert len(loader.valid_shapes) <= loader.valid_shapes.maxsize == 512
