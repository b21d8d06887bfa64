"""Operations are logged under ``did_gov.*`` and no claim value ever reaches a log record.

Each credential carries claim values made of fresh random words; every record any logger
emits at DEBUG (did_gov's and the libraries' below it) while issuing, presenting,
verifying, revoking, publishing and anchoring is searched for them.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from did_gov import PrivateKey, Verifier, anchor, attach_receipts, issue, present
from did_gov.ledger import open_ledger
from did_gov.status import StatusRegistry
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from tests.conftest import NOW

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def _secret_claims() -> dict[str, Any]:
    return {
        "givenName": f"Given{secrets.token_hex(8)}",
        "familyName": f"Family{secrets.token_hex(8)}",
        "birthDate": f"19{secrets.randbelow(100):02d}-0{secrets.randbelow(9) + 1}-1{secrets.randbelow(9)}",
        "nationalId": f"ID-{secrets.token_hex(12)}",
        "address": {"street": f"{secrets.token_hex(6)} Street"},
    }


def _values(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        return [v for item in tree.values() for v in _values(item)]
    return [str(tree)]


def _texts(record: logging.LogRecord) -> list[str]:
    """Everything a handler could write for this record: message, args, exception."""
    texts = [record.getMessage(), str(record.msg), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        texts.append(repr(record.exc_info[1]))
    return texts


def test_no_claim_value_is_ever_logged(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, did_gov's and the libraries'
    issuer, holder, log_key = (PrivateKey.generate(t) for t in ("ed25519", "p256", "ed25519"))
    subjects = [_secret_claims() for _ in range(4)]
    credential_id = f"urn:uuid:{secrets.token_hex(16)}"
    with StatusRegistry.open(tmp_path / "status.db", list_url="https://gov.example/s/1",
                             purpose="revocation") as registry:  # fmt: skip
        entry = registry.allocate(credential_id).to_json()
        unsigned = [
            {
                "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
                "type": ["VerifiableCredential", "CitizenIdentityCredential"],
                "issuer": "did:example:placeholder",
                "validFrom": "2025-01-01T00:00:00Z",
                "credentialSubject": subject,
            }
            for subject in subjects
        ]
        unsigned[0] = {**unsigned[0], "id": credential_id, "credentialStatus": entry}
        di = issue(unsigned[0], issuer, now=NOW)
        token = issue(unsigned[1], issuer, format="vc-jwt", now=NOW)
        sd = issue(unsigned[2], issuer, format="sd-jwt", now=NOW,
                   disclosable=["/credentialSubject/givenName", "/credentialSubject/nationalId"])  # fmt: skip
        tampered = {**di, "credentialSubject": {**subjects[3]}}  # a failing verdict, new values
        registry.revoke(credential_id)
        status_list = registry.publish(di["issuer"], lambda u: issue(u, issuer, now=NOW), now=NOW,
                                       valid_for=timedelta(days=1))  # fmt: skip
    vp = present([di, token], holder, challenge="c-1", now=NOW)
    with open_ledger("memory:", log_key=log_key, origin="gov.example/log") as log:
        receipts = anchor([di, token, sd], log)
        vkey = log.verifier.vkey
    verifier = Verifier(
        now=NOW + timedelta(minutes=1),
        status_lists=[status_list],
        log_keys=[vkey],
        trust=UNSAFE_TRUST_ANY_ISSUER,
    )
    verdicts = [
        verifier.verify(di),
        verifier.verify(token),
        verifier.verify(sd),
        verifier.verify(vp, challenge="c-1"),
        verifier.verify(tampered),
        verifier.verify(attach_receipts(token, receipts[1:2])),
    ]
    assert not verdicts[0].verified  # revoked
    assert verdicts[1].verified and verdicts[2].verified and verdicts[5].verified
    assert not verdicts[4].verified

    records = caplog.records
    names = {r.name for r in records}
    assert {"did_gov.issue", "did_gov.verify", "did_gov.status", "did_gov.ledger"} <= names
    assert any("status.revoked" in r.getMessage() for r in records if r.name == "did_gov.verify")
    assert any(r.levelno == logging.DEBUG and r.name == "did_gov.verify" for r in records)
    secrets_seen = [v for s in subjects for v in _values(s)] + [credential_id]
    for record in records:
        for text in _texts(record):
            for value in secrets_seen:
                assert value not in text, f"{record.name} logged a claim value: {text[:200]}"


def test_the_package_does_not_configure_logging() -> None:
    """A library adds only a NullHandler: the application decides where records go."""
    handlers = logging.getLogger("did_gov").handlers
    assert all(isinstance(h, logging.NullHandler) for h in handlers)
