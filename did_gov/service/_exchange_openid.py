"""An exchange over OpenID4VP 1.0: the signed request, the wallet's ``direct_post`` (``specs/service.md`` §3.1).

The kiosk's code (``did_gov.trust._oid4vp``) builds and reads the messages; this module binds
them to an exchange. The request object (``GET …/openid/request``) is the exchange's ask
step: its ``nonce`` is the exchange's challenge (made then, or the one already asked for),
its ``state`` the exchange id, its ``response_uri`` the exchange's ``…/openid/response``,
its ``client_id`` ``decentralized_identifier:<did>`` of the key that signs it (the workflow's
:meth:`~did_gov.service.SignsRequests.request_signer`), its DCQL query the workflow's. The
wallet's ``direct_post`` takes the exchange once through the same
:func:`~did_gov.service._exchange_api.present_to` as a VCALM presentation, with the
``client_id`` as the audience the presentations must be bound to, and is answered 200
``{"redirect_uri": exchange URL + "?response_code=…"}``: the one-time code that lets the
wallet's user agent read the outcome.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

from did_gov._asgi import ProblemError
from did_gov.errors import PresentationRequestError
from did_gov.service import _exchange_api as exchanges
from did_gov.service._exchanges import SignsRequests, Workflow, WorkflowOutcome
from did_gov.service._state import ServiceState
from did_gov.trust._oid4vp import (
    authorization_request_url,
    client_id_for,
    parse_direct_post,
    request_object,
    sign_request_object,
)

__all__ = [
    "OpenIDError",
    "authorization_request",
    "client_id",
    "direct_post",
    "signed_request",
]

REQUEST_MEDIA_TYPE = "application/oauth-authz-req+jwt"
"""RFC 9101 §10.8: the media type of a signed request object."""
_FORM = "application/x-www-form-urlencoded"


class OpenIDError(Exception):
    """A ``direct_post`` the response URI cannot take: 400 ``invalid_request`` with our code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        """OpenID4VP §8.2 / RFC 6749 §5.2 error JSON, with the stable code beside it."""
        return {"error": "invalid_request", "error_description": self.message, "code": self.code}


def _signing(workflow: Workflow) -> SignsRequests:
    if not exchanges.offers_openid4vp(workflow):
        raise ProblemError(
            404,
            "service.openid4vp_unavailable",
            f"workflow {workflow.id!r} is not offered over OpenID4VP",
        )
    assert isinstance(workflow, SignsRequests)  # noqa: S101 - offers_openid4vp checked it
    return workflow


def client_id(workflow: Workflow) -> str:
    """``decentralized_identifier:<did>`` of the workflow's request key (as the kiosk's)."""
    _, kid = _signing(workflow).request_signer()
    return client_id_for(kid.split("#", 1)[0])


def _base(state: ServiceState, workflow: Workflow, exchange_id: str) -> str:
    return exchanges.exchange_url(state, workflow, exchange_id) + "/openid"


def authorization_request(state: ServiceState, workflow: Workflow, exchange_id: str) -> str:
    """``openid4vp://?client_id=…&request_uri=…`` for the exchange (its ``oid4vp-1.0`` protocol)."""
    return authorization_request_url(
        client_id(workflow), _base(state, workflow, exchange_id) + "/request"
    )


def signed_request(state: ServiceState, workflow: Workflow, exchange_id: str) -> str:
    """The exchange's request object, signed (the ask step: the challenge is its nonce)."""
    signer, kid = _signing(workflow).request_signer()
    query = workflow.dcql_query()
    assert query is not None  # noqa: S101 - _signing checked it
    challenge, expires = exchanges.challenge_of(state, workflow, exchange_id)
    payload = request_object(
        client_id=client_id(workflow),
        response_uri=_base(state, workflow, exchange_id) + "/response",
        nonce=challenge,
        state=exchange_id,
        dcql_query=query,
        issued_at=datetime.now(UTC),
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
    return sign_request_object(payload, signer, kid)


def direct_post(
    state: ServiceState, workflow: Workflow, exchange_id: str, media_type: str, body: bytes
) -> tuple[dict[str, str], WorkflowOutcome | None]:
    """Take the wallet's answer for the exchange: the JSON to answer 200 with, and the result.

    Raises :class:`OpenIDError` for an answer that cannot be taken (not a form, no or another
    exchange's ``state``, credential query ids the request lacks, an exchange unknown,
    expired or already used); the exchange is then left as it was, or stays spent.
    """
    _signing(workflow)
    if media_type != _FORM:
        raise OpenIDError("oid4vp.response_invalid", f"the response must be {_FORM}")
    try:
        posted = parse_direct_post(body)
    except PresentationRequestError as exc:
        raise OpenIDError(exc.code, exc.message) from None
    if not secrets.compare_digest(posted.state.encode(), exchange_id.encode()):
        raise OpenIDError(
            "oid4vp.state_mismatch", "the response's state is not this exchange's request"
        )
    queries = (workflow.dcql_query() or {}).get("credentials")
    listed = queries if isinstance(queries, list) else []
    known = {q.get("id") for q in listed if isinstance(q, Mapping)}
    unknown = sorted(set(posted.vp_token) - known)
    if unknown:
        raise OpenIDError(
            "request.query_unknown",
            f"the vp_token names credential queries the request does not have: {unknown}",
        )
    code = secrets.token_urlsafe(24)
    try:
        result = exchanges.present_to(
            state,
            workflow,
            exchange_id,
            dict(posted.vp_token),
            audience=client_id(workflow),
            response_code=code,
            declined=posted.error,  # the wallet's error response (§8.5) spends the exchange
        )
    except ProblemError as exc:
        if exc.status >= 500:
            raise
        raise OpenIDError(exc.code, exc.detail) from None
    url = exchanges.exchange_url(state, workflow, exchange_id)
    return {"redirect_uri": f"{url}?response_code={quote(code)}"}, result
