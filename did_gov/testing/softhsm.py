"""A SoftHSM2 token for tests: a real PKCS#11 module over a token directory in a temporary folder.

SoftHSM2 comes from the operating system (Debian: ``apt-get install softhsm2``;
``make install`` does it when run as root). :meth:`SoftHsm.start` writes a
configuration file under the given directory, points ``SOFTHSM2_CONF`` at it,
initializes a token, and :meth:`SoftHsm.generate` makes key pairs inside the
token (private halves sensitive and never extractable), returning the RFC 7512
URI that :class:`~did_gov.keys.pkcs11.Pkcs11Signer` and every ``--key`` of the
command accept. SoftHSM2 reads its configuration once per process (at
``C_Initialize``): use one token directory per process at a time.

>>> with SoftHsm.start(tmp_path) as hsm:                        # doctest: +SKIP
...     uri = hsm.generate(KeyType.P256, "agency")
...     signer = Pkcs11Signer.from_uri(uri, module=hsm.module, pin=hsm.pin)

From a shell, ``python -m did_gov.testing.softhsm DIR --key p256:agency`` sets up a
token under ``DIR``, generates the keys, and prints the ``export`` lines that point
``did-gov`` at it (``eval "$(python -m did_gov.testing.softhsm ...)"``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from did_gov.errors import HsmError
from did_gov.keys import KeyType
from did_gov.keys.pkcs11 import MODULE_ENV, PIN_ENV, _binding, _library, open_session

__all__ = ["SOFTHSM_MODULES", "SoftHsm", "main", "softhsm_module"]

SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)
"""Where operating systems install the SoftHSM2 PKCS#11 module."""

_CURVE_NAMES = {KeyType.P256: "secp256r1", KeyType.P384: "secp384r1"}


def softhsm_module() -> str:
    """The path of the installed SoftHSM2 module; ``pkcs11.softhsm_missing`` when there is none."""
    for path in SOFTHSM_MODULES:
        if Path(path).is_file():
            return path
    raise HsmError(
        "SoftHSM2 is not installed (Debian: apt-get install softhsm2; `make install` does it as root)",
        code="pkcs11.softhsm_missing",
    )


class SoftHsm:
    """One initialized SoftHSM2 token in a directory of its own."""

    def __init__(self, directory: Path, module: str, label: str, pin: str) -> None:
        self.directory = directory
        self.module = module
        self.label = label
        self.pin = pin
        self.conf = directory / "softhsm2.conf"

    @classmethod
    def start(
        cls,
        directory: str | os.PathLike[str],
        *,
        label: str = "did-gov-test",
        pin: str = "1234",
        so_pin: str = "123456",
    ) -> SoftHsm:
        """Initialize a token labelled ``label`` under ``directory`` and point this process at it."""
        utility = shutil.which("softhsm2-util")
        module = softhsm_module()
        if utility is None:
            raise HsmError("softhsm2-util is not on PATH", code="pkcs11.softhsm_missing")
        base = Path(directory)
        tokens = base / "tokens"
        tokens.mkdir(parents=True, exist_ok=True)
        hsm = cls(base, module, label, pin)
        hsm.conf.write_text(
            f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
            encoding="utf-8",
        )
        os.environ["SOFTHSM2_CONF"] = str(hsm.conf)
        subprocess.run(  # noqa: S603 (a fixed executable and arguments)
            [utility, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
            check=True,
            capture_output=True,
            env={**os.environ, "SOFTHSM2_CONF": str(hsm.conf)},
            timeout=60,
        )
        lib = _library(module)
        lib.reinitialize()  # SoftHSM2 reads SOFTHSM2_CONF at C_Initialize: see the new token
        return hsm

    def env(self) -> dict[str, str]:
        """Environment variables for a ``did-gov`` subprocess that signs with this token."""
        return {"SOFTHSM2_CONF": str(self.conf), MODULE_ENV: self.module, PIN_ENV: self.pin}

    def uri(self, object_label: str) -> str:
        """The RFC 7512 URI of the key labelled ``object_label`` in this token."""
        return f"pkcs11:token={quote(self.label, safe='')};object={quote(object_label, safe='')}"

    def generate(self, key_type: KeyType, object_label: str) -> str:
        """Generate a key pair in the token (private half sensitive, not extractable); its URI."""
        _binding()
        from pkcs11 import Attribute, Mechanism
        from pkcs11 import KeyType as P11KeyType
        from pkcs11.util.ec import encode_named_curve_parameters

        token = _library(self.module).get_token(token_label=self.label)
        private = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
        with open_session(token, self.pin, rw=True) as session:
            if key_type is KeyType.ED25519:
                params = session.create_domain_parameters(
                    P11KeyType.EC_EDWARDS,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters("1.3.101.112")},
                    local=True,
                )
                params.generate_keypair(
                    mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                    store=True,
                    label=object_label,
                    private_template=private,
                )
            else:
                params = session.create_domain_parameters(
                    P11KeyType.EC,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters(_CURVE_NAMES[key_type])},
                    local=True,
                )
                params.generate_keypair(store=True, label=object_label, private_template=private)
        return self.uri(object_label)

    def __enter__(self) -> SoftHsm:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.directory / "tokens", ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Set up a token, generate keys, print shell ``export`` lines for it (try-out and tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m did_gov.testing.softhsm",
        description="A SoftHSM2 token for trying did-gov with an HSM (never for production keys).",
    )
    parser.add_argument("directory", help="where the token lives (created)")
    parser.add_argument("--label", default="did-gov-test", help="the token label")
    parser.add_argument("--pin", default="1234", help="the user PIN")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="TYPE:LABEL",
        help="generate a key: ed25519|p256|p384 and its object label (repeatable)",
    )
    args = parser.parse_args(argv)
    specs = []
    for spec in args.key:
        kind, sep, label = spec.partition(":")
        if not sep or not label:
            parser.error(f"--key {spec!r}: TYPE:LABEL, e.g. p256:agency")
        specs.append((KeyType.parse(kind), label))
    try:
        hsm = SoftHsm.start(Path(args.directory).resolve(), label=args.label, pin=args.pin)
        for key_type, label in specs:
            hsm.generate(key_type, label)
    except (HsmError, subprocess.CalledProcessError) as exc:
        sys.stderr.write(f"softhsm: {exc}\n")
        return 2
    for name, value in hsm.env().items():
        sys.stdout.write(f"export {name}={shlex.quote(value)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
