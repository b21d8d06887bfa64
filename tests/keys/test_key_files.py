"""Key files: saving without clobbering, mode 0600, encrypted JWKs, and the pre-rotation hash."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto.jwe import JWE
from jwcrypto.jwk import JWK

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov.errors import DidGovError, KeyFormatError, KeyPassphraseError
from did_gov.keys import PASSPHRASE_ENV, KeyType, PrivateKey, PublicKey, load_private_key
from did_gov.keys import p1363_from_der as der_to_raw
from did_gov.keys._store import PBES2_ITERATIONS, encrypt_jwk
from did_gov.testing import private_keys

PASSPHRASE = "correct horse battery staple"  # noqa: S105 (a test passphrase)


@pytest.fixture(autouse=True)
def _no_passphrase_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal: never a prompt


@pytest.mark.parametrize("key_type", list(KeyType))
def test_save_load_round_trip_plain_and_encrypted(tmp_path: Path, key_type: KeyType) -> None:
    key = PrivateKey.generate(key_type)
    key.save(tmp_path / "plain.jwk")
    key.save(tmp_path / "sealed.jwk", passphrase=PASSPHRASE)
    plain = json.loads((tmp_path / "plain.jwk").read_text())
    assert plain == key.to_jwk()  # the default file is a plain private JWK (scripts read it)
    assert load_private_key(tmp_path / "plain.jwk").to_jwk() == key.to_jwk()
    opened = load_private_key(tmp_path / "sealed.jwk", passphrase=PASSPHRASE)
    assert opened.to_jwk() == key.to_jwk()
    assert key.to_jwk()["d"] not in (tmp_path / "sealed.jwk").read_text()


def test_save_refuses_to_overwrite_an_existing_key(tmp_path: Path) -> None:
    path = tmp_path / "agency.jwk"
    first, second = PrivateKey.generate(), PrivateKey.generate()
    first.save(path)
    with pytest.raises(DidGovError) as err:
        second.save(path)
    assert err.value.code == "key.file_exists"
    assert load_private_key(path).public_key == first.public_key  # the old key survives
    second.save(path, overwrite=True)
    assert load_private_key(path).public_key == second.public_key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.jwk"]  # no temporary left


def test_world_readable_key_file_attack_mode_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        PrivateKey.generate().save(tmp_path / "a.jwk")
        (tmp_path / "b.jwk").write_text("{}")
        os.chmod(tmp_path / "b.jwk", 0o644)
        PrivateKey.generate().save(tmp_path / "b.jwk", overwrite=True)
    finally:
        os.umask(old)
    for name in ("a.jwk", "b.jwk"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_symlink_clobber_attack_a_planted_link_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "key.jwk").symlink_to(victim)
    with pytest.raises(DidGovError) as err:
        PrivateKey.generate().save(tmp_path / "key.jwk")
    assert err.value.code == "key.file_exists"
    PrivateKey.generate().save(tmp_path / "key.jwk", overwrite=True)  # replaces the link itself
    assert victim.read_text() == "precious"
    assert not (tmp_path / "key.jwk").is_symlink()


def test_unwritable_directory_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(DidGovError) as err:
        PrivateKey.generate().save(tmp_path / "missing" / "k.jwk")
    assert err.value.code == "key.write_failed"


def test_encrypted_file_is_a_pbes2_jwe_that_jwcrypto_opens_independently(tmp_path: Path) -> None:
    key = PrivateKey.generate("p256")
    key.save(tmp_path / "k.jwe", passphrase=PASSPHRASE)
    token = (tmp_path / "k.jwe").read_text().strip()
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["alg"] == "PBES2-HS512+A256KW"
    assert header["enc"] == "A256GCM"
    assert header["cty"] == "jwk+json"
    assert header["p2c"] == PBES2_ITERATIONS
    jwe = JWE()
    jwe.deserialize(token, JWK(kty="oct", k=b64url_encode(PASSPHRASE.encode())))
    assert json.loads(jwe.payload) == key.to_jwk()


def test_wrong_passphrase_is_a_typed_error(tmp_path: Path) -> None:
    PrivateKey.generate().save(tmp_path / "k.jwe", passphrase=PASSPHRASE)
    with pytest.raises(KeyPassphraseError) as err:
        load_private_key(tmp_path / "k.jwe", passphrase="not the passphrase at all")  # noqa: S106
    assert err.value.code == "key.passphrase_invalid"


def test_tampered_ciphertext_attack_is_refused(tmp_path: Path) -> None:
    PrivateKey.generate().save(tmp_path / "k.jwe", passphrase=PASSPHRASE)
    parts = (tmp_path / "k.jwe").read_text().strip().split(".")
    body = bytearray(b64url_decode(parts[3]))
    body[0] ^= 1
    parts[3] = b64url_encode(bytes(body))
    (tmp_path / "k.jwe").write_text(".".join(parts))
    with pytest.raises(KeyPassphraseError) as err:
        load_private_key(tmp_path / "k.jwe", passphrase=PASSPHRASE)
    assert err.value.code == "key.passphrase_invalid"


def test_hostile_p2c_attack_is_refused_before_any_work(tmp_path: Path) -> None:
    """A file asking for 2^31 PBKDF2 rounds would hang whoever opens it."""
    header = {"alg": "PBES2-HS512+A256KW", "enc": "A256GCM", "p2c": 2**31, "p2s": "AAAAAAAAAAA"}
    fake = (
        b64url_encode(json.dumps(header).encode())
        + ".AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"
    )
    (tmp_path / "k.jwe").write_text(fake)
    with pytest.raises(KeyFormatError) as err:
        load_private_key(tmp_path / "k.jwe", passphrase=PASSPHRASE)
    assert "p2c" in err.value.message


def test_jwe_with_another_key_wrapping_is_refused(tmp_path: Path) -> None:
    jwe = JWE(b"{}", protected=json.dumps({"alg": "A256KW", "enc": "A256GCM"}))
    jwe.add_recipient(JWK.generate(kty="oct", size=256))
    (tmp_path / "k.jwe").write_text(jwe.serialize(compact=True))
    with pytest.raises(KeyFormatError):
        load_private_key(tmp_path / "k.jwe", passphrase=PASSPHRASE)


def test_no_passphrase_and_no_terminal_never_prompts(tmp_path: Path) -> None:
    PrivateKey.generate().save(tmp_path / "k.jwe", passphrase=PASSPHRASE)
    with pytest.raises(KeyPassphraseError) as err:
        load_private_key(tmp_path / "k.jwe")
    assert err.value.code == "key.passphrase_required"


def test_passphrase_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = PrivateKey.generate()
    key.save(tmp_path / "k.jwe", passphrase=PASSPHRASE)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    assert load_private_key(tmp_path / "k.jwe").public_key == key.public_key


def test_weak_passphrase_is_refused_when_encrypting() -> None:
    with pytest.raises(KeyPassphraseError) as err:
        encrypt_jwk(PrivateKey.generate().to_jwk(), "hunter2")
    assert err.value.code == "key.passphrase_weak"


def test_pre_rotation_hash_matches_the_did_webvh_example() -> None:
    """didwebvh.info's example log: entry 2's updateKeys hashes to entry 1's nextKeyHashes."""
    key = PublicKey.from_multikey("z6MkvQnUuQn3s52dw4FF3T87sfaTvXRW7owE1QMvFwpag2Bf")
    assert key.pre_rotation_hash() == "QmXC3vvStVVzCBHRHGUsksGxn6BNmkdETXJGDBXwNSTL33"


@settings(max_examples=25, deadline=None)
@given(private_keys())
def test_pre_rotation_hash_is_the_sha256_multihash_of_the_multikey(key: PrivateKey) -> None:
    raw = base58.b58decode(key.public_key.pre_rotation_hash())
    assert raw[:2] == b"\x12\x20"
    assert raw[2:] == hashlib.sha256(key.public_key.to_multikey().encode()).digest()


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([KeyType.P256, KeyType.P384]), st.binary(max_size=64))
def test_der_signatures_convert_to_what_verify_accepts(key_type: KeyType, data: bytes) -> None:
    key = PrivateKey.generate(key_type)
    algorithm = hashes.SHA256() if key_type is KeyType.P256 else hashes.SHA384()
    der = key._key.sign(data, ec.ECDSA(algorithm))  # what a KMS returns
    assert key.public_key.verify(der_to_raw(der, key_type), data)


def test_der_conversion_refuses_garbage() -> None:
    with pytest.raises(KeyFormatError) as err:
        der_to_raw(b"\x30\x02\x01", KeyType.P256)
    assert err.value.code == "key.signature_invalid"
