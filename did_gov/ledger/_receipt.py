"""Anchor receipts (``specs/anchor-receipt.md``): a leaf, its inclusion proof and a signed checkpoint.

A receipt is verified offline from the log's public key alone. :func:`verify_receipt` never
raises for an invalid receipt; it returns a :class:`ReceiptCheck` with a stable code.
"""

from __future__ import annotations

import base64
import functools
import hmac
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from did_gov._json import parse_json
from did_gov.errors import DidGovError, InvalidInputError, UnsupportedAlgorithmError
from did_gov.keys import KeyType, PublicKey
from did_gov.ledger._leaf import AnchorKind, anchor_leaf, check_salt
from did_gov.ledger._note import NoteVerifier, b64decode_strict, open_note
from did_gov.ledger.checkpoint import Checkpoint
from did_gov.ledger.merkle import HASH_SIZE, leaf_hash, verify_inclusion

__all__ = [
    "RECEIPT_TYPE",
    "RECEIPT_VERSION",
    "AnchorOpening",
    "ChainTransaction",
    "Receipt",
    "ReceiptCheck",
    "verify_receipt",
]

RECEIPT_TYPE = "AnchorReceipt"
"""The receipt's ``type`` member."""
RECEIPT_VERSION = 1
"""The receipt format version this module reads and writes."""
MAX_PROOF_HASHES = 64
"""Most hashes an inclusion proof may hold (a tree of 2^64 leaves needs 64)."""
MAX_INDEX = (1 << 53) - 1
"""Largest leaf index in a receipt (exact in every JSON implementation)."""

_MEMBERS = {"type", "version", "origin", "leaf", "index", "inclusionProof", "checkpoint"}
_OPTIONAL = {"anchor", "chain"}
_TOKEN = re.compile(r"[\x21-\x7e]{1,256}")
_BYTES = {bytes}
_LENGTH = {HASH_SIZE}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _bad(message: str) -> InvalidInputError:
    return InvalidInputError(message, code="receipt.malformed")


