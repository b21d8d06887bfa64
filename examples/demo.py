"""The did_gov demo: the whole flow on embedded defaults, printed as a person would read it.

``make demo`` runs it on a fresh machine. Nothing touches the network. With ``--evm`` it
also anchors on a chain: a local anvil node (loopback only) holding the AnchorRegistry
contract that ships inside did_gov, which needs ``pip install 'did-gov[evm]'`` and anvil
(``make install`` provides it; elsewhere set ``DID_GOV_ANVIL`` or put ``anvil`` on PATH).
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from did_gov import (
    KeyType,
    PrivateKey,
    VerificationReport,
    Verifier,
    anchor,
    attach_receipts,
    issue,
    issue_sd_jwt,
    present,
    present_sd_jwt,
)
from did_gov.credentials import build_credential
from did_gov.dids import DefaultResolver, did_key
from did_gov.ledger import open_ledger
from did_gov.status import StatusRegistry
from did_gov.trust import (
    Accreditation,
    build_bundle,
    build_root,
    sign_accreditation,
    verify_bundle,
)

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def step(title: str) -> None:
    """Print a step heading."""
    print(f"\n== {title}")


def main() -> None:
    """Run the demo."""
    now = datetime.now(UTC).replace(microsecond=0)

    step("1. The Ministry of the Interior creates its signing key and DID")
    ministry_key = PrivateKey.generate(KeyType.ED25519)
    ministry = did_key.did_for_public_key(ministry_key.public_key)
    print(f"   agency DID: {ministry}")
    document = DefaultResolver().resolve(ministry)
    print(
        f"   resolves offline to a DID document with {len(document.data['verificationMethod'])} key(s)"
    )

    step("2. A citizen's wallet creates the citizen's key and DID")
    citizen_key = PrivateKey.generate(KeyType.P256)
    citizen = did_key.did_for_public_key(citizen_key.public_key)
    print(f"   citizen DID: {citizen[:48]}...")

    step("3. The state accredits the ministry; kiosks get its trust root and a signed bundle")
    trust = trust_step(ministry, now)

    step("4. The ministry issues a citizen identity credential (eddsa-rdfc-2022)")
    unsigned = build_credential(
        issuer={"id": ministry, "name": "Ministry of the Interior"},
        subject={
            "id": citizen,
            "givenName": "Ada",
            "familyName": "Lovelace",
            "birthDate": "1990-12-10",
        },
        types=["CitizenIdentityCredential"],
        id=f"urn:uuid:{secrets.token_hex(16)}",
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=3650),
        contexts=[EXAMPLES],
    )
    credential = issue(unsigned, ministry_key, now=now)
    print(f"   credential {credential['id']}")
    print(
        f"   proof: {credential['proof']['cryptosuite']} by {credential['proof']['verificationMethod'][:40]}..."
    )

    step("5. At a city-hall kiosk the citizen presents it, bound to the kiosk's challenge")
    challenge = secrets.token_urlsafe(16)
    domain = "kiosk-7.city-hall.example"
    presentation = present([credential], citizen_key, challenge=challenge, domain=domain, now=now)
    print(f"   challenge {challenge!r}, domain {domain!r}")

    step("6. The kiosk verifies offline")
    kiosk = Verifier(now=now, **trust)
    report = kiosk.verify(presentation, challenge=challenge, domain=domain)
    print("   " + report.summary().replace("\n", "\n   "))

    step("7. Someone replays the same presentation at another kiosk")
    replay = kiosk.verify(presentation, challenge=secrets.token_urlsafe(16), domain=domain)
    print(
        f"   {'VERIFIED' if replay.verified else 'REJECTED'}: "
        + "; ".join(c.message for c in replay.errors)
    )

    step("8. Someone edits the birth date")
    forged = json.loads(json.dumps(credential))
    forged["credentialSubject"]["birthDate"] = "1980-12-10"
    tampered = kiosk.verify(forged)
    print(
        f"   {'VERIFIED' if tampered.verified else 'REJECTED'}: "
        + "; ".join(c.code for c in tampered.errors)
    )

    step("9. A forger's own key issues a citizen identity credential")
    forger_key = PrivateKey.generate(KeyType.ED25519)
    forgery = issue({**unsigned, "issuer": "did:example:placeholder"}, forger_key, now=now)
    foreign = kiosk.verify(forgery)
    print(
        f"   {'VERIFIED' if foreign.verified else 'REJECTED'}: "
        + "; ".join(c.code for c in foreign.errors)
    )

    step("10. The ministry anchors the credential in its embedded ledger (sqlite)")
    log_key = PrivateKey.generate(KeyType.ED25519)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        with open_ledger(url, log_key=log_key, origin="interior.example/log") as log:
            [receipt] = anchor(credential, log)
            vkey = log.verifier.vkey
    print(f"   entry {receipt.index} of {receipt.origin}; only a salted hash left the ministry")
    anchored = Verifier(now=now, **(trust | {"log_keys": [vkey]})).verify(
        attach_receipts(credential, [receipt])
    )
    anchor_check = anchored.checks[-1]
    print(f"   the kiosk checks the receipt offline with the log key: {anchor_check.message}")

    step(
        "11. Selective disclosure: the citizen proves age over 18 to a shop, nothing else (SD-JWT VC)"
    )
    sd_jwt = issue_sd_jwt(
        {**unsigned, "credentialSubject": {**unsigned["credentialSubject"], "ageOver18": True}},
        ministry_key,
        disclosable=["/id", "/credentialSubject/id"]
        + [
            f"/credentialSubject/{n}" for n in ("givenName", "familyName", "birthDate", "ageOver18")
        ],
        holder_key=citizen_key.public_key,
        now=now,
    )
    nonce = secrets.token_urlsafe(16)
    shown = present_sd_jwt(sd_jwt, ["/credentialSubject/ageOver18"], holder_key=citizen_key,
                           nonce=nonce, audience="https://shop.example", now=now)  # fmt: skip
    selective = kiosk.verify(shown, nonce=nonce, audience="https://shop.example")
    visible = {k: v for k, v in (selective.document or {}).items() if k not in ("cnf", "iss")}
    print(f"   {'VERIFIED' if selective.verified else 'REJECTED'}; the shop sees {visible}")

    revoked = revocation_step(ministry, ministry_key, citizen, now, trust)
    on_chain = evm_step(credential, now, trust) if "--evm" in sys.argv[1:] else True

    if (
        not report.verified
        or replay.verified
        or tampered.verified
        or foreign.verified
        or not selective.verified
        or "birthDate" in selective.document
        or revoked.verified
        or not anchored.verified
        or anchor_check.name != "anchor"
        or not on_chain
    ):
        raise SystemExit("demo failed: unexpected verification outcome")
    print(
        "\nDemo complete: issued, presented, verified offline by a kiosk that trusts only the"
        " state's\naccreditations; replay, tampering and a forger's credential rejected; age proven"
        " without the\nbirth date; a revoked credential rejected; the credential anchored and its"
        " receipt verified offline."
    )


def trust_step(ministry: str, now: datetime) -> dict[str, Any]:
    """Step 3: the national trust authority accredits the ministry; a kiosk's trust material."""
    state_key, bundle_key = (PrivateKey.generate(KeyType.ED25519) for _ in range(2))
    state = did_key.did_for_public_key(state_key.public_key)
    accreditation = Accreditation(
        authority=state,
        issuer=ministry,
        types=("CitizenIdentityCredential", "ResidencePermitCredential"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=365),
        issued=now,
        name="Ministry of the Interior",
        name_zh="内政部",
    )
    signed = sign_accreditation(
        accreditation, state_key, did_key.verification_method_id(state_key.public_key)
    )
    root = build_root(keys=[bundle_key.public_key], threshold=1, authorities=[state],
                      version=1, expires=now + timedelta(days=365), signers=[bundle_key])  # fmt: skip
    bundle = build_bundle(roots=[root], signers=[bundle_key], version=1, issued=now,
                          expires=now + timedelta(days=7), accreditations=[signed])  # fmt: skip
    print(f"   trust root: authority {state[:40]}..., 1 bundle key")
    print(
        "   bundle v1: the ministry accredited for CitizenIdentityCredential, ResidencePermitCredential"
    )
    return verify_bundle(bundle, root, now=now).verifier_options()


