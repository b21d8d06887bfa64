"""The status bitstring: bit order, multi-bit entries, encoding, bounds, and the naive reference."""

from __future__ import annotations

import gzip
import timeit
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov._encoding import b64url_encode
from did_gov.errors import LimitExceededError, StatusError
from did_gov.limits import Limits
from did_gov.status import MIN_ENTRIES, StatusList, inflate_list
from tests.status._reference import NaiveBits

LAST = MIN_ENTRIES - 1


def _encoded(raw: bytes) -> str:
    return "u" + b64url_encode(gzip.compress(raw, mtime=0))


@pytest.mark.parametrize("index", [0, 1, 6, 7, 8, 9, 15, 16, 8191, 8192, LAST - 8, LAST - 1, LAST])
def test_one_bit_lands_where_the_spec_says(index: int) -> None:
    """§2.2: index 0 is the left-most bit, i.e. the most significant bit of byte 0."""
    sl = StatusList()
    sl.set(index, 1)
    raw = sl.to_bytes()
    expected = bytearray(MIN_ENTRIES // 8)
    expected[index // 8] = 0x80 >> (index % 8)
    assert raw == bytes(expected)
    decoded = StatusList.decode(sl.encode())
    assert decoded.get(index) == 1
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour <= LAST:
            assert decoded.get(neighbour) == 0


def test_known_bytes_read_back() -> None:
    raw = bytearray(MIN_ENTRIES // 8)
    raw[0], raw[1], raw[-1] = 0b1000_0001, 0b0100_0000, 0b0000_0001
    sl = StatusList.decode(_encoded(bytes(raw)))
    assert [i for i in range(24) if sl.get(i)] == [0, 7, 9]
    assert sl.get(LAST) == 1 and sl.get(LAST - 1) == 0


@pytest.mark.parametrize(
    ("status_size", "index", "value", "prefix"),
    [
        (2, 0, 0b11, "c0"),
        (2, 1, 0b01, "10"),
        (2, 3, 0b10, "02"),
        (3, 1, 0b101, "1400"),
        (3, 2, 0b111, "0380"),  # bits 6-8 straddle bytes 0 and 1
        (4, 1, 0xA, "0a"),
        (8, 1, 0xA5, "00a5"),
        (16, 0, 0x1234, "1234"),
    ],
)
def test_multi_bit_layout(status_size: int, index: int, value: int, prefix: str) -> None:
    """An entry of n bits starts at bit index*n; its first bit is the value's most significant."""
    sl = StatusList(status_size=status_size)
    sl.set(index, value)
    assert sl.to_bytes()[: len(prefix) // 2].hex() == prefix
    assert StatusList.decode(sl.encode(), status_size=status_size).get(index) == value


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, LAST), max_size=300))
def test_exactly_the_revoked_indexes_read_revoked(revoked: set[int]) -> None:
    sl = StatusList()
    for index in revoked:
        sl.set(index, 1)
    decoded = StatusList.decode(sl.encode())
    raw = decoded.to_bytes()
    found = {i for i in range(MIN_ENTRIES) if raw[i >> 3] >> (7 - (i & 7)) & 1}
    assert found == revoked
    assert all(decoded.get(i) == 1 for i in revoked)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(
            st.just(n), st.dictionaries(st.integers(0, LAST), st.integers(0, (1 << n) - 1))
        )
    )
)
def test_multi_bit_values_agree_with_the_naive_reference(
    case: tuple[int, dict[int, int]],
) -> None:
    status_size, values = case
    fast, naive = StatusList(status_size=status_size), NaiveBits(MIN_ENTRIES, status_size)
    for index, value in values.items():
        fast.set(index, value)
        naive.set(index, value)
    decoded = StatusList.decode(fast.encode(), status_size=status_size)
    assert decoded.to_bytes() == naive.to_bytes()
    for index in set(values) | {0, LAST} | {i + 1 for i in values if i < LAST}:
        assert decoded.get(index) == naive.get(index)


def test_set_overwrites_only_its_own_bits() -> None:
    sl = StatusList(status_size=3)
    for index in range(8):
        sl.set(index, 7)
    sl.set(3, 0b010)
    assert [sl.get(i) for i in range(8)] == [7, 7, 7, 2, 7, 7, 7, 7]


@pytest.mark.parametrize("index", [-1, MIN_ENTRIES, True, "1", 1.0])
def test_index_out_of_range(index: object) -> None:
    sl = StatusList()
    with pytest.raises(StatusError) as info:
        sl.get(index)  # type: ignore[arg-type]
    assert info.value.code == "status.index_out_of_range"


@pytest.mark.parametrize(("status_size", "value"), [(1, 2), (1, -1), (2, 4), (1, True)])
def test_value_must_fit(status_size: int, value: object) -> None:
    with pytest.raises(StatusError) as info:
        StatusList(status_size=status_size).set(0, value)  # type: ignore[arg-type]
    assert info.value.code == "status.value_out_of_range"


