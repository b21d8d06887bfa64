"""Red team: a language tag that carries N-Quads text.

Canonical N-Quads write a literal's language tag as it is (``"v"@en``), so a tag holding
`` .\\n<s> <p> "o"`` serialized one quad as two lines: a document that dropped a claim and
hid the claim's line in the tag of the literal sorted just before it had the canonical
N-Quads — and so the Data Integrity signature — of the credential with the claim. A tag
must be well-formed (N-Quads ``LANGTAG``, BCP 47's syntax), else ``jsonld.data_loss``
(jsonld.js safe mode drops, then refuses, a literal with an ill-formed tag).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from did_gov import Verifier, issue
from did_gov.errors import DidGovError
from did_gov.jsonld import OfflineDocumentLoader, canonicalize
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import MINISTRY, citizen_vc

EX = "https://www.w3.org/ns/credentials/examples#"


SUBJECT = "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"
"""Lower case: processors lower-case a value's language tag, so the hidden line must be."""


def _hidden(restriction: str) -> str:
    return f'en .\n<{SUBJECT}> <{EX}restriction> "{restriction}"'


@pytest.mark.parametrize("one_pass", [True, False])
def test_restriction_hidden_in_a_language_tag_does_not_keep_the_signature(one_pass: bool) -> None:
    signed = citizen_vc(subject=SUBJECT)
    signed["credentialSubject"].update(
        nickname={"@value": "Ada", "@language": "en"}, restriction="must wear glasses"
    )
    vc = issue(signed, MINISTRY, now=NOW)
    loader = OfflineDocumentLoader()
    loader.one_pass = one_pass
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, loader=loader)
    assert verifier.verify(vc).verified
    forged = copy.deepcopy(vc)
    del forged["credentialSubject"]["restriction"]
    forged["credentialSubject"]["nickname"]["@language"] = _hidden("must wear glasses")
    report = verifier.verify(forged)
    assert not report.verified
    assert "jsonld.data_loss" in [c.code for c in report.errors]


@pytest.mark.parametrize("one_pass", [True, False])
@pytest.mark.parametrize(
    "where",
    [
        lambda tag: {
            "@context": {"@vocab": EX},
            "@id": "did:x:a",
            "a": {"@value": "v", "@language": tag},
        },
        lambda tag: {"@context": {"@vocab": EX, "@language": tag}, "@id": "did:x:a", "a": "v"},
        lambda tag: {
            "@context": {"@vocab": EX, "a": {"@language": tag}},
            "@id": "did:x:a",
            "a": "v",
        },
        lambda tag: {
            "@context": {"@vocab": EX, "a": {"@container": "@language"}},
            "@id": "did:x:a",
            "a": {tag: "v"},
        },
    ],
)
@pytest.mark.parametrize("tag", ['en .\n<did:x:a> <https://x/b> "c"', "en us", "en_US", "", "-en"])
def test_an_ill_formed_language_tag_is_data_loss(one_pass: bool, where: Any, tag: str) -> None:
    loader = OfflineDocumentLoader()
    loader.one_pass = one_pass
    with pytest.raises(DidGovError) as caught:
        canonicalize(where(tag), loader=loader)
    assert caught.value.code in ("jsonld.data_loss", "jsonld.invalid")


@pytest.mark.parametrize("tag", ["en", "EN-us", "zh-Hant-TW", "x-private1", "de-CH-1901"])
def test_well_formed_language_tags_still_canonicalize(tag: str) -> None:
    document = {
        "@context": {"@vocab": EX},
        "@id": "did:x:a",
        "a": {"@value": "v", "@language": tag},
    }
    assert f'"v"@{tag.lower()} .' in canonicalize(document, loader=OfflineDocumentLoader())
