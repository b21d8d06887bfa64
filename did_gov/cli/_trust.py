"""The ``trust`` and ``bundle`` verbs, and how ``verify`` gets its trust material (``specs/cli.md``).

``trust root`` and ``trust accredit`` make the signed files of ``specs/trust-bundle.md`` and
``specs/trust-registry.md``; ``bundle build|inspect|install`` package, show and install
bundles. :func:`trust_material` turns ``verify``'s ``--bundle/--root``, ``--trust-store`` or
``--trust-any-issuer`` into what the ``Verifier`` takes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from did_gov.cli import _keys
from did_gov.cli._io import UsageError, parse_time, read_bytes, read_json, write_json, write_text

__all__ = [
    "TrustMaterial",
    "add_trust_flags",
    "add_verify_flags",
    "register",
    "trust_material",
]

EXIT_OK, EXIT_FAILED = 0, 1
UNSAFE_WARNING = "WARNING: issuer trust not checked"
_DURATION = re.compile(r"([0-9]+)([smhdwy])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def _duration(text: str, flag: str) -> timedelta:
    """``30d``, ``12h``, ``1y`` … (also ISO 8601 ``P30D``, ``PT12H``)."""
    match = _DURATION.fullmatch(text.strip().lower().removeprefix("pt").removeprefix("p"))
    if match is None:
        raise UsageError(f"{flag}: {text!r} is not a duration like 30d, 12h or 1y")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def _now() -> datetime:
    from did_gov._time import utc_now

    return utc_now()


def _signers(specs: list[str], args: argparse.Namespace) -> list[Any]:
    return [_keys.load_signer(spec, args) for spec in specs]


# -- trust root / trust accredit ---------------------------------------------------------


def _cmd_root(args: argparse.Namespace) -> int:
    from did_gov.trust import build_root

    keys = _signers(args.key, args)
    extra = _signers(args.sign_with, args)
    root = build_root(
        keys=[k.public_key for k in keys],
        threshold=args.threshold,
        authorities=args.authority,
        version=args.version,
        expires=_now() + _duration(args.expires, "--expires"),
        signers=[*keys, *extra],
    )
    write_json(args.output, root.to_json())
    return EXIT_OK


def _cmd_accredit(args: argparse.Namespace) -> int:
    from did_gov.dids import did_key
    from did_gov.trust import Accreditation, sign_accreditation

    signer = _keys.load_signer(args.key, args)
    public = signer.public_key
    now = _now()
    valid_from = parse_time(args.valid_from, "--valid-from") or now
    valid_until = parse_time(args.valid_until, "--valid-until")
    if valid_until is not None and valid_until < valid_from:
        raise UsageError("--valid-until is before --valid-from")
    if args.max_path_length is not None and not args.may_accredit:
        raise UsageError("--max-path-length needs --may-accredit")
    jwks = tuple(_jwk(path) for path in args.jwk)
    record = Accreditation(
        authority=did_key.did_for_public_key(public),
        issuer=args.issuer,
        types=tuple(args.type),
        valid_from=valid_from,
        valid_until=valid_until,
        issued=now,
        name=args.name,
        name_zh=args.name_zh,
        issuer_jwks=jwks,
        may_accredit=args.may_accredit,
        max_path_length=args.max_path_length,
        status_for=tuple(args.status_for),
    )
    signed = sign_accreditation(record, signer, did_key.verification_method_id(public))
    write_json(args.output, signed.to_json())
    return EXIT_OK


def _jwk(path: str) -> dict[str, Any]:
    value = read_json(path)
    if isinstance(value, dict) and isinstance(value.get("keys"), list) and len(value["keys"]) == 1:
        value = value["keys"][0]
    if not isinstance(value, dict):
        raise UsageError(f"{path}: not a JWK")
    return {k: v for k, v in value.items() if k != "d"}


# -- trust cte-export / cte-import (DIF Credential Trust Establishment) -------------------


def _cmd_cte_export(args: argparse.Namespace) -> int:
    from did_gov.dids import did_key
    from did_gov.trust import SignedAccreditation, export_cte, sign_cte, verify_bundle

    signer = _keys.load_signer(args.key, args)
    author = did_key.did_for_public_key(signer.public_key)
    documents = [read_json(p) for p in args.did_document]
    signed = [SignedAccreditation.from_json(read_json(p)) for p in args.accreditation]
    if args.bundle is not None or args.root is not None:
        if args.bundle is None or args.root is None:
            raise UsageError("--bundle and --root go together")
        bundle = verify_bundle(read_bytes(args.bundle), read_json(args.root), now=_now())
        signed += bundle.accreditations
        documents += bundle.did_documents
    resolver = _resolver_with(documents)
    records = []
    for item in signed:
        item.verify(resolver)
        record = item.accreditation
        if record.authority != author:
            sys.stderr.write(
                f"did-gov: note: the accreditation of {record.issuer} by {record.authority} is "
                "not by --key's DID: not exported (a CTE document has one author)\n"
            )
            continue
        records.append(record)
    document = export_cte(
        records,
        author=author,
        document_id=args.id,
        name=args.name,
        version=args.version,
        last_updated=_now(),
        description=args.description,
    )
    if args.unsigned:
        write_json(args.output, document)
        return EXIT_OK
    token = sign_cte(document, signer, did_key.verification_method_id(signer.public_key))
    write_text(args.output, token + "\n")
    return EXIT_OK


def _cmd_cte_import(args: argparse.Namespace) -> int:
    from did_gov.dids import did_key
    from did_gov.trust import import_cte, open_cte, sign_accreditation

    signer = _keys.load_signer(args.key, args)
    authority = did_key.did_for_public_key(signer.public_key)
    resolver = _resolver_with([read_json(p) for p in args.did_document])
    document, kid = open_cte(read_bytes(args.file), resolver)
    if kid is None and not args.unsigned:
        raise UsageError(
            f"{args.file} is an unsigned CTE document: pass --unsigned to vouch for it yourself"
        )
    result = import_cte(document, authority=authority, issued=_now())
    for note in result.notes:
        sys.stderr.write(f"did-gov: note: {note}\n")
    out = Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out}: {exc.strerror}") from None
    method = did_key.verification_method_id(signer.public_key)
    for i, record in enumerate(result.accreditations, 1):
        path = out / f"accreditation-{i}.json"
        write_json(str(path), sign_accreditation(record, signer, method).to_json())
        sys.stdout.write(f"{path}: {record.issuer} for {', '.join(record.types)}\n")
    return EXIT_OK


# -- bundle build / inspect / install ----------------------------------------------------


def _contexts_of(directories: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for directory in directories:
        index = read_json(str(Path(directory) / "index.json"))
        if not isinstance(index, dict):
            raise UsageError(f"{directory}/index.json must map context URLs to file names")
        for url, name in index.items():
            path = (Path(directory) / str(name)).resolve()
            if Path(directory).resolve() not in path.parents:
                raise UsageError(f"context file {name!r} escapes {directory}")
            out[str(url)] = read_json(str(path))
    return out


def _status_list(path: str) -> Any:
    text = read_bytes(path).decode("utf-8", errors="replace").strip()
    return read_json(path) if text.startswith("{") else text


def _cmd_build(args: argparse.Namespace) -> int:
    from did_gov.trust import SignedAccreditation, TrustRoot, build_bundle

    roots = [TrustRoot.parse(read_json(path)) for path in args.root]
    accreditations = [SignedAccreditation.from_json(read_json(p)) for p in args.accreditation]
    documents = [read_json(p) for p in args.did_document]
    for signed in accreditations:
        signed.verify(_resolver_with(documents))
    log_keys, checkpoints = _checkpoints(args)
    now = _now()
    bundle = build_bundle(
        roots=roots,
        signers=_signers(args.key, args),
        version=args.version,
        issued=now,
        expires=now + _duration(args.expires, "--expires"),
        accreditations=accreditations,
        did_documents=documents,
        did_logs=_did_logs(args.did_log),
        contexts=_contexts_of(args.contexts),
        status_lists=[_status_list(p) for p in args.status_list],
        log_keys=log_keys,
        checkpoints=checkpoints,
    )
    write_json(args.output, bundle)
    _warn_unchained(roots[-1].authorities, accreditations)
    return EXIT_OK


def _did_logs(paths: list[str]) -> list[dict[str, Any]]:
    """``--did-log FILE``: each did:gov log (receipts beside it), verified, as a did-logs.json item."""
    from did_gov.dids.gov import DidGov, bundle_item
    from did_gov.errors import DidGovError

    items = []
    for path in paths:
        try:
            items.append(bundle_item(DidGov().load(path)))
        except DidGovError as exc:
            raise UsageError(f"--did-log {path}: {exc.message} [{exc.code}]") from None
    return items


def _checkpoints(args: argparse.Namespace) -> tuple[list[str], list[Any]]:
    """``--ledger``/``--checkpoint``/``--previous``: the log keys and checkpoints a bundle carries.

    Each ``--ledger`` (opened read-only) gives its checkpoint (a ``--checkpoint`` file of
    that origin, else its newest) with consistency proofs from the tree heads the
    ``--previous`` bundles carried, and its log key. A ``--checkpoint`` of no given ledger
    is carried without proofs and must verify with a ``--log-key``.
    """
    from did_gov.cli._io import read_text
    from did_gov.cli._ledger import _open
    from did_gov.errors import DidGovError
    from did_gov.ledger.checkpoint import NoteVerifier, open_checkpoint
    from did_gov.trust import LogCheckpoint, earlier_heads, log_checkpoint

    log_keys = [_vkey(value) for value in args.log_key]
    previous: dict[str, list[Any]] = {}
    for path in args.previous:
        try:
            for origin, heads in earlier_heads(read_bytes(path)).items():
                previous.setdefault(origin, []).extend(heads)
        except DidGovError as exc:
            raise UsageError(f"{path}: {exc.message} [{exc.code}]") from None
    notes: dict[str, str] = {}
    for path in args.checkpoint:
        note = read_text(path)
        origin = note.split("\n", 1)[0]
        if origin in notes:
            raise UsageError(f"two --checkpoint files of {origin}")
        notes[origin] = note
    checkpoints: list[Any] = []
    for url in args.ledger:
        reader = argparse.Namespace(ledger=url, key=None, origin=args.origin)
        with _open(reader) as log:
            origin = log.origin
            if any(c.origin == origin for c in checkpoints):
                raise UsageError(f"two --ledger URLs of the log {origin}")
            checkpoints.append(
                log_checkpoint(log, previous.get(origin, ()), note=notes.pop(origin, None))
            )
            if log.verifier.vkey not in log_keys:
                log_keys.append(log.verifier.vkey)
    verifiers = [NoteVerifier.from_vkey(v) for v in log_keys]
    for origin, note in notes.items():
        try:
            open_checkpoint(note, verifiers, origin=origin)
        except DidGovError as exc:
            raise UsageError(
                f"--checkpoint of {origin}: no --log-key verifies it ({exc.code})"
            ) from None
        checkpoints.append(LogCheckpoint(origin, note, ()))
    return log_keys, checkpoints


def _vkey(value: str) -> str:
    """A vkey given inline or as a file holding one."""
    from did_gov.cli._io import read_text

    return read_text(value).strip() if Path(value).is_file() else value


def _resolver_with(documents: list[Any]) -> Any:
    from did_gov.dids import DefaultResolver

    resolver = DefaultResolver()
    for document in documents:
        resolver.preload(document)
    return resolver


def _warn_unchained(authorities: tuple[str, ...], accreditations: list[Any]) -> None:
    """Say which records no chain reaches (they will judge as trust.chain_broken)."""
    reached = set(authorities)
    grown = True
    while grown:
        grown = False
        for signed in accreditations:
            record = signed.accreditation
            if record.authority in reached and record.may_accredit and record.issuer not in reached:
                reached.add(record.issuer)
                grown = True
    for signed in accreditations:
        authority = signed.accreditation.authority
        if authority not in reached:
            sys.stderr.write(
                f"did-gov: warning: {authority} (accrediting {signed.accreditation.issuer}) "
                "is neither a root authority nor accredited in this bundle\n"
            )


def _cmd_inspect(args: argparse.Namespace) -> int:
    from did_gov.trust._bundle import inspect_bundle

    write_json("-", inspect_bundle(read_bytes(args.bundle)))
    return EXIT_OK


def _cmd_install(args: argparse.Namespace) -> int:
    from did_gov.errors import TrustError
    from did_gov.trust import TrustStore

    raw = read_bytes(args.bundle)
    root = read_json(args.root)
    try:
        result = TrustStore(args.store).install(raw, root, now=_now())
    except TrustError as exc:
        sys.stdout.write(f"{args.bundle}: refused: {exc.message} [{exc.code}]\n")
        return EXIT_FAILED
    sys.stdout.write(f"{args.bundle}: {result.message}\n")
    return EXIT_OK


# -- verify's trust flags ----------------------------------------------------------------


def add_trust_flags(
    parser: argparse.ArgumentParser, *, trust_any: bool = True, contexts: bool = True
) -> None:
    """Add the trust flags every verifying command shares (``specs/cli.md`` § trust flags).

    ``--bundle FILE --root FILE`` (stateless), ``--trust-store DIR`` (an installed bundle),
    ``--trust-any-issuer`` (unsafe; left out when ``trust_any`` is false, as on the kiosk)
    and, when ``contexts`` is true, ``--contexts DIR`` (repeatable; added to the bundle's
    contexts). :func:`trust_material` reads them back.
    """
    parser.add_argument("--bundle", metavar="FILE", help="a signed trust bundle (with --root)")
    parser.add_argument("--root", metavar="FILE", help="the trust root the bundle is signed under")
    parser.add_argument(
        "--trust-store", metavar="DIR", help="a store a bundle was installed in (bundle install)"
    )
    if trust_any:
        parser.add_argument(
            "--trust-any-issuer",
            action="store_true",
            help="UNSAFE: do not check that the issuer is accredited (tests and demos)",
        )
    if contexts:
        parser.add_argument(
            "--contexts",
            action="append",
            default=[],
            metavar="DIR",
            help="more pinned JSON-LD contexts: a directory with index.json (repeatable)",
        )


def add_verify_flags(parser: argparse.ArgumentParser) -> None:
    """``verify``'s trust flags (it declares ``--contexts`` itself): :func:`add_trust_flags`."""
    add_trust_flags(parser, contexts=False)


