"""The W3C-suite runner's own logic (``conformance/``), without the suites or Node.

The run itself needs git snapshots and Node.js (``specs/conformance.md``), so it is not part of
``make test``; what it computes from their output is: the pins the spec lists, the
``localConfig.cjs`` it writes, how test titles are grouped, how exceptions are counted, and the
TLS relay the status list suite reaches the server through.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance._config import ISSUERS, local_config, local_config_cjs, serve_arguments
from conformance._prepare import PINS, SUITES, PrepareError, snapshot_dir
from conformance._relay import TlsRelay, write_certificate
from conformance._results import Results, classify, listed_exception
from tests.conftest import ROOT

SPEC = (ROOT / "specs" / "conformance.md").read_text()
BASE = "https://127.0.0.1:4443"
DIDS = {issuer.name: f"did:key:z{issuer.name}" for issuer in ISSUERS}


def test_the_spec_lists_exactly_the_pinned_commits() -> None:
    listed = dict(re.findall(r"^\| `([\w.-]+/[\w.-]+)` \| `([0-9a-f]{40})` \|", SPEC, re.M))
    assert listed == PINS


def test_every_listed_exception_has_its_section_in_the_spec() -> None:
    from conformance._results import EXCEPTIONS

    for exception in EXCEPTIONS:
        assert f"### {exception.anchor}\n" in SPEC


def test_a_missing_snapshot_is_named(tmp_path: Path) -> None:
    with pytest.raises(PrepareError, match=r"w3c\+vc-di-ecdsa/repo"):
        snapshot_dir(tmp_path, "w3c/vc-di-ecdsa")


def _endpoints(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for impl in config["implementations"] for e in impl.get(kind, [])]


@pytest.mark.parametrize("suite", [s.name for s in SUITES])
def test_local_config_points_every_endpoint_at_the_server(suite: str) -> None:
    config = local_config(suite, BASE, DIDS)
    assert config["settings"] == {"enableInteropTests": True, "testAllImplementations": False}
    names = {issuer.name for issuer in ISSUERS}
    for entry in _endpoints(config, "issuers"):
        name = entry["endpoint"].removeprefix(f"{BASE}/issuers/").removesuffix("/credentials/issue")
        assert name in names
        assert entry["id"] == DIDS[name]
    for entry in _endpoints(config, "verifiers"):
        assert entry["endpoint"] == f"{BASE}/credentials/verify"
    for entry in _endpoints(config, "vpVerifiers"):
        assert entry["endpoint"] == f"{BASE}/presentations/verify"
    text = local_config_cjs(config)
    assert json.loads(text.split("module.exports = ", 1)[1].rstrip().rstrip(";")) == config


def test_ecdsa_config_runs_both_curves_of_both_cryptosuites() -> None:
    config = local_config("vc-di-ecdsa", BASE, DIDS)
    pairs = {
        (entry["tags"][0], entry["supportedEcdsaKeyTypes"][0])
        for entry in _endpoints(config, "issuers")
    }
    assert pairs == {
        (suite, curve)
        for suite in ("ecdsa-rdfc-2019", "ecdsa-jcs-2019")
        for curve in ("P-256", "P-384")
    }
    (verifier,) = _endpoints(config, "verifiers")
    assert verifier["supportedEcdsaKeyTypes"] == ["P-256", "P-384"]


def test_the_status_suite_asks_for_a_revocation_entry() -> None:
    (issuer,) = _endpoints(local_config("vc-bitstring-status-list", BASE, DIDS), "issuers")
    assert issuer["options"]["credentialStatus"]["statusPurpose"] == "revocation"


def test_serve_arguments_name_one_issuer_per_cryptosuite_and_curve() -> None:
    keys = {issuer.name: f"/k/{issuer.name}.jwk" for issuer in ISSUERS}
    arguments = serve_arguments(keys, public_url=BASE, data="/d")
    assert "--trust-any-issuer" in arguments
    assert "--port" not in arguments  # the launcher adds --port 0
    issuers = [arguments[i + 1] for i, a in enumerate(arguments) if a == "--issuer"]
    assert issuers == [f"{i.name}=/k/{i.name}.jwk,cryptosuite={i.cryptosuite}" for i in ISSUERS]


@pytest.mark.parametrize(
    ("suite", "title", "expected"),
    [
        (
            "vc-di-ecdsa",
            "Data Model did_gov ecdsa-jcs-2019 P-384 The type …",
            ("ecdsa-jcs-2019", "P-384"),
        ),
        (
            "vc-di-ecdsa",
            "Algorithms - Verify Proof (ecdsa-rdfc-2019) did_gov verifier …",
            ("ecdsa-rdfc-2019", "both"),
        ),
        (
            "vc-di-eddsa",
            "eddsa-jcs-2022 (interop) did_gov eddsa-jcs-2022 should verify",
            ("eddsa-jcs-2022", "-"),
        ),
        (
            "vc-data-model-2.0",
            "Issuer did_gov vc2.0 eddsa-jcs-2022 A verifiable …",
            ("vc2.0", "issuer eddsa-jcs-2022"),
        ),
        (
            "vc-bitstring-status-list",
            "Algorithm did_gov BitstringStatusList If …",
            ("BitstringStatusList", "-"),
        ),
    ],
)
def test_titles_are_grouped_by_tag_and_variant(
    suite: str, title: str, expected: tuple[str, str]
) -> None:
    assert classify(suite, title) == expected


def _test(title: str, failed: bool = False) -> dict[str, Any]:
    return {"fullTitle": title, "err": {"message": "boom\nmore"} if failed else {}}


def test_results_count_exceptions_apart_from_failures() -> None:
    verify = "Algorithms - Verify Proof (ecdsa-rdfc-2019) did_gov verifier The following …"
    assert listed_exception("vc-di-ecdsa", verify) is not None
    report = {
        "tests": [
            _test(verify, failed=True),
            _test("Data Model did_gov ecdsa-rdfc-2019 P-256 ok"),
            _test("Data Model did_gov ecdsa-rdfc-2019 P-256 broken", failed=True),
            _test("ecdsa-rdfc-2019 (interop) skipped"),
        ],
        "pending": [_test("ecdsa-rdfc-2019 (interop) skipped")],
        "failures": [{"title": '"before all" hook', "fullTitle": 'X "before all" hook'}],
    }
    results = Results()
    results.add_report("vc-di-ecdsa", report)
    both = results.rows[("vc-di-ecdsa", "ecdsa-rdfc-2019", "both")]
    p256 = results.rows[("vc-di-ecdsa", "ecdsa-rdfc-2019", "P-256")]
    assert (both.passed, both.total, both.exceptions, both.pending) == (0, 1, 1, 1)
    assert (p256.passed, p256.total, p256.exceptions) == (1, 2, 0)
    assert results.unexpected == [
        "vc-di-ecdsa: Data Model did_gov ecdsa-rdfc-2019 P-256 broken — boom",
        'vc-di-ecdsa: hook X "before all" hook',
    ]
    assert "| **all** | | | **1 / 3** | 1 | 1 |" in results.table()


def test_a_listed_exception_that_passes_is_reported() -> None:
    results = Results()
    title = "Algorithms - Verify Proof (ecdsa-jcs-2019) did_gov verifier The following …"
    results.add_report("vc-di-ecdsa", {"tests": [_test(title)]})
    assert results.exceptions_passing == [f"vc-di-ecdsa: {title}"]
    assert results.unexpected == []


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello": "relay"}'
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


def test_the_tls_relay_serves_the_upstream_over_https(tmp_path: Path) -> None:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    cert, key = write_certificate(tmp_path)
    try:
        with TlsRelay(cert, key) as relay:
            relay.upstream = upstream.server_address[1]
            context = ssl.create_default_context(cafile=str(cert))  # verified, not waived
            url = f"{relay.url}/x"
            with urllib.request.urlopen(url, context=context, timeout=10) as answer:  # noqa: S310
                assert json.loads(answer.read()) == {"hello": "relay"}
    finally:
        upstream.shutdown()
