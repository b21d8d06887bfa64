"""Prepare the pinned W3C suites from git snapshots into a cache folder (no GitHub access).

Each repository is read from a bare git directory (a snapshot or ``git clone --mirror``) at its
pinned commit with ``git archive``. The suites' two GitHub dependencies are installed from those
trees (``file:`` specifiers, ``npm install --install-links --ignore-scripts``); everything else
comes from the npm registry. The ecdsa suite's ``postinstall`` would clone the vc-di-ecdsa spec for
its test vectors: the pinned spec's ``TestVectors`` are copied in instead.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

PINS: dict[str, str] = {
    "w3c/vc-di-eddsa-test-suite": "a62061b23892deb44dbad67a0315d403fdf09440",
    "w3c/vc-di-ecdsa-test-suite": "070efa34139e0918eb6ca86ab59033322803af3e",
    "w3c/vc-data-model-2.0-test-suite": "6e075243825f50c79017de4a27089d329c093d0f",
    "w3c/vc-bitstring-status-list-test-suite": "5cdc5625948470d1f3b8b615e0771c013dc9029e",
    "w3c/vc-test-suite-implementations": "a15c6cf73e588f93a5b532a02c051ad7b59777ab",
    "w3c-ccg/data-integrity-test-suite-assertion": "8d84d182f022f02049135f7d1ad3d5d0181e5560",
    "w3c/vc-di-ecdsa": "00781de52c036723bbd88d89b07818a2914a6b9e",
}
"""Every repository the run reads, at the commit it is pinned to (``specs/conformance.md``)."""

GITHUB_DEPENDENCIES = {
    "vc-test-suite-implementations": "w3c/vc-test-suite-implementations",
    "data-integrity-test-suite-assertion": "w3c-ccg/data-integrity-test-suite-assertion",
}
"""The suites' ``github:`` dependencies (package name → repository)."""


@dataclass(frozen=True)
class Suite:
    """One W3C test suite: its repository and the name it has in the results."""

    name: str
    repo: str


SUITES = (
    Suite("vc-di-eddsa", "w3c/vc-di-eddsa-test-suite"),
    Suite("vc-di-ecdsa", "w3c/vc-di-ecdsa-test-suite"),
    Suite("vc-data-model-2.0", "w3c/vc-data-model-2.0-test-suite"),
    Suite("vc-bitstring-status-list", "w3c/vc-bitstring-status-list-test-suite"),
)


class PrepareError(Exception):
    """A snapshot is missing or lacks its pinned commit, or npm failed."""


def snapshot_dir(mirrors: Path, repo: str) -> Path:
    """The git directory of ``repo`` under ``mirrors``.

    Accepted layouts: ``OWNER+NAME/repo`` (the snapshots this session fetched),
    ``OWNER+NAME.git`` and ``OWNER+NAME`` (``git clone --mirror URL DIR/OWNER+NAME.git``).
    """
    flat = repo.replace("/", "+")
    for candidate in (mirrors / flat / "repo", mirrors / f"{flat}.git", mirrors / flat):
        if (candidate / "HEAD").is_file():
            return candidate
    raise PrepareError(
        f"no git snapshot of {repo} under {mirrors} (expected {flat}/repo or {flat}.git)"
    )


def _git(git_dir: Path, *args: str) -> bytes:
    try:
        return subprocess.run(  # noqa: S603 - git with fixed arguments on a local directory
            ["git", f"--git-dir={git_dir}", *args],  # noqa: S607
            check=True,
            capture_output=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise PrepareError(f"git {' '.join(args)} in {git_dir}: {exc.stderr.decode()}") from exc


def extract(mirrors: Path, repo: str, dest: Path) -> Path:
    """Write the pinned tree of ``repo`` to ``dest`` (kept when already at that commit)."""
    commit = PINS[repo]
    stamp = dest / ".did-gov-pinned"
    if stamp.is_file() and stamp.read_text() == commit:
        return dest
    git_dir = snapshot_dir(mirrors, repo)
    if _git(git_dir, "cat-file", "-t", commit).strip() != b"commit":
        raise PrepareError(f"{repo}: pinned commit {commit} is not in {git_dir}")
    archive = _git(git_dir, "archive", "--format=tar", commit)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    stamp.write_text(commit)
    return dest


def _rewrite_package_json(suite_dir: Path, deps_dir: Path) -> None:
    """Point the GitHub dependencies at the extracted trees; drop scripts and dev dependencies."""
    path = suite_dir / "package.json"
    package = json.loads(path.read_text())
    dependencies = package["dependencies"]
    for name in GITHUB_DEPENDENCIES:
        if name in dependencies:
            dependencies[name] = f"file:{deps_dir / name}"
    package.pop("devDependencies", None)
    package.pop("scripts", None)
    package.pop("mocha", None)  # the vc2.0 suite names an allure reporter there; we pass our own
    path.write_text(json.dumps(package, indent=2) + "\n")
    lock = suite_dir / "package-lock.json"
    if lock.exists():  # its github: entries cannot resolve here; npm re-resolves from ranges
        lock.unlink()


def prepare(mirrors: Path, cache: Path, suite: Suite, *, log: bool = True) -> Path:
    """Extract ``suite`` and its dependencies at their pins and install its npm packages."""
    deps_dir = cache / "deps"
    for name, repo in GITHUB_DEPENDENCIES.items():
        extract(mirrors, repo, deps_dir / name)
    suite_dir = cache / "suites" / suite.name
    installed = suite_dir / ".did-gov-installed"
    wanted = json.dumps({repo: PINS[repo] for repo in (suite.repo, *GITHUB_DEPENDENCIES.values())})
    if installed.is_file() and installed.read_text() == wanted:
        return suite_dir
    extract(mirrors, suite.repo, suite_dir)
    _rewrite_package_json(suite_dir, deps_dir)
    if suite.repo == "w3c/vc-di-ecdsa-test-suite":
        spec = extract(mirrors, "w3c/vc-di-ecdsa", cache / "deps" / "vc-di-ecdsa")
        vectors = suite_dir / "tests" / "input" / "vc-di-ecdsa" / "TestVectors"
        shutil.copytree(spec / "TestVectors", vectors)
    if log:
        print(f"npm install for {suite.name} (registry packages, GitHub ones from snapshots)")
    npm = shutil.which("npm")
    if npm is None:
        raise PrepareError("npm is not installed (the suites need Node.js 20 or later)")
    result = subprocess.run(  # noqa: S603 - npm with fixed arguments in the cache folder
        [npm, "install", "--install-links", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=suite_dir,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise PrepareError(f"npm install for {suite.name} failed:\n{result.stderr[-2000:]}")
    installed.write_text(wanted)
    return suite_dir


def installed_versions(suite_dir: Path) -> dict[str, str]:
    """The version npm installed for each direct dependency of a prepared suite.

    The suites' lockfiles cannot be used (their GitHub entries do not resolve here), so the run
    records what the registry gave, to compare two runs.
    """
    package = json.loads((suite_dir / "package.json").read_text())
    versions: dict[str, str] = {}
    for name in sorted(package.get("dependencies", {})):
        manifest = suite_dir / "node_modules" / name / "package.json"
        if manifest.is_file():
            versions[name] = str(json.loads(manifest.read_text()).get("version", "?"))
    return versions
