"""End to end: trust roots, accreditations and bundles with the did-gov command (specs/cli.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


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
    assert done.returncode == 0, done.stderr
    return done.stdout


class World:
    """Keys and files of a national trust authority, a ministry, an office and a forger."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.did: dict[str, str] = {}
        for name, seed in (
            ("authority", "01"),
            ("bundle", "02"),
            ("ministry", "03"),
            ("office", "04"),
            ("forger", "05"),
        ):
            path = directory / f"{name}.jwk"
            ok("key", "generate", "--seed", seed * 32, "-o", str(path))
            self.did[name] = json.loads(ok("key", "show", str(path)))["didKey"]

    def path(self, name: str) -> str:
        return str(self.dir / name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(tmp_path_factory.mktemp("trust"))
    ok(
        "trust",
        "root",
        "--key",
        w.path("bundle.jwk"),
        "--authority",
        w.did["authority"],
        "--expires",
        "365d",
        "-o",
        w.path("root.json"),
    )
    ok(
        "trust",
        "accredit",
        "--key",
        w.path("authority.jwk"),
        "--issuer",
        w.did["ministry"],
        "--type",
        "BirthCertificateCredential",
        "--type",
        "CitizenIdentityCredential",
        "--name",
        "Ministry of the Interior",
        "--name-zh",
        "内政部",
        "--may-accredit",
        "--max-path-length",
        "0",
        "--valid-from",
        "2020-01-01T00:00:00Z",
        "--valid-until",
        "2099-01-01T00:00:00Z",
        "-o",
        w.path("ministry.acc.json"),
    )
    ok(
        "trust",
        "accredit",
        "--key",
        w.path("ministry.jwk"),
        "--issuer",
        w.did["office"],
        "--type",
        "BirthCertificateCredential",
        "--name",
        "Registry Office",
        "--valid-from",
        "2021-01-01T00:00:00Z",
        "--valid-until",
        "2098-01-01T00:00:00Z",
        "-o",
        w.path("office.acc.json"),
    )
    for version in (1, 2):
        ok(
            "bundle",
            "build",
            "--root",
            w.path("root.json"),
            "--key",
            w.path("bundle.jwk"),
            "--accreditation",
            w.path("ministry.acc.json"),
            "--accreditation",
            w.path("office.acc.json"),
            "--version",
            str(version),
            "--expires",
            "30d",
            "-o",
            w.path(f"bundle{version}.json"),
        )
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
    names = {a["name_zh"] for a in summary["accreditations"]}
    assert names == {"内政部", None}


def test_install_then_rollback_is_refused(world: World, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    out = ok(
        "bundle",
        "install",
        world.path("bundle2.json"),
        "--root",
        world.path("root.json"),
        "--store",
        store,
    )
    assert "installed trust bundle v2" in out
    refused = run(
        "bundle",
        "install",
        world.path("bundle1.json"),
        "--root",
        world.path("root.json"),
        "--store",
        store,
    )
    assert refused.returncode == 1
    assert "trust.bundle_rollback" in refused.stdout


def test_install_of_a_tampered_bundle_is_refused(world: World, tmp_path: Path) -> None:
    value = json.loads(Path(world.path("bundle1.json")).read_text())
    value["files"]["log-keys.json"] = '["x"]'
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(value))
    done = run(
        "bundle",
        "install",
        str(bad),
        "--root",
        world.path("root.json"),
        "--store",
        str(tmp_path / "s"),
    )
    assert done.returncode == 1
    assert "trust.bundle_hash_mismatch" in done.stdout


def test_accredit_window_before_start_is_a_usage_error(world: World) -> None:
    done = run(
        "trust",
        "accredit",
        "--key",
        world.path("ministry.jwk"),
        "--issuer",
        world.did["office"],
        "--type",
        "X",
        "--valid-from",
        "2030-01-01T00:00:00Z",
        "--valid-until",
        "2029-01-01T00:00:00Z",
        "-o",
        world.path("bad.json"),
    )
    assert done.returncode == 2


def test_accredit_window_in_the_past_is_allowed(world: World) -> None:
    ok(
        "trust",
        "accredit",
        "--key",
        world.path("ministry.jwk"),
        "--issuer",
        world.did["office"],
        "--type",
        "X",
        "--valid-from",
        "2000-01-01T00:00:00Z",
        "--valid-until",
        "2001-01-01T00:00:00Z",
        "-o",
        world.path("past.json"),
    )


def test_build_warns_about_unchained_authorities(world: World) -> None:
    ok(
        "trust",
        "accredit",
        "--key",
        world.path("forger.jwk"),
        "--issuer",
        world.did["forger"],
        "--type",
        "BirthCertificateCredential",
        "-o",
        world.path("forged.acc.json"),
    )
    done = run(
        "bundle",
        "build",
        "--root",
        world.path("root.json"),
        "--key",
        world.path("bundle.jwk"),
        "--accreditation",
        world.path("forged.acc.json"),
        "--version",
        "9",
        "--expires",
        "1d",
        "-o",
        world.path("forged-bundle.json"),
    )
    assert done.returncode == 0
    assert "neither a root authority nor accredited" in done.stderr


def test_bundle_build_with_a_key_outside_the_root_is_refused(world: World) -> None:
    done = run(
        "bundle",
        "build",
        "--root",
        world.path("root.json"),
        "--key",
        world.path("forger.jwk"),
        "--version",
        "3",
        "--expires",
        "1d",
        "-o",
        world.path("x.json"),
    )
    assert done.returncode == 2
    assert "trust.bundle_signature_invalid" in done.stderr
