"""The ``did-gov ledger …`` and ``did-gov anchor`` verbs (``specs/cli.md`` §Ledger).

A thin layer over :mod:`did_gov.ledger` and :func:`did_gov.anchor`: open a log by URL,
append hashes, publish and prove checkpoints, verify receipts offline, audit two
checkpoints. Heavy modules are imported inside each verb.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

from did_gov.cli._io import UsageError as _usage
from did_gov.cli._io import read_bytes as _read_bytes
from did_gov.cli._io import read_json as _read_json
from did_gov.cli._io import read_text as _read_text
from did_gov.cli._keys import add_key_argument

__all__ = ["register"]

EXIT_OK, EXIT_FAILED = 0, 1
CONSISTENCY_PROOF = "ConsistencyProof"


_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+(~.*)?", re.S)


def _line(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")


def _log_key(value: str) -> Any:
    """A note verifier from a vkey string, or from a file holding one."""
    from did_gov.ledger import NoteVerifier

    text = _read_text(value).strip() if Path(value).is_file() else value
    return NoteVerifier.from_vkey(text)


def _open(args: argparse.Namespace) -> Any:
    """The log named by ``--ledger``: with ``--key`` for writing, else read-only (sqlite, postgresql)."""
    from did_gov.cli._keys import load_signer
    from did_gov.ledger import open_ledger
    from did_gov.ledger._url import split_url

    if args.key is None:
        scheme = split_url(args.ledger)[0]
        if scheme in ("postgresql", "postgres"):
            from did_gov.ledger.postgresql import PostgresLogReader

            return PostgresLogReader(args.ledger, origin=getattr(args, "origin", None))
        from did_gov.ledger.sqlite import SqliteLogReader, sqlite_path

        if scheme != "sqlite":
            raise _usage("without --key, only a sqlite: or postgresql: ledger can be read")
        return SqliteLogReader(sqlite_path(args.ledger))
    return open_ledger(
        args.ledger, log_key=load_signer(args.key, args), origin=getattr(args, "origin", None)
    )


def _document(path: str, kind: str | None) -> Any:
    """A file as the anchoring layer sees it: a credential object, a compact token, or bytes."""
    from did_gov._json import parse_json
    from did_gov.errors import DidGovError

    raw = _read_bytes(path)
    if kind in (None, "credential", "status-list"):
        text = raw.decode("utf-8", errors="replace").strip()
        if text.startswith("{"):
            try:
                value = parse_json(text)
            except DidGovError:
                value = None
            types = value.get("type") if isinstance(value, dict) else None
            listed = types if isinstance(types, list) else [types]
            if "VerifiableCredential" in listed or "EnvelopedVerifiableCredential" in listed:
                return value
        elif _TOKEN.fullmatch(text):
            return text
    return raw


# -- verbs ------------------------------------------------------------------------------


def _cmd_init(args: argparse.Namespace) -> int:
    with _open(args) as log:
        sys.stdout.write(log.verifier.vkey + "\n")
    return EXIT_OK


def _hashes(values: list[str]) -> list[bytes]:
    if values == ["-"]:
        values = sys.stdin.read().split()
    leaves = []
    for value in values:
        try:
            leaf = bytes.fromhex(value)
        except ValueError:
            raise _usage(f"{value!r} is not hexadecimal") from None
        if len(leaf) != 32:
            raise _usage(f"{value!r} is not a 32-byte hash (64 hex digits)")
        leaves.append(leaf)
    return leaves


def _cmd_append(args: argparse.Namespace) -> int:
    leaves = _hashes(args.hashes)
    with _open(args) as log:
        for receipt in log.append(leaves):
            _line(receipt.to_json())
    return EXIT_OK


def _cmd_checkpoint(args: argparse.Namespace) -> int:
    with _open(args) as log:
        sys.stdout.write(log.checkpoint())
    return EXIT_OK


def _size_of(note: str, log: Any) -> int:
    from did_gov.ledger import open_checkpoint

    return int(open_checkpoint(note, [log.verifier], origin=log.origin).checkpoint.size)


def _cmd_prove(args: argparse.Namespace) -> int:
    with _open(args) as log:
        new = _read_text(args.checkpoint) if args.checkpoint else log.checkpoint()
        if args.index is not None:
            _line(log.receipt(args.index, new).to_json())
            return EXIT_OK
        old = _read_text(args.consistency)
        size1, size2 = _size_of(old, log), _size_of(new, log)
        proof = log.prove_consistency(size1, size2)
        _line(
            {
                "type": CONSISTENCY_PROOF,
                "origin": log.origin,
                "oldSize": size1,
                "newSize": size2,
                "proof": [base64.b64encode(h).decode("ascii") for h in proof],
                "checkpoint": new,
            }
        )
    return EXIT_OK


def _report(name: str, ok: bool, code: str, message: str, as_json: bool) -> None:
    if as_json:
        _line({"file": name, "ok": ok, "code": code, "message": message})
    else:
        sys.stdout.write(f"{name}: {'VALID' if ok else 'INVALID'} [{code}] {message}\n")


def _cmd_verify_receipt(args: argparse.Namespace) -> int:
    from did_gov.ledger import verify_receipt
    from did_gov.verify import anchored_content, open_anchored

    verifier = _log_key(args.log_key)
    status = EXIT_OK
    for path in args.receipts:
        value = _read_json(path)
        pairs: list[tuple[Any, bytes | None]]
        if isinstance(value, dict) and value.get("type") in ("AnchoredCredential",):
            opened = open_anchored(value)
            content = anchored_content(opened.document)[1]
            pairs = [(r, content) for r in opened.unverified_receipts]
        else:
            content = None
            if args.document is not None:
                content = anchored_content(_document(args.document, args.kind), args.kind)[1]
            pairs = [(value, content)]
        for receipt, bound in pairs:
            check = verify_receipt(receipt, verifier, content=bound)
            ok, code, message = check.ok, check.code, check.message
            if ok and args.chain is not None:
                ok, code, message = _chain_check(receipt, verifier, args.chain)
            status = status if ok else EXIT_FAILED
            _report(path, ok, code, message, args.json)
    return status


def _chain_check(receipt: Any, verifier: Any, url: str) -> tuple[bool, str, str]:
    """Online: the receipt's checkpoint root is anchored in the registry at ``url``."""
    from did_gov.ledger.evm import chain_endpoint, verify_chain_anchor

    rpc_url, contract = chain_endpoint(url)
    check = verify_chain_anchor(receipt, verifier, rpc_url=rpc_url, contract=contract)
    return check.ok, check.code, check.message


