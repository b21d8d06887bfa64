"""The issuer's status registry: one durable status list in one SQLite file (``specs/status-registry.md``).

(A ``postgresql://`` URL opens the same registry in PostgreSQL instead, for several service
instances: :mod:`did_gov.status._postgres`; the storage seams below are what it replaces.)

It allocates indexes uniformly at random among the free ones (a CSPRNG by default), so an
index says nothing about when a credential was issued or how many were (§2.1
``statusListIndex``, §6.4 "Decoy Values"), and never releases one. It stores only
SHA-256 of each credential ``id``, the index, and the value. Every change is one
``BEGIN IMMEDIATE`` transaction in a WAL file with ``synchronous=FULL``, so several
processes can share the file and a crash leaves each change whole or absent. Triggers
refuse deleting an entry and, for ``revocation`` and ``refresh``, clearing a set status.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

from did_gov._log import STATUS
from did_gov._sqlite import existed as file_existed
from did_gov.errors import DidGovError, StatusError
from did_gov.status._bitstring import StatusList
from did_gov.status._credential import build_list_credential
from did_gov.status._entry import StatusListEntry, StatusMessage, StatusPurpose, messages_from_texts
from did_gov.status._store import (
    FORMAT,
    credential_hash,
    new_meta,
    prepare,
    transaction,
    wanted_meta,
)

__all__ = ["FORMAT", "RandomBelow", "SecureFunction", "StatusRegistry", "credential_hash"]

Secured = TypeVar("Secured", dict[str, Any], str)
"""A secured list credential: a JSON object (Data Integrity) or a compact token (VC-JOSE)."""
SecureFunction = Callable[[dict[str, Any]], Secured]
"""Turns an unsigned list credential into a secured one: adds a Data Integrity proof (returns
the object) or envelopes it (returns the compact JWS, e.g. VC-JOSE ``application/vc+jwt``)."""
_COMPACT = re.compile(
    r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(~[A-Za-z0-9_.~-]*)?", re.ASCII
)
RandomBelow = Callable[[int], int]
"""``randbelow(n) -> int`` uniform in ``[0, n)``; :func:`secrets.randbelow` by default."""

_RANDOM_TRIES = 16
_POSTGRES_SCHEMES = ("postgresql", "postgres")


class StatusRegistry:
    """An issuer's status list: index allocation, status changes, publication.

    Kept in a SQLite file, or in PostgreSQL when :meth:`open` is given a ``postgresql://``
    URL (:mod:`did_gov.status._postgres`).

    >>> import tempfile, os
    >>> from datetime import UTC, datetime, timedelta
    >>> path = os.path.join(tempfile.mkdtemp(), "status.db")
    >>> with StatusRegistry.open(path, list_url="https://gov.example/status/1",
    ...                          purpose="revocation") as reg:
    ...     entry = reg.allocate("urn:uuid:5f0c7e4e-2f0e-4c38-9d2e-1d0c6b0f8a11")
    ...     reg.revoke("urn:uuid:5f0c7e4e-2f0e-4c38-9d2e-1d0c6b0f8a11")
    ...     lc = reg.list_credential("did:example:gov", now=datetime(2025, 6, 1, tzinfo=UTC),
    ...                              valid_for=timedelta(days=1))
    >>> StatusList.decode(lc["credentialSubject"]["encodedList"]).get(entry.status_list_index)
    1
    """

    def __init__(self, db: sqlite3.Connection, meta: Mapping[str, str], rng: RandomBelow) -> None:
        """Use :meth:`open`; this wraps an already prepared connection."""
        self._db = db
        self._configure(meta, rng)

    def _configure(self, meta: Mapping[str, str], rng: RandomBelow) -> None:
        """Take the list's parameters (``meta`` strings, as stored) and the random source."""
        self._rng = rng
        self._lock = threading.RLock()
        self.list_url: str = meta["list_url"]
        self.purpose = StatusPurpose(meta["purpose"])
        self.size = int(meta["size"])
        self.status_size = int(meta["status_size"])
        self.messages: tuple[StatusMessage, ...] = messages_from_texts(
            json.loads(meta["messages"]), self.status_size
        )

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        list_url: str | None = None,
        purpose: StatusPurpose | str | None = None,
        size: int | None = None,
        status_size: int | None = None,
        messages: Sequence[str] | None = None,
        rng: RandomBelow | None = None,
        busy_timeout: float = 30.0,
        reconnect_timeout: float = 30.0,
    ) -> StatusRegistry:
        """Open (or create) the registry at ``path``: a SQLite file, or a PostgreSQL database.

        A new file needs ``list_url`` and ``purpose``; ``size`` defaults to 131,072 entries
        and ``status_size`` to 1 (then ``messages``, one text per value, is optional; above 1
        it is required). An existing file keeps its parameters: any given must match
        (``status.registry_mismatch``).

        ``path`` may be a ``postgresql://`` URL (``pip install 'did-gov[postgresql]'``,
        ``specs/storage.md``): the database holds one registry per list URL, which several
        service instances share; ``list_url`` names it (or the database's only registry is
        opened), and a broken connection is re-established for ``reconnect_timeout``
        seconds. ``busy_timeout`` applies to SQLite files only.
        """
        wanted = wanted_meta(list_url, purpose, size, status_size, messages)
        if isinstance(path, str) and path.partition(":")[0].lower() in _POSTGRES_SCHEMES:
            from did_gov.status._postgres import PostgresStatusRegistry

            return PostgresStatusRegistry.connect(
                path, wanted, rng or secrets.randbelow, reconnect_timeout=reconnect_timeout
            )
        existed = file_existed(
            path,
            lambda why: StatusError(
                f"cannot open {path!r}: {why}", code="status.registry_open_failed"
            ),
        )
        if not ("list_url" in wanted and "purpose" in wanted) and not existed:
            raise StatusError(
                f"no status registry at {os.fspath(path)!r}; a new one needs list_url and purpose",
                code="status.invalid_argument",
            )
        if not existed:
            new_meta(wanted)  # refuse bad parameters before sqlite creates the file
        try:
            db = sqlite3.connect(
                os.fspath(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError, TypeError) as exc:
            raise StatusError(
                f"cannot open status registry {path!r}: {exc}", code="status.registry_open_failed"
            ) from exc
        try:
            return cls(db, prepare(db, wanted, existed), rng or secrets.randbelow)
        except (sqlite3.Error, KeyError, ValueError) as exc:
            db.close()
            raise StatusError(
                f"cannot open status registry {path!r}: {exc}", code="status.registry_open_failed"
            ) from exc
        except BaseException:
            db.close()
            raise

    # -- context management ----------------------------------------------------------------

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> StatusRegistry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._sqlite_errors(), transaction(self._db) as db:
            yield db

    @contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StatusError(
                f"status registry failed: {exc}", code="status.registry_failed"
            ) from exc

    # -- allocation ------------------------------------------------------------------------

    def _draw(self, bound: int) -> int:
        value = self._rng(bound)
        if type(value) is not int or not 0 <= value < bound:
            raise StatusError(
                f"rng({bound}) returned {value!r}, not an int in range",
                code="status.invalid_argument",
            )
        return value

    def _free_index(
        self,
        taken: Callable[[int], bool],
        count: Callable[[], int],
        ordered: Callable[[], Iterable[int]],
    ) -> int:
        """A uniformly random free index: rejection sampling, then the rank among free ones.

        ``taken(i)`` says whether index ``i`` is allocated, ``count()`` how many are, and
        ``ordered()`` yields the allocated indexes in increasing order.
        """
        for _ in range(_RANDOM_TRIES):
            candidate = self._draw(self.size)
            if not taken(candidate):
                return candidate
        return self._ranked_free_index(count, ordered)

    def _ranked_free_index(
        self, count: Callable[[], int], ordered: Callable[[], Iterable[int]]
    ) -> int:
        """A uniformly random free index by its rank among the free ones (``status.registry_full``
        when none is left); the second stage of :meth:`_free_index`."""
        used = count()
        if used >= self.size:
            raise StatusError(
                f"all {self.size} indexes of {self.list_url} are allocated",
                code="status.registry_full",
            )
        rank = self._draw(self.size - used)
        start = 0
        for index in ordered():
            if rank < index - start:
                break
            rank -= index - start
            start = index + 1
        return start + rank

    def allocate(self, credential_id: str) -> StatusListEntry:
        """The status entry for ``credential_id``, allocating a random free index once.

        Idempotent: the same credential id always gets the same entry.
        """
        return self._entry_for(self._allocate_index(credential_hash(credential_id)))

    def _allocate_index(self, digest: bytes) -> int:
        """The index of ``digest``: the one it has, or a new random free one (one transaction)."""
        with self._write() as db:
            row = db.execute(
                "SELECT idx FROM entries WHERE credential_hash = ?", (digest,)
            ).fetchone()
            if row is not None:
                return int(row[0])
            index = self._free_index(
                lambda i: (
                    db.execute("SELECT 1 FROM entries WHERE idx = ?", (i,)).fetchone() is not None
                ),
                lambda: int(db.execute("SELECT count(*) FROM entries").fetchone()[0]),
                lambda: (int(r[0]) for r in db.execute("SELECT idx FROM entries ORDER BY idx")),
            )
            db.execute("INSERT INTO entries(idx, credential_hash) VALUES (?, ?)", (index, digest))
            return index

    def _entry_for(self, index: int) -> StatusListEntry:
        return StatusListEntry(
            status_purpose=self.purpose.value,
            status_list_index=index,
            status_list_credential=self.list_url,
            id=f"{self.list_url}#{index}",
            status_size=self.status_size,
            status_message=self.messages,
        )

    def _row(self, db: sqlite3.Connection, credential_id: str) -> tuple[int, int]:
        row = db.execute(
            "SELECT idx, value FROM entries WHERE credential_hash = ?",
            (credential_hash(credential_id),),
        ).fetchone()
        if row is None:
            raise StatusError(
                "no status entry was allocated for that credential id",
                code="status.unknown_credential",
            )
        return int(row[0]), int(row[1])

    def _read_entry(self, credential_id: str) -> tuple[int, int]:
        """``(index, value)`` of the credential's entry."""
        with self._lock, self._sqlite_errors():
            return self._row(self._db, credential_id)

    def entry(self, credential_id: str) -> StatusListEntry:
        """The entry allocated to ``credential_id`` (``status.unknown_credential`` if none)."""
        return self._entry_for(self._read_entry(credential_id)[0])

    def value(self, credential_id: str) -> int:
        """The current status value of ``credential_id``."""
        return self._read_entry(credential_id)[1]

    def _count(self) -> int:
        with self._lock, self._sqlite_errors():
            return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def __len__(self) -> int:
        return self._count()

    # -- status changes --------------------------------------------------------------------

    def set_status(self, credential_id: str, value: int) -> None:
        """Set the credential's status value (``0 <= value < 2**status_size``).

        For ``revocation`` and ``refresh`` a set status is permanent (§2.1: "not
        reversible"): changing it raises ``status.irreversible``.
        """
        if type(value) is not int or not 0 <= value < 1 << self.status_size:
            raise StatusError(
                f"value {value!r} does not fit in {self.status_size} bit(s)",
                code="status.value_out_of_range",
            )
        index = self._change_value(credential_id, value)
        if index is not None:
            STATUS.info("status list %s (%s): index %d set to %d", self.list_url,
                        self.purpose.value, index, value)  # fmt: skip

    def _check_change(self, current: int) -> None:
        """Refuse changing a set status of a purpose that is not reversible."""
        if current and not self.purpose.reversible:
            raise StatusError(
                f"a {self.purpose.value} status cannot be changed once set",
                code="status.irreversible",
            )

    def _change_value(self, credential_id: str, value: int) -> int | None:
        """Set the entry's value in one transaction (after :meth:`_check_change`).

        Returns the entry's index, or None when the value was already ``value``.
        """
        with self._write() as db:
            index, current = self._row(db, credential_id)
            if current == value:
                return None
            self._check_change(current)
            db.execute("UPDATE entries SET value = ? WHERE idx = ?", (value, index))
            return index

    def _require(self, purpose: StatusPurpose, action: str) -> None:
        if self.purpose is not purpose:
            raise StatusError(
                f"cannot {action} on a {self.purpose.value} list", code="status.purpose_mismatch"
            )

    def revoke(self, credential_id: str) -> None:
        """Revoke the credential, permanently (a ``revocation`` list only)."""
        self._require(StatusPurpose.REVOCATION, "revoke")
        self.set_status(credential_id, 1)

    def suspend(self, credential_id: str) -> None:
        """Suspend the credential (a ``suspension`` list only)."""
        self._require(StatusPurpose.SUSPENSION, "suspend")
        self.set_status(credential_id, 1)

    def reinstate(self, credential_id: str) -> None:
        """Lift a suspension (a ``suspension`` list only; revocation cannot be undone)."""
        if self.purpose is StatusPurpose.REVOCATION:
            raise StatusError("a revocation cannot be undone", code="status.irreversible")
        self._require(StatusPurpose.SUSPENSION, "reinstate")
        self.set_status(credential_id, 0)

    # -- publication -----------------------------------------------------------------------

    def status_list(self) -> StatusList:
        """A consistent snapshot of the whole list (one read transaction)."""
        snapshot = StatusList(self.size, self.status_size)
        for index, value in self._set_values():
            snapshot.set(index, value)
        return snapshot

    def _set_values(self) -> list[tuple[int, int]]:
        """``(index, value)`` of every entry whose value is not 0 (one consistent read)."""
        with self._lock, self._sqlite_errors():
            rows = self._db.execute("SELECT idx, value FROM entries WHERE value != 0").fetchall()
        return [(int(index), int(value)) for index, value in rows]

    def list_credential(
        self,
        issuer: str | Mapping[str, Any],
        *,
        now: datetime,
        valid_for: timedelta | None,
        ttl: timedelta | None = None,
    ) -> dict[str, Any]:
        """The unsigned list credential for the current list (§3.1 steps 1-4).

        ``validFrom`` is ``now``; ``validUntil`` is ``now + valid_for`` (None: no end; a
        stapled list without an end can be replayed forever, so give one).
        """
        if valid_for is not None and (
            not isinstance(valid_for, timedelta) or valid_for <= timedelta(0)
        ):
            raise StatusError(
                "valid_for must be a positive timedelta", code="status.invalid_argument"
            )
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise StatusError(
                "now must be a timezone-aware datetime", code="status.invalid_argument"
            )
        return build_list_credential(
            list_url=self.list_url,
            issuer=issuer,
            purpose=self.purpose.value,
            encoded_list=self.status_list().encode(),
            valid_from=now,
            valid_until=None if valid_for is None else now + valid_for,
            ttl=ttl,
        )

    def publish(
        self,
        issuer: str | Mapping[str, Any],
        secure: SecureFunction[Secured],
        *,
        now: datetime,
        valid_for: timedelta | None,
        ttl: timedelta | None = None,
    ) -> Secured:
        """Build, secure (with the caller's ``secure``) and record a new list credential (§3.1).

        ``secure`` returns the secured object (Data Integrity) or a compact token (VC-JOSE);
        either is stored in the file and returned; :meth:`latest_publication` returns it.
        """
        unsigned = self.list_credential(issuer, now=now, valid_for=valid_for, ttl=ttl)
        try:
            secured = secure(copy.deepcopy(unsigned))
            text = (
                secured
                if isinstance(secured, str)
                else json.dumps(secured, ensure_ascii=False, allow_nan=False)
            )
        except DidGovError:
            raise
        except Exception as exc:  # the seam where a caller's signer fails
            raise StatusError(
                f"securing the status list credential failed: {exc}", code="status.secure_failed"
            ) from exc
        if not isinstance(secured, dict) and not (
            isinstance(secured, str) and _COMPACT.fullmatch(secured)
        ):
            raise StatusError(
                "secure() must return a JSON object or a compact token",
                code="status.secure_failed",
            )
        self._record_publication(unsigned["validFrom"], text)
        STATUS.info("published status list %s (%s), valid from %s", self.list_url,
                    self.purpose.value, unsigned["validFrom"])  # fmt: skip
        return secured

    def _record_publication(self, valid_from: str, text: str) -> None:
        """Store a secured list credential (its JSON text or compact token)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO publications(valid_from, credential) VALUES (?, ?)",
                (valid_from, text),
            )

    def _latest_publication_text(self) -> str | None:
        """The newest stored publication's text, or None."""
        with self._lock, self._sqlite_errors():
            row = self._db.execute(
                "SELECT credential FROM publications ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else str(row[0])

    def latest_publication(self) -> dict[str, Any] | str | None:
        """The most recently published (secured) list credential (object or token), or None."""
        text = self._latest_publication_text()
        if text is None:
            return None
        if not text.startswith("{"):
            return text
        published: dict[str, Any] = json.loads(text)
        return published
