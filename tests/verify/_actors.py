"""The ministry, the citizen and the attacker that the issue-10 attack tests share, and the
citizen's credential before it is secured."""

from __future__ import annotations

from typing import Any

from did_gov import PrivateKey
from did_gov.dids import did_key

MINISTRY = PrivateKey.from_seed("ed25519", bytes(range(32)))
ATTACKER = PrivateKey.from_seed("ed25519", bytes(range(7, 39)))
CITIZEN = PrivateKey.from_seed("p256", bytes(range(32)))
MINISTRY_DID = did_key.did_for_public_key(MINISTRY.public_key)
ATTACKER_DID = did_key.did_for_public_key(ATTACKER.public_key)
CITIZEN_DID = did_key.did_for_public_key(CITIZEN.public_key)
ATTACKER_VM = did_key.verification_method_id(ATTACKER.public_key)
LIST_URL = "https://ministry.example/status/1"
INDEX = 94
ENTRY = {
    "id": f"{LIST_URL}#{INDEX}",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": str(INDEX),
    "statusListCredential": LIST_URL,
}
FORMATS = ("di", "vc-jwt", "sd-jwt")


def citizen_vc(subject: str | None = CITIZEN_DID, **extra: Any) -> dict[str, Any]:
    """The ministry's unsigned CitizenCredential for ``subject`` (none: a bearer credential)."""
    claims: dict[str, Any] = {"name": "Ada"}
    if subject is not None:
        claims["id"] = subject
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential", "CitizenCredential"],
        "issuer": MINISTRY_DID,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": claims,
        **extra,
    }
