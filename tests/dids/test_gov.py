"""did:gov (specs/did-gov-method.md): logs, resolution, freshness, and the log-level attacks."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did_gov._encoding import b58decode
from did_gov.dids import DefaultResolver
from did_gov.dids.gov import (
    FRESH,
    FRESHNESS_UNKNOWN,
    DidGov,
    deactivate_log,
    entry_leaf,
    read_log,
    update_log,
    verify_log,
    write_log,
)
from did_gov.errors import GovLogError, NetworkDisabledError
from did_gov.ledger import Receipt
from did_gov.ledger._note import NoteSigner, sign_note
from did_gov.ledger.checkpoint import Checkpoint, open_checkpoint
from tests.dids._gov_world import T0, agency, forge, key, paths, world


def _code(excinfo: pytest.ExceptionInfo[GovLogError]) -> str:
    return excinfo.value.code


# -- spec vectors ---------------------------------------------------------------------------


def test_leaf_vector_byte_layout() -> None:
    scid = "QmT3R8WJV2idiy6u3rVx1S4kxyQJkFQPQCdjnETMDvQXHW"
    digest = b58decode("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")[2:]
    preimage = b"did:gov:v1" + bytes([46]) + scid.encode() + (1).to_bytes(8, "big") + digest
    assert len(preimage) == 97
    leaf = entry_leaf(scid, 1, "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")
    assert leaf == hashlib.sha256(preimage).digest()
    assert leaf.hex() == "8a92285e7adea5ba96a99aa0c301c5e686d5ca250be5b06f1e14942de9308a8c"


def test_created_log_has_the_webvh_shape_and_a_self_certifying_id() -> None:
    w = world()
    log = agency(w)
    entry = log.entries()[0]
    assert set(entry) == {"versionId", "versionTime", "parameters", "state", "proof"}
    assert entry["parameters"]["method"] == "did:gov:1.0"
    assert entry["parameters"]["anchorLog"] == w.ledger.verifier.vkey
    assert log.did == f"did:gov:{entry['parameters']['scid']}" == entry["state"]["id"]
    assert entry["proof"][0]["cryptosuite"] == "eddsa-jcs-2022"
    assert entry["versionId"].startswith("1-Qm")
    assert log.latest.leaf_index == 0
    assert log.latest.version_time <= log.latest.anchored_time


def test_p256_update_key_signs_with_ecdsa_jcs() -> None:
    w = world()
    from did_gov.dids.gov import create_log

    log = create_log(key(5, "p256"), [key(10).public_key], w.ledger)
    assert log.entries()[0]["proof"][0]["cryptosuite"] == "ecdsa-jcs-2019"
    assert verify_log(log.entries(), log.receipts()).did == log.did


def test_update_rotation_and_resolution_by_version_and_time() -> None:
    w = world()
    log = agency(w)
    first = log.latest
    log = update_log(log, key(1), w.ledger, add_keys=[key(11).public_key], remove_keys=["#key-1"])
    log = update_log(log, key(1), w.ledger, update_keys=[key(3).public_key])
    log = update_log(log, key(3), w.ledger, add_keys=[key(12).public_key])
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())
    ids = [m.id for m in gov.resolve(log.did).verification_methods()]
    assert ids == [f"{log.did}#key-2", f"{log.did}#key-3"]
    old = gov.resolve_version(log.did, version_id=first.version_id)
    assert [m.id for m in old.document.verification_methods()] == [f"{log.did}#key-1"]
    at = gov.resolve_version(log.did, version_time=log.versions[1].anchored_time)
    assert at.version.number == 2
    with pytest.raises(GovLogError) as excinfo:
        gov.resolve_version(log.did, version_time=T0)
    assert _code(excinfo) == "did.gov_version_not_found"
    assert at.metadata()["freshness"] == FRESHNESS_UNKNOWN


def test_update_key_not_authorized_is_refused_before_anchoring() -> None:
    w = world()
    log = agency(w)
    size = w.ledger.size()
    with pytest.raises(GovLogError) as excinfo:
        update_log(log, key(9), w.ledger, add_keys=[key(11).public_key])
    assert _code(excinfo) == "did.gov_update_unauthorized"
    assert w.ledger.size() == size


def test_prerotation_requires_next_commitment_and_committed_key() -> None:
    w = world()
    log = agency(w, prerotation=True)
    with pytest.raises(GovLogError) as excinfo:
        update_log(log, key(2), w.ledger, add_keys=[key(11).public_key])
    assert _code(excinfo) == "did.gov_update_invalid"
    with pytest.raises(GovLogError) as excinfo:
        update_log(log, key(1), w.ledger, end_prerotation=True)
    assert _code(excinfo) == "did.gov_prerotation_violated"
    log = update_log(log, key(2), w.ledger, next_key_hashes=[key(4).public_key.pre_rotation_hash()])
    assert log.latest.params.update_keys == (key(2).public_key.to_multikey(),)
    log = update_log(log, key(4), w.ledger, end_prerotation=True)
    assert not log.latest.params.prerotation
    assert verify_log(log.entries(), log.receipts()).latest == log.latest


def test_deactivation_ends_the_log() -> None:
    w = world()
    log = deactivate_log(agency(w, prerotation=True), key(2), w.ledger)
    gov = DidGov()
    gov.add_log(log.entries(), log.receipts())
    assert gov.resolve(log.did).deactivated
    with pytest.raises(GovLogError) as excinfo:
        update_log(log, key(2), w.ledger, add_keys=[key(11).public_key])
    assert _code(excinfo) == "did.gov_deactivated"
    entries, receipts = forge(w, log, key(2), {})
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, receipts)
    assert _code(excinfo) == "did.gov_deactivated"


def test_incremental_verification_reuses_the_verified_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world()
    log = agency(w)
    gov = DidGov()
    held = gov.add_log(log.entries(), log.receipts())
    log = update_log(log, key(1), w.ledger, add_keys=[key(11).public_key])
    import did_gov.dids._gov_log as module

    seen: list[int] = []
    original = module.check_entry

    def counting(raw: Any, previous: Any, did: Any = None) -> Any:
        seen.append(raw["versionId"])
        return original(raw, previous, did)

    monkeypatch.setattr(module, "check_entry", counting)
    grown = gov.add_log(log.entries(), log.receipts())
    assert seen == [log.latest.version_id]
    assert grown.versions[0] is held.versions[0]


def test_files_round_trip(tmp_path: Any) -> None:
    w = world()
    log = update_log(agency(w), key(1), w.ledger, add_keys=[key(11).public_key])
    path = tmp_path / "did-log.jsonl"
    write_log(log, path)
    assert (tmp_path / "did-log.jsonl.receipts.jsonl").is_file()
    entries, receipts = read_log(path)
    assert verify_log(entries, receipts).versions == log.versions
    assert DidGov().load(path).did == log.did


def test_no_log_and_no_fetcher_is_network_disabled() -> None:
    with pytest.raises(NetworkDisabledError):
        DidGov().resolve("did:gov:QmT3R8WJV2idiy6u3rVx1S4kxyQJkFQPQCdjnETMDvQXHW")


def test_fetcher_gets_the_log_and_its_receipts_once() -> None:
    w = world()
    log = agency(w)
    write = {
        f"https://gov.example/{log.scid}/did.jsonl": "\n".join(
            __import__("json").dumps(e) for e in log.entries()
        ),
        f"https://gov.example/{log.scid}/did.jsonl.receipts.jsonl": "\n".join(
            __import__("json").dumps(r) for r in log.receipts()
        ),
    }
    calls: list[str] = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        return write[url].encode()

    resolver = DefaultResolver()
    resolver.register(DidGov(fetcher=fetch, url_template="https://gov.example/{scid}/did.jsonl"))
    assert resolver.resolve(log.did).id == log.did
    assert resolver.resolve(log.did).id == log.did
    assert len(calls) == 2


def test_log_key_given_must_be_the_anchor_log() -> None:
    w = world()
    log = agency(w)
    other = key(201).public_key
    from did_gov.ledger import NoteVerifier

    with pytest.raises(GovLogError) as excinfo:
        verify_log(log.entries(), log.receipts(), log_key=NoteVerifier("other.example/log", other))
    assert _code(excinfo) == "did.gov_anchor_invalid"


def test_version_time_later_than_anchored_time_is_refused() -> None:
    w = world()
    log = agency(w)
    entries, receipts = forge(w, log, key(1), {}, version_time=w.now + timedelta(hours=1))
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, receipts)
    assert _code(excinfo) == "did.gov_version_time_invalid"
    assert "later than its anchored time" in str(excinfo.value)


def test_missing_receipt_is_refused() -> None:
    w = world()
    log = agency(w)
    entries, receipts = forge(w, log, key(1), {}, anchor=False)
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, receipts)
    assert _code(excinfo) == "did.gov_anchor_missing"


# -- the named attacks (issue 14 §4) --------------------------------------------------------


def test_attack_tampered_entry() -> None:
    w = world()
    log = update_log(agency(w), key(1), w.ledger, add_keys=[key(11).public_key])
    entries = log.entries()
    entries[0] = copy.deepcopy(entries[0])
    entries[0]["state"]["verificationMethod"][0]["publicKeyMultibase"] = key(
        66
    ).public_key.to_multikey()
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, log.receipts())
    assert _code(excinfo) in ("did.gov_scid_mismatch", "did.gov_hash_chain_broken")
    entries = log.entries()
    entries[1] = copy.deepcopy(entries[1])
    entries[1]["state"]["assertionMethod"] = []
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, log.receipts())
    assert _code(excinfo) == "did.gov_hash_chain_broken"


def test_attack_unauthorized_update_key() -> None:
    w = world()
    log = agency(w)
    state = dict(log.latest.state)
    state["verificationMethod"] = [
        {**state["verificationMethod"][0], "publicKeyMultibase": key(66).public_key.to_multikey()}
    ]
    entries, receipts = forge(w, log, key(66), {}, state)
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, receipts)
    assert _code(excinfo) == "did.gov_update_unauthorized"


def test_attack_rotation_breaking_the_prerotation_commitment() -> None:
    w = world()
    log = agency(w, prerotation=True)
    thief = key(66)  # holds the current update key 1, and tries to rotate to its own key
    for signer, update_keys in ((key(1), [thief]), (thief, [thief]), (key(1), [key(1)])):
        entries, receipts = forge(
            w,
            log,
            signer,
            {
                "updateKeys": [k.public_key.to_multikey() for k in update_keys],
                "nextKeyHashes": [thief.public_key.pre_rotation_hash()],
            },
        )
        with pytest.raises(GovLogError) as excinfo:
            verify_log(entries, receipts)
        assert _code(excinfo) == "did.gov_prerotation_violated"
    entries, receipts = forge(w, log, key(2), {"updateKeys": [key(2).public_key.to_multikey()]})
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, receipts)
    assert _code(excinfo) == "did.gov_prerotation_violated"


def test_attack_truncated_history_against_freshness_source() -> None:
    w = world()
    log = agency(w)
    full = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    truncated = DidGov()
    truncated.add_log(log.entries(), log.receipts())
    assert truncated.freshness(log.did).code == FRESHNESS_UNKNOWN
    truncated.add_head(
        {"versionId": full.latest.version_id, "receipt": full.latest.receipt.to_json()}, log.did
    )
    with pytest.raises(GovLogError) as excinfo:
        truncated.resolve(log.did)
    assert _code(excinfo) == "did.gov_truncated"
    complete = DidGov()
    complete.add_log(full.entries(), full.receipts())
    complete.add_head(
        {"versionId": full.latest.version_id, "receipt": full.latest.receipt.to_json()}, log.did
    )
    assert complete.freshness(log.did).code == FRESH
    assert complete.scan(log.did, w.ledger).code == FRESH


def test_attack_truncated_history_against_a_ledger_scan() -> None:
    w = world()
    log = agency(w)
    full = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    gov = DidGov()
    short = gov.add_log(log.entries(), log.receipts())
    from did_gov.dids.gov import _scan

    with pytest.raises(GovLogError) as excinfo:
        _scan(short, w.ledger, [full])
    assert _code(excinfo) == "did.gov_truncated"


def test_attack_forked_history() -> None:
    w = world()
    log = agency(w)
    one = forge(w, log, key(1), {}, {**dict(log.latest.state), "assertionMethod": []})
    two = forge(w, log, key(1), {"updateKeys": [key(66).public_key.to_multikey()]})
    a, b = verify_log(*one), verify_log(*two)  # each branch verifies alone
    assert a.latest.number == b.latest.number == 2
    gov = DidGov()
    gov.add_log(*one)
    with pytest.raises(GovLogError) as excinfo:
        gov.add_log(*two)
    assert _code(excinfo) == "did.gov_forked"
    assert "first anchored wins" in str(excinfo.value)
    with pytest.raises(GovLogError) as excinfo:
        gov.resolve(log.did)
    assert _code(excinfo) == "did.gov_forked"
    bundle = DidGov()
    bundle.add_log(*two)
    bundle.add_head({"versionId": a.latest.version_id, "receipt": one[1][-1]}, log.did)
    with pytest.raises(GovLogError) as excinfo:
        bundle.resolve(log.did)
    assert _code(excinfo) == "did.gov_forked"


# -- properties -----------------------------------------------------------------------------

_W = world()
_LOG = update_log(agency(_W), key(1), _W.ledger, add_keys=[key(11, "p256").public_key])
_PATHS = [p for entry in _LOG.entries() for p in paths(entry)]


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 1),
    pick=st.integers(0, 10_000),
    new=st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none()),
)
def test_property_any_mutation_of_a_signed_entry_fails(which: int, pick: int, new: Any) -> None:
    entries = _LOG.entries()
    entries[which] = copy.deepcopy(entries[which])
    candidates = list(paths(entries[which]))
    path = candidates[pick % len(candidates)]
    value = entries[which]
    for step in path:
        value = value[step]
    if new == value and type(new) is type(value):
        new = f"{value}x"
    _set(entries[which], path, new)
    with pytest.raises(GovLogError):
        verify_log(entries, _LOG.receipts())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    operations=st.lists(
        st.sampled_from(["add", "remove", "rotate", "prerotate"]), min_size=1, max_size=5
    )
)
def test_property_create_update_round_trip(operations: list[str]) -> None:
    w = world()
    log = agency(w)
    signer, committed, fresh = key(1), None, 20

    def step(**changes: Any) -> None:
        nonlocal log, signer, committed, fresh
        if committed is not None:  # pre-rotation: reveal the committed key, commit to a new one
            fresh += 1
            signer, committed = committed, key(fresh)
            changes.setdefault("next_key_hashes", [committed.public_key.pre_rotation_hash()])
        log = update_log(log, signer, w.ledger, **changes)

    for operation in operations:
        fresh += 1
        if operation == "remove" and len(log.latest.state["verificationMethod"]) > 1:
            step(remove_keys=[log.latest.state["verificationMethod"][0]["id"]])
        elif operation == "rotate" and committed is None:
            step(update_keys=[key(fresh).public_key])
            signer = key(fresh)
        elif operation == "prerotate" and committed is None:
            step(next_key_hashes=[key(fresh).public_key.pre_rotation_hash()])
            committed = key(fresh)
        elif operation == "prerotate":
            log = update_log(log, committed, w.ledger, end_prerotation=True)
            signer, committed = committed, None
        else:
            step(add_keys=[key(fresh).public_key])
    again = verify_log(log.entries(), log.receipts())
    assert again.versions == log.versions
    assert [Receipt.from_json(r) for r in log.receipts()] == [v.receipt for v in log.versions]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_property_fast_jcs_equals_the_reference(value: Any) -> None:
    from did_gov.dids._gov_entry import jcs
    from did_gov.errors import CanonicalizationError
    from did_gov.jsonld._jcs import canonicalize

    try:
        expected = canonicalize(value)
    except CanonicalizationError:
        with pytest.raises(GovLogError):
            jcs(value)
        return
    assert jcs(value) == expected


@settings(max_examples=200, deadline=None)
@given(_JSON, _JSON, st.text(max_size=8), st.text(max_size=8), st.text(max_size=8))
def test_property_entry_bodies_equal_the_reference(
    parameters: Any, state: Any, version_id: str, version_time: str, previous: str
) -> None:
    """The two bodies written from shared parts are the RFC 8785 bytes of the two objects."""
    from did_gov.dids._gov_entry import entry_bodies
    from did_gov.errors import CanonicalizationError
    from did_gov.jsonld._jcs import canonicalize

    entry = {
        "versionId": version_id,
        "versionTime": version_time,
        "parameters": parameters,
        "state": state,
        "proof": [{"type": "DataIntegrityProof"}],
    }
    hashed = {**{k: v for k, v in entry.items() if k != "proof"}, "versionId": previous}
    signed = {k: v for k, v in entry.items() if k != "proof"}
    try:
        expected = (canonicalize(hashed), canonicalize(signed))
    except CanonicalizationError:
        with pytest.raises(GovLogError):
            entry_bodies(entry, previous)
        return
    bodies = entry_bodies(entry, previous)
    assert (bodies.hashed, bodies.signed) == expected


def test_plain_json_deeper_than_64_levels_is_written_by_the_reference() -> None:
    from did_gov.dids._gov_entry import jcs
    from did_gov.jsonld._jcs import canonicalize

    deep: Any = "leaf"
    for _ in range(70):
        deep = {"a": [deep]}
    assert jcs(deep) == canonicalize(deep)


def test_method_in_force_is_judged_once_per_version_and_purpose() -> None:
    from did_gov.errors import VerificationMethodError

    w = world()
    log = agency(w)
    vm = f"{log.did}#key-1"
    first = log.method_in_force(vm, "assertionMethod", None)
    assert log.method_in_force(vm, "assertionMethod", None) is first
    for _ in range(2):  # a refusal is never remembered as a success, nor another purpose's
        with pytest.raises(VerificationMethodError) as refused:
            log.method_in_force(vm, "keyAgreement", None)
        assert refused.value.code == "did.vm_not_authorized"
    later = update_log(log, key(1), w.ledger, remove_keys=["key-1"], add_keys=[key(11).public_key])
    with pytest.raises(VerificationMethodError) as removed:
        later.method_in_force(vm, "assertionMethod", None)
    assert removed.value.code == "did.gov_key_removed"
    assert later.method_in_force(vm, "assertionMethod", later.latest.leaf_index) is not None


def test_attack_late_receipt_moves_an_entry_later_in_time() -> None:
    """Entry 1's receipt swapped for a valid inclusion proof under a later checkpoint (one
    that already holds entry 2): its anchored time would become entry 2's, and resolution
    ``versionTime`` between the two would answer the DID's state before entry 1."""
    w = world()
    log = agency(w)
    log = update_log(log, key(1), w.ledger, add_keys=[key(11).public_key])
    receipts = log.receipts()
    late = w.ledger.receipt(log.versions[0].leaf_index).to_json()
    assert late != receipts[0]
    with pytest.raises(GovLogError) as excinfo:
        verify_log(log.entries(), [late, *receipts[1:]])
    assert _code(excinfo) == "did.gov_anchor_order"
    assert "later checkpoint" in excinfo.value.message


