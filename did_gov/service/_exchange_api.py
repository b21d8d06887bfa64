"""VCALM exchanges: create, ask what to present, present once, look (``specs/service.md`` §3).

The exchange's state lives in the service store, so any instance can answer any step and a
presentation is taken once: ``requested → completing`` is one conditional update, and a
replayed post (to this instance or another) finds the exchange no longer ``requested``
(409 ``service.exchange_used``). The last step stores the outcome with the exchange, for
``GET`` of the exchange URL by the coordinator or, once, by the wallet that holds the
``response_code`` of an OpenID4VP answer, until the exchange expires.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from did_gov._asgi import ProblemError, problem_body
from did_gov.proofs import jose
from did_gov.service._exchanges import SignsRequests, Workflow, WorkflowOutcome, WorkflowResult
from did_gov.service._state import ServiceState
from did_gov.service._store import Exchange

__all__ = [
    "ask",
    "challenge_of",
    "create",
    "denial",
    "exchange_view",
    "present_to",
    "protocols",
    "take_response_code",
]

EXCHANGE_TTL = 15 * 60.0
"""Seconds an exchange may take from creation to the holder's presentation."""
_VC_V2 = "https://www.w3.org/ns/credentials/v2"
_STATES = {
    "pending": "pending",
    "requested": "active",
    "completing": "active",
    "complete": "complete",
    "failed": "invalid",
}
"""Our exchange states as VCALM names them (``GetExchangeResponse.state``)."""


def _unknown(workflow: str, exchange_id: str) -> ProblemError:
    return ProblemError(
        404, "service.exchange_unknown", f"no exchange {exchange_id!r} of workflow {workflow!r}"
    )


def exchange_url(state: ServiceState, workflow: Workflow, exchange_id: str) -> str:
    """The exchange's URL (its ``vcapi`` protocol, and the capability to take part)."""
    return f"{state.config.public_url}/workflows/{workflow.id}/exchanges/{exchange_id}"


def offers_openid4vp(workflow: Workflow) -> bool:
    """Whether the workflow's exchanges are offered over OpenID4VP (a query and a request key)."""
    return isinstance(workflow, SignsRequests) and workflow.dcql_query() is not None


def protocols(state: ServiceState, workflow: Workflow, exchange_id: str) -> dict[str, str]:
    """The exchange's VCALM ``protocols``: ``vcapi``, and ``oid4vp-1.0`` (alias ``OID4VP``)."""
    offered = {"vcapi": exchange_url(state, workflow, exchange_id)}
    if offers_openid4vp(workflow):
        from did_gov.service._exchange_openid import authorization_request

        url = authorization_request(state, workflow, exchange_id)
        offered["oid4vp-1.0"] = url
        offered["OID4VP"] = url  # VCALM's deprecated unversioned name, for older wallets
    return offered


def create(state: ServiceState, workflow: Workflow) -> dict[str, Any]:
    """A new exchange of ``workflow``: ``{exchangeId, exchangeUrl, protocols}`` (201)."""
    now = time.time()
    exchange_id = secrets.token_urlsafe(18)
    state.store().create_exchange(workflow.id, exchange_id, now + EXCHANGE_TTL)
    return {
        "exchangeId": exchange_id,
        "exchangeUrl": exchange_url(state, workflow, exchange_id),
        "protocols": protocols(state, workflow, exchange_id),
    }


def found_exchange(state: ServiceState, workflow: Workflow, exchange_id: str) -> Exchange:
    """The stored exchange, or 404 ``service.exchange_unknown``."""
    found = state.store().exchange(workflow.id, exchange_id)
    if found is None:
        raise _unknown(workflow.id, exchange_id)
    return found


def domain(state: ServiceState) -> str:
    """The exchanges' ``domain``: the service's public URL."""
    return state.config.public_url


def challenge_of(state: ServiceState, workflow: Workflow, exchange_id: str) -> tuple[str, float]:
    """The exchange's challenge (made on the first ask, the same after) and its expiry.

    The first ask moves it ``pending → requested``; an expired exchange is 409
    ``service.exchange_expired``, one that took its presentation 409 ``service.exchange_used``.
    """
    store = state.store()
    now = time.time()
    challenge = secrets.token_urlsafe(24)
    if store.transition(
        workflow.id, exchange_id, "pending", "requested", challenge=challenge, now=now
    ):
        found = store.exchange(workflow.id, exchange_id)
        return challenge, found.expires if found is not None else now + EXCHANGE_TTL
    found = found_exchange(state, workflow, exchange_id)
    if found.expires <= now:
        raise ProblemError(409, "service.exchange_expired", "the exchange has expired")
    if found.state != "requested" or found.challenge is None:
        raise ProblemError(409, "service.exchange_used", "the exchange was already used")
    return found.challenge, found.expires


def ask(state: ServiceState, workflow: Workflow, exchange_id: str) -> dict[str, Any]:
    """The holder posted ``{}``: the workflow's request under this exchange's challenge.

    Asking again before presenting returns the same challenge.
    """
    challenge, _ = challenge_of(state, workflow, exchange_id)
    request = workflow.presentation_request(challenge=challenge, domain=domain(state))
    return {"verifiablePresentationRequest": request}


