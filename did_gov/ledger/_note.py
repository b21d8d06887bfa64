"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures: sign, cosign, open.

A note is a text ending in a newline, a blank line, then one line per signature:
``— <key name> base64(key ID ‖ signature)``. The key ID is
``SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]``. Opening a note is strict: any
malformed byte fails, signatures by unknown keys are ignored, a bad signature by a known key
fails the whole note, and at least one known signature must verify.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from did_gov._json import utf8_length
from did_gov.errors import (
    InvalidInputError,
    KeyFormatError,
    LedgerError,
    LimitExceededError,
    SignatureError,
    UnsupportedAlgorithmError,
)
from did_gov.keys import KeyType, PrivateKey, PublicKey, Signer, sign_with
from did_gov.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "MAX_NOTE_SIGNATURES",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "UnverifiedNote",
    "add_signatures",
    "b64decode_strict",
    "check_note_key",
    "open_note",
    "parse_unverified_note",
    "sign_note",
]

MAX_NOTE_SIGNATURES = 100
"""Most signature lines a note may carry (c2sp.org/signed-note asks for at least 16)."""

_ALG_ED25519 = 0x01
_SIG_PREFIX = "\u2014 "  # EM DASH, SPACE
_VERIFIED_CACHE_SIZE = 256
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_NOT_IN_NAME = re.compile("[\\s+\x00-\x1f]")


def b64decode_strict(text: str) -> bytes:
    """Decode standard, padded, canonical base64 (RFC 4648 §4); raise InvalidInputError else."""
    if not isinstance(text, str) or not text.isascii():
        raise InvalidInputError("not base64", code="encoding.base64_invalid")
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("not base64", code="encoding.base64_invalid") from None
    if binascii.b2a_base64(raw, newline=False).decode("ascii") != text:
        raise InvalidInputError("non-canonical base64", code="encoding.base64_invalid")
    return raw


def _valid_name(name: str) -> bool:
    """signed-note §Format: non-empty, no Unicode spaces, no plus (nor control characters)."""
    return bool(name) and _NOT_IN_NAME.search(name) is None


def _key_id(name: str, public_raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([_ALG_ED25519]) + public_raw).digest()[:4]


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _valid_name(name) or not _is_note_text(name):
        raise InvalidInputError(
            f"invalid note key name {name!r}: non-empty, no spaces, no '+'",
            code="note.name_invalid",
        )
    return name


def _is_note_text(text: str) -> bool:
    """Valid UTF-8 with no ASCII control character but newline (signed-note §Format)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return _CONTROL.search(text) is None


@dataclass(frozen=True)
class NoteVerifier:
    """An Ed25519 note verification key with its name (c2sp.org/signed-note §Ed25519).

    Successful verifications are remembered (bounded) so that many receipts sharing one
    checkpoint cost one Ed25519 check; a cached result is keyed by the exact text and
    signature bytes, so it is as strong as a fresh check.

    >>> v = NoteVerifier.from_vkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    >>> v.name, v.key_id.hex()
    ('PeterNeumann', 'c74f20a3')
    """

    name: str
    public_key: PublicKey
    _verified: dict[tuple[str, bytes], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _check_name(self.name)
        if (
            not isinstance(self.public_key, PublicKey)
            or self.public_key.key_type is not KeyType.ED25519
        ):
            raise UnsupportedAlgorithmError(
                "note keys are Ed25519 (signature type 0x01)", code="note.key_unsupported"
            )

    @functools.cached_property
    def key_id(self) -> bytes:
        """The 4-byte key ID ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]``."""
        return _key_id(self.name, self.public_key.raw())

    @property
    def vkey(self) -> str:
        """The verifier key string ``name+hex(key ID)+base64(0x01 ‖ key)``."""
        encoded = base64.b64encode(bytes([_ALG_ED25519]) + self.public_key.raw()).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string; the key ID must match the name and key."""
        if not isinstance(vkey, str):
            raise KeyFormatError("a vkey is a string", code="note.vkey_invalid")
        parts = vkey.split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8 or not _is_hex(parts[1]):
            raise KeyFormatError("a vkey is name+keyid+key", code="note.vkey_invalid")
        name, hex_id, encoded = parts
        try:
            key = b64decode_strict(encoded)
        except InvalidInputError:
            raise KeyFormatError("vkey key is not base64", code="note.vkey_invalid") from None
        if not _valid_name(name) or not key:
            raise KeyFormatError("invalid vkey name or key", code="note.vkey_invalid")
        if hashlib.sha256(name.encode() + b"\n" + key).digest()[:4] != bytes.fromhex(hex_id):
            raise KeyFormatError(
                "vkey key ID does not match its key", code="note.vkey_hash_mismatch"
            )
        if key[0] != _ALG_ED25519:
            raise UnsupportedAlgorithmError(
                f"unsupported note signature type 0x{key[0]:02x}", code="note.key_unsupported"
            )
        if len(key) != 33:
            raise KeyFormatError("an Ed25519 vkey holds 32 key bytes", code="note.vkey_invalid")
        return cls(name, PublicKey.from_raw(KeyType.ED25519, key[1:]))

    def verify(self, text: str, signature: bytes) -> bool:
        """Check an Ed25519 signature over the UTF-8 note ``text``."""
        cache_key = (text, bytes(signature))
        if cache_key in self._verified:
            return True
        ok = self.public_key.verify(bytes(signature), text.encode("utf-8"))
        if ok:
            if len(self._verified) >= _VERIFIED_CACHE_SIZE:
                # Threads share a verifier: another may have evicted the same entry, or
                # changed or emptied the cache meanwhile.
                with contextlib.suppress(RuntimeError, StopIteration):
                    self._verified.pop(next(iter(self._verified)), None)
            self._verified[cache_key] = True
        return ok


