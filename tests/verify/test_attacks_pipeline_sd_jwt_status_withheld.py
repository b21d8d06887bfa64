"""Red team (pipeline skipped step): an SD-JWT VC whose status entry the holder withholds.

SD-JWT VC §3.2.2: ``status`` (like ``cnf``, ``iss``, ``exp``...) must not be selectively
disclosed. did_gov refused ``/status`` but not a path below it: an issuer could make
``/status/bitstring_status_list`` disclosable, the holder withheld that disclosure, the
verifier saw ``status: {}`` (no entry), skipped step 9 and a revoked credential verified.
Now ``issue`` refuses any path under a claim that must stay visible, and the verifier
refuses a token that hides anything there (its ``_sd`` digests show in the signed payload
even when the disclosure is withheld) or discloses such a claim:
``sd_jwt.claim_not_disclosable``.
"""

from __future__ import annotations

from typing import Any

import pytest

from did_gov import Verifier, issue
from did_gov.errors import DidGovError
from did_gov.proofs import sd_jwt
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import CITIZEN, ENTRY, MINISTRY, MINISTRY_DID, citizen_vc
from tests.verify.test_every_format import _revoked_list

HIDDEN = ["/status/bitstring_status_list", "/status/bitstring_status_list/idx", "/cnf/jwk"]


def _claims() -> dict[str, Any]:
    return {
        "iss": MINISTRY_DID,
        "vct": "CitizenCredential",
        "iat": int(NOW.timestamp()),
        "status": {"bitstring_status_list": {"idx": 94, "uri": ENTRY["statusListCredential"]}},
        "name": "Ada",
    }


@pytest.mark.parametrize("path", HIDDEN)
def test_issue_refuses_a_path_under_a_claim_that_must_stay_visible(path: str) -> None:
    with pytest.raises(DidGovError) as caught:
        sd_jwt.issue_sd_jwt(
            _claims(),
            MINISTRY,
            disclosable=[path],
            holder_key=CITIZEN.public_key,
            kid=f"{MINISTRY_DID}#{MINISTRY_DID.split(':')[-1]}",
        )
    assert caught.value.code == "sd_jwt.claim_not_disclosable"


def _hiding_issuer(monkeypatch: pytest.MonkeyPatch, path: str, withhold: bool) -> str:
    """A token from an issuer that ignores SD-JWT VC §3.2.2 (did_gov's check switched off)."""
    claims = {
        **_claims(),
        "exp": int(NOW.timestamp()) + 3600,
        "cnf": {"jwk": CITIZEN.public_key.to_jwk()},
    }
    with monkeypatch.context() as patched:
        patched.setattr(sd_jwt, "NOT_DISCLOSABLE", frozenset())
        token = sd_jwt.issue_sd_jwt(
            claims,
            MINISTRY,
            disclosable=[path],
            kid=f"{MINISTRY_DID}#{MINISTRY_DID.split(':')[-1]}",
        )
    return token.split("~", 1)[0] + "~" if withhold else token


CASES = [(path, True) for path in HIDDEN] + [
    (path, False) for path in [*HIDDEN, "/status", "/exp", "/cnf"]
]
"""A withheld top-level disclosure (``/status``, ``/exp``) leaves nothing in the payload to
find: only an issuer can prevent it (the first test)."""


@pytest.mark.parametrize(("path", "withhold"), CASES)
def test_revoked_sd_jwt_vc_with_its_status_withheld(
    monkeypatch: pytest.MonkeyPatch, path: str, withhold: bool
) -> None:
    token = _hiding_issuer(monkeypatch, path, withhold)
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, status_lists=[_revoked_list()])
    report = verifier.verify(token)
    assert not report.verified, report.summary()
    assert "sd_jwt.claim_not_disclosable" in [c.code for c in report.errors], report.summary()


def test_a_did_gov_sd_jwt_vc_with_status_still_reports_revocation() -> None:
    token = issue(citizen_vc(credentialStatus=ENTRY), MINISTRY, format="sd-jwt", now=NOW)
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, status_lists=[_revoked_list()])
    assert [c.code for c in verifier.verify(token).errors] == ["status.revoked"]
