"""The Starlette application: routes, error handling, and the verifiers (``specs/service.md``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from did_gov._api import default_cryptosuite
from did_gov._asgi import BodyLimit, ProblemError, is_loopback, problem, read_json_object
from did_gov._time import utc_now
from did_gov.errors import DidGovError
from did_gov.service import _exchange_api as exchanges
from did_gov.service import _exchange_openid as openid
from did_gov.service._audit import Auditor, exchange_issue, issued_detail
from did_gov.service._auth import Authenticator, Caller
from did_gov.service._config import IssuerConfig, ServiceConfig
from did_gov.service._exchanges import Workflow
from did_gov.service._issue import issue_credential, read_issue_request
from did_gov.service._log_api import consistency, inclusion, integer_parameter
from did_gov.service._metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from did_gov.service._metrics import Metrics, MetricsMiddleware
from did_gov.service._openapi import openapi_document
from did_gov.service._state import ServiceState
from did_gov.service._status_api import (
    cache_headers,
    change_status,
    read_status_request,
    served_list,
    status_action,
)
from did_gov.service._verify import read_verify_request, report_body, run_verification
from did_gov.verify import VerificationPolicy, Verifier

__all__ = ["create_app"]

_LOG = logging.getLogger("did_gov.service")
_UNAVAILABLE = frozenset(
    {
        "status.registry_failed",
        "status.registry_open_failed",
        "ledger.backend_failed",
        "ledger.closed",
        "postgres.driver_missing",
        "service.store_failed",
    }
)
"""Codes that mean the store failed, not the request: 503, worth retrying."""

Handler = Callable[[Request], Any]
_PURGE_INTERVAL = 60.0
"""Seconds between two purges of expired exchanges (on each instance)."""
_PURGE_BATCH = 1000
_EXCHANGE_RETENTION = 86400.0
"""Seconds an expired exchange is kept (it answers 409 ``service.exchange_expired``) before
it is purged (then 404, like an exchange that never was)."""


class _Service:
    """What the handlers share: configuration, state, verifiers, workflows."""

    def __init__(self, config: ServiceConfig, workflows: Iterable[Workflow]) -> None:
        self.config = config
        self.state = ServiceState(config)
        self.workflows = {workflow.id: workflow for workflow in workflows}
        self.metrics = Metrics()
        self.auth = Authenticator(config.auth)
        self.auditor = Auditor(self.state)
        self.verifiers = {binding: self._verifier(binding) for binding in (False, True)}

    def _verifier(self, subject_binding: bool) -> Verifier:
        from did_gov.status import StatusSource

        options = dict(self.config.verifier_options)
        sources: list[StatusSource] = [_OwnLists(self.state)]
        if "status_source" in options:
            sources.append(options.pop("status_source"))
        from did_gov.status import ChainedStatusSource

        options["status_source"] = ChainedStatusSource(sources)
        if self.config.fetch_status:
            options.setdefault("status_fetcher", fetch_status_list)
        if "loader" not in options:
            options["contexts"] = self.config.contexts
        options["policy"] = VerificationPolicy(subject_binding=subject_binding)
        return Verifier(**options)


class _OwnLists:
    """The verifiers' source of this service's own status lists: its store, never the network."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def unverified_list_credential(self, url: str, *, now: Any) -> Any:
        """The current publication of a list this service publishes, or None."""
        import json

        list_id = self.state.list_of_url(url)
        if list_id is None:
            return None
        publication = self.state.current_list(list_id, now=now)
        return None if publication is None else json.loads(publication.body)


def fetch_status_list(url: str) -> bytes:
    """GET another issuer's status list (``--fetch-status``): https or http, bounded, 10 s."""
    import urllib.request

    from did_gov.errors import StatusError
    from did_gov.limits import DEFAULT_LIMITS

    if not url.startswith(("https://", "http://")):
        raise StatusError(f"will not fetch {url!r}", code="status.list_fetch_failed")
    accept = {"Accept": "application/vc+ld+json, application/json"}
    request = urllib.request.Request(url, headers=accept)  # noqa: S310 - scheme checked
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - scheme checked
        body: bytes = answer.read(DEFAULT_LIMITS.max_document_bytes + 1)
    return body