def _hash(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise _bad(f"{what} must be a base64 string")
    try:
        raw = b64decode_strict(value)
    except InvalidInputError:
        raise _bad(f"{what} is not canonical base64") from None
    if len(raw) != HASH_SIZE:
        raise _bad(f"{what} must be 32 bytes")
    return raw


def _index(value: object, what: str, maximum: int = MAX_INDEX) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise _bad(f"{what} must be an integer from 0 to {maximum}")
    return value


def _object(value: object, what: str, required: set[str], optional: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(f"{what} must be a JSON object")
    members = set(value)
    if not required <= members or not members <= required | optional:
        raise _bad(f"{what} needs {sorted(required)} and may have {sorted(optional)}")
    return value


@dataclass(frozen=True)
class AnchorOpening:
    """The holder's secret that opens a leaf: its kind and salt (anchor-receipt §Leaf).

    It travels in the receipt to the holder, never to the ledger.
    """

    kind: AnchorKind
    salt: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.kind, AnchorKind):
            raise _bad("anchor kind must be an AnchorKind")
        try:
            check_salt(self.salt)
        except InvalidInputError as exc:
            raise _bad(f"anchor: {exc}") from None

    def leaf_for(self, content: bytes) -> bytes:
        """The leaf ``content`` would have been anchored as with this kind and salt."""
        return anchor_leaf(self.kind, content, self.salt)

    def to_json(self) -> dict[str, str]:
        """``{"kind": …, "salt": base64}``."""
        return {"kind": self.kind.value, "salt": _b64(self.salt)}

    @classmethod
    def from_json(cls, value: object) -> AnchorOpening:
        """Parse the receipt's ``anchor`` member."""
        data = _object(value, "anchor", {"kind", "salt"}, set())
        if not isinstance(data["salt"], str):
            raise _bad("anchor.salt must be a base64 string")
        try:
            return cls(AnchorKind.parse(data["kind"]), b64decode_strict(data["salt"]))
        except InvalidInputError as exc:
            raise _bad(f"anchor: {exc}") from None


@dataclass(frozen=True)
class ChainTransaction:
    """Where the checkpoint was also anchored on a chain (informational, not checked offline)."""

    transaction: str
    block: int
    network: str | None = None
    contract: str | None = None

    def __post_init__(self) -> None:
        for name in ("transaction", "network", "contract"):
            item = getattr(self, name)
            if (name == "transaction" or item is not None) and not (
                isinstance(item, str) and _TOKEN.fullmatch(item)
            ):
                raise _bad(f"chain.{name} must be 1-256 printable ASCII characters")
        _index(self.block, "chain.block", (1 << 63) - 1)

    def to_json(self) -> dict[str, Any]:
        """The receipt's ``chain`` member."""
        out: dict[str, Any] = {"transaction": self.transaction, "block": self.block}
        if self.network is not None:
            out["network"] = self.network
        if self.contract is not None:
            out["contract"] = self.contract
        return out

    @classmethod
    def from_json(cls, value: object) -> ChainTransaction:
        """Parse the receipt's ``chain`` member."""
        data = _object(value, "chain", {"transaction", "block"}, {"network", "contract"})
        return cls(data["transaction"], data["block"], data.get("network"), data.get("contract"))


@dataclass(frozen=True)
class Receipt:
    """Proof that ``leaf`` is entry ``index`` of the log ``origin`` under a signed checkpoint."""

    origin: str
    leaf: bytes
    index: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint: str
    anchor: AnchorOpening | None = None
    chain: ChainTransaction | None = None

    def __post_init__(self) -> None:
        # Exact type checks (no subclasses), cheap enough for receipts built by the batch.
        if type(self.origin) is not str or not self.origin:
            raise _bad("origin must be a non-empty string")
        if type(self.leaf) is not bytes or len(self.leaf) != HASH_SIZE:
            raise _bad("leaf must be 32 bytes")
        if type(self.index) is not int or not 0 <= self.index <= MAX_INDEX:
            _index(self.index, "index")
        proof = self.inclusion_proof
        if type(proof) is not tuple or len(proof) > MAX_PROOF_HASHES:
            raise _bad(f"inclusion proof must be a tuple of at most {MAX_PROOF_HASHES} hashes")
        if proof and not (set(map(type, proof)) <= _BYTES and set(map(len, proof)) <= _LENGTH):
            raise _bad("inclusion proof hashes must be 32 bytes")
        if type(self.checkpoint) is not str:
            raise _bad("checkpoint must be a signed note string")
        if (self.anchor is not None and type(self.anchor) is not AnchorOpening) or (
            self.chain is not None and type(self.chain) is not ChainTransaction
        ):
            raise _bad("anchor and chain must be AnchorOpening and ChainTransaction")

    @classmethod
    def for_batch(
        cls,
        origin: str,
        first: int,
        leaves: Sequence[bytes],
        proofs: Sequence[tuple[bytes, ...]],
        checkpoint: str,
        chain: ChainTransaction | None = None,
    ) -> list[Receipt]:
        """The receipts of one appended batch: leaves ``first, first+1, …`` under one checkpoint.

        Equal to ``[Receipt(origin, leaf, first + i, proof, checkpoint, chain=chain) …]``; the shared
        fields are checked once, and each leaf and proof is checked with set operations
        instead of a full ``__post_init__``, which keeps batch anchoring fast.
        """
        if len(leaves) != len(proofs):
            raise _bad("a batch needs one proof per leaf")
        if not leaves:
            return []
        head = cls(origin, leaves[0], first, proofs[0], checkpoint, chain=chain)
        last = first + len(leaves) - 1
        if last > MAX_INDEX or not set(map(type, leaves)) <= _BYTES:
            raise _bad(f"batch leaves must be bytes at indexes up to {MAX_INDEX}")
        if not set(map(len, leaves)) <= _LENGTH or not set(map(type, proofs)) <= {tuple}:
            raise _bad("batch leaves must be 32 bytes and proofs tuples")
        if max(map(len, proofs)) > MAX_PROOF_HASHES:
            raise _bad(f"inclusion proofs hold at most {MAX_PROOF_HASHES} hashes")
        hashes = {h for proof in proofs for h in proof}
        if not set(map(type, hashes)) <= _BYTES or not set(map(len, hashes)) <= _LENGTH:
            raise _bad("inclusion proof hashes must be 32 bytes")
        out = [head]
        new = object.__new__
        for index, leaf, proof in zip(
            range(first + 1, last + 1), leaves[1:], proofs[1:], strict=True
        ):
            receipt = new(cls)
            receipt.__dict__.update(
                origin=origin,
                leaf=leaf,
                index=index,
                inclusion_proof=proof,
                checkpoint=checkpoint,
                anchor=None,
                chain=chain,
            )
            out.append(receipt)
        return out

    def with_anchor(self, kind: AnchorKind | str, salt: bytes) -> Receipt:
        """A copy carrying the holder's opening (kind and salt) of the leaf."""
        return replace(self, anchor=AnchorOpening(AnchorKind.parse(kind), salt))

    def with_chain(self, chain: ChainTransaction) -> Receipt:
        """A copy carrying the chain transaction that anchored its checkpoint."""
        return replace(self, chain=chain)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (anchor-receipt §Format)."""
        out: dict[str, Any] = {
            "type": RECEIPT_TYPE,
            "version": RECEIPT_VERSION,
            "origin": self.origin,
            "leaf": _b64(self.leaf),
            "index": self.index,
            "inclusionProof": [_b64(h) for h in self.inclusion_proof],
            "checkpoint": self.checkpoint,
        }
        if self.anchor is not None:
            out["anchor"] = self.anchor.to_json()
        if self.chain is not None:
            out["chain"] = self.chain.to_json()
        return out

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | str | bytes) -> Receipt:
        """Parse a receipt strictly; raise ``receipt.malformed`` or ``receipt.version_unsupported``."""
        data = parse_json(value) if isinstance(value, str | bytes) else value
        data = _object(data, "receipt", _MEMBERS, _OPTIONAL)
        if data["type"] != RECEIPT_TYPE:
            raise _bad(f"receipt type must be {RECEIPT_TYPE!r}")
        if data["version"] != RECEIPT_VERSION or isinstance(data["version"], bool):
            raise InvalidInputError(
                f"receipt version {data['version']!r} is not supported",
                code="receipt.version_unsupported",
            )
        proof = data["inclusionProof"]
        if not isinstance(proof, list) or len(proof) > MAX_PROOF_HASHES:
            raise _bad(f"inclusionProof must be a list of at most {MAX_PROOF_HASHES} hashes")
        return cls(
            data["origin"],
            _hash(data["leaf"], "leaf"),
            data["index"],
            tuple(_hash(h, "inclusionProof item") for h in proof),
            data["checkpoint"],
            AnchorOpening.from_json(data["anchor"]) if "anchor" in data else None,
            ChainTransaction.from_json(data["chain"]) if "chain" in data else None,
        )


@dataclass(frozen=True)
class ReceiptCheck:
    """The outcome of :func:`verify_receipt`: ``ok``, a stable ``code`` and a message.

    ``checkpoint`` is set once the checkpoint's signature verified; ``receipt`` once the
    receipt parsed. Trust either only when ``ok``.
    """

    ok: bool
    code: str
    message: str
    receipt: Receipt | None = None
    checkpoint: Checkpoint | None = None


@functools.lru_cache(maxsize=64)
def _verifier_for(name: str, key: PublicKey) -> NoteVerifier:
    return NoteVerifier(name, key)


def _log_verifier(log_key: NoteVerifier | PublicKey | str, origin: str) -> NoteVerifier:
    if isinstance(log_key, NoteVerifier):
        return log_key
    if isinstance(log_key, str):
        return NoteVerifier.from_vkey(log_key)
    if isinstance(log_key, PublicKey):
        if log_key.key_type is not KeyType.ED25519:
            raise UnsupportedAlgorithmError("log keys are Ed25519", code="note.key_unsupported")
        return _verifier_for(origin, log_key)
    raise InvalidInputError(
        "log_key must be a NoteVerifier, an Ed25519 PublicKey or a vkey string",
        code="receipt.log_key_invalid",
    )


def _check_misuse(expected_leaf: bytes | None, content: bytes | None) -> None:
    if expected_leaf is not None and (
        not isinstance(expected_leaf, bytes) or len(expected_leaf) != HASH_SIZE
    ):
        raise InvalidInputError(
            "expected_leaf must be 32 bytes", code="receipt.expected_leaf_invalid"
        )
    if content is not None and not isinstance(content, bytes):
        raise InvalidInputError("content must be bytes", code="receipt.content_invalid")


def _fail(
    code: str, message: str, receipt: Receipt | None = None, checkpoint: Checkpoint | None = None
) -> ReceiptCheck:
    return ReceiptCheck(False, code, message, receipt, checkpoint)


def _check_binding(
    receipt: Receipt, expected_leaf: bytes | None, content: bytes | None
) -> ReceiptCheck | None:
    if expected_leaf is not None and not hmac.compare_digest(expected_leaf, receipt.leaf):
        return _fail("receipt.leaf_mismatch", "the receipt anchors a different leaf", receipt)
    if content is not None:
        if receipt.anchor is None:
            return _fail("receipt.anchor_missing", "the receipt has no kind and salt", receipt)
        if not hmac.compare_digest(receipt.anchor.leaf_for(content), receipt.leaf):
            return _fail(
                "receipt.content_mismatch", "the leaf does not commit to this content", receipt
            )
    return None


_OPENED: dict[tuple[str, NoteVerifier, str], Checkpoint] = {}
_OPENED_SIZE = 256
_OPENED_LOCK = threading.Lock()


def _open_checkpoint(note: str, verifier: NoteVerifier, origin: str) -> Checkpoint:
    """Verify and parse a checkpoint note (§4 steps 3-4), remembering successes.

    The outcome is a function of the exact note text, the key and the origin, so a
    remembered success is as strong as a fresh check (§4, last paragraph); failures are
    never remembered.
    """
    key = (note, verifier, origin)
    found = _OPENED.get(key)
    if found is not None:
        return found
    checkpoint = Checkpoint.parse_body(open_note(note, [verifier]).text, origin=origin)
    with _OPENED_LOCK:
        while len(_OPENED) >= _OPENED_SIZE:
            _OPENED.pop(next(iter(_OPENED)))
        _OPENED[key] = checkpoint
    return checkpoint


_NOTE_CODES = {
    "note.unverified": "receipt.checkpoint_unverified",
    "note.signature_invalid": "receipt.checkpoint_signature_invalid",
    "checkpoint.origin_mismatch": "receipt.origin_mismatch",
}


def verify_receipt(
    receipt: Receipt | Mapping[str, Any] | str | bytes,
    log_key: NoteVerifier | PublicKey | str,
    *,
    expected_leaf: bytes | None = None,
    content: bytes | None = None,
) -> ReceiptCheck:
    """Verify an anchor receipt offline (anchor-receipt §Verification), steps in spec order.

    ``log_key`` is the log's NoteVerifier, its vkey string, or its Ed25519 PublicKey (whose
    key name is then the receipt's origin). ``expected_leaf`` pins the leaf; ``content``
    recomputes it from the receipt's kind and salt. Raises only on misuse.
    """
    _check_misuse(expected_leaf, content)
    if not isinstance(receipt, Receipt):
        try:
            receipt = Receipt.from_json(receipt)
        except DidGovError as exc:
            code = exc.code if exc.code.startswith("receipt.") else "receipt.malformed"
            return _fail(code, f"unreadable receipt: {exc}")
    binding = _check_binding(receipt, expected_leaf, content)
    if binding is not None:
        return binding
    try:
        verifier = _log_verifier(log_key, receipt.origin)
    except InvalidInputError as exc:
        if isinstance(log_key, PublicKey) and exc.code == "note.name_invalid":
            return _fail("receipt.origin_invalid", f"origin is not a key name: {exc}", receipt)
        raise
    try:
        checkpoint = _open_checkpoint(receipt.checkpoint, verifier, receipt.origin)
    except DidGovError as exc:
        code = _NOTE_CODES.get(exc.code, "receipt.checkpoint_malformed")
        return _fail(code, f"checkpoint: {exc}", receipt)
    if receipt.index >= checkpoint.size:
        return _fail(
            "receipt.index_out_of_range",
            f"index {receipt.index} is not below tree size {checkpoint.size}",
            receipt,
            checkpoint,
        )
    proof = list(receipt.inclusion_proof)
    if not verify_inclusion(
        leaf_hash(receipt.leaf), receipt.index, checkpoint.size, proof, checkpoint.root_hash
    ):
        return _fail(
            "receipt.inclusion_invalid",
            "the inclusion proof does not lead to the checkpoint's root",
            receipt,
            checkpoint,
        )
    return ReceiptCheck(
        True,
        "receipt.valid",
        f"entry {receipt.index} of {checkpoint.origin} at size {checkpoint.size}",
        receipt,
        checkpoint,
    )
