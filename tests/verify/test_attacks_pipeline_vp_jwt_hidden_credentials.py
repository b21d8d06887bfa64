"""Red team (pipeline facts): a ``vp+jwt`` that carries its credentials under another name.

Step 6 verifies the ``verifiableCredential`` members. A holder who put a forged (or
stolen) enveloped credential under ``@included`` or under the IRI
``https://www.w3.org/2018/credentials#verifiableCredential`` signed a presentation that
verified with no credential report at all, while its JSON-LD (and ``report.document``)
still carried the credential. A VC-JOSE payload naming a member by keyword or by a VCDM
IRI instead of its term is refused (``jsonld.not_compact``), as a Data Integrity document
that keeps one after recompaction is.
"""

from __future__ import annotations

from typing import Any

import pytest

from did_gov import Verifier, issue
from did_gov.proofs import jose
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import ATTACKER, ATTACKER_DID, ATTACKER_VM, MINISTRY, citizen_vc

VC_IRI = "https://www.w3.org/2018/credentials#verifiableCredential"


def _forged_credential() -> dict[str, Any]:
    head, payload, signature = issue(citizen_vc(), MINISTRY, format="vc-jwt", now=NOW).split(".")
    return jose.envelope(f"{head}.{payload}.{'A' * len(signature)}")


@pytest.mark.parametrize("member", [VC_IRI, "@included"])
def test_vp_jwt_hides_a_forged_credential_from_step_6(member: str) -> None:
    envelope = _forged_credential()
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": ATTACKER_DID,
        member: [{"@graph": envelope}] if member == VC_IRI else [envelope],
    }
    token = jose.sign_vp_jwt(vp, ATTACKER, kid=ATTACKER_VM, nonce="c")
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(token, nonce="c")
    assert not report.verified, report.summary()
    assert "jsonld.not_compact" in [c.code for c in report.errors], report.summary()
