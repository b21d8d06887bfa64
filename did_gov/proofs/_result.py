"""The result values every securing mechanism returns: one :class:`Check` per step."""

from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = ["Check", "fail", "ok", "shared_ok", "unknown"]


@dataclass(frozen=True)
class Check:
    """One verification step: its ``name``, whether it passed, a stable ``code`` and a message.

    ``indeterminate`` marks a check that could not run (no key, no list, no
    network): "could not check" is reported apart from "checked: invalid".
    """

    name: str
    ok: bool
    code: str
    message: str
    indeterminate: bool = False


def ok(name: str, message: str = "") -> Check:
    """A passed check; its code is ``"ok"``."""
    return Check(name, True, "ok", message)


@functools.lru_cache(maxsize=1024)
def shared_ok(name: str, message: str = "") -> Check:
    """:func:`ok` for a message that names only an algorithm, a suite, a count or the signer's
    key: one value shared by every document that earns it (a Check is immutable), so the
    verification hot path does not build the same frozen value again and again. Never for a
    message naming a subject, a claim or a time.
    """
    return ok(name, message)


def fail(name: str, code: str, message: str) -> Check:
    """A failed check with a stable code."""
    return Check(name, False, code, message)


def unknown(name: str, code: str, message: str) -> Check:
    """A check that could not run; it counts as not passed."""
    return Check(name, False, code, message, indeterminate=True)
