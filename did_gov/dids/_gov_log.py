"""Verifying a did:gov DID log (``specs/did-gov-method.md`` §4–§6) into a :class:`GovLog` value.

Verification is incremental: :func:`verify_log` given the :class:`GovLog` of a prefix
verifies only the appended entries. Every failure is a :class:`~did_gov.errors.GovLogError`
with the code of the rule it broke.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import hmac
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from did_gov.dids._document import DidDocument, VerificationMethod
from did_gov.dids._gov_entry import (
    Params,
    apply_params,
    bad,
    check_entry_shape,
    check_scid,
    entry_bodies,
    entry_digest,
    entry_hash,
    first_params,
    gov_hash,
    leaf_of_digest,
    parse_time,
    proof_signer,
    split_version_id,
    verify_entry_proof,
)
from did_gov.dids._methods import resolve_verification_method
from did_gov.errors import DidGovError, VerificationMethodError
from did_gov.ledger import NoteVerifier, Receipt, verify_receipt

__all__ = ["GovLog", "GovVersion", "check_entry", "check_anchor", "verify_log"]


@dataclass(frozen=True)
class GovVersion:
    """One verified version of a did:gov DID: its entry, active parameters and anchor."""

    number: int
    version_id: str
    entry_hash: str
    version_time: datetime
    params: Params
    entry: Mapping[str, Any] = field(repr=False)
    receipt: Receipt = field(repr=False)
    anchored_time: datetime
    anchored_size: int
    """The tree size of the checkpoint the receipt is under (§5 rule 5)."""

    @property
    def leaf_index(self) -> int:
        """The entry's position in the transparency log."""
        return self.receipt.index

    @property
    def state(self) -> Mapping[str, Any]:
        """The DID document of this version."""
        state: Mapping[str, Any] = self.entry["state"]
        return state


_MAX_METHODS = 256
"""Most verification methods a log remembers as judged (keyed by URL, purpose and version)."""


class _Fixed:
    """A resolver that answers one document (to reuse the generic method checks)."""

    def __init__(self, document: DidDocument) -> None:
        self.document = document

    def resolve(self, did: str) -> DidDocument:
        return self.document


