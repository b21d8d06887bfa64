"""The Verifier: composes proofs, DID resolution, validity and holder binding into one report."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from did_gov._json import parse_json
from did_gov.credentials import (
    VC_V1_CONTEXT,
    credential_problems,
    parse_datetime,
    presentation_problems,
    utc_now,
)
from did_gov.dids import DefaultResolver, Resolver, VerificationMethod, resolve_verification_method
from did_gov.errors import DidGovError, InvalidInputError, StatusError, VerificationMethodError
from did_gov.jsonld import OfflineDocumentLoader
from did_gov.keys import PublicKey
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.proofs.data_integrity import verify_proofs
from did_gov.status import (
    ENTRY_TYPE,
    LIST_CREDENTIAL_TYPE,
    ChainedStatusSource,
    FetchingStatusSource,
    StalePolicy,
    StaticStatusSource,
    StatusFetcher,
    StatusListCache,
    StatusListEntry,
    StatusSource,
    check_entry,
)
from did_gov.verify._report import VerificationReport
from did_gov.verify._status import IN_STATUS_LIST, StatusSession, VerifiedLists

__all__ = ["VerificationPolicy", "Verifier"]

Clock = datetime | Callable[[], datetime]


@dataclass(frozen=True)
class VerificationPolicy:
    """What a verifier accepts beyond the specifications' must-haves.

    ``clock_skew`` is tolerated on validity dates. ``require_challenge``
    makes a presentation without a challenge fail (replay protection), even
    when the caller passed none. ``stale_status_lists`` says what an expired
    or stale status list credential does (``specs/status-registry.md``).
    """

    clock_skew: timedelta = timedelta(minutes=5)
    require_challenge: bool = False
    stale_status_lists: StalePolicy = StalePolicy.FAIL
    """An expired or stale status list credential fails the status check (``FAIL``), or
    passes with ``status.list_expired``/``status.list_stale`` (``UNSAFE_WARN``)."""


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
    unless the resolver was given a fetcher.

    ``credentialStatus`` entries (Bitstring Status List) are checked against
    ``status_lists`` (secured list credentials, offline), then
    ``status_source`` (a :class:`~did_gov.status.StatusSource`), then
    ``status_fetcher`` (``fetch(url)``, online only if given); decoded lists
    are kept in ``status_cache``. A list that cannot be had is an
    indeterminate ``status.list_unavailable``.

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
        status_lists: Iterable[dict[str, Any] | str] = (),
        status_fetcher: StatusFetcher | None = None,
        status_source: StatusSource | None = None,
        status_cache: StatusListCache | None = None,
    ) -> None:
        self.loader = loader or OfflineDocumentLoader(contexts)
        self.resolver: Resolver = resolver or DefaultResolver()
        self.policy = policy or VerificationPolicy()
        self.limits = limits
        self._now = now
        self.status_source = self._status_source(status_lists, status_fetcher, status_source)
        if status_cache is not None and not isinstance(status_cache, StatusListCache):
            raise StatusError(
                "status_cache must be a StatusListCache", code="status.invalid_argument"
            )
        self.status_cache = status_cache if status_cache is not None else StatusListCache()
        self._verified_lists = VerifiedLists()

    def _status_source(
        self,
        lists: Iterable[dict[str, Any] | str],
        fetcher: StatusFetcher | None,
        source: StatusSource | None,
    ) -> StatusSource:
        """Offline lists first, then the caller's source, then the fetcher (if any)."""
        if not isinstance(self.policy.stale_status_lists, StalePolicy):
            raise StatusError(
                "VerificationPolicy.stale_status_lists must be a StalePolicy",
                code="status.invalid_argument",
            )
        sources: list[StatusSource] = [StaticStatusSource(lists)]
        if source is not None:
            sources.append(source)
        if fetcher is not None:
            sources.append(FetchingStatusSource(fetcher, limits=self.limits))
        return ChainedStatusSource(sources)

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
    ) -> VerificationReport:
        """Verify a credential or presentation (a parsed object, JSON text or bytes).

        Never raises for invalid input: the report says which check failed and why.
        Raises :class:`~did_gov.errors.InvalidInputError` only for a wrong argument type.
        """
        moment = self._clock(now)
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

    def _resolve_key(
        self, seen: dict[str, VerificationMethod], moment: datetime
    ) -> Callable[[str, str], PublicKey]:
        def resolve(vm_url: str, purpose: str) -> PublicKey:
            method = resolve_verification_method(self.resolver, vm_url, purpose=purpose, now=moment)
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
            self._resolve_key(seen, moment),
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
        """The validity window: VCDM 2.0 validFrom/validUntil; VCDM 1.1 issuanceDate/expirationDate too."""
        contexts = _as_list(document.get("@context"))
        v1 = bool(contexts) and contexts[0] == VC_V1_CONTEXT
        windows = [("validFrom", "validUntil")]
        if v1:
            windows.insert(0, ("issuanceDate", "expirationDate"))
        skew = self.policy.clock_skew
        for start_field, end_field in windows:
            try:
                start, end = (
                    parse_datetime(document[f], field=f, timezone_required=not v1)
                    if f in document
                    else None
                    for f in (start_field, end_field)
                )
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
        if all(c.ok for c in checks):
            checks += self._status_checks(document, moment)
        return VerificationReport.from_checks("vc-di", checks, document)

    def _status_checks(self, document: dict[str, Any], moment: datetime) -> list[Check]:
        """Bitstring Status List §3.2 for each ``credentialStatus`` entry (``specs/status-registry.md``).

        A list credential's own status is not checked (that would recurse through lists).
        """
        if IN_STATUS_LIST.get() or LIST_CREDENTIAL_TYPE in _as_list(document.get("type")):
            return []
        entries = [e for e in _as_list(document.get("credentialStatus", [])) if e is not None]
        if len(entries) > self.limits.max_status_entries:
            limit = self.limits.max_status_entries
            return [fail("status", "status.too_many_entries", f"more than {limit} status entries")]
        session = StatusSession(self.status_source, self._verify_status_list, moment)
        checks: list[Check] = []
        for i, raw in enumerate(entries):
            found = self._entry_checks(raw, _id_of(document.get("issuer")), session, moment)
            prefix = f"credentialStatus[{i}]." if len(entries) > 1 else ""
            checks += [replace(c, name=prefix + c.name) for c in found]
        return checks

    def _entry_checks(
        self, raw: Any, issuer: Any, session: StatusSession, moment: datetime
    ) -> list[Check]:
        """One entry: its list (obtained, verified, same issuer), then the entry's value."""
        if not isinstance(raw, dict) or raw.get("type") != ENTRY_TYPE:
            kind = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
            return [unknown("status", "status.type_unsupported", f"status type {kind!r}")]
        try:
            entry = StatusListEntry.from_json(raw)
        except DidGovError as exc:
            return [fail("status_entry", exc.code, exc.message)]
        listed = session.list_credential(entry.status_list_credential, issuer)
        if isinstance(listed, Check):
            return [listed]
        result = check_entry(
            entry,
            listed,
            now=moment,
            stale_policy=self.policy.stale_status_lists,
            limits=self.limits,
            cache=self.status_cache,
            clock_skew=self.policy.clock_skew,
        )
        return [session.list_check(entry.status_list_credential), *result.checks]

    def _verify_status_list(self, unverified: Any, moment: datetime) -> VerificationReport:
        """Verify a list credential like any credential (once per content and moment)."""
        return self._verified_lists.report(unverified, moment, self._verify_list_now)

    def _verify_list_now(self, unverified: Any, moment: datetime) -> VerificationReport:
        """Verify a list credential like any credential, without checking its own status."""
        token = IN_STATUS_LIST.set(True)
        try:
            if isinstance(unverified, dict | str | bytes):
                return self.verify(unverified, now=moment)
            return VerificationReport.from_checks(
                "unknown", [fail("parse", "input.not_object", "not a list credential")]
            )
        finally:
            IN_STATUS_LIST.reset(token)

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
