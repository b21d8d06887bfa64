"""``did-gov status …``: the issuer's status registry from the command line (``specs/cli.md``)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from did_gov.cli._io import UsageError as _usage
from did_gov.cli._io import read_json as _read_json
from did_gov.cli._keys import add_key_argument

__all__ = ["add_status_parser", "parse_duration"]

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", re.ASCII)
_PURPOSES = ["revocation", "suspension", "refresh", "message"]


def parse_duration(text: str, flag: str) -> timedelta:
    """``1d``, ``12h``, ``30m``, ``90s`` or a combination (``1d12h``) as a timedelta.

    >>> parse_duration("1d12h", "--valid-for")
    datetime.timedelta(days=1, seconds=43200)
    """
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise _usage(f"{flag}: {text!r} is not a duration like 30d, 12h, 15m or 1d12h")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _is_database(location: str) -> bool:
    """A ``postgresql://`` URL rather than a registry file."""
    return location.partition(":")[0].lower() in ("postgresql", "postgres")


def _open(location: str, list_url: str | None = None) -> Any:
    """The registry file at ``location``, or the one of ``list_url`` in a PostgreSQL database."""
    from did_gov.status import StatusRegistry

    if not _is_database(location) and not Path(location).is_file():
        raise _usage(f"no status registry at {location} (create one with: did-gov status create)")
    return StatusRegistry.open(location, list_url=list_url)


def _credential_id(args: argparse.Namespace) -> str:

    if (args.credential_id is None) == (args.credential is None):
        raise _usage("give a CREDENTIAL_ID or --credential FILE (one of them)")
    if args.credential_id is not None:
        return str(args.credential_id)
    credential = _read_json(args.credential)
    found = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(found, str) or not found:
        raise _usage(f"{args.credential}: the credential has no id to key its status on")
    return found


def _write(text: str, output: str | None) -> None:
    """Print ``text``, or replace ``output`` atomically (a reader never sees half a file)."""
    if output is None:
        sys.stdout.write(text)
        return
    import tempfile  # only when writing: keeps the command's start fast

    target = Path(output)
    fd, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _cmd_create(args: argparse.Namespace) -> int:
    from did_gov.status import StatusRegistry

    if _is_database(args.registry):
        _refuse_existing_list(args.registry, args.list_url)
    elif Path(args.registry).exists():
        raise _usage(f"{args.registry} already exists")
    with StatusRegistry.open(
        args.registry,
        list_url=args.list_url,
        purpose=args.purpose,
        size=args.size,
        status_size=args.status_size,
        messages=args.message or None,
    ) as registry:
        summary = {
            "registry": args.registry,
            "list_url": registry.list_url,
            "purpose": registry.purpose.value,
            "size": registry.size,
            "status_size": registry.status_size,
        }
    _write(_dump(summary), None)
    return 0


def _refuse_existing_list(url: str, list_url: str) -> None:
    """``status create`` on a database refuses a list URL the database already holds."""
    from did_gov.errors import StatusError
    from did_gov.status import StatusRegistry

    try:
        StatusRegistry.open(url, list_url=list_url).close()
    except StatusError as exc:
        if exc.code == "status.invalid_argument":  # no such registry yet: create it
            return
        raise
    raise _usage(f"the database already holds a status registry for {list_url}")


def _cmd_allocate(args: argparse.Namespace) -> int:

    credential_id = _credential_id(args)
    with _open(args.registry, args.list_url) as registry:
        entry = registry.allocate(credential_id).to_json()
    if args.credential is None:
        _write(_dump(entry), args.output)
        return 0
    credential = _read_json(args.credential)
    current = credential.get("credentialStatus")
    existing = [] if current is None else current if isinstance(current, list) else [current]
    if entry not in existing:
        existing.append(entry)
    credential["credentialStatus"] = existing[0] if len(existing) == 1 else existing
    _write(_dump(credential), args.output)
    return 0