def check_note_key(key: object) -> Signer:
    """Return ``key`` if it is an Ed25519 :class:`~did_gov.keys.Signer`; raise otherwise."""
    if not isinstance(key, Signer):
        raise InvalidInputError("a note key is a did_gov.keys.Signer", code="note.key_unsupported")
    if key.public_key.key_type is not KeyType.ED25519:
        raise UnsupportedAlgorithmError(
            "note keys are Ed25519 (signature type 0x01)", code="note.key_unsupported"
        )
    return key


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


class NoteSigner:
    """Signs notes with an Ed25519 :class:`~did_gov.keys.Signer` (a PrivateKey, a KMS, an HSM).

    >>> key = PrivateKey.from_seed("ed25519", bytes(32))
    >>> NoteSigner("example.com/log", key).verifier.name
    'example.com/log'
    """

    def __init__(self, name: str, private_key: Signer) -> None:
        self.name = _check_name(name)
        self._signer = check_note_key(private_key)
        self.verifier = NoteVerifier(name, private_key.public_key)
        self.key_id = self.verifier.key_id

    def __repr__(self) -> str:
        return f"NoteSigner({self.name!r}, key_id={self.key_id.hex()})"

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse a Go ``PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`` signer key string."""
        parts = skey.split("+", 4) if isinstance(skey, str) else []
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyFormatError("an skey is PRIVATE+KEY+name+keyid+key", code="note.skey_invalid")
        try:
            raw = b64decode_strict(parts[4])
        except InvalidInputError:
            raise KeyFormatError("skey key is not base64", code="note.skey_invalid") from None
        if len(raw) != 33 or raw[0] != _ALG_ED25519:
            raise KeyFormatError(
                "an Ed25519 skey holds 0x01 and a 32-byte seed", code="note.skey_invalid"
            )
        signer = cls(parts[2], PrivateKey.from_raw(KeyType.ED25519, raw[1:]))
        if signer.key_id.hex() != parts[3].lower():
            raise KeyFormatError("skey key ID does not match its key", code="note.skey_invalid")
        return signer

    def signature_line(self, text: str) -> str:
        """The line ``— name base64(key ID ‖ signature)`` for ``text`` (newline included)."""
        try:
            signature = sign_with(self._signer, text.encode("utf-8"))
        except SignatureError as exc:
            raise SignatureError(
                f"note signer {self.name!r}: {exc.message}", code=exc.code
            ) from None
        encoded = base64.b64encode(self.key_id + signature).decode("ascii")
        return f"{_SIG_PREFIX}{self.name} {encoded}\n"


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.endswith("\n") or not _is_note_text(text):
        raise InvalidInputError(
            "note text must be UTF-8 ending in a newline, without control characters",
            code="note.text_invalid",
        )
    return text


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """Sign ``text`` with each signer in order (c2sp.org/signed-note §Format).

    >>> signer = NoteSigner("example.com/log", PrivateKey.from_seed("ed25519", bytes(32)))
    >>> note = sign_note("hello\\n", [signer])
    >>> open_note(note, [signer.verifier]).signers
    ('example.com/log',)
    """
    _check_text(text)
    signers = list(signers)
    if not signers or not all(isinstance(s, NoteSigner) for s in signers):
        raise InvalidInputError("sign_note needs at least one NoteSigner", code="note.no_signer")
    return text + "\n" + "".join(s.signature_line(text) for s in signers)


class NoteSignature(NamedTuple):
    """One parsed, not yet verified, signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes
    raw: str


class UnverifiedNote(NamedTuple):
    """A note split into its text and signature lines, NOT verified: do not trust its text."""

    text: str
    signatures: tuple[NoteSignature, ...]


