"""The Verifier's anchor step: do a credential's receipts hold, under logs the verifier trusts?

``specs/anchor-receipt.md`` §7.3. Receipts are matched to credentials by recomputing each
receipt's leaf from a credential's anchored bytes (so a receipt can only vouch for what it
commits to), then verified offline with the trusted key of the receipt's log. An
:class:`Anchoring` holds that work for one document, so the steps that read it share it.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from did_gov.errors import DidGovError, InvalidInputError
from did_gov.ledger import AnchorKind, NoteVerifier, Receipt, ReceiptCheck, verify_receipt
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.verify._anchor import anchored_content

__all__ = ["Anchoring", "Anchors", "LogKeys", "anchor_check", "anchored_time", "unmatched_check"]


class LogKeys:
    """The transparency logs a verifier trusts: note verifier keys, grouped by log origin.

    >>> LogKeys([]).origins()
    []
    """

    def __init__(self, keys: Iterable[NoteVerifier | str] = ()) -> None:
        if isinstance(keys, str | NoteVerifier):
            keys = [keys]
        self._by_origin: dict[str, list[NoteVerifier]] = {}
        for key in keys:
            if isinstance(key, str):
                key = NoteVerifier.from_vkey(key)
            if not isinstance(key, NoteVerifier):
                raise InvalidInputError(
                    "log keys are NoteVerifiers or vkey strings", code="anchor.log_key_invalid"
                )
            self._by_origin.setdefault(key.name, []).append(key)

    def origins(self) -> list[str]:
        """The origins of the trusted logs, sorted."""
        return sorted(self._by_origin)

    def get(self, origin: str) -> Sequence[NoteVerifier]:
        """The trusted keys of the log ``origin`` (empty when it is not trusted)."""
        return self._by_origin.get(origin, ())


class Anchoring:
    """One document's anchored bytes and its receipts, each receipt verified once per log key.

    Three steps read them (``specs/verification.md``): step 3 (a did:gov key is judged at
    the document's anchor position, did-gov-method §9), step 10 (the anchored time the
    trust policy judges at) and step 11 (the ``anchor`` check). The bytes are computed,
    matched to the receipts, and each receipt verified under a key, at most once for the
    three. One instance serves one verification (not shared between threads).
    """

    __slots__ = ("_checks", "_committing", "_content", "document", "receipts")

    def __init__(self, document: Mapping[str, Any] | str, receipts: Sequence[Receipt]) -> None:
        self.document = document
        self.receipts = receipts
        self._content: tuple[AnchorKind, bytes] | DidGovError | None = None
        self._committing: tuple[int, ...] | None = None
        self._checks: dict[tuple[int, NoteVerifier], ReceiptCheck] = {}

    def content(self) -> tuple[AnchorKind, bytes]:
        """The anchored kind and bytes (anchor-receipt §7.1); raises ``anchor.content_invalid``."""
        found = self._content
        if found is None:
            try:
                found = anchored_content(self.document)
            except DidGovError as exc:
                found = exc
            self._content = found
        if isinstance(found, DidGovError):
            raise found
        return found

    def committing(self) -> tuple[int, ...]:
        """The positions of the receipts whose leaf opens to the anchored bytes (none if unreadable)."""
        if self._committing is None:
            if not self.receipts:
                self._committing = ()
            else:
                try:
                    content = self.content()[1]
                except DidGovError:
                    content = None
                self._committing = (
                    ()
                    if content is None
                    else tuple(
                        i for i, receipt in enumerate(self.receipts) if _matches(receipt, content)
                    )
                )
        return self._committing

    def check(self, i: int, verifier: NoteVerifier) -> ReceiptCheck:
        """Receipt ``i`` verified (anchor-receipt §4) under ``verifier``, with the anchored bytes."""
        key = (i, verifier)
        found = self._checks.get(key)
        if found is None:
            found = verify_receipt(self.receipts[i], verifier, content=self.content()[1])
            self._checks[key] = found
        return found

    def position(self, verifier: NoteVerifier) -> int | None:
        """The lowest leaf index of a committing receipt that verifies under ``verifier``'s log."""
        found = [
            self.receipts[i].index
            for i in self.committing()
            if self.receipts[i].origin == verifier.name and self.check(i, verifier).ok
        ]
        return min(found, default=None)


