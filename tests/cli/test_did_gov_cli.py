"""End to end: an agency's did:gov through the command, on the sqlite ledger and on anvil.

The agency creates its DID with pre-rotation, issues and anchors a credential, loses its
signing key, rotates, and verifies offline: the old credential still verifies, one forged
with the removed key does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from did_gov.testing.anvil import Anvil

pytestmark = pytest.mark.e2e

ORIGIN = "gov.example/log/dids"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "did_gov", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(*args: str) -> str:
    done = run(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@dataclass
class Agency:
    """The files of one agency, and the ledger flags every did:gov verb takes."""

    dir: Path
    ledger: list[str]
    anchor: list[str]
    vkey: str
    bundle: bool = False

    def key(self, name: str) -> str:
        path = self.dir / f"{name}.jwk"
        if not path.exists():
            ok("key", "generate", "--type", "ed25519", "-o", str(path))
        return str(path)

    def hash(self, name: str) -> str:
        return ok("key", "show", self.key(name), "--hash").strip()

    def credential(self, did: str, name: str, signer: str, vm: str, **extra: Any) -> Path:
        unsigned = self.dir / f"{name}.unsigned.json"
        unsigned.write_text(
            json.dumps(
                {
                    "@context": [
                        "https://www.w3.org/ns/credentials/v2",
                        "https://www.w3.org/ns/credentials/examples/v2",
                    ],
                    "type": ["VerifiableCredential", "PermitCredential"],
                    "issuer": did,
                    "validFrom": "2026-01-01T00:00:00Z",
                    "credentialSubject": {"permit": name},
                    **extra,
                }
            )
        )
        signed = ok("issue", str(unsigned), "--key", self.key(signer), "--verification-method", vm)
        path = self.dir / f"{name}.json"
        path.write_text(signed)
        anchored = ok("anchor", str(path), "--envelope", *self.anchor)
        envelope = self.dir / f"{name}.anchored.json"
        envelope.write_text(anchored)
        return envelope

    def verify(self, path: Path, log: Path) -> subprocess.CompletedProcess[str]:
        return run(
            "verify",
            str(path),
            "--did-log",
            str(log),
            "--log-key",
            self.vkey,
            "--trust-any-issuer",
            "--json",
        )


def _scenario(agency: Agency) -> None:
    log = agency.dir / "did-log.jsonl"
    did = ok(
        "did", "create", "--method", "gov",
        "--key", agency.key("update"),
        "--signing-key", agency.key("signing"),
        *agency.ledger,
        "--next-key-hash", agency.hash("next"),
        "-o", str(log),
    ).strip()  # fmt: skip
    assert did.startswith("did:gov:Qm")
    assert Path(str(log) + ".receipts.jsonl").is_file()
    first = json.loads(log.read_text().splitlines()[0])["versionId"]

    before = agency.credential(did, "before", "signing", f"{did}#key-1")
    assert agency.verify(before, log).returncode == 0

    # the signing key is stolen: reveal the pre-rotated key, remove the stolen one
    missing = run("did", "update", str(log), "--key", agency.key("next"), *agency.ledger,
                  "--remove-key", f"{did}#key-1")  # fmt: skip
    assert missing.returncode == 2 and "did.gov_update_invalid" in missing.stderr
    stolen = run("did", "update", str(log), "--key", agency.key("update"), *agency.ledger,
                 "--remove-key", f"{did}#key-1", "--end-prerotation")  # fmt: skip
    assert stolen.returncode == 2 and "did.gov_prerotation_violated" in stolen.stderr
    assert ok(
        "did", "update", str(log),
        "--key", agency.key("next"),
        "--remove-key", agency.key("signing"),
        "--add-key", agency.key("signing2"),
        "--next-key-hash", agency.hash("next2"),
        *agency.ledger,
    ).strip() == did  # fmt: skip

    latest = json.loads(ok("did", "resolve", did, "--did-log", str(log)))
    assert [m["id"] for m in latest["verificationMethod"]] == [f"{did}#key-2"]
    old = json.loads(ok("did", "resolve", did, "--did-log", str(log), "--version-id", first))
    assert [m["id"] for m in old["verificationMethod"]] == [f"{did}#key-1"]
    done = run("did", "resolve", did, "--did-log", str(log), "--log-key", agency.vkey)
    assert done.returncode == 0 and "did.freshness_unknown" in done.stderr
    early = run("did", "resolve", did, "--did-log", str(log), "--at", "2000-01-01T00:00:00Z")
    assert early.returncode == 1 and "did.gov_version_not_found" in early.stderr

    kept = agency.verify(before, log)
    assert kept.returncode == 0, kept.stdout
    forged = agency.credential(
        did, "forged", "signing", f"{did}#key-1", validFrom="2025-06-01T00:00:00Z"
    )
    report = agency.verify(forged, log)
    assert report.returncode == 1 and "did.gov_key_removed" in report.stdout
    after = agency.credential(did, "after", "signing2", f"{did}#key-2")
    assert agency.verify(after, log).returncode == 0

    if agency.bundle:
        _offline_with_a_bundle(agency, did, log, before, forged)

    tampered = agency.dir / "tampered.jsonl"
    lines = log.read_text().splitlines()
    lines[0] = lines[0].replace("key-1", "key-9", 1)
    tampered.write_text("\n".join(lines) + "\n")
    Path(str(tampered) + ".receipts.jsonl").write_text(
        Path(str(log) + ".receipts.jsonl").read_text()
    )
    bad = run("did", "resolve", did, "--did-log", str(tampered))
    assert bad.returncode == 1 and "does not resolve" in bad.stderr

    ok("did", "deactivate", str(log), "--key", agency.key("next2"), *agency.ledger)
    gone = agency.credential(did, "gone", "signing2", f"{did}#key-2")
    report = agency.verify(gone, log)
    assert report.returncode == 1 and "did.gov_deactivated" in report.stdout
    assert agency.verify(after, log).returncode == 0


def _offline_with_a_bundle(agency: Agency, did: str, log: Path, before: Path, forged: Path) -> None:
    """A trust bundle carries the DID's log: a kiosk verifies offline with nothing else."""
    d = agency.dir
    authority = agency.key("authority")
    authority_did = json.loads(ok("key", "show", authority))["didKey"]
    ok("trust", "root", "--key", agency.key("bundle"), "--authority", authority_did,
       "--expires", "30d", "-o", str(d / "root.json"))  # fmt: skip
    ok("trust", "accredit", "--key", authority, "--issuer", did, "--type", "PermitCredential",
       "--valid-from", "2026-01-01T00:00:00Z",
       "-o", str(d / "accreditation.json"))  # fmt: skip
    ok("bundle", "build", "--root", str(d / "root.json"), "--key", agency.key("bundle"),
       "--accreditation", str(d / "accreditation.json"), "--log-key", agency.vkey,
       "--did-log", str(log), "--version", "1", "--expires", "30d", "-o", str(d / "bundle.json"))  # fmt: skip
    assert json.loads(ok("bundle", "inspect", str(d / "bundle.json")))["did_logs"] == 1
    trusted = ["--bundle", str(d / "bundle.json"), "--root", str(d / "root.json"), "--json"]
    kept = run("verify", str(before), *trusted)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    refused = run("verify", str(forged), *trusted)
    assert refused.returncode == 1 and "did.gov_key_removed" in refused.stdout


