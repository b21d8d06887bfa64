"""Our base58 decoder equals the ``base58`` package (the naive reference) on arbitrary input."""

from __future__ import annotations

import base58
from hypothesis import given
from hypothesis import strategies as st

from did_gov._encoding import b58decode
from did_gov.errors import InvalidInputError

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@given(
    st.binary(max_size=120)
    | st.builds(lambda n, b: b"\0" * n + b, st.integers(0, 5), st.binary(max_size=40))
)
def test_decode_inverts_the_reference_encoder(data: bytes) -> None:
    assert b58decode(base58.b58encode(data).decode("ascii")) == data


def _reference_decode(text: str) -> bytes | None:
    """The ``base58`` package, less its leniency: it strips trailing whitespace, which is not
    in the base58btc alphabet, so a multibase value with it is malformed."""
    if text != text.rstrip():
        return None
    try:
        return bytes(base58.b58decode(text))
    except ValueError:
        return None


def _ours(text: str) -> bytes | None:
    try:
        return b58decode(text)
    except InvalidInputError:
        return None


@given(
    st.text(
        alphabet=st.sampled_from([*ALPHABET, "0", "O", "I", "l", " ", "\n", "é", "+"]), max_size=100
    )
)
def test_decode_equals_reference(text: str) -> None:
    assert _ours(text) == _reference_decode(text)
