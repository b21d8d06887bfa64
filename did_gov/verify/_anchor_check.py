"""The Verifier's anchor step: do a credential's receipts hold, under logs the verifier trusts?

``specs/anchor-receipt.md`` §7.3. Receipts are matched to credentials by recomputing each
receipt's leaf from a credential's anchored bytes (so a receipt can only vouch for what it
commits to), then verified offline with the trusted key of the receipt's log.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from did_gov.errors import DidGovError, InvalidInputError
from did_gov.ledger import NoteVerifier, Receipt, verify_receipt
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.verify._anchor import anchored_content

__all__ = ["LogKeys", "anchor_check", "unmatched_check"]


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


def _matches(receipt: Receipt, content: bytes) -> bool:
    opening = receipt.anchor
    return opening is not None and hmac.compare_digest(opening.leaf_for(content), receipt.leaf)


def _verify_one(receipt: Receipt, content: bytes, keys: LogKeys) -> Check:
    verifiers = keys.get(receipt.origin)
    if not verifiers:
        return unknown(
            "anchor", "anchor.log_untrusted", f"the log {receipt.origin} is not a trusted log"
        )
    results = [verify_receipt(receipt, verifier, content=content) for verifier in verifiers]
    for result in results:
        if result.ok:
            return ok("anchor", result.message)
    first = results[0]
    return fail("anchor", first.code, f"receipt of {receipt.origin}: {first.message}")


def anchor_check(
    document: Mapping[str, Any] | str,
    receipts: Sequence[Receipt],
    keys: LogKeys,
    *,
    required: bool,
) -> tuple[Check | None, set[int]]:
    """The ``anchor`` check of one credential and the positions of the receipts it used.

    Every receipt that commits to the credential must verify; with none, the check fails
    (``anchor.required``) only when ``required``, else there is no check (None).
    """
    try:
        kind, content = anchored_content(document)
    except DidGovError as exc:
        return fail("anchor", "anchor.content_invalid", exc.message), set()
    used = {i for i, receipt in enumerate(receipts) if _matches(receipt, content)}
    if not used:
        if not required:
            return None, used
        return fail(
            "anchor", "anchor.required", "the policy requires an anchor receipt for it, none given"
        ), used
    messages = []
    for i in sorted(used):
        receipt = receipts[i]
        anchored_kind = receipt.anchor.kind if receipt.anchor is not None else None
        if anchored_kind is not kind:
            return fail(
                "anchor",
                "anchor.kind_mismatch",
                f"the receipt anchors a {anchored_kind}, not a {kind.value}",
            ), used
        check = _verify_one(receipt, content, keys)
        if not check.ok:
            return check, used
        messages.append(check.message)
    return ok("anchor", "anchored: " + "; ".join(messages)), used


def anchored_time(
    document: Mapping[str, Any] | str, receipts: Sequence[Receipt], keys: LogKeys
) -> datetime | None:
    """The earliest checkpoint time a verified receipt proves for ``document`` (trust step).

    Only receipts that commit to the document with its kind and verify under a trusted
    log count; a checkpoint without a ``time`` line proves no time (anchor-receipt §3.1).
    """
    if not receipts:
        return None
    try:
        kind, content = anchored_content(document)
    except DidGovError:
        return None
    times = []
    for receipt in receipts:
        if (
            not _matches(receipt, content)
            or receipt.anchor is None
            or receipt.anchor.kind is not kind
        ):
            continue
        for verifier in keys.get(receipt.origin):
            result = verify_receipt(receipt, verifier, content=content)
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
