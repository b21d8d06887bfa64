"""Red-team attacks on evidence: issuers whose accreditation lapsed, credentials of another kind."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from did_gov import Verifier
from did_gov.approval import Submission, TrustState, evaluate
from did_gov.trust import (
    Accreditation,
    TrustRoot,
    build_bundle,
    sign_accreditation,
    verify_bundle,
)
from tests.approval.conftest import Housing


def test_attack_income_from_an_issuer_whose_accreditation_lapsed_is_refused(
    housing: Housing,
) -> None:
    """The Tax agency's accreditation for income ended yesterday (bundle v2): Ada's income
    credential, signed while it was accredited, no longer counts as evidence."""
    world, ex = housing.world, housing.ex
    now = world.now
    lapsed = sign_accreditation(
        Accreditation(
            authority=world.authority.did,
            issuer=world.tax.did,
            types=(ex.INCOME,),
            valid_from=now - timedelta(days=365),
            valid_until=now - timedelta(days=1),
            issued=now - timedelta(days=365),
            name="Tax agency",
        ),
        world.authority.key,
        world.authority.vm,
    )
    accreditations = [lapsed if a is world.accreditations[1] else a for a in world.accreditations]
    bundle = build_bundle(
        roots=[TrustRoot.parse(world.root)],
        signers=[world.bundle_key],
        version=2,
        issued=now - timedelta(minutes=30),
        expires=now + timedelta(days=30),
        accreditations=accreditations,
        status_lists=world.status_lists,
    )
    verified = verify_bundle(json.dumps(bundle).encode(), world.root, now=now)
    outcome = evaluate(
        housing.policy,
        Submission((ex.application(world, "ada"),), challenge=world.challenge, domain=world.domain),
        Verifier(now=now, **verified.verifier_options()),
        now=now,
        trust=TrustState.of_bundle(verified),
    )
    assert not outcome.approved
    assert outcome.code == "approval.evidence_rejected"
    assert "trust.accreditation_expired" in (outcome.reason or "")


@pytest.mark.parametrize(
    "kind", ["VerifiableCredential", "https://www.w3.org/2018/credentials#VerifiableCredential"]
)
def test_attack_a_policy_asking_for_the_base_type_does_not_load(
    housing: Housing, kind: str
) -> None:
    """Every credential is a VerifiableCredential and the base type needs no accreditation:
    under such a requirement the Interior (accredited for identity only) could vouch for an
    income. The policy is refused when it loads."""
    from did_gov.approval import sign_policy
    from did_gov.errors import ApprovalError

    document = housing.document()
    document["evidence"][1]["type"] = kind
    housing_office = housing.world.housing
    with pytest.raises(ApprovalError) as caught:
        sign_policy(document, housing_office.key, housing_office.vm)
    assert caught.value.code == "approval.policy_invalid"
    assert "accreditation" in caught.value.message


def test_an_accredited_issuer_can_sign_a_base_type_credential_that_verifies(
    housing: Housing,
) -> None:
    """Why the base type is refused as evidence: the verifier accepts the Interior's
    base-type-only credential (it asserts no type the Interior is not accredited for)."""
    from did_gov import issue

    world, ex = housing.world, housing.ex
    credential = issue(
        {
            "@context": [ex.V2, ex.EXAMPLES],
            "type": ["VerifiableCredential"],
            "issuer": world.interior.did,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": world.citizens["eve"].did, "annualIncome": 1},
        },
        world.interior.key,
        verification_method=world.interior.vm,
        now=world.now,
    )
    assert housing.verifier.verify(credential, now=world.now).verified
