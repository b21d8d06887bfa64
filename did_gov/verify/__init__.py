"""The :class:`Verifier` and the :class:`VerificationReport` it returns.

A verifier composes the securing mechanisms, DID resolution, validity dates and
holder binding. It never raises for an invalid credential and never touches the
network unless its resolver was given a fetcher.
"""

from did_gov.proofs._result import Check
from did_gov.verify._report import VerificationReport
from did_gov.verify._verifier import VerificationPolicy, Verifier

__all__ = ["Check", "VerificationPolicy", "VerificationReport", "Verifier"]
