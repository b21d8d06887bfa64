"""VC Data Model 2.0 shape validation, VCDM 1.1 reading, and building."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.credentials import (
    VC_V1_CONTEXT,
    build_credential,
    build_presentation,
    credential_problems,
    parse_credential,
    parse_datetime,
    parse_presentation,
)
from did_gov.errors import CredentialError, DidGovError
from did_gov.testing import credentials
from tests.conftest import load_vector


def _codes(doc: Any) -> set[str]:
    return {p.code for p in credential_problems(doc)}


@pytest.mark.parametrize(
    "path", ["eddsa/unsigned.json", "ecdsa/unsigned.json", "ecdsa/employmentAuth.json"]
)
def test_vector_credentials_are_well_formed(path: str) -> None:
    doc = load_vector(path)
    assert credential_problems(doc) == []
    assert parse_credential(doc).version == 2


def test_v11_credential_is_read() -> None:
    doc = {
        "@context": [VC_V1_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": {"id": "did:example:issuer", "name": "Ministry"},
        "issuanceDate": "2020-01-01T00:00:00Z",
        "expirationDate": "2030-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:ada"},
    }
    vc = parse_credential(doc)
    assert vc.version == 1
    assert vc.issuer == "did:example:issuer"
    assert vc.valid_until == datetime(2030, 1, 1, tzinfo=UTC)
    del doc["issuanceDate"]
    assert "credential.date_missing" in _codes(doc)


BASE = load_vector("eddsa/unsigned.json")


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d.pop("@context"), "credential.context_missing"),
        (
            lambda d: d.__setitem__("@context", ["https://example.org/ctx"]),
            "credential.context_invalid",
        ),
        (lambda d: d.__setitem__("type", ["AlumniCredential"]), "credential.type_invalid"),
        (lambda d: d.pop("issuer"), "credential.issuer_missing"),
        (lambda d: d.__setitem__("issuer", "not a url"), "credential.issuer_invalid"),
        (lambda d: d.__setitem__("issuer", {"name": "x"}), "credential.issuer_invalid"),
        (lambda d: d.pop("credentialSubject"), "credential.subject_missing"),
        (lambda d: d.__setitem__("credentialSubject", [1]), "credential.subject_invalid"),
        (lambda d: d.__setitem__("validFrom", "2023-01-01"), "credential.date_invalid"),
        (lambda d: d.__setitem__("validUntil", "2022-01-01T00:00:00Z"), "credential.date_invalid"),
        (lambda d: d.__setitem__("id", "no scheme"), "credential.id_invalid"),
        (
            lambda d: d.__setitem__("credentialStatus", {"id": "x:y"}),
            "credential.credential_status_invalid",
        ),
        (
            lambda d: d.__setitem__("credentialSchema", {"type": "JsonSchema"}),
            "credential.credential_schema_invalid",
        ),
    ],
)
def test_shape_violations_have_codes(mutate: Any, code: str) -> None:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    assert code in _codes(doc)
    with pytest.raises(CredentialError):
        parse_credential(doc)


def test_dates_need_time_zone() -> None:
    assert parse_datetime("2024-02-29T10:00:00+02:00") == datetime(2024, 2, 29, 8, tzinfo=UTC)
    for bad in ["2024-02-29T10:00:00", "2024-02-30T10:00:00Z", "yesterday", 5]:
        with pytest.raises(CredentialError):
            parse_datetime(bad)


def test_build_credential_and_presentation() -> None:
    vc = build_credential(
        issuer="did:example:ministry",
        subject={"id": "did:example:ada", "name": "Ada"},
        types=["ExampleIdentityCredential"],
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        contexts=["https://www.w3.org/ns/credentials/examples/v2"],
    )
    assert vc["validFrom"] == "2025-01-01T00:00:00Z"
    vp = build_presentation([vc], holder="did:example:ada")
    parsed = parse_presentation(vp)
    assert parsed.holder == "did:example:ada"
    assert parsed.credentials == (vc,)
    with pytest.raises(CredentialError):
        build_credential(issuer="nope", subject={"a": 1})


@settings(max_examples=50, deadline=None)
@given(credentials())
def test_generated_credentials_are_valid(vc: dict[str, Any]) -> None:
    assert credential_problems(vc) == []


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=12), c, max_size=4),
    )
)
def test_validation_never_raises_foreign_errors(value: Any) -> None:
    problems = credential_problems(value)
    assert all(isinstance(p, DidGovError) for p in problems)
