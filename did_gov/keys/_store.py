"""Key files: a plain private JWK (the default) or a passphrase-encrypted JWE of one.

Writing never overwrites unless asked, never exposes a half-written file, and
creates the file with mode 0600. Encryption is RFC 7516 JWE (compact form,
``cty: jwk+json`` as RFC 7517 §7 describes an encrypted JWK) with
``PBES2-HS512+A256KW`` key wrapping and ``A256GCM`` content encryption, done by
jwcrypto.

>>> import tempfile, pathlib
>>> from did_gov.keys import PrivateKey, load_private_key
>>> key = PrivateKey.from_seed("ed25519", bytes(32))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "agency.jwk"
>>> key.save(path, passphrase="correct horse battery staple")
>>> load_private_key(path, passphrase="correct horse battery staple").public_key == key.public_key
True
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from did_gov._encoding import b64url_encode
from did_gov.errors import InvalidInputError, KeyFormatError, KeyPassphraseError

if TYPE_CHECKING:
    from jwcrypto.jwk import JWK

    from did_gov.keys._keys import PrivateKey

__all__ = [
    "KEY_ENCRYPTION",
    "MIN_PASSPHRASE_LENGTH",
    "PASSPHRASE_ENV",
    "PBES2_ITERATIONS",
    "decrypt_jwk",
    "encrypt_jwk",
    "is_encrypted_key",
    "load_private_key",
    "read_passphrase_file",
    "save_private_key",
    "write_secret_file",
]

PASSPHRASE_ENV = "DID_GOV_KEY_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
"""The environment variable a key file's passphrase is read from when none is given."""
KEY_ENCRYPTION = ("PBES2-HS512+A256KW", "A256GCM")
"""The JWE ``alg`` and ``enc`` an encrypted key file is written with."""
PBES2_ITERATIONS = 16384
"""PBKDF2 iterations (``p2c``): the most jwcrypto accepts when decrypting (its guard against a
hostile ``p2c``), so every file we write can be read back by any jwcrypto."""
MIN_PASSPHRASE_LENGTH = 12
"""Shorter passphrases are refused when encrypting: the iteration count is bounded (above), so
the passphrase carries the strength."""
_MAX_KEY_FILE = 64 * 1024
_READ_ALGS = ["PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW"]
_READ_ENCS = ["A128GCM", "A192GCM", "A256GCM", "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512"]


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    if isinstance(passphrase, bytes):
        return passphrase
    if isinstance(passphrase, str):
        try:
            return passphrase.encode("utf-8")
        except UnicodeEncodeError:
            pass
    raise KeyPassphraseError(
        "a passphrase is a UTF-8 string or bytes", code="key.passphrase_invalid"
    )


def _password_jwk(secret: bytes) -> JWK:
    """The passphrase as the ``oct`` key PBES2 derives from (RFC 7518 §4.8: the password is the key)."""
    from jwcrypto.jwk import JWK

    return JWK(kty="oct", k=b64url_encode(secret))


def encrypt_jwk(jwk: dict[str, Any], passphrase: str | bytes) -> str:
    """A private JWK encrypted under ``passphrase``: a compact JWE (RFC 7516 §7.1)."""
    secret = _passphrase_bytes(passphrase)
    if len(secret) < MIN_PASSPHRASE_LENGTH:
        raise KeyPassphraseError(
            f"a key-file passphrase has at least {MIN_PASSPHRASE_LENGTH} characters",
            code="key.passphrase_weak",
        )
    from jwcrypto.jwe import JWE

    alg, enc = KEY_ENCRYPTION
    header = {"alg": alg, "enc": enc, "cty": "jwk+json", "p2c": PBES2_ITERATIONS}
    token = JWE(
        json.dumps(jwk, separators=(",", ":")).encode("utf-8"),
        protected=json.dumps(header),
    )
    token.add_recipient(_password_jwk(secret))
    compact: str = token.serialize(compact=True)
    return compact


def decrypt_jwk(token: str, passphrase: str | bytes) -> dict[str, Any]:
    """The JWK inside an encrypted key file; a wrong passphrase raises KeyPassphraseError."""
    from jwcrypto.common import JWException
    from jwcrypto.jwe import JWE

    jwe = JWE(algs=_READ_ALGS + _READ_ENCS)
    try:
        jwe.deserialize(token.strip())
    except (JWException, ValueError) as exc:
        raise KeyFormatError(f"the encrypted key file is not a JWE: {exc}") from None
    header = jwe.jose_header
    if header.get("alg") not in _READ_ALGS:
        raise KeyFormatError(
            f"an encrypted key file uses PBES2 key wrapping, not {header.get('alg')!r}"
        )
    count = header.get("p2c")
    if (
        not isinstance(count, int)
        or isinstance(count, bool)
        or not 1000 <= count <= PBES2_ITERATIONS
    ):
        # Bounded before any work: a hostile p2c would make opening the file a denial of service.
        raise KeyFormatError(f"p2c must be an integer from 1000 to {PBES2_ITERATIONS}")
    try:
        jwe.decrypt(_password_jwk(_passphrase_bytes(passphrase)))
    except (JWException, ValueError):
        raise KeyPassphraseError(
            "cannot decrypt the key file: wrong passphrase, or the file was altered",
            code="key.passphrase_invalid",
        ) from None
    try:
        jwk = json.loads(jwe.payload)
    except (ValueError, UnicodeDecodeError):
        raise KeyFormatError("the encrypted key file does not hold a JSON JWK") from None
    if not isinstance(jwk, dict):
        raise KeyFormatError("the encrypted key file does not hold a JSON JWK")
    return jwk


