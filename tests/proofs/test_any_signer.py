"""Every signature goes through the Signer: a KMS-like test double signs every format,
a status list and a checkpoint, and each verifies; a broken signer never ships a signature."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from did_gov import Verifier, issue, present
from did_gov.dids import did_key
from did_gov.errors import DidGovError, SignatureError
from did_gov.keys import KeyType, PrivateKey, PublicKey, Signer, sign_with
from did_gov.ledger import NoteVerifier, open_checkpoint, open_ledger
from did_gov.proofs._jws import json_bytes, sign_compact
from did_gov.status import StatusRegistry
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW

LATER = NOW + timedelta(minutes=1)
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


class KmsSigner:
    """A Signer that is not a PrivateKey and never shows its key: like a cloud KMS, it
    returns ECDSA signatures in DER, and it counts its calls."""

    def __init__(self, key: PrivateKey, *, der: bool = True) -> None:
        self._key = key
        self._der = der
        self.calls = 0

    @property
    def public_key(self) -> PublicKey:
        return self._key.public_key

    def sign(self, data: bytes) -> bytes:
        self.calls += 1
        raw = self._key.sign(data)
        if not self._der or self._key.key_type is KeyType.ED25519:
            return raw
        n = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big"))


class WrongKeySigner(KmsSigner):
    """Names one key and signs with another: an HSM slot or label pointing at the wrong key."""

    def __init__(self, named: PrivateKey, actual: PrivateKey) -> None:
        super().__init__(actual)
        self._named = named

    @property
    def public_key(self) -> PublicKey:
        return self._named.public_key


class FailingSigner(KmsSigner):
    def sign(self, data: bytes) -> bytes:
        raise TimeoutError("KMS did not answer")


class GarbageSigner(KmsSigner):
    def sign(self, data: bytes) -> bytes:
        return b"\x01" * 17


def _unsigned(
    status: dict[str, Any] | None = None, subject: str = "did:example:citizen"
) -> dict[str, Any]:
    vc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": "urn:uuid:0b7c2d4e-1111-4222-8333-944455556666",
        "type": ["VerifiableCredential", "ExampleIdentityCredential"],
        "issuer": "did:example:replaced",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": subject, "name": "Ada", "birthDate": "1815"},
    }
    if status is not None:
        vc["credentialStatus"] = status
    return vc


KEY_TYPES = [KeyType.ED25519, KeyType.P256, KeyType.P384]


@pytest.mark.parametrize("key_type", KEY_TYPES, ids=[k.value for k in KEY_TYPES])
@pytest.mark.parametrize("fmt", ["di", "vc-jwt", "sd-jwt"])
def test_a_kms_signer_issues_every_format_and_each_verifies(key_type: KeyType, fmt: str) -> None:
    signer = KmsSigner(PrivateKey.generate(key_type))
    secured = issue(_unsigned(), signer, format=fmt, now=NOW)
    assert signer.calls == 1
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(secured)
    assert report.verified, report.summary()


@pytest.mark.parametrize("key_type", KEY_TYPES, ids=[k.value for k in KEY_TYPES])
@pytest.mark.parametrize("fmt", ["di", "vc-jwt"])
def test_a_kms_holder_presents_and_the_presentation_verifies(key_type: KeyType, fmt: str) -> None:
    issuer, holder = KmsSigner(PrivateKey.generate()), KmsSigner(PrivateKey.generate(key_type))
    subject = did_key.did_for_public_key(holder.public_key)  # presented by its subject
    vc = issue(_unsigned(subject=subject), issuer, format=fmt, now=NOW)
    vp = present([vc], holder, format=fmt, challenge="c-1", domain="kiosk.example", now=NOW)
    assert holder.calls == 1
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        vp, challenge="c-1", domain="kiosk.example"
    )
    assert report.verified, report.summary()


@pytest.mark.parametrize("key_type", KEY_TYPES, ids=[k.value for k in KEY_TYPES])
def test_a_kms_holder_signs_the_kb_jwt(key_type: KeyType) -> None:
    issuer, holder = (
        KmsSigner(PrivateKey.generate("p256")),
        KmsSigner(PrivateKey.generate(key_type)),
    )
    sd = issue(
        _unsigned(),
        issuer,
        format="sd-jwt",
        disclosable=["/credentialSubject/birthDate"],
        holder_key=holder.public_key,
        now=NOW,
    )
    shown = present([sd], holder, format="sd-jwt", challenge="n-1", domain="shop.example", now=NOW)
    assert holder.calls == 1
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        shown, nonce="n-1", audience="shop.example"
    )
    assert report.verified, report.summary()


@pytest.mark.parametrize("fmt", ["di", "vc-jwt"])
def test_a_kms_signer_publishes_a_status_list_that_verifies(tmp_path: Path, fmt: str) -> None:
    signer = KmsSigner(PrivateKey.generate("p256"))
    url = "https://gov.example/status/1"
    with StatusRegistry.open(tmp_path / "s.db", list_url=url, purpose="revocation") as registry:
        entry = registry.allocate("urn:uuid:0b7c2d4e-1111-4222-8333-944455556666").to_json()
        vc = issue(_unsigned(entry), signer, now=NOW)
        listed = registry.publish(
            vc["issuer"],
            lambda doc: issue(doc, signer, format=fmt, now=NOW),
            now=NOW,
            valid_for=timedelta(days=1),
        )
        registry.revoke("urn:uuid:0b7c2d4e-1111-4222-8333-944455556666")
        revoked = registry.publish(
            vc["issuer"],
            lambda doc: issue(doc, signer, format=fmt, now=LATER),
            now=LATER,
            valid_for=timedelta(days=1),
        )
    assert (
        Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vc)
        .verified
    )
    report = Verifier(now=LATER, status_lists=[revoked], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not report.verified
    assert report.errors[-1].code == "status.revoked"


def test_a_kms_signer_signs_checkpoints_that_verify() -> None:
    signer = KmsSigner(PrivateKey.generate("ed25519"))
    with open_ledger("memory:", log_key=signer, origin="gov.example/log") as log:
        log.anchor("credential", [b"one", b"two"])
        note = log.checkpoint()
    assert signer.calls >= 1
    opened = open_checkpoint(note, [NoteVerifier("gov.example/log", signer.public_key)])
    assert opened.checkpoint.size == 2


SIGNING: dict[str, Callable[[Signer], Any]] = {
    "di": lambda s: issue(_unsigned(), s, now=NOW),
    "vc-jwt": lambda s: issue(_unsigned(), s, format="vc-jwt", now=NOW),
    "sd-jwt": lambda s: issue(_unsigned(), s, format="sd-jwt", now=NOW),
    "vp-jwt": lambda s: present([], s, format="vc-jwt", challenge="c", domain="d", now=NOW),
    "checkpoint": lambda s: open_ledger(
        "memory:", log_key=s, origin="gov.example/log"
    ).checkpoint(),
}


@pytest.mark.parametrize("what", sorted(SIGNING))
def test_wrong_hsm_key_attack_never_ships_a_signature(what: str) -> None:
    """A signer naming key A but signing with key B would issue credentials nobody can verify
    (or, worse, that verify under B): every format refuses with signature.self_check_failed."""
    signer = WrongKeySigner(PrivateKey.generate("ed25519"), PrivateKey.generate("ed25519"))
    with pytest.raises(SignatureError) as err:
        SIGNING[what](signer)
    assert err.value.code == "signature.self_check_failed"


@pytest.mark.parametrize("what", sorted(SIGNING))
@pytest.mark.parametrize("broken", [FailingSigner, GarbageSigner])
def test_a_broken_signer_is_a_typed_error(what: str, broken: type[KmsSigner]) -> None:
    with pytest.raises(DidGovError) as err:
        SIGNING[what](broken(PrivateKey.generate("ed25519")))
    assert err.value.code == "signature.failed"


def test_sign_with_converts_der_and_checks_the_size() -> None:
    key = PrivateKey.generate("p384")
    assert len(sign_with(KmsSigner(key), b"x")) == 96
    with pytest.raises(SignatureError):
        sign_with(GarbageSigner(key), b"x")
    with pytest.raises(SignatureError):
        sign_with("not a signer", b"x")  # type: ignore[arg-type]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ED25519 = PrivateKey.from_seed("ed25519", bytes(range(32)))


@settings(max_examples=60, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=8), JSON, max_size=6), typ=st.text(max_size=12))
def test_our_eddsa_jws_is_byte_for_byte_jwcrypto_s(payload: dict[str, Any], typ: str) -> None:
    """Ed25519 is deterministic: the JWS we build around the Signer equals jwcrypto's own."""
    body = json_bytes(payload)
    ours = sign_compact({"alg": "EdDSA", "typ": typ}, body, ED25519)
    theirs = JWS(body)
    protected = json_bytes({"alg": "EdDSA", "typ": typ}).decode("utf-8")
    theirs.add_signature(JWK(**ED25519.to_jwk()), alg="EdDSA", protected=protected)
    assert ours == theirs.serialize(compact=True)


@settings(max_examples=30, deadline=None)
@given(
    key_type=st.sampled_from(KEY_TYPES),
    payload=st.dictionaries(st.text(max_size=8), JSON, max_size=6),
    der=st.booleans(),
)
def test_jwcrypto_verifies_what_any_signer_signs(
    key_type: KeyType, payload: dict[str, Any], der: bool
) -> None:
    key = PrivateKey.from_seed(key_type, bytes(32))
    header = {"alg": key_type.jws_alg, "typ": "JWT"}
    token = sign_compact(header, json_bytes(payload), KmsSigner(key, der=der))
    jws = JWS()
    jws.deserialize(token)
    jws.verify(JWK(**key.public_key.to_jwk()), alg=key_type.jws_alg)
    assert jws.payload == json_bytes(payload)
