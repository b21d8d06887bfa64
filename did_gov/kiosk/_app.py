"""The kiosk's HTTP surface (``specs/kiosk.md`` §3), on Starlette.

Public (a wallet on the network reaches these): ``GET /requests/<state>`` (the signed
request object), ``POST /response`` (``direct_post``), ``GET /health``. Counter-only
(loopback clients, or a ``--counter-token`` sent as a bearer token or in the cookie the
login form sets): ``/``, ``POST /sessions`` (rate-limited), ``GET /sessions/<state>``,
the page's views of a session, its QR code, pasting, ending a session, and ``GET /trust``.
A request that came through a proxy (``Forwarded``/``X-Forwarded-For``/``X-Real-IP``)
is never taken for a loopback one. Every response carries ``Cache-Control: no-store``.

Verification runs on the event loop, not in a worker thread: it is CPU-bound Python (the
GIL gives a thread no parallelism), a hop to a thread only adds scheduling latency (the
benchmark's post → verdict time halved without it on a loaded machine), and its cost is
bounded by ``Limits`` before work starts.
"""

from __future__ import annotations

import hmac
import io
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from did_gov._asgi import BodyLimit, RateLimiter, is_loopback, problem
from did_gov.errors import PresentationRequestError
from did_gov.kiosk._core import Kiosk, Session
from did_gov.kiosk._page import render_page
from did_gov.kiosk._strings import CATALOGUE, reason
from did_gov.trust._oid4vp import parse_direct_post

__all__ = ["DISPLAY_SECONDS", "SESSION_RATE", "KioskApp", "build_app"]

DISPLAY_SECONDS = 60
"""How long the page shows a verdict before it clears itself (and ends the session)."""
SESSION_RATE = (5.0, 60)
"""``POST /sessions`` per client: 5 a second, bursts of 60 (50 concurrent sessions pass)."""
MAX_BODY = 4 * 1024 * 1024
"""Largest request body (a ``direct_post`` with a few presentations)."""
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
_COOKIE = "did_gov_kiosk"
_FORM = "application/x-www-form-urlencoded"

Handler = Callable[[Request], Awaitable[Response]]


def _invalid() -> JSONResponse:
    """OpenID4VP §8.2 / RFC 6749 §5.2: the response URI's answer to a post it cannot take."""
    return JSONResponse({"error": "invalid_request"}, status_code=400)


class _Counter:
    """Who may use the counter endpoints: loopback, or the counter token."""

    def __init__(self, token: str | None, limiter: RateLimiter | None = None) -> None:
        self.token = token
        self.limiter = limiter

    def allowed(self, request: Request) -> bool:
        direct = not any(h in request.headers for h in _PROXY_HEADERS)
        if direct and is_loopback(request):
            return True
        if self.token is None:
            return False
        given = request.cookies.get(_COOKIE, "")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            given = value.strip()
        return hmac.compare_digest(given.encode(), self.token.encode())

    def guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if not self.allowed(request):
                # a refused request takes from the login bucket: guessing the token is not free
                key = "login:" + (request.client.host if request.client else "?")
                if self.token is not None and self.limiter and not self.limiter.allow(key):
                    return problem(
                        429,
                        "kiosk.rate_limited",
                        "too many attempts",
                        headers={"retry-after": str(self.limiter.retry_after(key))},
                    )
                if request.url.path.endswith("/") and request.method == "GET":
                    return HTMLResponse(_LOGIN if self.token else _FORBIDDEN, status_code=403)
                return problem(403, "kiosk.forbidden", "the counter endpoints answer loopback only")
            return await handler(request)

        return guarded


_FORBIDDEN = "<!doctype html><title>403</title><p>This page answers the counter only.</p>"
_LOGIN = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Counter login</title>
<form method="post" action="login"><label for="t">Counter token</label>
<input id="t" name="token" type="password" autocomplete="off"><button>Open</button></form></html>"""


def _no_store(app: Any) -> Any:
    """ASGI middleware: ``Cache-Control: no-store`` and a few hardening headers on every response."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"cache-control",)
                ]
                headers += [
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, sending)

    return wrapped