@dataclass(frozen=True)
class GovLog:
    """A verified did:gov DID log: its versions in order, anchored under ``anchor_log``."""

    did: str
    scid: str
    anchor_log: NoteVerifier
    versions: tuple[GovVersion, ...]
    _documents: dict[int, DidDocument] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _methods: dict[tuple[str, str, int], VerificationMethod] = field(
        default_factory=dict, repr=False, compare=False
    )

    # Leaf indexes and anchored times increase with the version (§5 rule 2, checkpoint
    # times): kept once, at the first lookup, so that a position or a time is found by
    # bisection (the log is a value: they cannot go stale).
    @functools.cached_property
    def _indexes(self) -> tuple[int, ...]:
        return tuple(v.leaf_index for v in self.versions)

    @functools.cached_property
    def _times(self) -> tuple[datetime, ...]:
        return tuple(v.anchored_time for v in self.versions)

    @property
    def latest(self) -> GovVersion:
        """The last version."""
        return self.versions[-1]

    def document(self, version: GovVersion | None = None) -> DidDocument:
        """The validated DID document of ``version`` (the latest by default), parsed once."""
        version = version or self.latest
        found = self._documents.get(version.number)
        if found is None:
            found = DidDocument.from_json(
                dict(version.state), self.did, deactivated=version.params.deactivated
            )
            with self._lock:
                self._documents[version.number] = found
        return found

    def version_by_id(self, version_id: str) -> GovVersion:
        """The version whose ``versionId`` is ``version_id`` (``did.gov_version_not_found``)."""
        try:
            number, _ = split_version_id(version_id)
        except DidGovError:
            number = 0
        if 1 <= number <= len(self.versions):
            version = self.versions[number - 1]
            if version.version_id == version_id:
                return version
        raise bad(f"{self.did} has no version {version_id}", "did.gov_version_not_found")

    def version_at_time(self, moment: datetime) -> GovVersion:
        """The version in force at anchored time ``moment``: the last anchored no later (§7)."""
        at = bisect.bisect_right(self._times, moment)
        if at == 0:
            raise bad(
                f"{self.did} was not anchored yet at {moment.isoformat()}",
                "did.gov_version_not_found",
            )
        return self.versions[at - 1]

    def version_at_position(self, position: int) -> GovVersion | None:
        """The version in force at leaf index ``position``: the last entry anchored before it."""
        at = bisect.bisect_left(self._indexes, position)
        return self.versions[at - 1] if at else None

    def _has_method(self, version: GovVersion, vm_id: str) -> bool:
        try:
            self.document(version).verification_method(vm_id)
        except DidGovError:
            return False
        return True

    def removal_of(self, vm_id: str, upto: GovVersion) -> GovVersion | None:
        """The version (at or before ``upto``) that removed ``vm_id`` after it was listed, if any."""
        listed = False
        removed: GovVersion | None = None
        for version in self.versions[: upto.number]:
            present = self._has_method(version, vm_id)
            if present:
                listed, removed = True, None
            elif listed and removed is None:
                removed = version
        return removed

    def method_in_force(
        self,
        vm_url: str,
        purpose: str,
        position: int | None,
        *,
        now: datetime | None = None,
    ) -> VerificationMethod:
        """The verification method ``vm_url`` as in force at leaf index ``position`` (§9).

        ``position`` is the credential's anchor position in this DID's log (None: the
        latest version is in force). Raises ``did.gov_key_removed``,
        ``did.gov_deactivated``, ``did.gov_key_not_in_force`` or the generic method codes.
        """
        version = self.latest if position is None else self.version_at_position(position)
        if version is None:
            raise VerificationMethodError(
                f"the credential was anchored (leaf {position}) before {self.did} existed",
                code="did.gov_key_not_in_force",
            )
        where = "now" if position is None else f"at its anchor position (leaf {position})"
        if version.params.deactivated:
            raise VerificationMethodError(
                f"{self.did} was deactivated by version {version.number} "
                f"(leaf {version.leaf_index}); the credential is not anchored before it",
                code="did.gov_deactivated",
            )
        remembered = self._methods.get((vm_url, purpose, version.number))
        if remembered is not None:
            return remembered
        document = self.document(version)
        if not self._has_method(version, vm_url):
            removal = self.removal_of(vm_url, version)
            if removal is not None:
                raise VerificationMethodError(
                    f"{vm_url} was removed by version {removal.number} (leaf "
                    f"{removal.leaf_index}); the credential is not anchored before the removal",
                    code="did.gov_key_removed",
                )
            if any(self._has_method(v, vm_url) for v in self.versions):
                raise VerificationMethodError(
                    f"{vm_url} was not in force {where}", code="did.gov_key_not_in_force"
                )
        method = resolve_verification_method(_Fixed(document), vm_url, purpose=purpose, now=now)
        if not method.dated:
            # A function of the version alone (an undated method): judged once per version.
            with self._lock:
                if len(self._methods) >= _MAX_METHODS:
                    self._methods.clear()
                self._methods[(vm_url, purpose, version.number)] = method
        return method

    def entries(self) -> list[dict[str, Any]]:
        """The log's entries, as JSON objects."""
        return [dict(v.entry) for v in self.versions]

    def receipts(self) -> list[dict[str, Any]]:
        """The entries' receipts, as JSON objects (the receipts file's lines)."""
        return [v.receipt.to_json() for v in self.versions]


def _state(did: str, state: Mapping[str, Any]) -> None:
    try:
        document = DidDocument.from_json(dict(state), did)
        methods = document.verification_methods()
    except DidGovError as exc:
        raise bad(f"state is not a DID document of {did}: {exc.message}") from None
    for method in methods:
        if method.controller != did:
            raise bad(f"{method.id} is controlled by {method.controller}, not by {did}")


@dataclass(frozen=True)
class Checked:
    """An entry that passed §6 step 3 (everything but its anchor)."""

    number: int
    version_id: str
    entry_hash: str
    version_time: datetime
    params: Params
    entry: dict[str, Any]
    digest: bytes = field(repr=False)
    """The SHA-256 digest inside ``entry_hash``."""


