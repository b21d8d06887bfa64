"""SD-JWT figures: verifying a presentation with 4 disclosures and a Key Binding JWT.

The naive baseline is what a first implementation does: jwcrypto's full
``JWS.deserialize``/``verify`` for both JWTs (importing the ``cnf`` key as a
fresh ``JWK`` each time), then a plain recursive digest substitution.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from jwcrypto import jwk, jws

from bench._harness import Figure, measure
from did_gov import PrivateKey, Verifier, issue_sd_jwt, present_sd_jwt
from did_gov._encoding import b64url_decode, b64url_encode
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

NOW = datetime(2025, 6, 1, tzinfo=UTC)
DISCLOSED = [
    "/credentialSubject/givenName",
    "/credentialSubject/familyName",
    "/credentialSubject/birthDate",
    "/credentialSubject/ageOver18",
]


def _credential() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential", "CitizenIdentityCredential"],
        "issuer": "did:example:ministry",
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2035-01-01T00:00:00Z",
        "credentialSubject": {
            "givenName": "Ada",
            "familyName": "Lovelace",
            "birthDate": "1990-12-10",
            "ageOver18": True,
            "nationality": "Exampleland",
            "address": {"streetAddress": "1 Main St", "locality": "Capital"},
        },
    }


def _naive_reveal(node: Any, by_digest: dict[str, list[Any]]) -> Any:
    if isinstance(node, dict):
        out = {k: _naive_reveal(v, by_digest) for k, v in node.items() if k != "_sd"}
        for digest in node.get("_sd", []):
            if digest in by_digest:
                _, name, value = by_digest[digest]
                out[name] = _naive_reveal(value, by_digest)
        return out
    if isinstance(node, list):
        return [_naive_reveal(v, by_digest) for v in node]
    return node


def naive_verify(token: str, issuer: jwk.JWK, nonce: str, audience: str) -> dict[str, Any]:
    """Verify an SD-JWT+KB the straightforward way; raise on any failure."""
    parts = token.split("~")
    issuer_jws = jws.JWS()
    issuer_jws.deserialize(parts[0])
    issuer_jws.verify(issuer)
    payload = json.loads(issuer_jws.payload)
    by_digest = {
        b64url_encode(hashlib.sha256(d.encode()).digest()): json.loads(b64url_decode(d))
        for d in parts[1:-1]
    }
    claims = _naive_reveal(payload, by_digest)
    kb = jws.JWS()
    kb.deserialize(parts[-1])
    kb.verify(jwk.JWK(**payload["cnf"]["jwk"]))
    kb_payload = json.loads(kb.payload)
    sd_hash = b64url_encode(hashlib.sha256(token[: token.rindex("~") + 1].encode()).digest())
    if kb_payload["nonce"] != nonce or kb_payload["aud"] != audience:
        raise ValueError("replay")
    if kb_payload["sd_hash"] != sd_hash:
        raise ValueError("sd_hash")
    return claims  # type: ignore[no-any-return]


def figures(rounds: int) -> list[Figure]:
    """The SD-JWT presentation-verify figure, beside the naive baseline."""
    ministry = PrivateKey.from_seed("ed25519", bytes(range(32)))
    citizen = PrivateKey.from_seed("ed25519", bytes(32))
    token = issue_sd_jwt(
        _credential(), ministry, disclosable=DISCLOSED, holder_key=citizen.public_key, now=NOW
    )
    shown = present_sd_jwt(
        token, DISCLOSED, holder_key=citizen, nonce="n-1", audience="kiosk", now=NOW
    )
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    report = verifier.verify(shown, nonce="n-1", audience="kiosk")
    assert report.verified, report.summary()
    issuer_jwk = jwk.JWK(**ministry.public_key.to_jwk())
    assert naive_verify(shown, issuer_jwk, "n-1", "kiosk")["ageOver18"] is True
    return [
        measure(
            "SD-JWT presentation verify, 4 disclosures + key binding",
            lambda: verifier.verify(shown, nonce="n-1", audience="kiosk"),
            lambda: naive_verify(shown, issuer_jwk, "n-1", "kiosk"),
            rounds=rounds,
            target="≤0.4 ms",
        )
    ]
