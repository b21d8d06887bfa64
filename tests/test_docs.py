"""Every README block runs as written, in order, and every docstring example runs.

The README's ```python, ```sh and ```console blocks execute one after another in one
temporary directory (a shell block with the venv's ``did-gov`` first on ``PATH``, a python
block in-process with that directory as the working directory), so a block may use the
files an earlier block made, as a reader following the README would. The only block not
run here is the one of ``make`` commands: CI runs ``make test`` itself (``.ci/run``) and
tests/examples runs the demo.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

import did_gov
from tests.conftest import ROOT


def _modules() -> list[str]:
    names = ["did_gov"]
    for info in pkgutil.walk_packages(did_gov.__path__, "did_gov."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _readme_blocks() -> list[tuple[str, str]]:
    """(language, code) of every fenced block of the README, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


def _is_make_block(code: str) -> bool:
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.startswith("#")]
    return bool(lines) and all(ln.startswith("make ") for ln in lines)


def _console_to_shell(code: str) -> str:
    """The commands of a console transcript: lines after ``$ `` (output lines dropped)."""
    return "\n".join(ln[2:] for ln in code.splitlines() if ln.startswith("$ "))


@dataclass
class _Reader:
    """Someone following the README from the top, in one working directory."""

    workdir: Path
    done: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)

    def run_through(self, index: int) -> None:
        for earlier in range(index + 1):
            if earlier in self.failed:
                pytest.fail(f"README block {earlier} failed: {self.failed[earlier]}")
            if earlier not in self.done:
                try:
                    self._run(earlier)
                except BaseException as exc:
                    self.failed[earlier] = str(exc)[-3000:]
                    raise
                self.done.add(earlier)

    def _run(self, index: int) -> None:
        language, code = _readme_blocks()[index]
        if language == "python":
            self._python(index, code)
        elif language in ("sh", "console"):
            if language == "console":
                code = _console_to_shell(code)
            if not _is_make_block(code):
                self._shell(index, code)

    def _python(self, index: int, code: str) -> None:
        before = Path.cwd()
        os.chdir(self.workdir)
        try:
            exec(compile(code, f"README.md[block {index}]", "exec"), {"__name__": "readme"})  # noqa: S102
        finally:
            os.chdir(before)

    def _shell(self, index: int, code: str) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DID_GOV_") and k != "PYTHONPATH"
        }
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["HOME"] = str(self.workdir)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code],
            cwd=self.workdir, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(
                f"README block {index} (sh) exited {done.returncode}\n--- stdout\n"
                f"{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
            )


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> _Reader:
    """One README reader (one working directory) for the whole module."""
    return _Reader(tmp_path_factory.mktemp("readme"))


_RUNNABLE = [
    i for i, (language, _) in enumerate(_readme_blocks()) if language in ("python", "sh", "console")
]


def test_every_readme_code_block_is_run() -> None:
    """No README code block escapes: each is python, sh or console (the make block aside)."""
    blocks = _readme_blocks()
    assert {language for language, _ in blocks} <= {"python", "sh", "console", "text", "json"}
    assert sum(_is_make_block(code) for _, code in blocks) == 1
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("index", _RUNNABLE)
def test_readme_block_runs_as_written(reader: _Reader, index: int) -> None:
    """README block ``index`` runs after all the blocks above it, in the same directory."""
    reader.run_through(index)


@pytest.mark.parametrize("name", _modules())
def test_public_names_have_docstrings(name: str) -> None:
    module = importlib.import_module(name)
    for public in getattr(module, "__all__", []):
        obj = getattr(module, public)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{name}.{public} has no docstring"
