"""Keys: Multikey and JWK encodings against the official vectors (tests/vectors), signing, and bad input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.errors import DidGovError, KeyFormatError, UnsupportedAlgorithmError
from did_gov.keys import KeyType, PrivateKey, PublicKey, Signer, load_private_key
from did_gov.testing import private_keys
from tests.conftest import load_vector

KEY_PAIRS = [
    ("eddsa/keyPair.json", KeyType.ED25519),
    ("ecdsa/p256KeyPair.json", KeyType.P256),
    ("ecdsa/p384KeyPair.json", KeyType.P384),
]


@pytest.mark.parametrize(("path", "key_type"), KEY_PAIRS, ids=[p for p, _ in KEY_PAIRS])
def test_multikey_pairs_round_trip(path: str, key_type: KeyType) -> None:
    pair = load_vector(path)
    key = load_private_key(pair)
    assert key.key_type is key_type
    assert key.public_key.to_multikey() == pair["publicKeyMultibase"]
    secret = pair.get("secretKeyMultibase", pair.get("privateKeyMultibase"))
    assert key.to_multikey() == secret
    assert PublicKey.from_multikey(pair["publicKeyMultibase"]) == key.public_key


@pytest.mark.parametrize("name", ["vm-p256.json", "vm-p384.json", "vm-ed25519.json"])
def test_jwk_vectors_and_thumbprint(name: str) -> None:
    vm = load_vector(f"vc-jose-cose/{name}")
    key = load_private_key(vm["secretKeyJwk"])
    public = PublicKey.from_jwk(vm["publicKeyJwk"])
    assert key.public_key == public
    for member in ("kty", "crv", "x"):
        assert public.to_jwk()[member] == vm["publicKeyJwk"][member]
    kid = vm["publicKeyJwk"].get("kid", "")
    if ":" not in kid and len(kid) == 43:  # the suite names keys by their RFC 7638 thumbprint
        assert public.jwk_thumbprint() == kid


def test_ed25519_seed_is_rfc8032() -> None:
    key = PrivateKey.from_seed(KeyType.ED25519, bytes(32))
    # did-key vector: seed 00..00 -> z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp
    assert key.public_key.to_multikey() == "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


@pytest.mark.parametrize("key_type", list(KeyType))
def test_seeded_keys_are_deterministic(key_type: KeyType) -> None:
    seed = bytes(range(32))
    assert (
        PrivateKey.from_seed(key_type, seed).public_key
        == PrivateKey.from_seed(key_type, seed).public_key
    )
    assert (
        PrivateKey.from_seed(key_type, seed).public_key
        != PrivateKey.from_seed(key_type, bytes(32)).public_key
    )


@settings(max_examples=30, deadline=None)
@given(private_keys(), st.binary(max_size=256))
def test_sign_verify_round_trip(key: PrivateKey, message: bytes) -> None:
    assert isinstance(key, Signer)
    signature = key.sign(message)
    assert key.public_key.verify(signature, message)
    assert not key.public_key.verify(signature, message + b"x")
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not key.public_key.verify(tampered, message)
    assert PublicKey.from_jwk(key.public_key.to_jwk()) == key.public_key
    assert PrivateKey.from_jwk(key.to_jwk()).public_key == key.public_key
    assert PrivateKey.from_multikey(key.to_multikey()).public_key == key.public_key


def test_ecdsa_is_deterministic_rfc6979() -> None:
    key = PrivateKey.from_seed(KeyType.P256, bytes(32))
    assert key.sign(b"m") == key.sign(b"m")


def test_mismatched_jwk_public_members_rejected() -> None:
    a = PrivateKey.generate(KeyType.P256).to_jwk()
    b = PrivateKey.generate(KeyType.P256).to_jwk()
    with pytest.raises(KeyFormatError):
        PrivateKey.from_jwk({**a, "x": b["x"], "y": b["y"]})


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "oct", "k": "AAAA"},
        {"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
    ],
)
def test_unsupported_jwks(jwk: dict[str, str]) -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        PublicKey.from_jwk(jwk)


def test_point_not_on_curve_rejected() -> None:
    jwk = PrivateKey.generate(KeyType.P256).public_key.to_jwk()
    jwk["y"] = jwk["x"]
    with pytest.raises(KeyFormatError):
        PublicKey.from_jwk(jwk)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), st.dictionaries(st.text(max_size=5), st.text(max_size=60))))
def test_key_parsers_raise_only_our_errors(value: object) -> None:
    for parse in (PublicKey.from_multikey, PublicKey.from_jwk, load_private_key):
        with contextlib.suppress(DidGovError):
            parse(value)  # type: ignore[arg-type]


def test_load_private_key_errors() -> None:
    with pytest.raises(KeyFormatError, match="cannot read"):
        load_private_key("/nonexistent/key.json")
    with pytest.raises(KeyFormatError, match="no private member"):
        load_private_key(PrivateKey.generate().public_key.to_jwk())
