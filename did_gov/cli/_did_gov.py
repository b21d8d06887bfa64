"""The did:gov verbs: ``did create --method gov``, ``did update``, ``did deactivate``, and
``did resolve did:gov:… --did-log FILE`` (``specs/cli.md`` §did:gov, ``specs/did-gov-method.md``).

A thin layer over :mod:`did_gov.dids.gov`: keys through ``--key`` (files or ``pkcs11:``
URIs), the ledger through ``--ledger URL --ledger-key KEYFILE``; the DID log is written
with its receipts beside it (``<did-log>.receipts.jsonl``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from did_gov.cli._io import UsageError
from did_gov.cli._keys import add_key_argument, load_signer

__all__ = ["add_did_logs", "register", "resolve_gov"]

EXIT_OK, EXIT_FAILED = 0, 1


def _public_key(spec: str, args: argparse.Namespace, flag: str) -> Any:
    """A public key from a key file (private or public JWK, Multikey), as ``key show`` reads it."""
    from did_gov.cli._keys import _public_key_of
    from did_gov.errors import DidGovError

    try:
        return _public_key_of(spec, args)
    except DidGovError as exc:
        raise UsageError(f"{flag} {spec}: {exc.message}") from None


def _ledger(args: argparse.Namespace) -> Any:
    from did_gov.cli._io import read_text
    from did_gov.ledger import open_ledger

    options: dict[str, Any] = {}
    if args.writer_key is not None:
        options["writer_key"] = read_text(args.writer_key).strip()
    if args.store is not None:
        options["store"] = args.store
    return open_ledger(
        args.ledger, log_key=load_signer(args.ledger_key, args), origin=args.origin, **options
    )


def _load(path: str) -> Any:
    from did_gov.dids.gov import DidGov

    return DidGov().load(path)


def _cmd_create(args: argparse.Namespace) -> int:
    from did_gov.dids.gov import create_log, write_log

    if Path(args.output).exists():
        raise UsageError(f"-o {args.output}: the file exists (a DID log is never replaced)")
    update_key = load_signer(args.key, args)
    signing = [_public_key(s, args, "--signing-key") for s in args.signing_key]
    with _ledger(args) as ledger:
        log = create_log(update_key, signing, ledger, next_key_hashes=args.next_key_hash)
    write_log(log, args.output)
    sys.stdout.write(log.did + "\n")
    return EXIT_OK


def _cmd_update(args: argparse.Namespace) -> int:
    from did_gov.dids.gov import update_log, write_log

    if args.next_key_hash and args.end_prerotation:
        raise UsageError("--next-key-hash and --end-prerotation exclude each other")
    log = _load(args.log)
    removals = [
        _public_key(r, args, "--remove-key") if Path(r).is_file() else r for r in args.remove_key
    ]
    with _ledger(args) as ledger:
        log = update_log(
            log,
            load_signer(args.key, args),
            ledger,
            add_keys=[_public_key(a, args, "--add-key") for a in args.add_key],
            remove_keys=removals,
            update_keys=[_public_key(args.update_key, args, "--update-key")]
            if args.update_key
            else None,
            next_key_hashes=args.next_key_hash or None,
            end_prerotation=args.end_prerotation,
        )
    write_log(log, args.log)
    sys.stdout.write(log.did + "\n")
    return EXIT_OK


def _cmd_deactivate(args: argparse.Namespace) -> int:
    from did_gov.dids.gov import deactivate_log, write_log

    log = _load(args.log)
    with _ledger(args) as ledger:
        log = deactivate_log(log, load_signer(args.key, args), ledger)
    write_log(log, args.log)
    sys.stdout.write(log.did + "\n")
    return EXIT_OK


def resolve_gov(args: argparse.Namespace) -> int:
    """``did resolve did:gov:… --did-log FILE [--at T | --version-id ID] [--log-key VKEY]``."""
    from did_gov.cli._io import json_text, parse_time
    from did_gov.dids.gov import DidGov
    from did_gov.errors import DidGovError

    if args.did_log is None:
        raise UsageError("a did:gov DID resolves from its log: give --did-log FILE")
    if args.at is not None and args.version_id is not None:
        raise UsageError("--at and --version-id exclude each other")
    log_key = None
    if args.log_key is not None:
        from did_gov.cli._ledger import _log_key

        try:
            log_key = _log_key(args.log_key)
        except DidGovError as exc:
            raise UsageError(f"--log-key {args.log_key}: {exc.message}") from None
    gov = DidGov()
    try:
        from did_gov.dids.gov import read_log

        entries, receipts = read_log(args.did_log)
        gov.add_log(entries, receipts, did=args.did, log_key=log_key)
        resolution = gov.resolve_version(
            args.did, version_id=args.version_id, version_time=parse_time(args.at, "--at")
        )
    except DidGovError as exc:
        sys.stderr.write(f"did-gov: {args.did} does not resolve: {exc.message} [{exc.code}]\n")
        return EXIT_FAILED
    if not resolution.freshness.known:
        sys.stderr.write(
            f"did-gov: warning: {resolution.freshness.message} [{resolution.freshness.code}]\n"
        )
    text = (
        json_text(dict(resolution.document.data), separators=(",", ":"))
        if args.json
        else json_text(dict(resolution.document.data), indent=2)
    )
    sys.stdout.write(text + "\n")
    return EXIT_OK


def add_did_logs(kwargs: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """``verify --did-log FILE``: the Verifier's resolver also holds these did:gov logs."""
    if not paths:
        return kwargs
    from did_gov.dids import DefaultResolver
    from did_gov.dids.gov import DidGov
    from did_gov.errors import DidGovError

    resolver = kwargs.get("resolver") or DefaultResolver()
    gov = resolver.handler("gov") if hasattr(resolver, "handler") else None
    if not isinstance(gov, DidGov):
        gov = DidGov()
        resolver.register(gov)
    for path in paths:
        try:
            gov.load(path)
        except DidGovError as exc:
            raise UsageError(f"--did-log {path}: {exc.message} [{exc.code}]") from None
    return {**kwargs, "resolver": resolver}


