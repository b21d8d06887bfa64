"""did:gov: agency DIDs whose whole key history is a signed, hash-chained, anchored log.

``specs/did-gov-method.md``. :class:`DidGov` is a DID method behind the same
:class:`~did_gov.dids.Resolver` seam as the others (register it on a
:class:`~did_gov.dids.DefaultResolver`); it holds verified logs (from files, a trust
bundle, or a caller-supplied fetcher), resolves the latest version, a ``versionId`` or the
version in force at an anchored time, judges freshness, and answers which verification
method was in force at a credential's anchor position.

This module sits above the ledger (it verifies anchor receipts): import it as
``did_gov.dids.gov``; ``did_gov.dids`` itself does not load it.

>>> from did_gov.keys import PrivateKey
>>> from did_gov.ledger import open_ledger
>>> ledger = open_ledger("memory:", log_key=PrivateKey.generate(), origin="gov.example/log")
>>> update, signing = PrivateKey.generate(), PrivateKey.generate()
>>> log = create_log(update, [signing.public_key], ledger)
>>> gov = DidGov()
>>> _ = gov.add_log(log.entries(), log.receipts())
>>> gov.resolve(log.did).verification_methods()[0].id == log.did + "#key-1"
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from did_gov._json import parse_json
from did_gov.dids._document import Did, DidDocument, VerificationMethod, parse_did, parse_did_url
from did_gov.dids._gov_entry import bad, entry_leaf, split_version_id
from did_gov.dids._gov_entry import entry_leaf as _leaf
from did_gov.dids._gov_log import GovLog, GovVersion, same_entry, verify_log
from did_gov.dids._gov_ops import create_log, deactivate_log, update_log
from did_gov.dids._methods import DidMethod, Fetcher
from did_gov.errors import DidGovError, GovLogError, InvalidInputError, NetworkDisabledError
from did_gov.ledger import NoteVerifier, Receipt, verify_receipt
from did_gov.limits import Limits

__all__ = [
    "FRESH",
    "FRESHNESS_UNKNOWN",
    "DidGov",
    "Freshness",
    "GovLog",
    "GovResolution",
    "GovVersion",
    "LogHead",
    "bundle_item",
    "create_log",
    "deactivate_log",
    "entry_leaf",
    "read_log",
    "receipts_path",
    "update_log",
    "verify_log",
    "write_log",
]

FRESH = "did.fresh"
"""Freshness code: a freshness source shows the log is complete and not forked."""
FRESHNESS_UNKNOWN = "did.freshness_unknown"
"""Freshness code: no freshness source; the log may be truncated or forked (§8)."""


@dataclass(frozen=True)
class Freshness:
    """Whether a resolved log is known to be the whole history (§8): ``code`` and ``message``."""

    code: str
    message: str

    @property
    def known(self) -> bool:
        """True when a freshness source vouched for the log."""
        return self.code == FRESH


@dataclass(frozen=True)
class LogHead:
    """A freshness source's statement: ``version_id`` is the DID's latest, with its receipt."""

    did: str
    version_id: str
    receipt: Receipt
    source: str = "trust bundle"


@dataclass(frozen=True)
class GovResolution:
    """A resolved did:gov version: the document and its resolution metadata (§7)."""

    document: DidDocument
    version: GovVersion
    log: GovLog
    freshness: Freshness

    def metadata(self) -> dict[str, Any]:
        """DID document metadata: versionId, versionTime, anchoredTime, leafIndex, …"""
        from did_gov.dids._gov_entry import format_time

        latest = self.log.latest
        return {
            "versionId": self.version.version_id,
            "versionTime": format_time(self.version.version_time),
            "anchoredTime": format_time(self.version.anchored_time),
            "leafIndex": self.version.leaf_index,
            "anchorLog": self.log.anchor_log.name,
            "updated": format_time(latest.version_time),
            "deactivated": self.version.params.deactivated,
            "freshness": self.freshness.code,
        }


def receipts_path(log_path: str | Path) -> Path:
    """Where a DID log's receipts live: ``<did-log>.receipts.jsonl`` (§4)."""
    path = Path(log_path)
    return path.with_name(path.name + ".receipts.jsonl")


