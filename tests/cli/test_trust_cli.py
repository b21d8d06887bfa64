"""End to end: trust roots, accreditations and bundles with the did-gov command (specs/cli.md)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import run

pytestmark = pytest.mark.e2e

SEEDS = {"authority": "01", "bundle": "02", "ministry": "03", "office": "04", "forger": "05"}
BIRTH, CITIZEN = "BirthCertificateCredential", "CitizenIdentityCredential"


def ok(*args: str) -> str:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


class World:
    """Keys and files of a national trust authority, a ministry, an office and a forger."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.did: dict[str, str] = {}
        for name, seed in SEEDS.items():
            ok("key", "generate", "--seed", seed * 32, "-o", self.path(f"{name}.jwk"))
            self.did[name] = json.loads(ok("key", "show", self.path(f"{name}.jwk")))["didKey"]

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def accredit(
        self, by: str, issuer: str, out: str, *flags: str
    ) -> subprocess.CompletedProcess[str]:
        key, who = self.path(f"{by}.jwk"), self.did[issuer]
        return run("trust", "accredit", "--key", key, "--issuer", who, *flags, "-o", self.path(out))

    def build(
        self, version: int, out: str, *flags: str, key: str = "bundle"
    ) -> subprocess.CompletedProcess[str]:
        return run(
            "bundle",
            "build",
            "--root",
            self.path("root.json"),
            "--key",
            self.path(f"{key}.jwk"),
            *flags,
            "--version",
            str(version),
            "--expires",
            "30d",
            "-o",
            self.path(out),
        )

    def install(self, bundle: str, store: Path) -> subprocess.CompletedProcess[str]:
        return run(
            "bundle", "install", bundle, "--root", self.path("root.json"), "--store", str(store)
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(tmp_path_factory.mktemp("trust"))
    root_flags = ["--authority", w.did["authority"], "--expires", "365d"]
    ok("trust", "root", "--key", w.path("bundle.jwk"), *root_flags, "-o", w.path("root.json"))
    window = ["--valid-from", "2020-01-01T00:00:00Z", "--valid-until", "2098-01-01T00:00:00Z"]
    ministry = ["--type", BIRTH, "--type", CITIZEN, "--name", "Ministry of the Interior"]
    ministry += ["--name-zh", "内政部", "--may-accredit", "--max-path-length", "0"]
    assert (
        w.accredit("authority", "ministry", "ministry.acc.json", *ministry, *window).returncode == 0
    )
    office = ["--type", BIRTH, "--name", "Registry Office", *window]
    assert w.accredit("ministry", "office", "office.acc.json", *office).returncode == 0
    records = [
        "--accreditation",
        w.path("ministry.acc.json"),
        "--accreditation",
        w.path("office.acc.json"),
    ]
    for version in (1, 2):
        assert w.build(version, f"bundle{version}.json", *records).returncode == 0
    return w


def test_root_file_names_authority_and_keys(world: World) -> None:
    root = json.loads(Path(world.path("root.json")).read_text())
    assert root["signed"]["authorities"] == [world.did["authority"]]
    assert root["signed"]["threshold"] == 1


def test_bundle_inspect_prints_one_object(world: World) -> None:
    summary = json.loads(ok("bundle", "inspect", world.path("bundle1.json")))
    assert set(summary) == {
        "version",
        "issued",
        "expires",
        "root_version",
        "accreditations",
        "status_lists",
        "log_keys",
        "contexts",
        "did_documents",
        "did_logs",
    }
    assert summary["version"] == 1
    assert {a["name_zh"] for a in summary["accreditations"]} == {"内政部", None}


def test_install_then_rollback_is_refused(world: World, tmp_path: Path) -> None:
    done = world.install(world.path("bundle2.json"), tmp_path)
    assert done.returncode == 0 and "installed trust bundle v2" in done.stdout
    refused = world.install(world.path("bundle1.json"), tmp_path)
    assert refused.returncode == 1
    assert "trust.bundle_rollback" in refused.stdout


def test_install_of_a_tampered_bundle_is_refused(world: World, tmp_path: Path) -> None:
    value = json.loads(Path(world.path("bundle1.json")).read_text())
    value["files"]["log-keys.json"] = '["x"]'
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(value))
    done = world.install(str(bad), tmp_path / "store")
    assert done.returncode == 1
    assert "trust.bundle_hash_mismatch" in done.stdout


@pytest.mark.parametrize(
    ("window", "status"),
    [
        (("2030-01-01T00:00:00Z", "2029-01-01T00:00:00Z"), 2),  # until before from: usage error
        (("2000-01-01T00:00:00Z", "2001-01-01T00:00:00Z"), 0),  # a window in the past is allowed
    ],
)
def test_accredit_windows(world: World, window: tuple[str, str], status: int) -> None:
    flags = ["--type", "X", "--valid-from", window[0], "--valid-until", window[1]]
    assert world.accredit("ministry", "office", "w.json", *flags).returncode == status


def test_build_warns_about_unchained_authorities(world: World) -> None:
    assert world.accredit("forger", "forger", "forged.json", "--type", BIRTH).returncode == 0
    done = world.build(9, "forged-bundle.json", "--accreditation", world.path("forged.json"))
    assert done.returncode == 0
    assert "neither a root authority nor accredited" in done.stderr


