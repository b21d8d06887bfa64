"""The kiosk without HTTP: sessions, the signed request, verifying a response, forgetting it.

A :class:`Kiosk` makes a session per check (a fresh single-use ``nonce``, a ``state``),
signs the request object the wallet fetches, verifies the ``vp_token`` the wallet posts
(each presentation against the request narrowed to the credential query it is keyed
by, then the query's credential sets), and keeps the verdict — with the claim values —
in memory only until the session ends (expiry, or the page clearing it). Its log is one
JSON line per event with time, verdict, formats, check codes, accredited issuer DIDs
and salted hashes: never a claim value (``specs/kiosk.md`` §7).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from did_gov._time import utc_now
from did_gov.errors import DidGovError, PresentationRequestError
from did_gov.keys import Signer
from did_gov.kiosk._trust import TrustSource, TrustState
from did_gov.trust import PresentationRequest, kiosk_query
from did_gov.trust._oid4vp import (
    DirectPostResponse,
    authorization_request_url,
    client_id_for,
    credential_sets_met,
    kiosk_did,
    kiosk_kid,
    request_for_query,
    request_object,
    sign_request_object,
)
from did_gov.verify import VerificationReport

__all__ = ["Kiosk", "Outcome", "Session"]

SESSION_TTL = timedelta(minutes=5)
"""A session expires five minutes after it was made (issue 13)."""
MAX_SESSIONS = 10_000
"""Open sessions kept at most; the oldest are dropped first."""
_REFUSING_QUERY = kiosk_query([], ["urn:did-gov:kiosk:no-trust"])
"""The query of a session made while no bundle is loaded (its verdict is a refusal)."""

_JWT_RESERVED = frozenset(
    {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "cnf", "vct", "vct#integrity", "status"}
    | {"_sd", "_sd_alg"}
)


@dataclass
class Outcome:
    """A session's verdict: what ``GET /sessions/<state>`` and the page show (in memory only)."""

    status: str  # "verified" | "rejected"
    checks: list[dict[str, Any]]
    claims: dict[str, list[Any]]
    code: str  # the deciding code ("ok" when verified)
    issuers: list[dict[str, Any]] = field(default_factory=list)
    anchored: bool | None = None
    formats: list[str] = field(default_factory=list)


@dataclass
class Session:
    """One check: its request, single-use nonce, and (once answered) its outcome."""

    state: str
    nonce: str
    created: datetime
    expires: datetime
    request: PresentationRequest
    request_jwt: str
    status: str = "pending"  # pending -> verifying -> verified | rejected
    outcome: Outcome | None = None


def _issuer_of(document: Any) -> str | None:
    if not isinstance(document, Mapping):
        return None
    issuer = document.get("issuer", document.get("iss"))
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if issuer is None and isinstance(document.get("vc"), Mapping):
        return _issuer_of(document["vc"])
    return issuer if isinstance(issuer, str) else None


def _claims_of(document: Any) -> Any:
    """A VC's ``credentialSubject`` (VCDM 2.0, or a 1.1 JWT's ``vc``), an SD-JWT VC's claims."""
    if not isinstance(document, Mapping):
        return None
    if "credentialSubject" in document:
        return document["credentialSubject"]
    if isinstance(document.get("vc"), Mapping) and "credentialSubject" in document["vc"]:
        return document["vc"]["credentialSubject"]
    return {k: v for k, v in document.items() if k not in _JWT_RESERVED}


def _credential_reports(report: VerificationReport) -> list[VerificationReport]:
    """The credential reports of a presentation, or the report itself (an SD-JWT VC)."""
    return list(report.credentials) if report.credentials else [report]


def _flat_checks(report: VerificationReport) -> list[dict[str, Any]]:
    out = [{"name": c.name, "ok": c.ok, "code": c.code} for c in report.checks]
    for i, nested in enumerate(report.credentials):
        out += [
            {"name": f"credential[{i}].{c.name}", "ok": c.ok, "code": c.code} for c in nested.checks
        ]
    return out


