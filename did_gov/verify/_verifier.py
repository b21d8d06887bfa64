"""The Verifier: the numbered steps of ``specs/verification.md``, the same for every format."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from did_gov._json import JsonFacts, parse_json
from did_gov._log import logged_verdict
from did_gov.credentials import utc_now
from did_gov.dids import DefaultResolver, Resolver
from did_gov.errors import DidGovError, InvalidInputError, StatusError
from did_gov.jsonld import OfflineDocumentLoader
from did_gov.ledger import NoteVerifier, Receipt
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._result import Check, fail
from did_gov.status import (
    BundledStatusList,
    ChainedStatusSource,
    FetchingStatusSource,
    StatusFetcher,
    StatusListCache,
    StatusSource,
)
from did_gov.trust import PresentationRequest, TrustPolicy, UnsafeTrustAnyIssuer
from did_gov.verify._adapter_di import secure_di
from did_gov.verify._adapter_jose import secure_jose
from did_gov.verify._adapter_sd_jwt import secure_sd_jwt
from did_gov.verify._anchor import credentials_of
from did_gov.verify._anchor_check import (
    Anchors,
    LogKeys,
    anchor_check,
    anchored_time,
    unmatched_check,
)
from did_gov.verify._keys import ANCHORED, GovNotes, KeyRing, did_log_checks
from did_gov.verify._model import Kind, Secured, as_list, failed, passed
from did_gov.verify._parse import ENVELOPE_TYPES, compact_token, open_enveloped, parse_input
from did_gov.verify._policy import UnknownStatus, VerificationPolicy
from did_gov.verify._report import VerificationReport
from did_gov.verify._request import TypeExpander, request_checks
from did_gov.verify._status import OfflineLists, StatusSession, VerifiedLists, status_checks
from did_gov.verify._steps import (
    holder_binding,
    holder_of,
    issuer_binding,
    issuer_claim,
    subject_binding,
    trust_check,
    validity,
)

__all__ = ["UnknownStatus", "VerificationPolicy", "Verifier"]

Clock = datetime | Callable[[], datetime]

_BOTH = ("VerifiableCredential", "VerifiablePresentation")
_BOTH_IRIS = tuple(f"https://www.w3.org/2018/credentials#{t}" for t in _BOTH)


class _Expected(NamedTuple):
    """What the caller expects of a presentation: DI challenge/domain, token nonce/audience."""

    challenge: str | None = None
    domain: str | None = None
    nonce: str | None = None
    audience: str | None = None


_NOTHING = _Expected()
_ANCHORS: ContextVar[Anchors | None] = ContextVar("did_gov_verify_anchors", default=None)
"""The receipts given with the verification, so the key (step 3), trust (10) and anchor (11)
steps share each document's anchored bytes and receipt checks."""