@dataclass
class TrustMaterial:
    """What ``verify`` passes to the Verifier, or the bundle failure every report shows."""

    kwargs: dict[str, Any] = field(default_factory=dict)
    failure: tuple[str, str] | None = None  # (code, message)
    configured: bool = False
    unsafe: bool = False
    contexts: tuple[str, ...] = ()
    """``--contexts`` directories read by :func:`trust_material` (already in a bundle's loader)."""
    bundle: Any = None
    """The verified :class:`~did_gov.trust.TrustBundle` (``--bundle``/``--trust-store``), if any."""

    def warn(self) -> None:
        """Print ``WARNING: issuer trust not checked`` on stderr under ``--trust-any-issuer``."""
        if self.unsafe:
            sys.stderr.write(UNSAFE_WARNING + "\n")

    def verifier_kwargs(
        self,
        base: Mapping[str, Any] | None = None,
        did_documents: Iterable[Any] = (),
    ) -> dict[str, Any]:
        """The keyword arguments for ``Verifier(**kwargs)``: ``base`` plus the trust material.

        ``base`` holds the command's own options (``contexts``, ``status_lists``,
        ``log_keys``, ``issuer_jwks``, ``policy``, …); the bundle's lists, keys and JWKs are
        added to the command's, its loader (which already holds ``--contexts``) replaces
        ``contexts``, and its resolver also gets the ``did_documents`` (``--did-document``).
        Without trust flags the result has no ``trust`` (the Verifier reports
        ``trust.not_configured``). Check :attr:`failure` first: a bundle that failed
        gives no trust material.
        """
        out = dict(base or {})
        if self.contexts and "loader" not in self.kwargs:
            given = list(out.get("contexts", []))
            out["contexts"] = [*given, *(c for c in self.contexts if c not in given)]
        for key, value in self.kwargs.items():
            if key in ("status_lists", "log_keys", "issuer_jwks"):
                out[key] = [*out.get(key, []), *value]
            elif key == "loader":
                out.pop("contexts", None)  # the bundle's loader already holds --contexts
                out[key] = value
            elif key == "resolver":
                for document in did_documents:
                    value.preload(document)
                out[key] = value
            else:
                out[key] = value
        return out

    def failed_report(self) -> Any:
        """The report every file gets when the bundle or root failed (exit 1, not 2)."""
        from did_gov.proofs._result import fail
        from did_gov.verify import VerificationReport

        assert self.failure is not None  # noqa: S101 - only called on failure
        code, message = self.failure
        return VerificationReport.from_checks("unknown", [fail("trust", code, message)])


