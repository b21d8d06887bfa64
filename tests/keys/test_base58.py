"""Our base58 and base64url decoders equal their naive references on arbitrary input."""

from __future__ import annotations

import base58
from hypothesis import given
from hypothesis import strategies as st

from did_gov._encoding import b58decode, b64url_decode, b64url_encode
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


def _reference_b64url(text: str) -> bytes | None:
    """The slow, obvious strict base64url: decode, then require re-encoding to give the input."""
    import base64 as b64

    if any(c in text for c in "=+/ \n\r\t"):
        return None
    try:
        raw = b64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return raw if b64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == text else None


@given(
    st.text(
        alphabet=st.sampled_from(
            [
                *"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                "=",
                "+",
                "/",
                " ",
                "é",
            ]
        ),
        max_size=24,
    )
    | st.binary(max_size=40).map(lambda b: b64url_encode(b))
)
def test_b64url_decode_equals_the_reference(text: str) -> None:
    try:
        ours: bytes | None = b64url_decode(text)
    except InvalidInputError:
        ours = None
    assert ours == _reference_b64url(text)
