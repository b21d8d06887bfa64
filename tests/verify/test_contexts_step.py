"""The contexts step of the pipeline (specs/verification.md step 3): what later steps read is what was signed."""

from __future__ import annotations

import pytest

from did_gov import PrivateKey, VerificationPolicy, Verifier, issue, present
from did_gov.errors import InvalidInputError
from did_gov.jsonld import ContextPolicy
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.jsonld.test_context_policy import KEY, relabelled, signed, swapped


def _verifier(policy: ContextPolicy = ContextPolicy.RECOMPACT) -> Verifier:
    return Verifier(
        now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, policy=VerificationPolicy(context_policy=policy)
    )


def _check(report: object, name: str = "contexts") -> object:
    return next(c for c in report.checks if c.name == name)  # type: ignore[attr-defined]


def test_swap_attack_report_document_says_what_was_signed() -> None:
    report = _verifier().verify(swapped())
    assert report.verified
    assert _check(report).code == "jsonld.context_recompacted"
    assert report.document["credentialSubject"]["givenName"] == "Ada"
    assert report.document["credentialSubject"]["familyName"] == "Lovelace"


def test_relabel_attack_types_and_trust_see_the_signed_type() -> None:
    seen = []

    class Recording:
        def judge_issuer(self, claim, at):  # type: ignore[no-untyped-def]
            seen.append(claim.types)
            return UNSAFE_TRUST_ANY_ISSUER.judge_issuer(claim, at)

        def may_publish_status(self, list_issuer, credential_issuer, at):  # type: ignore[no-untyped-def]
            return list_issuer == credential_issuer

    report = Verifier(now=NOW, trust=Recording()).verify(relabelled())
    assert "DiplomaticPassportCredential" not in report.document["type"]
    assert seen and all("DiplomaticPassportCredential" not in types for types in seen)


@pytest.mark.parametrize("attack", [swapped, relabelled], ids=["swap", "relabel"])
def test_context_attacks_refused_under_strict_policy(attack: object) -> None:
    report = _verifier(ContextPolicy.STRICT).verify(attack())  # type: ignore[operator]
    assert not report.verified
    assert _check(report).code == "jsonld.context_unpinned"


def test_pinned_credential_passes_the_contexts_step_unchanged() -> None:
    vc = signed()
    report = _verifier(ContextPolicy.STRICT).verify(vc)
    assert report.verified and _check(report).code == "ok"
    assert report.document == vc


def test_presented_swap_attack_is_recompacted_in_the_nested_report() -> None:
    holder = PrivateKey.from_seed("ed25519", bytes(32))
    vc = issue(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2",
            ],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:ministry",
            "credentialSubject": {"givenName": "Ada", "familyName": "Lovelace"},
        },
        KEY,
        now=NOW,
    )
    vc["@context"].append(
        {
            "givenName": "https://www.w3.org/ns/credentials/examples#familyName",
            "familyName": "https://www.w3.org/ns/credentials/examples#givenName",
        }
    )
    subject = vc["credentialSubject"]
    subject["givenName"], subject["familyName"] = subject["familyName"], subject["givenName"]
    vp = present([vc], holder, challenge="c", domain="d", now=NOW)
    report = _verifier().verify(vp, challenge="c", domain="d")
    [nested] = report.credentials
    assert _check(nested).code == "jsonld.context_recompacted"
    assert nested.document["credentialSubject"]["givenName"] == "Ada"
    strict = _verifier(ContextPolicy.STRICT).verify(vp, challenge="c", domain="d")
    assert not strict.verified


def test_policy_field_is_type_checked() -> None:
    with pytest.raises(InvalidInputError) as info:
        VerificationPolicy(context_policy="strict")  # type: ignore[arg-type]
    assert info.value.code == "policy.invalid"
