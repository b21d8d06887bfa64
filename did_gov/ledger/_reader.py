"""Read-only access to a stored log, shared by the sqlite and postgresql readers.

A reader serves what the log already signed (the newest stored checkpoint) and proofs
computed from the stored tree; it needs no private key and never writes. A store implements
four reads (``_read_size``, ``_read_latest_note``, ``_read_leaf``, ``_node_store``) and
``_guard``, which turns its driver's failures into :class:`~did_gov.errors.LedgerError`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from did_gov.errors import InvalidInputError, LedgerError
from did_gov.ledger import merkle
from did_gov.ledger._note import NoteVerifier
from did_gov.ledger._receipt import Receipt
from did_gov.ledger.checkpoint import open_checkpoint

__all__ = ["LogReader"]

_T = TypeVar("_T")


class LogReader(AbstractContextManager["LogReader"]):
    """The public methods of a read-only log; ``verifier`` is set by the store's constructor."""

    verifier: NoteVerifier

    @abstractmethod
    def _guard(self, what: str, function: Callable[..., _T], *args: object) -> _T:
        """Run ``function(*args)``; the store's failures leave as ``LedgerError``."""

    @abstractmethod
    def _read_size(self) -> int:
        """The number of stored leaves."""

    @abstractmethod
    def _read_latest_note(self) -> str | None:
        """The newest stored checkpoint note, or None."""

    @abstractmethod
    def _read_leaf(self, index: int) -> bytes:
        """The stored leaf at ``index``."""

    @abstractmethod
    def _node_store(self) -> merkle.NodeStore:
        """The stored subtrees."""

    @abstractmethod
    def close(self) -> None:
        """Release the store."""

    @property
    def origin(self) -> str:
        """The log's origin line."""
        return self.verifier.name

    def size(self) -> int:
        """The number of leaves in the log."""
        return self._guard("size", self._read_size)

    def checkpoint(self) -> str:
        """The newest checkpoint the log signed (``ledger.no_checkpoint`` before the first)."""
        note = self._guard("checkpoint", self._read_latest_note)
        if note is None:
            raise LedgerError(
                "this log has no signed checkpoint yet (a new log): anchor something first "
                "(each append signs one), or sign one with `did-gov ledger checkpoint --key KEY`",
                code="ledger.no_checkpoint",
            )
        return note

    def prove_consistency(self, size1: int, size2: int) -> list[bytes]:
        """The consistency proof between two tree sizes of the stored log."""
        if not isinstance(size2, int) or not 0 <= size2 <= self.size():
            raise InvalidInputError(
                f"tree size {size2!r} is outside the log", code="ledger.out_of_range"
            )
        if not isinstance(size1, int) or not 0 <= size1 <= size2:
            raise InvalidInputError(
                f"tree size {size1!r} is outside [0, {size2}]", code="ledger.out_of_range"
            )
        return self._guard("prove", merkle.consistency_proof, self._node_store(), size1, size2)

    def receipt(self, index: int, checkpoint: str | None = None) -> Receipt:
        """A receipt for leaf ``index`` against ``checkpoint`` (the newest by default)."""
        note = self.checkpoint() if checkpoint is None else checkpoint
        head = open_checkpoint(note, [self.verifier], origin=self.origin).checkpoint
        if not 1 <= head.size <= self.size():
            raise LedgerError("the checkpoint is beyond this log", code="ledger.checkpoint_foreign")
        nodes = self._node_store()
        if self._guard("root", merkle.root, nodes, head.size) != head.root_hash:
            raise LedgerError(
                f"checkpoint of size {head.size} does not match this log",
                code="ledger.checkpoint_foreign",
            )
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < head.size:
            raise InvalidInputError(
                f"leaf index {index!r} is outside [0, {head.size - 1}]", code="ledger.out_of_range"
            )
        proof = self._guard("prove", merkle.inclusion_proof, nodes, index, head.size)
        leaf = self._guard("leaf", self._read_leaf, index)
        return Receipt(self.origin, leaf, index, tuple(proof), note)

    def __exit__(self, *exc: object) -> None:
        self.close()
