"""The audit trail: who issued, revoked, suspended and reinstated what, anchored in the log.

A record names the time, the actor (``token:<name>``, ``oauth:<issuer>#<client>``,
``no-auth``, ``exchange:<workflow>``), the action, SHA-256 of the credential id (hex; never
a claim, never the id itself) and a short detail (issuer, format or list). Records are
written with the change they describe; every ``audit_interval`` seconds the records this
instance wrote are anchored as one salted leaf (kind ``document``) whose content is their
JSON lines, and the receipt is kept beside them (``audit_anchors``), so anyone holding the
log's key can check later that the trail was not rewritten.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from did_gov._log import LEDGER
from did_gov._time import utc_now
from did_gov.service._state import ServiceState

__all__ = ["Auditor", "exchange_issue", "record_line", "subject_of"]

_MAX_BATCH = 1000


def subject_of(credential_id: object) -> str:
    """The hashed credential id the trail keeps (empty for a credential without an id)."""
    if not isinstance(credential_id, str) or not credential_id:
        return ""
    return hashlib.sha256(credential_id.encode("utf-8", "surrogatepass")).hexdigest()


def record_line(seq: int, at: str, actor: str, action: str, subject: str, detail: str) -> bytes:
    """One record as the anchored JSON line (sorted keys, compact)."""
    record = {"seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
              "detail": detail}  # fmt: skip
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


class Auditor:
    """Writes audit records and anchors this instance's pending ones in batches."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._pending: list[tuple[int, bytes]] = []
        self._lock = threading.Lock()
        self._anchoring = threading.Lock()

    def record(self, actor: str, action: str, credential_id: object, detail: str) -> int:
        """Write one record; it is anchored with the next batch."""
        at = utc_now().isoformat().replace("+00:00", "Z")
        subject = subject_of(credential_id)
        seq = self.state.store().add_audit(at, actor, action, subject, detail)
        with self._lock:
            self._pending.append((seq, record_line(seq, at, actor, action, subject, detail)))
        return seq

    def anchor_pending(self) -> int | None:
        """Anchor the pending records as one leaf; return its index (None: nothing pending).

        Records whose anchoring fails stay pending and are tried again with the next batch.
        """
        with self._anchoring:
            with self._lock:
                batch, self._pending = self._pending[:_MAX_BATCH], self._pending[_MAX_BATCH:]
            if not batch:
                return None
            content = b"".join(line for _, line in batch)
            try:
                [receipt] = self.state.ledger().anchor("document", [content])
                text = json.dumps(receipt.to_json(), separators=(",", ":"))
                self.state.store().anchor_audit([s for s, _ in batch], receipt.index, text)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise
            LEDGER.info("anchored %d audit record(s) at leaf %d", len(batch), receipt.index)
            return receipt.index

    @property
    def pending(self) -> int:
        """How many records wait for anchoring."""
        with self._lock:
            return len(self._pending)


def exchange_issue(workflow: str, credential: object) -> tuple[object, str]:
    """The credential id and detail of the ``issue`` record of an approved exchange.

    ``credential`` is as the workflow issued it: an object (Data Integrity), a ``vc+jwt``
    (its payload's ``id``) or an SD-JWT VC (its ``jti``); the detail names the workflow and
    the format.
    """
    if isinstance(credential, dict):
        return credential.get("id"), f"workflow={workflow} format=di"
    if not isinstance(credential, str):
        return None, f"workflow={workflow} format=unknown"
    from did_gov.errors import DidGovError
    from did_gov.proofs.jose import decode_unverified  # the token this service just signed

    sd_jwt = "~" in credential
    try:
        payload = decode_unverified(credential.split("~", 1)[0]).payload
    except DidGovError:
        payload = {}
    found = payload.get("jti" if sd_jwt else "id") if isinstance(payload, dict) else None
    return found, f"workflow={workflow} format={'sd-jwt' if sd_jwt else 'vc-jwt'}"


def issued_detail(issuer: str, format: str, extra: dict[str, Any] | None = None) -> str:
    """The detail of an ``issue`` record: the issuer's name and the format."""
    detail = f"issuer={issuer} format={format}"
    if extra:
        detail += "".join(f" {k}={v}" for k, v in sorted(extra.items()))
    return detail