def test_bundle_build_with_a_key_outside_the_root_is_refused(world: World) -> None:
    done = world.build(3, "x.json", key="forger")
    assert done.returncode == 2
    assert "trust.bundle_signature_invalid" in done.stderr


UNSIGNED = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", BIRTH],
    "issuer": "did:example:placeholder",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"givenName": "Ada"},
}


@pytest.fixture(scope="module")
def issued(world: World) -> dict[str, str]:
    """Credentials by the registry office and the forger, in every format."""
    Path(world.path("unsigned.json")).write_text(json.dumps(UNSIGNED))
    out = {}
    for who in ("office", "forger"):
        for fmt in ("di", "vc-jwt", "sd-jwt"):
            path = world.path(f"{who}.{fmt}")
            key = world.path(f"{who}.jwk")
            Path(path).write_text(
                ok("issue", world.path("unsigned.json"), "--key", key, "--format", fmt)
            )
            out[f"{who}.{fmt}"] = path
    return out


def _verify(
    world: World, files: list[str], *flags: str
) -> tuple[int, list[dict[str, object]], str]:
    done = run("verify", *files, *flags, "--json")
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def _codes(line: dict[str, object]) -> set[object]:
    return {c["code"] for c in line["checks"] if not c["ok"]}  # type: ignore[attr-defined, index]


def test_verify_with_bundle_and_root(world: World, issued: dict[str, str]) -> None:
    trust = ["--bundle", world.path("bundle2.json"), "--root", world.path("root.json")]
    office = [issued[f"office.{f}"] for f in ("di", "vc-jwt", "sd-jwt")]
    status, lines, _ = _verify(world, office, *trust)
    assert status == 0, lines
    forged = [issued[f"forger.{f}"] for f in ("di", "vc-jwt", "sd-jwt")]
    status, lines, _ = _verify(world, forged, *trust)
    assert status == 1
    assert all(_codes(line) == {"trust.issuer_not_accredited"} for line in lines), lines


def test_verify_with_an_installed_store(
    world: World, issued: dict[str, str], tmp_path: Path
) -> None:
    assert world.install(world.path("bundle1.json"), tmp_path).returncode == 0
    status, _, _ = _verify(world, [issued["office.di"]], "--trust-store", str(tmp_path))
    assert status == 0


def test_verify_with_a_foreign_root_fails_every_file(
    world: World, issued: dict[str, str], tmp_path: Path
) -> None:
    other = tmp_path / "other-root.json"
    ok("trust", "root", "--key", world.path("forger.jwk"), "--authority", world.did["forger"],
       "--expires", "1d", "-o", str(other))  # fmt: skip
    files = [issued["office.di"], issued["office.vc-jwt"]]
    status, lines, _ = _verify(
        world, files, "--bundle", world.path("bundle1.json"), "--root", str(other)
    )
    assert status == 1
    assert [_codes(line) for line in lines] == [{"trust.bundle_signature_invalid"}] * 2


def test_verify_trust_any_issuer_warns(world: World, issued: dict[str, str]) -> None:
    status, lines, stderr = _verify(world, [issued["forger.di"]], "--trust-any-issuer")
    assert status == 0
    assert "WARNING: issuer trust not checked" in stderr
    codes = {c["code"] for c in lines[0]["checks"]}  # type: ignore[attr-defined]
    assert "trust.unsafe_any_issuer" in codes


@pytest.mark.parametrize(
    "flags",
    [["--bundle", "b.json"], ["--root", "r.json"], ["--trust-any-issuer", "--trust-store", "x"]],
)
def test_verify_trust_flags_misused_is_a_usage_error(
    world: World, issued: dict[str, str], flags: list[str]
) -> None:
    assert run("verify", issued["office.di"], *flags).returncode == 2


def test_verify_counts_a_bundle_carried_status_list_fresh(world: World) -> None:
    """A list past its ttl, carried in a valid bundle: status.list_from_bundle (trust-bundle §4)."""
    from datetime import timedelta

    from did_gov._time import format_datetime, utc_now
    from did_gov.status import StatusList

    url = "https://gov.example/status/cli"
    unsigned_list = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": world.did["office"],
        "validFrom": format_datetime(utc_now() - timedelta(days=1)),
        "credentialSubject": {
            "id": url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": StatusList().encode(),
            "ttl": 3_600_000,
        },
    }
    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": url,
    }
    Path(world.path("list.unsigned.json")).write_text(json.dumps(unsigned_list))
    Path(world.path("vc-status.unsigned.json")).write_text(
        json.dumps(UNSIGNED | {"credentialStatus": entry})
    )
    office = world.path("office.jwk")
    for name in ("list", "vc-status"):
        signed = ok("issue", world.path(f"{name}.unsigned.json"), "--key", office)
        Path(world.path(f"{name}.json")).write_text(signed)
    records = ["--accreditation", world.path("ministry.acc.json")]
    records += ["--accreditation", world.path("office.acc.json")]
    done = world.build(5, "bundle-list.json", *records, "--status-list", world.path("list.json"))
    assert done.returncode == 0, done.stderr
    trust = ["--bundle", world.path("bundle-list.json"), "--root", world.path("root.json")]
    status, lines, _ = _verify(world, [world.path("vc-status.json")], *trust)
    assert status == 0, lines
    [validity] = [c for c in lines[0]["checks"] if c["name"] == "status_validity"]  # type: ignore[attr-defined, index]
    assert validity["code"] == "status.list_from_bundle"
    assert "trust bundle v5 issued" in validity["message"]
    stale = ["--status-list", world.path("list.json"), "--trust-any-issuer"]
    status, lines, _ = _verify(world, [world.path("vc-status.json")], *stale)
    assert status == 1
    assert "status.list_stale" in _codes(lines[0])


