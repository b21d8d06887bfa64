"""did:gov log entries as bytes: encodings, SCID, entry hash, anchor leaf, parameters, proofs.

``specs/did-gov-method.md`` §3–§5. Every function here is a pure function of its input;
the log-level rules (chain, authorization, anchoring) are in :mod:`did_gov.dids._gov_log`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from did_gov._encoding import b58decode, base58btc_encode, multibase_decode
from did_gov.errors import DidGovError, GovLogError
from did_gov.jsonld._jcs import canonicalize
from did_gov.keys import KeyType, PublicKey, Signer
from did_gov.proofs._di_suites import suite_by_name
from did_gov.proofs.data_integrity import add_proof

__all__ = [
    "LEAF_DOMAIN",
    "METHOD",
    "PLACEHOLDER",
    "Params",
    "EntryBodies",
    "entry_bodies",
    "entry_digest",
    "entry_hash",
    "entry_leaf",
    "format_time",
    "gov_hash",
    "leaf_of_digest",
    "parse_time",
    "scid_of",
    "sign_entry",
    "verify_entry_proof",
]

METHOD = "did:gov:1.0"
"""The ``method`` parameter of entry 1."""
PLACEHOLDER = "{SCID}"
"""Where the SCID stands in entry 1 while its hash is computed (§4.3)."""
LEAF_DOMAIN = b"did:gov:v1"
"""Domain-separation tag of every did:gov anchor leaf (§5)."""
_MULTIHASH_SHA256 = b"\x12\x20"
_HASH = re.compile(r"Qm[1-9A-HJ-NP-Za-km-z]{44}", re.ASCII)
_VERSION_ID = re.compile(r"([1-9][0-9]{0,15})-(Qm[1-9A-HJ-NP-Za-km-z]{44})", re.ASCII)
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
_ENTRY_MEMBERS = frozenset({"versionId", "versionTime", "parameters", "state", "proof"})
_PARAMETERS = frozenset(
    {"method", "scid", "anchorLog", "updateKeys", "nextKeyHashes", "deactivated"}
)
_SUITES = {
    KeyType.ED25519: "eddsa-jcs-2022",
    KeyType.P256: "ecdsa-jcs-2019",
    KeyType.P384: "ecdsa-jcs-2019",
}


def bad(message: str, code: str = "did.gov_entry_malformed") -> GovLogError:
    """A :class:`GovLogError` with a did:gov code."""
    return GovLogError(message, code=code)


def gov_hash(data: bytes) -> str:
    """``base58btc(0x12 0x20 ‖ SHA-256(data))`` without a multibase prefix (§3): ``Qm…``."""
    return base58btc_encode(_MULTIHASH_SHA256 + hashlib.sha256(data).digest())[1:]


def entry_digest(value: str) -> bytes:
    """The 32-byte SHA-256 digest inside a ``Qm…`` hash; raise ``did.gov_entry_malformed`` else."""
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise bad(f"{str(value)[:60]!r} is not a SHA-256 multihash in base58btc")
    raw = b58decode(value)
    if len(raw) != 34 or raw[:2] != _MULTIHASH_SHA256:
        raise bad(f"{value} is not a SHA-256 multihash")
    return raw[2:]


def entry_leaf(scid: str, number: int, entry_hash_value: str) -> bytes:
    """The unsalted anchor leaf of version ``number`` of ``scid`` (§5).

    ``SHA-256("did:gov:v1" ‖ len(scid) ‖ scid ‖ u64be(number) ‖ entryDigest)``.

    >>> entry_leaf("QmT3R8WJV2idiy6u3rVx1S4kxyQJkFQPQCdjnETMDvQXHW", 1,
    ...            "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG").hex()[:16]
    '8a92285e7adea5ba'
    """
    return leaf_of_digest(scid, number, entry_digest(entry_hash_value))


def leaf_of_digest(scid: str, number: int, digest: bytes) -> bytes:
    """:func:`entry_leaf` from the 32-byte digest inside the entry hash (already decoded)."""
    name = scid.encode("ascii")
    if not _HASH.fullmatch(scid) or not 1 <= number < 1 << 64 or len(digest) != 32:
        raise bad("a leaf needs a SCID, a version number from 1 and a SHA-256 digest")
    return hashlib.sha256(
        LEAF_DOMAIN + bytes([len(name)]) + name + number.to_bytes(8, "big") + digest
    ).digest()


def _preview(value: object, size: int) -> str:
    """The start of ``value`` for a message (a huge integer is not converted to text)."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    return str(value)[:size]


