"""Red team: the verified-checkpoint cache of a NoteVerifier shared between threads.

A Verifier's log keys and a did:gov log's ``anchorLog`` are one NoteVerifier for every
thread of a service. When its cache was full, two threads evicting at once both took the
same oldest entry and the second ``pop`` raised KeyError out of receipt verification.
The race is replayed deterministically: the cache's oldest entry vanishes between the
choice and the eviction, as another thread's eviction would make it.
"""

from __future__ import annotations

from typing import Any

from did_gov.keys import PrivateKey
from did_gov.ledger import NoteVerifier
from did_gov.ledger._note import _VERIFIED_CACHE_SIZE


class _RacedDict(dict[Any, Any]):
    """A dict whose entry is evicted by "another thread" just before ``pop`` takes it."""

    def pop(self, key: Any, *default: Any) -> Any:
        super().pop(key, None)
        return super().pop(key, *default)


def test_concurrent_eviction_of_a_verified_checkpoint_is_not_an_error() -> None:
    key = PrivateKey.from_seed("ed25519", bytes([5]) * 32)
    verifier = NoteVerifier("gov.example/log", key.public_key)
    raced = _RacedDict({(f"old {n}\n", b"s"): True for n in range(_VERIFIED_CACHE_SIZE)})
    object.__setattr__(verifier, "_verified", raced)
    text = "gov.example/log\n1\nAAAA\n"
    assert verifier.verify(text, key.sign(text.encode()))
    assert (text, key.sign(text.encode())) in raced
    assert len(raced) == _VERIFIED_CACHE_SIZE
    assert not verifier.verify(text + "x", key.sign(text.encode()))
