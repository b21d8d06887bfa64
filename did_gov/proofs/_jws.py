"""JWS compact serialization signed through a :class:`~did_gov.keys.Signer` (RFC 7515 §5.1, §7.1).

We build the JWS Signing Input ourselves and hand it to the signer, so a KMS or
an HSM signs VC-JOSE tokens, SD-JWTs and KB-JWTs exactly as it signs Data
Integrity proofs. The signature for EdDSA is the Ed25519 signature; for ES256
and ES384 it is ``r‖s`` (RFC 7518 §3.4), which is what a Signer returns
(:func:`did_gov.keys.sign_with` converts DER and checks the result).
Verification stays on jwcrypto; a property test holds our output to what
jwcrypto produces and accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from did_gov._encoding import b64url_encode
from did_gov.errors import InvalidInputError
from did_gov.keys import Signer, sign_with

__all__ = ["json_bytes", "sign_compact"]


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as JOSE headers and JWT claims are written; ``json.invalid`` otherwise."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInputError(f"not JSON-serializable: {exc}", code="json.invalid") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError("a lone surrogate is not UTF-8", code="json.invalid") from None


def sign_compact(header: Mapping[str, Any], payload: bytes, signer: Signer) -> str:
    """``BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`` signed by ``signer``.

    The protected header is serialized as given: callers put the signer's ``alg``
    (``signer.public_key.jws_alg``) in it (tests also sign hostile headers with it).
    """
    signing_input = f"{b64url_encode(json_bytes(dict(header)))}.{b64url_encode(payload)}"
    signature = sign_with(signer, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"