def check_entry(
    raw: object, previous: GovVersion | Checked | None, did: str | None = None
) -> Checked:
    """§6 steps 1–3 for one entry after ``previous`` (None: entry 1, whose SCID is checked)."""
    entry = check_entry_shape(raw)
    number, claimed = split_version_id(entry["versionId"])
    version_time = parse_time(entry["versionTime"])
    if previous is None:
        params = first_params(entry["parameters"])
        if not check_scid(entry, params.scid):
            raise bad("entry 1 does not derive its SCID", "did.gov_scid_mismatch")
        if did is not None and did != f"did:gov:{params.scid}":
            raise bad(f"the log is of did:gov:{params.scid}, not {did}", "did.gov_scid_mismatch")
        expected, before = 1, params.scid
    else:
        if previous.params.deactivated:
            raise bad("an entry follows the deactivation", "did.gov_deactivated")
        params = apply_params(previous.params, entry["parameters"])
        expected, before = previous.number + 1, previous.version_id
    if number != expected:
        raise bad(f"entry {expected} has versionId {entry['versionId']}", "did.gov_version_invalid")
    bodies = entry_bodies(entry, before)
    digest = hashlib.sha256(bodies.hashed).digest()
    if not hmac.compare_digest(digest, entry_digest(claimed)):
        raise bad(
            f"entry {number}'s hash is {entry_hash(entry, before)}, not the {claimed} of its "
            "versionId: the entry was altered",
            "did.gov_hash_chain_broken",
        )
    if previous is not None and version_time < previous.version_time:
        raise bad(f"entry {number}'s versionTime goes back in time", "did.gov_version_time_invalid")
    _authorize(entry, number, params, previous, bodies.signed)
    _state(f"did:gov:{params.scid}", entry["state"])
    return Checked(number, entry["versionId"], claimed, version_time, params, entry, digest)


def _authorize(
    entry: dict[str, Any],
    number: int,
    params: Params,
    previous: GovVersion | Checked | None,
    body: bytes | None = None,
) -> None:
    """§4.4: the signing key is authorized, pre-rotation kept, and the signature verifies."""
    signer, key = proof_signer(entry)
    changes = entry["parameters"]
    if previous is None:
        allowed = params.update_keys
    elif previous.params.prerotation:
        if "updateKeys" not in changes or "nextKeyHashes" not in changes:
            raise bad(
                f"entry {number}: with pre-rotation on, an entry sets updateKeys and nextKeyHashes",
                "did.gov_prerotation_violated",
            )
        committed = set(previous.params.next_key_hashes)
        for new_key in params.update_keys:
            if gov_hash(new_key.encode("ascii")) not in committed:
                raise bad(
                    f"entry {number}: update key {new_key} was not committed to in nextKeyHashes",
                    "did.gov_prerotation_violated",
                )
        allowed = params.update_keys
    else:
        allowed = previous.params.update_keys
    if signer not in allowed:
        raise bad(
            f"entry {number} is signed by {signer}, not an authorized update key",
            "did.gov_update_unauthorized",
        )
    if not verify_entry_proof(entry, key, body):
        raise bad(f"entry {number}'s proof does not verify", "did.gov_proof_invalid")


def check_anchor(
    checked: Checked, receipt_value: object, verifier: NoteVerifier, previous: GovVersion | None
) -> GovVersion:
    """§5: the entry's receipt verifies with its leaf, in order, and bounds versionTime."""
    try:
        receipt = (
            receipt_value
            if isinstance(receipt_value, Receipt)
            else Receipt.from_json(receipt_value)  # type: ignore[arg-type]
        )
    except DidGovError as exc:
        raise bad(
            f"entry {checked.number}'s receipt: {exc.message}", "did.gov_anchor_invalid"
        ) from None
    leaf = leaf_of_digest(checked.params.scid, checked.number, checked.digest)
    result = verify_receipt(receipt, verifier, expected_leaf=leaf)
    if not result.ok or result.checkpoint is None:
        raise bad(
            f"entry {checked.number} is not anchored in {verifier.name}: {result.code} "
            f"({result.message})",
            "did.gov_anchor_invalid",
        )
    anchored = result.checkpoint.time
    if anchored is None:
        raise bad(f"entry {checked.number}'s checkpoint states no time", "did.gov_anchor_invalid")
    if previous is not None and receipt.index <= previous.leaf_index:
        raise bad(
            f"entry {checked.number} is anchored at leaf {receipt.index}, not after entry "
            f"{previous.number} (leaf {previous.leaf_index})",
            "did.gov_anchor_order",
        )
    if previous is not None:
        _check_order(checked.number, previous, receipt, anchored)
    if checked.version_time > anchored:
        raise bad(
            f"entry {checked.number} claims versionTime {checked.entry['versionTime']}, later "
            f"than its anchored time {anchored.isoformat()}",
            "did.gov_version_time_invalid",
        )
    return GovVersion(
        checked.number,
        checked.version_id,
        checked.entry_hash,
        checked.version_time,
        checked.params,
        checked.entry,
        receipt,
        anchored,
        result.checkpoint.size,
    )