def revocation_step(
    ministry: str, key: PrivateKey, citizen: str, now: datetime, trust: dict[str, Any]
) -> VerificationReport:
    """Step 12: the ministry revokes a credential and publishes its list; a kiosk sees it offline."""
    step("12. The ministry revokes a credential, publishes its status list; the kiosk syncs it")
    credential_id = f"urn:uuid:{secrets.token_hex(16)}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        StatusRegistry.open(
            Path(tmp) / "revocations.db",
            list_url="https://interior.gov.example/status/1",
            purpose="revocation",
        ) as registry,
    ):
        permit = issue(
            build_credential(
                issuer=ministry,
                subject={"id": citizen},
                types=["ResidencePermitCredential"],
                id=credential_id,
                valid_from=now - timedelta(minutes=1),
                contexts=[EXAMPLES],
                status=registry.allocate(credential_id).to_json(),
            ),
            key,
            now=now,
        )
        registry.revoke(credential_id)
        status_list = registry.publish(
            ministry,
            lambda unsigned: issue(unsigned, key, now=now),
            now=now,
            valid_for=timedelta(days=1),
            ttl=timedelta(hours=1),
        )
    print(f"   revoked {credential_id} (index {permit['credentialStatus']['statusListIndex']})")
    report = Verifier(now=now, **(trust | {"status_lists": [status_list]})).verify(permit)
    print(
        f"   kiosk, offline: {'VERIFIED' if report.verified else 'REJECTED'}: "
        + "; ".join(c.code for c in report.errors)
    )
    return report