class Verifier:
    """Verify credentials and presentations offline, against pinned contexts and resolvable DIDs.

    The constructor takes the **environment** — ``contexts`` (extra context
    directories: ``index.json`` + files) or ``loader``; ``resolver`` (default:
    did:key, did:jwk, and did:web from a cache only); ``now`` (a datetime or a
    callable, else the system clock at each call); ``limits``; status sources —,
    ``trust`` (a :class:`~did_gov.trust.TrustPolicy`: who is accredited for what, e.g.
    a :class:`~did_gov.trust.TrustRegistry` or a trust bundle's ``verifier_options()``;
    None: every credential gets an indeterminate ``trust.not_configured`` check and is
    not verified; :data:`~did_gov.trust.UNSAFE_TRUST_ANY_ISSUER` for tests and demos)
    and ``policy`` (a :class:`VerificationPolicy`). Nothing here touches the
    network unless the resolver or ``status_fetcher`` was given a fetcher.
    ``log_keys`` are the note verifier keys (vkeys) of the transparency logs whose
    anchor receipts are trusted. The steps are ``specs/verification.md``.

    ``credentialStatus`` entries (Bitstring Status List) are checked against
    ``status_lists`` (secured list credentials, offline; a
    :class:`~did_gov.status.BundledStatusList` from a trust bundle is fresh until the
    bundle expires, ``status.list_from_bundle``), then
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

    One Verifier may be shared between threads.

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
        trust: TrustPolicy | None = None,
        limits: Limits = DEFAULT_LIMITS,
        loader: OfflineDocumentLoader | None = None,
        status_lists: Iterable[dict[str, Any] | str | BundledStatusList] = (),
        status_fetcher: StatusFetcher | None = None,
        status_source: StatusSource | None = None,
        status_cache: StatusListCache | None = None,
        issuer_jwks: Iterable[Mapping[str, Any]] = (),
        log_keys: Iterable[NoteVerifier | str] = (),
    ) -> None:
        if policy is not None and not isinstance(policy, VerificationPolicy):
            raise InvalidInputError("policy must be a VerificationPolicy", code="policy.invalid")
        if trust is not None and not isinstance(trust, TrustPolicy):
            raise InvalidInputError("trust must be a TrustPolicy", code="policy.invalid")
        self.loader = loader or OfflineDocumentLoader(contexts)
        self.resolver: Resolver = resolver or DefaultResolver()
        self.policy = policy or VerificationPolicy()
        self.trust = trust
        self.limits = limits
        self._now = now
        self.keys = KeyRing(self.resolver, issuer_jwks)
        self.offline_lists = OfflineLists(status_lists)
        """The ``status_lists`` given; ``offline_lists.problems`` holds those set aside."""
        self.status_source = self._status_source(status_fetcher, status_source)
        if status_cache is not None and not isinstance(status_cache, StatusListCache):
            raise StatusError(
                "status_cache must be a StatusListCache", code="status.invalid_argument"
            )
        self.status_cache = status_cache if status_cache is not None else StatusListCache()
        self._verified_lists = VerifiedLists()
        self.log_keys = LogKeys(log_keys)
        self._types = TypeExpander(self.loader)

    def _status_source(
        self, fetcher: StatusFetcher | None, source: StatusSource | None
    ) -> StatusSource:
        """After the offline lists: the caller's source, then the fetcher (if any)."""
        sources: list[StatusSource] = []
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
        request: PresentationRequest | None = None,
    ) -> VerificationReport:
        """Verify a credential or presentation (a parsed object, JSON text or bytes), or an SD-JWT.

        Text is read by its shape: JSON (Data Integrity, or an enveloped
        credential/presentation), a compact JWS (VC-JOSE ``vc+jwt``/``vp+jwt``, or a
        VCDM 1.1 JWT), or an SD-JWT (with ``~``). ``nonce``/``audience`` are the values
        expected in a token's ``nonce``/``aud`` claims; they default to
        ``challenge``/``domain``.

        An ``AnchoredCredential``/``AnchoredPresentation`` envelope, or ``receipts`` given
        beside the document, adds an ``anchor`` check per credential (:meth:`check_anchors`).

        ``request`` (a :class:`~did_gov.trust.PresentationRequest`) makes the document the
        answer to an OpenID4VP presentation request: its ``nonce`` is the expected
        challenge/nonce and its ``client_id`` the expected domain/audience (give none of
        those beside it), and a last ``request`` check matches what was presented against
        its DCQL query (``specs/presentation-requests.md``).
        Never raises for invalid input: the report says which check failed and why.
        Raises :class:`~did_gov.errors.InvalidInputError` only for a wrong argument type.
        """
        if not isinstance(document_or_token, dict | str | bytes | bytearray):
            raise InvalidInputError(
                f"verify() takes a dict, str or bytes, not {type(document_or_token).__name__}"
            )
        moment = self._clock(now)
        if request is not None:
            _check_request(request, challenge, domain, nonce, audience)
            challenge = nonce = request.nonce
            domain = audience = request.client_id
        expected = _Expected(
            challenge,
            domain,
            nonce if nonce is not None else challenge,
            audience if audience is not None else domain,
        )
        parsed = parse_input(document_or_token, receipts, self.limits)  # 1. parse
        if parsed.problem is not None:
            return VerificationReport.from_checks("unknown", [parsed.problem])
        if request is not None and _unbound_sd_jwt(parsed.value):
            expected = expected._replace(nonce=None, audience=None)  # step 12 judges it
        nested: list[Secured] = []
        anchors = Anchors(parsed.receipts or ())
        token = _ANCHORS.set(anchors)
        try:
            report, secured = self._steps(  # 2.-10.; step 1 held any object to the parser's bounds
                parsed.value, expected, moment, collect=nested, facts=parsed.facts
            )
        finally:
            _ANCHORS.reset(token)
        if parsed.receipts is not None or self.policy.require_anchor:  # 11. anchor
            report = self._check_anchors(report, parsed.value, anchors)
        if request is not None:  # 12. request
            chain = self._chain_of(moment)
            report = _with_checks(
                report, request_checks(request, secured, nested, self._types, chain)
            )
        return report

    def _chain_of(self, moment: datetime) -> Callable[[Secured], tuple[str, ...]] | None:
        """The trust policy's accreditation chain of a credential's issuer, when it has one."""
        chain_of = getattr(self.trust, "chain_of", None)
        if chain_of is None:
            return None

        def chain(secured: Secured) -> tuple[str, ...]:
            found = chain_of(issuer_claim(self._with_expanded_types(secured)), moment)
            return tuple(str(link) for link in found) if isinstance(found, tuple) else ()

        return chain

    # -- the steps -------------------------------------------------------------------------

    def _steps(
        self,
        value: Any,
        expected: _Expected,
        moment: datetime,
        *,
        expect: Kind | None = None,
        presented_by: str | None = None,
        presented: bool = False,
        with_status: bool = True,
        judge_trust: bool = True,
        collect: list[Secured] | None = None,
        facts: JsonFacts | None = None,
    ) -> tuple[VerificationReport, Secured]:
        """Steps 2-10 for one document; ``presented`` when it is a credential of a presentation.

        ``collect`` receives the shared value of each credential of a presentation;
        ``facts`` are what holding ``value`` (an object) to the parser's bounds learned of it.
        """
        notes: GovNotes = []  # the freshness of each did:gov signer's log
        anchors = _ANCHORS.get()
        anchoring = (
            anchors.of(value)
            if anchors is not None and anchors.receipts and isinstance(value, dict | str)
            else None
        )  # without receipts a document has no anchor position and no anchored time
        if self.keys.reads_anchor:  # a did:gov key is judged at the document's anchor position
            position = ANCHORED.set((anchoring, notes))
            try:
                secured = self._secure(value, expected, moment, expect, facts)  # 2.-3.
            finally:
                ANCHORED.reset(position)
        else:
            secured = self._secure(value, expected, moment, expect, facts)  # 2.-3.
        checks = list(secured.checks)
        if notes:
            checks += did_log_checks(notes)
        nested: list[VerificationReport] = []
        adapted = secured.ok
        issuer_ok = True
        if secured.kind == "credential":
            if adapted:
                issuer = issuer_binding(secured, self.policy)  # 4.
                checks.append(issuer)
                issuer_ok = issuer.ok
                if secured.format == "sd-jwt-vc" and not presented:
                    presented = any(c.name == "key_binding" for c in checks)
                subject = subject_binding(secured, presented_by, self.policy, presented)
                if subject is not None:  # 7.
                    checks.append(subject)
        else:
            challenge = expected.challenge if secured.format == "vp-di" else expected.nonce
            checks += holder_binding(secured, self.policy, challenge)  # 5.
            written = facts if secured.format == "vp-di" else None  # its credentials are parts
            nested = self._nested(secured, checks, moment, collect, written)  # 6.
        if isinstance(secured.document, dict) and secured.format != "unknown":
            checks.append(validity(secured, moment, self.policy.clock_skew))  # 8.
        if secured.status and with_status and secured.kind == "credential" and passed(checks):
            checks += self._status(secured, moment)  # 9.
        if judge_trust and secured.kind == "credential" and adapted and issuer_ok:
            anchored = (
                anchored_time(anchoring, self.log_keys)
                if self.trust is not None and anchoring is not None
                else None
            )
            judged = self._with_expanded_types(secured)
            checks.append(trust_check(self.trust, judged, moment, anchored))  # 10.
        report = VerificationReport.from_checks(secured.format, checks, secured.document, nested)
        return report, secured

    def _with_expanded_types(self, secured: Secured) -> Secured:
        """``secured`` with the IRIs of a ``vc+jwt``'s types (from its own, signed, contexts).

        Data Integrity has them from the contexts step; an SD-JWT VC is judged on its
        ``vct``. The trust-any policy reads no types, so none are expanded for it.
        """
        if (
            secured.format != "vc-jwt"
            or secured.expanded_types
            or self.trust is None
            or isinstance(self.trust, UnsafeTrustAnyIssuer)
        ):
            return secured
        return replace(secured, expanded_types=self._types(secured.document))

    def _secure(
        self,
        value: Any,
        expected: _Expected,
        moment: datetime,
        expect: Kind | None,
        facts: JsonFacts | None = None,
    ) -> Secured:
        """Steps 2-3: detect the format (opening a VCDM envelope), run its adapter."""
        secured = self._adapt(value, expected, moment, expect, envelope_ok=True, facts=facts)
        types = secured.types
        if (_BOTH[0] in types and _BOTH[1] in types) or self._both_by_iri(secured):
            conflict = fail(
                "format",
                "credential.type_conflict",
                "typed both VerifiableCredential and VerifiablePresentation: a document is one",
            )
            secured = replace(secured, checks=(*secured.checks, conflict))
        return secured

    def _both_by_iri(self, secured: Secured) -> bool:
        """Typed both VC and VP once a type written as an IRI is expanded (a type value is
        vocabulary-relative: the IRI of ``VerifiableCredential`` is that type)."""
        if not any(":" in t for t in secured.types):
            return False
        iris = secured.expanded_types
        if not iris and secured.format in ("vc-jwt", "vp-jwt"):
            iris = self._types(secured.document)
        return _BOTH_IRIS[0] in iris and _BOTH_IRIS[1] in iris

    def _adapt(
        self,
        value: Any,
        expected: _Expected,
        moment: datetime,
        expect: Kind | None,
        *,
        envelope_ok: bool,
        facts: JsonFacts | None = None,
    ) -> Secured:
        skew, limits = self.policy.clock_skew, self.limits
        token = compact_token(value)
        if token is not None and "~" in token:
            return secure_sd_jwt(
                token,
                self.keys,
                moment,
                clock_skew=skew,
                limits=limits,
                require_key_binding=self.policy.require_key_binding,
                key_binding_max_age=self.policy.key_binding_max_age,
                nonce=expected.nonce,
                audience=expected.audience,
            )
        if token is not None:
            return secure_jose(
                token,
                self.keys,
                moment,
                clock_skew=skew,
                limits=limits,
                nonce=expected.nonce,
                audience=expected.audience,
                expect=expect,
            )
        document = value
        if isinstance(value, str | bytes | bytearray):
            try:
                document = parse_json(
                    bytes(value) if isinstance(value, bytearray) else value, limits
                )
            except DidGovError as exc:
                return failed("unknown", fail("parse", exc.code, exc.message))
        if not isinstance(document, dict):
            code = "input.not_object" if expect is None else "presentation.credential_invalid"
            return failed("unknown", fail("parse", code, "expected a JSON object"))
        if isinstance(document.get("type"), str) and document["type"] in ENVELOPE_TYPES:
            opened = open_enveloped(document, expect)
            if opened.token is None or not envelope_ok:
                return failed("unknown", opened.check, document)
            inner = self._adapt(opened.token, expected, moment, opened.kind, envelope_ok=False)
            return replace(inner, checks=(opened.check, *inner.checks))
        types = as_list(document.get("type"))
        kind: Kind = (
            "presentation"
            if expect != "credential"
            and "VerifiablePresentation" in types
            and "VerifiableCredential" not in types
            else "credential"
        )
        if expect == "presentation":
            kind = "presentation"
        is_vp = kind == "presentation"
        return secure_di(
            document,
            kind,
            self.keys,
            moment,
            clock_skew=skew,
            loader=self.loader,
            limits=limits,
            challenge=expected.challenge if is_vp else None,
            domain=expected.domain if is_vp else None,
            context_policy=self.policy.context_policy,
            json_facts=facts,
        )

    def _nested(
        self,
        presentation: Secured,
        checks: list[Check],
        moment: datetime,
        collect: list[Secured] | None = None,
        facts: JsonFacts | None = None,
    ) -> list[VerificationReport]:
        """Step 6: one report per credential of a presentation, within ``Limits``; each with step 7.

        ``facts``: those of the presentation as written, whose credentials are its parts.
        """
        entries = presentation.credentials
        if len(entries) > self.limits.max_credentials_per_presentation:
            checks.append(
                fail(
                    "credentials",
                    "input.limit_exceeded",
                    f"more than {self.limits.max_credentials_per_presentation} credentials",
                )
            )
            return []
        holder = holder_of(presentation, checks)
        reports = []
        for entry in entries:
            if not isinstance(entry, dict | str):
                reports.append(
                    VerificationReport.from_checks(
                        "unknown",
                        [fail("parse", "presentation.credential_invalid", "not a credential")],
                    )
                )
                continue
            report, secured = self._steps(
                entry,
                _NOTHING,
                moment,
                expect="credential",
                presented_by=holder,
                presented=True,
                facts=facts.part(entry) if facts is not None else None,
            )
            reports.append(report)
            if collect is not None:
                collect.append(secured)
        return reports

    def _status(self, secured: Secured, moment: datetime) -> list[Check]:
        """Step 9: each status entry against a list that counts for this issuer."""
        if not secured.status:
            return []
        trust = self.trust

        def may_publish(list_issuer: str, credential_issuer: str) -> bool:
            return trust is not None and trust.may_publish_status(
                list_issuer, credential_issuer, moment
            )

        session = StatusSession(
            self.offline_lists, self.status_source, self._verify_list, moment, may_publish
        )
        return status_checks(secured, session, self.policy, self.limits, self.status_cache, moment)

    def _verify_list(self, unverified: Any, moment: datetime) -> tuple[VerificationReport, Secured]:
        """A status list credential through steps 2-8 (once per content and moment)."""
        return self._verified_lists.verify(unverified, moment, self._verify_list_now)

    def _verify_list_now(
        self, unverified: Any, moment: datetime
    ) -> tuple[VerificationReport, Secured]:
        if not isinstance(unverified, dict | str | bytes):
            secured = failed("unknown", fail("parse", "input.not_object", "not a list credential"))
            return VerificationReport.from_checks("unknown", secured.checks), secured
        # A list's issuer is judged by may_publish_status, not by the trust step.
        return self._steps(
            unverified, _NOTHING, moment, expect="credential", with_status=False, judge_trust=False
        )

    # -- 11. anchor receipts (specs/anchor-receipt.md §7.3) --------------------------------

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
        return self._check_anchors(report, document, Anchors(receipts))

    def _check_anchors(
        self, report: VerificationReport, document: Any, anchors: Anchors
    ) -> VerificationReport:
        """:meth:`check_anchors` with the anchorings steps 3 and 10 already computed."""
        receipts = anchors.receipts
        required = self.policy.require_anchor
        used: set[int] = set()
        presentation = isinstance(document, dict) and "VerifiablePresentation" in as_list(
            document.get("type")
        )
        if not presentation:
            check, used = anchor_check(anchors.of(document), self.log_keys, required=required)
            extra = [c for c in (check, unmatched_check(receipts, used)) if c is not None]
            return _with_checks(report, extra)
        credentials = credentials_of(document)
        nested = list(report.credentials)
        if len(nested) == len(credentials):
            for i, credential in enumerate(credentials):
                check, found = anchor_check(
                    anchors.of(credential), self.log_keys, required=required
                )
                used |= found
                if check is not None:
                    nested[i] = _with_checks(nested[i], [check])
        leftover = unmatched_check(receipts, used)
        return _with_checks(report, [leftover] if leftover else [], nested)


def _check_request(request: Any, *expected: str | None) -> None:
    """A request is a PresentationRequest, and it alone says what the binding must be."""
    if not isinstance(request, PresentationRequest):
        raise InvalidInputError("request must be a did_gov.trust.PresentationRequest")
    if any(value is not None for value in expected):
        raise InvalidInputError(
            "a request sets the expected challenge, domain, nonce and audience: "
            "give none of them beside it"
        )


def _unbound_sd_jwt(value: Any) -> bool:
    """An SD-JWT presented without a Key Binding JWT (it ends with ``~``)."""
    token = compact_token(value)
    return token is not None and "~" in token and token.endswith("~")


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
