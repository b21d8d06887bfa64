"""StatusRegistry in one process: allocation, status semantics, parameters, publication.

The tests that take ``where`` run on a SQLite file and on PostgreSQL (a real server,
tests/conftest.py); the others exercise SQLite files themselves.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov.errors import DidGovError, StatusError
from did_gov.status import (
    MIN_ENTRIES,
    StatusList,
    StatusListCache,
    StatusListEntry,
    StatusRegistry,
    check_entry,
    credential_hash,
)

URL = "https://gov.example/status/1"
ISSUER = "did:example:ministry"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.e2e)])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's registry lives: a folder for a SQLite file, or a PostgreSQL URL."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path


def _open(where: Path | str, purpose: str = "revocation", **kwargs: Any) -> StatusRegistry:
    location = where if isinstance(where, str) else where / "status.db"
    return StatusRegistry.open(location, list_url=URL, purpose=purpose, **kwargs)


def _seeded(seed: int = 7) -> Callable[[int], int]:
    return random.Random(seed).randrange  # noqa: S311 - deterministic on purpose, tests only


def _scripted(values: list[int]) -> Callable[[int], int]:
    it: Iterator[int] = iter(values)
    return lambda bound: next(it)


def test_allocation_gives_a_spec_entry(where: Any) -> None:
    with _open(where, rng=_scripted([94567])) as reg:
        entry = reg.allocate("urn:uuid:1")
    assert entry.to_json() == {
        "id": f"{URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": URL,
    }
    assert StatusListEntry.from_json(entry.to_json()) == entry


def test_allocation_is_idempotent_and_never_reuses(where: Any) -> None:
    with _open(where, rng=_seeded()) as reg:
        entries = [reg.allocate(f"urn:uuid:{i}") for i in range(2000)]
        assert reg.allocate("urn:uuid:17") == entries[17]
        assert reg.entry("urn:uuid:17") == entries[17]
        assert len(reg) == 2000
    assert len({e.status_list_index for e in entries}) == 2000


def test_indexes_do_not_follow_issuance_order(where: Any) -> None:
    """The rank correlation of issuance order and index is near 0 (|rho| < 0.1 at n=2000)."""
    with _open(where, rng=_seeded(11)) as reg:
        indexes = [reg.allocate(f"urn:uuid:{i}").status_list_index for i in range(2000)]
    ranks = {index: r for r, index in enumerate(sorted(indexes))}
    n = len(indexes)
    d2 = sum((i - ranks[index]) ** 2 for i, index in enumerate(indexes))
    rho = 1 - 6 * d2 / (n * (n * n - 1))
    assert abs(rho) < 0.1
    assert min(indexes) < MIN_ENTRIES // 10 and max(indexes) > MIN_ENTRIES * 9 // 10


def test_the_default_random_source_is_the_csprng(
    where: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def spy(bound: int) -> int:
        calls.append(bound)
        return 42

    monkeypatch.setattr(secrets, "randbelow", spy)
    with _open(where) as reg:
        assert reg.allocate("urn:uuid:1").status_list_index == 42
    assert calls == [MIN_ENTRIES]


def test_a_taken_index_is_drawn_again(where: Any) -> None:
    with _open(where, rng=_scripted([5, 5, 9])) as reg:
        assert reg.allocate("a").status_list_index == 5
        assert reg.allocate("b").status_list_index == 9


def test_after_many_collisions_the_rank_among_free_indexes_is_drawn(where: Any) -> None:
    """After 16 taken draws, a rank r among the free indexes picks the r-th free one."""
    taken = [0, 1, 2, 5]
    script = list(taken)
    for rank in (0, 1, 2):
        script += [0] * 16 + [rank]
    with _open(where, rng=_scripted(script)) as reg:
        for i in range(4):
            reg.allocate(f"t{i}")
        got = [reg.allocate(f"r{rank}").status_list_index for rank in (0, 1, 2)]
    # free 3,4,6,… -> rank 0 is 3; then free 4,6,7,… -> rank 1 is 6; then free 4,7,8,… -> rank 2 is 8
    assert got == [3, 6, 8]


@pytest.mark.parametrize("bad", [MIN_ENTRIES, -1, 1.5, "3"])
def test_a_broken_random_source_is_refused(where: Any, bad: Any) -> None:
    with _open(where, rng=lambda bound: bad) as reg, pytest.raises(StatusError) as info:
        reg.allocate("a")
    assert info.value.code == "status.invalid_argument"


def test_a_full_registry_says_so(tmp_path: Path) -> None:
    _open(tmp_path).close()
    db = sqlite3.connect(tmp_path / "status.db")
    rows = (
        (i, hashlib.sha256(f"pre:{i}".encode()).digest()) for i in range(MIN_ENTRIES) if i != 77
    )
    with db:
        db.executemany("INSERT INTO entries(idx, credential_hash) VALUES (?, ?)", rows)
    db.close()
    with _open(tmp_path, rng=_seeded()) as reg:
        assert reg.allocate("last").status_list_index == 77
        with pytest.raises(StatusError) as info:
            reg.allocate("one too many")
        assert info.value.code == "status.registry_full"
        assert reg.allocate("last").status_list_index == 77


def test_revocation_is_permanent(tmp_path: Path) -> None:
    with _open(tmp_path, rng=_seeded()) as reg:
        index = reg.allocate("a").status_list_index
        reg.revoke("a")
        reg.revoke("a")
        assert reg.value("a") == 1
        for undo, args in ((reg.reinstate, ("a",)), (reg.set_status, ("a", 0))):
            with pytest.raises(StatusError) as info:
                undo(*args)
            assert info.value.code == "status.irreversible"
        assert reg.status_list().get(index) == 1
    db = sqlite3.connect(tmp_path / "status.db")
    for statement in ("UPDATE entries SET value = 0", "DELETE FROM entries"):
        with pytest.raises(sqlite3.IntegrityError, match="did_gov"):
            db.execute(statement)
    db.close()


def test_suspension_is_reversible(where: Any) -> None:
    with _open(where, "suspension", rng=_seeded()) as reg:
        reg.allocate("a")
        reg.suspend("a")
        assert reg.value("a") == 1
        reg.reinstate("a")
        assert reg.value("a") == 0
        reg.suspend("a")
        assert reg.value("a") == 1


def test_refresh_cannot_be_cleared(where: Any) -> None:
    with _open(where, "refresh", rng=_seeded()) as reg:
        reg.allocate("a")
        reg.set_status("a", 1)
        with pytest.raises(StatusError) as info:
            reg.set_status("a", 0)
        assert info.value.code == "status.irreversible"


@pytest.mark.parametrize(
    ("purpose", "action"),
    [
        ("suspension", "revoke"),
        ("revocation", "suspend"),
        ("refresh", "reinstate"),
        ("message", "suspend"),
    ],
)
def test_actions_follow_the_list_purpose(where: Any, purpose: str, action: str) -> None:
    with _open(where, purpose, rng=_seeded()) as reg:
        reg.allocate("a")
        with pytest.raises(StatusError) as info:
            getattr(reg, action)("a")
        assert info.value.code == "status.purpose_mismatch"


def test_unknown_credentials(where: Any) -> None:
    with _open(where) as reg:
        for call in (reg.revoke, reg.entry, reg.value):
            with pytest.raises(StatusError) as info:
                call("never allocated")
            assert info.value.code == "status.unknown_credential"


@pytest.mark.parametrize("bad_id", ["", 42, None, "\ud800"])
def test_credential_ids_are_checked(where: Any, bad_id: object) -> None:
    with _open(where) as reg, pytest.raises(StatusError) as info:
        reg.allocate(bad_id)  # type: ignore[arg-type]
    assert info.value.code == "status.invalid_argument"


MESSAGES = ["pending_review", "accepted", "rejected", "undefined"]


def test_multi_bit_message_list(where: Any) -> None:
    with _open(where, "message", status_size=2, messages=MESSAGES, rng=_seeded()) as reg:
        entry = reg.allocate("a")
        assert entry.status_size == 2 and [m.message for m in entry.status_message] == MESSAGES
        reg.set_status("a", 2)
        reg.set_status("a", 1)
        with pytest.raises(StatusError) as info:
            reg.set_status("a", 4)
        assert info.value.code == "status.value_out_of_range"
        listed = reg.list_credential(ISSUER, now=NOW, valid_for=DAY)
    result = check_entry(entry.to_json(), listed, now=NOW, cache=StatusListCache(), min_entries=1)
    assert result.ok and result.status == "accepted"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status_size": 2},  # messages required above 1 bit
        {"status_size": 2, "messages": MESSAGES[:3]},
        {"messages": MESSAGES},  # 1 bit needs 2 messages
        {"messages": "set"},
        {"size": MIN_ENTRIES - 8},
        {"size": "131072"},
        {"status_size": 0},
        {"purpose": "custom"},
    ],
)
def test_new_registry_parameters_are_checked(where: Any, kwargs: dict[str, Any]) -> None:
    kwargs = dict(kwargs)  # the parameter is shared by every backend's run
    purpose = kwargs.pop("purpose", "message")
    with pytest.raises(StatusError) as info:
        _open(where, purpose, **kwargs)
    assert info.value.code == "status.invalid_argument"


def test_parameters_persist_and_must_match(tmp_path: Path) -> None:
    _open(tmp_path, "message", size=2 * MIN_ENTRIES, status_size=2, messages=MESSAGES).close()
    with StatusRegistry.open(tmp_path / "status.db") as reg:
        assert (reg.list_url, reg.purpose, reg.size, reg.status_size) == (
            URL,
            "message",
            2 * MIN_ENTRIES,
            2,
        )
    for kwargs in ({"purpose": "revocation"}, {"size": MIN_ENTRIES}, {"list_url": URL + "x"}):
        with pytest.raises(StatusError) as info:
            StatusRegistry.open(tmp_path / "status.db", **kwargs)
        assert info.value.code == "status.registry_mismatch"


def test_a_new_file_needs_url_and_purpose(tmp_path: Path) -> None:
    with pytest.raises(StatusError) as info:
        StatusRegistry.open(tmp_path / "status.db", list_url=URL)
    assert info.value.code == "status.invalid_argument"
    assert not (tmp_path / "status.db").exists(), "nothing is created"


def test_files_that_are_not_registries(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    with db:
        db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('format', 'some other application')")
    db.close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    for path in (other, junk, tmp_path):
        with pytest.raises(StatusError) as info:
            StatusRegistry.open(path, list_url=URL, purpose="revocation")
        assert info.value.code == "status.registry_open_failed"


def test_only_the_hash_of_the_credential_id_is_stored(tmp_path: Path) -> None:
    citizen_id = "urn:example:citizen:Ada-Lovelace-1815-12-10"
    with _open(tmp_path) as reg:
        reg.allocate(citizen_id)
        reg.revoke(citizen_id)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert citizen_id.encode() not in raw
    db = sqlite3.connect(tmp_path / "status.db")
    assert db.execute("SELECT credential_hash FROM entries").fetchall() == [
        (credential_hash(citizen_id),)
    ]
    db.close()
    assert credential_hash(citizen_id) == hashlib.sha256(citizen_id.encode()).digest()


def test_list_credential_reflects_the_registry(where: Any) -> None:
    with _open(where, rng=_seeded()) as reg:
        entries = {f"c{i}": reg.allocate(f"c{i}") for i in range(50)}
        for name in list(entries)[::3]:
            reg.revoke(name)
        listed = reg.list_credential(ISSUER, now=NOW, valid_for=DAY, ttl=timedelta(hours=1))
    assert listed["validFrom"] == "2025-06-01T00:00:00Z"
    assert listed["validUntil"] == "2025-06-02T00:00:00Z"
    assert listed["credentialSubject"]["ttl"] == 3_600_000
    decoded = StatusList.decode(listed["credentialSubject"]["encodedList"])
    revoked = {e.status_list_index for name, e in entries.items() if int(name[1:]) % 3 == 0}
    assert {i for i in range(MIN_ENTRIES) if decoded.get(i)} == revoked
    cache = StatusListCache()
    for name, entry in entries.items():
        result = check_entry(entry.to_json(), listed, now=NOW, cache=cache)
        assert (result.status == "revoked") is (entry.status_list_index in revoked), name


@pytest.mark.parametrize(
    "kwargs",
    [
        {"valid_for": timedelta(0)},
        {"valid_for": 86400},
        {"now": datetime(2025, 6, 1)},  # naive
        {"ttl": timedelta(seconds=-1)},
    ],
)
def test_list_credential_arguments(where: Any, kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"now": NOW, "valid_for": DAY, **kwargs}
    with _open(where) as reg, pytest.raises(StatusError) as info:
        reg.list_credential(ISSUER, **args)
    assert info.value.code == "status.invalid_argument"


def _stand_in_secure(unsigned: dict[str, Any]) -> dict[str, Any]:
    """A stand-in securing step: a digest 'proof' (the tests of the real one are below)."""
    digest = hashlib.sha256(repr(sorted(unsigned.items())).encode()).hexdigest()
    unsigned["proof"] = {"type": "TestDigest", "digest": digest}
    return unsigned


def test_publish_secures_and_records(where: Any) -> None:
    with _open(where, rng=_seeded()) as reg:
        assert reg.latest_publication() is None
        reg.allocate("a")
        first = reg.publish(ISSUER, _stand_in_secure, now=NOW, valid_for=DAY)
        reg.revoke("a")
        second = reg.publish(ISSUER, _stand_in_secure, now=NOW + DAY, valid_for=DAY)
        assert first["proof"]["type"] == "TestDigest" and first != second
        assert reg.latest_publication() == second
        entry = reg.entry("a")
    result = check_entry(entry.to_json(), second, now=NOW + DAY, cache=StatusListCache())
    assert result.status == "revoked"


def _raises_value_error(unsigned: dict[str, Any]) -> dict[str, Any]:
    raise ValueError("HSM unavailable")


def _raises_ours(unsigned: dict[str, Any]) -> dict[str, Any]:
    raise DidGovError("signer refused", code="signature.failed")


@pytest.mark.parametrize(
    ("secure", "code"),
    [
        (_raises_value_error, "status.secure_failed"),
        (lambda unsigned: "a JWT string", "status.secure_failed"),
        (lambda unsigned: {**unsigned, "bad": {1, 2}}, "status.secure_failed"),
        (_raises_ours, "signature.failed"),
    ],
)
def test_publish_wraps_secure_failures(
    where: Any, secure: Callable[[dict[str, Any]], Any], code: str
) -> None:
    with _open(where) as reg:
        with pytest.raises(DidGovError) as info:
            reg.publish(ISSUER, secure, now=NOW, valid_for=DAY)
        assert info.value.code == code
        assert reg.latest_publication() is None


def test_a_closed_registry_raises_our_error(where: Any) -> None:
    reg = _open(where)
    reg.close()
    with pytest.raises(StatusError) as info:
        reg.allocate("a")
    assert info.value.code == "status.registry_failed"


def test_publish_with_data_integrity(where: Any) -> None:
    """The real securing step: an eddsa-rdfc-2022 proof over the list credential verifies."""
    data_integrity = pytest.importorskip("did_gov.proofs.data_integrity")
    from did_gov.keys import PrivateKey

    key = PrivateKey.from_seed("ed25519", bytes(range(32)))
    mb = key.public_key.to_multikey()
    issuer = f"did:key:{mb}"

    def secure(unsigned: dict[str, Any]) -> dict[str, Any]:
        signed: dict[str, Any] = data_integrity.add_proof(
            unsigned,
            key,
            cryptosuite="eddsa-rdfc-2022",
            verification_method=f"{issuer}#{mb}",
            created=NOW,
        )
        return signed

    with _open(where, rng=_seeded()) as reg:
        entry = reg.allocate("urn:uuid:citizen-1")
        reg.revoke("urn:uuid:citizen-1")
        published = reg.publish(issuer, secure, now=NOW, valid_for=DAY, ttl=timedelta(hours=6))
    verified = data_integrity.verify_proofs(published, lambda url, purpose: key.public_key)
    assert verified.verified, verified.checks
    result = check_entry(entry.to_json(), published, now=NOW, cache=StatusListCache())
    assert result.status == "revoked" and result.codes[-1] == "status.revoked"


def test_publish_accepts_an_enveloping_secure(where: Any) -> None:
    """A VC-JOSE-style ``secure`` returns a compact token; it is stored and returned as is."""
    seen: list[dict[str, Any]] = []

    def envelope(unsigned: dict[str, Any]) -> str:
        seen.append(unsigned)
        payload = b64url_encode(json.dumps(unsigned).encode())
        return f"eyJhbGciOiJFZERTQSJ9.{payload}.c2lnbmF0dXJl"

    with _open(where) as reg:
        token = reg.publish(ISSUER, envelope, now=NOW, valid_for=DAY)
        assert reg.latest_publication() == token
    assert seen[0]["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert json.loads(b64url_decode(token.split(".")[1]))["validFrom"] == seen[0]["validFrom"]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_exactly_the_revoked_credentials_read_revoked_after_publication(
    tmp_path_factory: pytest.TempPathFactory, revoke: list[bool]
) -> None:
    """Allocate, revoke some, publish: after encode/decode exactly those read revoked."""
    with _open(tmp_path_factory.mktemp("prop")) as reg:
        entries = [reg.allocate(f"urn:uuid:p{i}") for i in range(len(revoke))]
        for i, flag in enumerate(revoke):
            if flag:
                reg.revoke(f"urn:uuid:p{i}")
        published = reg.list_credential(ISSUER, now=NOW, valid_for=DAY)
    cache = StatusListCache()
    statuses = [check_entry(e, published, now=NOW, cache=cache).status for e in entries]
    assert statuses == ["revoked" if flag else "valid" for flag in revoke]
    bits = StatusList.decode(published["credentialSubject"]["encodedList"])
    assert int.from_bytes(bits.to_bytes(), "big").bit_count() == sum(revoke)
