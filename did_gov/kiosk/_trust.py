"""What the kiosk trusts: a bundle verified under a root, or the bundle installed in a store.

:class:`TrustSource` loads it (and loads it again on SIGHUP); :class:`TrustState` is one
loaded generation: the bundle, a ``Verifier`` built from it, the default DCQL query, or
the reason the kiosk refuses to verify (an expired, tampered or missing bundle).
There is no trust-any mode here: without a valid bundle the kiosk verifies nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from did_gov.errors import DidGovError, TrustError
from did_gov.trust import DcqlQuery, TrustBundle, TrustStore, verify_bundle
from did_gov.trust._oid4vp import default_dcql_query
from did_gov.verify import UnknownStatus, VerificationPolicy, Verifier

__all__ = ["KIOSK_POLICY", "NEAR_EXPIRY", "TrustSource", "TrustState"]

NEAR_EXPIRY = timedelta(hours=24)
KIOSK_POLICY = VerificationPolicy(unknown_status=UnknownStatus.FAIL)
"""The kiosk's verification policy: the defaults, except that a status entry of a type it
cannot read fails (``status.type_unsupported``). A kiosk verifies offline, so a credential whose
revocation it cannot check is not shown as verified (``specs/kiosk.md``)."""
"""How long before the bundle's expiry the page warns."""


@dataclass(frozen=True)
class TrustState:
    """One loaded generation of trust: a verified bundle and its Verifier, or a refusal."""

    bundle: TrustBundle | None
    verifier: Verifier | None
    query: DcqlQuery | None
    failure: tuple[str, str] | None = None  # (code, message)
    names: dict[str, tuple[str | None, str | None]] | None = None

    def refusal(self, now: datetime) -> tuple[str, str] | None:
        """Why the kiosk must not verify at ``now``: a load failure, or the bundle expired since."""
        if self.failure is not None:
            return self.failure
        assert self.bundle is not None  # noqa: S101 - a state without failure has a bundle
        if now >= self.bundle.expires:
            return (
                "trust.bundle_expired",
                f"the trust bundle v{self.bundle.version} expired at "
                f"{self.bundle.expires.isoformat()}",
            )
        return None

    def issuer_name(self, issuer: str) -> tuple[str | None, str | None]:
        """The display names (English, Chinese) the bundle's accreditations give ``issuer``."""
        return (self.names or {}).get(issuer, (None, None))

    def summary(self, now: datetime) -> dict[str, Any]:
        """What the page shows about the bundle: version, issued, expires, age, warnings."""
        refusal = self.refusal(now)
        out: dict[str, Any] = {"refused": None if refusal is None else list(refusal)}
        if self.bundle is not None:
            out |= {
                "version": self.bundle.version,
                "issued": self.bundle.issued.isoformat(),
                "expires": self.bundle.expires.isoformat(),
                "age_seconds": int((now - self.bundle.issued).total_seconds()),
                "left_seconds": int((self.bundle.expires - now).total_seconds()),
                "near_expiry": refusal is None and self.bundle.expires - now <= NEAR_EXPIRY,
            }
        return out


def _names(bundle: TrustBundle) -> dict[str, tuple[str | None, str | None]]:
    """Each accredited issuer's display names, from its most recently issued record."""
    latest: dict[str, Any] = {}
    for signed in bundle.accreditations:
        record = signed.accreditation
        known = latest.get(record.issuer)
        if known is None or record.issued >= known.issued:
            latest[record.issuer] = record
    return {issuer: (r.name, r.name_zh) for issuer, r in latest.items()}


class TrustSource:
    """Where the kiosk's trust comes from: ``bundle`` + ``root`` (stateless), or ``store``.

    ``dcql`` replaces the default query (built from the bundle's accreditations).
    """

    def __init__(
        self,
        *,
        bundle: str | os.PathLike[str] | bytes | None = None,
        root: str | os.PathLike[str] | dict[str, Any] | None = None,
        store: str | os.PathLike[str] | None = None,
        dcql: DcqlQuery | None = None,
    ) -> None:
        if (store is None) == (bundle is None and root is None):
            raise TrustError("give a bundle and its root, or a store", code="trust.not_configured")
        if store is None and (bundle is None or root is None):
            raise TrustError("a bundle needs its root", code="trust.not_configured")
        self.bundle, self.root, self.store, self.dcql = bundle, root, store, dcql

    @property
    def reloadable(self) -> bool:
        """A store can receive a newer bundle (``bundle install``); reload it on SIGHUP."""
        return self.store is not None

    def _bundle(self, now: datetime) -> TrustBundle:
        if self.store is not None:
            return TrustStore(self.store).load(now=now)
        bundle = self.bundle
        raw = bundle if isinstance(bundle, bytes) else Path(str(bundle)).read_bytes()
        root = self.root
        if not isinstance(root, dict):
            root = json.loads(Path(str(root)).read_text(encoding="utf-8"))
        return verify_bundle(raw, root, now=now)

    def load(self, now: datetime) -> TrustState:
        """Verify and load the bundle; a failure becomes a refusing state (fail closed)."""
        try:
            bundle = self._bundle(now)
        except DidGovError as exc:
            return TrustState(None, None, None, (exc.code, exc.message))
        except (OSError, ValueError) as exc:
            return TrustState(
                None, None, None, ("trust.store_unreadable", f"cannot read the bundle: {exc}")
            )
        options = bundle.verifier_options()
        # Offline, a status the kiosk cannot read cannot show "not revoked": it fails closed.
        verifier = Verifier(**options, policy=KIOSK_POLICY)
        try:
            query = self.dcql or default_dcql_query(
                [t for s in bundle.accreditations for t in s.accreditation.types],
                options["loader"],
            )
        except DidGovError as exc:
            return TrustState(None, None, None, (exc.code, exc.message))
        return TrustState(bundle, verifier, query, None, _names(bundle))
