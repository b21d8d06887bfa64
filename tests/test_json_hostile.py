"""The strict JSON parser and the time parsers on hostile input: our errors, nothing else.

Properties: whatever text arrives, ``parse_json`` returns a value that every later encoder
can write back (finite numbers, short integers, UTF-8-encodable strings) or raises a
``DidGovError``; ``check_json_value`` holds a parsed object to the same rule; the date
parsers give an aware datetime inside Python's range or a ``CredentialError``.
"""

from __future__ import annotations

import contextlib
import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did_gov._json import check_json_value, check_size, parse_json, parse_json_segment
from did_gov._time import numeric_date, parse_datetime
from did_gov.errors import CredentialError, DidGovError
from did_gov.limits import Limits

# --- building blocks of hostile JSON text ------------------------------------------------------

_numbers = st.one_of(
    st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),  # around the int limit
    st.integers(min_value=-400, max_value=400).map(lambda e: f"1e{e * 3}"),  # around 1e308
    st.sampled_from(["1e400", "-1e400", "1E+999", "0.0", "-0", "1" + "0" * 400, "2.5e-400"]),
)
_strings = st.one_of(
    st.text(max_size=8).map(json.dumps),
    st.sampled_from(['"\\ud800"', '"\\udfff"', '"\\ud83d\\ude00"', '"a\\uDBFFb"', '"\\\\ud800"']),
)


@st.composite
def hostile_json(draw: st.DrawFn) -> str:
    """JSON text mixing huge numbers, surrogate escapes, odd names and deep nesting."""
    leaves = st.one_of(_numbers, _strings, st.sampled_from(["true", "null", "NaN", "[]"]))
    text = draw(
        st.recursive(
            leaves,
            lambda inner: st.one_of(
                st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]"),
                st.lists(st.tuples(_strings, inner), max_size=3).map(
                    lambda kvs: "{" + ",".join(f"{k}:{v}" for k, v in kvs) + "}"
                ),
            ),
            max_leaves=12,
        )
    )
    depth = draw(st.integers(min_value=0, max_value=100))
    return "[" * depth + text + "]" * depth


def _reencodable(value: Any) -> None:
    """What every later stage needs: strict JSON out, UTF-8 encodable, ints str()-able."""
    json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")


@given(hostile_json())
def test_parse_json_gives_a_reencodable_value_or_our_error(text: str) -> None:
    try:
        value = parse_json(text)
    except DidGovError:
        return
    _reencodable(value)


@given(hostile_json())
def test_segment_parser_agrees_with_parse_json(text: str) -> None:
    outcomes = []
    for parse in (parse_json, lambda t: parse_json_segment(t.encode("utf-8"))):
        try:
            outcomes.append(("ok", parse(text)))
        except DidGovError as exc:
            outcomes.append(("error", exc.code))
    assert outcomes[0] == outcomes[1]


@given(st.text(max_size=200))
def test_parse_json_on_any_text_raises_only_our_errors(text: str) -> None:
    with contextlib.suppress(DidGovError):
        _reencodable(parse_json(text))


@given(st.binary(max_size=200))
def test_parse_json_on_any_bytes_raises_only_our_errors(data: bytes) -> None:
    with contextlib.suppress(DidGovError):
        _reencodable(parse_json(data))


# --- check_json_value: the same rule for objects -----------------------------------------------

_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=4280, max_value=4320).map(lambda n: 10**n),  # digits ~ the bound
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=6),
        st.sampled_from(["\ud800", "a\udfff", "\U0001f600"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(_values)
def test_check_json_value_accepts_exactly_what_the_parser_would(value: Any) -> None:
    try:
        text = json.dumps(value)  # ASCII escapes: surrogates and huge ints survive as text
    except ValueError:
        text = None  # an int past the process's int-string limit cannot even be written
    try:
        check_json_value(value)
        accepted = True
    except DidGovError:
        accepted = False
    if accepted:
        _reencodable(value)
    if text is not None:
        try:
            parse_json(text)
            parsed = True
        except DidGovError:
            parsed = False
        assert accepted == parsed


def test_check_json_value_on_a_dict_nested_100000_deep_does_not_recurse() -> None:
    value: Any = 1
    for _ in range(100_000):
        value = {"a": value}
    with pytest.raises(DidGovError) as info:
        check_json_value(value)
    assert info.value.code == "input.json_too_deep"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({"n": 10**5000}, "json.number_too_large"),
        ({"x": math.inf}, "json.number_out_of_range"),
        ({"x": math.nan}, "json.number_out_of_range"),
        ({"\ud800": 1}, "json.lone_surrogate"),
        ({1: "a"}, "json.invalid"),
        ({"x": object()}, "json.invalid"),
    ],
)
def test_check_json_value_codes(value: Any, code: str) -> None:
    with pytest.raises(DidGovError) as info:
        check_json_value(value)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9" * 4301, "json.number_too_large"),
        ("-" + "9" * 4301, "json.number_too_large"),
        ("1e400", "json.number_out_of_range"),
        ('["\\ud800"]', "json.lone_surrogate"),
        ('{"\\uDC00": 1}', "json.lone_surrogate"),
        ('"\ud800"', "json.lone_surrogate"),  # a raw surrogate in str input
    ],
)
def test_parse_json_codes(text: str, code: str) -> None:
    with pytest.raises(DidGovError) as info:
        parse_json(text)
    assert info.value.code == code