def present_to(
    state: ServiceState,
    workflow: Workflow,
    exchange_id: str,
    presentation: object,
    *,
    audience: str | None = None,
    response_code: str | None = None,
    declined: str | None = None,
) -> WorkflowOutcome:
    """Take the exchange (once) and let the workflow decide on the presentation.

    ``audience`` is what the presentation must be bound to besides the challenge (default:
    the service's ``domain``; an OpenID4VP answer: the request's ``client_id``). The outcome
    is stored with the exchange, with the SHA-256 of ``response_code`` when given.
    ``declined`` is a wallet's OpenID4VP error code: the exchange is spent without a decision
    (``oid4vp.wallet_error``).
    """
    store = state.store()
    now = time.time()
    found = found_exchange(state, workflow, exchange_id)
    if found.state == "pending":
        raise ProblemError(
            409, "service.exchange_not_requested", "ask for the presentation request first"
        )
    if found.expires <= now:
        raise ProblemError(409, "service.exchange_expired", "the exchange has expired")
    # the challenge is replaced by this taking's own marker: used, it is never needed again,
    # and the store recognises its own move should the answer to the commit be lost
    taken = "taken:" + secrets.token_urlsafe(12)
    if found.challenge is None or not store.transition(
        workflow.id, exchange_id, "requested", "completing", challenge=taken, now=now
    ):
        raise ProblemError(409, "service.exchange_used", "the exchange was already used")
    bound = domain(state) if audience is None else audience
    try:
        result: WorkflowOutcome
        if declined is not None:
            reason = f"the wallet answered with the error {declined[:64]!r}"
            result = WorkflowResult(False, None, "oid4vp.wallet_error", reason, None)
        else:
            result = workflow.complete(presentation, challenge=found.challenge, domain=bound)
    except BaseException:
        store.transition(workflow.id, exchange_id, "completing", "failed", now=now)
        raise
    store.transition(
        workflow.id,
        exchange_id,
        "completing",
        "complete" if result.approved else "failed",
        result=_stored(result, response_code),
        now=now,
    )
    return result


def denial(result: WorkflowOutcome) -> ProblemError:
    """A denied result as the error the presentation step answers (403, the workflow's code
    and reason)."""
    return ProblemError(
        403,
        result.code or "service.exchange_denied",
        result.reason or "the workflow did not approve the presentation",
    )


def denial_problem(result: WorkflowOutcome) -> dict[str, Any]:
    """A denied result as problem details, as kept with the exchange (``lastError``)."""
    error = denial(result)
    return problem_body(error.status, error.code, error.detail)


def _stored(result: WorkflowOutcome, response_code: str | None) -> str:
    """The outcome kept with the exchange (JSON): the answer body or the denial, never a record."""
    kept: dict[str, Any] = {"approved": result.approved}
    if result.approved:
        kept["answer"] = result_body(result)
    else:
        kept["lastError"] = denial_problem(result)
    if response_code is not None:
        kept["responseCode"] = _digest(response_code)
    return _encoded(kept)


def _encoded(kept: dict[str, Any]) -> str:
    return json.dumps(kept, separators=(",", ":"), sort_keys=True)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _matches(kept: dict[str, Any], response_code: str) -> bool:
    """Whether ``response_code`` is the one the exchange's OpenID4VP answer gave (constant time)."""
    digest = kept.get("responseCode")
    return isinstance(digest, str) and hmac.compare_digest(digest, _digest(response_code))


def take_response_code(state: ServiceState, found: Exchange, response_code: str) -> bool:
    """Use up ``response_code`` if it is the exchange's: True once, then False (§3.2).

    The kept digest is replaced, in one conditional update, by a marker no code matches, so of
    two readers with the code (the wallet's user agent, whoever later finds the URL in a
    history or a log) only the first sees the outcome.
    """
    if found.result is None:
        return False
    kept = json.loads(found.result)
    if not _matches(kept, response_code):
        return False
    kept["responseCode"] = "used:" + secrets.token_hex(8)
    return state.store().replace_result(found.workflow, found.id, found.result, _encoded(kept))


def exchange_view(state: ServiceState, workflow: Workflow, found: Exchange) -> dict[str, Any]:
    """``GET`` of the exchange URL: VCALM's exchange state, and its outcome while it is kept.

    ``{"id", "state", "expires", "protocols"}``; once decided, ``verifiablePresentation``
    (the issued credential, as the presentation step answered) or ``lastError`` (the
    denial, problem details). The outcome is gone once the exchange has expired.
    """
    expires = datetime.fromtimestamp(found.expires, UTC).replace(microsecond=0)
    view: dict[str, Any] = {
        "id": found.id,
        "state": _STATES.get(found.state, found.state),
        "expires": expires.isoformat().replace("+00:00", "Z"),
    }
    now = time.time()
    if found.expires > now:
        view["protocols"] = protocols(state, workflow, found.id)
        if found.result is not None:
            kept = json.loads(found.result)
            if "answer" in kept:
                view.update(kept["answer"])
            if "lastError" in kept:
                view["lastError"] = kept["lastError"]
    return view


def result_body(result: WorkflowOutcome) -> dict[str, Any]:
    """An approved result as VCALM returns it: a presentation carrying the credential."""
    credential = result.credential
    if isinstance(credential, str):
        media = "application/vc+sd-jwt" if "~" in credential else jose.VC_MEDIA_TYPE
        credential = jose.envelope(credential, media)
    body: dict[str, Any] = {
        "verifiablePresentation": {
            "@context": [_VC_V2],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [credential],
        }
    }
    return body


def read_exchange_post(body: Mapping[str, Any]) -> object | None:
    """``{}`` (None: ask for the request) or ``{"verifiablePresentation": VP}``."""
    unknown = sorted(set(body) - {"verifiablePresentation"})
    if unknown:
        raise ProblemError(400, "service.body_invalid", f"unknown member(s): {', '.join(unknown)}")
    if "verifiablePresentation" not in body:
        return None
    presentation = body["verifiablePresentation"]
    if not isinstance(presentation, dict):
        raise ProblemError(
            400, "service.body_invalid", "verifiablePresentation must be a JSON object"
        )
    return presentation