class Kiosk:
    """Sessions and verification for the kiosk app (``create_app`` puts HTTP around it).

    ``signer`` signs request objects (its did:key is the kiosk's DID); ``public_url`` is
    the base of the request and response URIs; ``now`` the clock (injectable); ``log``
    a text stream receiving one JSON line per event (None: no log).
    """

    def __init__(
        self,
        trust: TrustSource,
        signer: Signer,
        public_url: str,
        *,
        now: Callable[[], datetime] = utc_now,
        log: IO[str] | None = None,
        session_ttl: timedelta = SESSION_TTL,
    ) -> None:
        self.source = trust
        self.signer = signer
        self.public_url = public_url.rstrip("/")
        self.did = kiosk_did(signer.public_key)
        self.kid = kiosk_kid(signer.public_key)
        self.client_id = client_id_for(self.did)
        self.now = now
        self.session_ttl = session_ttl
        self._log = log
        self._salt = secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.trust: TrustState = trust.load(now())
        self._log_event("trust", **self._trust_fields())

    # -- trust ---------------------------------------------------------------------------

    def _trust_fields(self) -> dict[str, Any]:
        state = self.trust
        if state.bundle is None:
            return {"loaded": False, "codes": [state.failure[0]] if state.failure else []}
        return {"loaded": True, "bundle_version": state.bundle.version}

    def reload(self) -> bool:
        """Load the trust again (SIGHUP with a store); keep the old state if the new one fails."""
        fresh = self.source.load(self.now())
        if fresh.bundle is None and self.trust.bundle is not None:
            self._log_event(
                "reload", loaded=False, codes=[fresh.failure[0] if fresh.failure else ""]
            )
            return False
        self.trust = fresh
        self._log_event("reload", **self._trust_fields())
        return True

    # -- sessions ------------------------------------------------------------------------

    @property
    def response_uri(self) -> str:
        """Where wallets post (``direct_post``)."""
        return f"{self.public_url}/response"

    def request_uri(self, state: str) -> str:
        """Where the wallet fetches the session's signed request object."""
        return f"{self.public_url}/requests/{state}"

    def new_session(self) -> tuple[Session, str]:
        """A new session and its ``openid4vp://`` authorization request URL."""
        now = self.now()
        self._sweep(now)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        query = self.trust.query or _REFUSING_QUERY  # without trust, every verdict is refused
        request = PresentationRequest(query, nonce, self.client_id)
        payload = request_object(
            client_id=self.client_id,
            response_uri=self.response_uri,
            nonce=nonce,
            state=state,
            dcql_query=query,
            issued_at=now,
            expires_at=now + self.session_ttl,
        )
        jwt = sign_request_object(payload, self.signer, self.kid)
        session = Session(state, nonce, now, now + self.session_ttl, request, jwt)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[state] = session
        self._log_event("session", session=self._hash(state.encode()))
        return session, authorization_request_url(self.client_id, self.request_uri(state))

    def session(self, state: str) -> Session | None:
        """The open session ``state``, or None when unknown or expired."""
        now = self.now()
        with self._lock:
            session = self._sessions.get(state)
            if session is not None and now >= session.expires:
                del self._sessions[state]
                return None
            return session

    def end(self, state: str) -> bool:
        """End a session now: its claim values are dropped (the page cleared the verdict)."""
        with self._lock:
            return self._sessions.pop(state, None) is not None

    def _sweep(self, now: datetime) -> None:
        with self._lock:
            for state in [s for s, v in self._sessions.items() if now >= v.expires]:
                del self._sessions[state]

    def open_sessions(self) -> int:
        """How many sessions are held (the tests check that ended ones are gone)."""
        with self._lock:
            return len(self._sessions)

    # -- responses -----------------------------------------------------------------------

    def claim(self, state: str) -> Session | None:
        """Take the session for its one response: pending → verifying (the nonce is spent)."""
        now = self.now()
        with self._lock:
            session = self._sessions.get(state)
            if session is None or now >= session.expires or session.status != "pending":
                return None
            session.status = "verifying"
            return session

    def pasted_response(self, state: str, text: str) -> DirectPostResponse:
        """A presentation pasted or uploaded at the counter, keyed to the query of its format."""
        session = self.session(state)
        text = text.strip()
        fmt = "jwt_vc_json"
        item: str | dict[str, Any] = text
        if text.startswith("{"):
            from did_gov._json import parse_json

            try:
                parsed = parse_json(text)
            except DidGovError as exc:
                raise PresentationRequestError(
                    exc.message, code="oid4vp.vp_token_invalid"
                ) from None
            if not isinstance(parsed, dict) or not parsed:
                raise PresentationRequestError(
                    "a presentation is a JSON object", code="oid4vp.vp_token_invalid"
                )
            item, fmt = parsed, "ldp_vc"
        elif "~" in text:
            fmt = "dc+sd-jwt"
        if not text:
            raise PresentationRequestError("nothing was pasted", code="oid4vp.vp_token_missing")
        query_id = "vc-di"
        if session is not None:
            queries = session.request.dcql_query.credentials
            query_id = next((q.id for q in queries if q.format == fmt), queries[0].id)
        return DirectPostResponse(state, {query_id: (item,)})

    def verify_response(self, session: Session, response: DirectPostResponse) -> Outcome:
        """Verify every presentation of ``response`` for ``session``; record and log the outcome."""
        now = self.now()
        try:
            outcome = self._outcome(session, response, now)
        except DidGovError as exc:  # misuse inside a verification: still a verdict, fail closed
            outcome = Outcome(
                "rejected", [{"name": "kiosk", "ok": False, "code": exc.code}], {}, exc.code
            )
        session.outcome = outcome
        session.status = outcome.status
        self._log_verdict(session, response, outcome)
        return outcome

    def _outcome(self, session: Session, response: DirectPostResponse, now: datetime) -> Outcome:
        trust = self.trust
        refusal = trust.refusal(now)
        if refusal is not None or trust.verifier is None:
            code = refusal[0] if refusal else "trust.not_configured"
            check = {"name": "trust", "ok": False, "code": code}
            return Outcome("rejected", [check], {}, code)
        checks: list[dict[str, Any]] = []
        claims: dict[str, list[Any]] = {}
        issuers: dict[str, dict[str, Any]] = {}
        answered: list[str] = []
        anchored: list[bool] = []
        formats: list[str] = []
        deciding: str | None = None
        for query_id, presentation in response.presentations():
            try:
                request = request_for_query(session.request, query_id)
            except PresentationRequestError as exc:
                checks.append({"name": "request", "ok": False, "code": exc.code})
                deciding = deciding or exc.code
                continue
            report = trust.verifier.verify(presentation, request=request, now=now)
            formats.append(report.format)
            checks += _flat_checks(report)
            if not report.verified:
                deciding = deciding or _deciding_code(report)
                continue
            answered.append(query_id)
            for credential in _credential_reports(report):
                claims.setdefault(query_id, []).append(_claims_of(credential.document))
                issuer = _issuer_of(credential.document)
                if issuer is not None:
                    name, name_zh = trust.issuer_name(issuer)
                    issuers[issuer] = {"id": issuer, "name": name, "name_zh": name_zh}
                anchored.append(any(c.name == "anchor" and c.ok for c in credential.checks))
        if deciding is None and not credential_sets_met(session.request.dcql_query, answered):
            deciding = "request.credential_set_unmet"
            checks.append({"name": "request", "ok": False, "code": deciding})
        if deciding is not None:
            return Outcome("rejected", checks, {}, deciding, formats=formats)
        return Outcome(
            "verified",
            checks,
            claims,
            "ok",
            list(issuers.values()),
            bool(anchored) and all(anchored),
            formats,
        )

    # -- the log -------------------------------------------------------------------------

    def _hash(self, data: bytes) -> str:
        """A salted hash (HMAC-SHA-256 under a per-process random salt never written down)."""
        return hmac.new(self._salt, data, hashlib.sha256).hexdigest()[:32]

    def _log_event(self, event: str, **fields: Any) -> None:
        if self._log is None:
            return
        line = {"time": self.now().isoformat(), "event": event, **fields}
        try:
            self._log.write(json.dumps(line, ensure_ascii=True, sort_keys=True) + "\n")
            self._log.flush()
        except (OSError, ValueError):
            pass  # a full disk or closed stream must not stop verification

    def _log_verdict(
        self, session: Session, response: DirectPostResponse, outcome: Outcome
    ) -> None:
        if self._log is None:
            return
        known = self.trust.names or {}
        issuers = sorted(i["id"] for i in outcome.issuers if i["id"] in known)
        digest = [
            self._hash(
                p.encode("utf-8")
                if isinstance(p, str)
                else json.dumps(p, sort_keys=True).encode("utf-8")
            )
            for _, p in response.presentations()
        ]
        self._log_event(
            "verdict",
            verdict=outcome.status,
            formats=sorted(set(outcome.formats)),
            codes=sorted({c["code"] for c in outcome.checks if c["code"] != "ok"} | {outcome.code}),
            issuers=issuers,
            session=self._hash(session.state.encode()),
            presentations=digest,
        )


def _deciding_code(report: VerificationReport) -> str:
    """The code that decided a rejection: the first failure, a definite one before an unknown."""
    errors = report.errors
    definite = [c for c in errors if not c.indeterminate]
    chosen = (definite or list(errors))[:1]
    return chosen[0].code if chosen else "verification.failed"
