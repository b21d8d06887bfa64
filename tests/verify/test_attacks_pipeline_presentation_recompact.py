"""Red team (pipeline facts): a presentation that names its credentials by IRI, not by term.

A presentation's credentials are verified as written (``verifiableCredential``), while the
document later steps and ``report.document`` read is the contexts step's recompaction. A
holder who writes ``https://www.w3.org/2018/credentials#verifiableCredential`` (as a graph
object, or as a plain node) and signs the presentation got a verified report with no
credential report at all, and the recompaction showed a forged or stolen credential under
``verifiableCredential``. Such a presentation is now refused (``jsonld.not_compact``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from did_gov import VerificationPolicy, Verifier, issue, present
from did_gov.jsonld import ContextPolicy
from did_gov.proofs.data_integrity import add_proof
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import ATTACKER, ATTACKER_VM, CITIZEN, MINISTRY, citizen_vc

VC_IRI = "https://www.w3.org/2018/credentials#verifiableCredential"


def _forged_vp(wrap: bool, stolen: bool = False) -> dict[str, Any]:
    vc = issue(citizen_vc(), MINISTRY, now=NOW)
    if not stolen:
        vc = copy.deepcopy(vc)
        vc["credentialSubject"]["name"] = "Eve"  # the issuer's signature no longer holds
    vp = present([vc], CITIZEN, format="di", challenge="n-1", now=NOW)
    body = {k: v for k, v in vp.items() if k != "proof"}
    body["holder"] = ATTACKER_VM.split("#")[0]
    credentials = body.pop("verifiableCredential")
    body[VC_IRI] = {"@graph": credentials} if wrap else credentials
    return add_proof(
        body,
        ATTACKER,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=ATTACKER_VM,
        proof_purpose="authentication",
        challenge="n-1",
        created=NOW,
    )


@pytest.mark.parametrize("policy", [ContextPolicy.RECOMPACT, ContextPolicy.STRICT])
@pytest.mark.parametrize("wrap", [True, False], ids=["graph-object", "plain-node"])
@pytest.mark.parametrize("stolen", [False, True], ids=["forged", "stolen"])
def test_presentation_hides_its_credentials_behind_the_verifiable_credential_iri(
    policy: ContextPolicy, wrap: bool, stolen: bool
) -> None:
    verifier = Verifier(
        now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, policy=VerificationPolicy(context_policy=policy)
    )
    report = verifier.verify(_forged_vp(wrap, stolen), challenge="n-1")
    assert not report.verified, report.summary()
    assert "jsonld.not_compact" in [c.code for c in report.errors], report.summary()


def test_a_presentation_naming_its_credentials_by_term_still_verifies() -> None:
    vc = issue(citizen_vc(), MINISTRY, now=NOW)
    vp = present([vc], CITIZEN, format="di", challenge="n-1", now=NOW)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vp, challenge="n-1")
    assert report.verified, report.summary()
    assert len(report.credentials) == 1
