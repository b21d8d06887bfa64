"""Auditing a log: prove that a newer checkpoint extends an older one, or catch a fork.

A log must never sign two checkpoints that are not consistent (tlog-checkpoint §Signatures).
Given two signed checkpoints and a consistency proof, :func:`audit` either confirms that the
log only grew, or says how it misbehaved; two valid checkpoints of the same size with
different roots are a self-contained proof of a fork.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from did_gov.errors import DidGovError, InvalidInputError
from did_gov.ledger._note import NoteVerifier
from did_gov.ledger.checkpoint import Checkpoint, open_checkpoint
from did_gov.ledger.merkle import EMPTY_ROOT, verify_consistency

__all__ = ["AuditResult", "audit"]


@dataclass(frozen=True)
class AuditResult:
    """The outcome of :func:`audit`: ``ok``, a stable ``code``, a message and both checkpoints.

    ``old`` and ``new`` are set once each checkpoint's signature verified.
    """

    ok: bool
    code: str
    message: str
    old: Checkpoint | None = None
    new: Checkpoint | None = None


def _open(note: str, verifier: NoteVerifier, which: str) -> Checkpoint | AuditResult:
    try:
        return open_checkpoint(note, [verifier]).checkpoint
    except DidGovError as exc:
        return AuditResult(False, f"audit.{which}_checkpoint_invalid", f"{which} checkpoint: {exc}")


def _compare(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> tuple[bool, str, str]:
    if old.origin != new.origin:
        return False, "audit.origin_mismatch", f"checkpoints of {old.origin!r} and {new.origin!r}"
    if new.size < old.size:
        return False, "audit.rollback", f"tree shrank from {old.size} to {new.size}"
    if new.size == old.size and new.root_hash != old.root_hash:
        return False, "audit.fork", f"two different trees of size {old.size}: the log forked"
    if old.size == 0:
        if old.root_hash != EMPTY_ROOT or proof:
            return False, "audit.inconsistent", "an empty tree has the empty root and no proof"
        return True, "audit.consistent", f"the log grew from 0 to {new.size}"
    if not verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash):
        return (
            False,
            "audit.inconsistent",
            f"no valid proof that size {old.size} is a prefix of size {new.size}: "
            "the log was rewritten or forked",
        )
    return True, "audit.consistent", f"the log grew from {old.size} to {new.size}"


def audit(
    old_checkpoint_note: str,
    new_checkpoint_note: str,
    consistency_proof: Sequence[bytes],
    verifier: NoteVerifier | str,
) -> AuditResult:
    """Check that the log only grew between two signed checkpoints (RFC 9162 §2.1.4).

    Both notes must be signed by ``verifier`` (a NoteVerifier or a vkey string). Never raises for invalid checkpoints or
    proofs; raises :class:`~did_gov.errors.InvalidInputError` only on misuse.
    """
    if isinstance(verifier, str):
        verifier = NoteVerifier.from_vkey(verifier)
    if not isinstance(verifier, NoteVerifier):
        raise InvalidInputError("audit needs the log's NoteVerifier", code="audit.verifier_invalid")
    if not isinstance(consistency_proof, list | tuple) or not all(
        isinstance(h, bytes) for h in consistency_proof
    ):
        raise InvalidInputError(
            "a consistency proof is a list of bytes", code="audit.proof_invalid"
        )
    old = _open(old_checkpoint_note, verifier, "old")
    if isinstance(old, AuditResult):
        return old
    new = _open(new_checkpoint_note, verifier, "new")
    if isinstance(new, AuditResult):
        return AuditResult(new.ok, new.code, new.message, old)
    ok, code, message = _compare(old, new, list(consistency_proof))
    return AuditResult(ok, code, message, old, new)
