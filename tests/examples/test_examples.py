"""The examples run: the ministry identity flow and the demo."""

from __future__ import annotations

import runpy
import subprocess
import sys

import pytest

from tests.conftest import NOW, ROOT


def test_ministry_identity_flow() -> None:
    module = runpy.run_path(str(ROOT / "examples" / "ministry_identity.py"))
    report, replay = module["run"](NOW)
    assert report.verified, report.summary()
    assert not replay.verified
    assert "proof.challenge_mismatch" in {c.code for c in replay.errors}


@pytest.mark.e2e
def test_demo_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Demo complete" in result.stdout
