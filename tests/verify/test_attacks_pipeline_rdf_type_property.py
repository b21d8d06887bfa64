"""Red team (pipeline facts): a type written as an ``rdf:type`` property instead of in ``type``.

``{"type": "X"}`` and ``{"http://www.w3.org/1999/02/22-rdf-syntax-ns#type": {"@id": X-IRI}}``
give the same triple, so a Data Integrity signature holds either way, but recompaction keeps
the property under its IRI: steps reading ``type`` did not see the type. An attacker's own
document typed ``VerifiablePresentation`` by term and ``VerifiableCredential`` that way
(naming the ministry as issuer, signed for ``authentication``) verified as a presentation,
and a holder could move a credential's type out of ``type``. Such a document is refused
under every context policy (``jsonld.not_compact``).
"""

from __future__ import annotations

import copy

import pytest

from did_gov import VerificationPolicy, Verifier, issue
from did_gov.jsonld import ContextPolicy
from did_gov.proofs.data_integrity import add_proof
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import ATTACKER, ATTACKER_VM, MINISTRY, citizen_vc

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
POLICIES = [ContextPolicy.RECOMPACT, ContextPolicy.STRICT]


def _verifier(policy: ContextPolicy) -> Verifier:
    return Verifier(
        now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, policy=VerificationPolicy(context_policy=policy)
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_presentation_also_typed_credential_through_an_rdf_type_property(
    policy: ContextPolicy,
) -> None:
    doc = citizen_vc()  # issuer: the ministry
    doc["type"] = ["VerifiablePresentation", "CitizenCredential"]
    doc[RDF_TYPE] = {"@id": "https://www.w3.org/2018/credentials#VerifiableCredential"}
    forged = add_proof(
        doc,
        ATTACKER,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=ATTACKER_VM,
        proof_purpose="authentication",
        created=NOW,
    )
    report = _verifier(policy).verify(forged)
    assert not report.verified, report.summary()
    assert "jsonld.not_compact" in [c.code for c in report.errors], report.summary()


@pytest.mark.parametrize("policy", POLICIES)
def test_credential_type_moved_into_an_rdf_type_property(policy: ContextPolicy) -> None:
    vc = issue(citizen_vc(), MINISTRY, now=NOW)
    forged = copy.deepcopy(vc)
    forged["type"] = ["VerifiableCredential"]
    forged[RDF_TYPE] = {"@id": "https://www.w3.org/ns/credentials/examples#CitizenCredential"}
    report = _verifier(policy).verify(forged)
    assert not report.verified, report.summary()
    assert [c.code for c in report.errors] == ["jsonld.not_compact"], report.summary()