class Anchors:
    """The receipts given with one verification and the :class:`Anchoring` of each document."""

    __slots__ = ("_of", "receipts")

    def __init__(self, receipts: Sequence[Receipt]) -> None:
        self.receipts = receipts
        self._of: dict[int, Anchoring] = {}

    def of(self, document: Mapping[str, Any] | str) -> Anchoring:
        """The anchoring of ``document`` (the same object: the same anchoring)."""
        found = self._of.get(id(document))
        if found is None or found.document is not document:
            found = Anchoring(document, self.receipts)
            self._of[id(document)] = found
        return found


def _matches(receipt: Receipt, content: bytes) -> bool:
    opening = receipt.anchor
    return opening is not None and hmac.compare_digest(opening.leaf_for(content), receipt.leaf)


def _verify_one(anchoring: Anchoring, i: int, keys: LogKeys) -> Check:
    receipt = anchoring.receipts[i]
    verifiers = keys.get(receipt.origin)
    if not verifiers:
        return unknown(
            "anchor", "anchor.log_untrusted", f"the log {receipt.origin} is not a trusted log"
        )
    results = [anchoring.check(i, verifier) for verifier in verifiers]
    for result in results:
        if result.ok:
            return ok("anchor", result.message)
    first = results[0]
    return fail("anchor", first.code, f"receipt of {receipt.origin}: {first.message}")


def anchor_check(
    anchoring: Anchoring, keys: LogKeys, *, required: bool
) -> tuple[Check | None, set[int]]:
    """The ``anchor`` check of one credential and the positions of the receipts it used.

    Every receipt that commits to the credential must verify; with none, the check fails
    (``anchor.required``) only when ``required``, else there is no check (None).
    """
    try:
        kind = anchoring.content()[0]
    except DidGovError as exc:
        return fail("anchor", "anchor.content_invalid", exc.message), set()
    used = set(anchoring.committing())
    if not used:
        if not required:
            return None, used
        return fail(
            "anchor", "anchor.required", "the policy requires an anchor receipt for it, none given"
        ), used
    messages = []
    for i in sorted(used):
        receipt = anchoring.receipts[i]
        anchored_kind = receipt.anchor.kind if receipt.anchor is not None else None
        if anchored_kind is not kind:
            return fail(
                "anchor",
                "anchor.kind_mismatch",
                f"the receipt anchors a {anchored_kind}, not a {kind.value}",
            ), used
        check = _verify_one(anchoring, i, keys)
        if not check.ok:
            return check, used
        messages.append(check.message)
    return ok("anchor", "anchored: " + "; ".join(messages)), used


def anchored_time(anchoring: Anchoring, keys: LogKeys) -> datetime | None:
    """The earliest checkpoint time a verified receipt proves for the document (trust step).

    Only receipts that commit to the document with its kind and verify under a trusted
    log count; a checkpoint without a ``time`` line proves no time (anchor-receipt §3.1).
    """
    committing = anchoring.committing()
    if not committing:
        return None
    kind = anchoring.content()[0]
    times = []
    for i in committing:
        receipt = anchoring.receipts[i]
        if receipt.anchor is None or receipt.anchor.kind is not kind:
            continue
        for verifier in keys.get(receipt.origin):
            result = anchoring.check(i, verifier)
            if result.ok and result.checkpoint is not None and result.checkpoint.time is not None:
                times.append(result.checkpoint.time)
                break
    return min(times, default=None)


def unmatched_check(receipts: Sequence[Receipt], used: set[int]) -> Check | None:
    """A failed check for receipts that commit to none of the credentials, if any."""
    left = [i for i in range(len(receipts)) if i not in used]
    if not left:
        return None
    return fail(
        "anchor",
        "anchor.receipt_unmatched",
        f"receipt(s) {left} commit to none of the credentials given",
    )