def test_bundle_build_carries_log_checkpoints_with_proofs(world: World, tmp_path: Path) -> None:
    """`bundle build --ledger --previous`: each install checks that the log only grew."""
    log_key, origin = str(tmp_path / "log.jwk"), "gov.example/log/trust-cli"
    ok("key", "generate", "--seed", "06" * 32, "-o", log_key)
    ledgers = {name: f"sqlite:{tmp_path / name}.db" for name in ("honest", "fork")}
    for name, url in ledgers.items():
        ok("ledger", "init", "--ledger", url, "--key", log_key, "--origin", origin)
        fill = "a" if name == "honest" else "f"
        ok("ledger", "append", *(fill * 63 + str(i) for i in range(5)), "--ledger", url,
           "--key", log_key)  # fmt: skip
    honest = ["--ledger", ledgers["honest"]]
    records = ["--accreditation", world.path("office.acc.json")]
    store = str(tmp_path / "store")
    assert world.build(11, "log1.json", *records, *honest).returncode == 0
    assert world.install(world.path("log1.json"), Path(store)).returncode == 0
    ok("ledger", "append", "b" * 64, "c" * 64, "--ledger", ledgers["honest"], "--key", log_key)
    bare = world.build(12, "log2-bare.json", *records, *honest)
    assert bare.returncode == 0, bare.stderr
    refused = world.install(world.path("log2-bare.json"), Path(store))
    assert (refused.returncode, "trust.log_consistency_unknown" in refused.stdout) == (1, True)
    previous = ["--previous", world.path("log1.json")]
    assert world.build(12, "log2.json", *records, *honest, *previous).returncode == 0
    done = world.install(world.path("log2.json"), Path(store))
    assert done.returncode == 0, done.stdout
    forked = ["--ledger", ledgers["fork"], "--previous", world.path("log2.json")]
    done = world.build(13, "log3.json", *records, *forked)
    assert (done.returncode, "trust.log_fork" in done.stderr) == (2, True)
    ok("ledger", "append", "d" * 64, "e" * 64, "--ledger", ledgers["fork"], "--key", log_key)
    assert world.build(13, "log3.json", *records, "--ledger", ledgers["fork"]).returncode == 0
    refused = world.install(world.path("log3.json"), Path(store))
    assert (refused.returncode, "trust.log_fork" in refused.stdout) == (1, True)


def test_cte_export_then_import_round_trips(world: World, tmp_path: Path) -> None:
    """`trust cte-export` / `cte-import`: the authority's records survive a DIF CTE document."""
    key = ["--key", world.path("authority.jwk")]
    files = ["--accreditation", world.path("ministry.acc.json")]
    files += ["--accreditation", world.path("office.acc.json")]
    cte = str(tmp_path / "gov.cte.jwt")
    done = run("trust", "cte-export", *key, *files, "--id", "gov", "--name", "Gov", "-o", cte)
    assert done.returncode == 0, done.stderr
    assert "not exported" in done.stderr  # the office is accredited by the ministry
    header = json.loads(base64.urlsafe_b64decode(Path(cte).read_text().split(".")[0] + "=="))
    assert header["kid"].startswith(world.did["authority"] + "#")
    done = run("trust", "cte-import", cte, *key, "-o", str(tmp_path / "in"))
    assert done.returncode == 0, done.stderr
    [imported] = sorted((tmp_path / "in").iterdir())
    assert json.loads(imported.read_text()) == json.loads(
        Path(world.path("ministry.acc.json")).read_text()
    )
    plain = str(tmp_path / "gov.cte.json")
    flags = ["--id", "gov", "--name", "Gov", "--unsigned", "-o", plain]
    assert run("trust", "cte-export", *key, *files, *flags).returncode == 0
    assert run("trust", "cte-import", plain, *key, "-o", str(tmp_path / "x")).returncode == 2
    head, payload, signature = Path(cte).read_text().strip().split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    document["roles"]["issue_1"]["issue"].append("DiplomaticPassportCredential")
    body = base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
    Path(tmp_path / "forged.jwt").write_text(f"{head}.{body}.{signature}")
    forged = run("trust", "cte-import", str(tmp_path / "forged.jwt"), *key, "-o", str(tmp_path))
    assert (forged.returncode, "trust.cte_signature_invalid" in forged.stderr) == (2, True)
