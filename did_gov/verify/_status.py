"""Obtaining and verifying the status list credentials one verification needs (§3.2 steps 4-5)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from did_gov.errors import DidGovError
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.status import StatusSource
from did_gov.verify._report import VerificationReport

__all__ = ["IN_STATUS_LIST", "StatusSession"]

IN_STATUS_LIST: ContextVar[bool] = ContextVar("did_gov_in_status_list", default=False)
"""Set while a status list credential is verified, so its own status is not checked."""

_NAME = "status_list_credential"


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


class StatusSession:
    """The lists of one verification: each URL is obtained and verified at most once."""

    def __init__(
        self,
        source: StatusSource,
        verify: Callable[[Any, datetime], VerificationReport],
        moment: datetime,
    ) -> None:
        self._source = source
        self._verify = verify
        self._moment = moment
        self._seen: dict[str, dict[str, Any] | Check] = {}

    def list_credential(self, url: str, issuer: Any) -> dict[str, Any] | Check:
        """The verified list credential at ``url`` issued by ``issuer``, or the failed check."""
        if url not in self._seen:
            self._seen[url] = self._obtain(url)
        found = self._seen[url]
        if isinstance(found, dict) and _id_of(found.get("issuer")) != issuer:
            signer = _id_of(found.get("issuer"))
            message = f"status list {url} is issued by {signer}, not by the credential's {issuer}"
            return fail(_NAME, "status.list_issuer_mismatch", message)
        return found

    def list_check(self, url: str) -> Check:
        """The passed check for a list that :meth:`list_credential` returned."""
        return ok(_NAME, f"status list {url} verified")

    def _obtain(self, url: str) -> dict[str, Any] | Check:
        try:
            unverified = self._source.unverified_list_credential(url, now=self._moment)
        except DidGovError as exc:
            return unknown(_NAME, exc.code, exc.message)
        if unverified is None:
            return unknown(
                _NAME,
                "status.list_unavailable",
                f"status list {url} is not available offline and no fetcher was given",
            )
        report = self._verify(unverified, self._moment)
        # The list's validity window is judged by the status freshness policy instead.
        failed = [c for c in report.checks if not c.ok and c.name != "validity"]
        if failed:
            why = "; ".join(f"{c.name}: {c.code}" for c in failed)
            message = f"status list {url} does not verify ({why})"
            if all(c.indeterminate for c in failed):
                return unknown(_NAME, "status.list_unverified", message)
            return fail(_NAME, "status.list_unverified", message)
        document = report.document
        if not isinstance(document, dict) or document.get("id") != url:
            found = _id_of(document) if isinstance(document, dict) else None
            return fail(_NAME, "status.list_mismatch", f"status list {found} is not {url}")
        return document
