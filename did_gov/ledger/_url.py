"""Ledger URLs and the backend registry behind :func:`open_ledger`.

A backend module registers an opener for its URL scheme when imported; the built-in ones
(``memory:``, ``sqlite:``, ``postgresql:``, ``evm+http:``) are imported on first use, so
this module imports no backend.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from did_gov.errors import InvalidInputError, LedgerError
from did_gov.keys import Signer

if TYPE_CHECKING:
    from did_gov.ledger._backend import LedgerBackend

__all__ = ["LedgerOpener", "open_ledger", "register_backend", "split_url"]

LedgerOpener = Callable[..., "LedgerBackend"]
"""``opener(url, *, log_key, origin, **options) -> LedgerBackend``."""

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_OPENERS: dict[str, LedgerOpener] = {}
_BUILT_IN = {
    "memory": "did_gov.ledger.memory",
    "sqlite": "did_gov.ledger.sqlite",
    "evm+http": "did_gov.ledger.evm",
    "evm+https": "did_gov.ledger.evm",
    "postgresql": "did_gov.ledger.postgresql",
    "postgres": "did_gov.ledger.postgresql",
}


def split_url(url: str) -> tuple[str, str]:
    """Split ``scheme:rest``; the scheme is lower-cased (RFC 3986 §3.1)."""
    if not isinstance(url, str):
        raise InvalidInputError("a ledger URL is a string", code="ledger.url_invalid")
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower()
    if not colon or not _SCHEME.fullmatch(scheme):
        raise InvalidInputError(
            f"not a ledger URL: {url!r} (a ledger is named by a URL: sqlite:log.db for a file "
            "here, sqlite:///var/lib/did-gov/log.db, memory:, or evm+http://host:port?contract=0x…)",
            code="ledger.url_invalid",
        )
    return scheme, rest


def register_backend(scheme: str, opener: LedgerOpener) -> None:
    """Make :func:`open_ledger` open ``scheme:`` URLs with ``opener``."""
    if not isinstance(scheme, str) or not _SCHEME.fullmatch(scheme) or not callable(opener):
        raise InvalidInputError(f"invalid backend scheme {scheme!r}", code="ledger.url_invalid")
    _OPENERS[scheme] = opener


def open_ledger(
    url: str, *, log_key: Signer, origin: str | None = None, **options: Any
) -> LedgerBackend:
    """Open the ledger a URL names: ``memory:``, ``sqlite:///path/to/log.db``,
    ``postgresql://user:password@host/database`` (:mod:`did_gov.ledger.postgresql`) or
    ``evm+http://host:port?contract=0x…`` (:mod:`did_gov.ledger.evm`).

    ``log_key`` signs checkpoints (Ed25519). ``origin`` names the log; a sqlite file
    remembers it. Unknown schemes raise :class:`~did_gov.errors.LedgerError`
    (``ledger.backend_unknown``).

    >>> from did_gov.keys import PrivateKey
    >>> log = open_ledger("memory:", log_key=PrivateKey.generate(), origin="example.com/log")
    >>> log.size()
    0
    """
    scheme, _ = split_url(url)
    if scheme not in _OPENERS and scheme in _BUILT_IN:
        importlib.import_module(_BUILT_IN[scheme])
    opener = _OPENERS.get(scheme)
    if opener is None:
        known = ", ".join(sorted({*_OPENERS, *_BUILT_IN}))
        raise LedgerError(
            f"no ledger backend for {scheme!r} URLs in {url!r}: the known schemes are {known} "
            "(a plug-in backend registers its scheme with register_backend before use)",
            code="ledger.backend_unknown",
        )
    return opener(url, log_key=log_key, origin=origin, **options)
