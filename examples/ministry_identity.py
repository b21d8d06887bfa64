"""A ministry issues a citizen identity credential; the citizen presents it; a kiosk verifies it.

Run it: ``python examples/ministry_identity.py``. Everything happens offline:
the ministry and the citizen use did:key identifiers, which resolve without a
network, and the JSON-LD contexts are pinned inside did_gov.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from did_gov import KeyType, PrivateKey, VerificationReport, Verifier, issue, present
from did_gov.credentials import build_credential
from did_gov.dids import did_key
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def run(now: datetime | None = None) -> tuple[VerificationReport, VerificationReport]:
    """Issue, present and verify; return the kiosk's report and the report of a replayed presentation."""
    now = now or datetime.now(UTC)
    ministry_key = PrivateKey.generate(KeyType.ED25519)
    citizen_key = PrivateKey.generate(KeyType.P256)
    ministry = did_key.did_for_public_key(ministry_key.public_key)
    citizen = did_key.did_for_public_key(citizen_key.public_key)

    unsigned = build_credential(
        issuer={"id": ministry, "name": "Ministry of the Interior"},
        subject={
            "id": citizen,
            "givenName": "Ada",
            "familyName": "Lovelace",
            "birthDate": "1990-12-10",
            "nationality": "Exampleland",
        },
        types=["CitizenIdentityCredential"],
        id=f"urn:uuid:{secrets.token_hex(16)}",
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=365 * 10),
        contexts=[EXAMPLES],
    )
    credential = issue(
        unsigned,
        ministry_key,
        verification_method=did_key.verification_method_id(ministry_key.public_key),
        now=now,
    )

    # The kiosk asks for a fresh challenge; the citizen's wallet signs the presentation over it.
    challenge = secrets.token_urlsafe(16)
    presentation = present(
        [credential], citizen_key, challenge=challenge, domain="kiosk.city-hall.example", now=now
    )

    kiosk = Verifier(now=now, trust=UNSAFE_TRUST_ANY_ISSUER)
    report = kiosk.verify(presentation, challenge=challenge, domain="kiosk.city-hall.example")
    replay = kiosk.verify(
        presentation, challenge=secrets.token_urlsafe(16), domain="kiosk.city-hall.example"
    )
    return report, replay


def main() -> None:
    """Print what each party sees."""
    report, replay = run()
    print("Kiosk verification of the citizen's presentation:")
    print(report.summary())
    print()
    print("The same presentation replayed against a new challenge:")
    print(replay.summary())


if __name__ == "__main__":
    main()
