"""Layers enforced: a module imports only from layers below it (the package table of the architecture, DESIGN.md; RANKS copies it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lower rank = lower layer. A module may import from its own layer and lower ranks.
RANKS = {
    "errors": 0,
    "_encoding": 0,
    "_json": 0,
    "limits": 0,
    "_time": 0,
    "_log": 0,
    "_postgres": 0,
    "_sqlite": 0,
    "_asgi": 0,
    "keys": 1,
    "dids": 2,
    "jsonld": 3,
    "credentials": 4,
    "proofs": 5,
    "status": 6,
    "ledger": 6,
    "dids.gov": 7,  # did:gov verifies anchor receipts: above the ledger, below trust
    "trust": 8,
    "verify": 9,
    "testing": 9,
    "_api": 10,
    "approval": 10,
    "cli": 11,
    "kiosk": 11,
    "service": 11,
    "__init__": 12,
    "__main__": 12,
    "py": 12,
}
# Explicit "knows nothing of" rules from DESIGN.md beyond the ordering.
FORBIDDEN = {"ledger": {"credentials", "proofs", "status", "dids", "jsonld"}}


def _is_gov(parts: tuple[str, ...] | list[str]) -> bool:
    """did_gov/dids/gov.py and its private modules dids/_gov_*.py form the layer "dids.gov"."""
    return (
        len(parts) > 1
        and parts[0] == "dids"
        and parts[1].removesuffix(".py").lstrip("_")[:3] == "gov"
    )


def _layer_of(path: Path) -> str:
    relative = path.relative_to(ROOT / "did_gov")
    if _is_gov(relative.parts):
        return "dids.gov"
    return relative.parts[0].removesuffix(".py")


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "did_gov" and len(parts) > 1:
                found.add("dids.gov" if _is_gov(parts[1:]) else parts[1])
    return found


SOURCES = sorted((ROOT / "did_gov").rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_imports_point_down(path: Path) -> None:
    layer = _layer_of(path)
    if path.name == "__init__.py" and path.parent == ROOT / "did_gov":
        return
    rank = RANKS[layer]
    for imported in _imported_layers(path):
        assert RANKS[imported] <= rank, f"{layer} imports {imported}, a layer above it"
        assert imported not in FORBIDDEN.get(layer, set()), (
            f"{layer} must know nothing of {imported}"
        )
