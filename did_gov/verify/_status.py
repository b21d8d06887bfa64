"""Step 9: each status entry against its list, and which list credentials count (``specs/verification.md``).

Bitstring Status List §3.2 steps 4-5: a list is obtained from the status sources and
verified by the same pipeline as any credential. It counts only when it is a
``BitstringStatusListCredential`` secured as a credential (never a presentation, not an
SD-JWT), its issuer binding passed (its signer is a key of the list's own ``issuer``),
and that issuer is the credential's issuer or may publish status for it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from did_gov.errors import DidGovError, StatusError
from did_gov.limits import Limits
from did_gov.proofs import jose
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.status import (
    ENTRY_TYPE,
    LIST_CREDENTIAL_TYPE,
    BundledStatusList,
    StaticStatusSource,
    StatusListCache,
    StatusListEntry,
    StatusSource,
    check_entry,
)
from did_gov.verify._model import Secured
from did_gov.verify._policy import UnknownStatus, VerificationPolicy
from did_gov.verify._report import VerificationReport

__all__ = ["ListVerifier", "OfflineLists", "StatusSession", "VerifiedLists", "status_checks"]

_NAME = "status_list_credential"
_LIST_FORMATS = ("vc-di", "vc-jwt")
_MAX_COPIES = 4
"""Copies of one list URL tried at most: each costs a signature check."""

ListVerifier = Callable[[Any, datetime], tuple[VerificationReport, Secured]]
"""Runs the pipeline (without status) on an unverified list credential."""


class OfflineLists:
    """The list credentials given to the Verifier, indexed by ``id``; every copy of an ``id`` is kept.

    A list that cannot be indexed (not a list credential, no URL ``id``) is set aside in
    ``problems`` instead of refusing them all, and a second list under a known ``id`` (an
    older copy, or a forgery with a later ``validFrom``) never hides the one that verifies:
    the status step tries each copy, newest first, until one counts. A
    :class:`~did_gov.status.BundledStatusList` is indexed by its credential and remembers
    the bundle it came from (:meth:`bundled`).
    """

    def __init__(self, lists: Iterable[Any] = ()) -> None:
        self._by_url: dict[str, list[tuple[str, Any]]] = {}
        self._bundled: dict[int, BundledStatusList] = {}
        self.problems: list[StatusError] = []
        for item in lists:
            doc = item.credential if isinstance(item, BundledStatusList) else item
            try:
                StaticStatusSource([doc])  # the same indexing rules, one list at a time
            except StatusError as exc:
                self.problems.append(exc)
                continue
            fields = doc if isinstance(doc, Mapping) else _unverified_fields(doc)
            url, valid_from = str(fields.get("id")), fields.get("validFrom")
            copies = self._by_url.setdefault(url, [])
            copies.append((valid_from if isinstance(valid_from, str) else "", doc))
            copies.sort(key=lambda c: c[0], reverse=True)
            if isinstance(item, BundledStatusList):
                self._bundled[id(doc)] = item

    def candidates(self, url: str) -> list[Any]:
        """The copies of the list at ``url``, newest ``validFrom`` first (at most a few)."""
        return [doc for _, doc in self._by_url.get(url, [])[:_MAX_COPIES]]

    def bundled(self, candidate: Any) -> BundledStatusList | None:
        """The bundle provenance of a copy :meth:`candidates` returned, or None."""
        return self._bundled.get(id(candidate))


def _unverified_fields(token: str) -> Mapping[str, Any]:
    """A list token's payload, unverified: read only to index it."""
    try:
        return jose.decode_unverified(token.split("~", 1)[0]).payload
    except DidGovError:
        return {}


