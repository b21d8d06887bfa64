"""did_gov.testing.postgres: the server the PostgreSQL tests run on is confined as promised."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

import psycopg
import pytest

from did_gov.testing.postgres import PostgresServer, postgres_bindir

pytestmark = pytest.mark.e2e


def test_the_binaries_are_found_through_pg_config() -> None:
    bindir = postgres_bindir()
    assert (bindir / "initdb").is_file() and (bindir / "postgres").is_file()


def test_the_server_listens_on_loopback_with_its_socket_in_its_folder(postgres: Any) -> None:
    assert isinstance(postgres, PostgresServer)
    with psycopg.connect(postgres.url()) as db:
        settings = dict(
            db.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN"
                " ('listen_addresses', 'unix_socket_directories', 'port', 'data_directory')"
            ).fetchall()
        )
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["port"] == str(postgres.port)
    assert Path(settings["unix_socket_directories"]) == postgres.directory
    assert Path(settings["data_directory"]) == postgres.data
    assert list(postgres.directory.glob(".s.PGSQL.*")), "the unix socket is in the folder"


def test_as_root_the_server_runs_as_the_postgres_user(postgres: Any) -> None:
    owner = postgres.data.stat().st_uid
    if os.geteuid() == 0:
        assert owner == pwd.getpwnam("postgres").pw_uid
        assert postgres.directory.stat().st_uid == owner
    else:
        assert owner == os.geteuid()


def test_tcp_logins_need_the_password(postgres: Any) -> None:
    wrong = postgres.url().replace(postgres.password, "guess")
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(wrong).close()


def test_pid_is_the_postmaster_that_serves_the_cluster(postgres: Any) -> None:
    with psycopg.connect(postgres.url()) as db:
        backend = db.execute("SELECT pg_backend_pid()").fetchone()[0]
        stat = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
    assert postgres.pid is not None and int(stat[1]) == postgres.pid  # the backend's parent
