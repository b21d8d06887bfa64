"""Start a ``did-gov`` web server (``serve``, ``kiosk``) as a subprocess for tests and benchmarks.

:meth:`CliServer.start` runs ``python -m did_gov VERB ... --port 0`` (the server binds a free
loopback port and prints ``listening on URL``), waits for that line, then polls
``ready_path`` until it answers (no sleeping for readiness), and returns a handle with the
``url``. :meth:`CliServer.stop` ends it with SIGTERM (SIGKILL after a grace period);
:meth:`CliServer.kill` sends SIGKILL at once, as a crash would.

>>> with CliServer.start(["serve", "--no-auth", "--key", "key.json"]) as server:  # doctest: +SKIP
...     urllib.request.urlopen(server.url + "/health")
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from did_gov.errors import DidGovError

__all__ = ["CliServer", "ServerUnavailable"]

_LISTENING = "listening on "


class ServerUnavailable(DidGovError):
    """The server process exited, or did not answer in time."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="server.unavailable")


class CliServer(contextlib.AbstractContextManager["CliServer"]):
    """A running ``did-gov`` server process; use :meth:`start`, then :meth:`stop`."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        """Use :meth:`start`; this wraps a started process."""
        self.process = process
        self.log = log
        self.url = ""
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        if stream is None:
            return
        for line in stream:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    @classmethod
    def start(
        cls,
        args: Sequence[str],
        *,
        port: int = 0,
        ready_path: str | None = "/health",
        timeout: float = 60.0,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> CliServer:
        """Run ``did-gov *args --port PORT`` and return once it answers ``ready_path``."""
        log = Path(tempfile.mkstemp(prefix="did-gov-server-", suffix=".log")[1])
        with open(log, "wb") as errors:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
                [sys.executable, "-m", "did_gov", *args, "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
            )
        server = cls(process, log)
        try:
            server._wait(timeout, ready_path)
        except BaseException:
            server.kill()
            raise
        return server

    def _wait(self, timeout: float, ready_path: str | None) -> None:
        deadline = time.monotonic() + timeout
        while not self.url:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerUnavailable(
                    f"no 'listening on' line within {timeout} s: {self.stderr()}"
                )
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.process.wait(timeout=10)
                raise ServerUnavailable(
                    f"the server exited with {self.process.returncode}: {self.stderr()}"
                )
            if line.startswith(_LISTENING):
                self.url = line[len(_LISTENING) :].strip()
        while ready_path is not None:
            if self.process.poll() is not None:
                raise ServerUnavailable(
                    f"the server exited with {self.process.returncode}: {self.stderr()}"
                )
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=5) as answer:  # noqa: S310 - our loopback URL
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ServerUnavailable(f"{self.url}{ready_path} did not answer within {timeout} s")
            time.sleep(0.02)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def stderr(self) -> str:
        """What the server wrote on standard error so far (the last 4,000 characters)."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the server (a crash: nothing is flushed or closed)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._cleanup()

    def stop(self, grace: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after ``grace`` seconds; return the exit status."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._cleanup()
        return int(self.process.returncode)

    def _cleanup(self) -> None:
        self._reader.join(timeout=5)  # the pipe ends with the process
        if not self._reader.is_alive() and self.process.stdout is not None:
            self.process.stdout.close()
        self.log.unlink(missing_ok=True)

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"CliServer(pid={self.process.pid}, url={self.url!r})"
