"""Run the pinned W3C VC test suites against a local ``did-gov serve`` (``specs/conformance.md``).

    python -m conformance --mirrors DIR [--cache DIR] [--only SUITE ...] [--json FILE]

1. prepare each suite from the git snapshots under ``--mirrors`` into ``--cache``
   (``conformance._prepare``: pinned commits, npm packages from the registry);
2. generate one key per issuer, start a TLS relay and ``did-gov serve`` behind it (one issuer per
   cryptosuite and curve, ``--trust-any-issuer``, default context policy; VCALM verification
   leaves subject binding off);
3. write each suite's ``localConfig.cjs`` and run its mocha tests with the JSON reporter;
4. stop the server and print passed/total per suite, tag and variant as a Markdown table.

Exit status 0 when every failing test is a listed exception (``conformance._results``), 1 when
any other test failed, 2 when the suites could not be prepared or the server did not start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance._config import ISSUERS, local_config, local_config_cjs, serve_arguments
from conformance._prepare import PINS, SUITES, PrepareError, installed_versions, prepare
from conformance._relay import TlsRelay, write_certificate
from conformance._results import Results, count_by_suite
from did_gov.errors import DidGovError

ROOT = Path(__file__).resolve().parent.parent
MOCHA_TIMEOUT_MS = 15000
SUITE_TIMEOUT_S = 900


DID_GOV = [sys.executable, "-m", "did_gov"]


def make_keys(directory: Path) -> tuple[dict[str, str], dict[str, str]]:
    """One new key file per issuer (``did-gov key generate``); return key paths and did:keys."""
    from did_gov.dids import did_key
    from did_gov.keys import load_private_key

    keys: dict[str, str] = {}
    dids: dict[str, str] = {}
    for issuer in ISSUERS:
        path = directory / f"{issuer.name}.jwk"
        subprocess.run(  # noqa: S603 - our own CLI
            [*DID_GOV, "key", "generate", "--type", issuer.key_type, "-o", str(path)],
            check=True,
        )
        keys[issuer.name] = str(path)
        dids[issuer.name] = did_key.did_for_public_key(load_private_key(path).public_key)
    return keys, dids


@contextmanager
def served(work: Path, keys: dict[str, str]) -> Iterator[str]:
    """Start the TLS relay and ``did-gov serve`` behind it; yield the public https URL."""
    from did_gov.testing.server import CliServer

    cert, key = write_certificate(work)
    with TlsRelay(cert, key) as relay:
        arguments = serve_arguments(keys, public_url=relay.url, data=str(work / "data"))
        with CliServer.start(arguments, timeout=120) as server:
            relay.upstream = urlsplit(server.url).port
            print(f"did-gov {' '.join(arguments)} --port 0  # at {server.url}, as {relay.url}")
            try:
                yield relay.url
            finally:
                (work / "serve.log").write_text(server.stderr())


def run_mocha(suite_dir: Path, report: Path, cert: Path) -> dict[str, Any]:
    """Run ``suite_dir``'s tests with mocha's JSON reporter; return the parsed report."""
    node = shutil.which("node")
    if node is None:
        raise PrepareError("node is not installed")
    report.unlink(missing_ok=True)
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(cert)}
    with (report.parent / f"{report.stem}.log").open("wb") as log:
        subprocess.run(  # noqa: S603 - node running the prepared suite
            [
                node,
                str(suite_dir / "node_modules" / "mocha" / "bin" / "mocha.js"),
                "tests/",
                "--reporter",
                "json",
                "--reporter-option",
                f"output={report}",
                "--timeout",
                str(MOCHA_TIMEOUT_MS),
                "--preserve-symlinks",
                "--exit",
            ],
            cwd=suite_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=SUITE_TIMEOUT_S,
            check=False,  # mocha exits with the number of failures
        )
    if not report.is_file():
        raise RuntimeError(f"mocha wrote no report for {suite_dir.name}; see {log.name}")
    result: dict[str, Any] = json.loads(report.read_text())
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--mirrors",
        type=Path,
        default=os.environ.get("DID_GOV_W3C_MIRRORS"),
        help="folder of the git snapshots (OWNER+NAME/repo or OWNER+NAME.git); "
        "default $DID_GOV_W3C_MIRRORS",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=ROOT / ".conformance",
        help="where suites are prepared and reports written (default: .conformance/)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[s.name for s in SUITES],
        help="run only this suite (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare, serve, run, report; see the module docstring for the exit status."""
    args = _parser().parse_args(argv)
    if args.mirrors is None:
        print("--mirrors DIR (or DID_GOV_W3C_MIRRORS) is required", file=sys.stderr)
        return 2
    suites = [s for s in SUITES if not args.only or s.name in args.only]
    cache: Path = args.cache.resolve()
    try:
        prepared = {s.name: prepare(Path(args.mirrors), cache, s) for s in suites}
    except PrepareError as exc:
        print(f"cannot prepare the suites: {exc}", file=sys.stderr)
        return 2
    reports = cache / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    results = Results()
    with tempfile.TemporaryDirectory(prefix="did-gov-conformance-") as tmp:
        work = Path(tmp)
        keys, dids = make_keys(work)
        try:
            with served(work, keys) as base:
                for suite in suites:
                    suite_dir = prepared[suite.name]
                    config = local_config(suite.name, base, dids)
                    (suite_dir / "localConfig.cjs").write_text(local_config_cjs(config))
                    started = time.monotonic()
                    report = run_mocha(
                        suite_dir, reports / f"{suite.name}.json", work / "relay-cert.pem"
                    )
                    results.add_report(suite.name, report)
                    print(f"{suite.name}: done in {time.monotonic() - started:.0f} s")
        except (RuntimeError, DidGovError) as exc:
            print(f"{exc}\n--- serve.log ---", file=sys.stderr)
            log = work / "serve.log"
            print(log.read_text() if log.exists() else "", file=sys.stderr)
            return 2
    print()
    for name, (passed, total) in sorted(count_by_suite(results).items()):
        print(f"{name}: {passed} / {total} passed")
    print()
    print(results.table())
    for line in results.unexpected:
        print(f"FAILED (not a listed exception): {line}")
    for line in results.exceptions_passing:
        print(f"a listed exception passed (update specs/conformance.md): {line}")
    if args.json:
        summary = results.summary()
        summary["suites"] = {
            s.name: {"commit": PINS[s.repo], "npm": installed_versions(prepared[s.name])}
            for s in suites
        }
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if results.unexpected else 0
