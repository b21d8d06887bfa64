"""The :class:`LedgerBackend` protocol and :class:`BaseLedger`, the base with template seams.

A backend stores 32-byte leaves append-only and the hashes of complete subtrees. It
implements ``_append``, ``_size``, ``_nodes`` and ``_leaf``; the public methods here check
arguments, build receipts and proofs, sign checkpoints, serialize calls, and wrap whatever a
backend raises into :class:`~did_gov.errors.LedgerError`, so no foreign exception escapes.
"""

from __future__ import annotations

import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import ClassVar, Protocol, TypeVar, runtime_checkable

from did_gov._log import LEDGER
from did_gov._time import utc_now
from did_gov.errors import DidGovError, InvalidInputError, LedgerError
from did_gov.keys import PublicKey, Signer
from did_gov.ledger import merkle
from did_gov.ledger._leaf import AnchorKind, anchor_leaf, new_salt
from did_gov.ledger._note import NoteSigner, NoteVerifier
from did_gov.ledger._receipt import ChainTransaction, Receipt
from did_gov.ledger.checkpoint import Checkpoint, open_checkpoint

__all__ = ["MAX_BATCH", "AppendedBatch", "BaseLedger", "Clock", "LedgerBackend"]

Clock = Callable[[], datetime]
"""A function returning the current aware time; logs sign it in every checkpoint."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MAX_BATCH = 100_000
"""Most leaves one :meth:`LedgerBackend.append` call accepts."""

_T = TypeVar("_T")


@runtime_checkable
class LedgerBackend(Protocol):
    """An append-only transparency log of 32-byte leaves with signed checkpoints.

    Only hashes ever reach a backend, never documents. ``append`` returns once the leaves
    are durable, with one receipt per leaf against a checkpoint covering the whole batch.
    """

    @property
    def origin(self) -> str:
        """The log's origin line, also its checkpoint key name."""
        ...

    @property
    def verifier(self) -> NoteVerifier:
        """The log's checkpoint verification key."""
        ...

    def size(self) -> int:
        """The number of leaves in the log."""
        ...

    def append(self, leaves: Iterable[bytes]) -> list[Receipt]:
        """Append 32-byte leaves durably; return their receipts in order."""
        ...

    def anchor(
        self,
        kind: AnchorKind | str,
        contents: Iterable[bytes],
        *,
        randbytes: Callable[[int], bytes] = ...,
    ) -> list[Receipt]:
        """Salt, hash and append contents; return receipts carrying each salt."""
        ...

    def checkpoint(self) -> str:
        """A signed checkpoint note of the log at its current size."""
        ...

    def receipt(self, index: int, checkpoint: str | None = None) -> Receipt:
        """A fresh receipt for an existing leaf against ``checkpoint`` (the latest by default)."""
        ...

    def prove_inclusion(self, index: int, tree_size: int) -> list[bytes]:
        """The inclusion proof of leaf ``index`` in the tree of ``tree_size`` leaves."""
        ...

    def prove_consistency(self, size1: int, size2: int) -> list[bytes]:
        """The consistency proof between two tree sizes."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


@dataclass(frozen=True)
class AppendedBatch:
    """What a backend's ``_append`` reports once a batch is durable.

    ``nodes`` must serve every complete subtree that inclusion proofs of the new leaves
    need at ``size`` (typically the old right border plus the subtrees the batch created).
    ``chain``, when set, is the transaction that anchored the checkpoint on a chain; every
    receipt of the batch carries it.
    """

    first_index: int
    size: int
    checkpoint: str
    nodes: merkle.NodeStore
    chain: ChainTransaction | None = None


def _check_leaves(leaves: Iterable[bytes]) -> list[bytes]:
    if isinstance(leaves, bytes | bytearray | str):
        raise InvalidInputError(
            "append takes a sequence of 32-byte leaves", code="ledger.leaf_invalid"
        )
    batch = list(leaves)
    if len(batch) > MAX_BATCH:
        raise InvalidInputError(
            f"a batch holds at most {MAX_BATCH} leaves", code="ledger.batch_too_large"
        )
    for leaf in batch:
        if not isinstance(leaf, bytes) or len(leaf) != merkle.HASH_SIZE:
            raise InvalidInputError("a leaf is a 32-byte hash", code="ledger.leaf_invalid")
    return batch


def _check_range(value: object, low: int, high: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInputError(
            f"{what} {value!r} is outside [{low}, {high}]", code="ledger.out_of_range"
        )
    return value


class BaseLedger(ABC):
    """Base of every backend: template seams below, safe public methods above them.

    ``origin`` names the log (``did-gov.example/log/agency-a``) and is the key name of its
    checkpoint signatures; ``log_key`` is its Ed25519 :class:`~did_gov.keys.Signer`.
    ``clock`` (default: the system clock) gives the time each checkpoint's ``time`` line
    states; the log never signs a time earlier than one it signed or stored before.
    """

    scheme: ClassVar[str] = ""

    def __init__(self, origin: str, log_key: Signer, *, clock: Clock | None = None) -> None:
        if not isinstance(origin, str):
            raise InvalidInputError("a log origin is a string", code="ledger.origin_invalid")
        if clock is not None and not callable(clock):
            raise InvalidInputError(
                "clock is a function returning a datetime", code="ledger.option_invalid"
            )
        self._signer = NoteSigner(origin, log_key)
        self._clock: Clock = utc_now if clock is None else clock
        self._signed_floor = _EPOCH
        self._last_signed: tuple[int, bytes, str] | None = None
        self._lock = threading.RLock()
        self._closed = False

    # -- template seams -------------------------------------------------------------------

    @abstractmethod
    def _append(self, leaves: list[bytes]) -> AppendedBatch:
        """Store ``leaves`` durably after the current last leaf and sign the new checkpoint."""

    @abstractmethod
    def _size(self) -> int:
        """The number of durable leaves."""

    @abstractmethod
    def _nodes(self) -> merkle.NodeStore:
        """A store of every complete subtree of the log."""

    @abstractmethod
    def _leaf(self, index: int) -> bytes:
        """The 32-byte leaf at ``index``."""

    @abstractmethod
    def _close(self) -> None:
        """Release the backend's resources."""

    # -- helpers for backends -------------------------------------------------------------

    def _time_floor(self) -> datetime:
        """The latest time this log signed or stored; a backend with storage overrides it."""
        return self._signed_floor

    def _stored_checkpoint(self, size: int, root_hash: bytes) -> str | None:
        """The note this log already signed for ``size`` and ``root_hash``, if it kept one.

        Re-serving it keeps a tree's time the moment the log first reached it (the tightest
        "no later than"); a backend with storage overrides this to read it back.
        """
        last = self._last_signed
        if last is not None and last[0] == size and last[1] == root_hash:
            return last[2]
        return None

    def _sign(self, size: int, root_hash: bytes) -> str:
        """The checkpoint note for ``size`` and ``root_hash`` with a monotonic ``time`` line."""
        now = self._clock()
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise LedgerError(
                "the log clock returned no aware datetime", code="ledger.clock_invalid"
            )
        moment = max(now.astimezone(UTC).replace(microsecond=0), self._time_floor())
        self._signed_floor = moment
        note = Checkpoint.at_time(self.origin, size, root_hash, moment).sign([self._signer])
        self._last_signed = (size, root_hash, note)
        return note

    def _call(self, what: str, function: Callable[..., _T], *args: object) -> _T:
        with self._lock:
            if self._closed:
                raise LedgerError(f"the {self.scheme} ledger is closed", code="ledger.closed")
            return self._wrap(what, function, *args)

    def _wrap(self, what: str, function: Callable[..., _T], *args: object) -> _T:
        try:
            return function(*args)
        except DidGovError:
            raise
        except Exception as exc:  # the one seam turning backend failures into ours
            raise LedgerError(
                f"{self.scheme} ledger: {what} failed: {type(exc).__name__}: {exc}",
                code="ledger.backend_failed",
            ) from exc

    # -- public API -----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """The log's origin line, also its checkpoint key name."""
        return self._signer.name

    @property
    def verifier(self) -> NoteVerifier:
        """The log's checkpoint verification key (give it, or its vkey, to verifiers)."""
        return self._signer.verifier

    @property
    def public_key(self) -> PublicKey:
        """The log's Ed25519 public key."""
        return self._signer.verifier.public_key

    def size(self) -> int:
        """The number of leaves in the log."""
        return self._call("size", self._size)

    def append(self, leaves: Iterable[bytes]) -> list[Receipt]:
        """Append 32-byte leaves; once durable, return one receipt per leaf, in order."""
        batch = _check_leaves(leaves)
        if not batch:
            return []
        done = self._call("append", self._append, batch)
        first = done.first_index
        LEDGER.info("ledger %s: appended %d leaves, size now %d%s", self.origin, len(batch),
                    done.size, " (anchored on chain)" if done.chain else "")  # fmt: skip
        proofs = self._call(
            "prove", merkle.range_inclusion_proofs, done.nodes, first, len(batch), done.size
        )
        return Receipt.for_batch(
            self.origin, first, batch, proofs, done.checkpoint, chain=done.chain
        )

    def anchor(
        self,
        kind: AnchorKind | str,
        contents: Iterable[bytes],
        *,
        randbytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> list[Receipt]:
        """Anchor contents as salted leaves (anchor-receipt §Leaf); receipts carry the salts.

        Only the leaves reach the ledger. ``randbytes`` is injectable for tests only.
        """
        parsed = AnchorKind.parse(kind)
        items = list(contents)
        salts = [new_salt(randbytes) for _ in items]
        leaves = [anchor_leaf(parsed, item, salt) for item, salt in zip(items, salts, strict=True)]
        receipts = self.append(leaves)
        return [r.with_anchor(parsed, s) for r, s in zip(receipts, salts, strict=True)]

    def checkpoint(self) -> str:
        """A signed checkpoint note of the log at its current size."""
        return self._call("checkpoint", self._current_checkpoint)

    def _current_checkpoint(self) -> str:
        size = self._size()
        root_hash = merkle.root(self._nodes(), size)
        stored = self._stored_checkpoint(size, root_hash)
        return self._sign(size, root_hash) if stored is None else stored

    def prove_inclusion(self, index: int, tree_size: int) -> list[bytes]:
        """The inclusion proof of leaf ``index`` in the tree of ``tree_size`` leaves."""
        return self._call("prove_inclusion", self._prove_inclusion, index, tree_size)

    def _prove_inclusion(self, index: int, tree_size: int) -> list[bytes]:
        _check_range(tree_size, 1, self._size(), "tree size")
        _check_range(index, 0, tree_size - 1, "leaf index")
        return merkle.inclusion_proof(self._nodes(), index, tree_size)

    def prove_consistency(self, size1: int, size2: int) -> list[bytes]:
        """The consistency proof that the tree of ``size1`` leaves is a prefix of ``size2``."""
        return self._call("prove_consistency", self._prove_consistency, size1, size2)

    def _prove_consistency(self, size1: int, size2: int) -> list[bytes]:
        _check_range(size2, 0, self._size(), "tree size")
        _check_range(size1, 0, size2, "tree size")
        return merkle.consistency_proof(self._nodes(), size1, size2)

    def receipt(self, index: int, checkpoint: str | None = None) -> Receipt:
        """A fresh receipt for leaf ``index`` against ``checkpoint`` (the latest by default).

        The checkpoint must be this log's and match its tree; holders use this to move an
        old receipt onto a newer checkpoint.
        """
        return self._call("receipt", self._receipt, index, checkpoint)

    def _receipt(self, index: int, note: str | None) -> Receipt:
        note = self._current_checkpoint() if note is None else note
        head = open_checkpoint(note, [self.verifier], origin=self.origin).checkpoint
        _check_range(head.size, 1, self._size(), "checkpoint size")
        if merkle.root(self._nodes(), head.size) != head.root_hash:
            raise LedgerError(
                f"checkpoint of size {head.size} does not match this log",
                code="ledger.checkpoint_foreign",
            )
        _check_range(index, 0, head.size - 1, "leaf index")
        proof = merkle.inclusion_proof(self._nodes(), index, head.size)
        return Receipt(self.origin, self._leaf(index), index, tuple(proof), note)

    def close(self) -> None:
        """Release the backend's resources; later calls raise ``ledger.closed``."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._wrap("close", self._close)

    def __enter__(self) -> BaseLedger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.origin!r})"