_NO_STORE = {"Cache-Control": "no-store"}
"""An exchange's outcome (an issued credential) or its one-time response code: never cached
(RFC 9111 §5.2.2.5), so no browser or proxy keeps what the code was spent to see."""


def _service(request: Request) -> _Service:
    service: _Service = request.app.state.service
    return service


def _guard(request: Request, scope: str | None) -> tuple[_Service, Caller]:
    """The service and the caller: rate-limited, authenticated, and holding ``scope``."""
    service = _service(request)
    auth = service.auth
    client = request.client.host if request.client is not None else "unknown"
    try:
        caller = auth.caller(request.headers.get("authorization"))
    except ProblemError:  # a refused token counts against the peer: no free guessing
        auth.check_rate(f"ip:{client}")
        raise
    auth.check_rate(caller.actor if caller.scopes else f"ip:{client}")
    if scope is not None:
        auth.authorize(caller, scope)
    if service.config.no_auth and not is_loopback(request):
        raise ProblemError(403, "service.forbidden", "without authentication only loopback")
    return service, caller


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run blocking work (signing, the database) off the event loop; map our errors to 4xx/503."""
    try:
        return await run_in_threadpool(function, *args)
    except DidGovError as exc:
        if exc.code in _UNAVAILABLE:
            _LOG.warning("store unavailable: %s [%s]", exc.message, exc.code)
            raise ProblemError(
                503, exc.code, "the service's store is unavailable; retry", {"Retry-After": "1"}
            ) from None
        raise ProblemError(400, exc.code, exc.message) from None


# -- handlers ------------------------------------------------------------------------------


async def health(request: Request) -> Response:
    """``GET /health``: the instance is up."""
    return JSONResponse({"status": "ok"})


async def issue(request: Request) -> Response:
    """``POST /credentials/issue`` and ``/issuers/{issuer}/credentials/issue``."""
    service, caller = _guard(request, "credentials:issue")
    name = request.path_params.get("issuer")
    issuer = _named_issuer(service, name) or service.config.issuers[0]
    credential, options = read_issue_request(await read_json_object(request))

    def issue_and_record() -> dict[str, Any]:
        body, credential_id = issue_credential(service.state, issuer, credential, options)
        detail = issued_detail(issuer.name, options.format)
        service.auditor.record(caller.actor, "issue", credential_id, detail)
        return body

    body = await _in_thread(issue_and_record)  # one hop off the event loop, not two
    service.metrics.event("credentials_issued", issuer=issuer.name, format=options.format)
    return JSONResponse(body, status_code=201)


def _verify_handler(member: str) -> Handler:
    async def verify(request: Request) -> Response:
        service, _ = _guard(request, "credentials:verify")
        document, options = read_verify_request(await read_json_object(request), member)
        report = await _in_thread(run_verification, service.verifiers, document, options)
        service.metrics.event("verifications", kind=member, verified=str(report.verified).lower())
        return JSONResponse(report_body(report), status_code=200 if report.verified else 400)

    verify.__doc__ = f"``POST`` a ``{member}``: 200 with the report, 400 when not verified."
    return verify


async def issuers(request: Request) -> Response:
    """``GET /issuers``: each issuer's name, DID, verification method and cryptosuite."""
    from did_gov.service._state import issuer_did, issuer_method

    service, _ = _guard(request, None)
    return JSONResponse(
        [
            {
                "name": issuer.name,
                "id": issuer_did(issuer),
                "verificationMethod": issuer_method(issuer),
                "cryptosuite": issuer.cryptosuite or default_cryptosuite(issuer.signer),
            }
            for issuer in service.config.issuers
        ]
    )


async def update_status(request: Request) -> Response:
    """``POST /credentials/status`` and ``/issuers/{issuer}/credentials/status``."""
    service, caller = _guard(request, "credentials:status")
    issuer = _named_issuer(service, request.path_params.get("issuer"))
    change = read_status_request(await read_json_object(request))

    def change_and_record() -> dict[str, Any]:
        body = change_status(service.state, change, issuer)
        action = status_action(change.purpose, change.status)
        listed = f"list={body['statusListCredential'].rsplit('/', 1)[-1]}"
        service.auditor.record(caller.actor, action, change.credential_id, listed)
        return body

    body = await _in_thread(change_and_record)
    service.metrics.event("status_changes", purpose=change.purpose, set=str(change.status).lower())
    return JSONResponse(body)


