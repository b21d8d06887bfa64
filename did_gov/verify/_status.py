"""Obtaining and verifying the status list credentials one verification needs (§3.2 steps 4-5)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from did_gov.errors import DidGovError
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.status import StatusSource
from did_gov.verify._report import VerificationReport

__all__ = ["IN_STATUS_LIST", "StatusSession", "VerifiedLists"]

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
        # The content just digested and verified, not an earlier object of equal content.
        document = unverified if isinstance(unverified, dict) else report.document
        if not isinstance(document, dict) or document.get("id") != url:
            found = _id_of(document) if isinstance(document, dict) else None
            return fail(_NAME, "status.list_mismatch", f"status list {found} is not {url}")
        return document


class VerifiedLists:
    """A small LRU of list-credential reports keyed by (content digest, verification time).

    Verifying a list's proof costs far more than reading a bit, and a batch of credentials
    (or a presentation's) is verified at one moment against the same few lists. The key
    holds everything that can change the report for one verifier: the exact content and
    the time (proof ``created``/``expires``, validity).
    """

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[bytes, datetime], VerificationReport] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _digest(unverified: Any) -> bytes | None:
        try:
            text = (
                unverified
                if isinstance(unverified, str)
                else json.dumps(unverified, sort_keys=True, ensure_ascii=False, allow_nan=False)
            )
        except (TypeError, ValueError):
            return None
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()

    def report(
        self,
        unverified: Any,
        moment: datetime,
        verify: Callable[[Any, datetime], VerificationReport],
    ) -> VerificationReport:
        """The report of ``verify(unverified, moment)``, computed once per key."""
        digest = self._digest(unverified)
        if digest is None:
            return verify(unverified, moment)
        key = (digest, moment)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        found = verify(unverified, moment)
        with self._lock:
            self._items[key] = found
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return found