def _check_order(number: int, previous: GovVersion, receipt: Receipt, anchored: datetime) -> None:
    """§5 rule 5: anchored times never go back, and no receipt is a late one.

    The log's time is monotonic, so a later leaf is never under an earlier time. And entry
    *n* is appended only after entry *n − 1*'s receipt was issued, so that receipt's
    checkpoint cannot already hold entry *n*'s leaf. A receipt moved onto a later checkpoint
    (still a valid inclusion proof) would otherwise move the entry's anchored time, and with
    it ``versionTime`` resolution and the bound on ``versionTime``.
    """
    if anchored < previous.anchored_time:
        raise bad(
            f"entry {number} is anchored at {anchored.isoformat()}, before entry "
            f"{previous.number} ({previous.anchored_time.isoformat()}): the log's time went back",
            "did.gov_anchor_order",
        )
    if previous.anchored_size > receipt.index:
        raise bad(
            f"entry {previous.number}'s receipt is under a checkpoint of size "
            f"{previous.anchored_size} that already holds entry {number} (leaf {receipt.index}): "
            "a receipt moved onto a later checkpoint than its own append's",
            "did.gov_anchor_order",
        )


def anchor_verifier(anchor_log: str, given: NoteVerifier | str | None) -> NoteVerifier:
    """The DID's ``anchorLog`` as a verifier; a ``given`` log key must be that same key."""
    try:
        verifier = NoteVerifier.from_vkey(anchor_log)
    except DidGovError as exc:
        raise bad(f"anchorLog is not a note verifier key: {exc.message}") from None
    if given is not None:
        other = given if isinstance(given, NoteVerifier) else NoteVerifier.from_vkey(given)
        if other != verifier:
            raise bad(
                f"the log key given ({other.name}) is not the DID's anchorLog ({verifier.name})",
                "did.gov_anchor_invalid",
            )
    return verifier


def verify_log(
    entries: Sequence[object],
    receipts: Sequence[object],
    *,
    did: str | None = None,
    log_key: NoteVerifier | str | None = None,
    previous: GovLog | None = None,
) -> GovLog:
    """Verify a DID log and its receipts (§6); with ``previous``, only the entries after it.

    ``previous`` counts only when its entries are exactly the first entries given; the
    receipts of those entries are then the verified ones already held.
    """
    if not entries:
        raise bad("a DID log has at least one entry", "did.gov_entry_malformed")
    if len(receipts) < len(entries):
        raise bad(
            f"{len(entries)} entries but {len(receipts)} receipts: entry "
            f"{len(receipts) + 1} is not anchored",
            "did.gov_anchor_missing",
        )
    versions: list[GovVersion] = []
    verifier: NoteVerifier | None = None
    if previous is not None and _extends(previous, entries):
        versions = list(previous.versions)
        verifier = anchor_verifier(previous.latest.params.anchor_log, log_key)
    last: GovVersion | None = versions[-1] if versions else None
    for index in range(len(versions), len(entries)):
        checked = check_entry(entries[index], last, did)
        if verifier is None:
            verifier = anchor_verifier(checked.params.anchor_log, log_key)
        last = check_anchor(checked, receipts[index], verifier, last)
        versions.append(last)
    if verifier is None or last is None:  # pragma: no cover - entries is not empty
        raise bad("a DID log has at least one entry")
    scid = last.params.scid
    return GovLog(f"did:gov:{scid}", scid, verifier, tuple(versions))


def same_entry(entry: object, version: GovVersion) -> bool:
    """Whether ``entry`` is ``version``'s entry: equal versionId (which hashes all but the
    proof) and equal proof. Cheaper than deep equality of the whole entry."""
    return (
        isinstance(entry, dict)
        and entry.get("versionId") == version.version_id
        and entry.get("proof") == version.entry["proof"]
    )


def _extends(previous: GovLog, entries: Sequence[object]) -> bool:
    """Whether ``entries`` start with the held log: its last entry is there, unchanged.

    Each versionId hashes the previous one, so an equal last versionId means an equal
    prefix (all but proofs, and the held, verified entries are the ones kept).
    """
    held = previous.versions
    return len(entries) >= len(held) and same_entry(entries[len(held) - 1], held[-1])