def test_attack_receipts_moved_onto_one_later_checkpoint() -> None:
    """Every receipt re-taken at the latest checkpoint: each is a valid inclusion proof, but
    every entry would then seem anchored at the same, latest time."""
    w = world()
    log = agency(w)
    for n in (11, 12):
        log = update_log(log, key(1), w.ledger, add_keys=[key(n).public_key])
    note = w.ledger.checkpoint()
    shared = [w.ledger.receipt(v.leaf_index, note).to_json() for v in log.versions]
    with pytest.raises(GovLogError) as excinfo:
        verify_log(log.entries(), shared)
    assert _code(excinfo) == "did.gov_anchor_order"
    fresh = [*log.receipts()[:-1], shared[-1]]  # the last entry's receipt may be re-taken
    assert verify_log(log.entries(), fresh).latest.number == 3


def test_attack_checkpoint_time_going_back_is_refused() -> None:
    """A later leaf under an earlier checkpoint time (only the log key's holder can sign
    one; our ledgers keep time monotonic): resolution by time bisects anchored times."""
    w = world()
    log = agency(w)
    entries, receipts = forge(w, log, key(1), {}, version_time=log.latest.version_time)
    receipt = Receipt.from_json(receipts[-1])
    head = open_checkpoint(receipt.checkpoint, [w.ledger.verifier]).checkpoint
    earlier = Checkpoint.at_time(
        head.origin, head.size, head.root_hash, log.latest.anchored_time - timedelta(seconds=1)
    )
    note = sign_note(earlier.to_body(), [NoteSigner(head.origin, key(200))])
    receipts[-1] = dataclasses.replace(receipt, checkpoint=note).to_json()
    with pytest.raises(GovLogError) as excinfo:
        verify_log(entries, receipts)
    assert _code(excinfo) == "did.gov_anchor_order"
    assert "went back" in excinfo.value.message
