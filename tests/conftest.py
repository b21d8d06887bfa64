"""Shared fixtures: the official vectors beside the project, and a fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# CI has 2 shared cores: slow input generation is not a failure (the doctest of
# did_gov.testing tripped this health check under load). Assertions are unchanged.
settings.register_profile("did_gov", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("did_gov")

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT.parent / "shared" / "vectors"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def load_vector(relative: str) -> Any:
    """Parse a JSON vector file under ../shared/vectors."""
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


def vector_text(relative: str) -> str:
    """The exact text of a vector file."""
    return (VECTORS / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The ../shared/vectors directory."""
    if not VECTORS.is_dir():
        pytest.fail(f"shared vectors not found at {VECTORS}")
    return VECTORS


@pytest.fixture
def now() -> datetime:
    """A fixed moment for validity checks."""
    return NOW
