"""Red team (pipeline facts): a credential also typed presentation, one type written as an IRI.

Issue 10 (4): a document is a credential or a presentation, never both. The check compared
the ``type`` terms as written; a type value is expanded against the vocabulary, so
``"https://www.w3.org/2018/credentials#VerifiableCredential"`` is the same type as
``"VerifiableCredential"`` (and no member name shows it, so nothing is recompacted). A
document naming the ministry as ``issuer``, typed ``VerifiableCredential`` by IRI and
``VerifiablePresentation`` by term, signed by the attacker for ``authentication``, was
read as a presentation and verified. The conflict is judged on the expanded types too.
"""

from __future__ import annotations

from typing import Any

import pytest

from did_gov import Verifier
from did_gov.proofs import jose
from did_gov.proofs.data_integrity import add_proof
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import ATTACKER, ATTACKER_DID, ATTACKER_VM, citizen_vc

CRED = "https://www.w3.org/2018/credentials#"
TYPINGS = [
    [CRED + "VerifiableCredential", "VerifiablePresentation", "CitizenCredential"],
    ["VerifiableCredential", CRED + "VerifiablePresentation", "CitizenCredential"],
    [CRED + "VerifiableCredential", CRED + "VerifiablePresentation", "CitizenCredential"],
]


def _document(types: list[str]) -> dict[str, Any]:
    doc = citizen_vc()  # issuer: the ministry
    doc["type"] = types
    return doc


@pytest.mark.parametrize("types", TYPINGS, ids=["vc-iri", "vp-iri", "both-iri"])
@pytest.mark.parametrize("purpose", ["authentication", "assertionMethod"])
def test_credential_typed_also_presentation_by_iri_data_integrity(
    types: list[str], purpose: str
) -> None:
    forged = add_proof(
        _document(types),
        ATTACKER,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=ATTACKER_VM,
        proof_purpose=purpose,
        created=NOW,
    )
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(forged)
    assert not report.verified, report.summary()
    if purpose == "authentication" and types is TYPINGS[0]:
        assert "credential.type_conflict" in [c.code for c in report.errors], report.summary()


@pytest.mark.parametrize("types", TYPINGS, ids=["vc-iri", "vp-iri", "both-iri"])
def test_credential_typed_also_presentation_by_iri_vp_jwt(types: list[str]) -> None:
    doc = _document(types)
    doc["holder"] = ATTACKER_DID
    forged = jose.sign_vp_jwt(doc, ATTACKER, kid=ATTACKER_VM)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(forged)
    assert not report.verified, report.summary()
    expected = "credential.type_conflict" if types is TYPINGS[0] else "jose.typ_invalid"
    assert expected in [c.code for c in report.errors], report.summary()
