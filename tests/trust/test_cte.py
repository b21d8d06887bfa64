"""DIF Credential Trust Establishment import/export (specs/trust-registry.md §8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.errors import TrustError
from did_gov.trust import Accreditation, KeyWindow, StatusChange
from did_gov.trust._cte import (
    DESCRIPTION_SCHEMA,
    EXTENSION_SCHEMA,
    ROLES_SCHEMA,
    export_cte,
    import_cte,
    open_cte,
    sign_cte,
)
from tests.trust._world import MINISTRY, NOW, OFFICE, ROOT, T0

AUTHOR = ROOT.did
JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
ISSUERS = ["did:web:registry.example", "did:web:ministry.example", OFFICE.did, MINISTRY.did]
TYPES = ["BirthCertificateCredential", "https://gov.example/vocab#Marriage", "urn:vct:pid", "X"]

moments = st.integers(0, 10 * 365 * 86400).map(lambda s: T0 + timedelta(seconds=s))
names = st.none() | st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs"]), min_size=1, max_size=20).filter(str.isprintable).filter(str.strip)  # fmt: skip


@st.composite
def accreditations(draw: Any) -> Accreditation:
    start = draw(moments)
    end = draw(st.none() | moments.map(lambda m: m if m >= start else start))
    may_accredit = draw(st.booleans())
    https = draw(st.booleans())
    issuer = "https://registry.example/issuer" if https else draw(st.sampled_from(ISSUERS))
    key_windows = st.lists(
        st.builds(KeyWindow, st.sampled_from(["#k1", "#k2", "kid-3"]), st.none() | moments),
        max_size=2,
    )
    history = st.lists(
        st.builds(StatusChange, st.sampled_from(["active", "suspended", "revoked"]), moments),
        max_size=3,
    ).map(lambda h: tuple(sorted(h, key=lambda c: c.since)))
    return Accreditation(
        authority=AUTHOR,
        issuer=issuer,
        types=tuple(draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True))),
        valid_from=start,
        valid_until=end,
        issued=draw(moments),
        name=draw(names),
        name_zh=draw(st.none() | st.just("户籍处")),
        issuer_jwks=(JWK,) if https else (),
        may_accredit=may_accredit,
        max_path_length=draw(st.none() | st.integers(0, 5)) if may_accredit else None,
        status_for=tuple(draw(st.lists(st.sampled_from(ISSUERS), max_size=2, unique=True))),
        keys=draw(st.none() | key_windows.map(tuple)),
        status_history=draw(history),
    )


def _canonical(records: Any) -> list[str]:
    return sorted(json.dumps(r.to_json(), sort_keys=True, ensure_ascii=False) for r in records)


def _export(records: list[Accreditation]) -> dict[str, Any]:
    return export_cte(
        records, author=AUTHOR, document_id="gov", name="Gov", version=3, last_updated=NOW
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(accreditations(), max_size=8))
def test_accreditations_round_trip_through_cte(records: list[Accreditation]) -> None:
    text = json.dumps(_export(records), ensure_ascii=False)  # what a file holds
    imported = import_cte(json.loads(text), authority=AUTHOR, issued=NOW)
    assert _canonical(imported.accreditations) == _canonical(records)
    assert imported.notes == ()


@settings(max_examples=30, deadline=None)
@given(st.lists(accreditations(), min_size=1, max_size=6))
def test_without_the_extension_the_cte_members_still_map(records: list[Accreditation]) -> None:
    document = _export(records)
    del document["participants"]["entries"][EXTENSION_SCHEMA]
    imported = import_cte(document, authority=AUTHOR, issued=NOW)
    dids = [r for r in records if not r.issuer.startswith("https://")]

    def members(r: Accreditation) -> str:
        return repr((r.issuer, r.types, r.valid_from, r.valid_until))

    assert sorted(map(members, imported.accreditations)) == sorted(map(members, dids))


def test_a_foreign_governance_file_imports_what_maps_and_reports_the_rest() -> None:
    document = {
        "@context": ["https://identity.foundation/credential-trust-establishment/context.jsonld"],
        "id": "edu",
        "name": "Degrees",
        "version": "1.0",
        "format": "1.0",
        "last_updated": 1703187439,
        "author": "did:web:education.example",
        "schemas": [{"id": "uri:degree", "name": "Degree"}, {"id": "uri:id", "name": "ID"}],
        "participants": {
            "id": "p",
            "entries": {
                DESCRIPTION_SCHEMA: {"did:web:uni.example": {"name": "Faber University"}},
                ROLES_SCHEMA: {
                    "did:web:uni.example": {
                        "roles": [
                            {"start": "2023-02-25 00:00:00Z", "role": "verify_id"},
                            {"start": "2020-01-01 00:00:00Z", "end": "2021-01-01", "role": "deg"},
                        ]
                    },
                    "did:web:college.example": [{"start": "2022-01-01", "role": "deg"}],
                },
                "https://identity.foundation/credential-trust-establishment/schemas/alias.json": {
                    "did:web:college.example": {"alias_dids": ["did:web:college2.example"]}
                },
                "https://example.com/unknown.json": {"did:web:uni.example": {"x": 1}},
            },
        },
        "roles": {
            "verify_id": {"verify": ["uri:id"], "granted_by": "uri:degree"},
            "deg": {"issue": ["uri:degree"]},
        },
    }
    result = import_cte(document, authority=AUTHOR, issued=NOW)
    got = {(r.issuer, r.types, r.valid_from, r.valid_until, r.name) for r in result.accreditations}
    y2020, y2021 = datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)
    y2022 = datetime(2022, 1, 1, tzinfo=UTC)
    assert got == {
        ("did:web:uni.example", ("uri:degree",), y2020, y2021, "Faber University"),
        ("did:web:college.example", ("uri:degree",), y2022, None, None),
        ("did:web:college2.example", ("uri:degree",), y2022, None, None),
    }
    text = " ".join(result.notes)
    assert "verify ['uri:id'] not imported" in text
    assert "granted_by uri:degree not imported" in text
    assert "author is did:web:education.example" in text


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["participants"]["entries"][ROLES_SCHEMA]["did:web:x.example"][0].update(
            role="nope"
        ),
        lambda d: d["participants"]["entries"][ROLES_SCHEMA]["did:web:x.example"][0].update(
            start="yesterday"
        ),
        lambda d: d.update(roles=[]),
        lambda d: d["roles"].update({"bad name!": {"issue": ["X"]}}),
    ],
)
def test_malformed_cte_documents_are_refused(change: Any) -> None:
    document = {
        "author": AUTHOR,
        "schemas": [{"id": "X"}],
        "participants": {
            "entries": {ROLES_SCHEMA: {"did:web:x.example": [{"start": "2024-01-01", "role": "r"}]}}
        },
        "roles": {"r": {"issue": ["X"]}},
    }
    assert len(import_cte(document, authority=AUTHOR, issued=NOW).accreditations) == 1
    change(document)
    with pytest.raises(TrustError) as caught:
        import_cte(document, authority=AUTHOR, issued=NOW)
    assert caught.value.code == "trust.cte_invalid"


def test_signed_cte_verifies_against_its_author_and_tampering_is_refused() -> None:
    document = _export([])
    token = sign_cte(document, ROOT.key, ROOT.vm)
    opened, kid = open_cte(token)
    assert (opened, kid) == (document, ROOT.vm)
    header, payload, signature = token.split(".")
    forged = dict(document, name="Forged")
    from did_gov._encoding import b64url_encode

    tampered = f"{header}.{b64url_encode(json.dumps(forged).encode())}.{signature}"
    with pytest.raises(TrustError) as caught:
        open_cte(tampered)
    assert caught.value.code == "trust.cte_signature_invalid"
    by_other = sign_cte(dict(document, author=OFFICE.did), OFFICE.key, OFFICE.vm)
    other_header = by_other.split(".")[0]
    with pytest.raises(TrustError) as caught:  # a key of another DID than the author
        open_cte(f"{other_header}.{payload}.{by_other.split('.')[2]}")
    assert caught.value.code == "trust.cte_signature_invalid"
    assert open_cte(json.dumps(document)) == (document, None)


def test_export_refuses_a_record_by_another_authority() -> None:
    record = Accreditation(
        authority=MINISTRY.did, issuer=OFFICE.did, types=("X",), valid_from=T0, issued=T0
    )
    with pytest.raises(TrustError) as caught:
        _export([record])
    assert caught.value.code == "trust.cte_invalid"
