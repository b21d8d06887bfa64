"""Red-team attacks on canonicalization: each test is named after the attack it pins."""

from __future__ import annotations

import pytest

from did_gov import issue
from did_gov.errors import CanonicalizationError
from did_gov.jsonld import jcs
from did_gov.keys import PrivateKey
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify import Verifier

_CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:x",
    "credentialSubject": {"id": "did:example:a", "name": "Ada"},
}


@pytest.mark.parametrize(
    "number", [10**400, -(10**400), 10**5000, 2**1024], ids=["1e400", "-1e400", "1e5000", "2^1024"]
)
def test_attack_integer_beyond_any_double_is_jcs_invalid(number: int) -> None:
    """A 401-digit integer (valid JSON, under the 4300-digit parse bound) overflowed float()."""
    with pytest.raises(CanonicalizationError) as caught:
        jcs({"x": number})
    assert caught.value.code == "jcs.invalid"
    assert len(caught.value.message) < 200


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "eddsa-rdfc-2022"])
def test_attack_huge_integer_claim_does_not_crash_the_verifier(suite: str) -> None:
    """Verifier.verify never raises: it raised OverflowError for an eddsa-jcs-2022 credential."""
    credential = issue(_CREDENTIAL, PrivateKey.generate(), cryptosuite=suite)
    credential["credentialSubject"] = {**credential["credentialSubject"], "name": 10**400}
    report = Verifier(trust=UNSAFE_TRUST_ANY_ISSUER).verify(credential)
    assert not report.verified
    assert report.errors[0].code in ("jcs.invalid", "jsonld.number_invalid")
