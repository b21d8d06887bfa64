"""``did-gov kiosk``: serve the verifier kiosk (``specs/kiosk.md``, ``specs/cli.md``).

The command binds its port first (so ``--port 0`` takes a free one and the public URL
names it), builds :func:`did_gov.kiosk.create_app`, prints ``listening on URL`` once it
accepts connections, and writes the kiosk's JSON-lines log on standard output. With
``--store`` a SIGHUP loads the newest bundle installed there (``bundle install``).
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from did_gov.cli._io import UsageError, read_json

__all__ = ["register"]


def _cmd_kiosk(args: argparse.Namespace) -> int:
    if args.store is not None and (args.bundle is not None or args.root is not None):
        raise UsageError("use --bundle with --root, or --store, not both")
    if args.store is None and (args.bundle is None or args.root is None):
        raise UsageError(
            "the kiosk needs --bundle with --root, or --store (it has no trust-any mode)"
        )
    try:
        from did_gov._asgi import bind, is_loopback_host, serve
        from did_gov.kiosk import create_app
    except ImportError as exc:
        raise UsageError(
            f"the kiosk needs the kiosk extra: pip install 'did-gov[kiosk]' ({exc})"
        ) from None
    from did_gov.trust import DcqlQuery

    dcql = None if args.dcql is None else DcqlQuery.from_json(read_json(args.dcql))
    key = None
    if args.key is not None:
        from did_gov.cli import _keys

        key = _keys.load_signer(args.key, args)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    public_url = args.public_url or f"http://{host}:{port}"
    if not public_url.startswith("https://") and not is_loopback_host(args.host):
        sys.stderr.write(
            "did-gov: warning: wallets fetch requests and post responses over https only; "
            "put a TLS proxy in front and pass its address as --public-url\n"
        )
    app = create_app(
        public_url=public_url,
        bundle=args.bundle,
        root=args.root,
        store=args.store,
        dcql=dcql,
        key=key,
        counter_token=args.counter_token,
        log=sys.stdout,
    )
    failure = app.kiosk.trust.failure
    if failure is not None:
        sys.stderr.write(f"did-gov: kiosk refuses to verify: {failure[1]} [{failure[0]}]\n")
    if args.store is not None:

        def reload(signum: int, frame: Any) -> None:
            app.kiosk.reload()

        signal.signal(signal.SIGHUP, reload)
    serve(app, args.host, port, sock=sock)
    return 0


def register(verbs: Any) -> None:
    """Add the ``kiosk`` verb."""
    kiosk = verbs.add_parser(
        "kiosk", help="run the verifier kiosk: OpenID4VP requests by QR code, verdicts on a page"
    )
    kiosk.add_argument("--bundle", metavar="FILE", help="a signed trust bundle (with --root)")
    kiosk.add_argument("--root", metavar="FILE", help="the trust root the bundle is signed under")
    kiosk.add_argument(
        "--store", metavar="DIR", help="a store a bundle was installed in (reloaded on SIGHUP)"
    )
    kiosk.add_argument("--dcql", metavar="QUERY.json", help="the DCQL query to ask wallets for")
    kiosk.add_argument(
        "--key", metavar="KEYFILE", help="the key that signs request objects (default: a new one)"
    )
    kiosk.add_argument("--host", default="127.0.0.1", help="address to listen on")
    kiosk.add_argument("--port", type=int, default=8080, help="port (0: a free one)")
    kiosk.add_argument(
        "--public-url", metavar="URL", help="the base URL wallets reach (default http://HOST:PORT)"
    )
    kiosk.add_argument(
        "--counter-token",
        metavar="T",
        help="a bearer token that opens the counter endpoints to other hosts",
    )
    kiosk.set_defaults(func=_cmd_kiosk)
