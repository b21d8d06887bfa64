"""Shared pieces of did_gov's web apps (the agency service, the kiosk) on Starlette + uvicorn.

* :func:`problem`: an RFC 9457 problem details response whose ``type`` is
  ``urn:did-gov:error:<code>`` (the stable codes of ``specs/error-codes.md``);
* :func:`is_loopback`: whether a request came from this machine;
* :class:`RateLimiter`: a token bucket per client key;
* :class:`BodyLimit`: an ASGI middleware refusing request bodies over a byte bound (413)
  before the application reads them, whether the length is declared or streamed;
* :func:`read_json_object`: a request body as a strict JSON object (415/400 otherwise);
* :func:`serve`: run an app with uvicorn and print its URL once it accepts connections.

Starlette and uvicorn come with the ``did-gov[service]`` extra; this module imports them,
so only the web apps import it.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from did_gov._json import parse_json
from did_gov.errors import DidGovError, InvalidInputError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "BodyLimit",
    "ProblemError",
    "RateLimiter",
    "bind",
    "is_loopback",
    "is_loopback_host",
    "problem",
    "read_json_object",
    "problem_body",
    "serve",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
"""RFC 9457 §3: the media type of a problem details object."""

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def problem_body(status: int, code: str, detail: str) -> dict[str, Any]:
    """The RFC 9457 object of :func:`problem` (``type``, ``title``, ``status``, ``detail``, ``code``)."""
    return {
        "type": f"urn:did-gov:error:{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }


def problem(
    status: int, code: str, detail: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An RFC 9457 problem details response (``application/problem+json``).

    >>> problem(404, "service.not_found", "no such route").status_code
    404
    """
    return JSONResponse(
        problem_body(status, code, detail),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


class ProblemError(Exception):
    """Raised inside a handler to answer with :func:`problem` (the app's handler turns it into one)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers

    def response(self) -> JSONResponse:
        """This error as a problem details response."""
        return problem(self.status, self.code, self.detail, headers=self.headers)


def is_loopback(request: Request) -> bool:
    """Whether the request's peer is a loopback address (127.0.0.0/8, ::1)."""
    client = request.client
    if client is None:
        return False
    return is_loopback_host(client.host)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is a loopback address.

    >>> is_loopback_host("127.0.0.1"), is_loopback_host("0.0.0.0"), is_loopback_host("::1")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class RateLimiter:
    """A token bucket per key: ``rate`` tokens a second, at most ``burst`` saved up.

    ``allow(key)`` takes one token and says whether there was one; ``retry_after(key)`` is
    how many seconds until the next. Buckets idle long enough to be full are forgotten, so
    the table stays bounded by the clients active in the last ``burst / rate`` seconds.

    >>> limiter = RateLimiter(rate=1.0, burst=2, clock=lambda: 0.0)
    >>> [limiter.allow("a") for _ in range(3)]
    [True, True, False]
    """

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not rate > 0 or burst < 1:
            raise InvalidInputError("a rate limit needs rate > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def allow(self, key: str) -> bool:
        """Take a token from ``key``'s bucket; False when it is empty."""
        with self._lock:
            now = self._clock()
            self._sweep(now)
            tokens = self._level(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` has a token again (at least 1)."""
        with self._lock:
            tokens = self._level(key, self._clock())
        return max(1, int((1.0 - tokens) / self.rate + 0.999))

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate
        if now - self._last_sweep < full_after:
            return
        self._last_sweep = now
        for key, (_, at) in list(self._buckets.items()):
            if now - at >= full_after:
                del self._buckets[key]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets 413 ``service.body_too_large``.

    A declared ``Content-Length`` over the bound is refused before reading; a streamed body
    is counted as it arrives and cut off at the bound, so no handler ever buffers more.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, "service.body_too_large", f"the request body exceeds {self.max_bytes} bytes"
        )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_json_media_type(value: str) -> bool:
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a strict JSON object.

    Raises :class:`ProblemError`: 415 ``service.media_type_unsupported`` unless the
    ``Content-Type`` is ``application/json`` (or ``application/*+json``); 400
    ``service.body_invalid`` for a body that is not JSON (strict: no duplicate members,
    bounded depth) or not an object.
    """
    if not _is_json_media_type(request.headers.get("content-type", "")):
        raise ProblemError(
            415, "service.media_type_unsupported", "send the body as application/json"
        )
    raw = await request.body()
    try:
        value = parse_json(raw)
    except DidGovError as exc:
        raise ProblemError(
            400, "service.body_invalid", f"the body is not JSON: {exc.message}"
        ) from None
    if not isinstance(value, dict):
        raise ProblemError(400, "service.body_invalid", "the body must be a JSON object")
    return value


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: a free port), for :func:`serve`.

    Binding before the app is built lets the app know its own port (its public URL).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only for sockets
    # that say so; without it every response waits ~40 ms on Nagle and delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    sock: socket.socket | None = None,
    announce: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Run ``app`` with uvicorn until SIGINT/SIGTERM; print its URL once it accepts connections.

    ``port`` 0 takes a free port; the printed URL (``listening on http://HOST:PORT``, one
    line on standard output, or given to ``announce``) names the one bound. ``sock`` is a
    socket already bound with :func:`bind`. uvicorn parses HTTP with httptools and runs on
    uvloop when they are installed (the ``service`` extra installs both), else h11 and
    asyncio; the access log is off (requests are counted in ``/metrics`` instead).
    """
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on"
    )

    def say(url: str) -> None:
        sys.stdout.write(f"listening on {url}\n")
        sys.stdout.flush()

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.should_exit:
                return
            bound = self.servers[0].sockets[0].getsockname() if self.servers else (host, port)
            shown = f"[{bound[0]}]" if ":" in str(bound[0]) else str(bound[0])
            (announce or say)(f"http://{shown}:{bound[1]}")

    _Server(config).run(sockets=None if sock is None else [sock])
