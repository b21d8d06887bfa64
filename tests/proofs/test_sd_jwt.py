"""SD-JWT issuance, presentation and verification, and every attack the verifier must reject."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov.errors import InvalidInputError, ProofError
from did_gov.keys import PrivateKey, PublicKey
from did_gov.limits import Limits
from did_gov.proofs._sd_jwt_disclosures import make_disclosure, parse_claim_path
from did_gov.proofs.sd_jwt import (
    SdJwtVerification,
    issue_sd_jwt,
    present_sd_jwt,
    split_sd_jwt,
    verify_sd_jwt,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = PrivateKey.from_seed("p256", b"sd-jwt issuer seed 01")
HOLDER = PrivateKey.from_seed("ed25519", bytes(range(32)))
THIEF = PrivateKey.from_seed("ed25519", bytes(range(1, 33)))
CLAIMS: dict[str, Any] = {
    "iss": "https://gov.example",
    "iat": int(NOW.timestamp()) - 3600,
    "exp": int(NOW.timestamp()) + 86400,
    "given_name": "Ada",
    "birthdate": "1990-12-10",
    "age_over_18": True,
    "address": {"street": "1 Main St", "city": "Capital"},
    "nationalities": ["EX", "DE"],
}
DISCLOSABLE = [
    "/given_name",
    "/birthdate",
    "/age_over_18",
    "/address",
    "/address/street",
    "/nationalities/1",
]


def _issue(**options: Any) -> str:
    kwargs: dict[str, Any] = {"disclosable": DISCLOSABLE, "holder_key": HOLDER.public_key}
    kwargs.update(options)
    return issue_sd_jwt(CLAIMS, ISSUER, **kwargs)


def _present(token: str, paths: list[str], nonce: str = "n-1", aud: str = "kiosk") -> str:
    return present_sd_jwt(token, paths, holder_key=HOLDER, nonce=nonce, audience=aud, now=NOW)


def _verify(token: str | dict[str, Any], **options: Any) -> SdJwtVerification:
    kwargs: dict[str, Any] = {"nonce": "n-1", "audience": "kiosk", "now": NOW}
    kwargs.update(options)
    return verify_sd_jwt(token, ISSUER.public_key, **kwargs)


def _codes(result: SdJwtVerification) -> set[str]:
    return {c.code for c in result.checks if not c.ok}


def _segments(jwt: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    h, p, s = jwt.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s


def _enc(value: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(value).encode())


def _resign(header: dict[str, Any], payload: dict[str, Any], key: PrivateKey) -> str:
    """A JWT signed by ``key`` over an attacker-chosen header and payload."""
    signing_input = f"{_enc(header)}.{_enc(payload)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


# -- the happy path ---------------------------------------------------------------------------


def test_presentation_reveals_only_the_chosen_claims() -> None:
    shown = _present(_issue(), ["/age_over_18", "/address/city"])
    result = _verify(shown)
    assert result.verified, result.checks
    assert result.key_bound
    assert result.claims == {
        "iss": CLAIMS["iss"],
        "iat": CLAIMS["iat"],
        "exp": CLAIMS["exp"],
        "age_over_18": True,
        "address": {"city": "Capital"},
        "nationalities": ["EX"],
        "cnf": {"jwk": HOLDER.public_key.to_jwk()},
    }


def test_disclosing_a_parent_reveals_its_subtree_and_array_elements() -> None:
    shown = _present(_issue(), ["/address", "/nationalities/1"])
    result = _verify(shown)
    assert result.verified, result.checks
    assert result.claims is not None
    assert result.claims["address"] == CLAIMS["address"]
    assert result.claims["nationalities"] == ["EX", "DE"]
    assert "given_name" not in result.claims


def test_without_key_binding() -> None:
    shown = present_sd_jwt(_issue(), ["/given_name"])
    assert shown.endswith("~")
    result = verify_sd_jwt(shown, ISSUER.public_key, now=NOW)
    assert result.verified, result.checks
    assert not result.key_bound
    assert result.claims is not None
    assert result.claims["given_name"] == "Ada"


def test_issued_payload_hides_disclosable_claims_and_adds_decoys() -> None:
    token = _issue(decoys=3)
    jwt, disclosures, kb = split_sd_jwt(token)
    _, payload, _ = _segments(jwt)
    assert kb == ""
    assert len(disclosures) == len(DISCLOSABLE)
    assert "given_name" not in payload
    assert "birthdate" not in json.dumps(payload)
    # given_name, birthdate, age_over_18, address, then 3 to 6 decoys
    assert 4 + 3 <= len(payload["_sd"]) <= 4 + 6
    assert payload["_sd"] == sorted(payload["_sd"])
    assert payload["_sd_alg"] == "sha-256"
    assert payload["nationalities"][0] == "EX"
    assert set(payload["nationalities"][1]) == {"..."}
    header, _, _ = _segments(jwt)
    assert header == {"alg": "ES256", "typ": "dc+sd-jwt"}


def test_default_salts_have_128_bits_and_differ() -> None:
    _, disclosures, _ = split_sd_jwt(_issue())
    salts = [json.loads(b64url_decode(d))[0] for d in disclosures]
    assert all(len(b64url_decode(s)) >= 16 for s in salts)
    assert len(set(salts)) == len(salts)


def test_injected_salt_makes_disclosures_reproducible() -> None:
    counter = iter(range(100))

    def salt() -> str:
        return b64url_encode(next(counter).to_bytes(16, "big"))

    token = issue_sd_jwt(CLAIMS, ISSUER, disclosable=["/given_name"], salt=salt, decoys=0)
    _, disclosures, _ = split_sd_jwt(token)
    assert disclosures == [make_disclosure(salt_of(0), "given_name", "Ada", "sha-256").encoded]


def salt_of(n: int) -> str:
    """The salt the counter source above returns for ``n``."""
    return b64url_encode(n.to_bytes(16, "big"))


def test_short_injected_salt_is_refused() -> None:
    with pytest.raises(ProofError) as info:
        issue_sd_jwt(CLAIMS, ISSUER, disclosable=["/given_name"], salt=lambda: "short")
    assert info.value.code == "sd_jwt.salt_invalid"


@pytest.mark.parametrize("path", ["/iss", "/exp", "/nbf", "/cnf", "/vct", "/status"])
def test_registered_claims_cannot_be_disclosable(path: str) -> None:
    claims = {**CLAIMS, "vct": "X", "nbf": 1, "status": {}, "cnf": {}}
    with pytest.raises(ProofError) as info:
        issue_sd_jwt(claims, ISSUER, disclosable=[path])
    assert info.value.code == "sd_jwt.claim_not_disclosable"


@pytest.mark.parametrize("path", ["/nope", "/address/zip", "/nationalities/7"])
def test_unknown_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        issue_sd_jwt(CLAIMS, ISSUER, disclosable=[path])
    assert info.value.code == "sd_jwt.path_not_found"
    with pytest.raises(InvalidInputError) as info:
        _present(_issue(), [path])
    assert info.value.code == "sd_jwt.path_not_found"


@pytest.mark.parametrize("text", ["", "/", "name", "/a/~2"])
def test_bad_claim_paths(text: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_claim_path(text)
    assert info.value.code == "sd_jwt.path_invalid"


def test_claim_path_escapes() -> None:
    assert parse_claim_path("/a~1b/c~0d/0") == ("a/b", "c~d", "0")


def test_present_refuses_a_key_that_is_not_cnf() -> None:
    with pytest.raises(ProofError) as info:
        present_sd_jwt(_issue(), [], holder_key=THIEF, nonce="n", audience="a")
    assert info.value.code == "sd_jwt.holder_key_mismatch"


def test_present_needs_nonce_and_audience_for_key_binding() -> None:
    with pytest.raises(InvalidInputError) as info:
        present_sd_jwt(_issue(), [], holder_key=HOLDER)
    assert info.value.code == "sd_jwt.kb_params_missing"


def test_too_many_disclosures_is_refused_before_work() -> None:
    token = _issue()
    result = verify_sd_jwt(token, ISSUER.public_key, now=NOW, limits=Limits(max_disclosures=2))
    assert _codes(result) == {"input.limit_exceeded"}


@pytest.mark.parametrize("garbage", ["~", "abc~", "a.b.c~", "x" * 10, "a.b~~"])
def test_garbage_never_raises(garbage: str) -> None:
    result = _verify(garbage)
    assert not result.verified
    assert _codes(result) <= {"sd_jwt.malformed"}
    assert result.claims is None


def test_validity_dates() -> None:
    token = present_sd_jwt(_issue(), [])
    assert "credential.expired" in _codes(
        verify_sd_jwt(token, ISSUER.public_key, now=NOW + timedelta(days=2))
    )
    early = issue_sd_jwt({**CLAIMS, "nbf": CLAIMS["exp"] - 10}, ISSUER)
    assert "credential.not_yet_valid" in _codes(verify_sd_jwt(early, ISSUER.public_key, now=NOW))
    bad = issue_sd_jwt({**CLAIMS, "exp": "tomorrow"}, ISSUER)
    assert "credential.date_invalid" in _codes(verify_sd_jwt(bad, ISSUER.public_key, now=NOW))


def test_accepted_types() -> None:
    token = _issue(typ="example+sd-jwt")
    result = verify_sd_jwt(token, ISSUER.public_key, now=NOW, accepted_types=["dc+sd-jwt"])
    assert _codes(result) == {"sd_jwt.typ_invalid"}


def test_unknown_sd_alg() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    header, payload, _ = _segments(jwt)
    payload["_sd_alg"] = "md5"
    forged = "~".join([_resign(header, payload, ISSUER), *disclosures, ""])
    assert "sd_jwt.sd_alg_unsupported" in _codes(_verify(forged, nonce=None, audience=None))


def test_kb_jwt_without_expected_nonce_is_indeterminate() -> None:
    shown = _present(_issue(), ["/given_name"])
    result = verify_sd_jwt(shown, ISSUER.public_key, now=NOW)
    assert not result.verified
    unchecked = [c for c in result.checks if not c.ok]
    assert {c.code for c in unchecked} == {"sd_jwt.kb_nonce_unchecked", "sd_jwt.kb_aud_unchecked"}
    assert all(c.indeterminate for c in unchecked)


# -- attacks ----------------------------------------------------------------------------------


def test_attack_alg_none() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    _, payload, _ = _segments(jwt)
    unsigned = f"{_enc({'alg': 'none', 'typ': 'dc+sd-jwt'})}.{_enc(payload)}."
    result = _verify("~".join([unsigned, *disclosures, ""]), nonce=None, audience=None)
    assert _codes(result) == {"alg.unsupported"}
    assert result.claims is None


def test_attack_hmac_with_the_public_key_as_secret() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    _, payload, _ = _segments(jwt)
    secret = json.dumps(ISSUER.public_key.to_jwk()).encode()
    signing_input = f"{_enc({'alg': 'HS256', 'typ': 'dc+sd-jwt'})}.{_enc(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{b64url_encode(mac)}"
    result = _verify("~".join([forged, *disclosures, ""]), nonce=None, audience=None)
    assert _codes(result) == {"alg.unsupported"}


def test_attack_alg_that_does_not_fit_the_key() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    header, payload, sig = _segments(jwt)
    header["alg"] = "EdDSA"
    forged = f"{_enc(header)}.{_enc(payload)}.{sig}"
    result = _verify("~".join([forged, *disclosures, ""]), nonce=None, audience=None)
    assert _codes(result) == {"alg.key_mismatch"}


def test_attack_crit_header() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    header, payload, _ = _segments(jwt)
    forged = _resign({**header, "crit": ["x"], "x": 1}, payload, ISSUER)
    result = _verify("~".join([forged, *disclosures, ""]), nonce=None, audience=None)
    assert _codes(result) == {"jws.crit_unsupported"}


def test_attack_disclosure_not_in_payload() -> None:
    token = _present(_issue(), ["/given_name"])
    jwt, disclosures, _ = split_sd_jwt(token)
    forged_disclosure = make_disclosure(salt_of(9), "age_over_18", False, "sha-256").encoded
    forged = "~".join([jwt, *disclosures, forged_disclosure, ""])
    result = _verify(forged, nonce=None, audience=None)
    assert _codes(result) == {"sd_jwt.disclosure_unreferenced"}
    assert result.claims is None


def test_attack_duplicated_digest() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    header, payload, _ = _segments(jwt)
    payload["extra"] = {"_sd": [payload["_sd"][0]]}
    forged = _resign(header, payload, ISSUER)
    result = _verify("~".join([forged, *disclosures, ""]), nonce=None, audience=None)
    assert _codes(result) == {"sd_jwt.digest_duplicate"}


def test_attack_repeated_disclosure() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    result = _verify("~".join([jwt, *disclosures, disclosures[0], ""]), nonce=None, audience=None)
    assert _codes(result) == {"sd_jwt.disclosure_duplicate"}


def test_attack_disclosure_replayed_into_another_credential() -> None:
    ada = _issue()
    bob = issue_sd_jwt({**CLAIMS, "given_name": "Bob", "age_over_18": False}, ISSUER,
                       disclosable=["/age_over_18"])  # fmt: skip
    _, ada_disclosures, _ = split_sd_jwt(ada)
    bob_jwt, _, _ = split_sd_jwt(bob)
    adult = next(d for d in ada_disclosures if "age_over_18" in b64url_decode(d).decode())
    result = _verify(f"{bob_jwt}~{adult}~", nonce=None, audience=None)
    assert _codes(result) == {"sd_jwt.disclosure_unreferenced"}


def test_attack_disclosure_moved_between_object_and_array() -> None:
    jwt, _, _ = split_sd_jwt(_issue())
    header, payload, _ = _segments(jwt)
    named = make_disclosure(salt_of(1), "x", 1, "sha-256")
    payload["nationalities"].append({"...": named.digest})
    forged = _resign(header, payload, ISSUER)
    result = _verify(f"{forged}~{named.encoded}~", nonce=None, audience=None)
    assert _codes(result) == {"sd_jwt.disclosure_misplaced"}


def test_attack_disclosure_overwrites_a_visible_claim() -> None:
    jwt, _, _ = split_sd_jwt(_issue())
    header, payload, _ = _segments(jwt)
    evil = make_disclosure(salt_of(2), "iss", "https://evil.example", "sha-256")
    payload["_sd"].append(evil.digest)
    forged = _resign(header, payload, ISSUER)
    result = _verify(f"{forged}~{evil.encoded}~", nonce=None, audience=None)
    assert _codes(result) == {"sd_jwt.claim_conflict"}


@pytest.mark.parametrize(("nonce", "aud", "code"), [
    ("n-2", "kiosk", "sd_jwt.kb_nonce_mismatch"),
    ("n-1", "other-kiosk", "sd_jwt.kb_aud_mismatch"),
])  # fmt: skip
def test_attack_kb_jwt_replayed_with_another_nonce_or_audience(
    nonce: str, aud: str, code: str
) -> None:
    shown = _present(_issue(), ["/age_over_18"])
    assert _codes(_verify(shown, nonce=nonce, audience=aud)) == {code}


def test_attack_kb_jwt_missing_when_required() -> None:
    shown = present_sd_jwt(_issue(), ["/age_over_18"])
    result = _verify(shown, nonce=None, audience=None, require_key_binding=True)
    assert _codes(result) == {"sd_jwt.kb_missing"}
    assert _codes(_verify(shown)) == {"sd_jwt.kb_missing"}


def test_attack_expired_kb_jwt() -> None:
    shown = _present(_issue(), ["/age_over_18"])
    late = _verify(shown, now=NOW + timedelta(minutes=11))
    assert _codes(late) == {"sd_jwt.kb_stale"}
    early = _verify(shown, now=NOW - timedelta(minutes=6))
    assert _codes(early) == {"sd_jwt.kb_iat_in_future"}
    assert _verify(shown, now=NOW + timedelta(minutes=9)).verified  # 5 min window + 5 min skew


def test_attack_holder_key_swapped_in_cnf() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    header, payload, sig = _segments(jwt)
    payload["cnf"] = {"jwk": THIEF.public_key.to_jwk()}
    swapped = f"{_enc(header)}.{_enc(payload)}.{sig}"
    stolen = "~".join([swapped, *disclosures, ""])
    shown = present_sd_jwt(stolen, ["/age_over_18"], holder_key=THIEF, nonce="n-1",
                           audience="kiosk", now=NOW)  # fmt: skip
    assert _codes(_verify(shown)) == {"signature.invalid"}


def test_attack_stolen_credential_presented_with_another_key() -> None:
    shown = _present(_issue(), ["/age_over_18"])
    presentation = shown[: shown.rindex("~") + 1]
    _, kb_payload, _ = _segments(shown[shown.rindex("~") + 1 :])
    kb = _resign({"alg": "EdDSA", "typ": "kb+jwt"}, kb_payload, THIEF)
    assert _codes(_verify(presentation + kb)) == {"sd_jwt.kb_signature_invalid"}


def test_attack_disclosure_dropped_after_key_binding() -> None:
    shown = _present(_issue(), ["/age_over_18", "/given_name"])
    jwt, disclosures, kb = split_sd_jwt(shown)
    fewer = "~".join([jwt, disclosures[0], kb])
    assert _codes(_verify(fewer)) == {"sd_jwt.kb_sd_hash_mismatch"}


def test_attack_kb_jwt_with_wrong_typ() -> None:
    shown = _present(_issue(), ["/age_over_18"])
    cut = shown.rindex("~") + 1
    _, kb_payload, _ = _segments(shown[cut:])
    kb = _resign({"alg": "EdDSA", "typ": "JWT"}, kb_payload, HOLDER)
    assert _codes(_verify(shown[:cut] + kb)) == {"sd_jwt.kb_typ_invalid"}


def test_attack_kb_jwt_without_cnf() -> None:
    plain = issue_sd_jwt(CLAIMS, ISSUER, disclosable=["/given_name"])
    kb = _resign({"alg": "EdDSA", "typ": "kb+jwt"}, {"iat": 1}, HOLDER)
    assert _codes(_verify(plain + kb)) == {"sd_jwt.cnf_missing"}


def test_wrong_issuer_key() -> None:
    other = PrivateKey.from_seed("p256", b"another issuer seed").public_key
    result = verify_sd_jwt(_issue(), other, now=NOW)
    assert _codes(result) == {"signature.invalid"}


def test_issuer_key_lookup_failure_is_reported() -> None:
    def lookup(_h: Any, _p: Any) -> PublicKey:
        raise ProofError("nobody knows", code="issuer.key_unknown")

    result = verify_sd_jwt(_issue(), lookup, now=NOW)
    (check,) = [c for c in result.checks if not c.ok]
    assert check.code == "issuer.key_unknown"
    assert check.indeterminate


def test_non_json_claims_and_string_paths_are_typed_errors() -> None:
    with pytest.raises(InvalidInputError) as info:
        issue_sd_jwt({**CLAIMS, "when": NOW}, ISSUER, disclosable=["/when"])
    assert info.value.code == "json.invalid"
    with pytest.raises(InvalidInputError) as info:
        issue_sd_jwt({**CLAIMS, "when": NOW}, ISSUER)
    assert info.value.code == "json.invalid"
    with pytest.raises(InvalidInputError) as info:
        issue_sd_jwt(CLAIMS, ISSUER, disclosable="/given_name")
    assert info.value.code == "sd_jwt.path_invalid"


@pytest.mark.parametrize(
    "jwk",
    [
        {**HOLDER.to_jwk()},
        {"kty": "OKP", "crv": "Ed25519", "x": 5},
        {"kty": "oct", "k": "c2VjcmV0"},
    ],
)
def test_bad_cnf_keys(jwk: dict[str, Any]) -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    header, payload, _ = _segments(jwt)
    payload["cnf"] = {"jwk": jwk}
    signed = "~".join([_resign(header, payload, ISSUER), *disclosures, ""])
    kb = _resign({"alg": "EdDSA", "typ": "kb+jwt"}, {"iat": 1}, HOLDER)
    assert _codes(_verify(signed + kb)) == {"sd_jwt.cnf_invalid"}


def test_accepted_types_as_a_set_and_a_non_string_typ() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issue())
    header, payload, _ = _segments(jwt)
    odd = "~".join([_resign({**header, "typ": ["dc+sd-jwt"]}, payload, ISSUER), *disclosures, ""])
    result = verify_sd_jwt(odd, ISSUER.public_key, now=NOW, accepted_types={"dc+sd-jwt"})
    assert _codes(result) == {"sd_jwt.typ_invalid"}
