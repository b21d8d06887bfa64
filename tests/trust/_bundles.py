"""Roots and bundles for the bundle and store tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from did_gov.keys import PrivateKey
from did_gov.ledger.memory import MemoryLedger
from did_gov.trust import LogCheckpoint, TrustRoot, build_bundle, build_root, log_checkpoint
from tests.trust._world import NOW, ROOT, standard

BUNDLE_KEYS = [PrivateKey.from_seed("ed25519", bytes([40 + i]) * 32) for i in range(4)]
LOG_KEY = PrivateKey.from_seed("ed25519", bytes([60]) * 32)
LOG_ORIGIN = "did-gov.example/log/ministry"
DAY = timedelta(days=1)


def root(
    version: int = 1,
    keys: Sequence[PrivateKey] = BUNDLE_KEYS[:2],
    threshold: int = 1,
    signers: Sequence[PrivateKey] | None = None,
    expires_in: timedelta = 365 * DAY,
) -> TrustRoot:
    return build_root(
        keys=[k.public_key for k in keys],
        threshold=threshold,
        authorities=[ROOT.did],
        version=version,
        expires=NOW + expires_in,
        signers=list(keys) if signers is None else signers,
    )


def bundle(
    version: int = 1,
    roots: Sequence[TrustRoot] | None = None,
    signers: Sequence[PrivateKey] = BUNDLE_KEYS[:1],
    *,
    issued_offset: timedelta = timedelta(0),
    expires_in: timedelta = 30 * DAY,
    checkpoints: Sequence[LogCheckpoint] = (),
    extra: dict[str, Any] | None = None,
) -> bytes:
    options: dict[str, Any] = {"accreditations": standard()} | (extra or {})
    built = build_bundle(
        roots=list(roots) if roots is not None else [root()],
        signers=signers,
        version=version,
        issued=NOW + issued_offset,
        expires=NOW + issued_offset + expires_in,
        log_keys=[MemoryLedger(LOG_ORIGIN, LOG_KEY).verifier.vkey],
        checkpoints=checkpoints,
        **options,
    )
    return json.dumps(built).encode()


class Log:
    """A ministry log whose checkpoints go into successive bundles."""

    def __init__(self) -> None:
        self.ledger = MemoryLedger(LOG_ORIGIN, LOG_KEY, clock=lambda: NOW)
        self.carried: list[str] = []

    def grow(self, count: int) -> LogCheckpoint:
        start = self.ledger.size()
        self.ledger.append([i.to_bytes(32, "big") for i in range(start, start + count)])
        entry = log_checkpoint(self.ledger, self.carried[-32:])
        self.carried.append(entry.note)
        return entry


def resign(raw: bytes, signers: Sequence[PrivateKey]) -> bytes:
    """The same bundle with its manifest signed by ``signers`` instead (what an attacker does)."""
    from did_gov.trust._signed import signed_envelope

    value = json.loads(raw)
    value["signatures"] = signed_envelope("trust-bundle", value["signed"], signers)["signatures"]
    return json.dumps(value).encode()
