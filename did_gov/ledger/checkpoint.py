"""Transparency-log checkpoints (c2sp.org/tlog-checkpoint) in C2SP signed notes.

A checkpoint body is the log's origin line, the tree size in decimal, the base64 root hash
and optional extension lines, each ending in a newline. It is signed by the log's Ed25519
key (and possibly by witnesses) as a signed note. did_gov logs add one extension line
``time <RFC 3339 UTC>`` (``specs/anchor-receipt.md`` §3.1): the log's clock when it signed,
never decreasing within a log, so a receipt proves "anchored no later than" that time.

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
from datetime import UTC, datetime
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
    "TIME_PREFIX",
    "Checkpoint",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedCheckpoint",
    "OpenedNote",
    "UnverifiedNote",
    "add_signatures",
    "format_time_line",
    "open_checkpoint",
    "open_note",
    "parse_unverified_note",
    "sign_note",
]

MAX_TREE_SIZE = (1 << 64) - 1
"""Largest tree size a checkpoint may state (an unsigned 64-bit integer)."""

TIME_PREFIX = "time "
"""The extension line a did_gov log signs its clock in: ``time 2026-12-03T13:45:07Z``."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)


def format_time_line(moment: datetime) -> str:
    """The extension line ``time YYYY-MM-DDTHH:MM:SSZ`` for an aware datetime (whole seconds)."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise _bad("a checkpoint time is a timezone-aware datetime")
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not _TIME.fullmatch(text):
        raise _bad(f"checkpoint time {moment!r} out of range")
    return TIME_PREFIX + text


def _parse_time(extensions: tuple[str, ...]) -> datetime | None:
    """The time the ``time`` extension line states; at most one, RFC 3339 UTC, whole seconds."""
    lines = [e for e in extensions if e.startswith(TIME_PREFIX)]
    if not lines:
        return None
    if len(lines) > 1:
        raise _bad("a checkpoint carries at most one time line")
    text = lines[0][len(TIME_PREFIX) :]
    if not _TIME.fullmatch(text):
        raise _bad(f"checkpoint time {text!r} is not YYYY-MM-DDTHH:MM:SSZ")
    try:
        # the C parser: the pattern above leaves it exactly YYYY-MM-DDTHH:MM:SS
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise _bad(f"checkpoint time {text!r} is not a valid date") from None


def _bad(message: str) -> InvalidInputError:
    return InvalidInputError(message, code="checkpoint.malformed")


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: ``origin``, tree ``size``, ``root_hash`` and ``extensions``.

    Construction validates every field, so a Checkpoint always has a well-formed body.
    Extension lines are opaque except ``time …`` (see :attr:`time`), which must be
    well formed and appear at most once.

    >>> from did_gov.ledger.merkle import EMPTY_ROOT
    >>> at = datetime(2026, 12, 3, 13, 45, 7, tzinfo=UTC)
    >>> head = Checkpoint.at_time("example.com/log", 0, EMPTY_ROOT, at)
    >>> head.extensions, head.time == at
    (('time 2026-12-03T13:45:07Z',), True)
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
        object.__setattr__(self, "_time", _parse_time(self.extensions))

    @property
    def time(self) -> datetime | None:
        """The signed ``time`` line: the log held this tree no later than then (None: no claim)."""
        moment: datetime | None = self.__dict__["_time"]
        return moment

    @classmethod
    def at_time(
        cls,
        origin: str,
        size: int,
        root_hash: bytes,
        moment: datetime,
        extensions: tuple[str, ...] = (),
    ) -> Checkpoint:
        """A checkpoint whose first extension line is ``time`` ``moment`` (whole seconds, UTC)."""
        return cls(origin, size, root_hash, (format_time_line(moment), *extensions))

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
