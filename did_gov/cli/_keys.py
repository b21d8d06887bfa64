"""The ``key`` verbs, and how every ``--key`` of the command becomes a :class:`~did_gov.keys.Signer`.

A ``--key`` is a key file: a private JWK, a Multikey key pair, or an encrypted
JWK (its passphrase from ``--passphrase-file``, else ``DID_GOV_KEY_PASSPHRASE``,
else asked on the terminal; never a prompt without one); or an RFC 7512
``pkcs11:`` URI of a key in an HSM (``did-gov[hsm]``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from did_gov.cli._io import UsageError
from did_gov.cli._io import read_json as _read_json

__all__ = ["add_key_argument", "load_signer", "register"]


def add_key_argument(
    parser: argparse.ArgumentParser, *, required: bool, help: str, flag: str = "--key"
) -> None:
    """Add ``--key`` (a key file) and ``--passphrase-file`` (for an encrypted one)."""
    parser.add_argument(
        flag, required=required, metavar="KEY", help=help + "; or a pkcs11: URI (HSM)"
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help=f"passphrase of an encrypted key file (default: ${_passphrase_env()})",
    )


def _passphrase_env() -> str:
    from did_gov.keys import PASSPHRASE_ENV

    return PASSPHRASE_ENV


def _passphrase(args: argparse.Namespace) -> bytes | None:
    path = getattr(args, "passphrase_file", None)
    if path is None:
        return None
    from did_gov.keys._store import read_passphrase_file

    return read_passphrase_file(path)


def load_signer(spec: str, args: argparse.Namespace) -> Any:
    """The Signer a ``--key`` value names: a key file (possibly encrypted), or an RFC 7512
    ``pkcs11:`` URI of a key in an HSM (module and PIN from the URI, else
    ``DID_GOV_PKCS11_MODULE`` / ``DID_GOV_PKCS11_PIN``)."""
    if spec.startswith("pkcs11:"):
        from did_gov.keys.pkcs11 import Pkcs11Signer

        return Pkcs11Signer.from_uri(spec)
    from did_gov.keys import load_private_key

    return load_private_key(spec, passphrase=_passphrase(args))


def _new_passphrase(args: argparse.Namespace) -> bytes:
    """The passphrase to encrypt with: the file, the environment, or asked twice on a terminal."""
    given = _passphrase(args)
    if given is not None:
        return given
    env = os.environ.get(_passphrase_env())
    if env is not None:
        return env.encode("utf-8")
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass("New key passphrase: ")
        if getpass.getpass("Repeat the passphrase: ") != first:
            raise UsageError("the passphrases differ")
        return first.encode("utf-8")
    raise UsageError(
        f"--encrypt needs a passphrase: --passphrase-file FILE or ${_passphrase_env()}"
    )


def _cmd_generate(args: argparse.Namespace) -> int:
    from did_gov.keys import KeyType, PrivateKey
    from did_gov.keys._store import encrypt_jwk

    if args.passphrase_file and not args.encrypt:
        raise UsageError("--passphrase-file needs --encrypt")
    if args.force and not args.output:
        raise UsageError("--force needs -o FILE")
    key_type = KeyType.parse(args.type)
    if args.seed is not None:
        try:
            seed = bytes.fromhex(args.seed)
        except ValueError:
            raise UsageError("--seed must be hexadecimal") from None
        key = PrivateKey.from_seed(key_type, seed)
    else:
        key = PrivateKey.generate(key_type)
    passphrase = _new_passphrase(args) if args.encrypt else None
    if args.output:
        key.save(args.output, passphrase=passphrase, overwrite=args.force)
    elif passphrase is not None:
        sys.stdout.write(encrypt_jwk(key.to_jwk(), passphrase) + "\n")
    else:
        sys.stdout.write(json.dumps(key.to_jwk(), indent=2) + "\n")
    return 0


def _public_key_of(spec: str, args: argparse.Namespace) -> Any:
    """The public key of a key file: private (plain or encrypted), a public JWK, or a Multikey."""
    from did_gov.cli._io import read_text
    from did_gov.keys import PublicKey
    from did_gov.keys._store import is_encrypted_key

    if spec.startswith("pkcs11:"):
        return load_signer(spec, args).public_key
    text = read_text(spec)
    stripped = text.strip()
    if is_encrypted_key(stripped):
        return load_signer(spec, args).public_key
    if stripped.startswith("z") and "\n" not in stripped:
        return PublicKey.from_multikey(stripped)
    data = _read_json(spec)
    if isinstance(data, dict) and ("d" in data or "secretKeyMultibase" in data):
        return load_signer(spec, args).public_key
    if isinstance(data, dict) and isinstance(data.get("publicKeyMultibase"), str):
        return PublicKey.from_multikey(data["publicKeyMultibase"])
    if isinstance(data, dict) and isinstance(data.get("publicKeyJwk"), dict):
        return PublicKey.from_jwk(data["publicKeyJwk"])
    return PublicKey.from_jwk(data)


def _cmd_show(args: argparse.Namespace) -> int:
    from did_gov.dids import did_jwk, did_key

    public = _public_key_of(args.key, args)
    if args.hash:
        sys.stdout.write(public.pre_rotation_hash() + "\n")
        return 0
    shown = {
        "keyType": public.key_type.value,
        "didKey": did_key.did_for_public_key(public),
        "didKeyVerificationMethod": did_key.verification_method_id(public),
        "didJwk": did_jwk.did_for_public_key(public),
        "publicKeyJwk": public.to_jwk(),
        "publicKeyMultibase": public.to_multikey(),
        "jwkThumbprint": public.jwk_thumbprint(),
        "preRotationHash": public.pre_rotation_hash(),
    }
    sys.stdout.write(json.dumps(shown, indent=2) + "\n")
    return 0


def register(verbs: Any) -> None:
    """Add ``key generate`` and ``key show`` to the command's verbs."""
    key = verbs.add_parser("key", help="key management").add_subparsers(
        dest="action", required=True
    )
    gen = key.add_parser("generate", help="write a new private JWK (or an encrypted one)")
    gen.add_argument("--type", default="ed25519", choices=["ed25519", "p256", "p384"])
    gen.add_argument("--seed", help="hex seed for a deterministic key (tests only)")
    gen.add_argument(
        "-o", "--output", help="write to FILE (new, mode 0600) instead of standard output"
    )
    gen.add_argument("--force", action="store_true", help="replace an existing -o FILE")
    gen.add_argument(
        "--encrypt",
        action="store_true",
        help="write a JWE of the JWK (PBES2-HS512+A256KW, A256GCM) under a passphrase",
    )
    gen.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help=f"--encrypt: the passphrase (default: ${_passphrase_env()}, or asked on a terminal)",
    )
    gen.set_defaults(func=_cmd_generate)

    show = key.add_parser(
        "show", help="print a key's DIDs, public JWK and Multikey (never the private key)"
    )
    show.add_argument(
        "key", metavar="KEY", help="a key file (private or public JWK, Multikey) or a pkcs11: URI"
    )
    show.add_argument(
        "--hash",
        action="store_true",
        help="print only its pre-rotation hash (did:webvh nextKeyHashes value)",
    )
    show.add_argument("--passphrase-file", metavar="FILE", help="for an encrypted key file")
    show.set_defaults(func=_cmd_show)
