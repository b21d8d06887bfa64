"""``POST /credentials/verify`` and ``/presentations/verify``: VCALM requests onto the Verifier.

200 with the report when verified, 400 with ``{verified: false, checks, errors, …}`` when
not (what the W3C suites expect). Subject binding is off unless ``options.subjectBinding``
is true: VCALM leaves matching the holder to the subject to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from did_gov._asgi import ProblemError
from did_gov.verify import VerificationReport, Verifier

__all__ = ["VerifyOptions", "read_verify_request", "run_verification"]

_CREDENTIAL_OPTIONS = ("checks", "subjectBinding")
_PRESENTATION_OPTIONS = ("checks", "subjectBinding", "challenge", "domain")
_PRESENTATION_TYPES = ("VerifiablePresentation", "EnvelopedVerifiablePresentation")
_CREDENTIAL_TYPES = ("VerifiableCredential", "EnvelopedVerifiableCredential")


@dataclass(frozen=True)
class VerifyOptions:
    """The ``options`` of a verify request (``specs/service.md`` §Verify)."""

    challenge: str | None = None
    domain: str | None = None
    subject_binding: bool = False


def _bad(code: str, detail: str) -> ProblemError:
    return ProblemError(400, code, detail)


def _options(options: object, allowed: tuple[str, ...]) -> VerifyOptions:
    if not isinstance(options, dict):
        raise _bad("service.body_invalid", "options must be a JSON object")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise _bad("service.option_unknown", f"unknown option(s): {', '.join(unknown)}")
    checks = options.get("checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise _bad("service.option_invalid", "options.checks is a list of strings")
    binding = options.get("subjectBinding", False)
    if not isinstance(binding, bool):
        raise _bad("service.option_invalid", "options.subjectBinding is true or false")
    strings = {}
    for name in ("challenge", "domain"):
        value = options.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise _bad("service.option_invalid", f"options.{name} is a non-empty string")
        strings[name] = value
    return VerifyOptions(strings["challenge"], strings["domain"], binding)


def read_verify_request(
    body: Mapping[str, Any], member: str
) -> tuple[dict[str, Any], VerifyOptions]:
    """The document (``verifiableCredential`` or ``verifiablePresentation``) and options.

    The document must be a JSON object (an enveloped token is an
    ``EnvelopedVerifiableCredential``/``…Presentation`` object); a string where it belongs
    is a 400 ``service.body_invalid``.
    """
    unknown = sorted(set(body) - {member, "options"})
    if unknown:
        raise _bad("service.body_invalid", f"unknown member(s): {', '.join(unknown)}")
    document = body.get(member)
    if not isinstance(document, dict):
        raise _bad("service.body_invalid", f"{member} must be a JSON object")
    types = document.get("type")
    listed = types if isinstance(types, list) else [types]
    wrong = _PRESENTATION_TYPES if member == "verifiableCredential" else _CREDENTIAL_TYPES
    if any(t in wrong for t in listed):
        raise _bad("service.body_invalid", f"{member} holds a {listed[0]}")
    allowed = _PRESENTATION_OPTIONS if member == "verifiablePresentation" else _CREDENTIAL_OPTIONS
    options = body.get("options")
    return document, _options({} if options is None else options, allowed)


def run_verification(
    verifiers: Mapping[bool, Verifier], document: dict[str, Any], options: VerifyOptions
) -> VerificationReport:
    """Verify with the verifier of the requested subject binding."""
    verifier = verifiers[options.subject_binding]
    return verifier.verify(document, challenge=options.challenge, domain=options.domain)


def report_body(report: VerificationReport) -> dict[str, Any]:
    """The response body: the report (``verified``, ``checks``, ``errors``, …)."""
    return report.to_json()