def parse_time(value: object, what: str = "versionTime") -> datetime:
    """A §3 time (``YYYY-MM-DDTHH:MM:SSZ``) as an aware datetime."""
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise bad(f"{what} must be YYYY-MM-DDTHH:MM:SSZ, not {_preview(value, 40)!r}")
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise bad(f"{what} {value!r} is not a valid date") from None


def format_time(moment: datetime) -> str:
    """An aware datetime as a §3 time (UTC, whole seconds)."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise bad("a time must be a timezone-aware datetime", code="did.gov_update_invalid")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_version_id(value: object) -> tuple[int, str]:
    """``"<n>-<hash>"`` as ``(n, hash)``."""
    match = _VERSION_ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise bad(f"versionId {_preview(value, 60)!r} is not <number>-<hash>")
    return int(match[1]), match[2]


_SAFE_INT = 2**53


def _plain(value: Any) -> bool:
    """JSON whose RFC 8785 form is what ``json.dumps(sort_keys=True)`` writes: no floats,
    integers within ±2^53, ASCII member names (code point order is UTF-16 order), at most
    64 levels of nesting. Iterative, and each scalar is judged by its exact type inline."""
    pending: list[tuple[Any, int]] = [([value], -1)]
    while pending:
        container, depth = pending.pop()
        if depth > 64:
            return False
        if type(container) is dict:
            for name in container:
                if type(name) is not str or not name.isascii():
                    return False
            children = container.values()
        else:
            children = container
        for child in children:
            kind = type(child)
            if kind is str or child is None or kind is bool:
                continue
            if kind is int:
                if not -_SAFE_INT <= child <= _SAFE_INT:
                    return False
            elif kind is dict or kind is list:
                pending.append((child, depth + 1))
            else:
                return False
    return True


def jcs(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``; plain JSON (most log entries) is written by the C encoder.

    Held equal to :func:`did_gov.jsonld._jcs.canonicalize` by a property test.
    """
    if type(value) is str or _plain(value):
        try:
            return json.dumps(
                value, sort_keys=True, ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the reference refuses it
            pass
    try:
        return canonicalize(value)
    except DidGovError as exc:
        raise bad(f"an entry that has no RFC 8785 form: {exc.message}") from None


def _without_proof(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "proof"}


_BODY_MEMBERS = ("parameters", "state", "versionId", "versionTime")
"""An entry's members but its proof, in RFC 8785 order (ASCII names: code point order)."""


@dataclass(frozen=True)
class EntryBodies:
    """The two RFC 8785 serializations of an entry without its proof that a verifier needs.

    ``hashed``: with ``versionId`` set to the previous versionId (the entry hash, §4.3);
    ``signed``: as written (what the proof signs, §4.4).
    """

    hashed: bytes
    signed: bytes


def entry_bodies(entry: dict[str, Any], previous_version_id: str) -> EntryBodies:
    """Both bodies of an entry with exactly the §4.1 members, its large members written once.

    RFC 8785 writes an object as its members sorted by name, each ``name:value`` with the
    value's own RFC 8785 form, so both bodies share ``parameters`` and ``state`` and differ
    only in ``versionId``. Held equal to :func:`jcs` of the two objects by a property test.
    """
    parts = [jcs(entry[name]) for name in _BODY_MEMBERS]

    def body(version_id: bytes) -> bytes:
        return (
            b'{"parameters":'
            + parts[0]
            + b',"state":'
            + parts[1]
            + b',"versionId":'
            + version_id
            + b',"versionTime":'
            + parts[3]
            + b"}"
        )

    return EntryBodies(body(jcs(previous_version_id)), body(parts[2]))


def entry_hash(entry: dict[str, Any], previous_version_id: str) -> str:
    """``hash(JCS(entry without proof, versionId = previous versionId))`` (§4.3)."""
    body = _without_proof(entry)
    body["versionId"] = previous_version_id
    return gov_hash(jcs(body))


def scid_of(preliminary: dict[str, Any]) -> str:
    """The SCID of entry 1 written with ``{SCID}`` placeholders (§4.3)."""
    body = _without_proof(preliminary)
    body["versionId"] = PLACEHOLDER
    return gov_hash(jcs(body))


def check_scid(entry: dict[str, Any], scid: str) -> bool:
    """Whether entry 1 derives ``scid``: placeholders put back, then hashed (§4.3)."""
    body = _without_proof(entry)
    body["versionId"] = PLACEHOLDER
    text = jcs(body).decode("utf-8").replace(scid, PLACEHOLDER)
    return gov_hash(text.encode("utf-8")) == scid


@dataclass(frozen=True)
class Params:
    """The active method parameters after an entry (§4.2)."""

    scid: str
    anchor_log: str
    update_keys: tuple[str, ...]
    next_key_hashes: tuple[str, ...] = ()
    deactivated: bool = False

    @property
    def prerotation(self) -> bool:
        """Whether pre-rotation is on: the next entry's update keys are committed to by hash."""
        return bool(self.next_key_hashes)


def _strings(value: object, what: str, *, allow_empty: bool) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) for v in value)
        or len(set(value)) != len(value)
        or (not value and not allow_empty)
    ):
        raise bad(
            f"{what} must be an array of distinct strings" + ("" if allow_empty else ", not empty")
        )
    return tuple(value)


