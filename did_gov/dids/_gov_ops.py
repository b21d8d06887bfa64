"""did:gov Create, Update and Deactivate (``specs/did-gov-method.md`` §10).

Each operation builds the next entry, checks it exactly as a verifier will (§6 step 3)
*before* anything reaches the ledger, signs it through ``keys.sign_with`` (an HSM key
works), anchors its unsalted leaf, and returns the extended, verified :class:`GovLog`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from did_gov._time import utc_now
from did_gov.dids._gov_entry import (
    METHOD,
    PLACEHOLDER,
    bad,
    entry_hash,
    entry_leaf,
    format_time,
    gov_hash,
    scid_of,
    sign_entry,
)
from did_gov.dids._gov_log import GovLog, check_anchor, check_entry
from did_gov.keys import PublicKey, Signer
from did_gov.ledger import LedgerBackend, open_checkpoint

__all__ = ["create_log", "deactivate_log", "update_log"]

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
_KEY_ID = re.compile(r"#key-([1-9][0-9]*)")
_RELATIONSHIPS = ("assertionMethod", "authentication")


def _misuse(message: str, code: str = "did.gov_update_invalid") -> Exception:
    return bad(message, code)


def _time(ledger: LedgerBackend, now: datetime | None, floor: datetime | None = None) -> str:
    """``now``, by default the ledger's own time: never later than the entry's anchored time."""
    if now is None:
        head = open_checkpoint(ledger.checkpoint(), [ledger.verifier], origin=ledger.origin)
        now = head.checkpoint.time or utc_now()
    moment = now.replace(microsecond=0)
    if floor is not None and moment < floor:
        moment = floor
    return format_time(moment)


def _method(did: str, number: int, key: PublicKey) -> dict[str, Any]:
    return {
        "id": f"{did}#key-{number}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": key.to_multikey(),
    }


def _document(did: str, keys: Sequence[PublicKey]) -> dict[str, Any]:
    methods = [_method(did, n, key) for n, key in enumerate(keys, start=1)]
    document: dict[str, Any] = {"@context": [DID_V1, MULTIKEY_V1], "id": did}
    document["verificationMethod"] = methods
    for relationship in _RELATIONSHIPS:
        document[relationship] = [m["id"] for m in methods]
    return document


def _hashes(values: Iterable[str]) -> list[str]:
    hashes = list(values)
    for value in hashes:
        if not isinstance(value, str) or not re.fullmatch(r"Qm[1-9A-HJ-NP-Za-km-z]{44}", value):
            raise _misuse(f"{str(value)[:60]!r} is not a key hash (did-gov key show KEY --hash)")
    return hashes


def _anchor(log: GovLog | None, checked: Any, ledger: LedgerBackend) -> GovLog:
    """Append the entry's leaf to ``ledger`` and return the log extended by it (§5)."""
    verifier = ledger.verifier
    if log is not None and verifier != log.anchor_log:
        raise _misuse(
            f"the ledger {verifier.name} is not the DID's anchorLog {log.anchor_log.name}"
        )
    [receipt] = ledger.append([entry_leaf(checked.params.scid, checked.number, checked.entry_hash)])
    previous = log.latest if log is not None else None
    version = check_anchor(checked, receipt, verifier, previous)
    versions = (*(log.versions if log is not None else ()), version)
    return GovLog(f"did:gov:{checked.params.scid}", checked.params.scid, verifier, versions)


def create_log(
    update_key: Signer,
    signing_keys: Sequence[PublicKey],
    ledger: LedgerBackend,
    *,
    next_key_hashes: Iterable[str] = (),
    now: datetime | None = None,
) -> GovLog:
    """Create a did:gov DID (§10 Create): entry 1 signed by ``update_key``, anchored in ``ledger``.

    The document lists ``signing_keys`` as ``#key-1``, ``#key-2``, … for ``assertionMethod``
    and ``authentication``; ``next_key_hashes`` turns pre-rotation on from the start.
    """
    if not signing_keys:
        raise _misuse("a did:gov document needs at least one signing key")
    did = f"did:gov:{PLACEHOLDER}"
    parameters: dict[str, Any] = {
        "method": METHOD,
        "scid": PLACEHOLDER,
        "anchorLog": ledger.verifier.vkey,
        "updateKeys": [update_key.public_key.to_multikey()],
    }
    hashes = _hashes(next_key_hashes)
    if hashes:
        parameters["nextKeyHashes"] = hashes
    preliminary = {
        "versionId": PLACEHOLDER,
        "versionTime": _time(ledger, now),
        "parameters": parameters,
        "state": _document(did, list(signing_keys)),
    }
    scid = scid_of(preliminary)
    unsigned = json.loads(json.dumps(preliminary).replace(PLACEHOLDER, scid))
    unsigned["versionId"] = f"1-{entry_hash(unsigned, scid)}"
    checked = check_entry(sign_entry(unsigned, update_key), None)
    return _anchor(None, checked, ledger)


def _next(
    log: GovLog,
    update_key: Signer,
    parameters: dict[str, Any],
    state: dict[str, Any],
    ledger: LedgerBackend,
    now: datetime | None,
) -> GovLog:
    latest = log.latest
    unsigned: dict[str, Any] = {
        "versionId": latest.version_id,
        "versionTime": _time(ledger, now, latest.version_time),
        "parameters": parameters,
        "state": state,
    }
    unsigned["versionId"] = f"{latest.number + 1}-{entry_hash(unsigned, latest.version_id)}"
    checked = check_entry(sign_entry(unsigned, update_key), latest, log.did)
    return _anchor(log, checked, ledger)