async def status_list(request: Request) -> Response:
    """``GET /status-lists/{id}``: the secured list credential, with ETag and Cache-Control."""
    service, _ = _guard(request, None)
    now = utc_now()
    publication = await _in_thread(served_list, service.state, request.path_params["id"], now)
    headers = cache_headers(service.state, publication, now)
    if publication.etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(publication.body, media_type="application/json", headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


async def log_checkpoint(request: Request) -> Response:
    """``GET /log/checkpoint``: the log's signed checkpoint note (text)."""
    service, _ = _guard(request, None)
    note = await _in_thread(lambda: service.state.ledger().checkpoint())
    return PlainTextResponse(note, headers={"Cache-Control": "no-cache"})


async def log_inclusion(request: Request) -> Response:
    """``GET /log/proofs/inclusion?index=&size=``."""
    service, _ = _guard(request, None)
    index = integer_parameter(request.query_params, "index")
    size = integer_parameter(request.query_params, "size")
    body = await _in_thread(lambda: inclusion(service.state.ledger(), index, size))
    return JSONResponse(body)


async def log_consistency(request: Request) -> Response:
    """``GET /log/proofs/consistency?old=&new=``."""
    service, _ = _guard(request, None)
    old = integer_parameter(request.query_params, "old")
    new = integer_parameter(request.query_params, "new")
    body = await _in_thread(lambda: consistency(service.state.ledger(), old, new))
    return JSONResponse(body)


def _workflow(service: _Service, request: Request) -> Workflow:
    name = request.path_params["workflow"]
    workflow = service.workflows.get(name)
    if workflow is None:
        raise ProblemError(404, "service.workflow_unknown", f"no workflow {name!r}")
    return workflow


async def create_exchange(request: Request) -> Response:
    """``POST /workflows/{workflow}/exchanges``: a new exchange (201, ``Location``)."""
    service, _ = _guard(request, "exchanges")
    workflow = _workflow(service, request)
    body = await read_json_object(request)
    if body:
        raise ProblemError(400, "service.body_invalid", "create an exchange with {}")
    created = await _in_thread(exchanges.create, service.state, workflow)
    return JSONResponse(created, status_code=201, headers={"Location": created["exchangeUrl"]})


async def exchange_step(request: Request) -> Response:
    """``POST /workflows/{workflow}/exchanges/{exchange}``: ``{}`` asks, a presentation answers."""
    service, _ = _guard(request, None)
    workflow = _workflow(service, request)
    exchange_id = request.path_params["exchange"]
    presentation = exchanges.read_exchange_post(await read_json_object(request))
    if presentation is None:
        return JSONResponse(await _in_thread(exchanges.ask, service.state, workflow, exchange_id))

    def present_and_record() -> Any:
        result = exchanges.present_to(service.state, workflow, exchange_id, presentation)
        _record_issue(service, workflow, result)
        return result

    result = await _in_thread(present_and_record)
    service.metrics.event("exchanges", workflow=workflow.id, approved=str(result.approved).lower())
    if not result.approved:
        raise exchanges.denial(result)
    return JSONResponse(exchanges.result_body(result), headers=_NO_STORE)


def _record_issue(service: _Service, workflow: Workflow, result: Any) -> None:
    """An approved exchange issued a credential: the audit trail says so (``exchange:<w>``)."""
    if result is None or not result.approved:
        return
    credential_id, detail = exchange_issue(workflow.id, result.credential)
    service.auditor.record(f"exchange:{workflow.id}", "issue", credential_id, detail)


async def get_exchange(request: Request) -> Response:
    """``GET /workflows/{workflow}/exchanges/{exchange}``: state and outcome (§3.2).

    The coordinator reads it with a token of scope ``exchanges``; the wallet's user agent, once,
    with the ``response_code`` its OpenID4VP answer gave.
    """
    code = request.query_params.get("response_code")
    service, _ = _guard(request, "exchanges" if code is None else None)
    workflow = _workflow(service, request)
    exchange_id = request.path_params["exchange"]

    def view() -> dict[str, Any]:
        found = exchanges.found_exchange(service.state, workflow, exchange_id)
        if code is not None:
            # an expired exchange's state still tells approval ("complete") from denial
            # ("invalid"), and its code may be forgotten with its outcome: nothing to show
            if found.expires <= time.time():
                raise ProblemError(
                    409, "service.exchange_expired", "the exchange has expired: no outcome is kept"
                )
            if not exchanges.take_response_code(service.state, found, code):
                raise ProblemError(
                    403, "service.response_code_invalid", "not the response code of this exchange"
                )
        return exchanges.exchange_view(service.state, workflow, found)

    return JSONResponse(await _in_thread(view), headers=_NO_STORE)


async def exchange_protocols(request: Request) -> Response:
    """``GET …/exchanges/{exchange}/protocols``: VCALM's ``{"protocols": {...}}``."""
    service, _ = _guard(request, None)
    workflow = _workflow(service, request)
    exchange_id = request.path_params["exchange"]

    def offered() -> dict[str, Any]:
        exchanges.found_exchange(service.state, workflow, exchange_id)
        return {"protocols": exchanges.protocols(service.state, workflow, exchange_id)}

    return JSONResponse(await _in_thread(offered))


async def openid_request(request: Request) -> Response:
    """``GET …/exchanges/{exchange}/openid/request``: the signed OpenID4VP request object."""
    service, _ = _guard(request, None)
    workflow = _workflow(service, request)
    exchange_id = request.path_params["exchange"]
    jwt = await _in_thread(openid.signed_request, service.state, workflow, exchange_id)
    return Response(jwt, media_type=openid.REQUEST_MEDIA_TYPE)


async def openid_response(request: Request) -> Response:
    """``POST …/exchanges/{exchange}/openid/response``: the wallet's ``direct_post``."""
    service, _ = _guard(request, None)
    workflow = _workflow(service, request)
    exchange_id = request.path_params["exchange"]
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()

    def post_and_record() -> Any:
        taken = openid.direct_post(service.state, workflow, exchange_id, media, body)
        _record_issue(service, workflow, taken[1])
        return taken

    try:
        answer, result = await _in_thread(post_and_record)
    except openid.OpenIDError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    if result is not None:
        approved = str(result.approved).lower()
        service.metrics.event("exchanges", workflow=workflow.id, approved=approved)
    return JSONResponse(answer, headers=_NO_STORE)


async def metrics(request: Request) -> Response:
    """``GET /metrics``: Prometheus text, for a token with scope ``metrics`` (or public by
    configuration: ``[auth] public_metrics``)."""
    service, _ = _guard(request, "metrics")
    return Response(service.metrics.render(), media_type=METRICS_CONTENT_TYPE)


async def openapi(request: Request) -> Response:
    """``GET /openapi.json``: the OpenAPI 3.1 document of these endpoints."""
    return Response(openapi_document(), media_type="application/json")


async def trust_bundle(request: Request) -> Response:
    """``GET /trust/bundle``: the signed trust bundle this service verifies with."""
    service, _ = _guard(request, None)
    bundle = service.config.trust_bundle
    if bundle is None:
        raise ProblemError(404, "service.bundle_unavailable", "this service holds no trust bundle")
    return Response(bundle, media_type="application/json")


def _named_issuer(service: _Service, name: str | None) -> IssuerConfig | None:
    if name is None:
        return None
    issuer = service.config.issuer(name)
    if issuer is None:
        raise ProblemError(404, "service.issuer_unknown", f"no issuer called {name!r}")
    return issuer


# -- errors --------------------------------------------------------------------------------


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)  # noqa: S101 - registered for ProblemError only
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    if exc.status_code == 404:
        return problem(404, "service.not_found", f"no resource at {request.url.path}")
    if exc.status_code == 405:
        return problem(
            405,
            "service.method_not_allowed",
            f"{request.method} is not allowed on {request.url.path}",
            headers=dict(exc.headers or {}),
        )
    return problem(exc.status_code, "service.http_error", str(exc.detail))


