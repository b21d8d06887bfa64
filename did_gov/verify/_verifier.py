"""The Verifier: composes proofs, DID resolution, validity and holder binding into one report."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from did_gov._json import parse_json
from did_gov._log import logged_verdict
from did_gov.credentials import (
    VC_V1_CONTEXT,
    credential_problems,
    parse_datetime,
    presentation_problems,
    utc_now,
)
from did_gov.dids import (
    DefaultResolver,
    DidDocument,
    Resolver,
    VerificationMethod,
    parse_did_url,
    resolve_verification_method,
)
from did_gov.errors import DidGovError, InvalidInputError, StatusError, VerificationMethodError
from did_gov.jsonld import OfflineDocumentLoader
from did_gov.keys import PublicKey
from did_gov.ledger import NoteVerifier, Receipt
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs import jose
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
from did_gov.verify._anchor import credentials_of, is_envelope, open_anchored
from did_gov.verify._anchor_check import LogKeys, anchor_check, unmatched_check
from did_gov.verify._report import VerificationReport
from did_gov.verify._sd_jwt import SdJwtIssuerKeys, verify_sd_jwt_vc
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
    ``require_key_binding`` makes an SD-JWT without a Key Binding JWT fail;
    ``key_binding_max_age`` is how old a KB-JWT's ``iat`` may be.
    ``require_anchor`` makes every credential without a
    valid anchor receipt, from a log the verifier trusts, fail (``anchor.required``).
    """

    clock_skew: timedelta = timedelta(minutes=5)
    require_challenge: bool = False
    stale_status_lists: StalePolicy = StalePolicy.FAIL
    """An expired or stale status list credential fails the status check (``FAIL``), or
    passes with ``status.list_expired``/``status.list_stale`` (``UNSAFE_WARN``)."""
    require_key_binding: bool = False
    key_binding_max_age: timedelta = timedelta(minutes=5)
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

    ``credentialStatus`` entries (Bitstring Status List) are checked against
    ``status_lists`` (secured list credentials, offline), then
    ``status_source`` (a :class:`~did_gov.status.StatusSource`), then
    ``status_fetcher`` (``fetch(url)``, online only if given); decoded lists
    are kept in ``status_cache``. A list that cannot be had is an
    indeterminate ``status.list_unavailable``.

    ``issuer_jwks`` are public JWKs of issuers (and presentation holders)
    that are not DIDs, for VC-JOSE tokens and SD-JWT VCs. A token whose issuer is a DID is
    only ever checked with a key of that DID's document (its ``kid`` must be
    a DID URL of the issuer, absolute or relative); a token whose issuer is
    not a DID is checked with the JWK whose ``kid`` member, or else whose
    RFC 7638 thumbprint, equals the header ``kid`` (without a ``kid``: the
    only JWK of the ``alg``'s key type). Each of these keys is trusted for
    any non-DID issuer, so pass only keys you trust. JWKs of key types
    did_gov does not verify with (RSA, P-521) are ignored.

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
        issuer_jwks: Iterable[Mapping[str, Any]] = (),
        log_keys: Iterable[NoteVerifier | str] = (),
    ) -> None:
        self.loader = loader or OfflineDocumentLoader(contexts)
        self._jwks = [(kid, key, key.jwk_thumbprint()) for kid, key in jose.jwks_keys(issuer_jwks)]
        self._jose_methods: dict[tuple[str, str], tuple[DidDocument, PublicKey]] = {}
        self.resolver: Resolver = resolver or DefaultResolver()
        self.policy = policy or VerificationPolicy()
        self.limits = limits
        self._now = now
        self._sd_jwt_keys = SdJwtIssuerKeys(self.resolver, [(k, key) for k, key, _ in self._jwks])
        self.status_source = self._status_source(status_lists, status_fetcher, status_source)
        if status_cache is not None and not isinstance(status_cache, StatusListCache):
            raise StatusError(
                "status_cache must be a StatusListCache", code="status.invalid_argument"
            )
        self.status_cache = status_cache if status_cache is not None else StatusListCache()
        self._verified_lists = VerifiedLists()

        self.log_keys = LogKeys(log_keys)

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

    @logged_verdict
    def verify(
        self,
        document_or_token: dict[str, Any] | str | bytes,
        *,
        challenge: str | None = None,
        domain: str | None = None,
        now: datetime | None = None,
        nonce: str | None = None,
        audience: str | None = None,
        receipts: Iterable[Receipt | dict[str, Any] | str] | None = None,
    ) -> VerificationReport:
        """Verify a credential or presentation (a parsed object, JSON text or bytes), or an SD-JWT.

        Text is read by its shape: JSON (Data Integrity), a compact JWS
        (VC-JOSE ``vc+jwt``/``vp+jwt``, or a VCDM 1.1 JWT), or an SD-JWT (with
        ``~``). ``nonce``/``audience`` are the values expected in a token's
        ``nonce``/``aud`` claims; they default to ``challenge``/``domain``.

        An ``AnchoredCredential``/``AnchoredPresentation`` envelope, or ``receipts`` given
        beside the document, adds an ``anchor`` check per credential (:meth:`check_anchors`).
        Never raises for invalid input: the report says which check failed and why.
        Raises :class:`~did_gov.errors.InvalidInputError` only for a wrong argument type.
        """
        moment = self._clock(now)
        return self._verify_anchored(
            document_or_token, receipts, challenge, domain, moment, nonce, audience
        )

    def _verify_document(
        self,
        document_or_token: dict[str, Any] | str | bytes,
        challenge: str | None,
        domain: str | None,
        moment: datetime,
        nonce: str | None = None,
        audience: str | None = None,
    ) -> VerificationReport:
        token = _compact_token(document_or_token)
        if token is not None:
            nonce = nonce if nonce is not None else challenge
            audience = audience if audience is not None else domain
            if "~" in token:
                return self._verify_sd_jwt(token, nonce=nonce, audience=audience, now=moment)
            return self._verify_jose(token, nonce=nonce, audience=audience, now=moment)
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

    def _verify_sd_jwt(
        self, token: str, *, nonce: str | None, audience: str | None, now: datetime
    ) -> VerificationReport:
        """An SD-JWT VC (``dc+sd-jwt``), see :func:`did_gov.verify._sd_jwt.verify_sd_jwt_vc`."""
        return verify_sd_jwt_vc(
            token, self._sd_jwt_keys, self.policy, self.limits, nonce, audience, now
        )

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
        nested = self._nested_reports(document, checks, moment)
        return VerificationReport.from_checks("vp-di", checks, document, nested)

    # --- VC-JOSE, SD-JWT and credentials nested in presentations ---------------------------

    def _verify_jose(
        self,
        token: str,
        *,
        nonce: str | None,
        audience: str | None,
        now: datetime,
        expect: jose.Kind | None = None,
    ) -> VerificationReport:
        """A VC-JOSE token (or VCDM 1.1 JWT): JWS and claims, then shape, validity and nested credentials."""
        result = jose.verify_jwt(
            token,
            functools.partial(self._jose_key, moment=now),
            expect=expect,
            nonce=nonce,
            audience=audience,
            now=now,
            clock_skew=self.policy.clock_skew,
            limits=self.limits,
        )
        document = result.document
        if result.kind is None or not isinstance(document, dict):
            return VerificationReport.from_checks(result.format, result.checks, document)
        if result.kind == "credential":
            checks = _problem_checks("shape", credential_problems(document))
            checks += result.checks
            checks += self._validity_checks(document, now)
            if all(c.ok for c in checks):
                checks += self._status_checks(document, now)
            return VerificationReport.from_checks(result.format, checks, document)
        shaped = document
        if result.legacy:  # VCDM 1.1 JWT presentations carry credentials as JWT strings
            shaped = {
                **document,
                "verifiableCredential": [
                    jose.envelope(vc, "application/jwt") if isinstance(vc, str) else vc
                    for vc in _as_list(document.get("verifiableCredential", []))
                ],
            }
        checks = _problem_checks("shape", presentation_problems(shaped))
        if self.policy.require_challenge and nonce is None:
            checks.append(
                fail("challenge", "presentation.challenge_required", "the policy requires a nonce")
            )
        checks += result.checks
        nested = self._nested_reports(document, checks, now)
        return VerificationReport.from_checks(result.format, checks, document, nested)

    def _nested_reports(
        self, presentation: dict[str, Any], checks: list[Check], moment: datetime
    ) -> list[VerificationReport]:
        """One report per credential of a presentation, within ``Limits`` (else a failed check)."""
        credentials = _as_list(presentation.get("verifiableCredential", []))
        if len(credentials) > self.limits.max_credentials_per_presentation:
            checks.append(
                fail(
                    "credentials",
                    "input.limit_exceeded",
                    f"more than {self.limits.max_credentials_per_presentation} credentials",
                )
            )
            return []
        return [self._verify_nested(vc, moment) for vc in credentials]

    def _verify_nested(self, entry: Any, moment: datetime) -> VerificationReport:
        """A credential inside a presentation: embedded (Data Integrity), enveloped, or a JWT string."""
        token: str | None = entry if isinstance(entry, str) else None
        if isinstance(entry, dict) and entry.get("type") == "EnvelopedVerifiableCredential":
            try:
                media_type, token = jose.open_envelope(entry)
            except DidGovError as exc:
                return VerificationReport.from_checks(
                    "unknown", [fail("parse", exc.code, exc.message)]
                )
            if media_type in ("application/vc+sd-jwt", "application/dc+sd-jwt"):
                return self._verify_sd_jwt(token, nonce=None, audience=None, now=moment)
            if media_type != jose.VC_MEDIA_TYPE:
                return VerificationReport.from_checks(
                    "unknown",
                    [
                        unknown(
                            "format",
                            "jose.envelope_unsupported",
                            f"enveloped {media_type.split(';')[0]} credentials are not supported",
                        )
                    ],
                )
        elif isinstance(entry, dict):
            return self._verify_credential(entry, moment)
        if token is None:
            return VerificationReport.from_checks(
                "unknown",
                [fail("parse", "presentation.credential_invalid", "not a credential object")],
            )
        if "~" in token:
            return self._verify_sd_jwt(token, nonce=None, audience=None, now=moment)
        return self._verify_jose(token, nonce=None, audience=None, now=moment, expect="credential")

    def _jose_key(
        self, header: Mapping[str, Any], owner: str | None, purpose: str, *, moment: datetime
    ) -> PublicKey:
        """The key a VC-JOSE token names: a DID URL of its issuer/holder, or one of ``issuer_jwks``."""
        kid = header.get("kid")
        what = "issuer" if purpose == "assertionMethod" else "holder"
        is_did = owner is not None and owner.startswith("did:")
        if isinstance(kid, str) and (kid.startswith("did:") or (is_did and owner is not None)):
            vm_url = kid if kid.startswith("did:") else f"{owner}#{kid.removeprefix('#')}"
            cached = self._jose_methods.get((vm_url, purpose))
            did = cached[0].id if cached is not None else str(parse_did_url(vm_url).did)
            if owner is not None and did != owner:
                raise VerificationMethodError(
                    f"kid {kid} is a key of {did}, not of the {what} {owner}",
                    code=f"{what}.key_mismatch",
                )
            return self._jose_did_key(vm_url, did, purpose, owner, what, moment)
        if is_did:
            raise VerificationMethodError(
                f"the token names no kid of the {what} {owner}", code="jose.kid_missing"
            )
        return self._jose_jwk(kid, str(header.get("alg")))

    def _jose_did_key(
        self, vm_url: str, did: str, purpose: str, owner: str | None, what: str, moment: datetime
    ) -> PublicKey:
        document = self.resolver.resolve(did)
        cached = self._jose_methods.get((vm_url, purpose))
        if cached is not None and cached[0] is document:
            return cached[1]
        method = resolve_verification_method(self.resolver, vm_url, purpose=purpose, now=moment)
        if method.public_key is None:
            raise VerificationMethodError(
                f"{vm_url} holds no signature key we support", code="did.vm_unsupported_key"
            )
        if owner is not None and method.controller != owner:
            raise VerificationMethodError(
                f"{vm_url} is controlled by {method.controller}, not by the {what} {owner}",
                code=f"{what}.key_mismatch",
            )
        timeless = "revoked" not in method.data and "expires" not in method.data
        if timeless and len(self._jose_methods) < 1024:  # a dated method is re-checked each time
            self._jose_methods[(vm_url, purpose)] = (document, method.public_key)
        return method.public_key

    def _jose_jwk(self, kid: Any, alg: str) -> PublicKey:
        if isinstance(kid, str):
            by_kid = [key for key_id, key, _ in self._jwks if key_id == kid]
            found = by_kid or [key for _, key, thumb in self._jwks if thumb == kid]
        else:
            wanted = jose.ALGORITHMS.get(alg)
            found = [key for _, key, _ in self._jwks if key.key_type is wanted]
        if len(found) != 1:
            problem = "no issuer JWK matches" if not found else "several issuer JWKs match"
            raise VerificationMethodError(
                f"{problem} kid {kid!r} (pass the issuer's key with issuer_jwks / --jwk)",
                code="jose.key_not_found",
            )
        return found[0]

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
        nonce: str | None = None,
        audience: str | None = None,
    ) -> VerificationReport:
        document, parsed, problem = self._unwrap(value, receipts)
        if problem is not None:
            return VerificationReport.from_checks("unknown", [problem])
        report = self._verify_document(document, challenge, domain, moment, nonce, audience)
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


_TOKEN = re.compile(r"[A-Za-z0-9_\-]+(?:[.~][A-Za-z0-9_\-]*)+")


def _compact_token(value: Any) -> str | None:
    """The text as a compact JWS or SD-JWT, or None when it is (meant to be) JSON."""
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if _TOKEN.fullmatch(text) else None


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