def evm_step(credential: dict[str, object], now: datetime, trust: dict[str, Any]) -> bool:
    """Step 13 (``--evm``): anchor on a chain's AnchorRegistry and check the receipt against it."""
    from did_gov.ledger.evm import deploy_registry, set_writer, verify_chain_anchor, writer_address
    from did_gov.testing.anvil import Anvil

    step("13. The ministry anchors on the consortium chain (a local anvil node here)")
    admin_key, writer_key = secrets.token_bytes(32), secrets.token_bytes(32)
    log_key = PrivateKey.generate(KeyType.ED25519)
    with Anvil.start() as node:
        node.fund(writer_address(admin_key))
        node.fund(writer_address(writer_key))
        contract = deploy_registry(node.url, admin_key).contract
        assert contract is not None
        set_writer(node.url, contract, admin_key, writer_address(writer_key))
        url = f"evm+{node.url}?contract={contract}"
        with open_ledger(url, log_key=log_key, origin="interior.example/chain-log",
                         writer_key=writer_key) as log:  # fmt: skip
            [receipt] = anchor(credential, log)
            vkey = log.verifier.vkey
        chain = receipt.chain
        print(f"   registry {contract}; anchored in block {chain.block if chain else None}")
        report = Verifier(now=now, **(trust | {"log_keys": [vkey]})).verify(
            attach_receipts(credential, [receipt])
        )
        online = verify_chain_anchor(receipt, vkey, rpc_url=node.url, contract=contract)
    print(f"   offline receipt check: {'VERIFIED' if report.verified else 'REJECTED'}")
    print(f"   online chain check: {online.code if not online.ok else 'the root is on chain'}")
    return report.verified and online.ok


if __name__ == "__main__":
    main()
