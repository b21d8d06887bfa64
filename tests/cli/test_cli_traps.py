"""The command's traps, each closed: replayable presentations, silent over-disclosure, a status
list signed by a stranger's key, and messages that sent users the wrong way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from did_gov.cli import main
from did_gov.dids import did_key
from did_gov.keys import load_private_key
from tests.conftest import VECTORS

pytestmark = pytest.mark.e2e


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run the command in-process: (exit status, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Keys, a credential with a revocation entry, its list, and presentations of each format."""
    for name, kind in [("issuer", "ed25519"), ("holder", "p256"), ("stranger", "ed25519")]:
        assert (
            cli(capsys, "key", "generate", "--type", kind, "-o", tmp_path / f"{name}.jwk")[0] == 0
        )
    unsigned = json.loads((VECTORS / "eddsa" / "unsigned.json").read_text())
    holder_key = load_private_key(tmp_path / "holder.jwk").public_key
    unsigned["credentialSubject"]["id"] = did_key.did_for_public_key(holder_key)  # presented by it
    (tmp_path / "unsigned.json").write_text(json.dumps(unsigned))

    def save(name: str, *args: str | Path) -> None:
        code, out, err = cli(capsys, *args)
        assert code == 0, err
        (tmp_path / name).write_text(out)

    key, holder = tmp_path / "issuer.jwk", tmp_path / "holder.jwk"
    save("vc.json", "issue", tmp_path / "unsigned.json", "--key", key)
    save("vp.json", "present", tmp_path / "vc.json", "--key", holder, "--challenge", "c-1")
    save("vc.jwt", "issue", tmp_path / "unsigned.json", "--key", key, "--format", "vc-jwt")
    save("vp.jwt", "present", tmp_path / "vc.jwt", "--key", holder, "--format", "vc-jwt",
         "--challenge", "c-1", "--domain", "kiosk.example")  # fmt: skip
    save("vc.sd-jwt", "issue", tmp_path / "unsigned.json", "--key", key, "--format", "sd-jwt",
         "--holder-key", holder, "--disclosable", "/credentialSubject/alumniOf")  # fmt: skip
    save("kb.sd-jwt", "present", tmp_path / "vc.sd-jwt", "--format", "sd-jwt", "--key", holder,
         "--nonce", "n-1", "--audience", "https://shop.example")  # fmt: skip
    return tmp_path


def _codes(out: str) -> set[str]:
    report: dict[str, Any] = json.loads(out)
    return {error["code"] for error in report["errors"]}


# ---------------------------------------------------------------- replayable presentations


