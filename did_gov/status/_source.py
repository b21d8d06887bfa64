"""Where a verifier obtains a status list credential (§3.2 step 4, "dereference").

:class:`StatusSource` is the seam: offline lists given by the caller
(:class:`StaticStatusSource`, e.g. from a synced trust bundle), an injected fetcher
(:class:`FetchingStatusSource`), or several in order (:class:`ChainedStatusSource`).
Nothing here touches the network by itself: a fetcher is the caller's function.

What a source returns is *unverified*: the verifier checks its proof and issuer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from did_gov._encoding import b64url_decode
from did_gov._json import parse_json
from did_gov.errors import DidGovError, StatusError
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.status._credential import LIST_CREDENTIAL_TYPE
from did_gov.status._entry import is_url

__all__ = [
    "BundledStatusList",
    "ChainedStatusSource",
    "FetchingStatusSource",
    "StaticStatusSource",
    "StatusFetcher",
    "StatusSource",
]

StatusFetcher = Callable[[str], Any]
"""``fetch(url)`` returns the list credential at ``url``: a JSON object, JSON text or bytes,
or a compact token (a VC-JOSE secured list) as text."""


@runtime_checkable
class StatusSource(Protocol):
    """Gives the unverified status list credential published at a URL, or None if unknown."""

    def unverified_list_credential(self, url: str, *, now: datetime) -> Any:
        """The list credential at ``url`` (object or token), or None when this source has none.

        Raises :class:`~did_gov.errors.StatusError` (``status.list_fetch_failed``) when it
        should have one and could not get it.
        """
        ...


@dataclass(frozen=True)
class BundledStatusList:
    """A status list credential carried in a verified trust bundle (``specs/trust-bundle.md`` §4).

    Given to a verifier among its offline ``status_lists``, the list counts as fresh until
    the bundle ``expires`` (its ``ttl`` is not applied), unless its own ``validUntil`` has
    passed; the freshness check then has the code ``status.list_from_bundle`` and names
    ``bundle`` and its ``issued`` (how old the revocation data may be). The credential is
    verified like any other list: the bundle vouches for its freshness, not its signature.
    """

    credential: Mapping[str, Any] | str
    bundle: str
    """How messages name the bundle, e.g. ``trust bundle v12``."""
    issued: datetime
    expires: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.credential, Mapping | str) or not isinstance(self.bundle, str):
            raise StatusError(
                "a bundled status list is a list credential (object or token) and a bundle label",
                code="status.invalid_argument",
            )
        for moment in (self.issued, self.expires):
            if not isinstance(moment, datetime) or moment.tzinfo is None:
                raise StatusError(
                    "issued and expires are timezone-aware datetimes",
                    code="status.invalid_argument",
                )


def _types(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _valid_from(doc: Mapping[str, Any]) -> str:
    value = doc.get("validFrom")
    return value if isinstance(value, str) else ""


def _unverified_payload(token: str) -> Any:
    """The JSON payload of a compact JWS (or SD-JWT), unverified: read only to index it."""
    parts = token.split("~", 1)[0].split(".")
    if len(parts) != 3:
        return None
    try:
        return parse_json(b64url_decode(parts[1]))
    except DidGovError:
        return None


class StaticStatusSource:
    """Status list credentials held in memory, keyed by their ``id`` (offline).

    A list is a secured JSON object (Data Integrity) or a compact token whose payload is
    the list credential (VC-JOSE); a token is indexed by its payload's ``id`` and served as
    is, for the verifier to verify. When two lists share an ``id`` the one with the latest
    ``validFrom`` is served.

    >>> source = StaticStatusSource([{"id": "https://gov.example/status/1",
    ...     "type": ["VerifiableCredential", "BitstringStatusListCredential"]}])
    >>> from datetime import UTC, datetime
    >>> source.unverified_list_credential("https://gov.example/status/1",
    ...     now=datetime(2025, 1, 1, tzinfo=UTC))["id"]
    'https://gov.example/status/1'
    """

    def __init__(self, lists: Iterable[Mapping[str, Any] | str] = ()) -> None:
        self._lists: dict[str, tuple[str, Mapping[str, Any] | str]] = {}
        for doc in lists:
            self.add(doc)

    def add(self, doc: Mapping[str, Any] | str) -> None:
        """Add one list credential: an object, or a compact token, with a URL ``id`` and the list type."""
        fields = _unverified_payload(doc) if isinstance(doc, str) else doc
        if not isinstance(fields, Mapping):
            raise StatusError(
                "a status list credential is a JSON object or a compact token",
                code="status.invalid_argument",
            )
        list_id = fields.get("id")
        if not is_url(list_id) or LIST_CREDENTIAL_TYPE not in _types(fields.get("type")):
            raise StatusError(
                f"not a {LIST_CREDENTIAL_TYPE} with a URL id", code="status.invalid_argument"
            )
        current = self._lists.get(str(list_id))
        if current is None or _valid_from(fields) >= current[0]:
            self._lists[str(list_id)] = (_valid_from(fields), doc)

    def __len__(self) -> int:
        return len(self._lists)

    def unverified_list_credential(self, url: str, *, now: datetime) -> Any:
        """The list with ``id`` equal to ``url``, or None."""
        found = self._lists.get(url)
        return None if found is None else found[1]


class FetchingStatusSource:
    """Lists fetched with the caller's ``fetch(url)``, kept for ``max_age`` (online).

    A fetched list is reused for at most ``max_age`` (and never past its own ``ttl`` when
    it states one); the verifier still checks every list it is given. Whatever ``fetch``
    raises becomes ``status.list_fetch_failed``; a response larger than
    ``limits.max_document_bytes`` or not JSON is refused the same way.
    """

    def __init__(
        self,
        fetch: StatusFetcher,
        *,
        max_age: timedelta = timedelta(minutes=5),
        max_entries: int = 64,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if not callable(fetch):
            raise StatusError("fetch must be callable", code="status.invalid_argument")
        if not isinstance(max_age, timedelta) or max_age < timedelta(0):
            raise StatusError(
                "max_age must be a non-negative timedelta", code="status.invalid_argument"
            )
        if type(max_entries) is not int or max_entries < 1:
            raise StatusError("max_entries must be positive", code="status.invalid_argument")
        self._fetch = fetch
        self.max_age = max_age
        self.max_entries = max_entries
        self.limits = limits
        self._kept: OrderedDict[str, tuple[datetime, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _failed(self, url: str, why: str) -> StatusError:
        return StatusError(f"fetching {url} failed: {why}", code="status.list_fetch_failed")

    def _decode(self, url: str, body: object) -> Any:
        if isinstance(body, Mapping):
            return dict(body)
        if isinstance(body, bytes | bytearray):
            if len(body) > self.limits.max_document_bytes:
                raise self._failed(url, "response too large")
            try:
                body = bytes(body).decode("utf-8")
            except UnicodeDecodeError:
                raise self._failed(url, "not UTF-8") from None
        if not isinstance(body, str):
            raise self._failed(url, f"fetch returned {type(body).__name__}")
        text = body.strip()
        if not text.startswith("{"):
            return text  # a compact token; the verifier decides whether it knows the format
        try:
            return parse_json(text, self.limits)
        except DidGovError as exc:
            raise self._failed(url, exc.message) from None

    def _lifetime(self, doc: Any) -> timedelta:
        subject = doc.get("credentialSubject") if isinstance(doc, dict) else None
        ttl = subject.get("ttl") if isinstance(subject, dict) else None
        if type(ttl) is int and 0 <= ttl < self.max_age // timedelta(milliseconds=1):
            return timedelta(milliseconds=ttl)
        return self.max_age

    def unverified_list_credential(self, url: str, *, now: datetime) -> Any:
        """The list at ``url``: a kept copy while it is young enough, else fetched anew."""
        with self._lock:
            kept = self._kept.get(url)
        if kept is not None and kept[0] <= now < kept[0] + self._lifetime(kept[1]):
            return kept[1]
        try:
            body = self._fetch(url)
        except DidGovError as exc:
            raise self._failed(url, exc.message) from None
        except Exception as exc:  # the seam where the caller's fetcher fails
            raise self._failed(url, type(exc).__name__) from exc
        if body is None:
            return None
        doc = self._decode(url, body)
        with self._lock:
            self._kept[url] = (now, doc)
            self._kept.move_to_end(url)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
        return doc


class ChainedStatusSource:
    """Ask each source in turn; the first that has the list wins (offline before online)."""

    def __init__(self, sources: Iterable[StatusSource]) -> None:
        self.sources = tuple(sources)
        for source in self.sources:
            if not isinstance(source, StatusSource):
                raise StatusError(
                    f"{type(source).__name__} is not a StatusSource",
                    code="status.invalid_argument",
                )

    def unverified_list_credential(self, url: str, *, now: datetime) -> Any:
        """The first list any source gives for ``url``, or None."""
        for source in self.sources:
            found = source.unverified_list_credential(url, now=now)
            if found is not None:
                return found
        return None
