"""The transparency log over HTTP: checkpoint, inclusion and consistency proofs (§2.7)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from did_gov._asgi import ProblemError
from did_gov.ledger import LedgerBackend

__all__ = ["consistency", "inclusion", "integer_parameter"]


def integer_parameter(query: Mapping[str, str], name: str) -> int:
    """A non-negative integer query parameter (400 ``service.query_invalid`` otherwise)."""
    text = query.get(name)
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ProblemError(400, "service.query_invalid", f"?{name}= must be a non-negative integer")
    return int(text)


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]


def inclusion(log: LedgerBackend, index: int, size: int) -> dict[str, Any]:
    """``{origin, index, size, proof}``: leaf ``index``'s inclusion proof in the tree of ``size``."""
    return {
        "origin": log.origin,
        "index": index,
        "size": size,
        "proof": _b64(log.prove_inclusion(index, size)),
    }


def consistency(log: LedgerBackend, old: int, new: int) -> dict[str, Any]:
    """``{type: ConsistencyProof, origin, oldSize, newSize, proof}`` (as ``ledger prove`` prints)."""
    return {
        "type": "ConsistencyProof",
        "origin": log.origin,
        "oldSize": old,
        "newSize": new,
        "proof": _b64(log.prove_consistency(old, new)),
    }
