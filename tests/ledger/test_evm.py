"""The evm backend on a real anvil node: allow-list, growth, chain receipts, pinned bytecode."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_gov.errors import InvalidInputError, LedgerError
from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger import Receipt, open_ledger, verify_receipt
from did_gov.ledger._chain import (
    ARTIFACT,
    PINNED_SHA256,
    RegistryClient,
    _account,
    load_artifact,
    origin_hash,
)
from did_gov.ledger.evm import (
    EvmLedger,
    _rpc_url,
    deploy_registry,
    set_writer,
    verify_chain_anchor,
    writer_address,
)
from did_gov.testing.anvil import Anvil
from tests.conftest import ROOT
from tests.ledger.conftest import ADMIN_KEY, OUTSIDER_KEY, WRITER_KEY, Registry

ORIGIN = "did-gov.example/log/agency-a"
KEY = PrivateKey.from_seed(KeyType.ED25519, bytes(range(32)))
LEAVES = [bytes([i]) * 32 for i in range(1, 8)]

e2e = pytest.mark.e2e


def _fixed_clock() -> datetime:
    return datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def _ledger(evm_registry: Registry, store: str = "memory:", key: bytes = WRITER_KEY) -> EvmLedger:
    log = open_ledger(
        evm_registry.url(),
        log_key=KEY,
        origin=ORIGIN,
        writer_key=key,
        store=store,
        clock=_fixed_clock,
    )
    assert isinstance(log, EvmLedger)
    return log


def _client(evm_registry: Registry) -> RegistryClient:
    return RegistryClient(
        evm_registry.node.url, load_artifact(), address=evm_registry.contract, timeout=10
    )


# ---------------------------------------------------------------- the allow-list


@e2e
def test_a_writer_off_the_allow_list_is_rejected_before_anything_is_written(
    evm_registry: Registry,
) -> None:
    log = _ledger(evm_registry, key=OUTSIDER_KEY)
    with pytest.raises(LedgerError) as info:
        log.append(LEAVES[:2])
    assert info.value.code == "evm.writer_not_allowed"
    assert log.size() == 0
    log.close()


@e2e
def test_the_admin_removes_a_writer(evm_registry: Registry) -> None:
    log = _ledger(evm_registry)
    log.append(LEAVES[:1])
    url, contract = evm_registry.node.url, evm_registry.contract
    set_writer(url, contract, ADMIN_KEY, writer_address(WRITER_KEY), allowed=False)
    with pytest.raises(LedgerError) as info:
        log.append(LEAVES[1:2])
    assert info.value.code == "evm.writer_not_allowed"
    assert log.size() == 1
    log.close()


@e2e
def test_only_the_admin_changes_writers(evm_registry: Registry) -> None:
    with pytest.raises(LedgerError) as info:
        set_writer(
            evm_registry.node.url, evm_registry.contract, WRITER_KEY, writer_address(OUTSIDER_KEY)
        )
    assert info.value.code == "evm.not_admin"


@e2e
def test_a_log_origin_belongs_to_its_first_writer(evm_registry: Registry) -> None:
    _ledger(evm_registry).append(LEAVES[:1])
    set_writer(
        evm_registry.node.url, evm_registry.contract, ADMIN_KEY, writer_address(OUTSIDER_KEY)
    )
    intruder = _client(evm_registry)
    with pytest.raises(LedgerError) as info:
        intruder.anchor(_account(OUTSIDER_KEY), origin_hash(ORIGIN), 5, bytes(32))
    assert info.value.code == "evm.origin_owned"


# ---------------------------------------------------------------- no rewrite


@e2e
@pytest.mark.parametrize("size", [1, 3], ids=["smaller", "equal"])
def test_the_chain_refuses_a_root_rewrite(evm_registry: Registry, size: int) -> None:
    log = _ledger(evm_registry)
    log.append(LEAVES[:3])
    with pytest.raises(LedgerError) as info:
        _client(evm_registry).anchor(_account(WRITER_KEY), origin_hash(ORIGIN), size, bytes(32))
    assert info.value.code == "evm.tree_size_not_growing"
    assert _client(evm_registry).latest(origin_hash(ORIGIN)).tree_size == 3
    log.close()


@e2e
def test_a_local_log_behind_the_chain_is_refused(evm_registry: Registry) -> None:
    _ledger(evm_registry).append(LEAVES[:3])
    with pytest.raises(LedgerError) as info:
        _ledger(evm_registry)
    assert info.value.code == "evm.chain_ahead"


@e2e
def test_a_local_log_that_disagrees_with_the_chain_is_refused(
    evm_registry: Registry, tmp_path: Path
) -> None:
    _ledger(evm_registry).append(LEAVES[:3])
    other = open_ledger(f"sqlite://{tmp_path}/other.db", log_key=KEY, origin=ORIGIN)
    other.append(LEAVES[4:7])
    other.close()
    with pytest.raises(LedgerError) as info:
        _ledger(evm_registry, store=f"sqlite://{tmp_path}/other.db")
    assert info.value.code == "evm.chain_conflict"


@e2e
def test_a_reopened_sqlite_store_continues_on_chain(evm_registry: Registry, tmp_path: Path) -> None:
    store = f"sqlite://{tmp_path}/log.db"
    first = _ledger(evm_registry, store=store)
    first.append(LEAVES[:3])
    first.close()
    again = _ledger(evm_registry, store=store)
    [receipt] = again.append(LEAVES[3:4])
    assert receipt.index == 3 and receipt.chain is not None
    assert _client(evm_registry).latest(origin_hash(ORIGIN)).tree_size == 4
    again.close()


@e2e
def test_a_stalled_chain_leaves_the_batch_local_and_the_next_anchor_covers_it(
    evm_registry: Registry,
) -> None:
    log = open_ledger(
        evm_registry.url(), log_key=KEY, origin=ORIGIN, writer_key=WRITER_KEY, timeout=1
    )
    log.append(LEAVES[:1])
    evm_registry.node.rpc("evm_setAutomine", False)
    try:
        with pytest.raises(LedgerError) as info:
            log.append(LEAVES[1:3])
    finally:
        evm_registry.node.rpc("evm_setAutomine", True)
    assert info.value.code == "evm.rpc_failed"
    assert "leaves 1..2 are in the local log" in info.value.message
    assert log.size() == 3
    [receipt] = log.append(LEAVES[3:4])
    assert receipt.chain is not None
    latest = _client(evm_registry).latest(origin_hash(ORIGIN))
    assert latest.tree_size == 4
    assert verify_chain_anchor(
        receipt, log.verifier, rpc_url=evm_registry.node.url, contract=evm_registry.contract
    ).ok
    log.close()


# ---------------------------------------------------------------- receipts against the chain


@e2e
def test_receipts_carry_the_chain_transaction_and_check_against_the_chain(
    evm_registry: Registry,
) -> None:
    log = _ledger(evm_registry)
    receipts = log.append(LEAVES[:5])
    chain = receipts[0].chain
    assert chain is not None and all(r.chain == chain for r in receipts)
    assert chain.contract == evm_registry.contract and chain.network == "eip155:31337"
    assert chain.transaction.startswith("0x") and len(chain.transaction) == 66
    mined = evm_registry.node.rpc("eth_getTransactionReceipt", chain.transaction)
    assert int(mined["blockNumber"], 16) == chain.block and mined["status"] == "0x1"
    for receipt in receipts:
        wire = Receipt.from_json(json.dumps(receipt.to_json()))
        assert verify_receipt(wire, log.verifier).ok
        check = verify_chain_anchor(
            wire, log.verifier, rpc_url=evm_registry.node.url, contract=evm_registry.contract
        )
        assert (check.ok, check.code) == (True, "evm.anchored"), check
    later = log.append(LEAVES[5:6])[0].chain
    assert later is not None and later.block > chain.block
    moved = log.receipt(0)
    assert moved.chain == later
    assert verify_chain_anchor(
        moved, log.verifier, rpc_url=evm_registry.node.url, contract=evm_registry.contract
    ).ok
    log.close()


@e2e
def test_a_forged_chain_field_fails_the_chain_check(evm_registry: Registry) -> None:
    log = _ledger(evm_registry)
    [receipt] = log.append(LEAVES[:1])
    assert receipt.chain is not None
    url, contract = evm_registry.node.url, evm_registry.contract
    writer_tx = set_writer(url, contract, ADMIN_KEY, writer_address(OUTSIDER_KEY))
    cases = {
        "evm.block_mismatch": replace(receipt.chain, block=receipt.chain.block + 1),
        "evm.event_missing": writer_tx,
        "evm.transaction_not_found": replace(receipt.chain, transaction="0x" + "ab" * 32),
        "evm.network_mismatch": replace(receipt.chain, network="eip155:1"),
        "evm.contract_mismatch": replace(receipt.chain, contract="0x" + "11" * 20),
    }
    for code, chain in cases.items():
        check = verify_chain_anchor(
            receipt.with_chain(chain), log.verifier, rpc_url=url, contract=contract
        )
        assert (check.ok, check.code, check.indeterminate) == (False, code, False), check
    bare = replace(receipt, chain=None)
    assert verify_chain_anchor(bare, log.verifier, rpc_url=url, contract=contract).code == (
        "evm.chain_missing"
    )
    other = PrivateKey.from_seed(KeyType.ED25519, bytes(32))
    offline = verify_chain_anchor(receipt, other.public_key, rpc_url=url, contract=contract)
    assert offline.code == "receipt.checkpoint_unverified"
    log.close()


@e2e
def test_an_unreachable_node_is_could_not_check(evm_registry: Registry) -> None:
    log = _ledger(evm_registry)
    [receipt] = log.append(LEAVES[:1])
    check = verify_chain_anchor(
        receipt,
        log.verifier,
        rpc_url="http://127.0.0.1:9",
        contract=evm_registry.contract,
        timeout=2,
    )
    assert (check.ok, check.code, check.indeterminate) == (False, "evm.chain_unreachable", True)
    log.close()


@e2e
@settings(max_examples=8, deadline=None)
@given(batches=st.lists(st.integers(1, 30), min_size=1, max_size=4))
def test_evm_agrees_with_memory_and_the_chain_on_any_batches(
    anvil: Anvil, batches: list[int]
) -> None:
    deployed = deploy_registry(anvil.url, ADMIN_KEY, timeout=10)
    assert deployed.contract is not None
    set_writer(anvil.url, deployed.contract, ADMIN_KEY, writer_address(WRITER_KEY), timeout=10)
    chain_log = _ledger(Registry(anvil, deployed.contract))
    reference = open_ledger("memory:", log_key=KEY, origin=ORIGIN, clock=_fixed_clock)
    start, blocks = 0, []
    for count in batches:
        data = [i.to_bytes(32, "big") for i in range(start, start + count)]
        ours, theirs = chain_log.append(data), reference.append(data)
        assert [replace(r, chain=None) for r in ours] == theirs
        assert ours[0].chain is not None
        blocks.append(ours[0].chain.block)
        start += count
    assert blocks == sorted(set(blocks))  # one transaction, one new block, per batch
    anchor = _client(Registry(anvil, deployed.contract)).latest(origin_hash(ORIGIN))
    head = verify_receipt(reference.receipt(0), reference.verifier).checkpoint
    assert head is not None and (anchor.tree_size, anchor.root_hash) == (head.size, head.root_hash)
    chain_log.close()
    reference.close()


# ---------------------------------------------------------------- the pinned bytecode


CONTRACTS = ROOT / "contracts"


def test_the_compiled_artifact_matches_the_pin() -> None:
    artifact = load_artifact()
    assert (CONTRACTS / "AnchorRegistry.sha256").read_text().strip() == PINNED_SHA256
    assert artifact.sha256 == PINNED_SHA256
    assert json.loads(ARTIFACT.read_text())["bytecodeSha256"] == PINNED_SHA256
    assert artifact.compiler.startswith("0.8.28+")
    assert artifact.deployed_bytecode in artifact.bytecode


def test_the_artifact_is_package_data_not_the_source_tree() -> None:
    """An installed wheel anchors without contracts/: the artifact sits inside did_gov."""
    assert ARTIFACT.resolve().is_relative_to((ROOT / "did_gov").resolve())


@e2e
def test_the_shipped_artifact_is_what_the_source_compiles_to() -> None:
    """compile.mjs --check recompiles AnchorRegistry.sol and compares with the shipped file."""
    done = subprocess.run(
        ["node", "compile.mjs", "--check"],
        cwd=CONTRACTS,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "matches the compilation" in done.stdout


@pytest.mark.parametrize("member", ["bytecode", "deployedBytecode"])
def test_a_bytecode_hash_mismatch_is_detected(tmp_path: Path, member: str) -> None:
    data = json.loads(ARTIFACT.read_text())
    data[member] = data[member][:-2] + ("00" if data[member][-2:] != "00" else "01")
    tampered = tmp_path / "AnchorRegistry.json"
    tampered.write_text(json.dumps(data))
    with pytest.raises(LedgerError) as info:
        load_artifact(tampered)
    assert info.value.code == "evm.bytecode_mismatch"


def test_a_missing_or_broken_artifact(tmp_path: Path) -> None:
    with pytest.raises(LedgerError) as missing:
        load_artifact(tmp_path / "absent.json")
    assert missing.value.code == "evm.artifact_missing"
    (tmp_path / "bad.json").write_text('{"abi": [], "bytecode": "zz"}')
    with pytest.raises(LedgerError) as bad:
        load_artifact(tmp_path / "bad.json")
    assert bad.value.code == "evm.artifact_invalid"
    with pytest.raises(LedgerError) as pin:
        load_artifact(pin="é" * 64)
    assert pin.value.code == "evm.artifact_invalid"


@e2e
def test_a_contract_with_other_code_is_refused(evm_registry: Registry) -> None:
    address = writer_address(OUTSIDER_KEY)  # an account: no code at all
    with pytest.raises(LedgerError) as info:
        open_ledger(
            f"evm+{evm_registry.node.url}?contract={address}",
            log_key=KEY,
            origin=ORIGIN,
            writer_key=WRITER_KEY,
        )
    assert info.value.code == "evm.contract_code_mismatch"


# ---------------------------------------------------------------- URLs, options, failures


def test_rpc_urls() -> None:
    contract = "0x" + "ab" * 20
    assert _rpc_url(f"evm+http://127.0.0.1:8545?contract={contract}") == (
        "http://127.0.0.1:8545",
        contract,
    )
    assert _rpc_url(f"EVM+HTTPS://node.example/rpc?contract={contract}") == (
        "https://node.example/rpc",
        contract,
    )
    assert _rpc_url(f"evm+http://[::1]:8545?contract={contract}")[0] == "http://[::1]:8545"


@pytest.mark.parametrize(
    "url",
    [
        "evm+http://127.0.0.1:8545",
        "evm+http://127.0.0.1:8545?contract=0xzz",
        "evm+http://127.0.0.1:8545?contract=0x" + "ab" * 20 + "&contract=0x" + "cd" * 20,
        "evm+http://127.0.0.1:8545?contract=0x" + "ab" * 20 + "&gas=1",
        "evm+http://127.0.0.1:8545?contract=0x" + "ab" * 20 + "#frag",
        "evm+http://u@127.0.0.1:8545?contract=0x" + "ab" * 20,
        "evm+http://127.0.0.1:99999?contract=0x" + "ab" * 20,
        "evm+http:///?contract=0x" + "ab" * 20,
        "evm+http://127.0.0.1:9?contract=0x" + "aB" * 20,  # a wrong EIP-55 checksum
    ],
)
def test_bad_evm_urls(url: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        open_ledger(url, log_key=KEY, origin=ORIGIN, writer_key=WRITER_KEY)
    assert info.value.code == "evm.url_invalid"


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"writer_key": b"short"},
        {"writer_key": "0x" + "zz" * 32},
        {"writer_key": bytes(32)},
        {"writer_key": WRITER_KEY, "timeout": 0},
        {"writer_key": WRITER_KEY, "timeout": True},
        {"writer_key": WRITER_KEY, "store": 5},
        {"writer_key": WRITER_KEY, "colour": "blue"},
        {"writer_key": WRITER_KEY, "artifact": 7},
    ],
)
def test_bad_evm_options(options: dict[str, object]) -> None:
    url = "evm+http://127.0.0.1:9?contract=0x" + "ab" * 20
    with pytest.raises(InvalidInputError) as info:
        open_ledger(url, log_key=KEY, origin=ORIGIN, **options)
    assert info.value.code == "evm.option_invalid"


def test_a_node_that_does_not_answer_is_a_ledger_error() -> None:
    url = "evm+http://127.0.0.1:9?contract=0x" + "ab" * 20
    with pytest.raises(LedgerError) as info:
        open_ledger(url, log_key=KEY, origin=ORIGIN, writer_key=WRITER_KEY, timeout=2)
    assert info.value.code == "evm.rpc_failed"
    assert "127.0.0.1:9" in info.value.message


@e2e
def test_an_evm_ledger_cannot_store_its_log_on_another_chain(evm_registry: Registry) -> None:
    with pytest.raises(InvalidInputError) as info:
        _ledger(evm_registry, store=evm_registry.url())
    assert info.value.code == "evm.option_invalid"


@pytest.mark.parametrize("module", ["web3", "eth_account"])
def test_without_web3_opening_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    url = "evm+http://127.0.0.1:9?contract=0x" + "ab" * 20
    with pytest.raises(LedgerError) as info:
        open_ledger(url, log_key=KEY, origin=ORIGIN, writer_key=WRITER_KEY)
    assert info.value.code == "evm.web3_missing"
    assert "did-gov[evm]" in info.value.message


def test_did_gov_starts_without_importing_web3() -> None:
    code = (
        "import sys, did_gov, did_gov.ledger, did_gov.ledger.evm; "
        "assert 'web3' not in sys.modules, 'web3 imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_anvil_launcher_reports_a_missing_binary(tmp_path: Path) -> None:
    from did_gov.testing.anvil import anvil_binary

    with pytest.raises(LedgerError) as info:
        anvil_binary(tmp_path)
    assert info.value.code == "evm.anvil_missing"


@e2e
def test_the_command_checks_a_receipt_against_the_chain(
    evm_registry: Registry, tmp_path: Path
) -> None:
    log = _ledger(evm_registry)
    [receipt] = log.append(LEAVES[:1])
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt.to_json()))
    vkey = log.verifier.vkey
    log.close()

    def verify(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "did_gov", "ledger", "verify-receipt", str(path),
             "--log-key", vkey, "--chain", url, "--json"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    done = verify(evm_registry.url())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["code"] == "evm.anchored"
    other = f"evm+{evm_registry.node.url}?contract=0x{'11' * 20}"
    refused = verify(other)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["code"] == "evm.contract_mismatch"
