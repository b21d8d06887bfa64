"""Every stable error code did_gov can emit is documented in specs/error-codes.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
CHECK_BUILDERS = {"fail", "unknown", "Check", "_problem", "problem", "ProblemError", "_bad"}


def _codes_in(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    found.add(str(keyword.value.value))
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in CHECK_BUILDERS:
                for arg in node.args[:3]:
                    if (
                        isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and CODE.fullmatch(arg.value)
                    ):
                        found.add(arg.value)
        elif (
            isinstance(node, ast.Assign)
            and any(getattr(t, "id", "") == "code" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found.add(node.value.value)
    return {code for code in found if CODE.fullmatch(code)}


def test_every_code_is_documented() -> None:
    documented = set(
        re.findall(
            r"`([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)`", (ROOT / "specs" / "error-codes.md").read_text()
        )
    )
    used: set[str] = set()
    for path in (ROOT / "did_gov").rglob("*.py"):
        used |= _codes_in(path)
    missing = sorted(used - documented)
    assert not missing, f"undocumented error codes: {missing}"
