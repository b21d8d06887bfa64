"""A kiosk that knows only a trust root and a signed bundle accepts the state's issuers, and no one else.

Run it: ``python examples/trust_kiosk.py``. The parties:

- the **national trust authority** (a root authority pinned in ``root.json``) and the
  bundle-signing key it provisions kiosks with;
- the **ministry**, accredited by the authority for citizen identity and birth
  certificates, and allowed to accredit one level below it;
- the **registry office**, accredited by the ministry for birth certificates only;
- a **lapsed office**, whose accreditation expired;
- a **forger**, who signs a perfect-looking credential with a key of its own.

The kiosk is given two files and nothing else; it never opens a socket.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from did_gov import PrivateKey, VerificationReport, Verifier, issue
from did_gov.credentials import build_credential
from did_gov.dids import did_key
from did_gov.trust import Accreditation, build_bundle, build_root, sign_accreditation, verify_bundle

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
CITIZEN, BIRTH = "CitizenIdentityCredential", "BirthCertificateCredential"


class Party:
    """A key, its did:key and its verification method."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = PrivateKey.generate()
        self.did = did_key.did_for_public_key(self.key.public_key)
        self.vm = did_key.verification_method_id(self.key.public_key)


def _accredit(
    by: Party, who: Party, types: tuple[str, ...], start: datetime, end: datetime, **more: Any
) -> Any:
    record = Accreditation(
        authority=by.did,
        issuer=who.did,
        types=types,
        valid_from=start,
        valid_until=end,
        issued=start,
        name=who.name,
        **more,
    )
    return sign_accreditation(record, by.key, by.vm)


def provision(directory: Path, now: datetime) -> dict[str, Party]:
    """The authority writes root.json and bundle.json into ``directory``; returns the issuers."""
    authority, bundle_key = Party("National Trust Authority"), Party("bundle key")
    parties = {
        "ministry": Party("Ministry of the Interior"),
        "office": Party("Registry Office"),
        "lapsed": Party("Former Registry Office"),
        "forger": Party("Forger"),
    }
    year = timedelta(days=365)
    accreditations = [
        _accredit(
            authority,
            parties["ministry"],
            (CITIZEN, BIRTH),
            now - year,
            now + 5 * year,
            name_zh="内政部",
            may_accredit=True,
            max_path_length=0,
        ),
        _accredit(
            parties["ministry"],
            parties["office"],
            (BIRTH,),
            now - year,
            now + year,
            name_zh="户籍登记处",
        ),
        _accredit(
            parties["ministry"], parties["lapsed"], (BIRTH,), now - year, now - timedelta(days=1)
        ),
    ]
    root = build_root(
        keys=[bundle_key.key.public_key],
        threshold=1,
        authorities=[authority.did],
        version=1,
        expires=now + 5 * year,
        signers=[bundle_key.key],
    )
    bundle = build_bundle(
        roots=[root],
        signers=[bundle_key.key],
        version=1,
        issued=now,
        expires=now + timedelta(days=7),
        accreditations=accreditations,
    )
    (directory / "root.json").write_text(json.dumps(root.to_json()))
    (directory / "bundle.json").write_text(json.dumps(bundle))
    return parties


def credentials(parties: dict[str, Party], now: datetime) -> dict[str, Any]:
    """One credential per case, in Data Integrity, VC-JOSE and SD-JWT VC."""
    out: dict[str, Any] = {}
    cases = [("ministry", CITIZEN), ("office", BIRTH), ("lapsed", BIRTH), ("forger", CITIZEN)]
    for name, kind in cases:
        party = parties[name]
        unsigned = build_credential(
            issuer=party.did,
            subject={"id": "did:example:citizen", "givenName": "Ada", "familyName": "Lovelace"},
            types=[kind],
            id=f"urn:uuid:{secrets.token_hex(16)}",
            valid_from=now - timedelta(hours=1),
            contexts=[EXAMPLES],
        )
        for fmt in ("di", "vc-jwt", "sd-jwt"):
            out[f"{name}/{fmt}"] = issue(
                unsigned, party.key, format=fmt, verification_method=party.vm, now=now
            )
    return out


def kiosk(directory: Path, now: datetime) -> Verifier:
    """The kiosk: root.json and bundle.json are all it has."""
    root = json.loads((directory / "root.json").read_text())
    bundle = verify_bundle((directory / "bundle.json").read_bytes(), root, now=now)
    return Verifier(now=now, **bundle.verifier_options())


def run(now: datetime | None = None) -> dict[str, VerificationReport]:
    """Provision, issue, and verify every credential at the kiosk; return the reports by case."""
    now = now or datetime.now(UTC)
    with tempfile.TemporaryDirectory() as directory:
        parties = provision(Path(directory), now)
        verifier = kiosk(Path(directory), now)
        return {case: verifier.verify(vc) for case, vc in credentials(parties, now).items()}


def main() -> None:
    """Print the kiosk's verdict on each credential."""
    for case, report in run().items():
        trust = next((c for c in report.checks if c.name == "trust"), None)
        verdict = "ACCEPTED" if report.verified else "REJECTED"
        detail = "" if trust is None else f"  [{trust.code}] {trust.message}"
        print(f"{case:18} {verdict}{detail}")


if __name__ == "__main__":
    main()
