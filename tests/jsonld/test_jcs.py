"""RFC 8785 JCS: the reference test data byte for byte, and the ES6 number samples."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did_gov.jsonld import jcs
from did_gov.jsonld._jcs import format_number
from tests.conftest import VECTORS

JCS = VECTORS / "jcs"
CASES = sorted(p.stem for p in (JCS / "input").glob("*.json")) if JCS.is_dir() else []


@pytest.mark.parametrize("name", CASES)
def test_reference_data(name: str) -> None:
    value = json.loads((JCS / "input" / f"{name}.json").read_text(encoding="utf-8"))
    expected = (JCS / "output" / f"{name}.json").read_bytes()
    assert jcs(value) == expected
    assert (
        jcs(value).hex()
        == (JCS / "outhex" / f"{name}.txt").read_text().replace(" ", "").replace("\n", "").lower()
    )


def _samples() -> list[tuple[str, str]]:
    if not (JCS / "number-samples.json").is_file():
        return []
    data = json.loads((JCS / "number-samples.json").read_text(encoding="utf-8"))
    return [(s["ieee754_hex"], s["expected"]) for s in data["samples"]]


@pytest.mark.parametrize(("bits", "expected"), _samples())
def test_es6_number_serialization(bits: str, expected: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits.rjust(16, "0")))
    assert format_number(value) == expected


def _reference_string(value: str) -> str:
    """RFC 8785 §3.2.2.2 character by character: the naive reference of ``_jcs._string``."""
    escapes = {
        '"': '\\"',
        "\\": "\\\\",
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
    }
    out = ['"']
    for ch in value:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_string_fast_path_agrees_with_the_reference(value: str) -> None:
    from did_gov.jsonld._jcs import _string

    assert _string(value) == _reference_string(value)
