"""``POST /credentials/issue``: the VCALM issue request, read strictly, secured by one issuer."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from did_gov._api import FORMATS, anchor, issue
from did_gov._asgi import ProblemError
from did_gov.proofs import jose
from did_gov.service._config import IssuerConfig
from did_gov.service._state import PURPOSES, ServiceState
from did_gov.status import ENTRY_TYPE

__all__ = ["IssueOptions", "issue_credential", "read_issue_request"]

_OPTIONS = ("format", "cryptosuite", "disclosable", "credentialStatus", "anchor")
_BODY = ("credential", "options")


@dataclass(frozen=True)
class IssueOptions:
    """The ``options`` of an issue request (``specs/service.md`` §Issue)."""

    format: str = "di"
    cryptosuite: str | None = None
    disclosable: tuple[str, ...] = ()
    status_purposes: tuple[str, ...] = ()
    anchor: bool = False


def _bad(code: str, detail: str) -> ProblemError:
    return ProblemError(400, code, detail)


def _status_purposes(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    purposes: list[str] = []
    for item in items:
        if not isinstance(item, Mapping) or set(item) - {"type", "statusPurpose"}:
            raise _bad(
                "service.option_invalid",
                "options.credentialStatus is {type: BitstringStatusListEntry, statusPurpose}",
            )
        if item.get("type") != ENTRY_TYPE:
            raise _bad("service.option_invalid", f"credentialStatus.type must be {ENTRY_TYPE}")
        purpose = item.get("statusPurpose", "revocation")
        if purpose not in PURPOSES or purpose in purposes:
            raise _bad(
                "service.option_invalid",
                f"credentialStatus.statusPurpose must be one of {', '.join(PURPOSES)}, once each",
            )
        purposes.append(str(purpose))
    return tuple(purposes)


def read_options(options: Mapping[str, Any]) -> IssueOptions:
    """Parse ``options``; an unknown option or a value of the wrong type is a 400."""
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise _bad("service.option_unknown", f"unknown option(s): {', '.join(unknown)}")
    format = options.get("format", "di")
    if format not in FORMATS:
        raise _bad("service.option_invalid", f"options.format must be one of {', '.join(FORMATS)}")
    cryptosuite = options.get("cryptosuite")
    if cryptosuite is not None and (not isinstance(cryptosuite, str) or format != "di"):
        raise _bad("service.option_invalid", "options.cryptosuite is a string, for format di")
    disclosable = options.get("disclosable", [])
    if not isinstance(disclosable, list) or not all(isinstance(p, str) for p in disclosable):
        raise _bad("service.option_invalid", "options.disclosable is a list of JSON pointers")
    if disclosable and format != "sd-jwt":
        raise _bad("service.option_invalid", "options.disclosable needs format sd-jwt")
    anchored = options.get("anchor", False)
    if not isinstance(anchored, bool):
        raise _bad("service.option_invalid", "options.anchor is true or false")
    status = options.get("credentialStatus")
    return IssueOptions(
        format=str(format),
        cryptosuite=cryptosuite,
        disclosable=tuple(disclosable),
        status_purposes=() if status is None else _status_purposes(status),
        anchor=anchored,
    )


def read_issue_request(body: Mapping[str, Any]) -> tuple[dict[str, Any], IssueOptions]:
    """The credential and options of an issue request body."""
    unknown = sorted(set(body) - set(_BODY))
    if unknown:
        raise _bad("service.body_invalid", f"unknown member(s): {', '.join(unknown)}")
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise _bad("service.body_invalid", "credential must be a JSON object")
    options = body.get("options")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise _bad("service.body_invalid", "options must be a JSON object")
    return credential, read_options(options)


def _with_status(
    state: ServiceState, issuer: IssuerConfig, credential: dict[str, Any], purposes: tuple[str, ...]
) -> dict[str, Any]:
    """The credential with one status entry per purpose (an ``id`` is given if it has none)."""
    if "credentialStatus" in credential:
        raise _bad(
            "service.option_invalid",
            "the credential already has credentialStatus; the service allocates it",
        )
    doc = dict(credential)
    credential_id = doc.get("id")
    if credential_id is None:
        credential_id = doc["id"] = f"urn:uuid:{uuid.uuid4()}"
    if not isinstance(credential_id, str) or not credential_id:
        raise _bad("credential.invalid", "the credential id must be a non-empty string")
    entries = []
    for purpose in purposes:
        registry = state.registry(issuer, purpose)
        assert registry is not None  # noqa: S101 - created on demand
        entries.append(registry.allocate(credential_id).to_json())
    doc["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    return doc


def _with_issuer(credential: dict[str, Any], did: str) -> dict[str, Any]:
    doc = dict(credential)
    current = doc.get("issuer")
    doc["issuer"] = {**current, "id": did} if isinstance(current, dict) else did
    return doc


def issue_credential(
    state: ServiceState,
    issuer: IssuerConfig,
    credential: dict[str, Any],
    options: IssueOptions,
) -> tuple[dict[str, Any], object]:
    """Secure ``credential`` as ``options`` say: the 201 body ``{verifiableCredential, …}``
    and the credential's id (for the audit trail; None when it has none).

    Raises :class:`~did_gov.errors.DidGovError` for a credential ``issue()`` refuses.
    """
    doc = dict(credential)
    if issuer.verification_method is not None:
        doc = _with_issuer(doc, issuer.verification_method.split("#", 1)[0])
    if options.status_purposes:
        doc = _with_status(state, issuer, doc, options.status_purposes)
    secured: dict[str, Any] | str = issue(
        doc,
        issuer.signer,
        format=options.format,
        cryptosuite=(options.cryptosuite or issuer.cryptosuite) if options.format == "di" else None,
        verification_method=issuer.verification_method,
        contexts=state.config.contexts,
        disclosable=options.disclosable,
    )
    body: dict[str, Any] = {
        "verifiableCredential": jose.envelope(secured, jose.VC_MEDIA_TYPE)
        if options.format == "vc-jwt" and isinstance(secured, str)
        else secured
    }
    if options.anchor:
        receipts = anchor(secured, state.ledger(), kind="credential")
        body["anchorReceipts"] = [receipt.to_json() for receipt in receipts]
    return body, doc.get("id")
