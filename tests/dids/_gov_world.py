"""One agency, one transparency log and a clock, shared by the did:gov tests.

``forge`` builds and anchors an entry the way an attacker holding some key would, with
none of ``update_log``'s refusals, so that the verifier's rules are what is tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from did_gov.dids._gov_entry import entry_hash, entry_leaf, format_time, sign_entry
from did_gov.dids.gov import GovLog, create_log
from did_gov.keys import PrivateKey
from did_gov.ledger import BaseLedger, open_ledger

T0 = datetime(2026, 5, 3, 9, 0, tzinfo=UTC)


def key(n: int, kind: str = "ed25519") -> PrivateKey:
    """A deterministic key number ``n``."""
    return PrivateKey.from_seed(kind, bytes([n]) * 32)


@dataclass
class World:
    """A memory ledger whose clock advances one second per checkpoint."""

    now: datetime = T0
    ledger: BaseLedger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = open_ledger(
            "memory:", log_key=key(200), origin="gov.example/log/dids", clock=self.tick
        )

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def world() -> World:
    """A fresh world."""
    return World()


def agency(w: World, *, prerotation: bool = False) -> GovLog:
    """did:gov of an agency: update key 1, signing key 10; with pre-rotation, next key 2."""
    hashes = [key(2).public_key.pre_rotation_hash()] if prerotation else []
    return create_log(key(1), [key(10).public_key], w.ledger, next_key_hashes=hashes)


def forge(
    w: World,
    log: GovLog,
    signer: PrivateKey,
    parameters: dict[str, Any],
    state: dict[str, Any] | None = None,
    *,
    anchor: bool = True,
    version_time: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The log's entries and receipts plus one more entry signed by ``signer``, as given."""
    latest = log.latest
    unsigned: dict[str, Any] = {
        "versionId": latest.version_id,
        "versionTime": format_time(version_time or w.now),
        "parameters": parameters,
        "state": state if state is not None else dict(latest.state),
    }
    digest = entry_hash(unsigned, latest.version_id)
    unsigned["versionId"] = f"{latest.number + 1}-{digest}"
    entry = sign_entry(unsigned, signer)
    receipts = log.receipts()
    if anchor:
        [receipt] = w.ledger.append([entry_leaf(log.scid, latest.number + 1, digest)])
        receipts.append(receipt.to_json())
    return [*log.entries(), entry], receipts


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a scalar inside a JSON value."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from paths(item, (*prefix, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))
    else:
        yield prefix