def _change(action: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        credential_id = _credential_id(args)
        with _open(args.registry, args.list_url) as registry:
            getattr(registry, action)(credential_id)
            value = registry.value(credential_id)
        sys.stdout.write(f"{action}: status value is now {value}\n")
        return 0

    return run


def _list_issuer(published: dict[str, Any] | str | None) -> str | None:
    """The issuer of a published list credential (object or compact token), if it names one."""
    from did_gov._encoding import b64url_decode
    from did_gov.errors import DidGovError

    document: Any = published
    if isinstance(published, str):
        try:
            document = json.loads(b64url_decode(published.split(".")[1]))
        except (DidGovError, ValueError, IndexError, UnicodeDecodeError):
            return None
    if not isinstance(document, dict):
        return None
    found = document.get("issuer", document.get("iss"))
    found = found.get("id") if isinstance(found, dict) else found
    return found if isinstance(found, str) else None


def _check_issuer(path: str, published: dict[str, Any] | str | None, issuer: str) -> None:
    """Refuse to sign a registry's list with a key of another issuer than its earlier lists'.

    Verifiers accept a list only from the credential's issuer: a list signed by another key
    would make every credential of the registry fail its status check (or, signed by an
    intruder's key, let that key speak for the agency).
    """
    from did_gov.errors import StatusError

    previous = _list_issuer(published)
    if previous is not None and previous != issuer:
        raise StatusError(
            f"{path} publishes the status list of {previous}; this key signs for {issuer}. "
            "Use that issuer's key (and --verification-method for a DID that is not did:key)",
            code="status.issuer_mismatch",
        )


def _cmd_publish(args: argparse.Namespace) -> int:
    from did_gov._api import issue
    from did_gov.cli import _load_key
    from did_gov.cli._io import parse_time as _parse_time
    from did_gov.credentials import utc_now
    from did_gov.dids import did_key

    key = _load_key(args.key, args)
    at = _parse_time(args.at, "--at") or utc_now().replace(microsecond=0)
    method = args.verification_method or did_key.verification_method_id(key.public_key)
    issuer = method.split("#", 1)[0]

    def secure(unsigned: dict[str, Any]) -> dict[str, Any]:
        return issue(
            unsigned,
            key,
            cryptosuite=args.cryptosuite,
            verification_method=args.verification_method,
            now=at,
        )

    with _open(args.registry, args.list_url) as registry:
        _check_issuer(args.registry, registry.latest_publication(), issuer)
        published = registry.publish(
            issuer,
            secure,
            now=at,
            valid_for=parse_duration(args.valid_for, "--valid-for"),
            ttl=None if args.ttl is None else parse_duration(args.ttl, "--ttl"),
        )
    _write(_dump(published), args.output)
    return 0


def _registry_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("registry", metavar="REGISTRY", help="a registry file or postgresql:// URL")
    parser.add_argument(
        "--list-url", help="the list to use, in a database that holds several registries"
    )


def _credential_args(parser: argparse.ArgumentParser) -> None:
    _registry_args(parser)
    parser.add_argument("credential_id", metavar="CREDENTIAL_ID", nargs="?")
    parser.add_argument("--credential", metavar="FILE", help="take the id from this credential")


def add_status_parser(verbs: Any) -> None:
    """Add ``status create|allocate|revoke|suspend|reinstate|publish`` to the verbs."""
    status = verbs.add_parser("status", help="the issuer's status list registry").add_subparsers(
        dest="action", required=True
    )
    create = status.add_parser("create", help="create a registry for one status list")
    create.add_argument("registry", metavar="REGISTRY", help="a new file, or a postgresql:// URL")
    create.add_argument("--list-url", required=True, help="URL the list credential is served at")
    create.add_argument("--purpose", required=True, choices=_PURPOSES)
    create.add_argument("--size", type=int, help="entries (default and minimum 131072)")
    create.add_argument("--status-size", type=int, help="bits per entry (default 1)")
    create.add_argument(
        "--message", action="append", help="message of value 0, 1, … (repeat; 2^status-size)"
    )
    create.set_defaults(func=_cmd_create)

    allocate = status.add_parser("allocate", help="give a credential a random index")
    _credential_args(allocate)
    allocate.add_argument("-o", "--output", metavar="FILE")
    allocate.set_defaults(func=_cmd_allocate)
    for action, text in [
        ("revoke", "revoke a credential (permanent)"),
        ("suspend", "suspend a credential"),
        ("reinstate", "lift a suspension"),
    ]:
        change = status.add_parser(action, help=text)
        _credential_args(change)
        change.set_defaults(func=_change(action))

    publish = status.add_parser("publish", help="sign and print the current list credential")
    _registry_args(publish)
    add_key_argument(publish, required=True, help="private JWK or Multikey key-pair JSON")
    publish.add_argument("--verification-method", help="DID URL of the key (default: did:key)")
    publish.add_argument("--cryptosuite")
    publish.add_argument("--valid-for", default="1d", help="validUntil - validFrom (default 1d)")
    publish.add_argument("--ttl", help="the list's ttl (e.g. 1h)")
    publish.add_argument("--at", help="validFrom and proof time (ISO 8601; default now)")
    publish.add_argument("-o", "--output", metavar="FILE", help="replace FILE atomically")
    publish.set_defaults(func=_cmd_publish)
