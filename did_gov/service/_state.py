"""A service instance's durable state: status registries, the transparency log, published lists.

Everything lives in the configured store — SQLite files in the data folder, or one
PostgreSQL database that several instances share — so any instance can serve any request:
an index allocated by one is never reused by another, a status set on one is published
for all, and the log's appends are serialized by the database.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from did_gov._api import issue
from did_gov._time import utc_now
from did_gov.credentials import parse_datetime
from did_gov.errors import InvalidInputError, StatusError
from did_gov.keys import PrivateKey, Signer, load_private_key
from did_gov.ledger import LedgerBackend, open_ledger
from did_gov.service._config import IssuerConfig, ServiceConfig
from did_gov.service._store import ServiceStore, open_store
from did_gov.status import StatusRegistry

__all__ = ["PURPOSES", "Publication", "ServiceState", "issuer_did", "issuer_method"]

PURPOSES = ("revocation", "suspension")
"""The status purposes the service allocates entries for (one bit each)."""

_LOG_KEY_FILE = "log-key.json"
POOL_SIZE = 4
"""Connections per PostgreSQL status list and for the service's own tables, per instance."""


@dataclass(frozen=True)
class Publication:
    """A secured status list credential as served: its JSON bytes, ETag and freshness."""

    body: bytes
    etag: str
    valid_from: datetime