def _consistency(args: argparse.Namespace, old: str, new: str, verifier: Any) -> list[bytes]:
    from did_gov.ledger import open_checkpoint
    from did_gov.ledger._note import b64decode_strict

    if args.proof is None:
        with _open(args) as log:
            size1, size2 = (open_checkpoint(n, [verifier]).checkpoint.size for n in (old, new))
            if size1 == 0 or size1 >= size2:
                return []
            return list(log.prove_consistency(size1, size2))
    data = _read_json(args.proof)
    if not isinstance(data, dict) or data.get("type") != CONSISTENCY_PROOF:
        raise _usage(f"{args.proof}: not a {CONSISTENCY_PROOF} file")
    items = data.get("proof")
    if not isinstance(items, list) or not all(isinstance(h, str) for h in items):
        raise _usage(f"{args.proof}: proof must be a list of base64 hashes")
    return [b64decode_strict(h) for h in items]


def _cmd_audit(args: argparse.Namespace) -> int:
    from did_gov.ledger import audit

    if args.proof is None and args.ledger is None:
        raise _usage("audit needs --proof FILE or --ledger URL")
    verifier = _log_key(args.log_key)
    old = _read_text(args.old)
    if args.new is None:
        if args.ledger is None:
            raise _usage("without NEW, audit fetches the latest checkpoint: give --ledger")
        with _open(args) as log:
            new = log.checkpoint()
    else:
        new = _read_text(args.new)
    result = audit(old, new, _consistency(args, old, new, verifier), verifier)
    _report(
        f"{args.old} -> {args.new or args.ledger}",
        result.ok,
        result.code,
        result.message,
        args.json,
    )
    return EXIT_OK if result.ok else EXIT_FAILED


def _cmd_anchor(args: argparse.Namespace) -> int:
    from did_gov._api import anchor
    from did_gov.cli._progress import Progress
    from did_gov.verify import attach_receipts

    if args.batch_size < 1:
        raise _usage("--batch-size must be at least 1")
    documents = [_document(path, args.kind) for path in args.files]
    if args.envelope and any(isinstance(d, bytes) for d in documents):
        raise _usage("--envelope needs credential files (JSON credentials or tokens)")
    with _open(args) as log, Progress("anchor", len(documents)) as progress:
        for start in range(0, len(documents), args.batch_size):
            batch = documents[start : start + args.batch_size]
            receipts = anchor(batch, log, kind=args.kind)  # durable before it is printed
            paths = args.files[start : start + args.batch_size]
            for path, document, receipt in zip(paths, batch, receipts, strict=True):
                if args.envelope:
                    _line(attach_receipts(document, [receipt]))
                else:
                    _line({"file": path, "receipt": receipt.to_json()})
            progress.advance(len(batch))
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------