@pytest.mark.parametrize("name", ["vp.json", "vp.jwt", "kb.sd-jwt"])
def test_presentation_without_challenge_is_refused(
    made: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A presentation verified with no challenge at all could be a replay: exit 1, a named code."""
    code, out, _ = cli(capsys, "verify", made / name, "--json", "--trust-any-issuer")
    assert code == 1
    assert "presentation.challenge_required" in _codes(out)


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("vp.json", ["--challenge", "c-1"]),
        ("vp.jwt", ["--challenge", "c-1", "--domain", "kiosk.example"]),
        ("kb.sd-jwt", ["--nonce", "n-1", "--audience", "https://shop.example"]),
        ("vp.json", ["--no-challenge"]),
        ("vp.jwt", ["--no-challenge"]),
    ],
)
def test_presentation_with_challenge_or_explicit_opt_out_verifies(
    made: Path, capsys: pytest.CaptureFixture[str], name: str, flags: list[str]
) -> None:
    code, out, err = cli(capsys, "verify", made / name, *flags, "--trust-any-issuer")
    assert code == 0, out + err


@pytest.mark.parametrize("name", ["vc.json", "vc.jwt", "vc.sd-jwt"])
def test_credentials_are_unaffected_by_the_challenge_rule(
    made: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, err = cli(capsys, "verify", made / name, "--trust-any-issuer")
    assert code == 0, out + err


def test_replayed_presentation_fails_in_a_real_subprocess(made: Path) -> None:
    """The exit status a script sees, from the installed entry point's module."""
    done = subprocess.run(
        [sys.executable, "-m", "did_gov", "verify", str(made / "vp.json"), "--trust-any-issuer"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "challenge:" in done.stdout and "--no-challenge" in done.stdout


# ---------------------------------------------------------------- silent over-disclosure


def test_present_of_sd_jwt_without_format_refuses_to_hand_over_every_disclosure(
    made: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "present", made / "vc.sd-jwt", "--key", made / "holder.jwk")
    assert code == 2
    assert out == ""
    assert "--format sd-jwt" in err and "every disclosure" in err


# ---------------------------------------------------------------- a stranger's status list


def test_status_publish_refuses_a_key_of_another_issuer(
    made: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = made / "status.db"
    assert cli(capsys, "status", "create", registry, "--list-url", "https://gov.example/s/1",
               "--purpose", "revocation")[0] == 0  # fmt: skip
    code, first, err = cli(capsys, "status", "publish", registry, "--key", made / "issuer.jwk")
    assert code == 0, err
    code, out, err = cli(capsys, "status", "publish", registry, "--key", made / "stranger.jwk")
    assert code == 2
    assert out == ""
    assert "status.issuer_mismatch" in err
    assert json.loads(first)["issuer"] in err
    code, _, err = cli(capsys, "status", "publish", registry, "--key", made / "issuer.jwk")
    assert code == 0, err


# ---------------------------------------------------------------- --log-key and ledger messages


def test_verify_log_key_takes_a_file(made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, key = f"sqlite:{made / 'log.db'}", made / "log.jwk"
    assert cli(capsys, "key", "generate", "-o", key)[0] == 0
    code, vkey, err = cli(capsys, "ledger", "init", "--ledger", log, "--key", key,
                          "--origin", "gov.example/log")  # fmt: skip
    assert code == 0, err
    (made / "log.vkey").write_text(vkey)
    code, envelope, err = cli(capsys, "anchor", made / "vc.jwt", "--envelope", "--ledger", log,
                              "--key", key)  # fmt: skip
    assert code == 0, err
    (made / "anchored.json").write_text(envelope)
    code, out, err = cli(capsys, "verify", made / "anchored.json", "--log-key", made / "log.vkey",
                         "--require-anchor", "--trust-any-issuer")  # fmt: skip
    assert code == 0, out + err
    (made / "bad.vkey").write_text("not a vkey\n")
    code, _, err = cli(
        capsys,
        "verify",
        made / "anchored.json",
        "--log-key",
        made / "bad.vkey",
        "--trust-any-issuer",
    )
    assert code == 2
    assert "--log-key" in err


def test_an_unknown_ledger_scheme_names_the_known_ones(
    made: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "ledger", "checkpoint", "--ledger", "https://ledger.example/x",
                       "--key", made / "issuer.jwk")  # fmt: skip
    assert code == 2
    assert "ledger.backend_unknown" in err and "sqlite" in err and "https://ledger.example" in err
    code, _, err = cli(capsys, "ledger", "checkpoint", "--ledger", made / "log.db")
    assert code == 2
    assert "sqlite:" in err and "ledger.url_invalid" in err


def test_a_fresh_log_says_it_has_no_checkpoint_yet(
    made: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, key = f"sqlite:{made / 'fresh.db'}", made / "log.jwk"
    assert cli(capsys, "key", "generate", "-o", key)[0] == 0
    assert (
        cli(capsys, "ledger", "init", "--ledger", log, "--key", key, "--origin", "g.example/l")[0]
        == 0
    )
    code, _, err = cli(capsys, "ledger", "checkpoint", "--ledger", log)
    assert code == 2
    assert "ledger.no_checkpoint" in err and "node_missing" not in err
    assert "no signed checkpoint yet" in err


def test_a_status_list_that_was_not_used_is_said(
    made: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--status-list with a credential without credentialStatus: VERIFIED, but not silently."""
    registry = made / "status.db"
    assert cli(capsys, "status", "create", registry, "--list-url", "https://gov.example/s/1",
               "--purpose", "revocation")[0] == 0  # fmt: skip
    code, listed, err = cli(capsys, "status", "publish", registry, "--key", made / "issuer.jwk")
    assert code == 0, err
    (made / "list.json").write_text(listed)
    code, _, err = cli(
        capsys,
        "verify",
        made / "vc.json",
        "--status-list",
        made / "list.json",
        "--trust-any-issuer",
    )
    assert code == 0
    assert "no credentialStatus entry" in err
    code, _, err = cli(capsys, "status", "allocate", registry, "--credential", made / "unsigned.json",
                       "-o", made / "with-status.json")  # fmt: skip
    assert code == 0, err
    code, out, err = cli(capsys, "issue", made / "with-status.json", "--key", made / "issuer.jwk")
    (made / "vc-status.json").write_text(out)
    code, listed, err = cli(capsys, "status", "publish", registry, "--key", made / "issuer.jwk")
    (made / "list.json").write_text(listed)
    code, _, err = cli(
        capsys,
        "verify",
        made / "vc-status.json",
        "--status-list",
        made / "list.json",
        "--trust-any-issuer",
    )
    assert code == 0, err
    assert "no credentialStatus" not in err
