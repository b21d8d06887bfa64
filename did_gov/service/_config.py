"""What a service instance is configured with: :class:`ServiceConfig` and :class:`IssuerConfig`.

``did-gov serve`` builds one from its flags (or ``agency.toml``, ``specs/service.md``);
a program embedding the service builds one itself and passes it to
:func:`did_gov.service.create_app`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from did_gov.errors import InvalidInputError
from did_gov.keys import Signer
from did_gov.service._auth import AuthConfig

__all__ = ["IssuerConfig", "ServiceConfig"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", re.ASCII)


@dataclass(frozen=True)
class IssuerConfig:
    """One issuer the service signs for: ``POST /issuers/{name}/credentials/issue``.

    ``signer`` signs (a key file's key, or an HSM key); ``cryptosuite`` is its default Data
    Integrity suite (None: the key type's default); ``verification_method`` a DID URL of
    the key (None: its did:key), whose DID becomes every credential's ``issuer``.
    """

    name: str
    signer: Signer
    cryptosuite: str | None = None
    verification_method: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise InvalidInputError(
                f"issuer name {self.name!r}: letters, digits, '-' and '_' (at most 64)",
                code="service.config_invalid",
            )


@dataclass(frozen=True)
class ServiceConfig:
    """A service instance's configuration (``specs/service.md`` §Configuration).

    * ``issuers``: the first is the one ``POST /credentials/issue`` uses;
    * ``public_url``: where clients reach the service (status list URLs, the exchanges'
      ``domain``); no trailing slash;
    * state: ``database`` (a ``postgresql://`` URL several instances share) or ``data``
      (a folder of SQLite files for one machine); ``log_key`` signs the transparency log's
      checkpoints (with ``data`` and none given, one is made and kept in the folder);
      ``log_origin`` names the log (default: the public URL's host and path + ``/log``);
    * verification: ``verifier_options`` (keyword arguments for
      :class:`~did_gov.verify.Verifier`: trust, loader, resolver, status lists…),
      ``contexts`` (extra context folders), ``fetch_status`` (fetch other issuers' status
      lists over the network; this service's own lists are always read from its store);
    * ``auth`` (tokens, OAuth issuers, public verification, rate limit) or ``no_auth``: serve
      without authentication (the command allows it on loopback only); one of them;
    * bounds: ``max_body_bytes``; status list publication: ``status_ttl`` (how long a
      published list is served before it is signed again) and ``status_valid_for``;
    * ``trust_bundle``: the bytes of the trust bundle served at ``GET /trust/bundle``.
    """

    issuers: tuple[IssuerConfig, ...]
    public_url: str
    data: Path | None = None
    database: str | None = None
    log_key: Signer | None = None
    log_origin: str | None = None
    verifier_options: Mapping[str, Any] = field(default_factory=dict)
    contexts: tuple[str, ...] = ()
    fetch_status: bool = False
    no_auth: bool = False
    auth: AuthConfig | None = None
    audit_interval: float = 2.0
    max_body_bytes: int = 1 << 20
    status_ttl: timedelta = timedelta(minutes=5)
    status_valid_for: timedelta = timedelta(days=1)
    trust_bundle: bytes | None = None

    def __post_init__(self) -> None:
        if not self.issuers:
            raise InvalidInputError(
                "a service needs at least one issuer", code="service.config_invalid"
            )
        names = [issuer.name for issuer in self.issuers]
        if len(set(names)) != len(names):
            raise InvalidInputError("two issuers have the same name", code="service.config_invalid")
        parts = urlsplit(self.public_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            raise InvalidInputError(
                f"public URL {self.public_url!r} is not an http(s) URL without query or fragment",
                code="service.config_invalid",
            )
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        if (self.database is None) == (self.data is None):
            raise InvalidInputError(
                "give the service a database URL or a data folder (one of them)",
                code="service.config_invalid",
            )
        if self.database is not None and self.log_key is None:
            raise InvalidInputError(
                "a shared database needs the log key (every instance signs the same log)",
                code="service.config_invalid",
            )
        if (self.auth is None) == (not self.no_auth):
            raise InvalidInputError(
                "configure authentication (auth) or say no_auth, one of them",
                code="service.config_invalid",
            )
        if self.max_body_bytes < 1024:
            raise InvalidInputError(
                "max_body_bytes is at least 1024", code="service.config_invalid"
            )

    @property
    def origin(self) -> str:
        """The transparency log's origin line."""
        if self.log_origin is not None:
            return self.log_origin
        parts = urlsplit(self.public_url)
        return f"{parts.netloc}{parts.path}/log"

    def issuer(self, name: str | None) -> IssuerConfig | None:
        """The issuer called ``name`` (None: the first), or None when there is none."""
        if name is None:
            return self.issuers[0]
        return next((i for i in self.issuers if i.name == name), None)
