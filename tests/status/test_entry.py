"""Strict parsing of ``BitstringStatusListEntry`` (§2.1) and the list credential (§2.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from did_gov.errors import StatusError
from did_gov.status import (
    StatusList,
    StatusListCredential,
    StatusListEntry,
    StatusMessage,
    StatusPurpose,
    build_list_credential,
)

URL = "https://example.com/credentials/status/8"
BASE: dict[str, Any] = {
    "id": f"{URL}#492847",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "492847",
    "statusListCredential": URL,
}
MESSAGES = [
    {"status": "0x0", "message": "pending_review"},
    {"status": "0x1", "message": "accepted"},
    {"status": "0x2", "message": "rejected"},
    {"status": "0x3", "message": "undefined"},
]


def _with(**changes: Any) -> dict[str, Any]:
    entry = {**BASE, **changes}
    return {k: v for k, v in entry.items() if v is not None}


def test_the_spec_message_example_completed() -> None:
    """§2.1's message example, with its "..." filled in: statusSize 2 needs 4 messages."""
    raw = _with(
        statusPurpose="message",
        statusSize=2,
        statusMessage=MESSAGES,
        statusReference="https://example.org/status-dictionary/",
    )
    entry = StatusListEntry.from_json(raw)
    assert entry.status_size == 2 and entry.status_purpose == StatusPurpose.MESSAGE
    assert entry.message_for(2) == "rejected"
    assert entry.status_reference == "https://example.org/status-dictionary/"
    assert entry.to_json() == raw


def test_the_spec_message_example_as_printed_is_refused() -> None:
    """The printed example shows 3 of the 4 messages statusSize 2 requires."""
    with pytest.raises(StatusError) as info:
        StatusListEntry.from_json(_with(statusSize=2, statusMessage=MESSAGES[:3]))
    assert info.value.code == "status.entry_malformed"