class StatusSession:
    """The lists of one verification: each URL is obtained and verified at most once."""

    def __init__(
        self,
        offline: OfflineLists,
        source: StatusSource,
        verify: ListVerifier,
        moment: datetime,
        may_publish: Callable[[str, str], bool],
    ) -> None:
        self._offline = offline
        self._source = source
        self._verify = verify
        self._moment = moment
        self._may_publish = may_publish
        self._seen: dict[str, dict[str, Any] | Check] = {}
        self._carried: dict[str, BundledStatusList] = {}

    def list_credential(self, url: str, issuer: str | None) -> dict[str, Any] | Check:
        """The verified list credential at ``url`` that counts for ``issuer``, or the failed check."""
        if url not in self._seen:
            self._seen[url] = self._obtain(url, issuer)
        return self._seen[url]

    def bundled(self, url: str) -> BundledStatusList | None:
        """The trust bundle that carried the list that counted for ``url``, if one did."""
        return self._carried.get(url)

    def _obtain(self, url: str, issuer: str | None) -> dict[str, Any] | Check:
        candidates = self._offline.candidates(url)
        if not candidates:
            try:
                found = self._source.unverified_list_credential(url, now=self._moment)
            except DidGovError as exc:
                return unknown(_NAME, exc.code, exc.message)
            candidates = [] if found is None else [found]
        if not candidates:
            return unknown(
                _NAME,
                "status.list_unavailable",
                f"status list {url} is not available offline and no fetcher was given",
            )
        first: Check | None = None
        for unverified in candidates:
            outcome = self._judge(url, unverified, issuer)
            if not isinstance(outcome, Check):
                carried = self._offline.bundled(unverified)
                if carried is not None:
                    self._carried[url] = carried
                return outcome
            first = first or outcome
        assert first is not None  # noqa: S101 - candidates is not empty
        return first

    def _judge(self, url: str, unverified: Any, issuer: str | None) -> dict[str, Any] | Check:
        """One copy of the list: it counts, or the check saying why not."""
        report, secured = self._verify(unverified, self._moment)
        if secured.ok and (
            secured.kind != "credential"
            or secured.format not in _LIST_FORMATS
            or LIST_CREDENTIAL_TYPE not in secured.types
        ):
            return fail(
                _NAME,
                "status.list_type_invalid",
                f"status list {url} is a {secured.format} {secured.kind} typed "
                f"{list(secured.types)}, not a {LIST_CREDENTIAL_TYPE}",
            )
        # The list's validity window is judged by the status freshness policy instead.
        failed = [c for c in report.checks if not c.ok and c.name != "validity"]
        list_issuer = secured.issuer
        if failed or list_issuer is None:
            why = "; ".join(f"{c.name}: {c.code}" for c in failed) or "no issuer"
            message = f"status list {url} does not verify ({why})"
            if failed and all(c.indeterminate for c in failed):
                return unknown(_NAME, "status.list_unverified", message)
            return fail(_NAME, "status.list_unverified", message)
        # The content just digested and verified, not an earlier object of equal content;
        # but a recompacted list is read as recompacted (its contexts step): written with a
        # member under its IRI (validUntil), the original would hide it from the checks.
        recompacted = any(
            c.name == "contexts" and c.code == "jsonld.context_recompacted" for c in report.checks
        )
        document = (
            unverified if isinstance(unverified, dict) and not recompacted else secured.document
        )
        if not isinstance(document, dict) or document.get("id") != url:
            found = document.get("id") if isinstance(document, dict) else None
            return fail(_NAME, "status.list_mismatch", f"status list {found} is not {url}")
        if issuer is None or (list_issuer != issuer and not self._may_publish(list_issuer, issuer)):
            message = (
                f"status list {url} is issued by {list_issuer}, not by the credential's {issuer}"
            )
            return fail(_NAME, "status.list_issuer_mismatch", message)
        return document


def status_checks(
    secured: Secured,
    session: StatusSession,
    policy: VerificationPolicy,
    limits: Limits,
    cache: StatusListCache,
    moment: datetime,
) -> list[Check]:
    """Bitstring Status List §3.2 for each status entry (``specs/status-registry.md``).

    A list credential's own status is not checked (that would recurse through lists).
    """
    if LIST_CREDENTIAL_TYPE in secured.types:
        return []
    entries = secured.status
    if len(entries) > limits.max_status_entries:
        limit = limits.max_status_entries
        return [fail("status", "status.too_many_entries", f"more than {limit} status entries")]
    checks: list[Check] = []
    for i, raw in enumerate(entries):
        found = _entry_checks(raw, secured.issuer, session, policy, limits, cache, moment)
        prefix = f"credentialStatus[{i}]." if len(entries) > 1 else ""
        checks += [replace(c, name=prefix + c.name) for c in found]
    return checks


def _entry_checks(
    raw: Any,
    issuer: str | None,
    session: StatusSession,
    policy: VerificationPolicy,
    limits: Limits,
    cache: StatusListCache,
    moment: datetime,
) -> list[Check]:
    """One entry: its list (obtained, verified, same issuer), then the entry's value."""
    if not isinstance(raw, dict):
        return [fail("status_entry", "status.entry_malformed", "a status entry is an object")]
    written = raw.get("type")
    if isinstance(written, list) and ENTRY_TYPE in written:
        # ["BitstringStatusListEntry"] is the same JSON-LD as the string (a holder may rewrite
        # one into the other under the issuer's proof): it is read, never ignored as unknown.
        raw = {**raw, "type": ENTRY_TYPE}
    if raw.get("type") != ENTRY_TYPE:
        message = f"status type {written!r} is not one did_gov reads"
        if policy.unknown_status is UnknownStatus.FAIL:
            return [fail("status", "status.type_unsupported", message)]
        return [Check("status", True, "status.type_unsupported", message + " (ignored)")]
    try:
        entry = StatusListEntry.from_json(raw)
    except DidGovError as exc:
        return [fail("status_entry", exc.code, exc.message)]
    listed = session.list_credential(entry.status_list_credential, issuer)
    if isinstance(listed, Check):
        return [listed]
    result = check_entry(
        entry,
        listed,
        now=moment,
        stale_policy=policy.stale_status_lists,
        limits=limits,
        cache=cache,
        clock_skew=policy.clock_skew,
        bundled=session.bundled(entry.status_list_credential),
    )
    url = entry.status_list_credential
    return [ok(_NAME, f"status list {url} verified"), *result.checks]


class VerifiedLists:
    """A small LRU of list-credential verifications keyed by (content digest, verification time).

    Verifying a list's proof costs far more than reading a bit, and a batch of credentials
    (or a presentation's) is verified at one moment against the same few lists. The key
    holds everything that can change the outcome for one verifier: the exact content and
    the time (proof ``created``/``expires``, validity).
    """

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[bytes, datetime], tuple[VerificationReport, Secured]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    @staticmethod
    def _digest(unverified: Any) -> bytes | None:
        try:
            text = (
                unverified
                if isinstance(unverified, str)
                else json.dumps(unverified, sort_keys=True, ensure_ascii=False, allow_nan=False)
            )
        except (TypeError, ValueError, RecursionError):
            return None
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()

    def verify(
        self, unverified: Any, moment: datetime, verify: ListVerifier
    ) -> tuple[VerificationReport, Secured]:
        """The outcome of ``verify(unverified, moment)``, computed once per key."""
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