def test_agency_did_gov_on_sqlite(tmp_path: Path) -> None:
    log_key = tmp_path / "log.jwk"
    ok("key", "generate", "--type", "ed25519", "-o", str(log_key))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    vkey = ok("ledger", "init", "--ledger", url, "--key", str(log_key), "--origin", ORIGIN).strip()
    agency = Agency(
        tmp_path,
        ["--ledger", url, "--ledger-key", str(log_key)],
        ["--ledger", url, "--key", str(log_key)],
        vkey,
        bundle=True,
    )
    _scenario(agency)


@pytest.fixture(scope="module")
def anvil_node() -> Iterator[Anvil]:
    node = Anvil.start(startup_timeout=30)
    try:
        yield node
    finally:
        node.stop()


def test_agency_did_gov_on_evm(tmp_path: Path, anvil_node: Anvil) -> None:
    from did_gov.ledger.evm import deploy_registry, set_writer, writer_address

    admin, writer = bytes([0xA1]) * 32, bytes([0xB4]) * 32
    anvil_node.fund(writer_address(admin))
    anvil_node.fund(writer_address(writer))
    deployed = deploy_registry(anvil_node.url, admin, timeout=10)
    assert deployed.contract is not None
    set_writer(anvil_node.url, deployed.contract, admin, writer_address(writer), timeout=10)
    writer_file = tmp_path / "writer.hex"
    writer_file.write_text("0x" + writer.hex())
    log_key = tmp_path / "log.jwk"
    ok("key", "generate", "--type", "ed25519", "-o", str(log_key))
    url = f"evm+{anvil_node.url}?contract={deployed.contract}"
    store = f"sqlite:///{tmp_path / 'local.db'}"
    ok("ledger", "init", "--ledger", store, "--key", str(log_key), "--origin", ORIGIN)
    from did_gov.keys import load_private_key
    from did_gov.ledger import NoteVerifier

    vkey = NoteVerifier(ORIGIN, load_private_key(str(log_key)).public_key).vkey
    flags = ["--ledger", url, "--writer-key", str(writer_file), "--store", store]
    agency = Agency(
        tmp_path,
        [*flags, "--ledger-key", str(log_key), "--origin", ORIGIN],
        ["--ledger", store, "--key", str(log_key)],
        vkey,
    )
    _scenario(agency)
