"""The Bitstring Status List spec examples (tests/vectors/status-list/spec-examples.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from did_gov.status import (
    MIN_ENTRIES,
    StatusList,
    StatusListCache,
    StatusListCredential,
    StatusListEntry,
    check_entry,
)
from tests.conftest import load_vector

VECTOR = load_vector("status-list/spec-examples.json")
# One example is not JSON in the spec (it has "..." placeholders); the other six are.
EXAMPLES = [e for e in VECTOR["examples"] if "json" in e]
LISTS = [e["json"] for e in EXAMPLES if "BitstringStatusListCredential" in e["json"]["type"]]
HOLDERS = [e for e in EXAMPLES if "credentialStatus" in e["json"]]


def _entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    status = credential["credentialStatus"]
    return status if isinstance(status, list) else [status]


def test_the_vector_file_has_what_we_expect() -> None:
    assert len(EXAMPLES) == 6 and len(LISTS) == 2 and len(HOLDERS) == 4


@pytest.mark.parametrize("example", HOLDERS, ids=[e["title"] for e in HOLDERS])
def test_every_example_entry_parses_and_round_trips(example: dict[str, Any]) -> None:
    for raw in _entries(example["json"]):
        entry = StatusListEntry.from_json(raw)
        assert isinstance(raw["statusListIndex"], str)
        assert entry.status_list_index == int(raw["statusListIndex"])
        assert entry.status_size == 1 and entry.status_message == ()
        assert entry.to_json() == raw


@pytest.mark.parametrize("example", LISTS, ids=[str(i) for i in range(len(LISTS))])
def test_example_list_credentials_read(example: dict[str, Any]) -> None:
    listed = StatusListCredential.from_json(example)
    assert listed.id == "https://example.com/credentials/status/3"
    assert listed.purposes == ("revocation",)
    assert listed.ttl is None and listed.valid_until is None
    sl = StatusList.decode(listed.encoded_list)
    assert sl.size == MIN_ENTRIES


def test_decoded_example_list() -> None:
    expected = VECTOR["decoded_example_list"]
    assert expected["multibase_prefix"].startswith("u")
    sl = StatusList.decode(expected["encodedList"])
    raw = sl.to_bytes()
    assert len(raw) == expected["decompressed_length_bytes"]
    assert sl.size == expected["decompressed_length_bits"]
    assert expected["all_bits_zero"] is True and not any(raw)
    for index, value in expected["status_at_index"].items():
        assert sl.get(int(index)) == value


@pytest.mark.parametrize("example", HOLDERS, ids=[e["title"] for e in HOLDERS])
def test_example_entries_against_the_example_list(example: dict[str, Any], now: datetime) -> None:
    """Entries of list status/3 read "valid"; entries of other lists are refused for that list."""
    listed = LISTS[0]
    for raw in _entries(example["json"]):
        result = check_entry(raw, listed, now=now, cache=StatusListCache())
        if raw["statusListCredential"] == listed["id"]:
            assert result.ok and result.valid and result.status == "valid"
            assert result.index == int(raw["statusListIndex"]) and result.value == 0
        else:
            assert not result.ok and result.codes[-1] == "status.list_mismatch"
