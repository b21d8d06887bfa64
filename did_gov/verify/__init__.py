"""The :class:`Verifier` and the :class:`VerificationReport` it returns.

A verifier composes the securing mechanisms, DID resolution, validity dates and
holder binding. It never raises for an invalid credential and never touches the
network unless its resolver was given a fetcher.
"""

from did_gov.proofs._result import Check
from did_gov.verify._anchor import (
    ANCHORED_CREDENTIAL,
    ANCHORED_PRESENTATION,
    AnchoredDocument,
    anchored_content,
    attach_receipts,
    open_anchored,
)
from did_gov.verify._anchor_check import LogKeys
from did_gov.verify._policy import UnknownStatus, VerificationPolicy
from did_gov.verify._report import VerificationReport
from did_gov.verify._verifier import Verifier

__all__ = [
    "ANCHORED_CREDENTIAL",
    "ANCHORED_PRESENTATION",
    "AnchoredDocument",
    "Check",
    "LogKeys",
    "UnknownStatus",
    "VerificationPolicy",
    "VerificationReport",
    "Verifier",
    "anchored_content",
    "attach_receipts",
    "open_anchored",
]