def trust_material(args: argparse.Namespace, *, now: datetime | None = None) -> TrustMaterial:
    """Read the flags of :func:`add_trust_flags`: a bundle (stateless), a store, or the unsafe mode.

    The bundle's expiry is judged at ``now`` (default: the real clock; ``approval replay`` gives
    the recorded decision time).

    Raises :class:`~did_gov.cli._io.UsageError` (exit 2) for contradictory flags; a bundle,
    root or store that fails its checks is not raised but kept in :attr:`TrustMaterial.failure`
    (``verify`` fails every file with it, exit 1; a server refuses to start).
    """
    bundle, root, store = args.bundle, args.root, args.trust_store
    any_issuer = bool(getattr(args, "trust_any_issuer", False))
    contexts = tuple(getattr(args, "contexts", None) or ())
    chosen = sum(x for x in (bundle is not None or root is not None, store is not None, any_issuer))
    if chosen > 1:
        raise UsageError("use one of --bundle/--root, --trust-store, --trust-any-issuer")
    if (bundle is None) != (root is None):
        raise UsageError("--bundle and --root go together")
    if any_issuer:
        from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

        return TrustMaterial(
            {"trust": UNSAFE_TRUST_ANY_ISSUER}, configured=True, unsafe=True, contexts=contexts
        )
    if bundle is None and store is None:
        return TrustMaterial(contexts=contexts)
    from did_gov.errors import TrustError
    from did_gov.trust import TrustStore, verify_bundle

    try:
        if store is not None:
            verified = TrustStore(store).load(now=now or _now())
        else:
            raw, root_value = read_bytes(bundle), read_json(root)
            verified = verify_bundle(raw, root_value, now=now or _now())
    except TrustError as exc:
        return TrustMaterial(failure=(exc.code, exc.message), configured=True, contexts=contexts)
    return TrustMaterial(
        verified.verifier_options(contexts), configured=True, contexts=contexts, bundle=verified
    )


