"""The value a verification returns: :class:`VerificationReport`, a list of :class:`Check`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from did_gov.errors import VerificationFailed
from did_gov.proofs._result import Check

__all__ = ["Check", "VerificationReport"]

_OK = attrgetter("ok")
_VERIFIED = attrgetter("verified")


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of verifying one credential, presentation or token.

    ``verified`` is true only when every check passed. ``checks`` lists each step
    in the order it ran, with stable codes (``specs/error-codes.md``); a failed
    check whose ``indeterminate`` flag is set could not run (no key, no list),
    which is not the same as having found the input invalid. ``credentials``
    holds one nested report per credential inside a presentation.
    ``document`` is the input as parsed: trust it only when ``verified``.
    """

    verified: bool
    format: str
    checks: tuple[Check, ...]
    document: Any = None
    credentials: tuple[VerificationReport, ...] = field(default=())

    @classmethod
    def from_checks(
        cls,
        format: str,
        checks: Iterable[Check],
        document: Any = None,
        credentials: Iterable[VerificationReport] = (),
    ) -> VerificationReport:
        """Build a report whose ``verified`` is the conjunction of its checks."""
        checks = tuple(checks)
        nested = tuple(credentials)
        verified = bool(checks) and all(map(_OK, checks)) and all(map(_VERIFIED, nested))
        return cls(verified, format, checks, document, nested)

    @property
    def errors(self) -> tuple[Check, ...]:
        """The checks that did not pass, nested credentials' included (names prefixed)."""
        own = tuple(c for c in self.checks if not c.ok)
        nested = tuple(
            Check(f"credential[{i}].{c.name}", c.ok, c.code, c.message, c.indeterminate)
            for i, report in enumerate(self.credentials)
            for c in report.errors
        )
        return own + nested

    def raise_for_failure(self) -> None:
        """Raise :class:`~did_gov.errors.VerificationFailed` (code of the first failure) unless verified."""
        if not self.verified:
            errors = self.errors
            first = (
                errors[0]
                if errors
                else Check("report", False, "verification.failed", "no checks ran")
            )
            raise VerificationFailed(
                "; ".join(f"{c.name}: {c.message}" for c in errors) or first.message,
                code=first.code,
            )

    def to_json(self) -> dict[str, Any]:
        """A JSON-serializable summary (the ``did-gov verify --json`` line, less ``file``)."""
        return {
            "verified": self.verified,
            "format": self.format,
            "checks": [
                {"name": c.name, "ok": c.ok, "code": c.code, "message": c.message}
                | ({"indeterminate": True} if c.indeterminate else {})
                for c in self.checks
            ],
            "errors": [{"code": c.code, "message": f"{c.name}: {c.message}"} for c in self.errors],
            "credentials": [r.to_json() for r in self.credentials],
        }

    def summary(self) -> str:
        """A few human-readable lines: the verdict, then one line per check."""
        lines = [f"{'VERIFIED' if self.verified else 'NOT VERIFIED'} ({self.format})"]
        for c in self.checks:
            mark = "ok  " if c.ok else ("??  " if c.indeterminate else "FAIL")
            lines.append(f"  {mark} {c.name}: {c.message or c.code}")
        for i, report in enumerate(self.credentials):
            nested = report.summary().splitlines()
            lines.append(f"  credential[{i}]: {nested[0]}")
            lines += ["    " + line for line in nested[1:]]
        return "\n".join(lines)
