"""VCALM exchanges: create, ask what to present, present once (``specs/service.md`` §3).

The exchange's state lives in the service store, so any instance can answer any step and a
presentation is taken once: ``requested → completing`` is one conditional update, and a
replayed post (to this instance or another) finds the exchange no longer ``requested``
(409 ``service.exchange_used``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from did_gov._asgi import ProblemError
from did_gov.proofs import jose
from did_gov.service._exchanges import Workflow, WorkflowResult
from did_gov.service._state import ServiceState

__all__ = ["ask", "create", "present_to"]

EXCHANGE_TTL = 15 * 60.0
"""Seconds an exchange may take from creation to the holder's presentation."""
_VC_V2 = "https://www.w3.org/ns/credentials/v2"


def _unknown(workflow: str, exchange_id: str) -> ProblemError:
    return ProblemError(
        404, "service.exchange_unknown", f"no exchange {exchange_id!r} of workflow {workflow!r}"
    )


def create(state: ServiceState, workflow: Workflow) -> dict[str, Any]:
    """A new exchange of ``workflow``: ``{exchangeId, exchangeUrl}`` (201)."""
    exchange_id = secrets.token_urlsafe(18)
    state.store().create_exchange(workflow.id, exchange_id, time.time() + EXCHANGE_TTL)
    url = f"{state.config.public_url}/workflows/{workflow.id}/exchanges/{exchange_id}"
    return {"exchangeId": exchange_id, "exchangeUrl": url}


def domain(state: ServiceState) -> str:
    """The exchanges' ``domain``: the service's public URL."""
    return state.config.public_url


def ask(state: ServiceState, workflow: Workflow, exchange_id: str) -> dict[str, Any]:
    """The holder posted ``{}``: the workflow's request under this exchange's challenge.

    Asking again before presenting returns the same challenge.
    """
    store = state.store()
    now = time.time()
    challenge = secrets.token_urlsafe(24)
    if not store.transition(
        workflow.id, exchange_id, "pending", "requested", challenge=challenge, now=now
    ):
        found = store.exchange(workflow.id, exchange_id)
        if found is None:
            raise _unknown(workflow.id, exchange_id)
        if found.expires <= now:
            raise ProblemError(409, "service.exchange_expired", "the exchange has expired")
        if found.state != "requested" or found.challenge is None:
            raise ProblemError(409, "service.exchange_used", "the exchange was already used")
        challenge = found.challenge
    request = workflow.presentation_request(challenge=challenge, domain=domain(state))
    return {"verifiablePresentationRequest": request}


def present_to(
    state: ServiceState, workflow: Workflow, exchange_id: str, presentation: object
) -> WorkflowResult:
    """Take the exchange (once) and let the workflow decide on the presentation."""
    store = state.store()
    now = time.time()
    found = store.exchange(workflow.id, exchange_id)
    if found is None:
        raise _unknown(workflow.id, exchange_id)
    if found.state == "pending":
        raise ProblemError(
            409, "service.exchange_not_requested", "ask for the presentation request first"
        )
    if found.expires <= now:
        raise ProblemError(409, "service.exchange_expired", "the exchange has expired")
    if found.challenge is None or not store.transition(
        workflow.id, exchange_id, "requested", "completing", now=now
    ):
        raise ProblemError(409, "service.exchange_used", "the exchange was already used")
    try:
        result = workflow.complete(presentation, challenge=found.challenge, domain=domain(state))
    except BaseException:
        store.transition(workflow.id, exchange_id, "completing", "failed", now=now)
        raise
    store.transition(
        workflow.id, exchange_id, "completing", "complete" if result.approved else "failed", now=now
    )
    return result


def result_body(result: WorkflowResult) -> dict[str, Any]:
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