def register(verbs: Any) -> None:
    """Add the ``trust`` and ``bundle`` verbs."""
    trust = verbs.add_parser("trust", help="trust roots and accreditations").add_subparsers(
        dest="action", required=True
    )
    root = trust.add_parser("root", help="make a signed trust root file")
    root.add_argument("--key", action="append", required=True, metavar="BUNDLE_KEY")
    root.add_argument("--passphrase-file", metavar="FILE")
    root.add_argument("--threshold", type=int, default=1)
    root.add_argument("--authority", action="append", required=True, metavar="DID")
    root.add_argument("--expires", required=True, metavar="DURATION", help="e.g. 365d")
    root.add_argument("--version", type=int, default=1, help="root version (rotation: N+1)")
    root.add_argument(
        "--sign-with",
        action="append",
        default=[],
        metavar="OLD_KEY",
        help="rotation: also sign with the previous root's keys",
    )
    root.add_argument("-o", "--output", required=True, metavar="FILE")
    root.set_defaults(func=_cmd_root)

    acc = trust.add_parser("accredit", help="sign an accreditation of an issuer")
    _keys.add_key_argument(acc, required=True, help="the accrediting authority's key")
    acc.add_argument("--issuer", required=True, metavar="DID_OR_URL")
    acc.add_argument(
        "--jwk", action="append", default=[], metavar="FILE", help="non-DID issuer key"
    )
    acc.add_argument("--type", action="append", required=True, metavar="TYPE")
    acc.add_argument("--name")
    acc.add_argument("--name-zh")
    acc.add_argument("--valid-from", metavar="T")
    acc.add_argument("--valid-until", metavar="T")
    acc.add_argument("--may-accredit", action="store_true")
    acc.add_argument("--max-path-length", type=int, metavar="N")
    acc.add_argument("--status-for", action="append", default=[], metavar="DID")
    acc.add_argument("-o", "--output", required=True, metavar="FILE")
    acc.set_defaults(func=_cmd_accredit)

    cte_out = trust.add_parser(
        "cte-export", help="write accreditations as a DIF Credential Trust Establishment document"
    )
    _keys.add_key_argument(cte_out, required=True, help="the authority's key (the CTE author)")
    cte_out.add_argument("--accreditation", action="append", default=[], metavar="FILE")
    cte_out.add_argument("--bundle", metavar="FILE", help="export the accreditations of a bundle")
    cte_out.add_argument("--root", metavar="FILE", help="the root the --bundle is signed under")
    cte_out.add_argument("--did-document", action="append", default=[], metavar="FILE")
    cte_out.add_argument("--id", required=True, help="the document's id (stable across versions)")
    cte_out.add_argument("--name", required=True, help="the document's title")
    cte_out.add_argument("--description")
    cte_out.add_argument("--version", type=int, default=1)
    cte_out.add_argument(
        "--unsigned", action="store_true", help="write plain JSON instead of a signed JWT"
    )
    cte_out.add_argument("-o", "--output", required=True, metavar="FILE")
    cte_out.set_defaults(func=_cmd_cte_export)

    cte_in = trust.add_parser(
        "cte-import", help="sign accreditations stating what a DIF CTE document says"
    )
    cte_in.add_argument("file", metavar="CTE_FILE")
    _keys.add_key_argument(cte_in, required=True, help="the accrediting authority's key")
    cte_in.add_argument("--did-document", action="append", default=[], metavar="FILE")
    cte_in.add_argument(
        "--unsigned", action="store_true", help="accept a plain-JSON (unsigned) CTE document"
    )
    cte_in.add_argument("-o", "--output", required=True, metavar="DIR")
    cte_in.set_defaults(func=_cmd_cte_import)

    bundle = verbs.add_parser("bundle", help="signed trust bundles").add_subparsers(
        dest="action", required=True
    )
    build = bundle.add_parser("build", help="sign a trust bundle")
    build.add_argument("--root", action="append", required=True, metavar="FILE")
    build.add_argument("--key", action="append", required=True, metavar="BUNDLE_KEY")
    build.add_argument("--passphrase-file", metavar="FILE")
    build.add_argument("--accreditation", action="append", default=[], metavar="FILE")
    build.add_argument("--status-list", action="append", default=[], metavar="FILE")
    build.add_argument("--log-key", action="append", default=[], metavar="VKEY")
    build.add_argument(
        "--did-log",
        action="append",
        default=[],
        metavar="FILE",
        help="carry a did:gov DID log (receipts beside it) and its latest version (repeatable)",
    )
    build.add_argument(
        "--ledger",
        action="append",
        default=[],
        metavar="URL",
        help="carry this log's checkpoint (read-only: sqlite: or postgresql:) with consistency "
        "proofs from the --previous bundles' checkpoints, and its log key (repeatable)",
    )
    build.add_argument("--origin", metavar="ORIGIN", help="the log to read in a --ledger database")
    build.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="FILE",
        help="the checkpoint to carry for a log (default: the --ledger's newest)",
    )
    build.add_argument(
        "--previous",
        action="append",
        default=[],
        metavar="BUNDLE",
        help="an earlier bundle: proofs are made from the checkpoints it carried (repeatable)",
    )
    build.add_argument("--did-document", action="append", default=[], metavar="FILE")
    build.add_argument("--contexts", action="append", default=[], metavar="DIR")
    build.add_argument("--version", type=int, required=True)
    build.add_argument("--expires", required=True, metavar="DURATION")
    build.add_argument("-o", "--output", required=True, metavar="FILE")
    build.set_defaults(func=_cmd_build)

    inspect = bundle.add_parser("inspect", help="show a bundle's contents (not verified)")
    inspect.add_argument("bundle")
    inspect.set_defaults(func=_cmd_inspect)

    install = bundle.add_parser("install", help="verify and install a bundle into a store")
    install.add_argument("bundle")
    install.add_argument("--root", required=True, metavar="FILE")
    install.add_argument("--store", required=True, metavar="DIR")
    install.set_defaults(func=_cmd_install)
