"""SD-JWT (RFC 9901 / draft-22) vectors from tests/vectors/sd-jwt: digests, processing, signatures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from did_gov._encoding import b64url_decode
from did_gov.keys import PrivateKey, PublicKey
from did_gov.limits import DEFAULT_LIMITS
from did_gov.proofs._sd_jwt_disclosures import Revealer, decode_disclosure, digest_of
from did_gov.proofs.sd_jwt import (
    issue_sd_jwt,
    present_sd_jwt,
    split_sd_jwt,
    verify_sd_jwt,
)
from tests.conftest import VECTORS, load_vector, vector_text

SD = VECTORS / "sd-jwt"
SIGNED = ["simple", "simple_structured", "w3c_vcdm"]
PAYLOAD_ONLY = ["address_only_flat", "address_only_structured", "address_only_recursive"]
NONCE = "1234567890"
VERIFIER = "https://verifier.example.org"
KB_IAT = 1748536865
AT_KB = datetime.fromtimestamp(KB_IAT + 30, UTC)


def _keys() -> dict[str, Any]:
    return load_vector("sd-jwt/keys.json")  # type: ignore[no-any-return]


def _public(jwk: dict[str, Any]) -> PublicKey:
    return PublicKey.from_jwk({k: v for k, v in jwk.items() if k != "d"})


ISSUER = _public(_keys()["issuer_key"])


@pytest.mark.parametrize("example", SIGNED + PAYLOAD_ONLY)
def test_disclosure_digests_recompute(example: str) -> None:
    for entry in load_vector(f"sd-jwt/{example}/disclosures.json"):
        assert digest_of(entry["disclosure"], "sha-256") == entry["digest"]
        decoded = decode_disclosure(entry["disclosure"], "sha-256", DEFAULT_LIMITS)
        parts = [decoded.salt, decoded.value]
        if decoded.name is not None:
            parts.insert(1, decoded.name)
        assert parts == entry["contents"]


def test_disclosure_examples_section_4_2() -> None:
    data = load_vector("sd-jwt/disclosure-examples.json")
    prop = data["object_property"]
    assert digest_of(prop["disclosure"], "sha-256") == prop["digest_sha256"]
    for encoded in data["equivalent_encodings_same_claim"]:
        d = decode_disclosure(encoded, "sha-256", DEFAULT_LIMITS)
        assert [d.salt, d.name, d.value] == prop["contents"]
        assert d.digest != prop["digest_sha256"]  # digests are over the exact string
    element = data["array_element"]
    d = decode_disclosure(element["disclosure"], "sha-256", DEFAULT_LIMITS)
    assert d.name is None
    assert [d.salt, d.value] == element["contents"]
    assert d.digest == element["digest_sha256"]


def _visible_extras(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload[k] for k in ("iss", "iat", "exp", "sub", "cnf") if k in payload}


@pytest.mark.parametrize("example", PAYLOAD_ONLY)
def test_payload_with_every_disclosure_gives_user_claims(example: str) -> None:
    payload = load_vector(f"sd-jwt/{example}/sd_jwt_payload.json")
    disclosures = [
        decode_disclosure(e["disclosure"], "sha-256", DEFAULT_LIMITS)
        for e in load_vector(f"sd-jwt/{example}/disclosures.json")
    ]
    revealer = Revealer(disclosures, 64)
    claims = revealer.reveal(payload)
    claims.pop("_sd_alg")
    assert not revealer.unreferenced()
    assert claims == {
        **_visible_extras(payload),
        **load_vector(f"sd-jwt/{example}/user_claims.json"),
    }


@pytest.mark.parametrize("example", SIGNED)
def test_issuer_signed_jwt_verifies_and_payload_matches(example: str) -> None:
    jwt = vector_text(f"sd-jwt/{example}/issuer_signed_jwt.txt").strip()
    result = verify_sd_jwt(jwt + "~", ISSUER, now=AT_KB)
    assert result.verified, result.checks
    payload = json.loads(b64url_decode(jwt.split(".")[1]))
    assert payload == load_vector(f"sd-jwt/{example}/sd_jwt_payload.json")


@pytest.mark.parametrize(
    "example", [e for e in SIGNED if (SD / e / "sd_jwt_issuance.txt").exists()]
)
def test_issuance_with_every_disclosure_gives_user_claims(example: str) -> None:
    issuance = vector_text(f"sd-jwt/{example}/sd_jwt_issuance.txt").strip()
    result = verify_sd_jwt(issuance, ISSUER, now=AT_KB)
    assert result.verified, result.checks
    payload = load_vector(f"sd-jwt/{example}/sd_jwt_payload.json")
    expected = {**_visible_extras(payload), **load_vector(f"sd-jwt/{example}/user_claims.json")}
    assert result.claims == expected


@pytest.mark.parametrize("example", SIGNED)
def test_presentation_gives_verified_contents(example: str) -> None:
    presentation = vector_text(f"sd-jwt/{example}/sd_jwt_presentation.txt").strip()
    key_bound = (SD / example / "kb_jwt_payload.json").exists()
    result = verify_sd_jwt(
        presentation,
        ISSUER,
        nonce=NONCE if key_bound else None,
        audience=VERIFIER if key_bound else None,
        now=AT_KB,
        require_key_binding=key_bound,
    )
    assert result.verified, result.checks
    assert result.key_bound is key_bound
    assert result.claims == load_vector(f"sd-jwt/{example}/verified_contents.json")


@pytest.mark.parametrize("example", ["simple", "w3c_vcdm"])
def test_kb_jwt_payload_and_sd_hash(example: str) -> None:
    presentation = vector_text(f"sd-jwt/{example}/sd_jwt_presentation.txt").strip()
    _, _, kb = split_sd_jwt(presentation)
    assert json.loads(b64url_decode(kb.split(".")[1])) == load_vector(
        f"sd-jwt/{example}/kb_jwt_payload.json"
    )
    wrong_nonce = verify_sd_jwt(presentation, ISSUER, nonce="other", audience=VERIFIER, now=AT_KB)
    assert "sd_jwt.kb_nonce_mismatch" in {c.code for c in wrong_nonce.checks}


@pytest.mark.parametrize(
    ("name", "key_bound"),
    [
        ("sd_jwt_issuance_flattened.json", False),
        ("sd_jwt_presentation_flattened.json", True),
        ("sd_jwt_presentation_general.json", True),
    ],
)
def test_json_serialization(name: str, key_bound: bool) -> None:
    data = load_vector(f"sd-jwt/json_serialization/{name}")
    result = verify_sd_jwt(
        data,
        ISSUER,
        nonce=NONCE if key_bound else None,
        audience=VERIFIER if key_bound else None,
        now=AT_KB,
    )
    assert result.verified, result.checks
    assert result.key_bound is key_bound
    assert result.claims is not None
    assert result.claims["given_name"] == "John"
    assert ("birthdate" in result.claims) is not key_bound


def test_general_serialization_second_signature_alone_does_not_verify() -> None:
    data = load_vector("sd-jwt/json_serialization/sd_jwt_presentation_general.json")
    only_second = {"payload": data["payload"], "signatures": [data["signatures"][1]]}
    result = verify_sd_jwt(only_second, ISSUER, now=AT_KB)
    assert not result.verified
    assert "signature.invalid" in {c.code for c in result.checks}


# -- sd-jwt-python behavioural cases ----------------------------------------------------------


@dataclass(frozen=True)
class _Sd:
    value: Any


class _Loader(yaml.SafeLoader):
    pass


def _construct_sd(loader: yaml.SafeLoader, node: yaml.Node) -> _Sd:
    if isinstance(node, yaml.ScalarNode):
        plain_style = node.style is None
        tag = loader.resolve(yaml.ScalarNode, node.value, (plain_style, not plain_style))
        plain = yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)
        return _Sd(loader.construct_object(plain, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return _Sd(loader.construct_sequence(node, deep=True))
    assert isinstance(node, yaml.MappingNode)
    return _Sd(loader.construct_mapping(node, deep=True))


_Loader.add_constructor("!sd", _construct_sd)


def _untag(node: Any, path: tuple[str, ...], paths: list[str]) -> Any:
    if isinstance(node, _Sd):
        paths.append("".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path))
        return _untag(node.value, path, paths)
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            name = key.value if isinstance(key, _Sd) else key
            if isinstance(key, _Sd):
                paths.append(
                    "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in (*path, name))
                )
            out[name] = _untag(value, (*path, name), paths)
        return out
    if isinstance(node, list):
        return [_untag(v, (*path, str(i)), paths) for i, v in enumerate(node)]
    return node


def _selected(node: Any, path: tuple[str, ...], out: list[str]) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node or [])
    for key, value in items:
        child = (*path, str(key))
        if value is True:
            out.append("".join("/" + p.replace("~", "~0").replace("/", "~1") for p in child))
        elif isinstance(value, dict | list):
            _selected(value, child, out)


CASES = sorted(p.name for p in (SD / "python-testcases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_python_testcases(case: str) -> None:
    text = (SD / "python-testcases" / case / "specification.yml").read_text()
    spec = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader with one extra tag
    settings = yaml.safe_load((SD / "python-testcases" / "settings.yml").read_text())
    paths: list[str] = []
    claims = _untag(spec["user_claims"], (), paths)
    issuer_id = settings["identifiers"]["issuer"]
    verifier_id = settings["identifiers"]["verifier"]
    issuer = PrivateKey.from_jwk(settings["key_settings"]["issuer_keys"][0])
    holder = PrivateKey.from_jwk(settings["key_settings"]["holder_key"])
    key_binding = bool(spec.get("key_binding"))
    token = issue_sd_jwt(
        {"iss": issuer_id, **claims},
        issuer,
        disclosable=paths,
        holder_key=holder.public_key if key_binding else None,
    )
    disclose: list[str] = []
    _selected(spec["holder_disclosed_claims"], (), disclose)
    nonce = settings["key_binding_nonce"] if key_binding else None
    presented = present_sd_jwt(
        token,
        disclose,
        holder_key=holder if key_binding else None,
        nonce=nonce,
        audience=verifier_id if key_binding else None,
    )
    result = verify_sd_jwt(
        presented,
        issuer.public_key,
        nonce=nonce,
        audience=verifier_id if key_binding else None,
        require_key_binding=key_binding,
    )
    assert result.verified, result.checks
    expected = {"iss": issuer_id, **spec["expect_verified_user_claims"]}
    if key_binding:
        expected["cnf"] = {"jwk": holder.public_key.to_jwk()}
    assert result.claims == expected