def _lines(text: str, what: str, limits: Limits) -> list[Any]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                found.append(parse_json(line, limits))
            except DidGovError as exc:
                raise bad(f"{what} line {number}: {exc.message}") from None
    return found


def read_log(path: str | Path, limits: Limits | None = None) -> tuple[list[Any], list[Any]]:
    """The entries of a DID log file and the receipts beside it (unverified)."""
    limits = limits or Limits()
    try:
        log_text = Path(path).read_text(encoding="utf-8")
        receipts_text = receipts_path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise bad(f"{exc.filename}: no such file", "did.gov_not_found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"{path}: cannot be read ({exc})", "did.gov_not_found") from None
    return _lines(log_text, str(path), limits), _lines(receipts_text, "receipts", limits)


def write_log(log: GovLog, path: str | Path) -> None:
    """Write a DID log file and its receipts file (JSON Lines, each replaced atomically)."""
    import json
    import os

    def atomically(target: Path, rows: Iterable[Any]) -> None:
        text = "".join(
            json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows
        )
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)

    atomically(Path(path), log.entries())
    atomically(receipts_path(path), log.receipts())


def head_of(log: GovLog) -> dict[str, Any]:
    """A log's freshness statement for a trust bundle: its latest versionId and receipt."""
    return {"versionId": log.latest.version_id, "receipt": log.latest.receipt.to_json()}


def bundle_item(log: GovLog) -> dict[str, Any]:
    """A trust bundle's ``did-logs.json`` item: ``{did, log, receipts, latest}`` (§8 source 1)."""
    return {
        "did": log.did,
        "log": log.entries(),
        "receipts": log.receipts(),
        "latest": head_of(log),
    }


_BUNDLE_ITEM = frozenset({"did", "log", "receipts", "latest"})


