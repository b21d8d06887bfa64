"""Data Integrity: every eddsa/ecdsa vector byte for byte, proof sets, mutations, and properties."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.errors import DidGovError, UnsupportedAlgorithmError
from did_gov.jsonld import canonicalize, default_loader, jcs
from did_gov.keys import KeyType, PrivateKey, PublicKey, load_private_key
from did_gov.proofs.data_integrity import add_proof, cryptosuites, verify_proofs
from did_gov.testing import credentials, private_keys
from tests.conftest import load_vector, vector_text


def did_key_resolver(url: str, purpose: str) -> PublicKey:
    """A test resolver: did:key:<mb>#<mb> -> the Multikey."""
    return PublicKey.from_multikey(url.split("#", 1)[1])


# (folder, suffix, key pair file, unsigned input, canonicalization)
CASES = [
    ("eddsa/eddsa-rdfc-2022", "DataInt", "eddsa/keyPair.json", "eddsa/unsigned.json", "rdfc"),
    ("eddsa/eddsa-jcs-2022", "JCS", "eddsa/keyPair.json", "eddsa/unsigned.json", "jcs"),
    ("eddsa/Ed25519Signature2020", "EdSig", "eddsa/keyPair.json", None, "rdfc"),
    (
        "ecdsa/ecdsa-rdfc-2019-p256",
        "ECDSAP256",
        "ecdsa/p256KeyPair.json",
        "ecdsa/unsigned.json",
        "rdfc",
    ),
    (
        "ecdsa/ecdsa-rdfc-2019-p384",
        "ECDSAP384",
        "ecdsa/p384KeyPair.json",
        "ecdsa/unsigned.json",
        "rdfc",
    ),
    (
        "ecdsa/ecdsa-jcs-2019-p256",
        "JCSECDSAP256",
        "ecdsa/p256KeyPair.json",
        "ecdsa/unsigned.json",
        "jcs",
    ),
]
IDS = [c[0] for c in CASES]


def _case(
    case: tuple[str, str, str, str | None, str],
) -> tuple[dict[str, Any], dict[str, Any], PrivateKey]:
    folder, suffix, key_file, unsigned_file, _ = case
    signed = load_vector(f"{folder}/signed{suffix}.json")
    unsigned = (
        load_vector(unsigned_file)
        if unsigned_file
        else {k: v for k, v in signed.items() if k != "proof"}
    )
    return signed, unsigned, load_private_key(load_vector(key_file))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_intermediate_values_byte_for_byte(case: tuple[str, str, str, str | None, str]) -> None:
    folder, suffix, _, _, canon = case
    _signed, unsigned, key = _case(case)
    hash_name = key.key_type.hash_name
    config = load_vector(f"{folder}/proofConfig{suffix}.json")
    if canon == "rdfc":
        doc_canon = canonicalize(unsigned, hash_name=hash_name).encode()
        config_canon = canonicalize(config, hash_name=hash_name).encode()
    else:
        doc_canon, config_canon = jcs(unsigned), jcs(config)
    assert doc_canon.decode() == vector_text(f"{folder}/canonDoc{suffix}.txt")
    assert config_canon.decode() == vector_text(f"{folder}/proofCanon{suffix}.txt")
    hasher = getattr(hashlib, hash_name)
    assert hasher(doc_canon).hexdigest() == vector_text(f"{folder}/docHash{suffix}.txt").strip()
    assert (
        hasher(config_canon).hexdigest() == vector_text(f"{folder}/proofHash{suffix}.txt").strip()
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reproduces_signed_vector_and_verifies(case: tuple[str, str, str, str | None, str]) -> None:
    folder, suffix, *_ = case
    signed, unsigned, key = _case(case)
    proof = signed["proof"]
    ours = add_proof(
        unsigned,
        key,
        cryptosuite=proof.get("cryptosuite", proof["type"]),
        verification_method=proof["verificationMethod"],
        created=proof["created"],
    )
    assert ours["proof"]["proofValue"] == vector_text(f"{folder}/sigBTC58{suffix}.txt").strip()
    assert ours == signed
    result = verify_proofs(signed, did_key_resolver)
    assert result.verified, result.checks


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["credentialSubject"].__setitem__("alumniOf", "The School of Examples."),
        lambda d: d.__setitem__("validFrom", "2023-01-01T00:00:01Z"),
        lambda d: d["type"].__setitem__(1, "ExampleDegreeCredential"),
        lambda d: d["proof"].__setitem__("created", "2023-02-24T23:36:39Z"),
        lambda d: d["proof"].__setitem__(
            "proofValue",
            d["proof"]["proofValue"][:-1] + ("1" if d["proof"]["proofValue"][-1] != "1" else "2"),
        ),
        lambda d: d.__setitem__("issuer", "https://vc.example/issuers/5679"),
    ],
    ids=["claim", "date", "type", "proof-option", "proof-value", "issuer"],
)
def test_one_change_fails(case: tuple[str, str, str, str | None, str], mutate: Any) -> None:
    signed, *_ = _case(case)
    if "credentialSubject" not in signed or "alumniOf" not in signed["credentialSubject"]:
        pytest.skip("mutation does not apply to this vector")
    tampered = copy.deepcopy(signed)
    mutate(tampered)
    result = verify_proofs(tampered, did_key_resolver)
    assert not result.verified


