"""The installed trust store (``specs/trust-bundle.md`` §6): bundles installed with state.

A store directory holds the trusted ``root.json`` (after rotations), the installed
``bundle.json`` and ``state.json``: the version floor, the clock floor (newest ``issued``
seen), the bundle-key set the floor belongs to, the SHA-256 of the installed bundle and the
tree head of every log. Installing refuses rollback, freeze, mix-and-match, bad rotations,
a tampered store and log forks, and recovers from a fast-forward attack the way TUF does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from did_gov._time import format_datetime, parse_datetime
from did_gov.errors import DidGovError, TrustError
from did_gov.ledger.checkpoint import open_checkpoint
from did_gov.trust._bundle import TrustBundle, consistent, parse_bundle_bytes, verify_bundle
from did_gov.trust._root import TrustRoot, walk_roots

__all__ = ["InstallResult", "TrustStore"]

_ROOT, _BUNDLE, _STATE = "root.json", "bundle.json", "state.json"


def _tampered(message: str) -> TrustError:
    return TrustError(message, code="trust.store_tampered")


def _key_set_id(root: TrustRoot) -> str:
    keys, threshold = root.key_set
    return hashlib.sha256(f"{threshold}:{','.join(sorted(keys))}".encode()).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class InstallResult:
    """What :meth:`TrustStore.install` did: the installed version and whether the floor was reset."""

    version: int
    root_version: int
    floor_reset: bool
    message: str


class TrustStore:
    """A directory holding an installed bundle and its anti-rollback state.

    >>> store = TrustStore("/nonexistent/store")
    >>> store.installed
    False
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @property
    def installed(self) -> bool:
        """Whether a bundle has been installed here."""
        return (self.directory / _STATE).is_file()

    # -- reading --------------------------------------------------------------------------

    def _read_json(self, name: str) -> Any:
        try:
            return json.loads((self.directory / name).read_bytes())
        except OSError as exc:
            raise TrustError(
                f"cannot read {self.directory / name}: {exc.strerror}",
                code="trust.store_unreadable",
            ) from None
        except ValueError:
            raise _tampered(f"{self.directory / name} is not JSON") from None

    def _state(self) -> dict[str, Any]:
        state = self._read_json(_STATE)
        members = {"version", "clockFloor", "keySet", "bundleSha256", "rootVersion", "logs"}
        if not isinstance(state, dict) or set(state) != members:
            raise _tampered("state.json is malformed")
        return state

    def _root(self) -> TrustRoot:
        try:
            return TrustRoot.parse(self._read_json(_ROOT))
        except TrustError as exc:
            if exc.code == "trust.store_unreadable":
                raise
            raise _tampered(f"the stored root does not verify: {exc}") from None

    def clock_floor(self) -> datetime | None:
        """The newest ``issued`` of any bundle installed here (the store's clock floor)."""
        if not self.installed:
            return None
        return parse_datetime(self._state()["clockFloor"], field="clockFloor")

    def load(self, *, now: datetime) -> TrustBundle:
        """The installed bundle, re-verified: the stored copy must match the state (tamper check).

        Expiry is judged at ``max(now, clock floor)``, so turning the clock back does not
        revive an expired bundle (freeze).
        """
        if not self.installed:
            raise TrustError(
                f"no trust bundle is installed in {self.directory}", code="trust.store_unreadable"
            )
        state = self._state()
        root = self._root()
        try:
            raw = (self.directory / _BUNDLE).read_bytes()
        except OSError as exc:
            raise TrustError(
                f"cannot read the stored bundle: {exc.strerror}", code="trust.store_unreadable"
            ) from None
        if not hmac.compare_digest(hashlib.sha256(raw).hexdigest(), str(state["bundleSha256"])):
            raise _tampered("the stored bundle is not the one installed")
        floor = parse_datetime(state["clockFloor"], field="clockFloor")
        try:
            bundle = verify_bundle(raw, root, now=max(now, floor))
        except TrustError as exc:
            if exc.code in ("trust.bundle_expired", "trust.bundle_root_expired"):
                raise
            raise _tampered(f"the stored bundle does not verify: {exc}") from None
        if bundle.version != state["version"] or bundle.root.version != root.version:
            raise _tampered("the stored bundle's version disagrees with the store's state")
        return bundle

    # -- installing -----------------------------------------------------------------------

    def install(
        self, bundle: bytes, root: TrustRoot | dict[str, Any], *, now: datetime
    ) -> InstallResult:
        """Install a bundle (trust-bundle §6); raise TrustError with the refusal's code.

        ``root`` is the provisioned root, used only when the store is empty; afterwards the
        store's own root (updated by verified rotations) is the trust anchor.
        """
        provisioned = root if isinstance(root, TrustRoot) else TrustRoot.parse(root)
        state = self._state() if self.installed else None
        trusted = self._root() if state is not None else provisioned
        if state is not None and trusted.version != state["rootVersion"]:
            raise _tampered("the stored root's version disagrees with the store's state")
        floor = parse_datetime(state["clockFloor"], field="clockFloor") if state else None
        outer = parse_bundle_bytes(bundle)
        carried = outer.get("roots")
        newest, _ = walk_roots(trusted, carried if isinstance(carried, list) else [])
        # Fast-forward recovery (TUF): new bundle keys reset the version and clock floors
        # an attacker holding the old keys could have pushed forward.
        keys_changed = state is not None and state["keySet"] != _key_set_id(newest)
        if keys_changed:
            floor = None
        effective_now = max(now, floor) if floor else now
        verified = verify_bundle(bundle, trusted, now=effective_now, _parsed=outer)
        version_floor = 0 if state is None or keys_changed else int(state["version"])
        if state is not None and not keys_changed:
            if verified.version < version_floor:
                raise TrustError(
                    f"bundle v{verified.version} is older than the installed v{version_floor}",
                    code="trust.bundle_rollback",
                )
            if verified.version == version_floor and not hmac.compare_digest(
                hashlib.sha256(verified.raw).hexdigest(), str(state["bundleSha256"])
            ):
                raise TrustError(
                    f"a different bundle with the installed version v{version_floor}",
                    code="trust.bundle_rollback",
                )
        logs = self._check_logs(state, verified)
        new_floor = max(verified.issued, floor) if floor else verified.issued
        new_state = {
            "version": verified.version,
            "clockFloor": format_datetime(new_floor),
            "keySet": _key_set_id(verified.root),
            "bundleSha256": hashlib.sha256(verified.raw).hexdigest(),
            "rootVersion": verified.root.version,
            "logs": logs,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.directory / _BUNDLE, verified.raw)
        _write_atomic(self.directory / _ROOT, json.dumps(verified.root.to_json()).encode())
        _write_atomic(self.directory / _STATE, json.dumps(new_state, sort_keys=True).encode())
        reset = " (new bundle keys: version floor reset)" if keys_changed else ""
        return InstallResult(
            verified.version,
            verified.root.version,
            keys_changed,
            f"installed trust bundle v{verified.version} under root v{verified.root.version}{reset}",
        )

    @staticmethod
    def _check_logs(state: dict[str, Any] | None, bundle: TrustBundle) -> dict[str, Any]:
        """Each log the store knows must only have grown (consistency proofs in the bundle)."""
        verifiers = bundle.log_verifiers()
        heads: dict[str, Any] = dict(state["logs"]) if state else {}
        carried = {c.origin: c for c in bundle.checkpoints}
        for origin, entry in carried.items():
            known = heads.get(origin)
            if known is not None:
                try:
                    size, root = int(known["size"]), base64.b64decode(known["root"])
                except (KeyError, TypeError, ValueError):
                    raise _tampered("state.json has a malformed log head") from None
                code = consistent(size, root, entry, verifiers)
                if code is not None:
                    raise TrustError(
                        f"the checkpoint of {origin} does not extend the stored tree of size {size}",
                        code=code,
                    )
            try:
                head = open_checkpoint(entry.note, verifiers, origin=origin).checkpoint
            except DidGovError as exc:
                raise TrustError(
                    f"the checkpoint of {origin} does not verify with the bundle's log keys: {exc}",
                    code="trust.bundle_malformed",
                ) from None
            heads[origin] = {"size": head.size, "root": base64.b64encode(head.root_hash).decode()}
        return heads