def _ledger_args(
    parser: argparse.ArgumentParser, *, origin: bool = False, writes: bool = True
) -> None:
    parser.add_argument(
        "--ledger",
        required=True,
        metavar="URL",
        help="sqlite:///path/log.db, postgresql://user:pw@host/db, memory:, evm+http://…",
    )
    help_text = "the log's Ed25519 key" + ("" if writes else " (omit to read the log only)")
    add_key_argument(parser, required=writes, help=help_text)
    if origin:
        parser.add_argument(
            "--origin", help="the log's name (to create a log, or pick one in a shared database)"
        )


def register(verbs: Any) -> None:
    """Add the ``ledger`` and ``anchor`` verbs to the command's subparsers."""
    ledger = verbs.add_parser("ledger", help="transparency ledger").add_subparsers(
        dest="action", required=True
    )
    init = ledger.add_parser("init", help="create a log; print its verifier key (vkey)")
    _ledger_args(init)
    init.add_argument("--origin", required=True, help="the log's name, e.g. example.gov/log")
    init.set_defaults(func=_cmd_init)

    app = ledger.add_parser("append", help="append 32-byte hashes; print their receipts")
    app.add_argument("hashes", nargs="+", metavar="HEX", help="64 hex digits each, or - (stdin)")
    _ledger_args(app, origin=True)
    app.set_defaults(func=_cmd_append)

    chk = ledger.add_parser("checkpoint", help="print a signed checkpoint of the log")
    _ledger_args(chk, origin=True, writes=False)
    chk.set_defaults(func=_cmd_checkpoint)

    pro = ledger.add_parser("prove", help="a receipt for a leaf, or a consistency proof")
    _ledger_args(pro, origin=True, writes=False)
    what = pro.add_mutually_exclusive_group(required=True)
    what.add_argument("--index", type=int, help="leaf index: print its receipt")
    what.add_argument("--consistency", metavar="OLD", help="old checkpoint file: print a proof")
    pro.add_argument("--checkpoint", metavar="FILE", help="against this checkpoint (else latest)")
    pro.set_defaults(func=_cmd_prove)

    ver = ledger.add_parser("verify-receipt", help="verify receipts offline with the log's key")
    ver.add_argument("receipts", nargs="+", metavar="FILE", help="receipt or AnchoredCredential")
    ver.add_argument("--log-key", required=True, metavar="VKEY", help="vkey, or a file with one")
    ver.add_argument("--document", metavar="FILE", help="the anchored document to bind")
    ver.add_argument("--kind", help="the document's anchor kind (default: from its content)")
    ver.add_argument("--json", action="store_true", help="one JSON object per line")
    ver.add_argument(
        "--chain",
        metavar="URL",
        help="online: also check the root on this registry (evm+http://host:port?contract=0x…)",
    )
    ver.set_defaults(func=_cmd_verify_receipt)

    aud = ledger.add_parser("audit", help="prove the log only grew between two checkpoints")
    aud.add_argument("old", metavar="OLD", help="the older checkpoint file")
    aud.add_argument(
        "new",
        metavar="NEW",
        nargs="?",
        help="the newer checkpoint file (default: fetch the latest)",
    )
    aud.add_argument("--log-key", required=True, metavar="VKEY", help="vkey, or a file with one")
    aud.add_argument("--proof", metavar="FILE", help="a ConsistencyProof from `ledger prove`")
    aud.add_argument("--ledger", metavar="URL", help="fetch the proof from this log instead")
    add_key_argument(aud, required=False, help="the log's key (omit to read the log only)")
    aud.add_argument("--origin", help="the log's name, in a database holding several logs")
    aud.add_argument("--json", action="store_true", help="one JSON object")
    aud.set_defaults(func=_cmd_audit)

    anc = verbs.add_parser("anchor", help="anchor credentials or documents on a ledger")
    anc.add_argument("files", nargs="+", metavar="FILE")
    _ledger_args(anc, origin=True)
    anc.add_argument("--kind", choices=["credential", "status-list", "did-document", "document"])
    anc.add_argument("--envelope", action="store_true", help="print AnchoredCredential envelopes")
    anc.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        metavar="N",
        help="files per ledger append (default 1000); each batch is printed once durable",
    )
    anc.set_defaults(func=_cmd_anchor)
