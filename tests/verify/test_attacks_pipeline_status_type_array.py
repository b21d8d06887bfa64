"""Red team (pipeline facts): a revoked credential whose status entry's type is written as an array.

``"type": "BitstringStatusListEntry"`` and ``"type": ["BitstringStatusListEntry"]`` are the
same JSON-LD (the same RDF), so a holder may rewrite one into the other and the issuer's
Data Integrity proof still holds; no member is named by keyword or IRI, so the contexts
step does not recompact it. The status step compared the type with one string, took the
array for an unknown status type and ignored it (``status.type_unsupported``, a passing
warning): a revoked credential verified. An entry is a Bitstring Status List entry when
one of its types is, and its list is read.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from did_gov import Verifier, issue
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW
from tests.verify._actors import ENTRY, MINISTRY, citizen_vc
from tests.verify.test_every_format import _revoked_list


def _verify(document: Any) -> Any:
    verifier = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER, status_lists=[_revoked_list()])
    return verifier.verify(document)


@pytest.mark.parametrize("as_array", [False, True], ids=["entry-object", "entries-array"])
def test_revoked_credential_with_its_status_type_written_as_an_array(as_array: bool) -> None:
    vc = issue(citizen_vc(credentialStatus=ENTRY), MINISTRY, now=NOW)
    assert "status.revoked" in [c.code for c in _verify(vc).errors]
    forged = copy.deepcopy(vc)
    forged["credentialStatus"]["type"] = ["BitstringStatusListEntry"]
    if as_array:
        forged["credentialStatus"] = [forged["credentialStatus"]]
    report = _verify(forged)
    assert not report.verified, report.summary()
    assert [c.code for c in report.errors] == ["status.revoked"], report.summary()


def test_an_entry_of_an_unknown_type_is_still_ignored_with_its_warning() -> None:
    entry = {"id": "https://ministry.example/other#1", "type": ["OtherStatusEntry"]}
    vc = issue(citizen_vc(credentialStatus=entry), MINISTRY, now=NOW)
    report = _verify(vc)
    assert report.verified, report.summary()
    assert "status.type_unsupported" in [c.code for c in report.checks]
