"""A local EVM node for tests and benchmarks: foundry's ``anvil`` on a free loopback port.

The binary comes from the pinned npm package ``@foundry-rs/anvil`` that ``make install``
puts under ``contracts/node_modules`` of a source tree (its per-platform package ships the
executable); an installed did_gov finds it through ``DID_GOV_ANVIL`` (the executable's
path) or ``anvil`` on ``PATH``.
:class:`Anvil` starts it on ``127.0.0.1``, waits (bounded) until it answers JSON-RPC, funds
accounts, and stops it; nothing listens beyond the loopback interface.

>>> with Anvil.start() as node:                      # doctest: +SKIP
...     node.fund(writer_address(key))
...     log = open_ledger(f"evm+{node.url}?contract=…", …)
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from did_gov.errors import LedgerError

__all__ = ["Anvil", "anvil_binary"]

_PLATFORMS = {
    ("linux", "x86_64"): "linux-amd64",
    ("linux", "aarch64"): "linux-arm64",
    ("linux", "arm64"): "linux-arm64",
    ("darwin", "x86_64"): "darwin-amd64",
    ("darwin", "arm64"): "darwin-arm64",
    ("win32", "amd64"): "win32-amd64",
}


_SOURCE_NODE_MODULES = Path(__file__).resolve().parents[2] / "contracts" / "node_modules"
"""Where ``make install`` puts the npm packages, when did_gov runs from its source tree."""


def anvil_binary(node_modules: Path | None = None) -> Path:
    """The ``anvil`` executable: under ``node_modules``, else ``DID_GOV_ANVIL``, the source
    tree's ``contracts/node_modules``, or ``anvil`` on ``PATH``, in that order."""
    if node_modules is None:
        explicit = os.environ.get("DID_GOV_ANVIL")
        if explicit:
            if Path(explicit).is_file():
                return Path(explicit)
            raise LedgerError(f"DID_GOV_ANVIL={explicit} is not a file", code="evm.anvil_missing")
    base = (_SOURCE_NODE_MODULES if node_modules is None else node_modules) / "@foundry-rs"
    name = "anvil.exe" if sys.platform == "win32" else "anvil"
    suffix = _PLATFORMS.get((sys.platform, platform.machine().lower()))
    candidates = [base / "anvil" / name]  # where its postinstall puts a fallback copy
    if suffix is not None:
        candidates.insert(0, base / f"anvil-{suffix}" / "bin" / name)
    for path in candidates:
        if path.is_file():
            return path
    on_path = shutil.which(name) if node_modules is None else None
    if on_path is not None:
        return Path(on_path)
    raise LedgerError(
        f"no anvil binary under {base} for {sys.platform}/{platform.machine()} nor on PATH "
        "(run `make install`, or set DID_GOV_ANVIL)",
        code="evm.anvil_missing",
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Anvil:
    """A running anvil node; use :meth:`start` and stop it with :meth:`stop` (or ``with``)."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    @classmethod
    def start(cls, *, startup_timeout: float = 30.0, binary: Path | None = None) -> Anvil:
        """Start anvil on a free loopback port; return once it answers ``eth_chainId``."""
        executable = anvil_binary() if binary is None else binary
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603 - a fixed executable and arguments
            [str(executable), "--host", "127.0.0.1", "--port", str(port), "--silent"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        node = cls(process, port)
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise LedgerError(
                    f"anvil exited with {process.returncode}: {error[-500:]}",
                    code="evm.anvil_failed",
                )
            try:
                node.rpc("eth_chainId")
                return node
            except OSError:
                if time.monotonic() > deadline:
                    node.stop()
                    raise LedgerError(
                        f"anvil did not answer on port {port} within {startup_timeout} s",
                        code="evm.anvil_failed",
                    ) from None
                time.sleep(0.05)

    def rpc(self, method: str, *params: object) -> Any:
        """One JSON-RPC call to the node; raises ``OSError`` if it does not answer."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
            self.url, body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            reply = json.loads(answer.read())
        if "error" in reply:
            raise LedgerError(f"anvil {method}: {reply['error']}", code="evm.anvil_failed")
        return reply["result"]

    def fund(self, address: str, wei: int = 10**21) -> None:
        """Give ``address`` a balance (anvil's ``anvil_setBalance``)."""
        self.rpc("anvil_setBalance", address, hex(wei))

    def stop(self) -> None:
        """Stop the node (terminate, then kill after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> Anvil:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