def _ledger_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger", required=True, metavar="URL", help="the transparency log that anchors entries"
    )
    parser.add_argument(
        "--ledger-key",
        required=True,
        metavar="KEYFILE",
        help="the log's private key that signs checkpoints (a key file or a pkcs11: URI)",
    )
    parser.add_argument("--origin", help="the log's name (to pick one in a shared database)")
    parser.add_argument(
        "--writer-key",
        metavar="FILE",
        help="evm ledger: a file holding the allow-listed writer's EVM key (0x-hex)",
    )
    parser.add_argument(
        "--store", metavar="URL", help="evm ledger: the local log (sqlite:///…) kept between runs"
    )


def _hash_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--next-key-hash",
        action="append",
        default=[],
        metavar="H",
        help="commit to a next update key (pre-rotation): `did-gov key show KEY --hash`",
    )


def register(did: Any) -> None:
    """Add ``create``, ``update`` and ``deactivate`` to the ``did`` verb's subparsers."""
    create = did.add_parser("create", help="create a did:gov DID: write its anchored log")
    create.add_argument("--method", required=True, choices=["gov"], help="the DID method: gov")
    add_key_argument(create, required=True, help="the update key that signs the log's entries")
    create.add_argument(
        "--signing-key",
        action="append",
        required=True,
        metavar="KEY",
        help="a key credentials are signed with (#key-1, #key-2, …; repeatable)",
    )
    _ledger_flags(create)
    _hash_flag(create)
    create.add_argument("-o", "--output", required=True, metavar="FILE", help="did-log.jsonl")
    create.set_defaults(func=_cmd_create)

    update = did.add_parser("update", help="append an anchored update to a did:gov log")
    update.add_argument("log", metavar="DID_LOG")
    add_key_argument(update, required=True, help="an authorized update key")
    update.add_argument("--add-key", action="append", default=[], metavar="KEY.jwk")
    update.add_argument(
        "--remove-key", action="append", default=[], metavar="KEY.jwk|VM_ID", help="repeatable"
    )
    update.add_argument("--update-key", metavar="NEW.jwk", help="replace the update key")
    _hash_flag(update)
    update.add_argument(
        "--end-prerotation", action="store_true", help="stop committing to next update keys"
    )
    _ledger_flags(update)
    update.set_defaults(func=_cmd_update)

    deactivate = did.add_parser("deactivate", help="deactivate a did:gov DID (final)")
    deactivate.add_argument("log", metavar="DID_LOG")
    add_key_argument(deactivate, required=True, help="an authorized update key")
    _ledger_flags(deactivate)
    deactivate.set_defaults(func=_cmd_deactivate)
