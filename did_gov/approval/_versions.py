"""The policy versions an evaluator keeps: rollback and withdrawal (``specs/issuance-policy.md`` §3).

A policy is changed or withdrawn by its issuer signing a new version (same ``id``, larger
``version``; ``"withdrawn": true`` to withdraw it). An evaluator that has seen a version must
not go back: :class:`PolicyVersions` remembers, per issuer and policy id, the newest version
admitted (its number, hash and whether it withdraws the policy), and refuses an older version
afterwards — ``approval.policy_withdrawn`` when a newer version withdrew it,
``approval.policy_superseded`` otherwise — and another document under a version number it
already holds (``approval.policy_conflict``). Replay (§7) does not ask it: a decision made
under version 1 still replays under version 1 after version 2 withdrew the policy.

>>> from did_gov.approval import PolicyVersions
>>> kept = PolicyVersions()          # in memory; PolicyVersions(path) keeps a JSON file
>>> kept.newest("did:example:office", "urn:example:p") is None
True
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from did_gov.approval._policy import Policy
from did_gov.errors import ApprovalError

__all__ = ["KeptVersion", "PolicyVersions"]

_FORMAT = 1


@dataclass(frozen=True)
class KeptVersion:
    """The newest version of one policy an evaluator admitted."""

    issuer: str
    id: str
    version: int
    hash: str
    withdrawn: bool

    def to_json(self) -> dict[str, Any]:
        """``{"issuer", "id", "version", "hash", "withdrawn"}``."""
        return {
            "issuer": self.issuer,
            "id": self.id,
            "version": self.version,
            "hash": self.hash,
            "withdrawn": self.withdrawn,
        }


class PolicyVersions:
    """Per (issuer, policy id), the newest version admitted; older ones are refused (§3).

    ``path`` is a JSON file that keeps them across runs (read again on every admission, so
    processes sharing it see each other's versions; written whole, then renamed); None keeps
    them in memory.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else Path(path)
        self._kept: dict[tuple[str, str], KeptVersion] = {}
        self._lock = threading.Lock()

    def newest(self, issuer: str, policy_id: str) -> KeptVersion | None:
        """The newest version admitted of ``policy_id`` by ``issuer``, or None."""
        with self._lock:
            self._load()
            return self._kept.get((issuer, policy_id))

    def admit(self, policy: Policy) -> None:
        """Keep ``policy`` if it is the newest version seen; refuse it if a newer one is known.

        Raises :class:`~did_gov.errors.ApprovalError`: ``approval.policy_withdrawn`` (a newer
        version withdrew it), ``approval.policy_superseded`` (a newer version replaced it: a
        rollback), ``approval.policy_conflict`` (another document with its version number),
        ``approval.policy_versions_unreadable`` (the file cannot be read or written).
        Admitting a withdrawn version keeps it (so older ones are refused from then on);
        evaluating it is refused by :meth:`Policy.in_force`.
        """
        with self._lock:
            self._load()
            key = (policy.issuer, policy.id)
            kept = self._kept.get(key)
            if kept is not None:
                _refuse_older(policy, kept)
                if kept.version == policy.version:
                    return
            self._kept[key] = KeptVersion(
                policy.issuer, policy.id, policy.version, policy.hash, policy.withdrawn
            )
            self._save()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _unreadable(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            document = json.loads(text)
            entries = document["policies"]
            kept = {
                (e["issuer"], e["id"]): KeptVersion(
                    str(e["issuer"]),
                    str(e["id"]),
                    int(e["version"]),
                    str(e["hash"]),
                    bool(e["withdrawn"]),
                )
                for e in entries
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise _unreadable(f"{self.path} is not a policy versions file: {exc}") from None
        self._kept = kept

    def _save(self) -> None:
        if self.path is None:
            return
        entries = [self._kept[key].to_json() for key in sorted(self._kept)]
        text = json.dumps({"formatVersion": _FORMAT, "policies": entries}, indent=2) + "\n"
        partial = self.path.with_name(self.path.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())  # durable before it replaces the kept versions
            os.replace(partial, self.path)
        except OSError as exc:
            raise _unreadable(f"cannot write {self.path}: {exc.strerror}") from None


def _refuse_older(policy: Policy, kept: KeptVersion) -> None:
    name = f"policy {policy.id} v{policy.version}"
    if kept.version > policy.version:
        if kept.withdrawn:
            raise ApprovalError(
                f"{name} was withdrawn by v{kept.version}", code="approval.policy_withdrawn"
            )
        raise ApprovalError(
            f"{name} is superseded by v{kept.version} (a rollback is refused)",
            code="approval.policy_superseded",
        )
    if kept.version == policy.version and kept.hash != policy.hash:
        raise ApprovalError(
            f"{name} differs from the v{kept.version} already admitted ({kept.hash})",
            code="approval.policy_conflict",
        )


def _unreadable(message: str) -> ApprovalError:
    return ApprovalError(message, code="approval.policy_versions_unreadable")
