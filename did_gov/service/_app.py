"""The Starlette application: routes, error handling, and the verifiers (``specs/service.md``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from did_gov._asgi import BodyLimit, ProblemError, problem, read_json_object
from did_gov.errors import DidGovError
from did_gov.service._config import ServiceConfig
from did_gov.service._exchanges import Workflow
from did_gov.service._issue import issue_credential, read_issue_request
from did_gov.service._state import ServiceState
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
    }
)
"""Codes that mean the store failed, not the request: 503, worth retrying."""

Handler = Callable[[Request], Any]


class _Service:
    """What the handlers share: configuration, state, verifiers, workflows."""

    def __init__(self, config: ServiceConfig, workflows: Iterable[Workflow]) -> None:
        self.config = config
        self.state = ServiceState(config)
        self.workflows = {workflow.id: workflow for workflow in workflows}
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


def _service(request: Request) -> _Service:
    service: _Service = request.app.state.service
    return service


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
    service = _service(request)
    name = request.path_params.get("issuer")
    issuer = service.config.issuer(name)
    if issuer is None:
        raise ProblemError(404, "service.issuer_unknown", f"no issuer called {name!r}")
    credential, options = read_issue_request(await read_json_object(request))
    body = await _in_thread(issue_credential, service.state, issuer, credential, options)
    return JSONResponse(body, status_code=201)


def _verify_handler(member: str) -> Handler:
    async def verify(request: Request) -> Response:
        service = _service(request)
        document, options = read_verify_request(await read_json_object(request), member)
        report = await _in_thread(run_verification, service.verifiers, document, options)
        return JSONResponse(report_body(report), status_code=200 if report.verified else 400)

    verify.__doc__ = f"``POST`` a ``{member}``: 200 with the report, 400 when not verified."
    return verify


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
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            service.state.close()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(BodyLimit, max_bytes=config.max_body_bytes)],
        exception_handlers={
            ProblemError: _problem,
            HTTPException: _http_error,
            Exception: _crash,
        },
        lifespan=lifespan,
    )
    app.state.service = service
    return app