def _update_keys(value: object) -> tuple[str, ...]:
    keys = _strings(value, "updateKeys", allow_empty=False)
    for key in keys:
        multikey_key(key)
    return keys


def multikey_key(value: str) -> PublicKey:
    """The public key of an update key's Multikey."""
    try:
        return PublicKey.from_multikey(value)
    except DidGovError as exc:
        raise bad(f"update key {value[:60]!r}: {exc.message}") from None


def first_params(parameters: object) -> Params:
    """The active parameters of entry 1 (§4.2: method, scid, anchorLog, updateKeys required)."""
    if not isinstance(parameters, dict) or not set(parameters) <= _PARAMETERS:
        raise bad(f"parameters may hold only {sorted(_PARAMETERS)}")
    for name in ("method", "scid", "anchorLog", "updateKeys"):
        if name not in parameters:
            raise bad(f"entry 1 must set the parameter {name}")
    if parameters["method"] != METHOD:
        raise bad(f"method must be {METHOD!r}")
    scid, log = parameters["scid"], parameters["anchorLog"]
    if not isinstance(scid, str) or not _HASH.fullmatch(scid):
        raise bad("scid must be a base58btc SHA-256 multihash")
    if not isinstance(log, str) or not log:
        raise bad("anchorLog must be a note verifier key")
    params = Params(scid, log, _update_keys(parameters["updateKeys"]))
    return apply_params(
        params, {k: v for k, v in parameters.items() if k in ("nextKeyHashes", "deactivated")}
    )


def apply_params(active: Params, parameters: object) -> Params:
    """``active`` overlaid with a later entry's ``parameters`` (§4.2)."""
    if not isinstance(parameters, dict) or not set(parameters) <= _PARAMETERS:
        raise bad(f"parameters may hold only {sorted(_PARAMETERS)}")
    for fixed in ("scid", "anchorLog"):
        if fixed in parameters:
            raise bad(f"{fixed} is set by entry 1 only")
    if "method" in parameters and parameters["method"] != METHOD:
        raise bad(f"method must be {METHOD!r}")
    changed = active
    if "updateKeys" in parameters:
        changed = replace(changed, update_keys=_update_keys(parameters["updateKeys"]))
    if "nextKeyHashes" in parameters:
        hashes = _strings(parameters["nextKeyHashes"], "nextKeyHashes", allow_empty=True)
        for value in hashes:
            if not _HASH.fullmatch(value):
                raise bad(f"nextKeyHashes item {value[:60]!r} is not a key hash")
        changed = replace(changed, next_key_hashes=hashes)
    if "deactivated" in parameters:
        if parameters["deactivated"] is not True:
            raise bad("deactivated, when present, is true")
        changed = replace(changed, deactivated=True)
    return changed


