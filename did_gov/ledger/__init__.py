"""The transparency ledger: RFC 9162 Merkle logs, C2SP signed checkpoints, receipts, backends.

Only 32-byte hashes reach a ledger. :func:`anchor_leaf` binds a document's kind and a
secret salt into its leaf, so the log reveals nothing; the holder keeps the salt in the
:class:`Receipt`, which anyone verifies offline with the log's key
(``specs/anchor-receipt.md``).

>>> from did_gov.keys import PrivateKey
>>> from did_gov.ledger import open_ledger, verify_receipt
>>> log = open_ledger("memory:", log_key=PrivateKey.generate(), origin="did-gov.example/log/a")
>>> [receipt] = log.anchor("credential", [b'{"id": "urn:uuid:1"}'])
>>> check = verify_receipt(receipt.to_json(), log.verifier.vkey, content=b'{"id": "urn:uuid:1"}')
>>> check.ok, check.code
(True, 'receipt.valid')
"""

from did_gov.ledger._audit import AuditResult, audit
from did_gov.ledger._backend import MAX_BATCH, AppendedBatch, BaseLedger, LedgerBackend
from did_gov.ledger._leaf import AnchorKind, anchor_leaf, new_salt
from did_gov.ledger._receipt import (
    AnchorOpening,
    ChainTransaction,
    Receipt,
    ReceiptCheck,
    verify_receipt,
)
from did_gov.ledger._url import open_ledger, register_backend
from did_gov.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    OpenedCheckpoint,
    OpenedNote,
    add_signatures,
    open_checkpoint,
    open_note,
    sign_note,
)

__all__ = [
    "MAX_BATCH",
    "AnchorKind",
    "AnchorOpening",
    "AppendedBatch",
    "AuditResult",
    "BaseLedger",
    "ChainTransaction",
    "Checkpoint",
    "LedgerBackend",
    "NoteSigner",
    "NoteVerifier",
    "OpenedCheckpoint",
    "OpenedNote",
    "Receipt",
    "ReceiptCheck",
    "add_signatures",
    "anchor_leaf",
    "audit",
    "new_salt",
    "open_checkpoint",
    "open_ledger",
    "open_note",
    "register_backend",
    "sign_note",
    "verify_receipt",
]
