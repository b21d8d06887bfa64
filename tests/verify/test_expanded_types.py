"""The trust step matches an accreditation for an absolute type IRI against the expanded type.

specs/trust-registry.md §5, CONTRACTS §F: a term in an accreditation matches the credential's
``type`` term as written; an absolute IRI matches only the IRI the term expands to under
the credential's (signed) contexts. Data Integrity takes the IRIs from the contexts step,
a ``vc+jwt`` from its own contexts; an SD-JWT VC is judged on its ``vct`` as written.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from did_gov import Verifier, issue, issue_sd_jwt
from did_gov.trust import TrustRegistry
from tests.trust._world import MINISTRY, NOW, ROOT, T0, accredit

TERM = "CitizenIdentityCredential"
EXAMPLES_IRI = "https://www.w3.org/ns/credentials/examples#CitizenIdentityCredential"
"""What ``TERM`` expands to under the pinned examples context (its ``@vocab``)."""
ELSEWHERE = "https://elsewhere.example/contexts/v1"
ELSEWHERE_IRI = "https://elsewhere.example/vocab#CitizenIdentityCredential"


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registered context that maps the same term to another IRI."""
    directory = tmp_path_factory.mktemp("contexts")
    (directory / "elsewhere.json").write_text(
        json.dumps({"@context": {"@version": 1.1, "@vocab": "https://elsewhere.example/vocab#"}})
    )
    (directory / "index.json").write_text(json.dumps({ELSEWHERE: "elsewhere.json"}))
    return directory


def _unsigned(context: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", context],
        "type": ["VerifiableCredential", TERM],
        "issuer": MINISTRY.did,
        "validFrom": "2026-01-02T00:00:00Z",
        "credentialSubject": {"givenName": "Ada"},
    }


def _issued(fmt: str, context: str, contexts: Path) -> Any:
    when = T0 + timedelta(days=2)
    if fmt == "sd-jwt":
        return issue_sd_jwt(_unsigned(context), MINISTRY.key, kid=MINISTRY.vm, now=when)
    return issue(
        _unsigned(context),
        MINISTRY.key,
        format=fmt,  # type: ignore[arg-type]
        verification_method=MINISTRY.vm,
        contexts=[contexts],
        now=when,
    )


def _verifier(accredited: str, contexts: Path) -> Verifier:
    registry = TrustRegistry([ROOT.did], [accredit(ROOT, MINISTRY.did, (accredited,))])
    return Verifier(contexts=[contexts], now=NOW, trust=registry)


def _codes(report: Any) -> list[str]:
    return [c.code for c in report.errors]


@pytest.mark.parametrize("fmt", ["di", "vc-jwt"])
def test_absolute_iri_accreditation_accepts_the_term_that_expands_to_it(
    fmt: str, contexts: Path
) -> None:
    vc = _issued(fmt, "https://www.w3.org/ns/credentials/examples/v2", contexts)
    report = _verifier(EXAMPLES_IRI, contexts).verify(vc)
    assert report.verified, report.summary()


@pytest.mark.parametrize("fmt", ["di", "vc-jwt"])
def test_absolute_iri_accreditation_refuses_the_same_term_mapped_elsewhere(
    fmt: str, contexts: Path
) -> None:
    vc = _issued(fmt, ELSEWHERE, contexts)
    assert _codes(_verifier(EXAMPLES_IRI, contexts).verify(vc)) == ["trust.issuer_not_accredited"]
    assert _verifier(ELSEWHERE_IRI, contexts).verify(vc).verified


@pytest.mark.parametrize("fmt", ["di", "vc-jwt"])
def test_term_accreditation_matches_the_term_as_written(fmt: str, contexts: Path) -> None:
    for context in ("https://www.w3.org/ns/credentials/examples/v2", ELSEWHERE):
        report = _verifier(TERM, contexts).verify(_issued(fmt, context, contexts))
        assert report.verified, report.summary()


def test_sd_jwt_vc_is_judged_on_its_vct_as_written(contexts: Path) -> None:
    """An SD-JWT VC is not JSON-LD: its ``vct`` matches verbatim, never an expanded IRI."""
    token = _issued("sd-jwt", "https://www.w3.org/ns/credentials/examples/v2", contexts)
    assert _codes(_verifier(EXAMPLES_IRI, contexts).verify(token)) == [
        "trust.issuer_not_accredited"
    ]
    assert _verifier(TERM, contexts).verify(token).verified
