"""End to end: ``did-gov approval sign|evaluate|replay`` in a subprocess (specs/cli.md § approval).

The command lines are the contract of issue 16 §6; tests outside this repository use them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.approval.conftest import DENIALS, example
from tests.cli.test_cli import run

pytestmark = pytest.mark.e2e


class Files:
    """The housing example's files, made at the real time (the command judges at the real time)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        ex = example()
        result = ex.run(datetime.now(UTC).replace(microsecond=0), directory)
        self.world = result["world"]
        self.ledger = f"sqlite:///{directory / 'log.db'}"
        init = run("ledger", "init", "--ledger", self.ledger, "--key", self.p("log.key"),
                   "--origin", "approval.test/log")  # fmt: skip
        assert init.returncode == 0, init.stderr
        self.vkey = init.stdout.strip()

    def p(self, name: str) -> str:
        return str(self.dir / name)

    def trust(self) -> list[str]:
        return ["--bundle", self.p("bundle.json"), "--root", self.p("root.json")]

    def evaluate(self, citizen: str, *extra: str) -> Any:
        return run(
            "approval", "evaluate", "--policy", self.p("policy.json"),
            "--presentation", self.p(f"{citizen}.presentation.json"),
            "--key", self.p("housing.key"), *self.trust(),
            "--ledger", self.ledger, "--ledger-key", self.p("log.key"),
            "-o", self.p(f"{citizen}.cli.json"), *extra,
        )  # fmt: skip

    def replay(self, citizen: str, *trust: str, evidence: str | None = None) -> Any:
        return run(
            "approval", "replay", self.p(f"{citizen}.cli.json"), "--policy", self.p("policy.json"),
            "--presentation", self.p(f"{evidence or citizen}.presentation.json"),
            *(trust or self.trust()), "--log-key", self.vkey,
        )  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("housing"))


def test_evaluate_approves_prints_the_credential_and_replays(files: Files) -> None:
    done = files.evaluate("ada")
    assert done.returncode == 0, done.stderr
    credential = json.loads(done.stdout)
    assert credential["type"] == ["VerifiableCredential", "HousingBenefitCredential"]
    record = json.loads(Path(files.p("ada.cli.json")).read_text())["record"]
    assert record["result"]["approved"] is True
    replayed = files.replay("ada")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert replayed.stdout.startswith("replayed:")


@pytest.mark.parametrize(("citizen", "code"), DENIALS)
def test_evaluate_denies_with_the_reason_writes_the_record_and_replays(
    files: Files, citizen: str, code: str
) -> None:
    done = files.evaluate(citizen)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("DENIED: ") and f"[{code}]" in done.stdout
    decision = json.loads(Path(files.p(f"{citizen}.cli.json")).read_text())
    assert decision["record"]["result"]["code"] == code
    replayed = files.replay(citizen)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


def test_replay_with_other_evidence_exits_1(files: Files) -> None:
    assert files.evaluate("ben").returncode == 1
    done = files.replay("ben", evidence="ada")
    assert done.returncode == 1
    assert "[approval.replay_mismatch]" in done.stdout


def test_replay_refuses_another_bundle_but_not_the_same_one_installed(files: Files) -> None:
    assert files.evaluate("ada").returncode == 0
    Path(files.p("bundle2.json")).write_text(json.dumps(files.world.rebundle(2)))
    other = ["--bundle", files.p("bundle2.json"), "--root", files.p("root.json")]
    done = files.replay("ada", *other)
    assert done.returncode == 1 and "[approval.bundle_mismatch]" in done.stdout
    store = files.p("store")
    installed = run("bundle", "install", files.p("bundle.json"), "--root", files.p("root.json"),
                    "--store", store)  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    same = files.replay("ada", "--trust-store", store)
    assert same.returncode == 0, same.stdout + same.stderr


def test_a_forged_decision_file_fails_its_receipt(files: Files) -> None:
    assert files.evaluate("ben").returncode == 1
    path = Path(files.p("ben.cli.json"))
    decision = json.loads(path.read_text())
    decision["record"]["result"]["approved"] = True
    path.write_text(json.dumps(decision))
    done = files.replay("ben")
    assert done.returncode == 1 and "[approval.receipt_invalid]" in done.stdout


def test_trust_any_issuer_warns_and_is_recorded(files: Files) -> None:
    done = run(
        "approval", "evaluate", "--policy", files.p("policy.json"),
        "--presentation", files.p("dan.presentation.json"), "--key", files.p("housing.key"),
        "--trust-any-issuer", "--ledger", files.ledger, "--ledger-key", files.p("log.key"),
        "-o", files.p("dan.unsafe.json"),
    )  # fmt: skip
    assert "WARNING: issuer trust not checked" in done.stderr
    record = json.loads(Path(files.p("dan.unsafe.json")).read_text())["record"]
    assert record["trust"] == {"unsafeAnyIssuer": True}