def build_app(
    kiosk: Kiosk,
    *,
    counter_token: str | None = None,
    display_seconds: int = DISPLAY_SECONDS,
    rate: tuple[float, int] = SESSION_RATE,
) -> KioskApp:
    """The ASGI app around ``kiosk`` (``create_app`` builds the Kiosk first)."""
    limiter = RateLimiter(rate=rate[0], burst=rate[1])
    counter = _Counter(counter_token, limiter)
    guard = counter.guard

    async def page(request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        csp = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'"
        )
        return HTMLResponse(render_page(CATALOGUE, nonce), headers={"content-security-policy": csp})

    async def login(request: Request) -> Response:
        if counter_token is None:
            return problem(404, "kiosk.not_found", "no counter token is configured")
        if not limiter.allow("login:" + (request.client.host if request.client else "?")):
            return problem(429, "kiosk.rate_limited", "too many attempts")
        from urllib.parse import parse_qs

        body = (await request.body()).decode("utf-8", "replace")
        given = parse_qs(body).get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), counter_token.encode()):
            return HTMLResponse(_LOGIN, status_code=403)
        answer = RedirectResponse("./", status_code=303)
        # Secure whenever the counter is reached over https (its public URL or this request):
        # the cookie holds the counter token and must never travel in clear.
        secure = kiosk.public_url.startswith("https://") or request.url.scheme == "https"
        answer.set_cookie(_COOKIE, given, httponly=True, samesite="strict", path="/", secure=secure)
        return answer

    async def new_session(request: Request) -> Response:
        key = request.client.host if request.client else "?"
        if not limiter.allow(key):
            return problem(
                429,
                "kiosk.rate_limited",
                "too many new sessions; wait a moment",
                headers={"retry-after": str(limiter.retry_after(key))},
            )
        session, url = kiosk.new_session()
        body = {
            "state": session.state,
            "request_uri": kiosk.request_uri(session.state),
            "authorization_request": url,
        }
        return JSONResponse(body, status_code=201)

    def _session(request: Request) -> Session | None:
        return kiosk.session(request.path_params["state"])

    async def get_session(request: Request) -> Response:
        session = _session(request)
        if session is None:
            return problem(404, "kiosk.session_unknown", "no such session, or it expired")
        outcome = session.outcome
        if outcome is None:
            return JSONResponse({"status": "pending", "checks": [], "claims": {}})
        body = {"status": outcome.status, "checks": outcome.checks, "claims": outcome.claims}
        return JSONResponse(body)

    async def view_session(request: Request) -> Response:
        session = _session(request)
        if session is None:
            return problem(404, "kiosk.session_unknown", "no such session, or it expired")
        outcome = session.outcome
        if outcome is None:
            return JSONResponse({"status": "pending"})
        return JSONResponse(
            {
                "status": outcome.status,
                "code": outcome.code,
                "reason": {"en": reason(outcome.code, "en"), "zh": reason(outcome.code, "zh")},
                "issuers": outcome.issuers,
                "claims": outcome.claims,
                "anchored": outcome.anchored,
                "formats": outcome.formats,
                "checks": outcome.checks,
                "display_seconds": display_seconds,
            }
        )

    async def qr(request: Request) -> Response:
        import segno

        session = _session(request)
        if session is None:
            return problem(404, "kiosk.session_unknown", "no such session, or it expired")
        url = kiosk_url(session)
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=6, border=4, light="#fff")
        return Response(out.getvalue(), media_type="image/svg+xml")

    def kiosk_url(session: Session) -> str:
        from did_gov.trust._oid4vp import authorization_request_url

        return authorization_request_url(kiosk.client_id, kiosk.request_uri(session.state))

    async def end_session(request: Request) -> Response:
        kiosk.end(request.path_params["state"])
        return Response(status_code=204)

    async def paste(request: Request) -> Response:
        state = request.path_params["state"]
        text = (await request.body()).decode("utf-8", "replace")
        try:
            response = kiosk.pasted_response(state, text)
        except PresentationRequestError:
            return _invalid()
        session = kiosk.claim(state)
        if session is None:
            return _invalid()
        kiosk.verify_response(session, response)
        return JSONResponse({})

    async def trust(request: Request) -> Response:
        return JSONResponse(kiosk.trust.summary(kiosk.now()))

    async def request_object(request: Request) -> Response:
        session = _session(request)
        if session is None:
            return problem(404, "kiosk.session_unknown", "no such session, or it expired")
        return Response(session.request_jwt, media_type="application/oauth-authz-req+jwt")

    async def response(request: Request) -> Response:
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != _FORM:
            return _invalid()
        try:
            posted = parse_direct_post(await request.body())
        except PresentationRequestError:
            return _invalid()
        if posted.error is not None:
            return _invalid()
        session = kiosk.claim(posted.state)
        if session is None:
            return _invalid()
        kiosk.verify_response(session, posted)
        return JSONResponse({})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/", guard(page), methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/trust", guard(trust), methods=["GET"]),
        Route("/sessions", guard(new_session), methods=["POST"]),
        Route("/sessions/{state}", guard(get_session), methods=["GET"]),
        Route("/sessions/{state}", guard(end_session), methods=["DELETE"]),
        Route("/sessions/{state}/view", guard(view_session), methods=["GET"]),
        Route("/sessions/{state}/qr.svg", guard(qr), methods=["GET"]),
        Route("/sessions/{state}/presentation", guard(paste), methods=["POST"]),
        Route("/requests/{state}", request_object, methods=["GET"]),
        Route("/response", response, methods=["POST"]),
    ]
    return KioskApp(_no_store(BodyLimit(Starlette(routes=routes), MAX_BODY)), kiosk)


class KioskApp:
    """The kiosk as an ASGI app; :attr:`kiosk` is its :class:`~did_gov.kiosk.Kiosk` (reload, sessions)."""

    def __init__(self, app: Any, kiosk: Kiosk) -> None:
        self._app = app
        self.kiosk = kiosk

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry point."""
        await self._app(scope, receive, send)
