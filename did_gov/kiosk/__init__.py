"""The verifier kiosk: a web app that checks any wallet's presentation offline and forgets it.

:func:`create_app` builds the ASGI app ``did-gov kiosk`` serves (Starlette; the
``did-gov[kiosk]`` extra), for agencies that mount it in their own stack. A person at
the counter starts a check; the page shows a QR code holding an OpenID4VP 1.0
authorization request by reference; the wallet fetches the signed request object and
posts its ``vp_token`` (``direct_post``); the page shows VERIFIED or REJECTED with the
reason in words, the issuer's name from the trust bundle and the disclosed claims, then
clears itself. Verification is offline, against a signed trust bundle only (no
trust-any mode), and nothing personal is kept (``specs/kiosk.md``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import IO, Any

from did_gov._time import utc_now
from did_gov.keys import PrivateKey, Signer
from did_gov.kiosk._app import DISPLAY_SECONDS, SESSION_RATE, KioskApp, build_app
from did_gov.kiosk._core import SESSION_TTL, Kiosk, Outcome, Session
from did_gov.kiosk._strings import CATALOGUE, reason
from did_gov.kiosk._trust import NEAR_EXPIRY, TrustSource, TrustState
from did_gov.trust import DcqlQuery

__all__ = [
    "CATALOGUE",
    "DISPLAY_SECONDS",
    "NEAR_EXPIRY",
    "SESSION_RATE",
    "SESSION_TTL",
    "Kiosk",
    "KioskApp",
    "Outcome",
    "Session",
    "TrustSource",
    "TrustState",
    "create_app",
    "reason",
]


def create_app(
    *,
    public_url: str,
    bundle: str | os.PathLike[str] | bytes | None = None,
    root: str | os.PathLike[str] | dict[str, Any] | None = None,
    store: str | os.PathLike[str] | None = None,
    dcql: DcqlQuery | dict[str, Any] | None = None,
    key: Signer | None = None,
    counter_token: str | None = None,
    log: IO[str] | None = None,
    now: Callable[[], datetime] = utc_now,
    session_ttl: timedelta = SESSION_TTL,
    display_seconds: int = DISPLAY_SECONDS,
    session_rate: tuple[float, int] = SESSION_RATE,
) -> KioskApp:
    """The kiosk as an ASGI app (``app.kiosk`` is its :class:`Kiosk`; ``app.kiosk.reload()`` after installing a bundle).

    Trust comes from ``bundle`` (path or bytes) verified under ``root`` (path or parsed
    root file), or from the bundle installed in ``store``. ``dcql`` replaces the default
    query (built from the bundle's accreditations). ``key`` signs the request objects
    (default: a fresh Ed25519 key; the kiosk's DID is its did:key). ``public_url`` is
    the base of the request and response URIs wallets reach (https in production).
    ``log`` receives one JSON line per event, never a claim value. ``session_rate`` is
    ``POST /sessions``' token bucket per client: (sessions a second, burst).

    >>> app = create_app(public_url="http://127.0.0.1:8080", bundle=b"{}", root={})
    >>> app.kiosk.trust.failure[0]
    'trust.bundle_root_invalid'
    """
    query = DcqlQuery.from_json(dcql) if isinstance(dcql, dict) else dcql
    source = TrustSource(bundle=bundle, root=root, store=store, dcql=query)
    kiosk = Kiosk(
        source,
        key or PrivateKey.generate(),
        public_url,
        now=now,
        log=log,
        session_ttl=session_ttl,
    )
    return build_app(
        kiosk, counter_token=counter_token, display_seconds=display_seconds, rate=session_rate
    )