def parse_unverified_note(note: str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> UnverifiedNote:
    """Split a signed note strictly without checking any signature (for tools and audits).

    >>> parse_unverified_note("hi\\n\\n\\u2014 k AAAAAAE=\\n").signatures[0].key_id.hex()
    '00000000'
    """
    text, lines = _split(note, limits)
    return UnverifiedNote(text, tuple(lines))


def _split(note: str | bytes, limits: Limits) -> tuple[str, list[NoteSignature]]:
    """Split a note into its text and parsed signature lines; raise on any malformation."""
    if isinstance(note, bytes | bytearray):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError("a note is UTF-8", code="note.malformed") from None
    if not isinstance(note, str):
        raise InvalidInputError("a note is a string", code="note.malformed")
    if len(note) > limits.max_document_bytes:  # bytes, not characters, below
        raise LimitExceededError("note too large", code="note.too_large")
    try:
        size = utf8_length(note)
    except InvalidInputError:
        raise InvalidInputError("a note is UTF-8", code="note.malformed") from None
    if size > limits.max_document_bytes:
        raise LimitExceededError("note too large", code="note.too_large")
    if not _is_note_text(note):
        raise InvalidInputError("control character in note", code="note.malformed")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or split + 2 == len(note):
        raise InvalidInputError("note has no signature block", code="note.malformed")
    text, block = note[: split + 1], note[split + 2 :]
    raw_lines = block[:-1].split("\n")
    if len(raw_lines) > MAX_NOTE_SIGNATURES:
        raise LimitExceededError("too many note signatures", code="note.too_many_signatures")
    return text, [_parse_line(line) for line in raw_lines]


def _parse_line(line: str) -> NoteSignature:
    if not line.startswith(_SIG_PREFIX):
        raise InvalidInputError("malformed signature line", code="note.malformed")
    name, _, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    try:
        raw = b64decode_strict(encoded)
    except InvalidInputError:
        raise InvalidInputError("signature is not base64", code="note.malformed") from None
    if not _valid_name(name) or len(raw) < 5:
        raise InvalidInputError("malformed signature line", code="note.malformed")
    return NoteSignature(name, raw[:4], raw[4:], line)


class OpenedNote(NamedTuple):
    """A verified note: its ``text`` and the names of the known keys that signed it."""

    text: str
    signers: tuple[str, ...]


def _index(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, bytes], NoteVerifier]:
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for v in verifiers:
        if not isinstance(v, NoteVerifier):
            raise InvalidInputError("verifiers must be NoteVerifier", code="note.verifier_invalid")
        other = known.setdefault((v.name, v.key_id), v)
        if other.public_key != v.public_key:
            raise InvalidInputError(
                f"two verifiers share name and key ID {v.name!r}", code="note.verifier_ambiguous"
            )
    return known


def open_note(
    note: str | bytes, verifiers: Iterable[NoteVerifier], *, limits: Limits = DEFAULT_LIMITS
) -> OpenedNote:
    """Verify a signed note against known keys (c2sp.org/signed-note §Signatures).

    Signatures whose (name, key ID) match no verifier are ignored. Every signature by a
    known key must verify (else ``note.signature_invalid``), and at least one must be
    present (else ``note.unverified``). Malformed notes raise ``note.malformed``.
    """
    known = _index(verifiers)
    text, lines = _split(note, limits)
    signers: list[str] = []
    for line in lines:
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        if not verifier.verify(text, line.signature):
            raise LedgerError(
                f"note signature by {line.name!r} does not verify", code="note.signature_invalid"
            )
        if line.name not in signers:
            signers.append(line.name)
    if not signers:
        raise LedgerError("note is not signed by any known key", code="note.unverified")
    return OpenedNote(text, tuple(signers))


def add_signatures(note: str, signers: Iterable[NoteSigner]) -> str:
    """Add (or replace) signature lines on a signed note, e.g. a witness cosigning a checkpoint.

    The existing signatures are kept but not checked: a witness must :func:`open_note` the
    note with the log's key before cosigning it.
    """
    text, lines = _split(note, DEFAULT_LIMITS)
    signers = list(signers)
    if not signers or not all(isinstance(s, NoteSigner) for s in signers):
        raise InvalidInputError(
            "add_signatures needs at least one NoteSigner", code="note.no_signer"
        )
    replaced = {(s.name, s.key_id) for s in signers}
    kept = [f"{line.raw}\n" for line in lines if (line.name, line.key_id) not in replaced]
    if len(kept) + len(signers) > MAX_NOTE_SIGNATURES:
        raise LimitExceededError("too many note signatures", code="note.too_many_signatures")
    return text + "\n" + "".join(kept) + "".join(s.signature_line(text) for s in signers)
