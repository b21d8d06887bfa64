"""A small trust world for tests: a national root, a ministry, a registry office, a forger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from did_gov.dids import did_key
from did_gov.keys import PrivateKey
from did_gov.trust import Accreditation, SignedAccreditation, sign_accreditation

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


@dataclass(frozen=True)
class Party:
    """A key and its did:key."""

    key: PrivateKey
    did: str
    vm: str

    @classmethod
    def make(cls, seed: int, kind: str = "ed25519") -> Party:
        key = PrivateKey.from_seed(kind, bytes([seed]) * 32)
        return cls(
            key,
            did_key.did_for_public_key(key.public_key),
            did_key.verification_method_id(key.public_key),
        )


ROOT = Party.make(1)
MINISTRY = Party.make(2)
OFFICE = Party.make(3)
FORGER = Party.make(4)
OTHER = Party.make(5)

BIRTH = "BirthCertificateCredential"
MARRIAGE = "MarriageCertificateCredential"
CITIZEN = "CitizenIdentityCredential"


def accredit(by: Party, issuer: str, types: tuple[str, ...], **fields: Any) -> SignedAccreditation:
    """``by`` signs an accreditation of ``issuer`` (from T0, for a year unless told)."""
    fields.setdefault("valid_from", T0)
    fields.setdefault("valid_until", T0 + YEAR)
    fields.setdefault("issued", T0)
    record = Accreditation(authority=by.did, issuer=issuer, types=types, **fields)
    return sign_accreditation(record, by.key, by.vm)


def standard() -> list[SignedAccreditation]:
    """Root → ministry (may accredit one level) → registry office."""
    return [
        accredit(
            ROOT,
            MINISTRY.did,
            (BIRTH, MARRIAGE, CITIZEN),
            name="Ministry of the Interior",
            name_zh="内政部",
            may_accredit=True,
            max_path_length=0,
        ),
        accredit(MINISTRY, OFFICE.did, (BIRTH, MARRIAGE), name="Registry Office", name_zh="户籍处"),
    ]
