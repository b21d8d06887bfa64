"""An agency's did:gov survives a key compromise: what it issued before still verifies offline.

Run it: ``python examples/agency_rotation.py``. The story:

1. the **fisheries agency** creates ``did:gov:…`` on its transparency log (a sqlite file),
   with an update key, a signing key ``#key-1``, and a pre-rotation commitment to a next
   update key kept offline;
2. it issues a fishing permit and anchors it;
3. its signing key is stolen. The agency reveals the pre-rotated update key, removes
   ``#key-1`` and adds ``#key-2`` — every step anchored;
4. the thief signs a permit with the removed key and back-dates it;
5. a kiosk that holds only the state's trust root and a signed trust bundle (which carries
   the DID's log and receipts) checks both, offline: the old permit verifies, the forgery
   does not (``did.gov_key_removed``), and a permit from ``#key-2`` verifies.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from did_gov import PrivateKey, VerificationReport, Verifier, anchor, attach_receipts, issue
from did_gov.dids import did_key
from did_gov.dids.gov import bundle_item, create_log, update_log
from did_gov.ledger import open_ledger
from did_gov.trust import Accreditation, build_bundle, build_root, sign_accreditation, verify_bundle

PERMIT = "FishingPermitCredential"


def _permit(did: str, holder: str, valid_from: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential", PERMIT],
        "issuer": did,
        "validFrom": valid_from,
        "credentialSubject": {"name": holder, "waters": "coastal"},
    }


def run(directory: Path) -> dict[str, VerificationReport]:
    """Play the story in ``directory``; return the kiosk's reports by name."""
    now = datetime.now(UTC).replace(microsecond=0)
    log_key, update, standby = PrivateKey.generate(), PrivateKey.generate(), PrivateKey.generate()
    signing, replacement = PrivateKey.generate(), PrivateKey.generate()
    ledger = open_ledger(
        f"sqlite:///{directory / 'ledger.db'}", log_key=log_key, origin="fisheries.gov.example/log"
    )
    # 1. create, committing to the standby update key
    log = create_log(
        update,
        [signing.public_key],
        ledger,
        next_key_hashes=[standby.public_key.pre_rotation_hash()],
    )
    # 2. issue and anchor
    old = issue(
        _permit(log.did, "Ada", "2026-01-01T00:00:00Z"),
        signing,
        verification_method=f"{log.did}#key-1",
    )
    old_envelope = attach_receipts(old, anchor(old, ledger))
    # 3. compromise: reveal the standby key, remove #key-1, add #key-2
    next_standby = PrivateKey.generate()
    log = update_log(
        log,
        standby,
        ledger,
        remove_keys=["key-1"],
        add_keys=[replacement.public_key],
        next_key_hashes=[next_standby.public_key.pre_rotation_hash()],
    )
    # 4. the thief's back-dated forgery (anchoring it only puts it after the removal)
    forged = issue(
        _permit(log.did, "Mallory", "2025-12-01T00:00:00Z"),
        signing,
        verification_method=f"{log.did}#key-1",
    )
    forged_envelope = attach_receipts(forged, anchor(forged, ledger))
    new = issue(
        _permit(log.did, "Grace", "2026-01-01T00:00:00Z"),
        replacement,
        verification_method=f"{log.did}#key-2",
    )
    new_envelope = attach_receipts(new, anchor(new, ledger))
    # 5. the state's trust authority accredits the agency and signs a bundle with its log
    authority, bundle_key = PrivateKey.generate(), PrivateKey.generate()
    authority_did = did_key.did_for_public_key(authority.public_key)
    root = build_root(
        keys=[bundle_key.public_key],
        threshold=1,
        authorities=[authority_did],
        version=1,
        expires=now + timedelta(days=365),
        signers=[bundle_key],
    )
    accreditation = sign_accreditation(
        Accreditation(
            authority=authority_did,
            issuer=log.did,
            types=(PERMIT,),
            valid_from=now - timedelta(days=365),
            valid_until=now + timedelta(days=365),
            issued=now - timedelta(days=365),
            name="Fisheries agency",
        ),
        authority,
        did_key.verification_method_id(authority.public_key),
    )
    bundle = build_bundle(
        roots=[root],
        signers=[bundle_key],
        version=1,
        issued=now,
        expires=now + timedelta(days=30),
        accreditations=[accreditation],
        did_logs=[bundle_item(log)],
        log_keys=[ledger.verifier.vkey],
    )
    ledger.close()
    # the kiosk: the root and the bundle, nothing else, offline
    kiosk = Verifier(**verify_bundle(bundle, root, now=now).verifier_options())
    return {
        "before the compromise": kiosk.verify(old_envelope),
        "forged with the removed key": kiosk.verify(forged_envelope),
        "after the rotation": kiosk.verify(new_envelope),
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for name, report in run(Path(tmp)).items():
            codes = ", ".join(c.code for c in report.errors) or "—"
            print(f"{name}: {'VERIFIED' if report.verified else 'NOT VERIFIED'} ({codes})")
