"""The built wheel stands alone: installed in a fresh venv, it runs the demo and the evm flow.

Nothing of the source tree is importable there: the wheel is built from a copy of the
project, installed with its ``[evm]`` extra into a new virtual environment, and run from a
directory outside the tree. Only the anvil executable comes from ``make install`` (through
``DID_GOV_ANVIL``), as a deployment would take its node from elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from did_gov.testing.anvil import anvil_binary
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

_SKIP = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "__pycache__", "*.egg-info", "build", "dist", ".*_cache",
    ".hypothesis", "tests", "bench",
)  # fmt: skip


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the project."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=_SKIP)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", base / "dist", source,
         cwd=base)  # fmt: skip
    [built] = (base / "dist").glob("did_gov-*.whl")
    return built


def test_the_wheel_ships_the_contract_and_the_contexts(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "did_gov/ledger/_contracts/AnchorRegistry.json" in names
    assert "did_gov/py.typed" in names
    assert any(n.startswith("did_gov/jsonld/contexts/") for n in names)
    assert not any(n.startswith(("contracts/", "tests/")) for n in names)


def test_a_fresh_venv_runs_the_demo_with_the_evm_flow(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", f"{wheel}[evm]", cwd=tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ, "DID_GOV_ANVIL": str(anvil_binary())}
    env.pop("PYTHONPATH", None)
    where = _run(python, "-c", "import did_gov; print(did_gov.__file__)", cwd=outside, env=env)
    assert Path(where.strip()).is_relative_to(env_dir)
    demo = shutil.copy(ROOT / "examples" / "demo.py", outside / "demo.py")
    out = _run(python, demo, "--evm", cwd=outside, env=env)
    assert "online chain check: the root is on chain" in out
    assert "Demo complete" in out
    version = _run(env_dir / "bin" / "did-gov", "--version", cwd=outside, env=env)
    assert version.startswith("did-gov ")
