"""The status bitstring: fixed-width entries, GZIP, multibase base64url (Bitstring Status List §3.4-3.5).

Bit order is the spec's (§2.2 ``encodedList``, §7.1 "Bitstring Encoding"): index 0 is the
left-most bit of the bitstring, i.e. the most significant bit of byte 0. An entry of
``status_size`` bits starts at bit ``index * status_size``; its first bit is the most
significant bit of its value.
"""

from __future__ import annotations

import gzip
import zlib

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov.errors import InvalidInputError, LimitExceededError, StatusError
from did_gov.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "MAX_STATUS_SIZE",
    "MIN_ENTRIES",
    "StatusList",
    "check_status_size",
    "inflate_list",
]

MIN_ENTRIES = 131_072
"""The spec's minimum number of entries (16 KiB of 1-bit entries), for herd privacy (§3.2 step 2)."""

MAX_STATUS_SIZE = 16
"""did_gov's bound on ``statusSize``: wider entries need 2^17+ ``statusMessage`` items."""

_GZIP_WBITS = 16 + zlib.MAX_WBITS


def check_status_size(status_size: object) -> int:
    """Return ``status_size`` if it is an int from 1 to :data:`MAX_STATUS_SIZE`, else raise."""
    if type(status_size) is not int or not 1 <= status_size <= MAX_STATUS_SIZE:
        raise StatusError(
            f"status_size must be an integer from 1 to {MAX_STATUS_SIZE}, not {status_size!r}",
            code="status.invalid_argument",
        )
    return status_size


