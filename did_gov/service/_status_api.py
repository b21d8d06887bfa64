"""``POST /credentials/status`` and ``GET /status-lists/{id}`` (``specs/service.md`` §2.5-2.6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from did_gov._asgi import ProblemError
from did_gov._time import utc_now
from did_gov.errors import StatusError
from did_gov.service._config import IssuerConfig
from did_gov.service._state import PURPOSES, Publication, ServiceState
from did_gov.status import ENTRY_TYPE

__all__ = ["StatusChange", "change_status", "read_status_request", "served_list", "status_action"]

_BODY = ("credentialId", "credentialStatus", "status")


@dataclass(frozen=True)
class StatusChange:
    """A VCALM UpdateCredentialStatus request: set (``status`` true) or clear one purpose."""

    credential_id: str
    purpose: str
    status: bool


def _bad(code: str, detail: str) -> ProblemError:
    return ProblemError(400, code, detail)


def read_status_request(body: Mapping[str, Any]) -> StatusChange:
    """``{credentialId, credentialStatus: {type: BitstringStatusListEntry, statusPurpose}, status}``."""
    unknown = sorted(set(body) - set(_BODY))
    if unknown:
        raise _bad("service.body_invalid", f"unknown member(s): {', '.join(unknown)}")
    credential_id = body.get("credentialId")
    if not isinstance(credential_id, str) or not credential_id:
        raise _bad("service.body_invalid", "credentialId must be a non-empty string")
    status = body.get("credentialStatus")
    if not isinstance(status, Mapping) or set(status) - {"type", "statusPurpose"}:
        raise _bad(
            "service.body_invalid",
            "credentialStatus must be {type: BitstringStatusListEntry, statusPurpose}",
        )
    if status.get("type") != ENTRY_TYPE:
        raise _bad("service.option_invalid", f"credentialStatus.type must be {ENTRY_TYPE}")
    purpose = status.get("statusPurpose")
    if purpose not in PURPOSES:
        raise _bad("service.option_invalid", f"statusPurpose must be one of {', '.join(PURPOSES)}")
    value = body.get("status")
    if not isinstance(value, bool):
        raise _bad("service.body_invalid", "status must be true (set) or false (clear)")
    return StatusChange(credential_id, str(purpose), value)


def _owner(
    state: ServiceState, change: StatusChange, issuer: IssuerConfig | None
) -> tuple[IssuerConfig, Any]:
    """The issuer whose list of ``change.purpose`` holds the credential."""
    candidates = [issuer] if issuer is not None else list(state.config.issuers)
    for candidate in candidates:
        registry = state.registry(
            candidate, change.purpose, create=state.config.database is not None
        )
        if registry is None:
            continue
        try:
            registry.entry(change.credential_id)
        except StatusError as exc:
            if exc.code == "status.unknown_credential":
                continue
            raise
        return candidate, registry
    raise ProblemError(
        404,
        "status.unknown_credential",
        f"no {change.purpose} entry was allocated for that credential id",
    )


def change_status(
    state: ServiceState, change: StatusChange, issuer: IssuerConfig | None = None
) -> dict[str, Any]:
    """Set or clear the credential's status, then publish its list anew (one signature).

    Clearing a revocation raises ``status.irreversible`` (400).
    """
    owner, registry = _owner(state, change, issuer)
    registry.set_status(change.credential_id, 1 if change.status else 0)
    list_id = state.list_id(owner, change.purpose)
    state.publish(list_id)
    return {
        "credentialId": change.credential_id,
        "credentialStatus": {"type": ENTRY_TYPE, "statusPurpose": change.purpose},
        "status": change.status,
        "statusListCredential": state.list_url(list_id),
    }


def status_action(purpose: str, status: bool) -> str:
    """The audit action of a change: revoke, suspend, reinstate (or clear)."""
    if purpose == "revocation":
        return "revoke" if status else "clear"
    return "suspend" if status else "reinstate"


def served_list(state: ServiceState, list_id: str, now: datetime | None = None) -> Publication:
    """The list as served (signed again when older than its ttl); 404 for an unknown id."""
    publication = state.current_list(list_id, now=now or utc_now())
    if publication is None:
        raise ProblemError(404, "service.status_list_unknown", f"no status list {list_id!r}")
    return publication


def cache_headers(state: ServiceState, publication: Publication, now: datetime) -> dict[str, str]:
    """``ETag`` and ``Cache-Control`` (max-age: what is left of the list's ttl)."""
    left = state.config.status_ttl - (now - publication.valid_from)
    seconds = max(0, int(left.total_seconds()))
    return {"ETag": publication.etag, "Cache-Control": f"public, max-age={seconds}"}