def check_entry_shape(entry: object) -> dict[str, Any]:
    """The entry as an object with exactly the §4.1 members of the right types."""
    if not isinstance(entry, dict) or set(entry) != _ENTRY_MEMBERS:
        raise bad(f"an entry is an object with exactly {sorted(_ENTRY_MEMBERS)}")
    if not isinstance(entry["state"], dict):
        raise bad("state must be a DID document object")
    proof = entry["proof"]
    if not isinstance(proof, list) or len(proof) != 1 or not isinstance(proof[0], dict):
        raise bad("proof must be an array of exactly one Data Integrity proof")
    return entry


def suite_for(key: PublicKey) -> str:
    """The JCS cryptosuite an update key signs entries with (§4.4)."""
    return _SUITES[key.key_type]


def did_key_vm(key: PublicKey) -> str:
    """``did:key:<multikey>#<multikey>``: how an entry's proof names its update key."""
    mk = key.to_multikey()
    return f"did:key:{mk}#{mk}"


def sign_entry(unsigned: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """``unsigned`` with its §4.4 proof, made through ``keys.sign_with`` (an HSM key works)."""
    key = signer.public_key
    secured = add_proof(
        unsigned,
        signer,
        cryptosuite=suite_for(key),
        verification_method=did_key_vm(key),
        proof_purpose="assertionMethod",
        created=unsigned["versionTime"],
    )
    entry = dict(unsigned)
    entry["proof"] = [secured["proof"]]
    return entry


_PROOF_MEMBERS = frozenset(
    {"type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"}
)


def proof_signer(entry: dict[str, Any]) -> tuple[str, PublicKey]:
    """The Multikey and public key an entry's proof names (its shape checked, §4.4)."""
    proof = entry["proof"][0]
    if set(proof) != _PROOF_MEMBERS or not all(isinstance(proof[m], str) for m in _PROOF_MEMBERS):
        raise bad(
            f"the proof must hold exactly {sorted(_PROOF_MEMBERS)} as strings",
            "did.gov_proof_invalid",
        )
    if proof["type"] != "DataIntegrityProof" or proof["proofPurpose"] != "assertionMethod":
        raise bad(
            "the proof must be a DataIntegrityProof for assertionMethod", "did.gov_proof_invalid"
        )
    if proof["created"] != entry["versionTime"]:
        raise bad("the proof's created must equal versionTime", "did.gov_proof_invalid")
    vm = proof["verificationMethod"]
    did, _, fragment = vm.partition("#")
    if not did.startswith("did:key:") or fragment != did[8:]:
        raise bad(
            "the proof's verificationMethod must be did:key:<multikey>#<multikey>",
            "did.gov_proof_invalid",
        )
    key = multikey_key(fragment)
    if proof["cryptosuite"] != suite_for(key):
        raise bad(
            f"a {key.key_type.value} update key signs with {suite_for(key)}",
            "did.gov_proof_invalid",
        )
    return fragment, key


def verify_entry_proof(entry: dict[str, Any], key: PublicKey, body: bytes | None = None) -> bool:
    """Whether the proof's signature over the entry without proof verifies under ``key``.

    ``body`` is that entry's RFC 8785 bytes when the caller has them (:func:`entry_bodies`).
    """
    proof = entry["proof"][0]
    suite = suite_by_name(proof["cryptosuite"])
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        signature = multibase_decode(proof["proofValue"])
    except DidGovError:
        return False
    signed = jcs(_without_proof(entry)) if body is None else body
    data = suite.hash_data(jcs(config), signed, key.key_type)
    return key.verify(signature, data)
