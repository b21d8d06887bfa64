"""Bulk work from the command line: issue --batch, anchor of many files, progress only on a TTY."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from did_gov import Verifier
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.cli.test_cli_traps import cli
from tests.conftest import VECTORS

pytestmark = pytest.mark.e2e


def _unsigned(n: int) -> dict[str, object]:
    base = json.loads((VECTORS / "eddsa" / "unsigned.json").read_text())
    return {**base, "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}"}


@pytest.fixture
def batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert cli(capsys, "key", "generate", "-o", tmp_path / "issuer.jwk")[0] == 0
    lines = [json.dumps(_unsigned(n)) for n in range(3)]
    (tmp_path / "batch.jsonl").write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n")
    return tmp_path


@pytest.mark.parametrize("fmt", ["di", "vc-jwt", "sd-jwt"])
def test_issue_batch_prints_one_verified_credential_per_line_in_order(
    batch: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code, out, err = cli(capsys, "issue", "--batch", batch / "batch.jsonl", "--key",
                         batch / "issuer.jwk", "--format", fmt)  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3
    verifier = Verifier(trust=UNSAFE_TRUST_ANY_ISSUER)  # issued now, verified now
    for n, line in enumerate(lines):
        report = verifier.verify(line)
        assert report.verified, report.summary()
        if fmt == "di":
            assert json.loads(line)["id"] == _unsigned(n)["id"]


def test_a_bad_line_is_named_and_nothing_is_printed(
    batch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps(_unsigned(0))
    bad = json.dumps({**_unsigned(1), "type": ["NotAVerifiableCredential"]})
    (batch / "bad.jsonl").write_text(f"{good}\n{bad}\n")
    code, out, err = cli(
        capsys, "issue", "--batch", batch / "bad.jsonl", "--key", batch / "issuer.jwk"
    )
    assert code == 2
    assert out == ""
    assert "line 2" in err
    (batch / "broken.jsonl").write_text(good + "\n{not json\n")
    code, out, err = cli(
        capsys, "issue", "--batch", batch / "broken.jsonl", "--key", batch / "issuer.jwk"
    )
    assert (code, out) == (2, "")
    assert "line 2" in err


def test_issue_needs_exactly_one_input(batch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (batch / "one.json").write_text(json.dumps(_unsigned(9)))
    code, _, err = cli(capsys, "issue", batch / "one.json", "--batch", batch / "batch.jsonl",
                       "--key", batch / "issuer.jwk")  # fmt: skip
    assert code == 2
    assert "one of them" in err
    assert cli(capsys, "issue", "--key", batch / "issuer.jwk")[0] == 2


def test_anchor_of_many_files_in_batches(batch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, key = f"sqlite:{batch / 'log.db'}", batch / "log.jwk"
    assert cli(capsys, "key", "generate", "-o", key)[0] == 0
    assert (
        cli(capsys, "ledger", "init", "--ledger", log, "--key", key, "--origin", "g.example/l")[0]
        == 0
    )
    files = []
    for n in range(5):
        files.append(batch / f"doc{n}.txt")
        files[-1].write_text(f"minutes {n}\n")
    code, out, err = cli(
        capsys, "anchor", *files, "--ledger", log, "--key", key, "--batch-size", "2"
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["file"] for row in rows] == [str(f) for f in files]
    assert [row["receipt"]["index"] for row in rows] == list(range(5))
    assert cli(capsys, "anchor", *files, "--ledger", log, "--key", key, "--batch-size", "0")[0] == 2


def _command(batch: Path) -> list[str]:
    return [sys.executable, "-m", "did_gov", "issue", "--batch", str(batch / "batch.jsonl"),
            "--key", str(batch / "issuer.jwk")]  # fmt: skip


def test_no_progress_output_when_stderr_is_not_a_terminal(batch: Path) -> None:
    done = subprocess.run(_command(batch), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == 3


def test_a_progress_bar_on_a_terminal(batch: Path) -> None:
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(_command(batch), stdout=subprocess.PIPE, stderr=terminal,
                              timeout=120, check=False)  # fmt: skip
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal side is closed: everything was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 3  # stdout stays clean
    assert b"\rissue [" in drawn
    assert b"3/3" in drawn
