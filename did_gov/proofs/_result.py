"""The result values every securing mechanism returns: one :class:`Check` per step."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Check", "fail", "ok", "unknown"]


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


def fail(name: str, code: str, message: str) -> Check:
    """A failed check with a stable code."""
    return Check(name, False, code, message)


def unknown(name: str, code: str, message: str) -> Check:
    """A check that could not run; it counts as not passed."""
    return Check(name, False, code, message, indeterminate=True)