@pytest.mark.parametrize(
    "raw",
    [
        _with(id=None),
        _with(statusListIndex="0"),
        _with(statusListIndex="007"),  # base 10, leading zeros are still base 10
        _with(statusListIndex="9" * 64),  # arbitrary size: out of range later, not malformed
        _with(statusPurpose="anything-an-ecosystem-defines"),
        _with(statusSize=1),
        _with(
            statusMessage=[{"status": "0x1", "message": "set"}, {"status": "0x0", "message": "u"}]
        ),
        _with(
            statusSize=3, statusMessage=[{"status": hex(i), "message": str(i)} for i in range(8)]
        ),
        _with(
            statusMessage=[
                {"status": "0x01", "message": "set", "extra": "allowed (§2.1)"},
                {"status": "0x0", "message": "unset"},
            ]
        ),
        _with(statusReference=["https://a.example/", "https://b.example/"]),
        _with(extraProperty={"kept": "out of the parsed value"}),
    ],
    ids=lambda raw: ",".join(f"{k}" for k in sorted(raw) if raw.get(k) != BASE.get(k)) or "base",
)
def test_valid_entries(raw: dict[str, Any]) -> None:
    entry = StatusListEntry.from_json(raw)
    assert entry.status_list_index == int(raw["statusListIndex"])
    assert entry.status_size == raw.get("statusSize", 1)
    if "statusMessage" in raw:
        values = sorted(int(m["status"], 16) for m in raw["statusMessage"])
        assert [m.status for m in entry.status_message] == values
    again = StatusListEntry.from_json(entry.to_json())
    assert again == entry


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("not an object", "not an object"),
        (_with(type="StatusList2021Entry"), "other type"),
        (_with(type=["BitstringStatusListEntry"]), "type array"),
        (_with(type=None), "no type"),
        (_with(statusPurpose=None), "no purpose"),
        (_with(statusPurpose=""), "empty purpose"),
        (_with(statusPurpose=["revocation"]), "purpose array"),
        (_with(statusListIndex=94567), "index is a number"),
        (_with(statusListIndex=None), "no index"),
        (_with(statusListIndex="-1"), "negative"),
        (_with(statusListIndex="+1"), "sign"),
        (_with(statusListIndex=" 1"), "space"),
        (_with(statusListIndex="1.0"), "decimal"),
        (_with(statusListIndex="0x10"), "hex"),
        (_with(statusListIndex="١٢"), "non-ASCII digits"),
        (_with(statusListIndex=""), "empty"),
        (_with(statusListIndex="1" * 65), "too many digits"),
        (_with(statusListCredential=None), "no list"),
        (_with(statusListCredential="status/3"), "relative list URL"),
        (_with(statusListCredential=3), "list not a string"),
        (_with(id=URL), "id is the list URL"),
        (_with(id="not a url"), "id not a URL"),
        (_with(statusSize=0), "size 0"),
        (_with(statusSize=-1), "negative size"),
        (_with(statusSize="2", statusMessage=MESSAGES), "size string"),
        (_with(statusSize=2.0, statusMessage=MESSAGES), "size float"),
        (_with(statusSize=True), "size bool"),
        (_with(statusSize=17), "beyond did_gov's bound"),
        (_with(statusSize=2), "size 2 without messages"),
        (_with(statusSize=2, statusMessage=MESSAGES[:2]), "too few messages"),
        (_with(statusMessage=MESSAGES), "too many messages for size 1"),
        (_with(statusMessage="set/unset"), "messages not an array"),
        (_with(statusMessage=[{"status": "0x0", "message": "a"}, "b"]), "item not an object"),
        (
            _with(statusMessage=[{"status": 0, "message": "a"}, {"status": 1, "message": "b"}]),
            "int",
        ),
        (
            _with(statusMessage=[{"status": "0", "message": "a"}, {"status": "1", "message": "b"}]),
            "no 0x",
        ),
        (
            _with(
                statusMessage=[{"status": "0x0", "message": "a"}, {"status": "0x0", "message": "b"}]
            ),
            "dup",
        ),
        (
            _with(
                statusMessage=[{"status": "0x0", "message": "a"}, {"status": "0x2", "message": "b"}]
            ),
            "range",
        ),
        (_with(statusMessage=[{"status": "0x0", "message": "a"}, {"status": "0x1"}]), "no message"),
        (
            _with(
                statusMessage=[{"status": "0x0", "message": 1}, {"status": "0x1", "message": "b"}]
            ),
            "msg int",
        ),
        (_with(statusReference="not a url"), "bad reference"),
        (_with(statusReference=[]), "empty reference array"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_malformed_entries(raw: object, why: str) -> None:
    """Each MUST of §2.1 violated: MALFORMED_VALUE_ERROR, code status.entry_malformed."""
    with pytest.raises(StatusError) as info:
        StatusListEntry.from_json(raw)
    assert info.value.code == "status.entry_malformed", why


def test_constructing_an_inconsistent_entry_is_refused() -> None:
    with pytest.raises(StatusError):
        StatusListEntry("message", 1, URL, status_size=2)
    with pytest.raises(StatusError):
        StatusListEntry("message", -1, URL)
    with pytest.raises(StatusError):
        StatusListEntry("message", 1, URL, status_message=(StatusMessage(0, "a"),))


def test_status_purposes() -> None:
    assert not StatusPurpose.REVOCATION.reversible and not StatusPurpose.REFRESH.reversible
    assert StatusPurpose.SUSPENSION.reversible and StatusPurpose.MESSAGE.reversible
    assert StatusPurpose("revocation") == "revocation"


NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _list(**changes: Any) -> dict[str, Any]:
    doc = build_list_credential(
        list_url=URL,
        issuer="did:example:12345",
        purpose="revocation",
        encoded_list=StatusList().encode(),
        valid_from=NOW,
        valid_until=NOW + timedelta(days=1),
        ttl=timedelta(minutes=5),
    )
    subject = {**doc["credentialSubject"], **changes.pop("subject", {})}
    doc = {**doc, "credentialSubject": subject, **changes}
    return {k: v for k, v in doc.items() if v is not None}


def test_built_list_credential_shape() -> None:
    doc = _list()
    assert doc["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["id"] == URL and doc["validFrom"] == "2025-06-01T00:00:00Z"
    assert doc["validUntil"] == "2025-06-02T00:00:00Z"
    assert doc["credentialSubject"] == {
        "id": f"{URL}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": StatusList().encode(),
        "ttl": 300000,
    }
    listed = StatusListCredential.from_json(doc)
    assert listed.ttl == timedelta(minutes=5) and listed.purposes == ("revocation",)


def test_several_purposes_are_an_array() -> None:
    doc = build_list_credential(
        list_url=URL,
        issuer={"id": "did:example:12345", "name": "Ministry"},
        purpose=["revocation", "suspension"],
        encoded_list="u",
        valid_from=NOW,
    )
    assert doc["credentialSubject"]["statusPurpose"] == ["revocation", "suspension"]
    assert "validUntil" not in doc and "ttl" not in doc["credentialSubject"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"list_url": "relative"},
        {"issuer": "not a url"},
        {"issuer": {"name": "no id"}},
        {"purpose": []},
        {"purpose": [""]},
        {"ttl": timedelta(seconds=-1)},
        {"valid_from": datetime(2025, 1, 1)},  # naive
        {"valid_until": NOW - timedelta(days=1)},
    ],
)
def test_build_list_credential_misuse(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "list_url": URL,
        "issuer": "did:example:1",
        "purpose": "revocation",
        "encoded_list": "u",
        "valid_from": NOW,
        **kwargs,
    }
    with pytest.raises(StatusError) as info:
        build_list_credential(**args)
    assert info.value.code == "status.invalid_argument"


@pytest.mark.parametrize(
    "doc",
    [
        "not an object",
        _list(type=["VerifiableCredential"]),
        _list(id="not a url"),
        _list(credentialSubject=None),
        _list(subject={"type": "StatusList2021"}),
        _list(subject={"statusPurpose": None}),
        _list(subject={"statusPurpose": []}),
        _list(subject={"statusPurpose": 3}),
        _list(subject={"encodedList": None}),
        _list(subject={"encodedList": 12}),
        _list(subject={"ttl": "300000"}),
        _list(subject={"ttl": -1}),
        _list(subject={"ttl": 1.5}),
        _list(subject={"ttl": True}),
        _list(subject={"ttl": 10**30}),
        _list(validFrom="yesterday"),
        _list(validUntil="2025-05-01T00:00:00Z"),  # before validFrom
        _list(validUntil="2025-06-02T00:00:00"),  # no time zone
    ],
)
def test_malformed_list_credentials(doc: object) -> None:
    with pytest.raises(StatusError) as info:
        StatusListCredential.from_json(doc)
    assert info.value.code == "status.list_malformed"


def test_a_single_string_type_is_read() -> None:
    """VCDM 2.0 allows ``type`` as one string; reading checks only the list type (§2.2)."""
    assert StatusListCredential.from_json(_list(type="BitstringStatusListCredential")).id == URL


def test_credential_subject_may_be_a_one_item_array() -> None:
    doc = _list()
    doc["credentialSubject"] = [doc["credentialSubject"]]
    assert StatusListCredential.from_json(doc).purposes == ("revocation",)
