"""Properties: the verifier returns exactly the disclosed plus the always-visible claims; tampering fails.

The expected claims come from a naive reference that filters the original
claim tree by path, independent of the digest processing under test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did_gov._encoding import b64url_encode
from did_gov.keys import PrivateKey
from did_gov.proofs._sd_jwt_disclosures import (
    ClaimPath,
    digest_of,
    format_claim_path,
    parse_claim_path,
)
from did_gov.proofs._sd_jwt_jose import sign_jws
from did_gov.proofs.sd_jwt import issue_sd_jwt, present_sd_jwt, verify_sd_jwt
from did_gov.testing import sd_jwt_selections

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = PrivateKey.from_seed("ed25519", bytes(32))
HOLDER = PrivateKey.from_seed("ed25519", bytes([7]) * 32)
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _related(a: ClaimPath, b: ClaimPath) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _expected(node: Any, sd: set[ClaimPath], shown: list[ClaimPath], path: ClaimPath = ()) -> Any:
    """The naive reference: drop every disclosable node the holder did not reveal."""

    def visible(p: ClaimPath) -> bool:
        return p not in sd or any(_related(p, s) for s in shown)

    if isinstance(node, dict):
        return {
            k: _expected(v, sd, shown, (*path, k)) for k, v in node.items() if visible((*path, k))
        }
    if isinstance(node, list):
        return [
            _expected(v, sd, shown, (*path, str(i)))
            for i, v in enumerate(node)
            if visible((*path, str(i)))
        ]
    return node


@st.composite
def _cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[ClaimPath], list[ClaimPath], bool]:
    tree, disclosable, disclosed = draw(sd_jwt_selections())
    sd = [parse_claim_path(p) for p in disclosable]
    shown = [parse_claim_path(p) for p in disclosed]
    return tree, sd, shown, draw(st.booleans())


def _run(
    tree: dict[str, Any], sd: list[ClaimPath], shown: list[ClaimPath], bind: bool
) -> tuple[str, dict[str, Any]]:
    token = issue_sd_jwt(
        tree,
        ISSUER,
        disclosable=[format_claim_path(p) for p in sd],
        holder_key=HOLDER.public_key if bind else None,
        decoys=1,
    )
    presented = present_sd_jwt(
        token,
        [format_claim_path(p) for p in shown],
        holder_key=HOLDER if bind else None,
        nonce="n" if bind else None,
        audience="a" if bind else None,
        now=NOW,
    )
    options: dict[str, Any] = {"nonce": "n", "audience": "a"} if bind else {}
    return presented, options


@PROPERTY
@given(_cases())
def test_verifier_returns_exactly_the_disclosed_claims(
    case: tuple[dict[str, Any], list[ClaimPath], list[ClaimPath], bool],
) -> None:
    tree, sd, shown, bind = case
    presented, options = _run(tree, sd, shown, bind)
    result = verify_sd_jwt(presented, ISSUER.public_key, now=NOW, **options)
    assert result.verified, result.checks
    expected = _expected(tree, set(sd), shown)
    if bind:
        expected["cnf"] = {"jwk": HOLDER.public_key.to_jwk()}
    assert result.claims == expected


@PROPERTY
@given(_cases(), st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 63)))
def test_tampering_with_any_part_fails(
    case: tuple[dict[str, Any], list[ClaimPath], list[ClaimPath], bool],
    where: tuple[int, int, int],
) -> None:
    tree, sd, shown, bind = case
    presented, options = _run(tree, sd, shown, bind)
    parts = presented.split("~")
    jwt_parts = parts[0].split(".")
    # every segment of the presentation: header, payload, signature, each disclosure, the KB-JWT
    segments = [("jwt", i) for i in range(3)] + [
        ("part", i) for i in range(1, len(parts)) if parts[i]
    ]
    # salts and decoys are random, so positions are drawn as numbers and reduced here
    kind, index = segments[where[0] % len(segments)]
    text = jwt_parts[index] if kind == "jwt" else parts[index]
    pos = where[1] % len(text)
    offset = B64URL.index(text[pos]) if text[pos] in B64URL else 0
    replacement = B64URL[(offset + where[2]) % len(B64URL)]
    changed = text[:pos] + replacement + text[pos + 1 :]
    if kind == "jwt":
        jwt_parts[index] = changed
        parts[0] = ".".join(jwt_parts)
    else:
        parts[index] = changed
    result = verify_sd_jwt("~".join(parts), ISSUER.public_key, now=NOW, **options)
    assert not result.verified


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4))
_KEYS = st.sampled_from(["_sd", "...", "_sd_alg", "a", "b", "exp", "iat", "nbf", "cnf"])


@st.composite
def _hostile(draw: st.DrawFn) -> str:
    """A correctly signed SD-JWT whose payload and disclosures are arbitrary, often malformed."""
    bodies = draw(st.lists(st.lists(st.one_of(_SCALARS, _KEYS), max_size=4), max_size=4))
    encoded = [b64url_encode(json.dumps(b).encode()) for b in bodies]
    encoded += draw(st.lists(st.text(alphabet=B64URL + "é=.", min_size=1, max_size=8), max_size=2))
    digests = [digest_of(e, "sha-256") for e in encoded] or ["x"]
    leaf = st.one_of(_SCALARS, st.sampled_from(digests), st.lists(st.sampled_from(digests)))
    tree = st.recursive(
        leaf,
        lambda c: (
            st.lists(st.one_of(c, st.builds(lambda d: {"...": d}, c)), max_size=3)
            | st.dictionaries(_KEYS, c, max_size=4)
        ),
        max_leaves=12,
    )
    payload = draw(st.dictionaries(_KEYS, tree, max_size=5))
    jwt = sign_jws({"alg": "EdDSA", "typ": "dc+sd-jwt"}, payload, ISSUER)
    chosen = draw(st.lists(st.sampled_from(encoded), max_size=5)) if encoded else []
    kb = draw(st.sampled_from(["", "x.y.z", "é.é.é", jwt]))
    return "~".join([jwt, *chosen, kb])


def _no_digest_markers(node: Any) -> bool:
    if isinstance(node, dict):
        return "_sd" not in node and all(_no_digest_markers(v) for v in node.values())
    if isinstance(node, list):
        return all(not (isinstance(v, dict) and "..." in v) and _no_digest_markers(v) for v in node)
    return True


@PROPERTY
@given(_hostile())
def test_hostile_signed_input_never_raises(token: str) -> None:
    result = verify_sd_jwt(token, ISSUER.public_key, now=NOW)
    assert result.checks
    if result.verified:
        assert result.claims is not None
        assert _no_digest_markers(result.claims)
