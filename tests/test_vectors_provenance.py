"""The vectors in tests/vectors: every suite names its source, version and licence, and lists its files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import VECTORS

SUITES = sorted(p for p in VECTORS.iterdir() if p.is_dir())


def test_vectors_live_inside_the_repository() -> None:
    """A clean clone needs nothing beside it: every vector the tests read is under tests/vectors."""
    assert VECTORS.is_dir()
    assert VECTORS.resolve().is_relative_to(Path(__file__).resolve().parent)
    assert SUITES


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_suite_has_provenance(suite: Path) -> None:
    """PROVENANCE.md states source, version, specification and licence, each non-empty."""
    text = (suite / "PROVENANCE.md").read_text(encoding="utf-8")
    for field in ("Source", "Version", "Specification", "Licence"):
        assert re.search(rf"^- \*\*{field}\*\*: \S", text, re.M), f"{suite.name}: no {field}"


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_provenance_lists_exactly_the_files(suite: Path) -> None:
    """The file list in PROVENANCE.md matches the folder: nothing unaccounted for, nothing missing."""
    text = (suite / "PROVENANCE.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^- `([^`]+)`$", text.split("## Files", 1)[1], re.M))
    present = {
        str(p.relative_to(suite))
        for p in suite.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.md"
    }
    assert listed == present
