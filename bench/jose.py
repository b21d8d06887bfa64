"""VC-JOSE figures: verifying and issuing ``vc+jwt`` tokens, beside a naive jwcrypto pipeline.

The naive baseline is what a first implementation does per token: resolve the
did:key, build a jwcrypto JWK, ``JWS.deserialize`` and ``JWS.verify``.
"""

from __future__ import annotations

import json

from jwcrypto import jwk, jws

from bench._harness import Figure, measure
from bench.run import NOW, citizen_credential
from did_gov import PrivateKey, Verifier, issue
from did_gov.dids import DefaultResolver, resolve_verification_method
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER


def _naive_verify(token: str) -> bool:
    """Resolve the kid, build a jwcrypto key, deserialize and verify: no caches."""
    parts = token.split(".")
    header = json.loads(jws.base64url_decode(parts[0]))
    method = resolve_verification_method(
        DefaultResolver(), header["kid"], purpose="assertionMethod"
    )
    assert method.public_key is not None
    key = jwk.JWK(**method.public_key.to_jwk())
    token_obj = jws.JWS()
    token_obj.deserialize(token)
    token_obj.verify(key, alg=header["alg"])
    return bool(json.loads(token_obj.payload))


def figures(rounds: int) -> list[Figure]:
    """VC-JOSE verify (EdDSA, ES256) and issue, each with its naive baseline where one exists."""
    ed = PrivateKey.from_seed("ed25519", bytes(range(32)))
    p256 = PrivateKey.from_seed("p256", bytes(range(32)))
    token_ed = issue(citizen_credential(), ed, format="vc-jwt")
    token_ec = issue(citizen_credential(), p256, format="vc-jwt")
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    assert verifier.verify(token_ed).verified and verifier.verify(token_ec).verified
    assert _naive_verify(token_ed) and _naive_verify(token_ec)
    head, payload, _ = token_ed.split(".")
    signing_input = f"{head}.{payload}".encode()
    signature = ed.sign(signing_input)
    return [
        measure(
            "VC-JOSE verify",
            lambda: verifier.verify(token_ed),
            lambda: _naive_verify(token_ed),
            rounds=rounds,
            target="≤0.2 ms",
        ),
        measure(
            "VC-JOSE verify, ES256 credential",
            lambda: verifier.verify(token_ec),
            lambda: _naive_verify(token_ec),
            rounds=rounds,
        ),
        measure(
            "Ed25519 verify alone (VC-JOSE floor)",
            lambda: ed.public_key.verify(signature, signing_input),
            rounds=rounds,
        ),
        measure(
            "VC-JOSE issue, EdDSA",
            lambda: issue(citizen_credential(), ed, format="vc-jwt"),
            rounds=rounds,
        ),
    ]
