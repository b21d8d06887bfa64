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


def test_trust_kiosk_accepts_accredited_issuers_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the kiosk opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    module = runpy.run_path(str(ROOT / "examples" / "trust_kiosk.py"))
    reports = module["run"](NOW)
    for fmt in ("di", "vc-jwt", "sd-jwt"):
        for accepted in ("ministry", "office"):
            report = reports[f"{accepted}/{fmt}"]
            assert report.verified, report.summary()
        codes = {
            name: {c.code for c in reports[f"{name}/{fmt}"].errors} for name in ("forger", "lapsed")
        }
        assert "trust.issuer_not_accredited" in codes["forger"], codes
        assert "trust.accreditation_expired" in codes["lapsed"], codes


def test_housing_benefit_every_decision_anchored_and_replayed() -> None:
    module = runpy.run_path(str(ROOT / "examples" / "housing_benefit.py"))
    result = module["run"]()
    codes = {name: d.code for name, d in result["decisions"].items()}
    assert codes == {
        "ada": None,
        "ben": "approval.denied",
        "cleo": "approval.evidence_rejected",
        "dan": "approval.evidence_rejected",
        "eve": "approval.subject_mismatch",
    }
    assert result["decisions"]["ada"].approved
    assert len({d.receipt.index for d in result["decisions"].values()}) == 5
    for name, replayed in result["replays"].items():
        assert replayed.ok, (name, replayed.message)
