"""A throw-away PostgreSQL server for tests and benchmarks, from the system's packages.

:meth:`PostgresServer.start` finds the server binaries through ``pg_config --bindir``
(Debian keeps ``initdb`` and ``postgres`` off ``PATH``), creates a cluster in a new
temporary folder, and runs it on ``127.0.0.1`` at a free port with its unix socket inside
that folder; nothing listens beyond the loopback interface. TCP logins need the cluster's
random password (SCRAM), which :meth:`PostgresServer.url` carries.

PostgreSQL refuses to run as root: when the tests run as root, the folder is given to the
package's ``postgres`` user and every server command runs as that user
(``runuser -u postgres --``). :meth:`stop` ends the server and removes the folder;
:meth:`restart` stops and starts it again on the same port and data, as an operator's
restart would. Only the standard library is used here (databases are created with the
package's ``createdb``), so the launcher does not depend on a driver.

>>> with PostgresServer.start() as server:                 # doctest: +SKIP
...     url = server.create_database("ledger")
...     log = open_ledger(url, log_key=key, origin="example.com/log")
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from did_gov.errors import DidGovError

__all__ = ["PostgresServer", "PostgresUnavailable", "postgres_bindir"]

SUPERUSER = "postgres"
"""The cluster's superuser (the role :meth:`PostgresServer.url` logs in as)."""
_SYSTEM_USER = "postgres"
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
    "log_destination": "stderr",
}


class PostgresUnavailable(DidGovError):
    """The PostgreSQL server could not be found, created or started."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="postgres.unavailable")


def postgres_bindir() -> Path:
    """The folder of ``initdb`` and ``postgres``: ``pg_config --bindir``, else Debian's layout."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            found = subprocess.run(  # noqa: S603 - the pg_config found on PATH
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            )
            candidates.append(Path(found.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass

    def version(path: str) -> int:
        number = Path(path).parent.parent.name
        return int(number) if number.isdigit() else 0

    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    candidates += [Path(p).parent for p in debian]
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, postgres) found through pg_config --bindir or "
        "under /usr/lib/postgresql; install Debian's postgresql package (`make install` does "
        "so when run as root)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer(contextlib.AbstractContextManager["PostgresServer"]):
    """A running PostgreSQL cluster in a temporary folder; use :meth:`start`, then :meth:`stop`."""

    def __init__(self, bindir: Path, directory: Path, port: int, password: str) -> None:
        """Use :meth:`start`; this records where a cluster lives."""
        self.bindir = bindir
        self.directory = directory
        self.port = port
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None
        self._as_user = os.geteuid() == 0

    @property
    def data(self) -> Path:
        """The cluster's data folder."""
        return self.directory / "data"

    @property
    def log_file(self) -> Path:
        """The server's log (stderr), kept until :meth:`stop` removes the folder."""
        return self.directory / "server.log"

    # -- life cycle --------------------------------------------------------------------------

    @classmethod
    def start(cls, *, startup_timeout: float = 60.0, bindir: Path | None = None) -> PostgresServer:
        """Create a cluster in a new temporary folder and start it; return once it accepts."""
        directory = Path(tempfile.mkdtemp(prefix="did-gov-pg-"))
        server = cls(bindir or postgres_bindir(), directory, _free_port(), secrets.token_hex(16))
        try:
            server._give_folder()
            server._initdb(startup_timeout)
            server._launch(startup_timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _give_folder(self) -> None:
        """When root, hand the folder to the package's ``postgres`` user (the server's owner)."""
        if not self._as_user:
            return
        try:
            owner = pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root, but there is no {_SYSTEM_USER!r} user to run PostgreSQL as "
                "(Debian's postgresql package creates it)"
            ) from None
        os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        if shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root, but runuser (util-linux) is missing")

    def _command(self, program: str, *args: str) -> list[str]:
        line = [str(self.bindir / program), *args]
        return ["runuser", "-u", _SYSTEM_USER, "--", *line] if self._as_user else line

    def _run(self, timeout: float, program: str, *args: str, secret: str | None = None) -> None:
        env = {**os.environ, "LC_ALL": "C"}
        if secret is not None:
            env["PGPASSWORD"] = secret
        try:
            done = subprocess.run(  # noqa: S603 - the cluster's own binaries
                self._command(program, *args),
                cwd=self.directory,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PostgresUnavailable(f"{program} failed: {exc}") from exc
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{program} exited with {done.returncode}: {(done.stderr or done.stdout)[-800:]}"
            )

    def _initdb(self, timeout: float) -> None:
        password_file = self.directory / "password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        if self._as_user:
            owner = pwd.getpwnam(_SYSTEM_USER)
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        password_file.chmod(0o600)
        try:
            self._run(
                timeout,
                "initdb",
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                f"--pwfile={password_file}",
                "--no-sync",
            )
        finally:
            password_file.unlink(missing_ok=True)

    def _launch(self, timeout: float) -> None:
        """Start ``postgres`` in the foreground (a child of this process); wait until ready."""
        settings = {
            **_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": str(self.directory),
        }
        args = [f"-c{name}={value}" for name, value in settings.items()]
        with open(self.log_file, "ab") as log:
            if self._as_user:
                owner = pwd.getpwnam(_SYSTEM_USER)
                os.chown(self.log_file, owner.pw_uid, owner.pw_gid)
            self.process = subprocess.Popen(  # noqa: S603 - the cluster's own binary
                self._command("postgres", "-D", str(self.data), *args),
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env={**os.environ, "LC_ALL": "C"},
                start_new_session=True,
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Wait until ``postmaster.pid`` says ``ready`` and the port accepts connections."""
        deadline = time.monotonic() + timeout
        process = self.process
        if process is None:
            raise PostgresUnavailable("postgres was not started")
        while True:
            if process.poll() is not None:
                raise PostgresUnavailable(
                    f"postgres exited with {process.returncode}: {self._log_tail()}"
                )
            if self._status() == "ready" and self._accepts():
                return
            if time.monotonic() > deadline:
                raise PostgresUnavailable(
                    f"postgres did not become ready on port {self.port} within {timeout} s: "
                    f"{self._log_tail()}"
                )
            time.sleep(0.05)

    def _status(self) -> str:
        try:
            lines = (self.data / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        except OSError:
            return ""
        return lines[7].strip() if len(lines) > 7 else ""

    @property
    def pid(self) -> int | None:
        """The postmaster's process id (None while the server is not running)."""
        return self._postmaster_pid()

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.data / "postmaster.pid").read_text(encoding="utf-8").split("\n", 1)[0]
        except OSError:
            return None
        return int(first) if first.strip().isdigit() else None

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-800:]
        except OSError:
            return "(no server log)"

    def _shutdown(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT to the postmaster: sessions are ended, nothing is lost)."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            pid = self._postmaster_pid()
            # The postmaster may be a child of runuser: signal it, not runuser.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid if pid is not None else process.pid, signal.SIGINT)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.process = None

    def restart(self, *, timeout: float = 60.0, down_for: float = 0.0) -> None:
        """Stop the server (fast shutdown), wait ``down_for`` seconds, start it again."""
        self._shutdown(timeout)
        if down_for > 0:
            time.sleep(down_for)
        self._launch(timeout)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self._shutdown()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for ``database`` on this server (TCP, with the password)."""
        return (
            f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"
            "?connect_timeout=10"
        )

    def create_database(self, name: str) -> str:
        """Create an empty database (``createdb``) and return its URL."""
        self._run(
            60.0,
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            name,
            secret=self.password,
        )
        return self.url(name)

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PostgresServer(port={self.port}, directory={str(self.directory)!r})"