@pytest.mark.parametrize(
    ("size", "status_size"),
    [(MIN_ENTRIES - 8, 1), (MIN_ENTRIES + 1, 1), (0, 1), (MIN_ENTRIES, 0), (MIN_ENTRIES, 17)],
)
def test_constructor_rejects_non_conforming_lists(size: int, status_size: int) -> None:
    with pytest.raises(StatusError) as info:
        StatusList(size, status_size)
    assert info.value.code == "status.invalid_argument"


def test_constructor_refuses_a_list_beyond_the_byte_bound() -> None:
    with pytest.raises(LimitExceededError) as info:
        StatusList((16 << 20) * 8 + 8)
    assert info.value.code == "status.list_too_large"


def test_larger_lists_round_trip() -> None:
    sl = StatusList(4 * MIN_ENTRIES)
    sl.set(4 * MIN_ENTRIES - 1, 1)
    decoded = StatusList.decode(sl.encode())
    assert decoded.size == 4 * MIN_ENTRIES and decoded.get(4 * MIN_ENTRIES - 1) == 1


def test_encoding_is_multibase_base64url_gzip() -> None:
    encoded = StatusList().encode()
    assert encoded.startswith("uH4sI")  # 'u' + base64url of the GZIP magic 1f 8b 08
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded


@pytest.mark.parametrize(
    "encoded",
    [
        "zH4sIAAAAAAAAA",  # base58btc is not the spec's encoding
        "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",  # no prefix
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA=",  # padding
        "uH4sIAAAAAAAAA+3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",  # base64
        "u" + b64url_encode(b"not gzip at all"),
        "u" + b64url_encode(gzip.compress(bytes(16384))[:-6]),  # truncated
        "u" + b64url_encode(gzip.compress(bytes(16384)) + b"junk"),  # trailing garbage
        "",
        "u",
    ],
)
def test_malformed_encodings(encoded: str) -> None:
    with pytest.raises(StatusError) as info:
        StatusList.decode(encoded)
    assert info.value.code == "status.list_malformed"


def test_multi_member_gzip_is_one_bitstring() -> None:
    """RFC 1952 §2.2: a GZIP file is a series of members; they inflate to one bitstring."""
    raw = bytearray(16384)
    raw[10000] = 0x01
    data = gzip.compress(bytes(raw[:8000]), mtime=0) + gzip.compress(bytes(raw[8000:]), mtime=0)
    assert StatusList.decode("u" + b64url_encode(data)).get(80007) == 1


def test_gzip_bomb_is_refused_at_the_bound() -> None:
    bomb = _encoded(bytes((16 << 20) + 1))
    assert len(bomb) < 40_000
    with pytest.raises(LimitExceededError) as info:
        StatusList.decode(bomb)
    assert info.value.code == "status.list_too_large"


def test_the_bound_is_configurable_and_exact() -> None:
    limits = Limits(max_status_list_bytes=32768)
    assert len(inflate_list(_encoded(bytes(32768)), limits)) == 32768
    with pytest.raises(LimitExceededError):
        inflate_list(_encoded(bytes(32769)), limits)
    split = gzip.compress(bytes(20000), mtime=0) + gzip.compress(bytes(20000), mtime=0)
    with pytest.raises(LimitExceededError):
        inflate_list("u" + b64url_encode(split), limits)


@pytest.mark.parametrize(
    ("nbytes", "status_size", "min_entries", "too_short"),
    [
        (16384, 1, MIN_ENTRIES, False),
        (16383, 1, MIN_ENTRIES, True),
        (16384, 2, MIN_ENTRIES, True),  # 65,536 entries of 2 bits
        (32768, 2, MIN_ENTRIES, False),
        (1024, 1, 8192, False),  # an ecosystem's lower bound (§3.2 step 2)
    ],
)
def test_minimum_length(nbytes: int, status_size: int, min_entries: int, too_short: bool) -> None:
    """§3.2 step 10: bitstring length / statusSize < minimum is STATUS_LIST_LENGTH_ERROR."""
    encoded = _encoded(bytes(nbytes))
    if too_short:
        with pytest.raises(StatusError) as info:
            StatusList.decode(encoded, status_size=status_size, min_entries=min_entries)
        assert info.value.code == "status.list_too_short"
    else:
        sl = StatusList.decode(encoded, status_size=status_size, min_entries=min_entries)
        assert sl.size == nbytes * 8 // status_size


def test_from_bytes_is_copy_on_write() -> None:
    raw = bytes(16384)
    sl = StatusList.from_bytes(raw)
    sl.set(5, 1)
    assert raw == bytes(16384) and sl.get(5) == 1


def test_get_after_decode_is_fast() -> None:
    """A decoded list answers one index in well under 10 µs (best of 5 runs of 20,000)."""
    sl = StatusList.decode(StatusList().encode())
    multi = StatusList.decode(StatusList(status_size=4).encode(), status_size=4)
    for target in (sl, multi):
        per_call = min(timeit.repeat(partial(target.get, 94567), number=20_000, repeat=5))
        assert per_call / 20_000 < 10e-6