class ServiceState:
    """The stores of one instance, opened lazily and shared by its request threads."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self._registries: dict[str, StatusRegistry | list[StatusRegistry]] = {}
        self._turn = itertools.count()
        self._ledger: LedgerBackend | None = None
        self._store: ServiceStore | None = None
        self._lock = threading.Lock()

    # -- status lists ------------------------------------------------------------------------

    @staticmethod
    def list_id(issuer: IssuerConfig, purpose: str) -> str:
        """The id of an issuer's list of one purpose: ``<issuer>-<purpose>``."""
        return f"{issuer.name}-{purpose}"

    def list_url(self, list_id: str) -> str:
        """Where the list is published: ``<public-url>/status-lists/<id>``."""
        return f"{self.config.public_url}/status-lists/{list_id}"

    def list_of_url(self, url: str) -> str | None:
        """The id of this service's list published at ``url``, or None for another's."""
        prefix = f"{self.config.public_url}/status-lists/"
        if not url.startswith(prefix):
            return None
        found = self._parse_list_id(url[len(prefix) :])
        return None if found is None else url[len(prefix) :]

    def _parse_list_id(self, list_id: str) -> tuple[IssuerConfig, str] | None:
        name, _, purpose = list_id.rpartition("-")
        issuer = self.config.issuer(name) if name else None
        if issuer is None or purpose not in PURPOSES:
            return None
        return issuer, purpose

    def registry(
        self, issuer: IssuerConfig, purpose: str, *, create: bool = True
    ) -> StatusRegistry | None:
        """The issuer's registry for ``purpose`` (opened, or created when ``create``)."""
        if purpose not in PURPOSES:
            raise InvalidInputError(
                f"statusPurpose must be one of {', '.join(PURPOSES)}", code="service.option_invalid"
            )
        list_id = self.list_id(issuer, purpose)
        with self._lock:
            found = self._registries.get(list_id)
            if found is not None:
                if not isinstance(found, list):
                    return found
                return found[next(self._turn) % len(found)]
            if self.config.database is not None:
                # A few connections per list, taken in turn: requests of one instance then
                # commit side by side (PostgreSQL groups their WAL flushes), not one by one.
                pool = [
                    StatusRegistry.open(
                        self.config.database, list_url=self.list_url(list_id), purpose=purpose
                    )
                    for _ in range(POOL_SIZE)
                ]
                self._registries[list_id] = pool
                return pool[0]
            else:
                assert self.config.data is not None  # noqa: S101 - ServiceConfig checks it
                path = self.config.data / f"status-{list_id}.db"
                if not create and not path.exists():
                    return None
                location = str(path)
            registry = StatusRegistry.open(
                location, list_url=self.list_url(list_id), purpose=purpose
            )
            self._registries[list_id] = registry
            return registry

    def registry_of_list(self, list_id: str) -> tuple[IssuerConfig, StatusRegistry] | None:
        """The issuer and registry of a list id this service publishes, or None."""
        parsed = self._parse_list_id(list_id)
        if parsed is None:
            return None
        issuer, purpose = parsed
        registry = self.registry(issuer, purpose, create=self.config.database is not None)
        return None if registry is None else (issuer, registry)

    def publish(self, list_id: str, *, now: datetime | None = None) -> Publication | None:
        """Sign the list as it is now and record the publication (after a status change).

        If the list changed while it was being signed (another instance set a status), it is
        signed again, so the newest publication never holds an older snapshot.
        """
        found = self.registry_of_list(list_id)
        if found is None:
            return None
        issuer, registry = found
        moment = (now or utc_now()).replace(microsecond=0)
        for _ in range(3):
            secured = registry.publish(
                issuer_did(issuer),
                lambda unsigned: _secure_list(unsigned, issuer),
                now=moment,
                valid_for=self.config.status_valid_for,
                ttl=self.config.status_ttl,
            )
            if secured["credentialSubject"]["encodedList"] == registry.status_list().encode():
                break
        return _publication(secured, moment)

    def current_list(self, list_id: str, *, now: datetime | None = None) -> Publication | None:
        """The newest publication of the list, signed again when older than the ttl.

        Always read from the store: another instance may have changed a status since.
        """
        moment = now or utc_now()
        found = self.registry_of_list(list_id)
        if found is None:
            return None
        stored = found[1].latest_publication()
        if isinstance(stored, dict):
            valid_from = parse_datetime(str(stored.get("validFrom")), field="validFrom")
            if moment - valid_from < self.config.status_ttl:
                return _publication(stored, valid_from)
        return self.publish(list_id, now=moment)

    # -- the transparency log ----------------------------------------------------------------

    def ledger(self) -> LedgerBackend:
        """The transparency log, opened on first use."""
        with self._lock:
            if self._ledger is None:
                config = self.config
                if config.database is not None:
                    assert config.log_key is not None  # noqa: S101 - ServiceConfig checks it
                    self._ledger = open_ledger(
                        config.database, log_key=config.log_key, origin=config.origin
                    )
                else:
                    assert config.data is not None  # noqa: S101 - ServiceConfig checks it
                    key = config.log_key or _folder_log_key(config)
                    self._ledger = open_ledger(
                        f"sqlite:///{(config.data / 'ledger.db').resolve()}",
                        log_key=key,
                        origin=config.origin,
                    )
            return self._ledger

    def store(self) -> ServiceStore:
        """The exchanges and audit tables, opened on first use."""
        with self._lock:
            if self._store is None:
                self._store = open_store(
                    database=self.config.database, data=self.config.data, pool=POOL_SIZE
                )
            return self._store

    def close(self) -> None:
        """Close every store."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
            for found in self._registries.values():
                for registry in found if isinstance(found, list) else [found]:
                    registry.close()
            self._registries.clear()
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None


def issuer_did(issuer: IssuerConfig) -> str:
    """The DID the issuer's credentials name as ``issuer``."""
    return issuer_method(issuer).split("#", 1)[0]


def issuer_method(issuer: IssuerConfig) -> str:
    """The verification method the issuer signs with (its did:key's, unless configured)."""
    from did_gov.dids import did_key

    if issuer.verification_method is not None:
        return issuer.verification_method
    return did_key.verification_method_id(issuer.signer.public_key)


def _secure_list(unsigned: dict[str, Any], issuer: IssuerConfig) -> dict[str, Any]:
    secured: dict[str, Any] = issue(
        unsigned,
        issuer.signer,
        cryptosuite=issuer.cryptosuite,
        verification_method=issuer.verification_method,
    )
    return secured


def _publication(secured: dict[str, Any] | str, valid_from: datetime) -> Publication:
    if not isinstance(secured, dict):
        raise StatusError("the service publishes lists as JSON", code="status.secure_failed")
    body = json.dumps(secured, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Publication(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', valid_from)


def _folder_log_key(config: ServiceConfig) -> Signer:
    """The data folder's log key: read it, or make one the first time."""
    assert config.data is not None  # noqa: S101 - only called with a data folder
    path = config.data / _LOG_KEY_FILE
    if path.exists():
        return load_private_key(path)
    key = PrivateKey.generate("ed25519")
    key.save(path)
    return key
