"""Red-team attacks on evidence: issuers whose accreditation lapsed, credentials of another kind."""

from __future__ import annotations

import json
from datetime import timedelta

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