def test_proof_set_vectors() -> None:
    folder = "eddsa/proof-set-chain"
    pairs = load_vector(f"{folder}/multiKeyPairs.json")
    keys = {p["publicKeyMultibase"]: load_private_key(p) for p in pairs.values()}
    document = load_vector(f"{folder}/unsigned.json")
    for n in (1, 2):
        config = load_vector(f"{folder}/proofSetConfig{n}.json")
        document = add_proof(
            document,
            keys[config["verificationMethod"].split("#")[1]],
            cryptosuite=config["cryptosuite"],
            verification_method=config["verificationMethod"],
            created=config["created"],
            proof_id=config.get("id"),
        )
        assert document == load_vector(f"{folder}/signedProofSet{n}.json")
    result = verify_proofs(document, did_key_resolver)
    assert result.verified and len(result.proofs) == 2
    broken = copy.deepcopy(document)
    broken["proof"][0]["proofValue"] = broken["proof"][1]["proofValue"]
    assert not verify_proofs(broken, did_key_resolver).verified


def test_proof_chain_with_previous_proof() -> None:
    first, second = (
        PrivateKey.from_seed("ed25519", bytes(32)),
        PrivateKey.from_seed("p256", bytes(32)),
    )
    doc = load_vector("eddsa/unsigned.json")

    def vm(key: PrivateKey) -> str:
        mb = key.public_key.to_multikey()
        return f"did:key:{mb}#{mb}"

    doc = add_proof(
        doc,
        first,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=vm(first),
        proof_id="urn:p1",
        created="2025-01-01T00:00:00Z",
    )
    doc = add_proof(
        doc,
        second,
        cryptosuite="ecdsa-rdfc-2019",
        verification_method=vm(second),
        previous_proof="urn:p1",
        created="2025-01-01T00:00:00Z",
    )
    assert verify_proofs(doc, did_key_resolver).verified
    dropped = {**doc, "proof": [doc["proof"][1]]}
    result = verify_proofs(dropped, did_key_resolver)
    assert not result.verified
    assert "proof.previous_missing" in {c.code for c in result.checks}


def test_options_checks() -> None:
    key = PrivateKey.from_seed("ed25519", bytes(32))
    mb = key.public_key.to_multikey()
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    signed = add_proof(
        vp,
        key,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=f"did:key:{mb}#{mb}",
        proof_purpose="authentication",
        challenge="abc",
        domain="example.org",
        created="2025-01-01T00:00:00Z",
        expires="2025-02-01T00:00:00Z",
    )

    def codes(**kwargs: Any) -> set[str]:
        from datetime import UTC, datetime

        kwargs.setdefault("now", datetime(2025, 1, 10, tzinfo=UTC))
        kwargs.setdefault("expected_purpose", "authentication")
        return {c.code for c in verify_proofs(signed, did_key_resolver, **kwargs).checks}

    assert codes(challenge="abc", domain="example.org") == {"ok"}
    assert "proof.challenge_mismatch" in codes(challenge="abd")
    assert "proof.domain_mismatch" in codes(domain="evil.example")
    assert "proof.purpose_mismatch" in codes(expected_purpose="assertionMethod")
    from datetime import UTC, datetime

    assert "proof.expired" in codes(now=datetime(2026, 1, 1, tzinfo=UTC))
    assert "proof.created_in_future" in codes(now=datetime(2024, 1, 1, tzinfo=UTC))
    unsigned_vp = {**vp, "proof": {**signed["proof"], "cryptosuite": "rsa-2099"}}
    assert "proof.cryptosuite_unsupported" in {
        c.code for c in verify_proofs(unsigned_vp, did_key_resolver).checks
    }
    assert "proof.missing" in {c.code for c in verify_proofs(vp, did_key_resolver).checks}