def inflate_list(encoded: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Bitstring Expansion Algorithm (§3.5): multibase-decode ``u…`` base64url, then GUNZIP.

    The inflated size is bounded by ``limits.max_status_list_bytes`` before it is reached,
    so a gzip bomb costs at most that much (``LimitExceededError``, ``status.list_too_large``).
    Anything else that is not a single or multi-member RFC 1952 stream is ``status.list_malformed``.
    """
    if not isinstance(encoded, str):
        raise StatusError("encodedList must be a string", code="status.list_malformed")
    if len(encoded) > limits.max_document_bytes:
        raise LimitExceededError(
            f"encodedList of {len(encoded)} characters exceeds {limits.max_document_bytes}",
            code="status.list_too_large",
        )
    if not encoded.startswith("u"):
        raise StatusError(
            "encodedList must be multibase base64url (prefix 'u')", code="status.list_malformed"
        )
    try:
        compressed = b64url_decode(encoded[1:])
    except InvalidInputError as exc:
        raise StatusError(f"encodedList: {exc}", code="status.list_malformed") from None
    return _gunzip(compressed, limits.max_status_list_bytes)


def _gunzip(data: bytes, cap: int) -> bytes:
    """Inflate every GZIP member of ``data``, refusing more than ``cap`` output bytes."""
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            out += inflater.decompress(rest, cap + 1 - len(out))
        except zlib.error as exc:
            raise StatusError(
                f"encodedList is not GZIP: {exc}", code="status.list_malformed"
            ) from None
        if len(out) > cap or inflater.unconsumed_tail:
            raise LimitExceededError(
                f"status list inflates beyond {cap} bytes", code="status.list_too_large"
            )
        if not inflater.eof:
            raise StatusError("encodedList GZIP stream is truncated", code="status.list_malformed")
        rest = inflater.unused_data
        if not rest:
            return bytes(out)


class StatusList:
    """A status bitstring of ``size`` entries of ``status_size`` bits each (§2.2, §3.4).

    ``size`` must be at least :data:`MIN_ENTRIES` and a multiple of 8, so that an encoded list
    decodes back to the same number of entries.

    >>> sl = StatusList()
    >>> sl.set(94567, 1)
    >>> StatusList.decode(sl.encode()).get(94567), sl.get(94566)
    (1, 0)
    """

    __slots__ = ("_data", "_size", "_status_size")

    def __init__(self, size: int = MIN_ENTRIES, status_size: int = 1) -> None:
        check_status_size(status_size)
        if type(size) is not int or size < MIN_ENTRIES or size % 8:
            raise StatusError(
                f"a status list has at least {MIN_ENTRIES} entries, a multiple of 8; not {size!r}",
                code="status.invalid_argument",
            )
        nbytes = size * status_size // 8
        if nbytes > DEFAULT_LIMITS.max_status_list_bytes:
            raise LimitExceededError(
                f"a list of {nbytes} bytes exceeds {DEFAULT_LIMITS.max_status_list_bytes}",
                code="status.list_too_large",
            )
        self._data: bytes | bytearray = bytearray(nbytes)
        self._size = size
        self._status_size = status_size

    @classmethod
    def from_bytes(
        cls, data: bytes, *, status_size: int = 1, min_entries: int = MIN_ENTRIES
    ) -> StatusList:
        """Wrap an uncompressed bitstring (not copied until the first :meth:`set`).

        Raises ``status.list_too_short`` (the spec's STATUS_LIST_LENGTH_ERROR, §3.2 step 10)
        when it holds fewer than ``min_entries`` entries of ``status_size`` bits.
        """
        check_status_size(status_size)
        if not isinstance(data, bytes | bytearray):
            raise StatusError("a bitstring is bytes", code="status.invalid_argument")
        size = len(data) * 8 // status_size
        if size < min_entries:
            raise StatusError(
                f"status list has {size} entries of {status_size} bit(s); at least "
                f"{min_entries} are required for herd privacy",
                code="status.list_too_short",
            )
        self = cls.__new__(cls)
        self._data = bytes(data) if isinstance(data, bytearray) else data
        self._size = size
        self._status_size = status_size
        return self

    @classmethod
    def decode(
        cls,
        encoded: str,
        *,
        status_size: int = 1,
        min_entries: int = MIN_ENTRIES,
        limits: Limits = DEFAULT_LIMITS,
    ) -> StatusList:
        """Decode an ``encodedList`` value (§3.5), bounded by ``limits``, and check its length."""
        return cls.from_bytes(
            inflate_list(encoded, limits), status_size=status_size, min_entries=min_entries
        )

    @property
    def size(self) -> int:
        """The number of entries."""
        return self._size

    @property
    def status_size(self) -> int:
        """Bits per entry."""
        return self._status_size

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._data)

    def encode(self) -> str:
        """Bitstring Generation Algorithm (§3.4): GZIP, then multibase base64url (``u…``)."""
        return "u" + b64url_encode(gzip.compress(bytes(self._data), compresslevel=9, mtime=0))

    def _check_index(self, index: object) -> int:
        if type(index) is not int or not 0 <= index < self._size:
            raise StatusError(
                f"index {index!r} is outside the list's {self._size} entries",
                code="status.index_out_of_range",
            )
        return index

    def get(self, index: int) -> int:
        """The value of entry ``index`` (§3.2 step 11: bits ``index * status_size`` onward)."""
        self._check_index(index)
        size = self._status_size
        if size == 1:
            return (self._data[index >> 3] >> (7 - (index & 7))) & 1
        start = index * size
        first, last = start >> 3, (start + size - 1) >> 3
        chunk = int.from_bytes(self._data[first : last + 1], "big")
        return (chunk >> ((last + 1) * 8 - start - size)) & ((1 << size) - 1)

    def set(self, index: int, value: int) -> None:
        """Set entry ``index`` to ``value`` (``0 <= value < 2**status_size``)."""
        self._check_index(index)
        size = self._status_size
        if type(value) is not int or not 0 <= value < 1 << size:
            raise StatusError(
                f"value {value!r} does not fit in {size} bit(s)", code="status.value_out_of_range"
            )
        if not isinstance(self._data, bytearray):
            self._data = bytearray(self._data)
        start = index * size
        first, last = start >> 3, (start + size - 1) >> 3
        shift = (last + 1) * 8 - start - size
        chunk = int.from_bytes(self._data[first : last + 1], "big")
        chunk = (chunk & ~(((1 << size) - 1) << shift)) | (value << shift)
        self._data[first : last + 1] = chunk.to_bytes(last - first + 1, "big")

    def __repr__(self) -> str:
        return f"StatusList(size={self._size}, status_size={self._status_size})"
