"""Signed trust bundles (``specs/trust-bundle.md`` §4–5): build one, verify one statelessly.

A bundle is ``{"signed": manifest, "signatures", "roots", "files"}``. The manifest (small,
threshold-signed under the newest root) names the version, ``issued``, ``expires`` and the
SHA-256 and length of every file; the files are carried as exact JSON texts, so checking
a 5 MB bundle is hashing, not re-serializing. A single manifest hashing everything is what
stops mix-and-match of files from different bundles.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from did_gov._json import _no_duplicates, _reject_constant
from did_gov._time import format_datetime
from did_gov.dids import DefaultResolver, DidDocument
from did_gov.dids.gov import DidGov
from did_gov.errors import DidGovError, InvalidInputError, TrustError
from did_gov.jsonld import OfflineDocumentLoader, jcs
from did_gov.keys import Signer
from did_gov.ledger import merkle
from did_gov.ledger._note import b64decode_strict
from did_gov.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from did_gov.status import BundledStatusList
from did_gov.trust._accreditation import SignedAccreditation, parse_time
from did_gov.trust._registry import TrustRegistry
from did_gov.trust._root import TrustRoot, walk_roots
from did_gov.trust._signed import parse_envelope, signed_envelope, signing_input

__all__ = [
    "BUNDLE_FILES",
    "MAX_CONSISTENCY_PROOFS",
    "LogCheckpoint",
    "TrustBundle",
    "build_bundle",
    "earlier_heads",
    "inspect_bundle",
    "log_checkpoint",
    "verify_bundle",
]

_KIND: Final = "trust-bundle"
BUNDLE_FILES: Final = (
    "accreditations.json",
    "did-documents.json",
    "did-logs.json",
    "contexts.json",
    "status-lists.json",
    "log-keys.json",
    "checkpoints.json",
)
"""The files of a bundle, each a JSON array (``contexts.json``: an object), all required."""

MAX_CONSISTENCY_PROOFS: Final = 32
"""Consistency proofs a checkpoint carries, from the checkpoints of earlier bundle versions."""

_MANIFEST: Final = {"type", "version", "issued", "expires", "rootVersion", "files"}
MAX_BUNDLE_BYTES: Final = 64 * 1024 * 1024
"""Largest bundle file accepted."""


def _loads(data: str | bytes, what: str) -> Any:
    """Strict JSON (no duplicate names, no NaN), linear time: bundles are megabytes.

    Nesting is bounded by the decoder's recursion limit (a RecursionError is refused).
    """
    if len(data) > MAX_BUNDLE_BYTES:
        raise _bad(f"{what} is larger than {MAX_BUNDLE_BYTES} bytes", code="trust.bundle_malformed")
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (ValueError, RecursionError, DidGovError) as exc:
        raise _bad(f"{what} is not strict JSON: {exc}") from None


def _bad(message: str, code: str = "trust.bundle_malformed") -> TrustError:
    return TrustError(message, code=code)


@dataclass(frozen=True)
class LogCheckpoint:
    """A log's signed checkpoint in a bundle, with consistency proofs from older tree sizes.

    ``consistency`` holds ``(old size, old root, proof)`` triples: the checkpoints of earlier
    bundle versions (at most 32), so an installed store can check that the log only grew.
    """

    origin: str
    note: str
    consistency: tuple[tuple[int, bytes, tuple[bytes, ...]], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``checkpoints.json`` entry."""
        return {
            "origin": self.origin,
            "checkpoint": self.note,
            "consistency": [
                {
                    "fromSize": size,
                    "fromRoot": base64.b64encode(root).decode(),
                    "proof": [base64.b64encode(h).decode() for h in proof],
                }
                for size, root, proof in self.consistency
            ],
        }

    @classmethod
    def from_json(cls, value: object) -> LogCheckpoint:
        """Parse a ``checkpoints.json`` entry strictly."""
        if not isinstance(value, dict) or set(value) != {"origin", "checkpoint", "consistency"}:
            raise _bad("a checkpoint entry is {origin, checkpoint, consistency}")
        origin, note, entries = value["origin"], value["checkpoint"], value["consistency"]
        if (
            not isinstance(origin, str)
            or not isinstance(note, str)
            or not isinstance(entries, list)
        ):
            raise _bad("checkpoint origin and note are strings, consistency a list")
        if len(entries) > MAX_CONSISTENCY_PROOFS:
            raise _bad(f"more than {MAX_CONSISTENCY_PROOFS} consistency proofs")
        proofs = []
        try:
            for entry in entries:
                if not isinstance(entry, dict) or set(entry) != {"fromSize", "fromRoot", "proof"}:
                    raise _bad("a consistency entry is {fromSize, fromRoot, proof}")
                size, root, proof = entry["fromSize"], entry["fromRoot"], entry["proof"]
                if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                    raise _bad("fromSize is a non-negative integer")
                if not isinstance(proof, list) or len(proof) > 128:
                    raise _bad("proof is a list of hashes")
                proofs.append(
                    (size, b64decode_strict(root), tuple(b64decode_strict(h) for h in proof))
                )
        except InvalidInputError:
            raise _bad("consistency hashes are base64") from None
        return cls(origin, note, tuple(proofs))