def test_key_type_must_match_suite() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        add_proof(
            load_vector("eddsa/unsigned.json"),
            PrivateKey.generate("p256"),
            cryptosuite="eddsa-rdfc-2022",
            verification_method="did:example:x#k",
        )


def test_unpinned_context_and_undefined_terms_fail_closed() -> None:
    key = PrivateKey.from_seed("ed25519", bytes(32))
    mb = key.public_key.to_multikey()
    signed = add_proof(
        load_vector("eddsa/unsigned.json"),
        key,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=f"did:key:{mb}#{mb}",
        created="2025-01-01T00:00:00Z",
    )
    remote = copy.deepcopy(signed)
    remote["@context"].append("https://attacker.example/context.jsonld")
    assert "jsonld.context_not_allowed" in {
        c.code for c in verify_proofs(remote, did_key_resolver).checks
    }
    v2_only = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:x",
        "credentialSubject": {"undefinedTerm": "dropped silently?"},
    }
    with pytest.raises(DidGovError):
        add_proof(
            v2_only, key, cryptosuite="eddsa-rdfc-2022", verification_method=f"did:key:{mb}#{mb}"
        )


def _vm(key: PrivateKey) -> str:
    mb = key.public_key.to_multikey()
    return f"did:key:{mb}#{mb}"


def _suite_for(key: PrivateKey, jcs_suite: bool) -> str:
    if key.key_type is KeyType.ED25519:
        return "eddsa-jcs-2022" if jcs_suite else "eddsa-rdfc-2022"
    return "ecdsa-jcs-2019" if jcs_suite else "ecdsa-rdfc-2019"


@settings(max_examples=40, deadline=None)
@given(credentials(), private_keys(), st.booleans())
def test_round_trip_every_suite(vc: dict[str, Any], key: PrivateKey, jcs_suite: bool) -> None:
    signed = add_proof(
        vc,
        key,
        cryptosuite=_suite_for(key, jcs_suite),
        verification_method=_vm(key),
        created="2025-01-01T00:00:00Z",
    )
    assert verify_proofs(signed, did_key_resolver).verified


@settings(max_examples=40, deadline=None)
@given(credentials(), private_keys(), st.booleans(), st.data())
def test_any_change_to_a_signed_value_fails(
    vc: dict[str, Any], key: PrivateKey, jcs_suite: bool, data: st.DataObject
) -> None:
    signed = add_proof(
        vc,
        key,
        cryptosuite=_suite_for(key, jcs_suite),
        verification_method=_vm(key),
        created="2025-01-01T00:00:00Z",
    )
    tampered = copy.deepcopy(signed)
    leaves = list(_leaves(tampered["credentialSubject"], ("credentialSubject",)))
    path, value = data.draw(st.sampled_from(leaves))
    if isinstance(path[-1], int):
        # Under RDFC an array is a set: flipping [false, true] to [true, true] signs the same triples,
        # so an array element is replaced by a value that occurs nowhere else.
        _set(tampered, path, "\u2063mutated")
    else:
        _set(tampered, path, _different(value, data))
    assert not verify_proofs(tampered, did_key_resolver).verified


def _leaves(node: Any, path: tuple[Any, ...]) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path, node


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def _different(value: Any, data: st.DataObject) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 1.5 if abs(value) < 1e15 else -value
    return str(value) + data.draw(st.sampled_from(["x", " ", "é", "0"]))


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "proof",
                        "@context",
                        "type",
                        "proofValue",
                        "cryptosuite",
                        "verificationMethod",
                        "x",
                    ]
                ),
                c,
                max_size=4,
            )
        ),
    )
)
def test_verify_never_raises(value: Any) -> None:
    result = verify_proofs(value, did_key_resolver)
    assert not result.verified


def test_cryptosuites_listed() -> None:
    assert set(cryptosuites()) >= {
        "eddsa-rdfc-2022",
        "eddsa-jcs-2022",
        "ecdsa-rdfc-2019",
        "ecdsa-jcs-2019",
    }
    assert default_loader() is default_loader()
    assert json.dumps(cryptosuites())
