"""The signed ``time`` extension line of did_gov checkpoints (anchor-receipt §3.1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did_gov.errors import InvalidInputError, LedgerError
from did_gov.keys import PrivateKey
from did_gov.ledger import open_ledger, verify_receipt
from did_gov.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    format_time_line,
    open_checkpoint,
    sign_note,
)
from did_gov.ledger.memory import MemoryLedger
from did_gov.ledger.merkle import EMPTY_ROOT

KEY = PrivateKey.from_seed("ed25519", bytes(range(32)))
ORIGIN = "did-gov.example/log/time"
T0 = datetime(2026, 12, 3, 13, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock that returns the given readings in turn (then repeats the last)."""

    def __init__(self, *readings: datetime) -> None:
        self._readings: Iterator[datetime] = iter(readings)
        self.last = readings[0]

    def __call__(self) -> datetime:
        self.last = next(self._readings, self.last)
        return self.last


def _time(note: str) -> datetime | None:
    return open_checkpoint(note, [NoteSigner(ORIGIN, KEY).verifier]).checkpoint.time


def test_checkpoints_carry_the_log_clock() -> None:
    log = MemoryLedger(ORIGIN, KEY, clock=FakeClock(T0 + timedelta(microseconds=999)))
    [receipt] = log.append([bytes(32)])
    assert _time(receipt.checkpoint) == T0
    assert "\ntime 2026-12-03T13:00:00Z\n" in receipt.checkpoint


def test_receipt_check_reports_the_checkpoint_time() -> None:
    log = MemoryLedger(ORIGIN, KEY, clock=FakeClock(T0))
    [receipt] = log.append([bytes(32)])
    check = verify_receipt(receipt, log.verifier)
    assert check.ok
    assert check.checkpoint is not None
    assert check.checkpoint.time == T0


def test_clock_going_backwards_does_not_move_time_back() -> None:
    clock = FakeClock(T0, T0 - timedelta(hours=1), T0 + timedelta(seconds=5))
    log = MemoryLedger(ORIGIN, KEY, clock=clock)
    times = [_time(log.append([bytes(32)])[0].checkpoint) for _ in range(3)]
    assert times == [T0, T0, T0 + timedelta(seconds=5)]


def test_sqlite_time_is_monotonic_across_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/log.db"
    with open_ledger(url, log_key=KEY, origin=ORIGIN, clock=FakeClock(T0)) as log:
        log.append([bytes(32)])
    earlier = FakeClock(T0 - timedelta(days=1))
    with open_ledger(url, log_key=KEY, clock=earlier) as log:
        [receipt] = log.append([bytes(32)])
        assert _time(receipt.checkpoint) == T0
        assert _time(log.checkpoint()) == T0


def test_old_checkpoint_without_time_still_verifies() -> None:
    signer = NoteSigner(ORIGIN, KEY)
    old = MemoryLedger(ORIGIN, KEY, clock=FakeClock(T0))
    [receipt] = old.append([bytes(32)])
    head = open_checkpoint(receipt.checkpoint, [signer.verifier]).checkpoint
    untimed = Checkpoint(head.origin, head.size, head.root_hash).sign([signer])
    check = verify_receipt(receipt.to_json() | {"checkpoint": untimed}, signer.verifier)
    assert check.ok, check
    assert check.checkpoint is not None
    assert check.checkpoint.time is None


@pytest.mark.parametrize(
    "line",
    [
        "time 2026-12-03 13:00:00Z",
        "time 2026-12-03T13:00:00+01:00",
        "time 2026-12-03T13:00:00.5Z",
        "time 2026-13-03T13:00:00Z",
        "time 2026-02-30T13:00:00Z",
        "time ",
    ],
)
def test_malformed_time_line_is_rejected(line: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Checkpoint(ORIGIN, 0, EMPTY_ROOT, (line,))
    assert caught.value.code == "checkpoint.malformed"


def test_two_time_lines_are_rejected() -> None:
    first, second = format_time_line(T0), format_time_line(T0 + timedelta(days=1))
    with pytest.raises(InvalidInputError):
        Checkpoint(ORIGIN, 0, EMPTY_ROOT, (first, second))


def test_receipt_with_malformed_time_fails_as_malformed_checkpoint() -> None:
    signer = NoteSigner(ORIGIN, KEY)
    log = MemoryLedger(ORIGIN, KEY, clock=FakeClock(T0))
    [receipt] = log.append([bytes(32)])
    body = open_checkpoint(receipt.checkpoint, [signer.verifier]).checkpoint
    bad_body = body.to_body().replace("time 2026-12-03T13:00:00Z", "time yesterday")
    check = verify_receipt(
        receipt.to_json() | {"checkpoint": sign_note(bad_body, [signer])}, signer.verifier
    )
    assert not check.ok
    assert check.code == "receipt.checkpoint_malformed"


def test_time_line_is_signed() -> None:
    log = MemoryLedger(ORIGIN, KEY, clock=FakeClock(T0))
    [receipt] = log.append([bytes(32)])
    forged = receipt.checkpoint.replace("2026-12-03T13:00:00Z", "2020-01-01T00:00:00Z")
    check = verify_receipt(receipt.to_json() | {"checkpoint": forged}, log.verifier)
    assert not check.ok
    assert check.code == "receipt.checkpoint_signature_invalid"


def test_naive_clock_is_refused() -> None:
    log = MemoryLedger(ORIGIN, KEY, clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(LedgerError) as caught:
        log.append([bytes(32)])
    assert caught.value.code == "ledger.clock_invalid"


@given(
    st.lists(
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_times_are_the_running_maximum_of_the_clock(readings: list[datetime]) -> None:
    log = MemoryLedger(ORIGIN, KEY, clock=FakeClock(*readings))
    times = [_time(log.append([bytes(32)])[0].checkpoint) for _ in readings]
    expected, floor = [], datetime(1970, 1, 1, tzinfo=UTC)
    for reading in readings:
        floor = max(floor, reading.replace(microsecond=0))
        expected.append(floor)
    assert times == expected


def test_unchanged_tree_keeps_the_time_it_was_first_signed() -> None:
    clock = FakeClock(T0, T0 + timedelta(hours=1))
    log = MemoryLedger(ORIGIN, KEY, clock=clock)
    [receipt] = log.append([bytes(32)])
    assert log.checkpoint() == receipt.checkpoint
    assert _time(log.checkpoint()) == T0
