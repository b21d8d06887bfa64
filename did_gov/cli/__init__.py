"""The ``did-gov`` command: a thin layer over the public API (``specs/cli.md``).

Exit codes: 0 success (every file verified), 1 a verification failed,
2 a usage error or input that could not be read. Heavy modules are imported
inside each verb so that the command starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad argument or unreadable input: exit status 2."""


def _read_text(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: not UTF-8 text") from None


def _read_json(path: str) -> Any:
    from did_gov._json import parse_json
    from did_gov.errors import DidGovError

    try:
        return parse_json(_read_text(path))
    except DidGovError as exc:
        raise UsageError(f"{path}: {exc.message}") from None


def _print_json(value: Any, compact: bool = False) -> None:
    if compact:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _parse_time(text: str | None, flag: str) -> Any:
    if text is None:
        return None
    from did_gov.credentials import parse_datetime
    from did_gov.errors import DidGovError

    try:
        return parse_datetime(text, field=flag)
    except DidGovError as exc:
        raise UsageError(f"{flag}: {exc.message}") from None


def _load_key(path: str) -> Any:
    from did_gov.keys import load_private_key

    return load_private_key(path)


def _cmd_key_generate(args: argparse.Namespace) -> int:
    from did_gov.keys import KeyType, PrivateKey

    key_type = KeyType.parse(args.type)
    if args.seed is not None:
        try:
            seed = bytes.fromhex(args.seed)
        except ValueError:
            raise UsageError("--seed must be hexadecimal") from None
        key = PrivateKey.from_seed(key_type, seed)
    else:
        key = PrivateKey.generate(key_type)
    text = json.dumps(key.to_jwk(), indent=2) + "\n"
    if args.output:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_did_resolve(args: argparse.Namespace) -> int:
    from did_gov.dids import DefaultResolver

    document = DefaultResolver().resolve(args.did)
    _print_json(dict(document.data), compact=args.json)
    return EXIT_OK


def _cmd_issue(args: argparse.Namespace) -> int:
    from did_gov._api import issue

    signed = issue(
        _read_json(args.file),
        _load_key(args.key),
        cryptosuite=args.cryptosuite,
        verification_method=args.verification_method,
        created=_parse_time(args.created, "--created"),
        contexts=args.contexts,
    )
    _print_json(signed)
    return EXIT_OK


def _cmd_present(args: argparse.Namespace) -> int:
    from did_gov._api import present

    vp = present(
        [_read_json(f) for f in args.files],
        _load_key(args.key),
        challenge=args.challenge,
        domain=args.domain,
        created=_parse_time(args.created, "--created"),
        contexts=args.contexts,
    )
    _print_json(vp)
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from did_gov.verify import Verifier

    at = _parse_time(args.at, "--at")
    inputs = [(path, _read_text(path)) for path in args.files]
    verifier = Verifier(contexts=args.contexts, now=at)
    status = EXIT_OK
    for path, text in inputs:
        report = verifier.verify(text, challenge=args.challenge, domain=args.domain)
        if not report.verified:
            status = EXIT_FAILED
        if args.json:
            _print_json({"file": path, **report.to_json()}, compact=True)
        else:
            sys.stdout.write(f"{path}: {report.summary()}\n")
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="did-gov", description="Government DIDs and Verifiable Credentials."
    )
    parser.add_argument("--version", action="version", version="did-gov 0.1.0")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    key = verbs.add_parser("key", help="key management").add_subparsers(
        dest="action", required=True
    )
    gen = key.add_parser("generate", help="write a new private JWK")
    gen.add_argument("--type", default="ed25519", choices=["ed25519", "p256", "p384"])
    gen.add_argument("--seed", help="hex seed for a deterministic key (tests only)")
    gen.add_argument("-o", "--output", help="write to FILE (mode 0600) instead of stdout")
    gen.set_defaults(func=_cmd_key_generate)

    did = verbs.add_parser("did", help="DID operations").add_subparsers(
        dest="action", required=True
    )
    res = did.add_parser("resolve", help="print the DID document of a DID (offline methods)")
    res.add_argument("did")
    res.add_argument("--json", action="store_true", help="compact one-line JSON")
    res.set_defaults(func=_cmd_did_resolve)

    iss = verbs.add_parser("issue", help="sign a credential with a Data Integrity proof")
    iss.add_argument("file")
    iss.add_argument("--key", required=True, help="private JWK or Multikey key-pair JSON")
    iss.add_argument(
        "--cryptosuite", help="eddsa-rdfc-2022 (default for Ed25519), ecdsa-rdfc-2019, ..."
    )
    iss.add_argument("--created", help="proof creation time (ISO 8601 with time zone)")
    iss.add_argument(
        "--verification-method", help="DID URL of the signing key (default: its did:key)"
    )
    iss.add_argument("--contexts", action="append", default=[], metavar="DIR")
    iss.set_defaults(func=_cmd_issue)

    pre = verbs.add_parser("present", help="wrap credentials in a signed presentation")
    pre.add_argument("files", nargs="+", metavar="FILE")
    pre.add_argument("--key", required=True)
    pre.add_argument("--challenge")
    pre.add_argument("--domain")
    pre.add_argument("--created")
    pre.add_argument("--contexts", action="append", default=[], metavar="DIR")
    pre.set_defaults(func=_cmd_present)

    ver = verbs.add_parser("verify", help="verify credentials and presentations offline")
    ver.add_argument("files", nargs="+", metavar="FILE")
    ver.add_argument("--json", action="store_true", help="one JSON object per line per file")
    ver.add_argument("--contexts", action="append", default=[], metavar="DIR")
    ver.add_argument("--challenge")
    ver.add_argument("--domain")
    ver.add_argument("--at", help="verify as of this time (ISO 8601) instead of now")
    ver.set_defaults(func=_cmd_verify)
    return parser


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"did-gov: error: {message}\n")
    raise SystemExit(EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = _parser().parse_args(argv)
    from did_gov.cli import _offline_pyld

    _offline_pyld.install()  # the command is offline: skip pyld's network loaders (start-up time)
    from did_gov.errors import DidGovError

    try:
        status: int = args.func(args)
    except UsageError as exc:
        _fail(str(exc))
    except DidGovError as exc:
        _fail(f"{exc.message} [{exc.code}]")
    except BrokenPipeError:
        return EXIT_OK
    return status


if __name__ == "__main__":
    raise SystemExit(main())
