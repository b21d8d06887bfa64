"""Red team (pipeline facts): a key-bound SD-JWT VC without ``sub``, stolen and presented by another.

The issuer bound the credential to the citizen's key (``cnf``) and named no ``sub``. On its
own, without a Key Binding JWT, it fails ``sd_jwt.kb_missing``; but enveloped in the
attacker's own presentation (Data Integrity or ``vp+jwt``), step 7 found no subject id
and passed it as a bearer credential (``subject.bearer``): verified. A credential with
``cnf`` is never a bearer credential; without a KB-JWT by that key it is not presented by
its subject (``subject.holder_mismatch``).
"""

from __future__ import annotations

import pytest

from did_gov import Verifier, issue_sd_jwt, present
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import ATTACKER, CITIZEN, MINISTRY, citizen_vc


@pytest.mark.parametrize("vp_format", ["di", "vp-jwt"])
def test_key_bound_sd_jwt_without_sub_presented_by_an_attacker(vp_format: str) -> None:
    token = issue_sd_jwt(citizen_vc(subject=None), MINISTRY, holder_key=CITIZEN.public_key, now=NOW)
    vp = present([token], ATTACKER, format=vp_format, challenge="c", domain="k", now=NOW)  # type: ignore[call-overload]
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vp, challenge="c", domain="k")
    assert not report.verified, report.summary()
    [credential] = report.credentials
    assert [c.code for c in credential.errors] == ["subject.holder_mismatch"], credential.summary()


def test_an_sd_jwt_without_cnf_is_still_a_bearer_credential() -> None:
    token = issue_sd_jwt(citizen_vc(subject=None), MINISTRY, now=NOW)
    vp = present([token], ATTACKER, format="di", challenge="c", domain="k", now=NOW)
    report = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER).verify(vp, challenge="c", domain="k")
    assert report.verified, report.summary()
    [credential] = report.credentials
    assert "subject.bearer" in [c.code for c in credential.checks]
