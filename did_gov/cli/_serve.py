"""``did-gov serve``: the agency service over HTTP (``specs/service.md``, ``specs/cli.md``).

Reads the flags into a :class:`~did_gov.service.ServiceConfig`, binds the port (so the
public URL can name it), prints ``listening on URL`` once it accepts connections, and
serves until SIGINT or SIGTERM. Needs the ``did-gov[service]`` extra.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from did_gov.cli import _keys
from did_gov.cli._io import UsageError, read_bytes

__all__ = ["register"]

EXIT_OK, EXIT_FAILED = 0, 1


def _issuer_spec(value: str) -> tuple[str, str, dict[str, str]]:
    """``NAME=KEYFILE[,cryptosuite=S][,verification-method=DIDURL]``."""
    name, equals, rest = value.partition("=")
    if not equals or not name or not rest:
        raise UsageError(f"--issuer {value!r}: expected NAME=KEYFILE[,cryptosuite=SUITE]")
    path, *pairs = rest.split(",")
    options: dict[str, str] = {}
    for pair in pairs:
        key, eq, setting = pair.partition("=")
        if not eq or key not in ("cryptosuite", "verification-method") or key in options:
            raise UsageError(
                f"--issuer {value!r}: after the key file come cryptosuite=S and "
                "verification-method=DIDURL, once each"
            )
        options[key] = setting
    return name, path, options


def _issuers(args: argparse.Namespace) -> tuple[Any, ...]:
    from did_gov.errors import DidGovError
    from did_gov.service import IssuerConfig

    specs: list[tuple[str, str, dict[str, str]]] = []
    if args.key is not None:
        specs.append(("default", args.key, {}))
    specs += [_issuer_spec(value) for value in args.issuer]
    if not specs:
        raise UsageError("serve needs --key KEYFILE or --issuer NAME=KEYFILE (repeatable)")
    issuers = []
    for name, path, options in specs:
        try:
            issuers.append(
                IssuerConfig(
                    name,
                    _keys.load_signer(path, args),
                    cryptosuite=options.get("cryptosuite"),
                    verification_method=options.get("verification-method"),
                )
            )
        except DidGovError as exc:
            raise UsageError(f"issuer {name}: {exc.message}") from None
    return tuple(issuers)


def _check_cryptosuites(issuers: tuple[Any, ...]) -> None:
    """Refuse at start an issuer whose cryptosuite its key cannot sign (not at the first issue)."""
    from did_gov.errors import DidGovError
    from did_gov.proofs._di_suites import suite_by_name

    for issuer in issuers:
        if issuer.cryptosuite is None:
            continue
        try:
            suite = suite_by_name(issuer.cryptosuite)
        except DidGovError as exc:
            raise UsageError(f"issuer {issuer.name}: {exc.message}") from None
        key_type = issuer.signer.public_key.key_type
        if key_type not in suite.key_types:
            raise UsageError(
                f"issuer {issuer.name}: {issuer.cryptosuite} does not sign with "
                f"{key_type.value} keys"
            )


_FILE_SETTINGS = (
    ("key", "--key"), ("issuer", "--issuer"), ("public_url", "--public-url"),
    ("data", "--data"), ("log_key", "--log-key"), ("bundle", "--bundle"), ("root", "--root"),
    ("trust_store", "--trust-store"), ("trust_any_issuer", "--trust-any-issuer"),
    ("contexts", "--contexts"), ("fetch_status", "--fetch-status"),
)  # fmt: skip


def _serve_config_file(args: argparse.Namespace) -> int:
    """``serve --config agency.toml``: everything but the address comes from the file."""
    from did_gov._asgi import bind, serve
    from did_gov.errors import DidGovError
    from did_gov.service import create_app
    from did_gov.service._toml import build_workflows, load_config

    given = [flag for name, flag in _FILE_SETTINGS if getattr(args, name, None)]
    if given:
        raise UsageError(f"with --config, set {', '.join(given)} in the file instead")
    sock = _bind(args, bind)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    try:
        loaded = load_config(
            args.config, default_public_url=f"http://{shown}:{port}", no_auth=args.no_auth
        )
        _check_cryptosuites(loaded.config.issuers)
        if loaded.config.data is not None:
            loaded.config.data.mkdir(parents=True, exist_ok=True)
        app = create_app(loaded.config, workflows=build_workflows(loaded))
    except (DidGovError, UsageError) as exc:
        sock.close()
        message = f"{exc.message} [{exc.code}]" if isinstance(exc, DidGovError) else str(exc)
        raise UsageError(f"{args.config}: {message}") from None
    if loaded.unsafe_trust:
        from did_gov.cli._trust import UNSAFE_WARNING

        sys.stderr.write(UNSAFE_WARNING + "\n")
    serve(app, args.host, port, sock=sock)
    return EXIT_OK


def _bind(args: argparse.Namespace, bind: Any) -> Any:
    try:
        return bind(args.host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None


def _cmd_serve(args: argparse.Namespace) -> int:
    from did_gov._asgi import bind, is_loopback_host, serve
    from did_gov.cli._trust import trust_material
    from did_gov.errors import DidGovError
    from did_gov.service import ServiceConfig, create_app

    if args.no_auth and not is_loopback_host(args.host):
        raise UsageError(
            f"--no-auth is refused on {args.host}: without authentication the service "
            "listens on a loopback address only (127.0.0.1, ::1)"
        )
    if args.config is not None:
        return _serve_config_file(args)
    if not args.no_auth:
        raise UsageError(
            "authentication is configured in agency.toml ([auth], --config FILE); "
            "give --no-auth to serve without it on a loopback address"
        )
    issuers = _issuers(args)
    _check_cryptosuites(issuers)
    material = trust_material(args)
    if material.failure is not None:
        code, message = material.failure
        sys.stderr.write(f"did-gov: error: the trust material was refused: {message} [{code}]\n")
        return EXIT_FAILED
    material.warn()
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="did-gov-serve-"))
    if not args.data:
        sys.stderr.write(f"did-gov serve: state in {data} (a new temporary folder)\n")
    data.mkdir(parents=True, exist_ok=True)
    log_key = _keys.load_signer(args.log_key, args) if args.log_key else None
    sock = _bind(args, bind)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    try:
        config = ServiceConfig(
            issuers=issuers,
            public_url=args.public_url or f"http://{shown}:{port}",
            data=data,
            log_key=log_key,
            verifier_options=material.verifier_kwargs({"contexts": args.contexts}),
            contexts=tuple(args.contexts),
            fetch_status=args.fetch_status,
            no_auth=args.no_auth,
            trust_bundle=read_bytes(args.bundle) if args.bundle else None,
        )
        app = create_app(config)
    except DidGovError as exc:
        sock.close()
        raise UsageError(f"{exc.message} [{exc.code}]") from None
    serve(app, args.host, port, sock=sock)
    return EXIT_OK


def register(verbs: Any) -> None:
    """Add the ``serve`` verb."""
    from did_gov.cli._trust import add_trust_flags

    srv = verbs.add_parser("serve", help="run the agency service (W3C VC-API over HTTP)")
    srv.add_argument(
        "--config", metavar="agency.toml", help="the service's configuration (specs/service.md §5)"
    )
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, required=True, help="port (0: a free one, printed)")
    _keys.add_key_argument(srv, required=False, help="the issuer key (issuer 'default')")
    srv.add_argument(
        "--issuer",
        action="append",
        default=[],
        metavar="NAME=KEYFILE[,cryptosuite=S]",
        help="an issuer served at /issuers/NAME/credentials/issue (repeatable; the first "
        "also serves /credentials/issue)",
    )
    srv.add_argument("--public-url", metavar="URL", help="where clients reach the service")
    srv.add_argument("--data", metavar="DIR", help="state folder (default: a new temporary folder)")
    srv.add_argument("--log-key", metavar="KEYFILE", help="Ed25519 key signing the log")
    srv.add_argument(
        "--no-auth",
        action="store_true",
        help="serve without authentication (loopback addresses only)",
    )
    srv.add_argument(
        "--fetch-status",
        action="store_true",
        help="fetch other issuers' status lists over the network when verifying",
    )
    add_trust_flags(srv)
    srv.set_defaults(func=_cmd_serve)