def test_sign_a_policy_and_refuse_a_hostile_one(files: Files) -> None:
    document = json.loads(Path(files.p("policy.json")).read_text())["policy"]
    Path(files.p("doc.json")).write_text(json.dumps(document))
    done = run("approval", "sign", files.p("doc.json"), "--key", files.p("housing.key"),
               "-o", files.p("resigned.json"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    resigned = json.loads(Path(files.p("resigned.json")).read_text())
    assert resigned["policy"] == document
    document["rule"][0]["expr"] = " || ".join(["income.taxYear == 1"] * 300)
    Path(files.p("hostile.json")).write_text(json.dumps(document))
    done = run("approval", "sign", files.p("hostile.json"), "--key", files.p("housing.key"),
               "-o", files.p("hostile.signed.json"))  # fmt: skip
    assert done.returncode == 2
    assert "[approval.policy_expression_too_large]" in done.stderr
    tampered = json.loads(Path(files.p("policy.json")).read_text())
    tampered["policy"]["rule"][2]["expr"] = "income.annualIncome <= 99000000"
    Path(files.p("tampered.json")).write_text(json.dumps(tampered))
    done = run(
        "approval", "evaluate", "--policy", files.p("tampered.json"),
        "--presentation", files.p("ben.presentation.json"), "--key", files.p("housing.key"),
        *files.trust(), "--ledger", files.ledger, "--ledger-key", files.p("log.key"),
        "-o", files.p("x.json"),
    )  # fmt: skip
    assert done.returncode == 2 and "[approval.policy_signature_invalid]" in done.stderr


def test_evaluate_needs_evidence_and_trust(files: Files) -> None:
    done = run(
        "approval", "evaluate", "--policy", files.p("policy.json"), "--key",
        files.p("housing.key"), *files.trust(), "--ledger", files.ledger,
        "--ledger-key", files.p("log.key"), "-o", files.p("x.json"),
    )  # fmt: skip
    assert done.returncode == 2 and "--presentation" in done.stderr
    done = run(
        "approval", "evaluate", "--policy", files.p("policy.json"),
        "--presentation", files.p("ada.presentation.json"), "--key", files.p("housing.key"),
        "--ledger", files.ledger, "--ledger-key", files.p("log.key"), "-o", files.p("x.json"),
    )  # fmt: skip
    assert done.returncode == 2 and "--trust-any-issuer" in done.stderr


def test_a_trust_store_keeps_policy_versions_rollback_and_withdrawal(files: Files) -> None:
    store = files.p("versions-store")
    installed = run("bundle", "install", files.p("bundle.json"), "--root", files.p("root.json"),
                    "--store", store)  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    document = json.loads(Path(files.p("policy.json")).read_text())["policy"]

    def signed(version: int, **changes: Any) -> str:
        Path(files.p(f"policy.v{version}.draft.json")).write_text(
            json.dumps({**document, "version": version, **changes})
        )
        out = files.p(f"policy.v{version}.json")
        done = run("approval", "sign", files.p(f"policy.v{version}.draft.json"),
                   "--key", files.p("housing.key"), "-o", out)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return out

    def evaluate(policy: str, out: str = "ada.versions.json") -> Any:
        return run(
            "approval", "evaluate", "--policy", policy,
            "--presentation", files.p("ada.presentation.json"), "--key", files.p("housing.key"),
            "--trust-store", store, "--ledger", files.ledger, "--ledger-key", files.p("log.key"),
            "-o", files.p(out),
        )  # fmt: skip

    assert evaluate(files.p("policy.json"), "ada.v1.json").returncode == 0
    assert evaluate(signed(2)).returncode == 0
    rollback = evaluate(files.p("policy.json"))
    assert rollback.returncode == 2 and "approval.policy_superseded" in rollback.stderr
    withdrawn = evaluate(signed(3, withdrawn=True))
    assert withdrawn.returncode == 2 and "approval.policy_withdrawn" in withdrawn.stderr
    again = evaluate(signed(2))
    assert again.returncode == 2 and "approval.policy_withdrawn" in again.stderr
    kept = json.loads(Path(store, "policy-versions.json").read_text())["policies"]
    assert [(p["version"], p["withdrawn"]) for p in kept] == [(3, True)]
    # the decision made under v1 before the withdrawal still replays under v1
    replayed = run(
        "approval", "replay", files.p("ada.v1.json"), "--policy", files.p("policy.json"),
        "--presentation", files.p("ada.presentation.json"), "--trust-store", store,
        "--log-key", files.vkey,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