def _rotation(
    log: GovLog,
    update_key: Signer,
    update_keys: Sequence[PublicKey] | None,
    next_key_hashes: Iterable[str] | None,
    end_prerotation: bool,
) -> dict[str, Any]:
    """The parameters an update sets for its keys (§4.4 rules 2 and 3)."""
    params = log.latest.params
    mine = update_key.public_key.to_multikey()
    changes: dict[str, Any] = {}
    if next_key_hashes is not None and end_prerotation:
        raise _misuse("give new next key hashes or end pre-rotation, not both")
    if params.prerotation:
        if gov_hash(mine.encode("ascii")) not in params.next_key_hashes:
            raise bad(
                f"pre-rotation is on: the update key {mine} is not committed to in the previous "
                "nextKeyHashes",
                "did.gov_prerotation_violated",
            )
        if update_keys is not None and [k.to_multikey() for k in update_keys] != [mine]:
            raise _misuse("with pre-rotation on, the revealed --key becomes the update key")
        if next_key_hashes is None and not end_prerotation:
            raise _misuse(
                "pre-rotation is on: commit to the next update key (--next-key-hash) or end "
                "pre-rotation (--end-prerotation)"
            )
        changes["updateKeys"] = [mine]
    else:
        if mine not in params.update_keys:
            raise bad(f"{mine} is not an update key of {log.did}", "did.gov_update_unauthorized")
        if end_prerotation:
            raise _misuse("pre-rotation is not on")
        if update_keys is not None:
            if not update_keys:
                raise _misuse("a DID needs at least one update key")
            changes["updateKeys"] = [k.to_multikey() for k in update_keys]
    if end_prerotation:
        changes["nextKeyHashes"] = []
    elif next_key_hashes is not None:
        hashes = _hashes(next_key_hashes)
        if not hashes:
            raise _misuse("give at least one next key hash")
        changes["nextKeyHashes"] = hashes
    return changes


def _without(state: dict[str, Any], target: str | PublicKey) -> dict[str, Any]:
    did = state["id"]
    methods = list(state.get("verificationMethod", []))
    if isinstance(target, PublicKey):
        mk = target.to_multikey()
        found = [m["id"] for m in methods if m.get("publicKeyMultibase") == mk]
    else:
        wanted = target if target.startswith("did:") else f"{did}#{target.lstrip('#')}"
        found = [m["id"] for m in methods if m.get("id") == wanted]
    if not found:
        raise _misuse(f"{did} has no verification method {target!r} to remove")
    state = dict(state)
    state["verificationMethod"] = [m for m in methods if m["id"] not in found]
    for relationship in _RELATIONSHIPS:
        if relationship in state:
            state[relationship] = [r for r in state[relationship] if r not in found]
    return state


def _last_key_number(log: GovLog) -> int:
    """The highest ``#key-N`` any version ever listed: an id is never given to another key."""
    numbers = [
        int(match[1])
        for version in log.versions
        for method in version.state.get("verificationMethod", [])
        if isinstance(method, dict)
        for match in [_KEY_ID.search(str(method.get("id", "")))]
        if match
    ]
    return max(numbers, default=0)


def _with(state: dict[str, Any], key: PublicKey, number: int) -> dict[str, Any]:
    did = state["id"]
    methods = list(state.get("verificationMethod", []))
    if any(m.get("publicKeyMultibase") == key.to_multikey() for m in methods):
        raise _misuse(f"{did} already lists the key {key.to_multikey()}")
    method = _method(did, number, key)
    state = dict(state)
    state["verificationMethod"] = [*methods, method]
    for relationship in _RELATIONSHIPS:
        state[relationship] = [*state.get(relationship, []), method["id"]]
    return state


def update_log(
    log: GovLog,
    update_key: Signer,
    ledger: LedgerBackend,
    *,
    add_keys: Sequence[PublicKey] = (),
    remove_keys: Sequence[PublicKey | str] = (),
    update_keys: Sequence[PublicKey] | None = None,
    next_key_hashes: Iterable[str] | None = None,
    end_prerotation: bool = False,
    now: datetime | None = None,
) -> GovLog:
    """Append an update (§10 Update) signed by ``update_key`` and anchored in ``ledger``.

    ``remove_keys`` are public keys or verification method ids (``key-1``, ``#key-1`` or
    absolute). With pre-rotation on, ``update_key`` must be committed to by the previous
    ``nextKeyHashes`` and becomes the update key; ``next_key_hashes`` or
    ``end_prerotation`` is then required (``did.gov_update_invalid``).
    """
    if log.latest.params.deactivated:
        raise bad(f"{log.did} is deactivated", "did.gov_deactivated")
    parameters = _rotation(log, update_key, update_keys, next_key_hashes, end_prerotation)
    state = dict(log.latest.state)
    for target in remove_keys:
        state = _without(state, target)
    last = _last_key_number(log)
    for offset, key in enumerate(add_keys, start=1):
        state = _with(state, key, last + offset)
    return _next(log, update_key, parameters, state, ledger, now)


def deactivate_log(
    log: GovLog, update_key: Signer, ledger: LedgerBackend, *, now: datetime | None = None
) -> GovLog:
    """Deactivate the DID (§10 Deactivate); no entry may follow."""
    if log.latest.params.deactivated:
        raise bad(f"{log.did} is already deactivated", "did.gov_deactivated")
    prerotation = log.latest.params.prerotation
    parameters = _rotation(log, update_key, None, None, prerotation)
    parameters["deactivated"] = True
    return _next(log, update_key, parameters, dict(log.latest.state), ledger, now)
