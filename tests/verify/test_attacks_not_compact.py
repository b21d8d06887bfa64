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
import random
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


# -- a signed credential rewritten at random: verified means the members read are the signed ones

_EX = "https://www.w3.org/ns/credentials/examples#"
_IRIS = {
    "validUntil": CRED + "validUntil",
    "validFrom": CRED + "validFrom",
    "issuer": CRED + "issuer",
    "credentialSubject": CRED + "credentialSubject",
    "name": "https://schema.org/name",
    "givenName": _EX + "givenName",
    "familyName": _EX + "familyName",
}
_READ = ("id", "type", "issuer", "validFrom", "validUntil", "credentialSubject")


def _mutate(document: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """One rewrite that keeps the RDF of ``document`` or changes it; may return a new object."""
    subject = document.get("credentialSubject")
    if "@graph" in document or not isinstance(subject, dict):
        return document
    target = document if rnd.random() < 0.6 else subject
    keys = [k for k in target if k not in ("@context", "proof")]
    if not keys:
        return document
    key = rnd.choice(keys)
    choice = rnd.randrange(9)
    if choice == 0 and key in ("id", "type"):
        target["@" + key] = target.pop(key)
    elif choice == 1 and key in _IRIS:
        target[_IRIS[key]] = target.pop(key)
    elif choice == 2:
        value = target[key]
        target[key] = {"@set": value if isinstance(value, list) else [value]}
    elif choice == 3 and target is document and key not in ("id", "type") and "id" in document:
        node = {"id": document["id"], "type": "VerifiableCredential", key: document.pop(key)}
        document["@included"] = [node]
    elif choice == 4:
        alias = "zz" + key
        context = {alias: _IRIS.get(key, _EX + key)}
        if target is document:
            document["@context"] = [*document["@context"], context]
        else:
            target["@context"] = context
        target[alias] = target.pop(key)
    elif choice == 5:
        proof = document.pop("proof", None)
        body = {k: v for k, v in document.items() if k != "@context"}
        return {"@context": document["@context"], "@graph": [body], "proof": proof}
    elif choice == 6 and isinstance(target[key], str):
        target[key] = [target[key]]
    elif choice == 7 and key in ("givenName", "familyName"):
        other = "familyName" if key == "givenName" else "givenName"
        target["@context"] = {key: _EX + other, other: _EX + key}
        target[key], target[other] = target[other], target[key]
    elif choice == 8:
        target["@context"] = (
            [*document["@context"], {"@vocab": _EX}] if target is document else {"@vocab": _EX}
        )
    return document


def _plain(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("policy", POLICIES)
def test_rewritten_credentials_verify_only_with_the_signed_members(policy: ContextPolicy) -> None:
    base = citizen_vc(
        id="urn:uuid:7",
        validUntil=(NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    base["credentialSubject"].update(givenName="Ada", familyName="Lovelace", age=36)
    vc = issue(base, MINISTRY, now=NOW)
    verifier = _verifier(policy)
    for seed in range(80):
        rnd = random.Random(seed)  # noqa: S311 - reproducible rewrites, not secrets
        forged = copy.deepcopy(vc)
        proof = forged.pop("proof")
        for _ in range(rnd.randrange(1, 4)):
            forged = _mutate(forged, rnd)
        forged["proof"] = proof
        report = verifier.verify(forged)
        if not report.verified:
            continue
        for name in _READ:
            seen, signed = _plain(report.document.get(name)), _plain(vc.get(name))
            if name == "credentialSubject":
                assert {k: seen.get(k) for k in signed} == signed, (seed, forged)
            else:
                assert seen == signed, (seed, name, forged)


_SEC = "https://w3id.org/security#"
_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


@pytest.mark.parametrize(
    ("member", "iri", "when"),
    [
        ("expires", _SEC + "expiration", {"expires": NOW - timedelta(days=1)}),
        ("created", "http://purl.org/dc/terms/created", {"created": NOW + timedelta(days=2)}),
    ],
)
def test_proof_date_written_under_its_iri(member: str, iri: str, when: dict[str, Any]) -> None:
    """An RDFC suite signs the proof's RDF: an expired proof (or one created in the future)
    whose date is written under its IRI kept its signature while the date went unread."""
    from did_gov.dids import did_key
    from did_gov.proofs.data_integrity import add_proof

    vm = did_key.verification_method_id(MINISTRY.public_key)
    created = {"created": NOW - timedelta(days=3)} if member == "expires" else {}
    vc = add_proof(
        citizen_vc(),
        MINISTRY,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=vm,
        **created,
        **when,
    )
    verifier = _verifier(ContextPolicy.RECOMPACT)
    genuine = _codes(verifier.verify(vc))
    assert genuine in (["proof.expired"], ["proof.created_in_future"])
    forged = copy.deepcopy(vc)
    value = forged["proof"].pop(member)
    forged["proof"][iri] = {"@value": value, "@type": _XSD_DATETIME}
    report = verifier.verify(forged)
    assert not report.verified
    assert _codes(report) == ["proof.malformed"]


def test_expired_status_list_with_valid_until_written_as_a_full_iri() -> None:
    """The status step read the list as written, not as its contexts step recompacted it: an
    expired list (from before a revocation) counted again with validUntil under its IRI."""
    from did_gov.status import StatusList, build_list_credential
    from tests.verify._actors import ENTRY, LIST_URL, MINISTRY_DID

    old = build_list_credential(
        list_url=LIST_URL,
        issuer=MINISTRY_DID,
        purpose="revocation",
        encoded_list=StatusList().encode(),
        valid_from=NOW - timedelta(days=10),
        valid_until=NOW - timedelta(days=5),
    )
    stale = issue(old, MINISTRY, now=NOW - timedelta(days=10))
    vc = issue(citizen_vc(credentialStatus=ENTRY), MINISTRY, now=NOW)

    def codes(status_list: dict[str, Any]) -> list[str]:
        verifier = Verifier(now=NOW, status_lists=[status_list], trust=UNSAFE_TRUST_ANY_ISSUER)
        return _codes(verifier.verify(vc))

    assert codes(stale) == ["status.list_expired"]
    forged = copy.deepcopy(stale)
    forged[CRED + "validUntil"] = {"@value": forged.pop("validUntil"), "@type": _XSD_DATETIME}
    assert codes(forged) == ["status.list_expired"]