def is_encrypted_key(text: str) -> bool:
    """True for the text of an encrypted key file (a compact JWE: five base64url parts)."""
    stripped = text.strip()
    return not stripped.startswith("{") and stripped.count(".") == 4


def read_passphrase_file(path: str | os.PathLike[str]) -> bytes:
    """A passphrase file's contents without its final line break."""
    try:
        data = Path(path).read_bytes()[:_MAX_KEY_FILE]
    except OSError as exc:
        raise KeyPassphraseError(
            f"cannot read passphrase file {os.fspath(path)!r}: {exc.strerror}",
            code="key.passphrase_required",
        ) from None
    return data[:-2] if data.endswith(b"\r\n") else data.removesuffix(b"\n")


def _ask_passphrase(what: str) -> bytes:
    """The passphrase from ``DID_GOV_KEY_PASSPHRASE``, else a prompt on a terminal, else an error."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return env.encode("utf-8")
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Passphrase for {what}: ").encode("utf-8")
    raise KeyPassphraseError(
        f"{what} is encrypted: give its passphrase (passphrase=, --passphrase-file or "
        f"{PASSPHRASE_ENV}); there is no terminal to ask on",
        code="key.passphrase_required",
    )


def write_secret_file(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically.

    The bytes go to a temporary file (``O_EXCL``, mode 0600) in the same
    directory, flushed to disk, then take the name in one step: ``link`` when
    the name must be new (an existing file, or a symlink planted there, is
    refused with ``key.file_exists``), ``rename`` when ``overwrite`` is set.
    A reader never sees a partial key, and a crash leaves no half-written one.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot write {os.fspath(path)}: {exc.strerror}", code="key.write_failed"
        ) from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            _link_new(tmp, target, data)
    except FileExistsError:
        raise InvalidInputError(
            f"{os.fspath(path)} exists: refusing to overwrite a key file (use --force / "
            "overwrite=True)",
            code="key.file_exists",
        ) from None
    except OSError as exc:
        raise InvalidInputError(
            f"cannot write {os.fspath(path)}: {exc.strerror}", code="key.write_failed"
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _link_new(tmp: str, target: Path, data: bytes) -> None:
    try:
        os.link(tmp, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # A file system without hard links: create the name exclusively and write in place.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())


def save_private_key(
    key: PrivateKey,
    path: str | os.PathLike[str],
    *,
    passphrase: str | bytes | None = None,
    overwrite: bool = False,
) -> None:
    """Write ``key`` as a private JWK, or as its encrypted JWE when ``passphrase`` is given."""
    if passphrase is None:
        text = json.dumps(key.to_jwk(), indent=2) + "\n"
    else:
        text = encrypt_jwk(key.to_jwk(), passphrase) + "\n"
    write_secret_file(path, text.encode("utf-8"), overwrite=overwrite)


def load_private_key(
    source: str | os.PathLike[str] | dict[str, Any],
    *,
    passphrase: str | bytes | None = None,
) -> PrivateKey:
    """Load a private key from a file path or a parsed JSON object.

    Accepts a private JWK (``{"kty", "crv", "d", …}``), a Multikey key pair
    (``{"publicKeyMultibase", "secretKeyMultibase"}``; ``privateKeyMultibase``
    too), or an encrypted key file written by :meth:`PrivateKey.save`. The
    passphrase of an encrypted file is ``passphrase``, else the environment
    variable ``DID_GOV_KEY_PASSPHRASE``, else asked on the terminal; with no
    terminal, ``key.passphrase_required`` is raised (never a hidden prompt).
    """
    from did_gov.keys._keys import PrivateKey

    if isinstance(source, dict):
        data: Any = source
    else:
        data = _read_key_file(source, passphrase)
    if not isinstance(data, dict):
        raise KeyFormatError("a key file holds a JSON object")
    if "kty" in data:
        if "d" not in data:
            raise KeyFormatError("the JWK has no private member 'd'")
        return PrivateKey.from_jwk(data)
    secret = data.get("secretKeyMultibase", data.get("privateKeyMultibase"))
    if isinstance(secret, str):
        public = data.get("publicKeyMultibase")
        return PrivateKey.from_multikey(secret, public if isinstance(public, str) else None)
    raise KeyFormatError("not a private JWK or Multikey key pair")


def _read_key_file(source: str | os.PathLike[str], passphrase: str | bytes | None) -> Any:
    name = os.fspath(source)
    try:
        with open(source, "rb") as handle:
            raw = handle.read(_MAX_KEY_FILE + 1)
    except OSError as exc:
        raise KeyFormatError(f"cannot read key file {name!r}: {exc.strerror}") from None
    except ValueError:  # a path with a NUL byte
        raise KeyFormatError(f"cannot read key file {name!r}: not a path") from None
    if len(raw) > _MAX_KEY_FILE:
        raise KeyFormatError(f"key file {name!r} is larger than {_MAX_KEY_FILE} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFormatError(f"key file {name!r} is not UTF-8 text") from None
    if is_encrypted_key(text):
        secret = passphrase if passphrase is not None else _ask_passphrase(f"key file {name!r}")
        return decrypt_jwk(text, secret)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise KeyFormatError(f"key file is not JSON: {exc}") from None