TreeHead = tuple[int, bytes]
"""A log's tree size and root hash, as an earlier bundle carried it."""


def log_checkpoint(
    ledger: Any, previous: Iterable[str | TreeHead] = (), *, note: str | None = None
) -> LogCheckpoint:
    """A checkpoint of ``ledger`` with consistency proofs from the earlier tree heads ``previous``.

    ``note`` is the checkpoint to carry (default: the ledger's current one); it must be
    signed by the ledger's key. ``previous`` are checkpoints carried by earlier bundle
    versions (notes of this log, opened with its key) or their ``(size, root)`` heads
    (:func:`earlier_heads`); the newest 32 below the carried size get a proof. Each proof
    is checked against its old root before it is carried: a head the ledger's history
    does not extend raises :class:`~did_gov.errors.TrustError` ``trust.log_fork`` (the
    log forked, or the earlier bundle was of another log).
    """
    note = ledger.checkpoint() if note is None else note
    verifiers = [ledger.verifier]
    try:
        head = open_checkpoint(note, verifiers, origin=ledger.origin).checkpoint
    except DidGovError as exc:
        raise TrustError(
            f"the checkpoint is not one of {ledger.origin} signed by its key: {exc}",
            code="trust.bundle_malformed",
        ) from None
    heads: dict[int, bytes] = {}
    for old in previous:
        if isinstance(old, str):
            was = open_checkpoint(old, verifiers, origin=ledger.origin).checkpoint
            size, root = was.size, was.root_hash
        else:
            size, root = old
        if size > head.size:
            raise TrustError(
                f"an earlier bundle carried {ledger.origin} at size {size}, beyond the carried "
                f"checkpoint's {head.size}",
                code="trust.log_fork",
            )
        if size in heads and not hmac.compare_digest(heads[size], root):
            raise TrustError(
                f"two different roots of {ledger.origin} at size {size}", code="trust.log_fork"
            )
        heads[size] = root
    proofs = []
    for size in sorted(s for s in heads if 0 < s < head.size)[-MAX_CONSISTENCY_PROOFS:]:
        proof = tuple(ledger.prove_consistency(size, head.size))
        if not merkle.verify_consistency(size, head.size, list(proof), heads[size], head.root_hash):
            raise TrustError(
                f"{ledger.origin} at size {head.size} does not extend the tree of size {size} an "
                "earlier bundle carried",
                code="trust.log_fork",
            )
        proofs.append((size, heads[size], proof))
    if head.size in heads and not hmac.compare_digest(heads[head.size], head.root_hash):
        raise TrustError(
            f"two different roots of {ledger.origin} at size {head.size}", code="trust.log_fork"
        )
    return LogCheckpoint(ledger.origin, note, tuple(proofs))


def earlier_heads(bundle: bytes) -> dict[str, list[TreeHead]]:
    """The tree heads an earlier bundle carried, per log origin: its checkpoints and their proofs' ``from``.

    Read for building the next bundle (:func:`log_checkpoint`); the earlier bundle's
    signatures are not checked here: every head is re-proved against the ledger.
    """
    value = parse_bundle_bytes(bundle)
    manifest = value.get("signed")
    if not isinstance(manifest, dict) or set(manifest) != _MANIFEST:
        raise _bad("a bundle manifest has exactly " + ", ".join(sorted(_MANIFEST)))
    parsed = _parse_files(_checked_files(value.get("files"), manifest["files"]))
    out: dict[str, list[TreeHead]] = {}
    for item in parsed["checkpoints.json"]:
        entry = LogCheckpoint.from_json(item)
        try:
            body = entry.note.split("\n\n", 1)[0] + "\n"
            head = Checkpoint.parse_body(body, origin=entry.origin)
        except DidGovError as exc:
            raise _bad(f"checkpoints.json: {exc}") from None
        heads = out.setdefault(entry.origin, [])
        heads.append((head.size, head.root_hash))
        heads.extend((size, root) for size, root, _ in entry.consistency)
    return out


