"""parse_json_segment (depth checked on the tree) agrees with parse_json (depth scanned first)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov._json import parse_json, parse_json_segment
from did_gov.errors import DidGovError
from did_gov.limits import Limits

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=30,
)


def _outcome(parser: Any, data: bytes, limits: Limits) -> Any:
    try:
        return ("ok", parser(data, limits))
    except DidGovError as exc:
        return ("error", exc.code)


@settings(max_examples=200, deadline=None)
@given(JSON, st.integers(min_value=1, max_value=6))
def test_same_result_and_same_error(value: Any, depth: int) -> None:
    data = json.dumps(value).encode()
    limits = Limits(max_json_depth=depth)
    assert _outcome(parse_json_segment, data, limits) == _outcome(parse_json, data, limits)


@pytest.mark.parametrize(
    "text",
    [b'{"a": 1, "a": 2}', b"[NaN]", b"\xff", b"[" * 100_000 + b"]" * 100_000, b"{", b"1" * 10],
)
def test_hostile_segments(text: bytes) -> None:
    limits = Limits(max_document_bytes=1 << 20)
    assert _outcome(parse_json_segment, text, limits) == _outcome(parse_json, text, limits)


def test_deep_nesting_is_refused_before_decoding_even_with_a_raised_recursion_limit() -> None:
    # py_ecc (pulled in by web3) raises the recursion limit to 100,000 at import; the C
    # decoder then overflows the C stack on deep input unless the depth is scanned first.
    import subprocess
    import sys

    code = (
        "import sys; sys.setrecursionlimit(200000)\n"
        "from did_gov._json import parse_json, parse_json_segment\n"
        "from did_gov.errors import DidGovError\n"
        "for parse in (parse_json, parse_json_segment):\n"
        "    try:\n"
        "        parse(b'[' * 150000 + b']' * 150000)\n"
        "    except DidGovError as exc:\n"
        "        print(exc.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["input.json_too_deep", "input.json_too_deep"]
