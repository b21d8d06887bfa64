"""``BitstringStatusListEntry``: the ``credentialStatus`` object a credential carries (§2.1).

Parsing is strict: every MUST of §2.1 that a violation of would make a verifier read the
wrong bit or the wrong message is checked, and a violation is the spec's
MALFORMED_VALUE_ERROR, raised as :class:`~did_gov.errors.StatusError` with code
``status.entry_malformed``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from did_gov.errors import StatusError
from did_gov.status._bitstring import MAX_STATUS_SIZE

__all__ = ["ENTRY_TYPE", "StatusListEntry", "StatusMessage", "StatusPurpose"]

ENTRY_TYPE = "BitstringStatusListEntry"
"""The ``type`` of a status entry (§2.1)."""

_INDEX = re.compile(r"[0-9]+", re.ASCII)
_MAX_INDEX_DIGITS = 64
_HEX_STATUS = re.compile(r"0x[0-9a-fA-F]{1,8}", re.ASCII)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+", re.ASCII)


class StatusPurpose(StrEnum):
    """The ``statusPurpose`` values the spec defines (§2.1); other strings are allowed too.

    ``revocation`` and ``refresh`` are not reversible; ``suspension`` is; ``message`` carries
    one of the entry's ``statusMessage`` texts.
    """

    REVOCATION = "revocation"
    SUSPENSION = "suspension"
    REFRESH = "refresh"
    MESSAGE = "message"

    @property
    def reversible(self) -> bool:
        """Whether a set status may be cleared again (only ``suspension`` and ``message``)."""
        return self in (StatusPurpose.SUSPENSION, StatusPurpose.MESSAGE)


def _malformed(message: str) -> StatusError:
    return StatusError(f"credentialStatus: {message}", code="status.entry_malformed")


def is_url(value: object) -> bool:
    """Whether ``value`` is an absolute URL (a scheme, then no whitespace)."""
    return isinstance(value, str) and _URL.fullmatch(value) is not None


@dataclass(frozen=True)
class StatusMessage:
    """One ``statusMessage`` item: a status value and its (developer-facing) message (§2.1)."""

    status: int
    message: str

    def to_json(self) -> dict[str, str]:
        """``{"status": "0x…", "message": …}`` with the value in lower-case hexadecimal."""
        return {"status": f"0x{self.status:x}", "message": self.message}


def _parse_messages(value: object, status_size: int) -> tuple[StatusMessage, ...]:
    """§2.1 ``statusMessage``: exactly one item for each of the 2^statusSize values."""
    if not isinstance(value, list):
        raise _malformed("statusMessage must be an array")
    if len(value) != 1 << status_size:
        raise _malformed(
            f"statusMessage has {len(value)} items; statusSize {status_size} needs "
            f"{1 << status_size}"
        )
    found: dict[int, StatusMessage] = {}
    for item in value:
        if not isinstance(item, dict):
            raise _malformed("statusMessage items must be objects")
        status, message = item.get("status"), item.get("message")
        if not isinstance(status, str) or _HEX_STATUS.fullmatch(status) is None:
            raise _malformed(f"statusMessage status {status!r} is not a 0x-prefixed hex string")
        if not isinstance(message, str):
            raise _malformed("statusMessage message must be a string")
        number = int(status, 16)
        if number >= 1 << status_size or number in found:
            raise _malformed(f"statusMessage status {status} is out of range or repeated")
        found[number] = StatusMessage(number, message)
    return tuple(found[n] for n in sorted(found))


def _parse_reference(value: object) -> str | tuple[str, ...]:
    if is_url(value):
        return str(value)
    if isinstance(value, list) and value and all(is_url(v) for v in value):
        return tuple(value)
    raise _malformed("statusReference must be a URL or an array of URLs")


def _parse_index(value: object) -> int:
    """§2.1 ``statusListIndex``: a base-10 string of a non-negative integer (not a number)."""
    if not isinstance(value, str):
        raise _malformed(f"statusListIndex must be a string of digits, not {type(value).__name__}")
    if _INDEX.fullmatch(value) is None:
        raise _malformed(
            f"statusListIndex {value[:80]!r} is not a base-10 integer (ASCII digits only)"
        )
    if len(value) > _MAX_INDEX_DIGITS:
        raise _malformed(f"statusListIndex has more than {_MAX_INDEX_DIGITS} characters")
    return int(value)


def _parse_size(entry: Mapping[str, Any]) -> int:
    if "statusSize" not in entry:
        return 1
    size = entry["statusSize"]
    if type(size) is not int or size < 1:
        raise _malformed(f"statusSize must be an integer greater than zero, not {size!r}")
    if size > MAX_STATUS_SIZE:
        raise _malformed(f"statusSize {size} exceeds did_gov's bound of {MAX_STATUS_SIZE}")
    return size


@dataclass(frozen=True)
class StatusListEntry:
    """A parsed ``BitstringStatusListEntry`` (§2.1).

    ``status_message`` is empty when the entry has none (then values 0 and 1 read "unset"
    and "set"); otherwise it holds one :class:`StatusMessage` per value, ordered by value.

    >>> e = StatusListEntry.from_json({"type": "BitstringStatusListEntry",
    ...     "statusPurpose": "revocation", "statusListIndex": "94567",
    ...     "statusListCredential": "https://example.com/credentials/status/3"})
    >>> e.status_list_index, e.status_size, e.to_json()["statusListIndex"]
    (94567, 1, '94567')
    """

    status_purpose: str
    status_list_index: int
    status_list_credential: str
    id: str | None = None
    status_size: int = 1
    status_message: tuple[StatusMessage, ...] = ()
    status_reference: str | tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, entry: object) -> StatusListEntry:
        """Parse a ``credentialStatus`` object strictly (``status.entry_malformed`` on any MUST)."""
        if not isinstance(entry, Mapping):
            raise _malformed("a status entry must be a JSON object")
        if entry.get("type") != ENTRY_TYPE:
            raise _malformed(f"type must be {ENTRY_TYPE!r}, not {entry.get('type')!r}")
        purpose = entry.get("statusPurpose")
        if not isinstance(purpose, str) or not purpose:
            raise _malformed("statusPurpose must be a non-empty string")
        index = _parse_index(entry.get("statusListIndex"))
        list_url = entry.get("statusListCredential")
        if not is_url(list_url):
            raise _malformed(f"statusListCredential {list_url!r} is not a URL")
        entry_id = entry.get("id")
        if entry_id is not None and not is_url(entry_id):
            raise _malformed(f"id {entry_id!r} is not a URL")
        if entry_id is not None and entry_id == list_url:
            raise _malformed("id must not be the URL of the status list")
        size = _parse_size(entry)
        messages: tuple[StatusMessage, ...] = ()
        if "statusMessage" in entry:
            messages = _parse_messages(entry["statusMessage"], size)
        elif size > 1:
            raise _malformed("statusMessage is required when statusSize is greater than 1")
        reference = None
        if "statusReference" in entry:
            reference = _parse_reference(entry["statusReference"])
        return cls(purpose, index, str(list_url), entry_id, size, messages, reference)

    def __post_init__(self) -> None:
        if type(self.status_list_index) is not int or self.status_list_index < 0:
            raise _malformed("status_list_index must be a non-negative int")
        if type(self.status_size) is not int or not 1 <= self.status_size <= MAX_STATUS_SIZE:
            raise _malformed(f"status_size must be an int from 1 to {MAX_STATUS_SIZE}")
        if self.status_message and len(self.status_message) != 1 << self.status_size:
            raise _malformed("status_message needs one item per value")
        if self.status_size > 1 and not self.status_message:
            raise _malformed("status_message is required when status_size is greater than 1")

    def message_for(self, value: int) -> str:
        """The ``statusMessage`` text of ``value``, or "unset"/"set" when there is none (§2.1)."""
        if self.status_message:
            return self.status_message[value].message
        return "set" if value else "unset"

    def to_json(self) -> dict[str, Any]:
        """The entry as a ``credentialStatus`` object (index as a string, messages in hex)."""
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["type"] = ENTRY_TYPE
        out["statusPurpose"] = str(self.status_purpose)
        out["statusListIndex"] = str(self.status_list_index)
        out["statusListCredential"] = self.status_list_credential
        if self.status_size != 1:
            out["statusSize"] = self.status_size
        if self.status_message:
            out["statusMessage"] = [m.to_json() for m in self.status_message]
        if self.status_reference is not None:
            ref = self.status_reference
            out["statusReference"] = ref if isinstance(ref, str) else list(ref)
        return out


def messages_from_texts(texts: Sequence[str] | None, status_size: int) -> tuple[StatusMessage, ...]:
    """Number ``texts`` 0, 1, … as status messages; empty when ``texts`` is None."""
    if texts is None:
        return ()
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise StatusError("messages must be a sequence of strings", code="status.invalid_argument")
    if len(texts) != 1 << status_size:
        raise StatusError(
            f"status_size {status_size} needs {1 << status_size} messages, not {len(texts)}",
            code="status.invalid_argument",
        )
    return tuple(StatusMessage(i, t) for i, t in enumerate(texts))
