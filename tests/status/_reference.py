"""A naive status bitstring, one Python int per bit, to hold the fast one equal to (STYLE #20)."""

from __future__ import annotations


class NaiveBits:
    """Bits in a list, left to right: bit ``i`` is the ``i``-th character of the bitstring."""

    def __init__(self, entries: int, status_size: int = 1) -> None:
        self.status_size = status_size
        self.bits = [0] * (entries * status_size)

    def set(self, index: int, value: int) -> None:
        text = format(value, f"0{self.status_size}b")
        for offset, char in enumerate(text):
            self.bits[index * self.status_size + offset] = int(char)

    def get(self, index: int) -> int:
        start = index * self.status_size
        return int("".join(str(b) for b in self.bits[start : start + self.status_size]), 2)

    def to_bytes(self) -> bytes:
        """Group the bits eight by eight, the first bit of each group most significant."""
        text = "".join(str(b) for b in self.bits)
        return bytes(int(text[i : i + 8], 2) for i in range(0, len(text), 8))
