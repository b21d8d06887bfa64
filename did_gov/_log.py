"""Operational logging: standard :mod:`logging` under ``did_gov.*`` loggers, never a claim value.

Loggers (configure them as any other; the package adds only a ``NullHandler``):

- ``did_gov.issue``: one INFO record per credential issued (format, issuer, types).
- ``did_gov.verify``: one INFO record per verdict (format, verified, failing codes), and at
  DEBUG one record per check (name, passed, code).
- ``did_gov.status``: status changes (list URL, index, value) and publications.
- ``did_gov.ledger``: appended batches (origin, leaves, new size) and anchoring.

What is logged is what an operator needs to see the service work: identifiers of
issuers, lists and logs, formats, types, indexes, sizes and stable codes. Claim values,
subjects, credential ids, check messages (which may quote input), keys and tokens are
never logged: logs are copied to places personal data must not reach.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

__all__ = ["ISSUE", "LEDGER", "STATUS", "VERIFY", "logged_issue", "logged_verdict"]

ISSUE = logging.getLogger("did_gov.issue")
VERIFY = logging.getLogger("did_gov.verify")
STATUS = logging.getLogger("did_gov.status")
LEDGER = logging.getLogger("did_gov.ledger")

_P = ParamSpec("_P")
_R = TypeVar("_R")
_depth = threading.local()


def _issuer_and_types(secured: object) -> tuple[str, list[str]]:
    """The issuer id and the type terms of a secured credential (a JSON object or a token)."""
    document: Any = secured
    if isinstance(secured, str):
        from did_gov._encoding import b64url_decode
        from did_gov._json import parse_json
        from did_gov.errors import DidGovError

        try:
            document = parse_json(b64url_decode(secured.split("~", 1)[0].split(".")[1]))
        except (DidGovError, IndexError, ValueError):
            return "?", []
    if not isinstance(document, Mapping):
        return "?", []
    issuer = document.get("issuer", document.get("iss", "?"))
    issuer = issuer.get("id", "?") if isinstance(issuer, Mapping) else issuer
    kinds = document.get("type", document.get("vct", []))
    kinds = [kinds] if isinstance(kinds, str) else kinds
    types = [t for t in kinds if isinstance(t, str) and t != "VerifiableCredential"]
    return str(issuer), types


def logged_issue(default_format: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Log each outermost issuance of the decorated function on ``did_gov.issue``."""

    def decorate(function: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(function)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            depth = getattr(_depth, "value", 0)
            _depth.value = depth + 1
            try:
                secured = function(*args, **kwargs)
            finally:
                _depth.value = depth
            if depth == 0 and ISSUE.isEnabledFor(logging.INFO):
                issuer, types = _issuer_and_types(secured)
                kind = kwargs.get("format", default_format)
                ISSUE.info("issued a %s credential: issuer %s, types %s", kind, issuer, types)
            return secured

        return wrapper

    return decorate


def logged_verdict(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Log the verdict of each report the decorated verify method returns."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        report = function(*args, **kwargs)
        if VERIFY.isEnabledFor(logging.INFO):
            _log_report(report, "")
        return report

    return wrapper


def _log_report(report: Any, prefix: str) -> None:
    codes = [check.code for check in getattr(report, "errors", ())]
    verdict = "VERIFIED" if getattr(report, "verified", False) else "NOT VERIFIED"
    VERIFY.info("%s%s (%s)%s", prefix, verdict, getattr(report, "format", "?"),
                f": {', '.join(codes)}" if codes else "")  # fmt: skip
    if VERIFY.isEnabledFor(logging.DEBUG):
        for check in getattr(report, "checks", ()):
            VERIFY.debug("%scheck %s: %s (%s)", prefix, check.name,
                         "ok" if check.ok else "failed", check.code)  # fmt: skip
        for n, nested in enumerate(getattr(report, "credentials", ())):
            for check in nested.checks:
                VERIFY.debug("%scredential[%d] check %s: %s (%s)", prefix, n, check.name,
                             "ok" if check.ok else "failed", check.code)  # fmt: skip
