"""Transparency-log checkpoints (c2sp.org/tlog-checkpoint) in C2SP signed notes.

A checkpoint body is the log's origin line, the tree size in decimal, the base64 root hash
and optional extension lines, each ending in a newline. It is signed by the log's Ed25519
key (and possibly by witnesses) as a signed note.

>>> from did_gov.keys import PrivateKey
>>> from did_gov.ledger.merkle import EMPTY_ROOT
>>> signer = NoteSigner("example.com/log", PrivateKey.from_seed("ed25519", bytes(32)))
>>> note = Checkpoint("example.com/log", 0, EMPTY_ROOT).sign([signer])
>>> open_checkpoint(note, [signer.verifier]).checkpoint.size
0
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from did_gov.errors import InvalidInputError
from did_gov.ledger._note import (
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    UnverifiedNote,
    _is_note_text,
    add_signatures,
    b64decode_strict,
    open_note,
    parse_unverified_note,
    sign_note,
)
from did_gov.ledger.merkle import HASH_SIZE

__all__ = [
    "MAX_TREE_SIZE",
    "Checkpoint",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedCheckpoint",
    "OpenedNote",
    "UnverifiedNote",
    "add_signatures",
    "open_checkpoint",
    "open_note",
    "parse_unverified_note",
    "sign_note",
]

MAX_TREE_SIZE = (1 << 64) - 1
"""Largest tree size a checkpoint may state (an unsigned 64-bit integer)."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def _bad(message: str) -> InvalidInputError:
    return InvalidInputError(message, code="checkpoint.malformed")


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: ``origin``, tree ``size``, ``root_hash`` and opaque ``extensions``.

    Construction validates every field, so a Checkpoint always has a well-formed body.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or not _is_line(self.origin):
            raise _bad("checkpoint origin must be a non-empty line")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise _bad("checkpoint size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise _bad(f"checkpoint size {self.size} out of range")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise _bad("checkpoint root hash must be 32 bytes")
        if not isinstance(self.extensions, tuple) or not all(
            isinstance(e, str) and e and _is_line(e) for e in self.extensions
        ):
            raise _bad("checkpoint extension lines must be non-empty lines")

    def to_body(self) -> str:
        """The note text (tlog-checkpoint §Note text), each line ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        return "".join(f"{line}\n" for line in [*lines, *self.extensions])

    @classmethod
    def parse_body(cls, text: str, *, origin: str | None = None) -> Checkpoint:
        """Parse a checkpoint note text strictly; when ``origin`` is given it must match.

        Raises :class:`~did_gov.errors.InvalidInputError` (``checkpoint.malformed`` or
        ``checkpoint.origin_mismatch``) on any deviation from tlog-checkpoint §Note text.
        """
        if not isinstance(text, str) or not text.endswith("\n") or not _is_note_text(text):
            raise _bad("a checkpoint body is text ending in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise _bad("a checkpoint body has at least three lines")
        first, size_line, root_line, *extensions = lines
        if origin is not None and first != origin:
            raise InvalidInputError(
                f"checkpoint origin {first!r} is not {origin!r}", code="checkpoint.origin_mismatch"
            )
        if not _DECIMAL.fullmatch(size_line):
            raise _bad(f"checkpoint size {size_line!r} is not a decimal number")
        try:
            root_hash = b64decode_strict(root_line)
        except InvalidInputError:
            raise _bad("checkpoint root hash is not base64") from None
        return cls(first, int(size_line), root_hash, tuple(extensions))

    def sign(self, signers: Iterable[NoteSigner]) -> str:
        """The checkpoint as a signed note."""
        return sign_note(self.to_body(), signers)


def _is_line(text: str) -> bool:
    return "\n" not in text and _is_note_text(text)


class OpenedCheckpoint(NamedTuple):
    """A checkpoint whose note verified, and the names of the known keys that signed it."""

    checkpoint: Checkpoint
    signers: tuple[str, ...]


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[NoteVerifier], *, origin: str | None = None
) -> OpenedCheckpoint:
    """Verify a signed checkpoint note (:func:`open_note`) and parse its body.

    Raises ``note.*`` errors for the signature layer and ``checkpoint.*`` for the body.
    """
    opened = open_note(note, verifiers)
    return OpenedCheckpoint(Checkpoint.parse_body(opened.text, origin=origin), opened.signers)