async def _crash(request: Request, exc: Exception) -> Response:
    _LOG.error("unexpected error on %s %s: %s", request.method, request.url.path,
               type(exc).__name__, exc_info=exc)  # fmt: skip
    return problem(500, "service.internal_error", "the service failed; the error was logged")


async def purge_expired_exchanges(service: _Service) -> int:
    """Delete the exchanges expired for a day (in batches); how many went. Failures are logged.

    The outcomes (issued credential, denial) of exchanges that have just expired go first.
    """
    purged = 0
    try:
        await run_in_threadpool(service.state.store().forget_results, time.time())
        while True:
            batch = await run_in_threadpool(_purge_batch, service)
            purged += batch
            if batch < _PURGE_BATCH:
                break
    except DidGovError as exc:  # the store is down: try again next time
        _LOG.warning("purging expired exchanges failed: %s [%s]", exc.message, exc.code)
    return purged


def _purge_batch(service: _Service) -> int:
    before = time.time() - _EXCHANGE_RETENTION
    return service.state.store().purge_exchanges(before, limit=_PURGE_BATCH)


def create_app(config: ServiceConfig, *, workflows: Iterable[Workflow] = ()) -> Starlette:
    """The agency service as an ASGI application (``specs/service.md``).

    ``workflows`` are the issuance workflows served under ``/workflows/{id}/exchanges``
    (:class:`~did_gov.service.Workflow`). Stores open on first use and close at shutdown.
    """
    service = _Service(config, workflows)
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/credentials/issue", issue, methods=["POST"]),
        Route("/issuers/{issuer}/credentials/issue", issue, methods=["POST"]),
        Route("/credentials/verify", _verify_handler("verifiableCredential"), methods=["POST"]),
        Route("/presentations/verify", _verify_handler("verifiablePresentation"), methods=["POST"]),
        Route("/issuers", issuers, methods=["GET"]),
        Route("/credentials/status", update_status, methods=["POST"]),
        Route("/issuers/{issuer}/credentials/status", update_status, methods=["POST"]),
        Route("/status-lists/{id}", status_list, methods=["GET"]),
        Route("/log/checkpoint", log_checkpoint, methods=["GET"]),
        Route("/log/proofs/inclusion", log_inclusion, methods=["GET"]),
        Route("/log/proofs/consistency", log_consistency, methods=["GET"]),
        Route("/workflows/{workflow}/exchanges", create_exchange, methods=["POST"]),
        Route("/workflows/{workflow}/exchanges/{exchange}", exchange_step, methods=["POST"]),
        Route("/workflows/{workflow}/exchanges/{exchange}", get_exchange, methods=["GET"]),
        Route(
            "/workflows/{workflow}/exchanges/{exchange}/protocols",
            exchange_protocols,
            methods=["GET"],
        ),
        Route(
            "/workflows/{workflow}/exchanges/{exchange}/openid/request",
            openid_request,
            methods=["GET"],
        ),
        Route(
            "/workflows/{workflow}/exchanges/{exchange}/openid/response",
            openid_response,
            methods=["POST"],
        ),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/trust/bundle", trust_bundle, methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def anchor_audit_trail() -> None:
            purged_at = 0.0
            while True:
                await asyncio.sleep(config.audit_interval)
                try:
                    await run_in_threadpool(service.auditor.anchor_pending)
                except DidGovError as exc:  # the store is down: the records stay pending
                    _LOG.warning("audit anchoring failed: %s [%s]", exc.message, exc.code)
                if time.monotonic() - purged_at >= _PURGE_INTERVAL:
                    purged_at = time.monotonic()
                    await purge_expired_exchanges(service)

        task = asyncio.create_task(anchor_audit_trail())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await run_in_threadpool(service.auditor.anchor_pending)
            except DidGovError as exc:
                _LOG.warning("audit anchoring at shutdown failed: %s [%s]", exc.message, exc.code)
            service.state.close()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(MetricsMiddleware, metrics=service.metrics),
            Middleware(BodyLimit, max_bytes=config.max_body_bytes),
        ],
        exception_handlers={
            ProblemError: _problem,
            HTTPException: _http_error,
            Exception: _crash,
        },
        lifespan=lifespan,
    )
    app.state.service = service
    return app
