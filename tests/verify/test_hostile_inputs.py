"""Crashes and slow inputs before any signature is checked (issue 10): each is a report with a code.

One test per attack, named after it, through ``Verifier.verify``; the same hostile files
go through ``did-gov verify`` in one subprocess (``test_cli_*``), which must exit 1 with
the code in its JSON line and never print a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWSCore

from did_gov import PrivateKey, Verifier, issue, issue_sd_jwt, present_sd_jwt
from did_gov._encoding import b64url_decode, b64url_encode, base58btc_encode
from did_gov.dids import DefaultResolver, did_key
from did_gov.errors import DidGovError, KeyFormatError
from did_gov.limits import Limits
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW, load_vector
from tests.test_json_hostile import hostile_json, xsd_date_times

ISSUER = PrivateKey.from_seed("ed25519", bytes(range(32)))
HOLDER = PrivateKey.from_seed("ed25519", bytes(range(1, 33)))
ISSUER_DID = did_key.did_for_public_key(ISSUER.public_key)
KID = did_key.verification_method_id(ISSUER.public_key)
UNSIGNED = load_vector("eddsa/unsigned.json")
HUGE_INT = "9" * 5000  # beyond Python's 4300-digit int-string limit
TEN_POW_400 = "1" + "0" * 400


def _codes(report: Any) -> set[str]:
    found = {c.code for c in report.errors}
    for nested in report.credentials:
        found |= _codes(nested)
    return found


def _credential(**extra: Any) -> dict[str, Any]:
    return issue({**UNSIGNED, **extra}, ISSUER, now=NOW)


def _sign_text(header: dict[str, Any], payload_text: str, key: PrivateKey) -> str:
    """A compact JWS over exactly ``payload_text`` (so it can hold what json.dumps never writes)."""
    alg = key.public_key.jws_alg
    signed = JWSCore(
        alg, JWK(**key.to_jwk()), json.dumps({"alg": alg, **header}), payload_text.encode(), [alg]
    ).sign()
    return f"{signed['protected']}.{signed['payload'].decode()}.{signed['signature']}"


def _with_member(document: dict[str, Any], name: str, raw_json: str) -> str:
    """``document`` as JSON text with one more member whose value is written verbatim."""
    return json.dumps(document)[:-1] + f', "{name}": {raw_json}}}'


def _vc_jwt(name: str, raw_json: str) -> str:
    claims = {**UNSIGNED, "issuer": ISSUER_DID}
    header = {"typ": "vc+jwt", "cty": "vc", "kid": KID}
    return _sign_text(header, _with_member(claims, name, raw_json), ISSUER)


def _sd_jwt(name: str, raw_json: str, *, kb: bool = False) -> str:
    """An SD-JWT VC whose issuer-signed payload (or, with ``kb``, KB-JWT) has ``name: raw_json``."""
    token = issue_sd_jwt(UNSIGNED, ISSUER, holder_key=HOLDER.public_key, now=NOW)
    jwt, *rest = token.split("~")
    if not kb:
        header = json.loads(b64url_decode(jwt.split(".")[0]))
        payload = json.loads(b64url_decode(jwt.split(".")[1]))
        payload.pop(name, None)
        header.pop("alg")
        return "~".join([_sign_text(header, _with_member(payload, name, raw_json), ISSUER), *rest])
    shown = present_sd_jwt(token, [], holder_key=HOLDER, nonce="n-1", audience="kiosk", now=NOW)
    *parts, kb_jwt = shown.split("~")
    kb_header = json.loads(b64url_decode(kb_jwt.split(".")[0]))
    kb_payload = json.loads(b64url_decode(kb_jwt.split(".")[1]))
    kb_payload.pop(name, None)
    kb_header.pop("alg")
    return "~".join(
        [*parts, _sign_text(kb_header, _with_member(kb_payload, name, raw_json), HOLDER)]
    )


def _verify(value: Any, **kwargs: Any) -> set[str]:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(value, **kwargs)
    assert not report.verified
    return _codes(report)


# --- integers longer than Python's int-string limit ------------------------------------------


def test_integer_beyond_int_string_limit_in_json_text_is_refused() -> None:
    assert "json.number_too_large" in _verify(_with_member(_credential(), "n", HUGE_INT))


def test_integer_beyond_int_string_limit_in_a_dict_is_refused() -> None:
    assert "json.number_too_large" in _verify({**_credential(), "n": 10**5000})


def test_integer_beyond_int_string_limit_in_a_vc_jwt_is_refused() -> None:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(_vc_jwt("n", HUGE_INT))
    assert not report.verified
    assert "jose.malformed" in _codes(report)
    assert "4300" in report.summary()


def test_integer_beyond_int_string_limit_in_an_sd_jwt_is_refused() -> None:
    assert "sd_jwt.malformed" in _verify(_sd_jwt("n", HUGE_INT))


# --- date-times at the edge of the XSD range ---------------------------------------------------

EDGE_DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31T24:00:00Z"]


@pytest.mark.parametrize("date", EDGE_DATES)
@pytest.mark.parametrize("field", ["validFrom", "validUntil"])
def test_xsd_edge_date_in_validity_window_is_out_of_range(field: str, date: str) -> None:
    assert "credential.date_out_of_range" in _verify({**_credential(), field: date})


@pytest.mark.parametrize("date", EDGE_DATES)
def test_xsd_edge_date_in_proof_created_is_malformed(date: str) -> None:
    vc = _credential()
    assert "proof.malformed" in _verify({**vc, "proof": {**vc["proof"], "created": date}})


@pytest.mark.parametrize("date", EDGE_DATES)
def test_xsd_edge_date_in_jose_iat_is_invalid(date: str) -> None:
    assert "credential.date_out_of_range" in _verify(_vc_jwt("iat", json.dumps(date)))


@pytest.mark.parametrize("date", EDGE_DATES)
def test_xsd_edge_date_in_jose_valid_until_is_out_of_range(date: str) -> None:
    assert "credential.date_out_of_range" in _verify(_vc_jwt("validUntil", json.dumps(date)))


def test_issue_refuses_an_xsd_edge_date() -> None:
    with pytest.raises(DidGovError) as info:
        _credential(validUntil="9999-12-31T24:00:00Z")
    assert info.value.code == "credential.date_out_of_range"


# --- NumericDates of 1e400 and 10^400 ----------------------------------------------------------


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_jose_numeric_date_of_1e400_is_refused(claim: str) -> None:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(_vc_jwt(claim, "1e400"))
    assert "jose.malformed" in _codes(report)
    assert "beyond the range of a double" in report.summary()


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_jose_numeric_date_of_ten_pow_400_is_refused(claim: str) -> None:
    assert "credential.date_out_of_range" in _verify(_vc_jwt(claim, TEN_POW_400))


@pytest.mark.parametrize("claim", ["exp", "nbf"])
def test_sd_jwt_numeric_date_of_1e400_is_refused(claim: str) -> None:
    assert "sd_jwt.malformed" in _verify(_sd_jwt(claim, "1e400"))


@pytest.mark.parametrize("claim", ["exp", "nbf"])
def test_sd_jwt_numeric_date_of_ten_pow_400_is_refused(claim: str) -> None:
    assert "credential.date_out_of_range" in _verify(_sd_jwt(claim, TEN_POW_400))


def test_sd_jwt_exp_of_1e400_never_means_never_expires() -> None:
    """1e400 used to parse as infinity: a token that never expired and verified."""
    assert "sd_jwt.malformed" in _verify(_sd_jwt("exp", "1e400"))


def test_kb_jwt_iat_of_1e400_is_refused() -> None:
    codes = _verify(_sd_jwt("iat", "1e400", kb=True), nonce="n-1", audience="kiosk")
    assert "sd_jwt.kb_malformed" in codes


def test_kb_jwt_iat_of_ten_pow_400_is_refused() -> None:
    codes = _verify(_sd_jwt("iat", TEN_POW_400, kb=True), nonce="n-1", audience="kiosk")
    assert "sd_jwt.time_invalid" in codes


# --- a dict nested 900 deep --------------------------------------------------------------------


def _nested(depth: int, leaf: Any, as_list: bool = False) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"a": leaf}
    return leaf


@pytest.mark.parametrize("as_list", [False, True])
def test_dict_input_nested_900_deep_is_refused(as_list: bool) -> None:
    vc = _credential()
    subject = {**vc["credentialSubject"], "x": _nested(900, 1, as_list)}
    report = Verifier(now=NOW).verify({**vc, "credentialSubject": subject})
    assert [(c.name, c.code) for c in report.errors] == [("parse", "input.json_too_deep")]


def test_dict_presentation_nested_900_deep_is_refused() -> None:
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [{**_credential(), "x": _nested(900, 1)}],
        "proof": {"type": "DataIntegrityProof", "x": _nested(900, 1)},
    }
    assert "input.json_too_deep" in _verify(vp)


# --- max_document_bytes counts bytes, not characters -------------------------------------------


def test_max_document_bytes_counts_utf8_bytes_not_characters() -> None:
    vc = _credential()
    text = _with_member(vc, "pad", json.dumps("é" * 300, ensure_ascii=False))
    limits = Limits(max_document_bytes=len(text) + 10)  # enough characters, too few bytes
    assert len(text) <= limits.max_document_bytes < len(text.encode())
    report = Verifier(now=NOW, limits=limits, trust=UNSAFE_TRUST_ANY_ISSUER).verify(text)
    assert "input.too_large" in _codes(report)
    assert (
        Verifier(now=NOW, limits=limits, trust=UNSAFE_TRUST_ANY_ISSUER)
        .verify(json.dumps(vc))
        .verified
    )


# --- did:web hosts spelled as IPv4 numbers -----------------------------------------------------


@pytest.mark.parametrize("host", ["0x7f000001", "2130706433", "127.1", "0177.0.0.1", "127.0.0.0x1"])
def test_did_web_host_in_ipv4_spelling_is_refused_before_any_fetch(host: str) -> None:
    fetched: list[str] = []

    def fetcher(url: str) -> bytes:
        fetched.append(url)
        raise AssertionError("must not fetch")

    did = f"did:web:{host}"
    forged = {**UNSIGNED, "issuer": did}
    forged = issue(forged, ISSUER, verification_method=f"{did}#key-1", now=NOW)
    report = Verifier(
        now=NOW, resolver=DefaultResolver(fetcher=fetcher), trust=UNSAFE_TRUST_ANY_ISSUER
    ).verify(forged)
    assert not report.verified
    assert "did.invalid" in _codes(report)
    assert fetched == []


# --- Ed25519 keys for which one signature verifies every message -------------------------------

IDENTITY = bytes([1]) + bytes(31)  # the neutral point: small order
NON_CANONICAL_IDENTITY = (2**255 - 19 + 1).to_bytes(32, "little")  # y = p + 1 ≡ 1
UNIVERSAL_SIGNATURE = IDENTITY + bytes(32)  # R = identity, S = 0: [S]B = R + [k]A for all k


@pytest.mark.parametrize(
    "raw", [IDENTITY, NON_CANONICAL_IDENTITY], ids=["small-order", "non-canonical"]
)
def test_weak_ed25519_did_key_cannot_forge_a_credential(raw: bytes) -> None:
    multikey = base58btc_encode(b"\xed\x01" + raw)
    did = f"did:key:{multikey}"
    forged = {
        **UNSIGNED,
        "issuer": did,
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2025-01-01T00:00:00Z",
            "verificationMethod": f"{did}#{multikey}",
            "proofPurpose": "assertionMethod",
            "proofValue": base58btc_encode(UNIVERSAL_SIGNATURE),
        },
    }
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(forged)
    assert not report.verified
    assert "key.weak" in _codes(report)


def test_weak_ed25519_did_jwk_cannot_forge_a_vc_jwt() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(IDENTITY)}
    did = "did:jwk:" + b64url_encode(json.dumps(jwk).encode())
    claims = json.dumps({**UNSIGNED, "issuer": did})
    header = b64url_encode(
        json.dumps({"alg": "EdDSA", "typ": "vc+jwt", "kid": f"{did}#0"}).encode()
    )
    token = f"{header}.{b64url_encode(claims.encode())}.{b64url_encode(UNIVERSAL_SIGNATURE)}"
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token)
    assert not report.verified
    assert "small order" in report.summary()


def test_weak_ed25519_cnf_key_cannot_forge_key_binding() -> None:
    token = issue_sd_jwt(UNSIGNED, ISSUER, holder_key=HOLDER.public_key, now=NOW)
    jwt, *rest = token.split("~")
    header = json.loads(b64url_decode(jwt.split(".")[0]))
    payload = json.loads(b64url_decode(jwt.split(".")[1]))
    payload["cnf"] = {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(IDENTITY)}}
    header.pop("alg")
    reissued = "~".join([_sign_text(header, json.dumps(payload), ISSUER), *rest])
    kb_header = b64url_encode(json.dumps({"alg": "EdDSA", "typ": "kb+jwt"}).encode())
    kb_payload = b64url_encode(json.dumps({"iat": int(NOW.timestamp()), "nonce": "n-1"}).encode())
    forged = reissued + f"{kb_header}.{kb_payload}.{b64url_encode(UNIVERSAL_SIGNATURE)}"
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        forged, nonce="n-1", audience="kiosk"
    )
    assert not report.verified
    assert "sd_jwt.cnf_invalid" in _codes(report)


def test_weak_ed25519_issuer_jwk_is_refused_at_configuration() -> None:
    with pytest.raises(KeyFormatError) as info:
        Verifier(
            issuer_jwks=[{"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(IDENTITY)}],
            trust=UNSAFE_TRUST_ANY_ISSUER,
        )
    assert info.value.code == "key.weak"


# --- lone surrogates on the JOSE / SD-JWT side -------------------------------------------------


def test_lone_surrogate_in_a_vc_jwt_claim_is_refused() -> None:
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(
        _vc_jwt("nickname", '"\\ud800"')
    )
    assert "jose.malformed" in _codes(report)
    assert "surrogate" in report.summary()


def test_lone_surrogate_in_a_vc_jwt_member_name_is_refused() -> None:
    claims = json.dumps({**UNSIGNED, "issuer": ISSUER_DID})[:-1] + ', "\\udfff": 1}'
    token = _sign_text({"typ": "vc+jwt", "kid": KID}, claims, ISSUER)
    assert "jose.malformed" in _verify(token)


def test_lone_surrogate_in_an_sd_jwt_claim_is_refused() -> None:
    assert "sd_jwt.malformed" in _verify(_sd_jwt("nickname", '"\\ud800"'))


def test_valid_surrogate_pair_still_verifies() -> None:
    """An escaped pair is one code point (U+1F600), not a lone surrogate."""
    token = issue_sd_jwt({**UNSIGNED, "credentialSubject": {"name": "\U0001f600"}}, ISSUER, now=NOW)
    assert Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token).verified


# --- the CLI: every file above, one subprocess, never a traceback ------------------------------

CLI_CASES: dict[str, str] = {
    "huge-int.json": "json.number_too_large",
    "edge-date.json": "credential.date_out_of_range",
    "jose-exp-1e400.jwt": "jose.malformed",
    "jose-iat-edge.jwt": "credential.date_out_of_range",
    "sd-exp-10e400.sd-jwt": "credential.date_out_of_range",
    "sd-surrogate.sd-jwt": "sd_jwt.malformed",
    "did-web-hex.json": "did.invalid",
    "weak-did-key.json": "key.weak",
}


def _cli_inputs() -> dict[str, str]:
    weak = base58btc_encode(b"\xed\x01" + IDENTITY)
    did = "did:web:0x7f000001"
    return {
        "huge-int.json": _with_member(_credential(), "n", HUGE_INT),
        "edge-date.json": json.dumps({**_credential(), "validUntil": "9999-12-31T24:00:00Z"}),
        "jose-exp-1e400.jwt": _vc_jwt("exp", "1e400"),
        "jose-iat-edge.jwt": _vc_jwt("iat", '"0001-01-01T00:00:00+14:00"'),
        "sd-exp-10e400.sd-jwt": _sd_jwt("exp", TEN_POW_400),
        "sd-surrogate.sd-jwt": _sd_jwt("nickname", '"\\ud800"'),
        "did-web-hex.json": json.dumps(
            issue({**UNSIGNED, "issuer": did}, ISSUER, verification_method=f"{did}#k", now=NOW)
        ),
        "weak-did-key.json": json.dumps(
            {
                **UNSIGNED,
                "issuer": f"did:key:{weak}",
                "proof": {
                    "type": "DataIntegrityProof",
                    "cryptosuite": "eddsa-rdfc-2022",
                    "verificationMethod": f"did:key:{weak}#{weak}",
                    "proofPurpose": "assertionMethod",
                    "proofValue": base58btc_encode(UNIVERSAL_SIGNATURE),
                },
            }
        ),
    }


@pytest.fixture(scope="module")
def cli_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = []
    for name, text in _cli_inputs().items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(str(folder / name))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "did_gov",
            "verify",
            "--json",
            "--at",
            "2025-06-01T12:00:00Z",
            *paths,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = {Path(entry["file"]).name: entry for entry in map(json.loads, done.stdout.splitlines())}
    return done, lines


def _line_codes(entry: dict[str, Any]) -> set[str]:
    found = {c["code"] for c in entry.get("checks", []) if not c.get("ok")}
    for nested in entry.get("credentials", []):
        found |= _line_codes(nested)
    return found


@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_cli_reports_hostile_input_without_a_traceback(
    cli_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]], name: str
) -> None:
    done, lines = cli_run
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    entry = lines[name]
    assert entry["verified"] is False
    code = CLI_CASES[name]
    assert code in _line_codes(entry) or code in json.dumps(entry), entry


# --- properties: whatever a signed token or a document holds, a report comes back -------------

_CREDENTIAL = _credential()
CLAIMS = ["exp", "nbf", "iat", "validUntil", "nickname", "\\ud800"]


@settings(max_examples=40)
@given(hostile_json(), st.sampled_from(["di-text", "vc-jwt", "sd-jwt"]), st.sampled_from(CLAIMS))
def test_verifier_reports_on_hostile_json_in_any_format(raw: str, shape: str, name: str) -> None:
    if shape == "di-text":
        value: Any = _with_member(_CREDENTIAL, name, raw)
    elif shape == "vc-jwt":
        value = _vc_jwt(name, raw)
    else:
        value = _sd_jwt(name, raw)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(value)
    assert isinstance(report.verified, bool)
    report.summary()


@settings(max_examples=40)
@given(xsd_date_times(), st.sampled_from(["validFrom", "validUntil", "created", "iat"]))
def test_verifier_reports_on_extreme_dates(date: str, field: str) -> None:
    if field == "iat":
        value: Any = _vc_jwt("iat", json.dumps(date))
    elif field == "created":
        value = {**_CREDENTIAL, "proof": {**_CREDENTIAL["proof"], "created": date}}
    else:
        value = {**_CREDENTIAL, field: date}
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(value)
    assert isinstance(report.verified, bool)


# --- JSON-LD a context makes pyld leave bare -----------------------------------------------------


def test_term_scoped_to_a_keyword_is_data_loss_not_a_crash() -> None:
    """An inline context scoping a term to ``@id`` inside itself: pyld leaves the value bare,
    and the conversion to RDF raised ``AttributeError`` out of ``Verifier.verify``."""
    credential = _credential()
    credential["@context"] = [
        *credential["@context"],
        {"k": {"@id": "https://x.example/k", "@context": {"k": "@id"}}},
    ]
    credential["credentialSubject"]["k"] = "did:example:elsewhere"
    assert "jsonld.data_loss" in _verify(credential)
