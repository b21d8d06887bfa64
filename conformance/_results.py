"""Read mocha's JSON report: passed/total per suite, tag and variant, and the listed exceptions.

A test's tag and variant come from the implementation name in its title (``_config``): the
cryptosuite tag, and for ECDSA the curve (``both`` when one test covers every curve the verifier
lists), for the VC 2.0 suite the issuer's cryptosuite. An **exception** is a suite test that
contradicts a specification did_gov follows; each is listed with the text it contradicts in
``specs/conformance.md`` (the ``anchor`` names its section there).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

TAGS = (
    "eddsa-rdfc-2022",
    "eddsa-jcs-2022",
    "ecdsa-rdfc-2019",
    "ecdsa-jcs-2019",
    "ecdsa-sd-2023",
)
_SUITE_TAG = {"vc-data-model-2.0": "vc2.0", "vc-bitstring-status-list": "BitstringStatusList"}


@dataclass(frozen=True)
class Exception_:
    """A suite test did_gov does not pass on purpose: a title pattern and its section."""

    suite: str
    title: re.Pattern[str]
    anchor: str


EXCEPTIONS = (
    Exception_(
        "vc-di-ecdsa",
        re.compile(r"^Algorithms - Verify Proof \(ecdsa-(rdfc|jcs)-2019\) "),
        "issuer-binding",
    ),
    Exception_(
        "vc-data-model-2.0",
        re.compile(
            r"^Names and Descriptions did_gov vc2\.0 eddsa-rdfc-2022 .*the value of the "
            r"(name|description) property MUST be a string or a language value object"
        ),
        "direction-under-rdfc",
    ),
    Exception_(
        "vc-data-model-2.0",
        re.compile(r"If the digest provided by the issuer does not match the digest computed"),
        "related-resource-retrieval",
    ),
)


def classify(suite: str, title: str) -> tuple[str, str]:
    """(tag, variant) of a test of ``suite`` from its full title."""
    if suite in _SUITE_TAG:
        tag = _SUITE_TAG[suite]
        if suite == "vc-data-model-2.0":
            found = [t for t in TAGS if f"vc2.0 {t}" in title]
            return tag, f"issuer {found[0]}" if found else "-"
        return tag, "-"
    tags = [t for t in TAGS if t in title]
    tag = tags[0] if tags else "all"
    if suite != "vc-di-ecdsa":
        return tag, "-"
    curves = [c for c in ("P-256", "P-384") if c in title]
    return tag, curves[0] if len(curves) == 1 else "both"


def listed_exception(suite: str, title: str) -> Exception_ | None:
    """The exception covering this test, if any."""
    return next((e for e in EXCEPTIONS if e.suite == suite and e.title.search(title)), None)


@dataclass
class Row:
    """Counts for one (suite, tag, variant)."""

    passed: int = 0
    total: int = 0
    pending: int = 0
    exceptions: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class Results:
    """Every suite's rows, the unexpected failures and the exceptions that passed after all."""

    rows: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    exceptions_passing: list[str] = field(default_factory=list)

    def add_report(self, suite: str, report: dict[str, Any]) -> None:
        """Count one mocha JSON report (``--reporter json``) of ``suite``."""
        pending = {t["fullTitle"] for t in report.get("pending", [])}
        for test in report.get("tests", []):
            title: str = test["fullTitle"]
            row = self.rows.setdefault((suite, *classify(suite, title)), Row())
            if title in pending:
                row.pending += 1
                continue
            row.total += 1
            exception = listed_exception(suite, title)
            failed = bool(test.get("err"))
            if not failed:
                row.passed += 1
                if exception is not None:
                    self.exceptions_passing.append(f"{suite}: {title}")
            elif exception is not None:
                row.exceptions += 1
            else:
                message = str(test["err"].get("message", "")).splitlines()[0][:200]
                row.failures.append(f"{title} — {message}")
                self.unexpected.append(f"{suite}: {title} — {message}")
        for hook in report.get("failures", []):  # a failing before() hook is not in "tests"
            if hook.get("title", "").startswith('"before'):
                self.unexpected.append(f"{suite}: hook {hook['fullTitle']}")

    def table(self) -> str:
        """The Markdown results table (README, specs/conformance.md)."""
        lines = [
            "| suite | tag | variant | passed / total | listed exceptions | pending |",
            "|---|---|---|---|---|---|",
        ]
        totals = Row()
        for (suite, tag, variant), row in sorted(self.rows.items()):
            lines.append(
                f"| {suite} | {tag} | {variant} | {row.passed} / {row.total} "
                f"| {row.exceptions} | {row.pending} |"
            )
            totals.passed += row.passed
            totals.total += row.total
            totals.exceptions += row.exceptions
            totals.pending += row.pending
        lines.append(
            f"| **all** | | | **{totals.passed} / {totals.total}** "
            f"| {totals.exceptions} | {totals.pending} |"
        )
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary (``--json``)."""
        return {
            "rows": [
                {
                    "suite": suite,
                    "tag": tag,
                    "variant": variant,
                    "passed": row.passed,
                    "total": row.total,
                    "exceptions": row.exceptions,
                    "pending": row.pending,
                    "failures": row.failures,
                }
                for (suite, tag, variant), row in sorted(self.rows.items())
            ],
            "unexpected": self.unexpected,
            "exceptions_passing": self.exceptions_passing,
        }


def count_by_suite(results: Results) -> dict[str, tuple[int, int]]:
    """(passed, total) per suite."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (suite, _, _), row in results.rows.items():
        counts[suite][0] += row.passed
        counts[suite][1] += row.total
    return {suite: (p, t) for suite, (p, t) in counts.items()}
