"""Context validation after the proof: contexts that change what the JSON says (VC DI §4.6)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from did_gov import PrivateKey, issue
from did_gov.errors import DidGovError
from did_gov.jsonld import ContextPolicy, OfflineDocumentLoader, validate_contexts
from did_gov.proofs.data_integrity import check_contexts, verify_proofs
from tests.conftest import NOW

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
EX = "https://www.w3.org/ns/credentials/examples#"
KEY = PrivateKey.from_seed("ed25519", bytes(range(32)))


def _resolve(url: str, purpose: str) -> Any:
    return KEY.public_key


def signed() -> dict[str, Any]:
    return issue(
        {
            "@context": [V2, EXAMPLES],
            "type": ["VerifiableCredential", "CitizenIdentityCredential"],
            "issuer": "did:example:ministry",
            "credentialSubject": {
                "id": "did:example:ada",
                "givenName": "Ada",
                "familyName": "Lovelace",
            },
        },
        KEY,
        now=NOW,
    )


def swapped() -> dict[str, Any]:
    """givenName and familyName swapped by an appended inline context; the RDF is unchanged."""
    vc = copy.deepcopy(signed())
    vc["@context"].append({"givenName": EX + "familyName", "familyName": EX + "givenName"})
    subject = vc["credentialSubject"]
    subject["givenName"], subject["familyName"] = subject["familyName"], subject["givenName"]
    return vc


def relabelled() -> dict[str, Any]:
    """DiplomaticPassportCredential aliased to the signed type IRI."""
    vc = copy.deepcopy(signed())
    vc["@context"].append({"DiplomaticPassportCredential": EX + "CitizenIdentityCredential"})
    vc["type"] = ["VerifiableCredential", "DiplomaticPassportCredential"]
    return vc


def embedded() -> dict[str, Any]:
    """The swap again, from a context embedded in the subject instead of the top level."""
    vc = copy.deepcopy(signed())
    subject = vc["credentialSubject"]
    subject["@context"] = {"givenName": EX + "familyName", "familyName": EX + "givenName"}
    subject["givenName"], subject["familyName"] = subject["familyName"], subject["givenName"]
    return vc


ATTACKS = {"swap": swapped, "relabel": relabelled, "embedded-swap": embedded}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_context_attack_keeps_the_signature_valid(attack: Any) -> None:
    # The reason for this step: the proof alone cannot see these attacks.
    assert verify_proofs(attack(), _resolve, now=NOW).verified


@pytest.mark.parametrize("attack", [swapped, embedded], ids=["swap", "embedded-swap"])
def test_swap_attack_recompacted_shows_what_was_signed(attack: Any) -> None:
    check, document, _ = check_contexts(attack())
    assert check.ok and check.code == "jsonld.context_recompacted"
    assert document["credentialSubject"]["givenName"] == "Ada"
    assert document["credentialSubject"]["familyName"] == "Lovelace"
    assert document["@context"] == [V2, EXAMPLES]
    assert document["proof"] == attack()["proof"]


def test_relabel_attack_recompacted_shows_the_signed_type() -> None:
    check, document, types = check_contexts(relabelled())
    assert check.code == "jsonld.context_recompacted"
    assert "DiplomaticPassportCredential" not in document["type"]
    assert "CitizenIdentityCredential" in document["type"]
    assert types == (
        "https://www.w3.org/2018/credentials#VerifiableCredential",
        EX + "CitizenIdentityCredential",
    )


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_context_attack_refused_under_strict(attack: Any) -> None:
    check, _, _ = check_contexts(attack(), policy=ContextPolicy.STRICT)
    assert not check.ok and check.code == "jsonld.context_unpinned"
    with pytest.raises(DidGovError) as info:
        validate_contexts(attack(), policy=ContextPolicy.STRICT)
    assert info.value.code == "jsonld.context_unpinned"


def test_pinned_document_is_returned_unchanged() -> None:
    vc = signed()
    check, document, _ = check_contexts(vc, policy=ContextPolicy.STRICT)
    assert check.ok and check.code == "ok"
    assert document is vc


def test_unsigned_text_in_index_fails_at_issue_and_verify() -> None:
    credential = {
        "@context": [V2, EXAMPLES, {"notes": {"@id": EX + "notes", "@container": "@index"}}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:ministry",
        "credentialSubject": {"id": "did:example:ada", "notes": {"unsigned text": "signed"}},
    }
    with pytest.raises(DidGovError) as info:
        issue(credential, KEY, now=NOW)
    assert info.value.code == "jsonld.data_loss"
    vc = signed()
    vc["@context"].append({"notes": {"@id": EX + "notes", "@container": "@index"}})
    vc["credentialSubject"]["notes"] = {"unsigned text": "x"}
    codes = {c.code for c in verify_proofs(vc, _resolve, now=NOW).checks}
    assert codes == {"jsonld.data_loss"}


def test_a_verifier_never_learns_a_context_from_the_document() -> None:
    vc = copy.deepcopy(signed())
    vc["@context"].append("https://attacker.example/ctx")
    check, _, _ = check_contexts(vc)
    assert check.code == "jsonld.context_not_allowed"
    registered = OfflineDocumentLoader(documents={"https://attacker.example/ctx": {"@context": {}}})
    assert check_contexts(vc, loader=registered)[0].code == "ok"