class DidGov(DidMethod):
    """The did:gov method: verified DID logs, resolution, freshness and keys in force.

    Logs come from :meth:`add_log` / :meth:`load` (an exported log and its receipts, e.g. a
    trust bundle's ``did_logs``), or from ``fetcher`` (``fetch(url) -> bytes``; the log at
    ``url_template.format(scid=…)``, its receipts at that URL + ``.receipts.jsonl``).
    Nothing is fetched without a fetcher. Each log is verified once; a longer copy of a
    held log has only its new entries verified. Freshness sources: :meth:`add_head`
    (a bundle's latest versionId and receipt) or :meth:`scan` (a ledger).
    """

    name = "gov"

    def __init__(
        self,
        *,
        fetcher: Fetcher | None = None,
        url_template: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        if fetcher is not None and not url_template:
            raise InvalidInputError("a did:gov fetcher needs url_template ('…{scid}…')")
        self.fetcher = fetcher
        self.url_template = url_template
        self.limits = limits or Limits()
        self._logs: dict[str, GovLog] = {}
        self._heads: dict[str, LogHead] = {}
        self._fresh: dict[tuple[str, int], Freshness] = {}
        self._broken: dict[str, GovLogError] = {}
        self._lock = threading.RLock()

    # -- logs ----------------------------------------------------------------------------

    def add_log(
        self,
        entries: Sequence[Any],
        receipts: Sequence[Any],
        *,
        did: str | None = None,
        log_key: NoteVerifier | str | None = None,
    ) -> GovLog:
        """Verify a copy of a DID log and hold it; return the verified log.

        A copy that extends the held log is verified incrementally and replaces it; a
        shorter copy that is a prefix changes nothing; a copy that diverges from the held
        one is a fork (``did.gov_forked``), after which the DID no longer resolves.
        """
        first = entries[0] if entries else None
        key = did
        if key is None and isinstance(first, dict):
            params = first.get("parameters")
            scid = params.get("scid") if isinstance(params, dict) else None
            key = f"did:gov:{scid}" if isinstance(scid, str) else None
        with self._lock:
            held = self._logs.get(key) if key is not None else None
        log = verify_log(entries, receipts, did=did, log_key=log_key, previous=held)
        with self._lock:
            held = self._logs.get(log.did)
            if held is not None and log is not held and not _extends(log, held):
                if _extends(held, log):
                    return held
                error = _fork(held, log)
                self._broken[log.did] = error
                raise error
            self._logs[log.did] = log
        return log

    def load(self, path: str | Path, *, log_key: NoteVerifier | str | None = None) -> GovLog:
        """Read, verify and hold a DID log file and its ``.receipts.jsonl``."""
        entries, receipts = read_log(path, self.limits)
        return self.add_log(entries, receipts, log_key=log_key)

    def add_bundle_item(self, item: object, source: str = "trust bundle") -> GovLog:
        """Verify and hold a ``did-logs.json`` item; its ``latest`` becomes the DID's head."""
        if not isinstance(item, dict) or set(item) != _BUNDLE_ITEM:
            raise bad(f"a did-logs.json item is an object with exactly {sorted(_BUNDLE_ITEM)}")
        did, entries, receipts = item["did"], item["log"], item["receipts"]
        if (
            not isinstance(did, str)
            or not isinstance(entries, list)
            or not isinstance(receipts, list)
        ):
            raise bad("did is a string; log and receipts are arrays")
        log = self.add_log(entries, receipts, did=did)
        head = item["latest"]
        try:
            receipt = Receipt.from_json(head["receipt"])
            version_id = head["versionId"]
        except (DidGovError, KeyError, TypeError) as exc:
            raise bad(f"latest is {{versionId, receipt}}: {exc}") from None
        if not isinstance(version_id, str):
            raise bad("latest.versionId is a string")
        self.add_head(LogHead(did, version_id, receipt, source))
        self.freshness(did)  # a bundle whose log is behind its own head is refused now
        return log

    def add_head(self, head: LogHead | Mapping[str, Any], did: str | None = None) -> None:
        """Hold a freshness statement (a bundle's ``{versionId, receipt}`` for ``did``)."""
        if not isinstance(head, LogHead):
            try:
                receipt = Receipt.from_json(head["receipt"])
                version_id = head["versionId"]
            except (DidGovError, KeyError, TypeError) as exc:
                raise bad(f"a log head is {{versionId, receipt}}: {exc}") from None
            if did is None or not isinstance(version_id, str):
                raise bad("a log head names its DID and versionId")
            head = LogHead(did, version_id, receipt)
        with self._lock:
            self._heads[head.did] = head
            for cached in [k for k in self._fresh if k[0] == head.did]:
                del self._fresh[cached]

    def log(self, did: str) -> GovLog:
        """The verified log of ``did`` (fetched once through the fetcher if not held)."""
        broken = self._broken.get(did)
        if broken is not None:
            raise broken
        found = self._logs.get(did)
        if found is not None:
            return found
        parsed = parse_did(did)
        if parsed.method != "gov":
            raise InvalidInputError(f"{did} is not a did:gov DID", code="did.invalid")
        if self.fetcher is None or self.url_template is None:
            raise NetworkDisabledError(
                f"no DID log of {did} is held and no fetcher was given (pass --did-log, a "
                "trust bundle carrying it, or a fetcher)",
            )
        url = self.url_template.format(scid=parsed.method_specific_id)
        log_text = self._fetch(url)
        receipts_text = self._fetch(url + ".receipts.jsonl")
        entries = _lines(log_text, url, self.limits)
        receipts = _lines(receipts_text, url + ".receipts.jsonl", self.limits)
        return self.add_log(entries, receipts, did=did)

    def _fetch(self, url: str) -> str:
        if self.fetcher is None:  # pragma: no cover - checked by the caller
            raise NetworkDisabledError(f"no fetcher to get {url}")
        body = self.fetcher(url)
        if not isinstance(body, bytes | bytearray):
            raise bad(f"the fetcher returned {type(body).__name__}, not bytes", "did.gov_not_found")
        try:
            return bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise bad(f"{url} is not UTF-8") from None

    # -- freshness (§8) ------------------------------------------------------------------

    def freshness(self, did: str) -> Freshness:
        """Judge the held log of ``did`` against the freshness sources (§8).

        Raises ``did.gov_truncated`` or ``did.gov_forked``; returns ``did.fresh`` or
        ``did.freshness_unknown``.
        """
        log = self.log(did)
        key = (did, len(log.versions))
        found = self._fresh.get(key)
        if found is not None:
            return found
        head = self._heads.get(did)
        if head is None:
            verdict = Freshness(
                FRESHNESS_UNKNOWN,
                f"no freshness source for {did}: a later entry may exist (a truncated log) "
                "or a fork; give a trust bundle carrying its latest versionId, or scan the ledger",
            )
        else:
            verdict = _against_head(log, head)
        with self._lock:
            self._fresh[key] = verdict
        return verdict

    def scan(self, did: str, ledger: Any) -> Freshness:
        """Scan the transparency log for ``did`` (§8 source 2) and hold the verdict.

        ``ledger`` is anything with ``size()``, ``checkpoint()`` and ``receipt(index)``
        (a :class:`~did_gov.ledger.LedgerBackend` or a read-only log reader).
        """
        log = self.log(did)
        verdict = _scan(log, ledger, [])
        with self._lock:
            self._fresh[(did, len(log.versions))] = verdict
        return verdict

    # -- resolution (§7) -----------------------------------------------------------------

    def resolve(self, did: str) -> DidDocument:
        """The latest DID document (deactivated when the DID is); raises if the log is unfresh."""
        try:
            log = self.log(did)
            self.freshness(did)
            return log.document()
        except DidGovError:
            raise
        except Exception as exc:  # the seam: a fetcher or plug-in failure becomes ours
            raise bad(
                f"resolving {did} failed: {type(exc).__name__}: {exc}", "did.resolution_failed"
            ) from None

    def _resolve(self, did: Did) -> dict[str, Any]:
        return dict(self.resolve(str(did)).data)

    def resolve_version(
        self,
        did: str,
        *,
        version_id: str | None = None,
        version_time: datetime | None = None,
    ) -> GovResolution:
        """The latest version, the one named ``version_id``, or the one in force at ``version_time``."""
        if version_id is not None and version_time is not None:
            raise InvalidInputError("give a versionId or a versionTime, not both")
        log = self.log(did)
        freshness = self.freshness(did)
        if version_id is not None:
            version = log.version_by_id(version_id)
        elif version_time is not None:
            version = log.version_at_time(version_time)
        else:
            version = log.latest
        return GovResolution(log.document(version), version, log, freshness)

    # -- keys in force (§9) --------------------------------------------------------------

    def method_in_force(
        self,
        vm_url: str,
        purpose: str,
        *,
        receipts: Sequence[Receipt] = (),
        content: bytes | None = None,
        anchor_position: Callable[[NoteVerifier], int | None] | None = None,
        now: datetime | None = None,
    ) -> VerificationMethod:
        """The verification method as in force at the credential's anchor position (§9).

        ``receipts`` are the credential's anchor receipts and ``content`` its anchored
        bytes; the position is the lowest index of a receipt that commits to ``content``
        and verifies under the DID's ``anchorLog``. A caller that verifies the receipts
        itself gives ``anchor_position`` instead: the function of a log's note verifier
        that answers that lowest index (None: no such receipt).
        """
        did = str(parse_did_url(vm_url).did)
        log = self.log(did)
        self.freshness(did)
        if anchor_position is not None:
            position = anchor_position(log.anchor_log)
        else:
            position = _position(log, receipts, content)
        return log.method_in_force(vm_url, purpose, position, now=now)


def _position(log: GovLog, receipts: Sequence[Receipt], content: bytes | None) -> int | None:
    if content is None:
        return None
    found = [
        receipt.index
        for receipt in receipts
        if receipt.origin == log.anchor_log.name
        and receipt.anchor is not None
        and verify_receipt(receipt, log.anchor_log, content=content).ok
    ]
    return min(found, default=None)


def _extends(longer: GovLog, shorter: GovLog) -> bool:
    return len(longer.versions) >= len(shorter.versions) and all(
        a is b or same_entry(a.entry, b)
        for a, b in zip(longer.versions, shorter.versions, strict=False)
    )


def _fork(a: GovLog, b: GovLog) -> GovLogError:
    for left, right in zip(a.versions, b.versions, strict=False):
        if not same_entry(left.entry, right):
            first, second = sorted((left, right), key=lambda v: v.leaf_index)
            return bad(
                f"{a.did} is forked at version {left.number}: {first.version_id} (leaf "
                f"{first.leaf_index}) and {second.version_id} (leaf {second.leaf_index}); "
                "the first anchored wins, and the controller's keys signed two histories",
                "did.gov_forked",
            )
    return bad(f"{a.did}: two copies of its log disagree", "did.gov_forked")


def _against_head(log: GovLog, head: LogHead) -> Freshness:
    """§8 source 1: the log reaches the head's version, with the same entry there."""
    try:
        number, hash_value = split_version_id(head.version_id)
        leaf = _leaf(log.scid, number, hash_value)
    except DidGovError as exc:
        raise bad(f"the {head.source}'s head of {log.did}: {exc.message}") from None
    check = verify_receipt(head.receipt, log.anchor_log, expected_leaf=leaf)
    if not check.ok:
        raise bad(
            f"the {head.source}'s receipt for {head.version_id} does not verify: {check.code}",
            "did.gov_anchor_invalid",
        )
    if log.latest.number < number:
        raise bad(
            f"the log of {log.did} ends at version {log.latest.number}, but the {head.source} "
            f"shows version {number} ({head.version_id}) anchored at leaf {head.receipt.index}: "
            "the history was truncated",
            "did.gov_truncated",
        )
    mine = log.versions[number - 1]
    if mine.version_id != head.version_id:
        raise bad(
            f"{log.did} version {number} is {mine.version_id} (leaf {mine.leaf_index}) here but "
            f"{head.version_id} (leaf {head.receipt.index}) in the {head.source}: a forked history",
            "did.gov_forked",
        )
    return Freshness(FRESH, f"version {number} is the latest in the {head.source}")


def _scan(log: GovLog, ledger: Any, copies: Sequence[GovLog]) -> Freshness:
    """§8 source 2: every entry is in the ledger now, and no held copy's later leaf follows."""
    size = ledger.size()
    note = ledger.checkpoint()
    for version in log.versions:
        if version.leaf_index >= size:
            raise bad(f"leaf {version.leaf_index} is beyond the ledger", "did.gov_anchor_invalid")
        fresh = ledger.receipt(version.leaf_index, note)
        if fresh.leaf != version.receipt.leaf:
            raise bad(
                f"the ledger holds another leaf at {version.leaf_index} than version "
                f"{version.number}'s: the receipts are of another log",
                "did.gov_forked",
            )
    later = {
        entry_leaf(log.scid, v.number, v.entry_hash): v
        for copy in copies
        for v in copy.versions
        if v.number > log.latest.number
    }
    for index in range(log.latest.leaf_index + 1, size):
        successor = later.get(ledger.receipt(index, note).leaf)
        if successor is not None:
            raise bad(
                f"the ledger holds version {successor.number} of {log.did} at leaf {index}: "
                "the history was truncated",
                "did.gov_truncated",
            )
    return Freshness(
        FRESH,
        f"scanned {ledger.origin if hasattr(ledger, 'origin') else 'the ledger'} to size {size}",
    )
