"""The Verifier: composes proofs, DID resolution, validity and holder binding into one report."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from did_gov._json import parse_json
from did_gov.credentials import (
    credential_problems,
    parse_datetime,
    presentation_problems,
    utc_now,
)
from did_gov.dids import DefaultResolver, Resolver, VerificationMethod, resolve_verification_method
from did_gov.errors import DidGovError, InvalidInputError, VerificationMethodError
from did_gov.jsonld import OfflineDocumentLoader
from did_gov.keys import PublicKey
from did_gov.ledger import NoteVerifier, Receipt
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._result import Check, fail, ok
from did_gov.proofs.data_integrity import verify_proofs
from did_gov.verify._anchor import credentials_of, is_envelope, open_anchored
from did_gov.verify._anchor_check import LogKeys, anchor_check, unmatched_check
from did_gov.verify._report import VerificationReport

__all__ = ["VerificationPolicy", "Verifier"]

Clock = datetime | Callable[[], datetime]


@dataclass(frozen=True)
class VerificationPolicy:
    """What a verifier accepts beyond the specifications' must-haves.

    ``clock_skew`` is tolerated on validity dates. ``require_challenge``
    makes a presentation without a challenge fail (replay protection), even
    when the caller passed none. ``require_anchor`` makes every credential without a
    valid anchor receipt, from a log the verifier trusts, fail (``anchor.required``).
    """

    clock_skew: timedelta = timedelta(minutes=5)
    require_challenge: bool = False
    require_anchor: bool = False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _problem_checks(name: str, problems: Iterable[DidGovError]) -> list[Check]:
    found = [fail(name, p.code, p.message) for p in problems]
    return found or [ok(name, "well-formed")]


class Verifier:
    """Verify credentials and presentations offline, against pinned contexts and resolvable DIDs.

    ``contexts`` are extra context directories (``index.json`` + files);
    ``resolver`` resolves DIDs (default: did:key, did:jwk, and did:web from a
    cache only); ``now`` fixes the clock (a datetime or a callable), else the
    system clock is read at each call. Nothing here touches the network
    unless the resolver was given a fetcher. ``log_keys`` are the note verifier
    keys (vkeys) of the transparency logs whose anchor receipts are trusted.

    >>> Verifier().verify(b"not json").verified
    False
    """

    def __init__(
        self,
        contexts: Iterable[str | os.PathLike[str]] = (),
        resolver: Resolver | None = None,
        now: Clock | None = None,
        *,
        policy: VerificationPolicy | None = None,
        limits: Limits = DEFAULT_LIMITS,
        loader: OfflineDocumentLoader | None = None,
        log_keys: Iterable[NoteVerifier | str] = (),
    ) -> None:
        self.loader = loader or OfflineDocumentLoader(contexts)
        self.resolver: Resolver = resolver or DefaultResolver()
        self.policy = policy or VerificationPolicy()
        self.limits = limits
        self._now = now
        self.log_keys = LogKeys(log_keys)

    def _clock(self, now: datetime | None) -> datetime:
        if now is not None:
            return now
        if isinstance(self._now, datetime):
            return self._now
        if self._now is not None:
            return self._now()
        return utc_now()

    def verify(
        self,
        document_or_token: dict[str, Any] | str | bytes,
        *,
        challenge: str | None = None,
        domain: str | None = None,
        now: datetime | None = None,
        receipts: Iterable[Receipt | dict[str, Any] | str] | None = None,
    ) -> VerificationReport:
        """Verify a credential or presentation (a parsed object, JSON text or bytes).

        An ``AnchoredCredential``/``AnchoredPresentation`` envelope, or ``receipts`` given
        beside the document, adds an ``anchor`` check per credential (:meth:`check_anchors`).
        Never raises for invalid input: the report says which check failed and why.
        Raises :class:`~did_gov.errors.InvalidInputError` only for a wrong argument type.
        """
        moment = self._clock(now)
        return self._verify_anchored(document_or_token, receipts, challenge, domain, moment)

    def _verify_document(
        self,
        document_or_token: dict[str, Any] | str | bytes,
        challenge: str | None,
        domain: str | None,
        moment: datetime,
    ) -> VerificationReport:
        if isinstance(document_or_token, str | bytes | bytearray):
            try:
                document = parse_json(document_or_token, self.limits)
            except DidGovError as exc:
                return VerificationReport.from_checks(
                    "unknown", [fail("parse", exc.code, exc.message)]
                )
        elif isinstance(document_or_token, dict):
            document = document_or_token
        else:
            raise InvalidInputError(
                f"verify() takes a dict, str or bytes, not {type(document_or_token).__name__}"
            )
        if not isinstance(document, dict):
            return VerificationReport.from_checks(
                "unknown", [fail("parse", "input.not_object", "expected a JSON object")]
            )
        if "VerifiablePresentation" in _as_list(document.get("type")):
            return self._verify_presentation(document, challenge, domain, moment)
        return self._verify_credential(document, moment)

    def _resolve_key(self, seen: dict[str, VerificationMethod]) -> Callable[[str, str], PublicKey]:
        def resolve(vm_url: str, purpose: str) -> PublicKey:
            method = resolve_verification_method(self.resolver, vm_url, purpose=purpose)
            if method.public_key is None:
                raise VerificationMethodError(
                    f"{vm_url} holds no signature key we support", code="did.vm_unsupported_key"
                )
            seen[vm_url] = method
            return method.public_key

        return resolve

    def _proof_checks(
        self,
        document: dict[str, Any],
        purpose: str,
        moment: datetime,
        challenge: str | None = None,
        domain: str | None = None,
    ) -> tuple[list[Check], dict[str, VerificationMethod]]:
        seen: dict[str, VerificationMethod] = {}
        result = verify_proofs(
            document,
            self._resolve_key(seen),
            expected_purpose=purpose,
            challenge=challenge,
            domain=domain,
            now=moment,
            loader=self.loader,
            limits=self.limits,
        )
        return list(result.checks), seen

    def _controller_check(
        self, name: str, expected: Any, seen: dict[str, VerificationMethod], what: str
    ) -> Check:
        if not seen:
            return fail(name, f"{what}.unbound", f"no verified proof names the {what}'s key")
        for vm_url, method in seen.items():
            if method.controller != expected:
                return fail(
                    name,
                    f"{what}.key_mismatch",
                    f"{vm_url} is controlled by {method.controller}, not by the {what} {expected}",
                )
        return ok(name, f"signed by a key of {expected}")

    def _validity_checks(self, document: dict[str, Any], moment: datetime) -> list[Check]:
        v2 = "validFrom" in document or "validUntil" in document or "issuanceDate" not in document
        start_field, end_field = (
            ("validFrom", "validUntil") if v2 else ("issuanceDate", "expirationDate")
        )
        skew = self.policy.clock_skew
        try:
            start = parse_datetime(document[start_field]) if start_field in document else None
            end = parse_datetime(document[end_field]) if end_field in document else None
        except DidGovError as exc:
            return [fail("validity", exc.code, exc.message)]
        if start is not None and moment + skew < start:
            return [
                fail(
                    "validity",
                    "credential.not_yet_valid",
                    f"not valid before {document[start_field]}",
                )
            ]
        if end is not None and moment - skew > end:
            return [fail("validity", "credential.expired", f"expired at {document[end_field]}")]
        return [ok("validity", f"valid at {moment.isoformat(timespec='seconds')}")]

    def _verify_credential(self, document: dict[str, Any], moment: datetime) -> VerificationReport:
        checks = _problem_checks("shape", credential_problems(document))
        proof_checks, seen = self._proof_checks(document, "assertionMethod", moment)
        checks += proof_checks
        issuer = _id_of(document.get("issuer"))
        if all(c.ok for c in proof_checks):
            checks.append(self._controller_check("issuer", issuer, seen, "issuer"))
        checks += self._validity_checks(document, moment)
        return VerificationReport.from_checks("vc-di", checks, document)

    def _verify_presentation(
        self,
        document: dict[str, Any],
        challenge: str | None,
        domain: str | None,
        moment: datetime,
    ) -> VerificationReport:
        checks = _problem_checks("shape", presentation_problems(document))
        if self.policy.require_challenge and challenge is None:
            checks.append(
                fail(
                    "challenge",
                    "presentation.challenge_required",
                    "the policy requires a challenge",
                )
            )
        proof_checks, seen = self._proof_checks(
            document, "authentication", moment, challenge=challenge, domain=domain
        )
        checks += proof_checks
        holder = _id_of(document.get("holder"))
        if holder is not None and all(c.ok for c in proof_checks):
            checks.append(self._controller_check("holder", holder, seen, "holder"))
        credentials = _as_list(document.get("verifiableCredential", []))
        if len(credentials) > self.limits.max_credentials_per_presentation:
            checks.append(
                fail(
                    "credentials",
                    "input.limit_exceeded",
                    f"more than {self.limits.max_credentials_per_presentation} credentials",
                )
            )
            credentials = []
        nested = [
            self._verify_credential(vc, moment)
            if isinstance(vc, dict)
            else VerificationReport.from_checks(
                "unknown",
                [fail("parse", "presentation.credential_invalid", "not a credential object")],
            )
            for vc in credentials
        ]
        return VerificationReport.from_checks("vp-di", checks, document, nested)

    # -- anchor receipts (specs/anchor-receipt.md §7.3) ---------------------------------

    def _unwrap(
        self,
        value: dict[str, Any] | str | bytes,
        receipts: Iterable[Receipt | dict[str, Any] | str] | None,
    ) -> tuple[Any, list[Receipt] | None, Check | None]:
        """Split an envelope into its document and receipts; parse receipts given beside."""
        document: Any = value
        if isinstance(value, bytes | bytearray):
            try:
                document = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                return value, None, None
        if isinstance(document, str) and document.lstrip().startswith("{"):
            try:
                document = parse_json(document, self.limits)
            except DidGovError:
                return value, None, None
        parsed: list[Receipt] | None = None
        try:
            if is_envelope(document):
                opened = open_anchored(document)
                document, parsed = opened.document, list(opened.unverified_receipts)
            if receipts is not None:
                extra = [r if isinstance(r, Receipt) else Receipt.from_json(r) for r in receipts]
                parsed = (parsed or []) + extra
        except DidGovError as exc:
            return value, None, fail("anchor", exc.code, exc.message)
        return document, parsed, None

    def _verify_anchored(
        self,
        value: dict[str, Any] | str | bytes,
        receipts: Iterable[Receipt | dict[str, Any] | str] | None,
        challenge: str | None,
        domain: str | None,
        moment: datetime,
    ) -> VerificationReport:
        document, parsed, problem = self._unwrap(value, receipts)
        if problem is not None:
            return VerificationReport.from_checks("unknown", [problem])
        report = self._verify_document(document, challenge, domain, moment)
        if parsed is None and not self.policy.require_anchor:
            return report
        return self.check_anchors(report, document, parsed or [])

    def check_anchors(
        self, report: VerificationReport, document: Any, receipts: Sequence[Receipt]
    ) -> VerificationReport:
        """``report`` with an ``anchor`` check for each credential ``document`` holds.

        ``document`` is the verified credential (object or compact token) or presentation;
        each receipt that commits to a credential must verify under a key in ``log_keys``
        (``anchor.log_untrusted`` otherwise, indeterminate); a receipt that commits to none
        fails (``anchor.receipt_unmatched``); with the policy's ``require_anchor``, a
        credential without one fails (``anchor.required``).
        """
        required = self.policy.require_anchor
        used: set[int] = set()
        presentation = isinstance(document, dict) and "VerifiablePresentation" in _as_list(
            document.get("type")
        )
        if not presentation:
            check, used = anchor_check(document, receipts, self.log_keys, required=required)
            extra = [c for c in (check, unmatched_check(receipts, used)) if c is not None]
            return _with_checks(report, extra)
        credentials = credentials_of(document)
        nested = list(report.credentials)
        if len(nested) == len(credentials):
            for i, credential in enumerate(credentials):
                check, found = anchor_check(credential, receipts, self.log_keys, required=required)
                used |= found
                if check is not None:
                    nested[i] = _with_checks(nested[i], [check])
        leftover = unmatched_check(receipts, used)
        return _with_checks(report, [leftover] if leftover else [], nested)


def _with_checks(
    report: VerificationReport,
    checks: Sequence[Check],
    credentials: Sequence[VerificationReport] | None = None,
) -> VerificationReport:
    return VerificationReport.from_checks(
        report.format,
        [*report.checks, *checks],
        report.document,
        report.credentials if credentials is None else credentials,
    )
