"""Trust figures: a registry lookup on 10,000 accredited issuers, and installing a 5 MB bundle.

``figures(rounds)`` is collected by ``bench/run.py`` (``SECTIONS``). The lookup's naive
baseline scans every record for the issuer and re-checks its chain by hand, as a
registry without an index would.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._harness import Figure, measure, per_operation
from did_gov.dids import did_key
from did_gov.keys import PrivateKey
from did_gov.trust import (
    Accreditation,
    IssuerClaim,
    SignedAccreditation,
    TrustRegistry,
    TrustStore,
    build_bundle,
    build_root,
    sign_accreditation,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 1000
TYPE = "BirthCertificateCredential"


def _party(seed: int) -> tuple[PrivateKey, str, str]:
    key = PrivateKey.from_seed("ed25519", bytes([seed]) * 32)
    return (
        key,
        did_key.did_for_public_key(key.public_key),
        did_key.verification_method_id(key.public_key),
    )


def _record(by: tuple[PrivateKey, str, str], issuer: str, **more: object) -> SignedAccreditation:
    key, did, vm = by
    until = T0 + timedelta(days=3650)
    fields: dict[str, object] = {"valid_from": T0, "valid_until": until, "issued": T0} | more
    return sign_accreditation(
        Accreditation(authority=did, issuer=issuer, types=(TYPE,), **fields),  # type: ignore[arg-type]
        key,
        vm,
    )


def registry_records(issuers: int) -> tuple[str, list[SignedAccreditation], list[str]]:
    """A root, a ministry accredited by it, and ``issuers`` offices accredited by the ministry."""
    root, ministry = _party(1), _party(2)
    records = [_record(root, ministry[1], may_accredit=True, max_path_length=0)]
    names = [f"did:web:office{i}.gov.example" for i in range(issuers)]
    records.extend(_record(ministry, name) for name in names)
    return root[1], records, names


def _naive(records: list[SignedAccreditation], root: str, claim: IssuerClaim) -> bool:
    """Scan every record for the issuer, then walk up by scanning again (no index, no cache)."""
    subject, moment = claim.issuer, NOW
    for _ in range(8):
        found = next((r.accreditation for r in records if r.accreditation.issuer == subject), None)
        if found is None or not found.valid_at(moment):
            return False
        if subject == claim.issuer and not set(claim.types) <= set(found.types):
            return False
        if found.authority == root:
            return True
        subject = found.authority
    return False


def figures(rounds: int, issuers: int = 10_000, bundle_bytes: int = 5_000_000) -> list[Figure]:
    """The trust figures (``rounds`` batches of lookups; ``rounds`` installs)."""
    root_did, records, names = registry_records(issuers)
    registry = TrustRegistry([root_did], records)
    claims = [IssuerClaim(n, (TYPE,), (), None, None, "vc-jwt", None) for n in names]
    assert all(registry.judge_issuer(c, NOW).ok for c in claims)  # verifies every chain once
    sample = claims[:: max(1, len(claims) // BATCH)][:BATCH]
    naive_sample = sample[-10:]  # late records: a scan pays for the records before them

    def lookups() -> None:
        for c in sample:
            registry.judge_issuer(c, NOW)

    def naive() -> None:
        for c in naive_sample:
            _naive(records, root_did, c)

    lookup = measure(
        f"trust registry lookup, {issuers:,} issuers (naive: scan the records)",
        lookups,
        naive,
        rounds=rounds,
        target="≤100 µs",
    )
    lookup = per_operation(lookup, len(sample))
    if lookup.baseline_median is not None:
        scale = len(sample) / len(naive_sample)
        lookup = dataclasses.replace(
            lookup,
            baseline_median=lookup.baseline_median * scale,
            baseline_cpu_median=None
            if lookup.baseline_cpu_median is None
            else lookup.baseline_cpu_median * scale,
        )

    bundle_key = PrivateKey.from_seed("ed25519", bytes([9]) * 32)
    root = build_root(
        keys=[bundle_key.public_key],
        threshold=1,
        authorities=[root_did],
        version=1,
        expires=NOW + timedelta(days=365),
        signers=[bundle_key],
    )
    padding = [{"id": f"urn:list:{i}", "x": "A" * 4000} for i in range(bundle_bytes // 4030 + 1)]
    raw = json.dumps(
        build_bundle(
            roots=[root],
            signers=[bundle_key],
            version=1,
            issued=NOW,
            expires=NOW + timedelta(days=30),
            accreditations=records[:50],
            status_lists=padding,
        )
    ).encode()
    with tempfile.TemporaryDirectory() as directory:
        counter = iter(range(10**9))

        def install() -> None:
            TrustStore(Path(directory) / str(next(counter))).install(raw, root, now=NOW)

        installed = measure(
            f"trust bundle install, {len(raw) / 1e6:.1f} MB (verify, hash, parse, fsync)",
            install,
            rounds=max(3, rounds // 20),
            warmup=1,
            target="≤200 ms",
        )
    return [lookup, installed]
