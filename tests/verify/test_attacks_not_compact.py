"""Red team: a signed credential rewritten with keywords or full IRIs instead of its terms.

``"@id"`` for ``id`` or ``"https://www.w3.org/2018/credentials#validUntil"`` for
``validUntil`` expand to the same RDF, so a Data Integrity signature still holds, but a
step that reads the JSON by term did not see the member: a stolen holder-bound credential
became a bearer credential, an expired one had no ``validUntil``. The contexts step now
recompacts such a document (``ContextPolicy.RECOMPACT``) or refuses it
(``ContextPolicy.STRICT``, ``jsonld.not_compact``).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from did_gov import VerificationPolicy, Verifier, issue, present
from did_gov.errors import DidGovError
from did_gov.jsonld import ContextPolicy, validate_contexts
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import ATTACKER, CITIZEN, MINISTRY, citizen_vc

CRED = "https://www.w3.org/2018/credentials#"
POLICIES = [ContextPolicy.RECOMPACT, ContextPolicy.STRICT]


def _verifier(policy: ContextPolicy) -> Verifier:
    return Verifier(
        now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, policy=VerificationPolicy(context_policy=policy)
    )


def _codes(report: Any) -> list[str]:
    return [c.code for c in report.errors]


@pytest.mark.parametrize("policy", POLICIES)
def test_stolen_credential_with_its_subject_id_written_as_at_id(policy: ContextPolicy) -> None:
    vc = issue(citizen_vc(), MINISTRY, now=NOW)
    forged = copy.deepcopy(vc)
    forged["credentialSubject"]["@id"] = forged["credentialSubject"].pop("id")
    vp = present([forged], ATTACKER, format="di", challenge="n-1", domain="kiosk", now=NOW)
    report = _verifier(policy).verify(vp, challenge="n-1", domain="kiosk")
    assert not report.verified
    expected = "subject.holder_mismatch" if policy is ContextPolicy.RECOMPACT else "jsonld.not_compact"  # fmt: skip
    assert expected in _codes(report)
    # The rightful holder may still present the rewritten credential under RECOMPACT.
    own = present([forged], CITIZEN, format="di", challenge="n-1", domain="kiosk", now=NOW)
    assert _verifier(policy).verify(own, challenge="n-1", domain="kiosk").verified is (
        policy is ContextPolicy.RECOMPACT
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_expired_credential_with_valid_until_written_as_a_full_iri(policy: ContextPolicy) -> None:
    until = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    vc = issue(citizen_vc(validUntil=until), MINISTRY, now=NOW - timedelta(days=3))
    assert _codes(_verifier(policy).verify(vc)) == ["credential.expired"]
    forged = copy.deepcopy(vc)
    forged[CRED + "validUntil"] = {
        "@value": forged.pop("validUntil"),
        "@type": "http://www.w3.org/2001/XMLSchema#dateTime",
    }
    report = _verifier(policy).verify(forged)
    assert not report.verified
    expected = "credential.expired" if policy is ContextPolicy.RECOMPACT else "jsonld.not_compact"
    assert expected in _codes(report)


def test_compact_documents_are_left_alone() -> None:
    vc = issue(citizen_vc(), MINISTRY, now=NOW)
    body = {k: v for k, v in vc.items() if k != "proof"}
    body["credentialSubject"] = {**body["credentialSubject"], "tag": {"@value": "x", "@language": "en"}}  # fmt: skip
    result = validate_contexts(body, policy=ContextPolicy.STRICT)
    assert not result.recompacted and result.document is body


@pytest.mark.parametrize("key", ["@type", "@id", CRED + "issuer", "_:p"])
def test_every_loose_member_is_named(key: str) -> None:
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiableCredential", "credentialSubject": {key: "x"}}  # fmt: skip
    with pytest.raises(DidGovError) as caught:
        validate_contexts(document, policy=ContextPolicy.STRICT)
    assert caught.value.code == "jsonld.not_compact"


@pytest.mark.parametrize("policy", POLICIES)
def test_revoked_credential_with_its_status_written_as_a_full_iri(policy: ContextPolicy) -> None:
    from tests.verify._actors import ENTRY
    from tests.verify.test_forgeries import REVOKED_LIST

    vc = issue(citizen_vc(credentialStatus=ENTRY), MINISTRY, now=NOW)
    verifier = Verifier(
        now=NOW,
        trust=UNSAFE_TRUST_ANY_ISSUER,
        status_lists=[REVOKED_LIST],
        policy=VerificationPolicy(context_policy=policy),
    )
    assert not verifier.verify(vc).verified
    forged = copy.deepcopy(vc)
    forged[CRED + "credentialStatus"] = forged.pop("credentialStatus")
    report = verifier.verify(forged)
    assert not report.verified
    if policy is ContextPolicy.STRICT:
        assert "jsonld.not_compact" in _codes(report)
    else:
        assert report.document["credentialStatus"]["id"] == ENTRY["id"]


def _moved_out(vc: dict[str, Any], how: str) -> dict[str, Any]:
    """``vc`` with its validUntil stated in another node with the credential's id."""
    forged = copy.deepcopy(vc)
    node = {"id": vc["id"], "type": "VerifiableCredential", "validUntil": forged.pop("validUntil")}
    if how == "@included":
        forged["@included"] = [node]
    else:  # the subject's reverse edge is the credential's own credentialSubject edge
        forged["credentialSubject"]["@reverse"] = {CRED + "credentialSubject": node}
    return forged


@pytest.mark.parametrize("how", ["@included", "@reverse"])
@pytest.mark.parametrize("policy", POLICIES)
def test_expired_credential_with_valid_until_moved_to_another_node_of_its_id(
    policy: ContextPolicy, how: str
) -> None:
    """Recompaction does not merge nodes: the member would stay out of what steps read."""
    until = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    vc = issue(citizen_vc(id="urn:uuid:5", validUntil=until), MINISTRY, now=NOW - timedelta(days=3))
    forged = _moved_out(vc, how)
    report = _verifier(policy).verify(forged)
    assert not report.verified
    assert _codes(report) == ["jsonld.not_compact"]
