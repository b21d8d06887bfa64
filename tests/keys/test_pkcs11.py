"""A real PKCS#11 token (SoftHSM2): keys generated in it sign every format, a status list and a
checkpoint, and each verifies; RFC 7512 URIs are parsed strictly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from did_gov import Verifier, issue, present
from did_gov.dids import did_key
from did_gov.errors import DidGovError, HsmError, InvalidInputError
from did_gov.keys import KeyType, PrivateKey
from did_gov.keys.pkcs11 import Pkcs11Signer, parse_pkcs11_uri
from did_gov.ledger import NoteVerifier, open_checkpoint, open_ledger
from did_gov.status import StatusRegistry
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW

LATER = NOW + timedelta(minutes=1)
KEY_TYPES = [KeyType.ED25519, KeyType.P256, KeyType.P384]


def _unsigned(
    status: dict[str, Any] | None = None, subject: str = "did:example:citizen"
) -> dict[str, Any]:
    vc: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "id": "urn:uuid:6a1f9d62-7a3e-4c55-9b1e-2f0c8d4e5a71",
        "type": ["VerifiableCredential", "ExampleIdentityCredential"],
        "issuer": "did:example:replaced",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": subject, "birthDate": "1815-12-10"},
    }
    if status is not None:
        vc["credentialStatus"] = status
    return vc


@pytest.fixture(scope="module")
def hsm_uris(softhsm: Any) -> dict[KeyType, str]:
    return {kt: softhsm.generate(kt, f"issuer-{kt.value}") for kt in KEY_TYPES}


@pytest.fixture
def hsm_keys(softhsm: Any, hsm_uris: dict[KeyType, str]) -> Iterator[dict[KeyType, Pkcs11Signer]]:
    signers = {
        kt: Pkcs11Signer.from_uri(uri, module=softhsm.module, pin=softhsm.pin)
        for kt, uri in hsm_uris.items()
    }
    yield signers
    for signer in signers.values():
        signer.close()  # the last session out logs the token out


@pytest.mark.parametrize("key_type", KEY_TYPES, ids=[k.value for k in KEY_TYPES])
@pytest.mark.parametrize("fmt", ["di", "vc-jwt", "sd-jwt"])
def test_an_hsm_key_signs_every_format_and_each_verifies(
    hsm_keys: dict[KeyType, Pkcs11Signer], key_type: KeyType, fmt: str
) -> None:
    signer = hsm_keys[key_type]
    secured = issue(_unsigned(), signer, format=fmt, now=NOW)
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(secured)
    assert report.verified, report.summary()


@pytest.mark.parametrize("key_type", KEY_TYPES, ids=[k.value for k in KEY_TYPES])
def test_an_hsm_holder_key_signs_presentations_and_kb_jwts(
    hsm_keys: dict[KeyType, Pkcs11Signer], key_type: KeyType
) -> None:
    holder = hsm_keys[key_type]
    issuer = PrivateKey.generate("p256")
    subject = did_key.did_for_public_key(holder.public_key)  # presented by its subject
    vc = issue(_unsigned(subject=subject), issuer, now=NOW)
    vp = present([vc], holder, challenge="c-1", domain="kiosk.example", now=NOW)
    assert (
        Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(vp, challenge="c-1", domain="kiosk.example")
        .verified
    )
    sd = issue(
        _unsigned(subject=subject),
        issuer,
        format="sd-jwt",
        disclosable=["/credentialSubject/birthDate"],
        holder_key=holder.public_key,
        now=NOW,
    )
    shown = present([sd], holder, format="sd-jwt", challenge="n-1", domain="shop.example", now=NOW)
    report = Verifier(now=LATER, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        shown, nonce="n-1", audience="shop.example"
    )
    assert report.verified, report.summary()


def test_an_hsm_key_publishes_a_status_list(
    hsm_keys: dict[KeyType, Pkcs11Signer], tmp_path: Path
) -> None:
    signer = hsm_keys[KeyType.P256]
    url = "https://gov.example/status/hsm"
    with StatusRegistry.open(tmp_path / "s.db", list_url=url, purpose="revocation") as registry:
        vc = issue(_unsigned(registry.allocate(_unsigned()["id"]).to_json()), signer, now=NOW)
        registry.revoke(vc["id"])
        listed = registry.publish(
            vc["issuer"],
            lambda doc: issue(doc, signer, now=NOW),
            now=NOW,
            valid_for=timedelta(days=1),
        )
    report = Verifier(now=LATER, status_lists=[listed], trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc)
    assert not report.verified
    assert report.errors[-1].code == "status.revoked"  # the HSM-signed list was read and trusted


def test_an_hsm_key_signs_checkpoints(hsm_keys: dict[KeyType, Pkcs11Signer]) -> None:
    signer = hsm_keys[KeyType.ED25519]
    with open_ledger("memory:", log_key=signer, origin="gov.example/hsm-log") as log:
        log.anchor("credential", [b"a", b"b", b"c"])
        note = log.checkpoint()
    opened = open_checkpoint(note, [NoteVerifier("gov.example/hsm-log", signer.public_key)])
    assert opened.checkpoint.size == 3


def test_the_private_key_never_leaves_the_token(softhsm: Any) -> None:
    from pkcs11 import Attribute, ObjectClass

    from did_gov.keys.pkcs11 import _library

    softhsm.generate(KeyType.P256, "sealed")
    token = _library(softhsm.module).get_token(token_label=softhsm.label)
    with token.open(user_pin=softhsm.pin) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label="sealed")
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False


def test_wrong_pin_is_a_typed_error(softhsm: Any) -> None:
    uri = softhsm.generate(KeyType.ED25519, "pin-test")
    with pytest.raises(HsmError) as err:
        Pkcs11Signer.from_uri(uri, module=softhsm.module, pin="0000")
    assert err.value.code == "pkcs11.pin_incorrect"


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("pkcs11:token=did-gov-test;object=no-such-key", "pkcs11.key_not_found"),
        ("pkcs11:token=no-such-token;object=x", "pkcs11.token_not_found"),
    ],
)
def test_missing_token_or_key_is_a_typed_error(softhsm: Any, uri: str, code: str) -> None:
    with pytest.raises(HsmError) as err:
        Pkcs11Signer.from_uri(uri, module=softhsm.module, pin=softhsm.pin)
    assert err.value.code == code


def test_module_from_the_environment(softhsm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = softhsm.generate(KeyType.ED25519, "env-test")
    monkeypatch.setenv("DID_GOV_PKCS11_MODULE", softhsm.module)
    monkeypatch.setenv("DID_GOV_PKCS11_PIN", softhsm.pin)
    with Pkcs11Signer.from_uri(uri) as signer:
        assert signer.public_key.verify(signer.sign(b"x"), b"x")
    monkeypatch.delenv("DID_GOV_PKCS11_MODULE")
    with pytest.raises(HsmError) as err:
        Pkcs11Signer.from_uri(uri)
    assert err.value.code == "pkcs11.module_missing"


def test_uri_parsing_follows_rfc_7512() -> None:
    uri = parse_pkcs11_uri(
        "pkcs11:token=Agency%20HSM;object=signing;id=%a0%0b;type=private;slot-id=3"
        "?module-path=/usr/lib/x.so&pin-value=1234"
    )
    assert (uri.token, uri.object, uri.id, uri.slot_id) == ("Agency HSM", "signing", b"\xa0\x0b", 3)
    assert (uri.module_path, uri.pin_value) == ("/usr/lib/x.so", "1234")
    assert "1234" not in repr(uri)  # the PIN never reaches a log line


@pytest.mark.parametrize(
    "bad",
    [
        "pkcs12:object=x",
        "pkcs11:token=t",  # names no key
        "pkcs11:object=x;type=public",
        "pkcs11:object=x;object=y",
        "pkcs11:object=x;vendor-thing=1",  # an attribute we cannot honour must not be ignored
        "pkcs11:object=x?module-name=softhsm2",
        "pkcs11:object",
        "pkcs11:object=x;slot-id=abc",
        "pkcs11:object=%ff%fe",
    ],
)
def test_bad_uris_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_pkcs11_uri(bad)
    assert err.value.code == "pkcs11.uri_invalid"


def test_without_a_module_there_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DID_GOV_PKCS11_MODULE", raising=False)
    with pytest.raises(DidGovError) as err:
        Pkcs11Signer.from_uri("pkcs11:object=x")
    assert err.value.code == "pkcs11.module_missing"