@dataclass(frozen=True)
class TrustBundle:
    """A bundle that passed :func:`verify_bundle`: its root, manifest and parsed files.

    It is trust material for a verifier: :meth:`registry` (the trust policy),
    :attr:`status_lists`, :attr:`log_keys`, :attr:`contexts`, :attr:`did_documents`,
    :meth:`resolver` and :meth:`loader`.
    """

    root: TrustRoot
    version: int
    issued: datetime
    expires: datetime
    accreditations: tuple[SignedAccreditation, ...]
    did_documents: tuple[dict[str, Any], ...]
    did_logs: tuple[Any, ...]
    contexts: Mapping[str, Any]
    status_lists: tuple[dict[str, Any] | str, ...]
    log_keys: tuple[str, ...]
    checkpoints: tuple[LogCheckpoint, ...]
    raw: bytes = field(repr=False, compare=False)
    roots_applied: tuple[TrustRoot, ...] = field(default=(), repr=False, compare=False)
    _gov: DidGov | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """How messages name this bundle: ``trust bundle v12``."""
        return f"trust bundle v{self.version}"

    def resolver(self) -> DefaultResolver:
        """An offline resolver preloaded with the bundle's did:web documents and did:gov logs."""
        resolver = DefaultResolver()
        for document in self.did_documents:
            resolver.preload(document)
        resolver.register(self.did_gov())
        return resolver

    def did_gov(self) -> DidGov:
        """The bundle's did:gov logs, verified once, each with its latest version as freshness."""
        gov = self._gov
        if gov is None:
            gov = did_gov_of(self.did_logs, self.label)
            object.__setattr__(self, "_gov", gov)
        return gov

    def loader(self, extra_contexts: Iterable[str] = ()) -> OfflineDocumentLoader:
        """An offline document loader serving the pinned contexts, the bundle's, and ``extra_contexts`` dirs."""
        return OfflineDocumentLoader(extra_contexts, documents=self.contexts)

    def registry(self, *, at_anchored_time: bool = True) -> TrustRegistry:
        """The trust registry: the root's authorities and the bundle's accreditations."""
        return TrustRegistry(
            self.root.authorities,
            self.accreditations,
            resolver=self.resolver(),
            at_anchored_time=at_anchored_time,
            label=self.label,
        )

    def verifier_options(
        self, extra_contexts: Iterable[str] = (), *, at_anchored_time: bool = True
    ) -> dict[str, Any]:
        """The keyword arguments that make a ``Verifier`` use this bundle: ``Verifier(**options)``.

        ``trust`` (the registry), ``resolver`` (did:web documents), ``loader`` (contexts, plus
        ``extra_contexts`` directories), ``status_lists`` (as :meth:`bundled_status_lists`:
        fresh until the bundle expires), ``log_keys`` and ``issuer_jwks`` (the keys of
        accredited non-DID issuers; the trust step binds each to its issuer).
        """
        return {
            "trust": self.registry(at_anchored_time=at_anchored_time),
            "resolver": self.resolver(),
            "loader": self.loader(extra_contexts),
            "status_lists": self.bundled_status_lists(),
            "log_keys": list(self.log_keys),
            "issuer_jwks": [
                dict(jwk)
                for signed in self.accreditations
                for jwk in signed.accreditation.issuer_jwks
            ],
        }

    def bundled_status_lists(self) -> list[BundledStatusList]:
        """The carried status lists, each marked with this bundle (trust-bundle §4).

        A verifier counts such a list as fresh until the bundle expires, unless its own
        ``validUntil`` has passed (``status.list_from_bundle``, naming ``issued``).
        """
        return [
            BundledStatusList(item, self.label, self.issued, self.expires)
            for item in self.status_lists
        ]

    def log_verifiers(self) -> list[NoteVerifier]:
        """The log keys as note verifiers."""
        return [NoteVerifier.from_vkey(v) for v in self.log_keys]

    def summary(self) -> dict[str, Any]:
        """The ``did-gov bundle inspect`` object."""
        return {
            "version": self.version,
            "issued": format_datetime(self.issued),
            "expires": format_datetime(self.expires),
            "root_version": self.root.version,
            "accreditations": [_accreditation_summary(a) for a in self.accreditations],
            "status_lists": len(self.status_lists),
            "log_keys": list(self.log_keys),
            "contexts": sorted(self.contexts),
            "did_documents": [d.get("id") for d in self.did_documents],
            "did_logs": len(self.did_logs),
        }


