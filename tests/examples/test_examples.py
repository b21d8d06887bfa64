"""The examples run: the ministry identity flow and the demo."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert result["withdrawn"] == "approval.policy_withdrawn"
    for name, replayed in result["replays"].items():
        assert replayed.ok, (name, replayed.message)


@pytest.mark.e2e
def test_kiosk_demo_starts_prints_its_url_answers_and_stops() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "kiosk_demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"the counter page is at http://127\.0\.0\.1:\d+/", result.stdout)
    assert "VERIFIED" in result.stdout
    assert result.stdout.rstrip().endswith("kiosk: stopped")


@pytest.mark.e2e
def test_agency_service_deployment_end_to_end(tmp_path: Path) -> None:
    """The example provisions an agency and runs the README's `did-gov serve` command line."""
    module = runpy.run_path(str(ROOT / "examples" / "agency_service.py"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "did-gov " + " ".join(module["COMMAND"]) in readme
    outcome = module["run"](tmp_path / "agency")
    assert outcome["verified_before"] == 200
    assert outcome["counter_may_not_issue"] == 403
    assert outcome["revoked"] == 200
    assert outcome["verified_after"] == 400
    assert outcome["refusal_codes"] == ["status.revoked"]
    assert outcome["anchored_and_included"] is True
    assert (tmp_path / "agency" / "state" / "service.db").exists()


def test_agency_rotation_old_credentials_survive_a_compromise(tmp_path: Any) -> None:
    module = runpy.run_path(str(ROOT / "examples" / "agency_rotation.py"))
    reports = module["run"](tmp_path)
    assert reports["before the compromise"].verified
    assert reports["after the rotation"].verified
    forged = reports["forged with the removed key"]
    assert not forged.verified
    assert "did.gov_key_removed" in {c.code for c in forged.errors}
