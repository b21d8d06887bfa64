"""Status list figures: a check against a decoded 131,072-entry list, decoding, verifying with status.

``figures(rounds)`` is collected by ``bench/run.py`` (``SECTIONS``). Sub-microsecond
operations are timed in batches and reported per operation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench._harness import Figure, measure, per_operation
from did_gov.status import (
    MIN_ENTRIES,
    StatusList,
    StatusListCache,
    StatusListCredential,
    StatusListEntry,
    build_list_credential,
    check_entry,
)
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
URL = "https://gov.example/status/1"
BATCH = 200


def _list(revoked: int = 1000) -> dict[str, object]:
    bits = StatusList()
    step = MIN_ENTRIES // revoked
    for i in range(revoked):
        bits.set(i * step + (i * 7919) % step, 1)
    return build_list_credential(
        list_url=URL,
        issuer="did:example:agency",
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(days=1),
        ttl=timedelta(hours=6),
    )


def _entry(index: int) -> dict[str, str]:
    return {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": URL,
    }


def _batched(
    name: str,
    operation: Callable[[], object],
    baseline: Callable[[], object] | None,
    rounds: int,
    target: str,
    batch: int = BATCH,
) -> Figure:
    def many(op: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(batch):
                op()

        return run

    fig = measure(
        name,
        many(operation),
        None if baseline is None else many(baseline),
        rounds=rounds,
        target=target,
    )
    return per_operation(fig, batch)


def figures(rounds: int) -> list[Figure]:
    """The status figures; ``rounds`` batches each (the first in µs per check)."""
    doc = _list()
    listed = StatusListCredential.from_json(doc)
    entry = StatusListEntry.from_json(_entry(94567))
    cache = StatusListCache()
    check_entry(entry, listed, now=NOW, cache=cache)

    def uncached() -> object:
        return check_entry(entry, listed, now=NOW, cache=StatusListCache())

    out = [
        _batched(
            "status check against a decoded 131,072-entry list (naive: decode each time)",
            lambda: check_entry(entry, listed, now=NOW, cache=cache),
            uncached,
            rounds,
            "≤10 µs",
        ),
        _batched(
            "status check, entry and list parsed from JSON each time",
            lambda: check_entry(_entry(94567), doc, now=NOW, cache=cache),
            None,
            rounds,
            "",
        ),
    ]
    encoded = listed.encoded_list
    out.append(
        measure(
            "decode a 131,072-entry list (base64url + GUNZIP)",
            lambda: StatusList.decode(encoded),
            None,
            rounds=rounds,
        )
    )
    out.append(_verify_figure(rounds))
    return out


def _verify_figure(rounds: int) -> Figure:
    """Verifier.verify of a DI credential whose status is checked against a DI-signed list."""
    from did_gov import PrivateKey, Verifier, issue

    key = PrivateKey.from_seed("ed25519", bytes(range(32)))
    vc = issue(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:bench",
            "type": ["VerifiableCredential"],
            "issuer": "did:example:x",
            "credentialSubject": {"id": "did:example:citizen"},
            "credentialStatus": _entry(94567),
        },
        key,
        now=NOW,
    )
    unsigned = {**_list(), "issuer": vc["issuer"]}
    verifier = Verifier(
        now=NOW, status_lists=[issue(unsigned, key, now=NOW)], trust=UNSAFE_TRUST_ANY_ISSUER
    )
    without = Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    bare = {k: v for k, v in vc.items() if k != "credentialStatus"}
    return measure(
        "DI verify + status check (baseline: no credentialStatus)",
        lambda: verifier.verify(vc),
        lambda: without.verify(bare),
        rounds=rounds,
    )
