"""The ``did-gov`` command: a thin layer over the public API (``specs/cli.md``).

Exit codes: 0 success (every file verified), 1 a verification failed,
2 a usage error or input that could not be read. Heavy modules are imported
inside each verb so that the command starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from did_gov.cli import _keys
from did_gov.cli._io import UsageError
from did_gov.cli._io import parse_time as _parse_time
from did_gov.cli._io import read_bytes as _read_bytes
from did_gov.cli._io import read_json as _read_json
from did_gov.cli._io import read_text as _read_text
from did_gov.cli._ledger import register as _register_ledger_verbs

__all__ = ["UsageError", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _read_status_list(path: str) -> Any:
    """A status list credential file: JSON, or a compact token (an enveloped list)."""
    text = _read_text(path).strip()
    return _read_json(path) if text.startswith("{") else text


def _print_json(value: Any, compact: bool = False) -> None:
    from did_gov.cli._io import json_text

    text = json_text(value, separators=(",", ":")) if compact else json_text(value, indent=2)
    sys.stdout.write(text + "\n")


def _load_key(path: str, args: argparse.Namespace) -> Any:
    """The Signer a ``--key`` names (see :mod:`did_gov.cli._keys`)."""
    return _keys.load_signer(path, args)


def _cmd_did_resolve(args: argparse.Namespace) -> int:
    from did_gov.dids import DefaultResolver

    if args.did.startswith("did:gov:"):
        from did_gov.cli._did_gov import resolve_gov

        return resolve_gov(args)
    if args.did_log or args.at or args.version_id or args.log_key:
        raise UsageError("--did-log, --at, --version-id and --log-key resolve did:gov DIDs")

    document = DefaultResolver().resolve(args.did)
    _print_json(dict(document.data), compact=args.json)
    return EXIT_OK


def _log_key(value: str) -> Any:
    """``--log-key``: a vkey, or a file holding one (as ``ledger audit`` takes it)."""
    from did_gov.cli._ledger import _log_key as read_log_key
    from did_gov.errors import DidGovError

    try:
        return read_log_key(value)
    except DidGovError as exc:
        raise UsageError(f"--log-key {value}: {exc.message}") from None


def _cmd_did_web(args: argparse.Namespace) -> int:
    from did_gov.cli._status import _write
    from did_gov.dids import did_web
    from did_gov.errors import DidGovError

    domain, _, path = args.domain.partition("/")
    try:
        did = did_web.for_domain(domain, [p for p in path.split("/") if p])
    except DidGovError as exc:
        raise UsageError(f"--domain {args.domain}: {exc.message}") from None
    keys = [_load_key(spec, args).public_key for spec in args.key]
    document = did_web.document(did, keys)
    _write(json.dumps(document, ensure_ascii=False, indent=2) + "\n", args.output)
    sys.stderr.write(
        f"{did}: serve this document at {did_web.to_url(did)} "
        "(HTTPS, Content-Type: application/did+json); sign with "
        f"--verification-method {did}#key-1\n"
    )
    return EXIT_OK


def _resolver(paths: list[str]) -> Any:
    """A resolver holding the did:web documents of ``--did-document`` (offline, no fetching)."""
    from did_gov.dids import DefaultResolver
    from did_gov.errors import DidGovError

    if not paths:
        return None
    resolver = DefaultResolver()
    for path in paths:
        try:
            resolver.preload(_read_json(path))
        except DidGovError as exc:
            raise UsageError(f"--did-document {path}: {exc.message}") from None
    return resolver


def _public_key_file(path: str, args: argparse.Namespace) -> Any:
    """``--holder-key``: a public or private JWK file, or a ``pkcs11:`` URI (its public key)."""
    from did_gov.keys import PrivateKey, PublicKey

    if path.startswith("pkcs11:"):
        return _load_key(path, args).public_key
    data = _read_json(path)
    if isinstance(data, dict) and "d" in data:
        return PrivateKey.from_jwk(data).public_key
    return PublicKey.from_jwk(data)


def _cmd_issue_sd_jwt(args: argparse.Namespace) -> int:
    from did_gov._api import issue_sd_jwt

    token = issue_sd_jwt(
        _read_json(args.file),
        _load_key(args.key, args),
        disclosable=args.disclosable,
        holder_key=_public_key_file(args.holder_key, args) if args.holder_key else None,
        vct=args.vct,
        kid=args.verification_method,
        now=_parse_time(args.created, "--created"),
    )
    sys.stdout.write(token + "\n")
    return EXIT_OK


def _cmd_issue(args: argparse.Namespace) -> int:
    from did_gov._api import issue

    if (args.file is None) == (args.batch is None):
        raise UsageError("issue needs a FILE or --batch FILE.jsonl (one of them)")
    if args.batch is not None:
        return _cmd_issue_batch(args)
    if args.format == "sd-jwt":
        return _cmd_issue_sd_jwt(args)
    if args.disclosable or args.holder_key or args.vct:
        raise UsageError("--disclosable, --holder-key and --vct need --format sd-jwt")
    signed = issue(
        _read_json(args.file),
        _load_key(args.key, args),
        format=args.format,
        cryptosuite=args.cryptosuite,
        verification_method=args.verification_method,
        created=_parse_time(args.created, "--created"),
        contexts=args.contexts,
    )
    _print_secured(signed)
    return EXIT_OK


def _batch_lines(path: str) -> list[tuple[int, Any]]:
    """The unsigned credentials of a JSON Lines file: (line number, object), blank lines skipped."""
    from did_gov._json import parse_json
    from did_gov.errors import DidGovError

    found: list[tuple[int, Any]] = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append((number, parse_json(line)))
        except DidGovError as exc:
            raise UsageError(f"{path} line {number}: {exc.message}") from None
    if not found:
        raise UsageError(f"{path}: no credentials (one JSON object per line)")
    return found


def _cmd_issue_batch(args: argparse.Namespace) -> int:
    """``issue --batch``: every line's credential secured with one key, one output per line.

    All are issued before anything is printed, so a bad line (status 2, named by its number)
    leaves no partial output behind.
    """
    from did_gov._api import issue, issue_sd_jwt
    from did_gov.cli._progress import Progress
    from did_gov.errors import DidGovError

    lines = _batch_lines(args.batch)
    key = _load_key(args.key, args)
    holder = _public_key_file(args.holder_key, args) if args.holder_key else None
    created = _parse_time(args.created, "--created")
    if args.format != "sd-jwt" and (args.disclosable or args.holder_key or args.vct):
        raise UsageError("--disclosable, --holder-key and --vct need --format sd-jwt")
    out: list[str] = []
    with Progress("issue", len(lines)) as progress:
        for number, unsigned in lines:
            try:
                if args.format == "sd-jwt":
                    secured: Any = issue_sd_jwt(
                        unsigned, key, disclosable=args.disclosable, holder_key=holder,
                        vct=args.vct, kid=args.verification_method, now=created,
                    )  # fmt: skip
                else:
                    secured = issue(
                        unsigned, key, format=args.format, cryptosuite=args.cryptosuite,
                        verification_method=args.verification_method, created=created,
                        contexts=args.contexts,
                    )  # fmt: skip
            except DidGovError as exc:
                raise UsageError(
                    f"{args.batch} line {number}: {exc.message} [{exc.code}]"
                ) from None
            out.append(
                secured
                if isinstance(secured, str)
                else json.dumps(secured, ensure_ascii=False, separators=(",", ":"))
            )
            progress.advance()
    sys.stdout.write("".join(line + "\n" for line in out))
    return EXIT_OK


def _print_secured(secured: Any) -> None:
    """A token on one line, a secured JSON document pretty-printed."""
    if isinstance(secured, str):
        sys.stdout.write(secured + "\n")
    else:
        _print_json(secured)


def _read_credential(path: str) -> Any:
    """A credential file: JSON (a secured object) or a token (VC-JOSE, SD-JWT)."""
    text = _read_text(path).strip()
    if text.startswith("{"):
        return _read_json(path)
    return text


def _load_jwks(paths: list[str]) -> list[dict[str, Any]]:
    from did_gov.errors import DidGovError
    from did_gov.proofs.jose import parse_jwks

    keys: list[dict[str, Any]] = []
    for path in paths:
        try:
            keys += parse_jwks(_read_json(path))
        except DidGovError as exc:
            raise UsageError(f"--jwk {path}: {exc.message}") from None
    return keys


def _cmd_present_sd_jwt(args: argparse.Namespace) -> int:
    from did_gov._api import present_sd_jwt

    if len(args.files) != 1:
        raise UsageError("--format sd-jwt presents exactly one credential")
    token = present_sd_jwt(
        _read_text(args.files[0]).strip(),
        args.disclose,
        holder_key=_load_key(args.key, args) if args.key else None,
        nonce=args.nonce,
        audience=args.audience,
        now=_parse_time(args.created, "--created"),
    )
    sys.stdout.write(token + "\n")
    return EXIT_OK


def _cmd_present(args: argparse.Namespace) -> int:
    from did_gov._api import present

    if args.format == "sd-jwt":
        return _cmd_present_sd_jwt(args)
    if args.disclose or args.nonce or args.audience:
        raise UsageError("--disclose, --nonce and --audience need --format sd-jwt")
    if not args.key:
        raise UsageError("present needs --key")
    credentials = [_read_credential(f) for f in args.files]
    for path, credential in zip(args.files, credentials, strict=True):
        if isinstance(credential, str) and "~" in credential:
            raise UsageError(
                f"{path} is an SD-JWT: present it with --format sd-jwt and --disclose PATH for "
                "each claim to show (wrapping it in a presentation would hand over every "
                "disclosure)"
            )
    vp = present(
        credentials,
        _load_key(args.key, args),
        format=args.format,
        challenge=args.challenge,
        domain=args.domain,
        created=_parse_time(args.created, "--created"),
        contexts=args.contexts,
    )
    _print_secured(vp)
    return EXIT_OK


def _challenge_given(args: argparse.Namespace) -> bool:
    """Whether the verifier bound this run to a challenge, or said it means not to."""
    return bool(
        args.challenge
        or args.nonce
        or getattr(args, "request", None)
        or getattr(args, "no_challenge", False)
    )


def _is_presentation(text: str) -> bool:
    """A presentation (JSON or vp+jwt) or an SD-JWT with a Key Binding JWT, from its text."""
    from did_gov._encoding import b64url_decode
    from did_gov.errors import DidGovError

    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return False
        kind = data.get("type") if isinstance(data, dict) else None
        kinds = kind if isinstance(kind, list) else [kind]
        return any(
            k in ("VerifiablePresentation", "EnvelopedVerifiablePresentation") for k in kinds
        )
    if "~" in text:
        return not text.endswith("~")  # the last segment is the KB-JWT
    try:
        header = json.loads(b64url_decode(text.split(".", 1)[0]))
    except (DidGovError, ValueError, TypeError, IndexError, UnicodeDecodeError):
        return False
    typ = header.get("typ") if isinstance(header, dict) else None
    return isinstance(typ, str) and typ.lower().removeprefix("application/") == "vp+jwt"


def _without_challenge(report: Any) -> Any:
    """The report failed by ``presentation.challenge_required`` (a replayable presentation)."""
    from did_gov.proofs._result import fail
    from did_gov.verify import VerificationReport

    check = fail(
        "challenge",
        "presentation.challenge_required",
        "a presentation verified without --challenge, --nonce or --request could be a replay; "
        "give the challenge you issued, or --no-challenge if that is intended",
    )
    return VerificationReport.from_checks(
        report.format, (*report.checks, check), report.document, report.credentials
    )


def _has_status_entry(report: Any) -> bool:
    """Whether the verified credential, or any credential of a presentation, names a status."""
    reports = [report, *report.credentials]
    return any(
        isinstance(r.document, dict) and r.document.get("credentialStatus") is not None
        for r in reports
    )


def _read_request(args: argparse.Namespace) -> Any:
    """The ``--request`` file as a :class:`~did_gov.trust.PresentationRequest`, or None."""
    if args.request is None:
        return None
    if any(v is not None for v in (args.challenge, args.domain, args.nonce, args.audience)):
        raise UsageError(
            "--request sets the expected challenge, domain, nonce and audience; "
            "do not give --challenge, --domain, --nonce or --audience with it"
        )
    from did_gov.errors import DidGovError
    from did_gov.trust import PresentationRequest

    try:
        return PresentationRequest.from_json(_read_bytes(args.request))
    except DidGovError as exc:
        raise UsageError(f"{args.request}: {exc.message} [{exc.code}]") from None


def _cmd_verify(args: argparse.Namespace) -> int:
    from did_gov.cli._io import json_text
    from did_gov.cli._trust import trust_material
    from did_gov.verify import VerificationPolicy, Verifier

    at = _parse_time(args.at, "--at")
    inputs = [(path, _read_text(path)) for path in args.files]
    lists = [_read_status_list(path) for path in args.status_lists]
    material = trust_material(args)  # --bundle/--root, --trust-store or --trust-any-issuer
    from did_gov.cli._did_gov import add_did_logs

    verifier = Verifier(
        **add_did_logs(
            material.verifier_kwargs(
                {
                    "contexts": args.contexts,
                    "resolver": _resolver(args.did_documents),
                    "now": at,
                    "policy": VerificationPolicy(
                        require_key_binding=args.require_key_binding,
                        require_anchor=args.require_anchor,
                        subject_binding=not args.no_subject_binding,
                    ),
                    "status_lists": lists,
                    "issuer_jwks": _load_jwks(args.jwk),
                    "log_keys": [_log_key(value) for value in args.log_keys],
                },
                did_documents=[_read_json(path) for path in args.did_documents],
            ),
            args.did_logs,
        )
    )
    request = _read_request(args)
    binding: dict[str, Any] = (
        {"request": request}
        if request is not None
        else {
            "challenge": args.challenge,
            "domain": args.domain,
            "nonce": args.nonce,
            "audience": args.audience,
        }
    )
    material.warn()
    status = EXIT_OK
    for path, text in inputs:
        report = (
            material.failed_report()
            if material.failure is not None
            else verifier.verify(text, **binding)
        )
        if not _challenge_given(args) and _is_presentation(text):
            report = _without_challenge(report)
        if not report.verified:
            status = EXIT_FAILED
        if args.status_lists and not _has_status_entry(report):
            sys.stderr.write(
                f"did-gov: note: {path} has no credentialStatus entry: --status-list was not used "
                "for it (issue credentials after `status allocate` to make them revocable)\n"
            )
        disclosed = report.document if report.format == "sd-jwt-vc" and report.verified else None
        if args.json:
            extra = {"claims": disclosed} if disclosed is not None else {}
            _print_json({"file": path, **report.to_json(), **extra}, compact=True)
        else:
            sys.stdout.write(f"{path}: {report.summary()}\n")
            if disclosed is not None:
                sys.stdout.write(f"  claims: {json_text(disclosed)}\n")
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="did-gov", description="Government DIDs and Verifiable Credentials."
    )
    parser.add_argument("--version", action="version", version="did-gov 0.1.0")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log operations on stderr (-v: info, -vv: debug; never claim values)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    _keys.register(verbs)

    did = verbs.add_parser("did", help="DID operations").add_subparsers(
        dest="action", required=True
    )
    res = did.add_parser("resolve", help="print the DID document of a DID (offline methods)")
    res.add_argument("did")
    res.add_argument("--json", action="store_true", help="compact one-line JSON")
    res.add_argument("--did-log", metavar="FILE", help="did:gov: its DID log (receipts beside it)")
    res.add_argument("--at", metavar="TIME", help="did:gov: the version in force at this time")
    res.add_argument("--version-id", metavar="ID", help="did:gov: the version with this versionId")
    res.add_argument("--log-key", metavar="VKEY", help="did:gov: the anchorLog key it must have")
    res.set_defaults(func=_cmd_did_resolve)
    from did_gov.cli._did_gov import register as _register_did_gov

    _register_did_gov(did)
    web = did.add_parser("web", help="write the did:web DID document an agency publishes")
    web.add_argument(
        "--domain",
        required=True,
        help="the agency's domain (host or host:port), optionally /path/segments",
    )
    web.add_argument(
        "--key", action="append", required=True, metavar="KEY", help="a key to list (repeatable)"
    )
    web.add_argument("--passphrase-file", metavar="FILE", help="passphrase of encrypted keys")
    web.add_argument("-o", "--output", metavar="FILE", help="write did.json (atomically)")
    web.set_defaults(func=_cmd_did_web)

    iss = verbs.add_parser("issue", help="secure a credential (Data Integrity, VC-JOSE or SD-JWT)")
    iss.add_argument("file", nargs="?", help="the unsigned credential (JSON)")
    iss.add_argument(
        "--batch",
        metavar="FILE.jsonl",
        help="issue every credential of a JSON Lines file; print one secured credential per line",
    )
    iss.add_argument(
        "--format",
        default="di",
        choices=["di", "vc-jwt", "sd-jwt"],
        help="di: Data Integrity proof (default); vc-jwt: VC-JOSE token; sd-jwt: SD-JWT VC",
    )
    iss.add_argument(
        "--disclosable",
        action="append",
        default=[],
        metavar="PATH",
        help="sd-jwt: a selectively disclosable claim path, e.g. /credentialSubject/birthDate",
    )
    iss.add_argument(
        "--holder-key", metavar="KEYFILE", help="sd-jwt: holder JWK (or pkcs11: URI) for cnf"
    )
    iss.add_argument("--vct", help="sd-jwt: credential type (default: the most specific type)")
    _keys.add_key_argument(iss, required=True, help="private JWK or Multikey key-pair JSON")
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
    _keys.add_key_argument(
        pre, required=False, help="holder key (sd-jwt: optional, signs the KB-JWT)"
    )
    pre.add_argument(
        "--format",
        default="di",
        choices=["di", "vc-jwt", "sd-jwt"],
        help="di: Data Integrity proof (default); vc-jwt: a vp+jwt token; sd-jwt: disclosures",
    )
    pre.add_argument("--disclose", action="append", default=[], metavar="PATH")
    pre.add_argument("--nonce", help="sd-jwt: the verifier's nonce for the KB-JWT")
    pre.add_argument("--audience", help="sd-jwt: the verifier's id for the KB-JWT aud")
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
    ver.add_argument(
        "--status-list",
        dest="status_lists",
        action="append",
        default=[],
        metavar="FILE",
        help="a status list credential to check credentialStatus against offline (repeatable)",
    )
    ver.add_argument(
        "--jwk",
        action="append",
        default=[],
        metavar="FILE",
        help="public JWK or JWK Set of an issuer that is not a DID (repeatable)",
    )
    ver.add_argument(
        "--no-challenge",
        action="store_true",
        help="accept a presentation not bound to a challenge or nonce (a replay would pass)",
    )
    ver.add_argument(
        "--request",
        metavar="REQUEST.json",
        help="an OpenID4VP presentation request {dcql_query, nonce, client_id}: its nonce and "
        "client_id are the expected challenge/nonce and domain/audience, and the presentation "
        "must meet its DCQL query",
    )
    ver.add_argument("--nonce", help="expected token nonce (default: --challenge)")
    ver.add_argument("--audience", help="expected token aud (default: --domain)")
    ver.add_argument(
        "--require-key-binding", action="store_true", help="sd-jwt: a KB-JWT is required"
    )
    ver.add_argument(
        "--log-key",
        dest="log_keys",
        action="append",
        default=[],
        metavar="VKEY",
        help="trust anchor receipts of this log: its vkey, or a file with one (repeatable)",
    )
    ver.add_argument("--require-anchor", action="store_true", help="fail without a receipt")
    ver.add_argument(
        "--no-subject-binding",
        action="store_true",
        help="accept presented credentials whose subject is not the holder (e.g. a parent's)",
    )
    ver.add_argument(
        "--did-document",
        dest="did_documents",
        action="append",
        default=[],
        metavar="FILE",
        help="a did:web DID document to resolve offline (repeatable; never fetched)",
    )
    ver.add_argument(
        "--did-log",
        dest="did_logs",
        action="append",
        default=[],
        metavar="FILE",
        help="a did:gov DID log (its receipts beside it) to resolve issuers offline (repeatable)",
    )
    from did_gov.cli._trust import add_verify_flags

    add_verify_flags(ver)
    ver.set_defaults(func=_cmd_verify)

    from did_gov.cli._status import add_status_parser

    add_status_parser(verbs)
    _register_ledger_verbs(verbs)
    from did_gov.cli._trust import register as _register_trust_verbs

    _register_trust_verbs(verbs)
    from did_gov.cli._serve import register as _register_serve

    _register_serve(verbs)
    from did_gov.cli._approval import register as _register_approval

    _register_approval(verbs)
    from did_gov.cli._kiosk import register as _register_kiosk_verb

    _register_kiosk_verb(verbs)
    return parser


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"did-gov: error: {message}\n")
    raise SystemExit(EXIT_USAGE)


def _log_to_stderr(verbosity: int) -> None:
    """Show the ``did_gov.*`` loggers' records on standard error (``-v``, ``-vv``)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("did-gov: %(name)s: %(message)s"))
    root = logging.getLogger("did_gov")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = _parser().parse_args(argv)
    from did_gov.cli._io import safe_streams

    safe_streams()  # a claim the terminal cannot show is escaped, never a traceback
    from did_gov.cli import _offline_pyld

    _offline_pyld.install()  # the command is offline: skip pyld's network loaders (start-up time)
    if args.verbose:
        _log_to_stderr(args.verbose)
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