def _file_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _digest(text: str) -> dict[str, Any]:
    data = text.encode("utf-8")
    return {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}


def build_bundle(
    *,
    roots: Sequence[TrustRoot],
    signers: Iterable[Signer],
    version: int,
    issued: datetime,
    expires: datetime,
    accreditations: Iterable[SignedAccreditation] = (),
    did_documents: Iterable[Mapping[str, Any]] = (),
    did_logs: Iterable[Mapping[str, Any]] = (),
    contexts: Mapping[str, Any] | None = None,
    status_lists: Iterable[Mapping[str, Any] | str] = (),
    log_keys: Iterable[str] = (),
    checkpoints: Iterable[LogCheckpoint] = (),
) -> dict[str, Any]:
    """Build and sign a bundle under the last of ``roots`` (earlier ones are carried rotations).

    ``signers`` must meet the newest root's threshold; windows in the past are allowed
    (only ``expires`` before ``issued`` is refused). ``did_logs`` are did:gov
    ``did-logs.json`` items (``did_gov.dids.gov.bundle_item(log)``), verified here.
    """
    if not roots:
        raise InvalidInputError("a bundle is built under a root", code="trust.key_missing")
    if expires < issued:
        raise InvalidInputError(
            "the bundle expires before it is issued", code="trust.bundle_malformed"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidInputError(
            "the bundle version is a positive integer", code="trust.bundle_malformed"
        )
    for vkey in log_keys:
        NoteVerifier.from_vkey(vkey)
    for document in did_documents:
        DidDocument.from_json(dict(document))
    logs = [dict(item) for item in did_logs]
    did_gov_of(logs, "the bundle being built")
    files = {
        "accreditations.json": [a.to_json() for a in accreditations],
        "did-documents.json": [dict(d) for d in did_documents],
        "did-logs.json": logs,
        "contexts.json": {
            url: {"sha256": hashlib.sha256(jcs(doc)).hexdigest(), "document": doc}
            for url, doc in (contexts or {}).items()
        },
        "status-lists.json": [s if isinstance(s, str) else dict(s) for s in status_lists],
        "log-keys.json": list(log_keys),
        "checkpoints.json": [c.to_json() for c in checkpoints],
    }
    texts = {name: _file_text(value) for name, value in files.items()}
    manifest = {
        "type": "TrustBundle",
        "version": version,
        "issued": format_datetime(issued),
        "expires": format_datetime(expires),
        "rootVersion": roots[-1].version,
        "files": {name: _digest(text) for name, text in texts.items()},
    }
    envelope = signed_envelope(_KIND, manifest, signers)
    bundle = envelope | {"roots": [r.to_json() for r in roots], "files": texts}
    _, signatures = parse_envelope(envelope, "trust.bundle_malformed", "a bundle")
    if not roots[-1].verify_threshold(signing_input(_KIND, manifest), signatures):
        raise InvalidInputError(
            f"the signing keys do not meet root v{roots[-1].version}'s threshold",
            code="trust.bundle_signature_invalid",
        )
    return bundle


def _parse_time(value: object, what: str) -> datetime:
    return parse_time(value, f"bundle {what}", "trust.bundle_malformed")


def parse_bundle_bytes(data: bytes) -> dict[str, Any]:
    """Parse the outer JSON of a bundle file (bounded; duplicate members refused)."""
    value = _loads(data, "the bundle")
    if not isinstance(value, dict):
        raise _bad("a bundle is a JSON object")
    return value


def check_manifest(
    value: dict[str, Any], trusted_root: TrustRoot, now: datetime
) -> tuple[TrustRoot, list[TrustRoot], dict[str, Any], dict[str, str]]:
    """Bundle steps 1–5 (trust-bundle §5): roots, signatures, expiry, manifest hashes."""
    if set(value) != {"signed", "signatures", "roots", "files"}:
        raise _bad("a bundle is {signed, signatures, roots, files}")
    if not isinstance(value["roots"], list) or len(value["roots"]) > 64:
        raise _bad("roots is a list of root files")
    root, applied = walk_roots(trusted_root, value["roots"])
    if root.expired(now):
        raise TrustError(
            f"trust root v{root.version} expired at {format_datetime(root.expires)}",
            code="trust.bundle_root_expired",
        )
    manifest, signatures = parse_envelope(value, "trust.bundle_malformed", "a bundle")
    if set(manifest) != _MANIFEST or manifest["type"] != "TrustBundle":
        raise _bad(f"a bundle manifest has exactly {sorted(_MANIFEST)}, type TrustBundle")
    if manifest["rootVersion"] != root.version:
        raise TrustError(
            f"the bundle is signed under root v{manifest['rootVersion']}, the newest is "
            f"v{root.version}",
            code="trust.bundle_root_mismatch",
        )
    if not root.verify_threshold(signing_input(_KIND, manifest), signatures):
        raise TrustError(
            f"the bundle lacks a threshold ({root.threshold}) of signatures by root "
            f"v{root.version}'s keys",
            code="trust.bundle_signature_invalid",
        )
    version = manifest["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad("the bundle version is a positive integer")
    expires = _parse_time(manifest["expires"], "expires")
    _parse_time(manifest["issued"], "issued")
    if now >= expires:
        raise TrustError(
            f"trust bundle v{version} expired at {format_datetime(expires)}",
            code="trust.bundle_expired",
        )
    files = _checked_files(value["files"], manifest["files"])
    return root, applied, manifest, files


def _checked_files(files: object, listed: object) -> dict[str, str]:
    """Bundle step 6: exactly the listed files, each matching its SHA-256 and length."""
    if not isinstance(files, dict) or not isinstance(listed, dict):
        raise _bad("files and the manifest's files are objects")
    if set(listed) != set(BUNDLE_FILES) or set(files) != set(BUNDLE_FILES):
        raise TrustError(
            "the bundle's files are not exactly those its manifest lists",
            code="trust.bundle_hash_mismatch",
        )
    for name in BUNDLE_FILES:
        text, entry = files[name], listed[name]
        if not isinstance(text, str) or not isinstance(entry, dict):
            raise _bad(f"{name} is carried as JSON text")
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        if entry.get("length") != len(data) or not hmac.compare_digest(
            str(entry.get("sha256")), digest
        ):
            raise TrustError(
                f"{name} does not match the signed manifest (mixed or altered files)",
                code="trust.bundle_hash_mismatch",
            )
    return files


def inspect_bundle(data: bytes) -> dict[str, Any]:
    """What a bundle holds, for ``did-gov bundle inspect``: NOT verified (no root is given).

    The files are checked against the manifest's hashes, the signatures are not.
    """
    value = parse_bundle_bytes(data)
    manifest = value.get("signed")
    if not isinstance(manifest, dict) or set(manifest) != _MANIFEST:
        raise _bad("a bundle manifest has exactly " + ", ".join(sorted(_MANIFEST)))
    parsed = _parse_files(_checked_files(value.get("files"), manifest["files"]))
    try:
        accreditations = [SignedAccreditation.from_json(a) for a in parsed["accreditations.json"]]
    except DidGovError as exc:
        raise _bad(f"accreditations.json: {exc}") from None
    return {
        "version": manifest["version"],
        "issued": manifest["issued"],
        "expires": manifest["expires"],
        "root_version": manifest["rootVersion"],
        "accreditations": [_accreditation_summary(a) for a in accreditations],
        "status_lists": len(parsed["status-lists.json"]),
        "log_keys": list(parsed["log-keys.json"]),
        "contexts": sorted(parsed["contexts.json"]),
        "did_documents": [
            d.get("id") if isinstance(d, dict) else None for d in parsed["did-documents.json"]
        ],
        "did_logs": len(parsed["did-logs.json"]),
    }


def _accreditation_summary(signed: SignedAccreditation) -> dict[str, Any]:
    record = signed.accreditation
    return {
        "authority": record.authority,
        "issuer": record.issuer,
        "name": record.name,
        "name_zh": record.name_zh,
        "types": list(record.types),
        "valid_from": format_datetime(record.valid_from),
        "valid_until": None if record.valid_until is None else format_datetime(record.valid_until),
        "may_accredit": record.may_accredit,
    }


def did_gov_of(items: Iterable[Any], label: str) -> DidGov:
    """A :class:`DidGov` holding ``did-logs.json`` items, each verified with its latest head.

    A log that does not verify, or that is behind its own head, makes the bundle malformed.
    """
    gov = DidGov()
    for item in items:
        try:
            gov.add_bundle_item(item, label)
        except DidGovError as exc:
            raise _bad(f"did-logs.json: {exc.message} [{exc.code}]") from None
    return gov


def _parse_files(files: Mapping[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for name in BUNDLE_FILES:
        parsed[name] = _loads(files[name], name)
        expected = dict if name == "contexts.json" else list
        if not isinstance(parsed[name], expected):
            raise _bad(f"{name} must be a JSON {'object' if expected is dict else 'array'}")
    return parsed


def _contexts(value: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for url, entry in value.items():
        if not isinstance(entry, dict) or set(entry) != {"sha256", "document"}:
            raise _bad(f"context {url} is {{sha256, document}}")
        if hashlib.sha256(jcs(entry["document"])).hexdigest() != entry["sha256"]:
            raise TrustError(
                f"context {url} does not match its pinned hash", code="trust.bundle_hash_mismatch"
            )
        out[url] = entry["document"]
    return out


def verify_bundle(
    bundle: bytes | str | Mapping[str, Any],
    root: TrustRoot | Mapping[str, Any],
    *,
    now: datetime,
    _parsed: dict[str, Any] | None = None,
) -> TrustBundle:
    """Verify a bundle statelessly under a trusted root (trust-bundle §5); raise TrustError.

    Root rotations carried in the bundle are followed; signatures, threshold, manifest
    hashes and expiry (against ``now``, the real clock: never a verification ``--at``) are
    checked; then the files are parsed. Nothing is fetched.
    """
    trusted = root if isinstance(root, TrustRoot) else TrustRoot.parse(root)
    if isinstance(bundle, Mapping):
        raw = json.dumps(bundle).encode()
        value = dict(bundle)
    else:
        raw = bundle.encode() if isinstance(bundle, str) else bytes(bundle)
        value = parse_bundle_bytes(raw) if _parsed is None else _parsed
    newest, applied, manifest, files = check_manifest(value, trusted, now)
    parsed = _parse_files(files)
    try:
        accreditations = tuple(
            SignedAccreditation.from_json(a) for a in parsed["accreditations.json"]
        )
        for document in parsed["did-documents.json"]:
            DidDocument.from_json(document)
        log_keys = tuple(parsed["log-keys.json"])
        for vkey in log_keys:
            NoteVerifier.from_vkey(vkey)
        checkpoints = tuple(LogCheckpoint.from_json(c) for c in parsed["checkpoints.json"])
        gov = did_gov_of(parsed["did-logs.json"], f"trust bundle v{manifest['version']}")
    except TrustError:
        raise
    except DidGovError as exc:
        raise _bad(f"bundle content: {exc}") from None
    for item in parsed["status-lists.json"]:
        if not isinstance(item, dict | str):
            raise _bad("a status list is a credential object or a compact token")
    return TrustBundle(
        root=newest,
        version=manifest["version"],
        issued=_parse_time(manifest["issued"], "issued"),
        expires=_parse_time(manifest["expires"], "expires"),
        accreditations=accreditations,
        did_documents=tuple(parsed["did-documents.json"]),
        did_logs=tuple(parsed["did-logs.json"]),
        contexts=_contexts(parsed["contexts.json"]),
        status_lists=tuple(parsed["status-lists.json"]),
        log_keys=log_keys,
        checkpoints=checkpoints,
        raw=raw,
        roots_applied=tuple(applied),
        _gov=gov,
    )


def consistent(
    stored_size: int, stored_root: bytes, entry: LogCheckpoint, verifiers: Sequence[NoteVerifier]
) -> str | None:
    """Whether ``entry`` extends a stored tree head; None if so, else a ``trust.log_*`` code."""
    try:
        head = open_checkpoint(entry.note, verifiers, origin=entry.origin).checkpoint
    except DidGovError:
        return "trust.bundle_malformed"
    if head.size < stored_size:
        return "trust.log_fork"
    if head.size == stored_size:
        return None if hmac.compare_digest(head.root_hash, stored_root) else "trust.log_fork"
    for size, root, proof in entry.consistency:
        if size != stored_size:
            continue
        if not hmac.compare_digest(root, stored_root):
            return "trust.log_fork"
        ok = size == 0 or merkle.verify_consistency(
            size, head.size, list(proof), root, head.root_hash
        )
        return None if ok else "trust.log_fork"
    return "trust.log_consistency_unknown"
