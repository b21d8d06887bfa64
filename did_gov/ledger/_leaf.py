"""What a log leaf commits to: a kind, a secret salt and the SHA-256 of the anchored bytes.

The ledger only ever sees the 32-byte leaf. Without the salt (which travels to the holder in
the receipt, never to the ledger) nobody can test a guess of the content against the log.
``specs/anchor-receipt.md`` §Leaf defines the encoding.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from enum import StrEnum

from did_gov.errors import InvalidInputError

__all__ = [
    "ANCHOR_DOMAIN",
    "DEFAULT_SALT_BYTES",
    "MIN_SALT_BYTES",
    "AnchorKind",
    "anchor_leaf",
    "new_salt",
]

ANCHOR_DOMAIN = b"did_gov/anchor/v1"
"""Domain-separation tag that starts every anchor leaf preimage."""
MIN_SALT_BYTES = 16
"""Shortest salt accepted: 128 bits."""
MAX_SALT_BYTES = 64
DEFAULT_SALT_BYTES = 32
"""Salt length :func:`new_salt` draws by default (256 bits)."""


class AnchorKind(StrEnum):
    """What an anchored leaf stands for; bound into the leaf so one kind cannot pass for another."""

    CREDENTIAL = "credential"
    STATUS_LIST = "status-list"
    DID_DOCUMENT = "did-document"
    DOCUMENT = "document"

    @classmethod
    def parse(cls, value: object) -> AnchorKind:
        """The kind named ``value``; raise ``anchor.kind_unknown`` for anything else."""
        if isinstance(value, AnchorKind):
            return value
        if isinstance(value, str):
            for kind in cls:
                if kind.value == value:
                    return kind
        raise InvalidInputError(f"unknown anchor kind {value!r}", code="anchor.kind_unknown")


def check_salt(salt: object) -> bytes:
    """Return ``salt`` if it is bytes of an accepted length; raise ``anchor.salt_invalid`` else."""
    if not isinstance(salt, bytes) or not MIN_SALT_BYTES <= len(salt) <= MAX_SALT_BYTES:
        raise InvalidInputError(
            f"an anchor salt is {MIN_SALT_BYTES} to {MAX_SALT_BYTES} bytes",
            code="anchor.salt_invalid",
        )
    return salt


def anchor_leaf(kind: AnchorKind | str, content: bytes, salt: bytes) -> bytes:
    """The 32-byte leaf for ``content`` (anchor-receipt §Leaf).

    ``SHA-256("did_gov/anchor/v1" ‖ len(kind) ‖ kind ‖ len(salt) ‖ salt ‖ SHA-256(content))``,
    lengths as one byte each, ``kind`` in ASCII.

    >>> anchor_leaf("credential", b"{}", bytes(16)).hex()[:16]
    '084d9fa8b448d571'
    """
    name = AnchorKind.parse(kind).value.encode("ascii")
    check_salt(salt)
    if not isinstance(content, bytes | bytearray):
        raise InvalidInputError("anchored content is bytes", code="anchor.content_invalid")
    digest = hashlib.sha256(content).digest()
    preimage = ANCHOR_DOMAIN + bytes([len(name)]) + name + bytes([len(salt)]) + salt + digest
    return hashlib.sha256(preimage).digest()


def new_salt(randbytes: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    """A fresh salt of :data:`DEFAULT_SALT_BYTES` from ``randbytes`` (the OS CSPRNG by default).

    Inject ``randbytes`` only for deterministic tests.
    """
    return check_salt(randbytes(DEFAULT_SALT_BYTES))