def test_integer_digit_bound_is_a_named_limit() -> None:
    assert parse_json("9" * 4300) == int("9" * 4300)
    with pytest.raises(DidGovError):
        parse_json("1" * 11, Limits(max_integer_digits=10))


def test_document_size_counts_utf8_bytes() -> None:
    limits = Limits(max_document_bytes=10)
    check_size("é" * 5, limits)  # 10 bytes
    with pytest.raises(DidGovError) as info:
        check_size("é" * 6, limits)  # 6 characters, 12 bytes
    assert info.value.code == "input.too_large"
    with pytest.raises(DidGovError):
        parse_json('"' + "é" * 5 + '"', limits)


# --- dates -------------------------------------------------------------------------------------


@st.composite
def xsd_date_times(draw: st.DrawFn) -> str:
    year = draw(st.sampled_from(["0000", "0001", "1970", "9999", "10000", "-0001"]))
    month, day = draw(st.sampled_from([("01", "01"), ("12", "31"), ("02", "29")]))
    time = draw(st.sampled_from(["00:00:00", "23:59:59.9999999", "24:00:00"]))
    sign = draw(st.sampled_from(["+", "-"]))
    hours = draw(st.integers(min_value=0, max_value=14))
    tz = draw(st.sampled_from(["Z", f"{sign}{hours:02d}:00", ""]))
    return f"{year}-{month}-{day}T{time}{tz}"


@given(xsd_date_times(), st.booleans())
def test_parse_datetime_gives_an_aware_utc_datetime_or_a_credential_error(
    text: str, timezone_required: bool
) -> None:
    try:
        moment = parse_datetime(text, timezone_required=timezone_required)
    except CredentialError as exc:
        code = exc.code
    else:
        code = "ok"
        assert moment.tzinfo is UTC
        assert datetime.min.replace(tzinfo=UTC) <= moment <= datetime.max.replace(tzinfo=UTC)
    assert code in ("ok", "credential.date_invalid", "credential.date_out_of_range")


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+14:00", "9999-12-31T24:00:00Z", "9999-12-31T23:00:00-01:00"]
)
def test_xsd_edge_instants_are_out_of_range(text: str) -> None:
    with pytest.raises(CredentialError) as info:
        parse_datetime(text)
    assert info.value.code == "credential.date_out_of_range"


@given(
    st.one_of(
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=300, max_value=500).map(lambda n: -(10**n)),
    )
)
def test_numeric_date_is_a_float_in_range_or_a_credential_error(value: Any) -> None:
    try:
        seconds = numeric_date(value)
    except CredentialError:
        return
    assert datetime.fromtimestamp(seconds, UTC).year in range(1, 10000)


@pytest.mark.parametrize(
    "value",
    [10**4300 - 1, -(10**4300 - 1), 10**4300, -(10**4300)],
    ids=["4300-digits", "minus-4300-digits", "4301-digits", "minus-4301-digits"],
)
def test_integer_digit_bound_is_exact_for_objects_and_text(value: int) -> None:
    """4300 digits pass and 4301 do not, whether the integer arrives as text or in a dict."""
    within = abs(value) < 10**4300
    text = ("-" if value < 0 else "") + ("9" * 4300 if within else "1" + "0" * 4300)
    for check in (lambda: check_json_value({"n": value}), lambda: parse_json(text)):
        if within:
            check()
        else:
            with pytest.raises(DidGovError, match="4300"):
                check()
