"""Shared fixtures: the official vectors kept in tests/vectors, a fixed clock, a PostgreSQL server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Generation speed depends on the machine's load, not on the code: a loaded CI box
# must not fail a property (or a docstring example) for being slow to draw inputs.
settings.register_profile("did_gov", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("did_gov")

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def load_vector(relative: str) -> Any:
    """Parse a JSON vector file under tests/vectors."""
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


def vector_text(relative: str) -> str:
    """The exact text of a vector file."""
    return (VECTORS / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The tests/vectors directory (one folder per suite, each with its PROVENANCE.md)."""
    if not VECTORS.is_dir():
        pytest.fail(f"vectors not found at {VECTORS}")
    return VECTORS


@pytest.fixture
def now() -> datetime:
    """A fixed moment for validity checks."""
    return NOW


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One SoftHSM2 token for the session (SoftHSM2 reads its configuration once per process).

    `make install` installs SoftHSM2 (as root, with apt-get); in CI a missing one fails.
    """
    from did_gov.errors import HsmError
    from did_gov.testing.softhsm import SoftHsm

    try:
        hsm = SoftHsm.start(tmp_path_factory.mktemp("softhsm"))
    except HsmError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"SoftHSM2 is needed in CI: {exc.message}")
        pytest.skip(f"SoftHSM2 not available: {exc.message}")
    with hsm:
        yield hsm


# -- PostgreSQL: one real server per session (did_gov.testing.postgres) ---------------------

POSTGRES_DATABASE = "did_gov_tests"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A PostgreSQL server from the system's packages on a free loopback port.

    Never skipped: if it cannot start, every test that needs it fails with the reason.
    """
    from did_gov.testing.postgres import PostgresServer

    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_database(postgres: Any) -> str:
    """The URL of the session's test database (shared; tests reset it or use unique names)."""
    return str(postgres.create_database(POSTGRES_DATABASE))


def reset_postgres(url: str) -> None:
    """Drop everything did_gov stored in the database at ``url``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS did_gov CASCADE")


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The test database, emptied of did_gov's tables before the test."""
    reset_postgres(postgres_database)
    return postgres_database


def postgres_sql(url: str, statement: str, *args: Any) -> list[Any]:
    """Run one statement on the database at ``url`` (autocommit); return its rows, if any."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement, args or None)
        return cursor.fetchall() if cursor.description else []


def terminate_sessions(url: str) -> None:
    """End every other session on the database, as a server restart or a dropped socket would."""
    postgres_sql(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )


@contextmanager
def foreign_table(url: str) -> Iterator[None]:
    """Another application's table in the database (``public.citizens``) while in the block."""
    postgres_sql(url, "CREATE TABLE public.citizens(name text)")
    try:
        yield
    finally:
        postgres_sql(url, "DROP TABLE public.citizens")
