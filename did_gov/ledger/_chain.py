"""The AnchorRegistry contract seen from Python: its pinned artifact and a small web3.py client.

web3.py is imported only when a client is made, so ``did_gov`` starts without it. Every
failure of web3, of the HTTP transport or of the node is turned into a
:class:`~did_gov.errors.LedgerError` with an ``evm.*`` code here, in one place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from did_gov.errors import DidGovError, InvalidInputError, LedgerError
from did_gov.ledger._receipt import ChainTransaction

__all__ = [
    "ARTIFACT",
    "PINNED_SHA256",
    "Anchor",
    "RegistryArtifact",
    "RegistryClient",
    "load_artifact",
    "origin_hash",
    "writer_address",
]

ARTIFACT = Path(__file__).resolve().parent / "_contracts" / "AnchorRegistry.json"
"""The compiled AnchorRegistry shipped as package data (written by ``contracts/compile.mjs``)."""

PINNED_SHA256 = "9e965806810f4e408501c58f24c6f2faf2a0c2dd445fa3deaa4ad6d66c86ef0c"
"""SHA-256 of the AnchorRegistry creation bytecode; equal to ``contracts/AnchorRegistry.sha256``.

Kept in code rather than beside the artifact so that a swapped artifact file cannot carry its
own pin; a test holds it equal to the source tree's pin and to the shipped artifact.
"""

_REVERTS = {
    "NotWriter": (
        "evm.writer_not_allowed",
        "the writer address is not on the registry's allow-list",
    ),
    "NotAdmin": ("evm.not_admin", "only the registry's admin may change its writers"),
    "OriginOwnedByAnotherWriter": (
        "evm.origin_owned",
        "another writer already anchors this log origin",
    ),
    "TreeSizeMustGrow": (
        "evm.tree_size_not_growing",
        "the chain already holds a checkpoint of this log at this tree size or larger",
    ),
    "ZeroAddress": ("evm.option_invalid", "the zero address cannot be a writer or admin"),
}


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_GAS_MARGIN = 20_000
"""Gas added to a node's estimate (with a quarter more), which can fall just short."""


def origin_hash(origin: str) -> bytes:
    """The 32-byte key of a log on chain: SHA-256 of its origin line in UTF-8."""
    return hashlib.sha256(origin.encode("utf-8")).digest()


@dataclass(frozen=True)
class RegistryArtifact:
    """The compiled AnchorRegistry whose creation bytecode matched the pinned SHA-256."""

    abi: str
    bytecode: bytes
    deployed_bytecode: bytes
    compiler: str
    sha256: str

    def abi_json(self) -> list[dict[str, Any]]:
        """The contract's ABI as parsed JSON."""
        parsed: list[dict[str, Any]] = json.loads(self.abi)
        return parsed


def _hex(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise LedgerError(f"contract artifact: {what} is not 0x-hex", code="evm.artifact_invalid")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise LedgerError(
            f"contract artifact: {what} is not 0x-hex", code="evm.artifact_invalid"
        ) from None


def load_artifact(path: Path | None = None, *, pin: str | None = None) -> RegistryArtifact:
    """Read the compiled AnchorRegistry (the shipped :data:`ARTIFACT` unless ``path``) and pin it.

    The pin is :data:`PINNED_SHA256` unless given: the hex SHA-256 of the creation bytecode.
    The runtime bytecode must be part of the creation bytecode, so neither can be swapped
    alone. Raises ``evm.artifact_missing``, ``evm.artifact_invalid`` or
    ``evm.bytecode_mismatch``.
    """
    path = ARTIFACT if path is None else Path(path)
    pin = PINNED_SHA256 if pin is None else pin
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(
            f"no compiled AnchorRegistry at {path} (reinstall did-gov, or run `make install` "
            f"in a source tree): {exc}",
            code="evm.artifact_missing",
        ) from exc
    except ValueError as exc:
        raise LedgerError(f"contract artifact {path}: {exc}", code="evm.artifact_invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("abi"), list):
        raise LedgerError(f"contract artifact {path} has no ABI", code="evm.artifact_invalid")
    if not isinstance(pin, str) or not _SHA256.fullmatch(pin):
        raise LedgerError(
            f"the bytecode pin {pin!r} is not a hex SHA-256", code="evm.artifact_invalid"
        )
    bytecode = _hex(data.get("bytecode"), "bytecode")
    deployed = _hex(data.get("deployedBytecode"), "deployedBytecode")
    digest = hashlib.sha256(bytecode).hexdigest()
    if not hmac.compare_digest(digest, pin.lower()) or not deployed or deployed not in bytecode:
        raise LedgerError(
            f"AnchorRegistry bytecode sha256 {digest} does not match the pin {pin}",
            code="evm.bytecode_mismatch",
        )
    return RegistryArtifact(
        json.dumps(data["abi"]), bytecode, deployed, str(data.get("compiler", "")), digest
    )


def _web3_missing() -> LedgerError:
    return LedgerError(
        "the evm ledger needs web3.py: pip install 'did-gov[evm]'", code="evm.web3_missing"
    )


def _account(key: object) -> Any:
    """An eth_account ``LocalAccount`` from 32 key bytes or their 0x-hex form."""
    try:
        from eth_account import Account
    except ImportError:
        raise _web3_missing() from None

    raw: bytes | None = None
    if isinstance(key, bytes):
        raw = key
    elif isinstance(key, str) and key.startswith("0x") and len(key) == 66:
        try:
            raw = bytes.fromhex(key[2:])
        except ValueError:
            raw = None
    if raw is None or len(raw) != 32:
        raise InvalidInputError(
            "an EVM writer key is 32 bytes or 0x and 64 hex digits", code="evm.option_invalid"
        )
    try:
        return Account.from_key(raw)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"invalid EVM key: {exc}", code="evm.option_invalid") from None


def writer_address(key: bytes | str) -> str:
    """The checksummed address of an EVM key (what the admin puts on the allow-list)."""
    return str(_account(key).address)


@dataclass(frozen=True)
class Anchor:
    """The latest anchored checkpoint of one log on chain (``block`` is 0 if none)."""

    tree_size: int
    root_hash: bytes
    block: int


class RegistryClient:
    """Calls and transactions on one AnchorRegistry over JSON-RPC (HTTP)."""

    def __init__(
        self, rpc_url: str, artifact: RegistryArtifact, *, address: str | None, timeout: float
    ) -> None:
        try:
            from web3 import HTTPProvider, Web3
        except ImportError:
            raise _web3_missing() from None
        self.rpc_url = rpc_url
        self.artifact = artifact
        self.timeout = timeout
        web3: Any = Web3(
            HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, cache_allowed_requests=True)
        )
        self._web3 = web3
        abi = artifact.abi_json()
        self._selectors = {
            bytes(Web3.keccak(text=_signature(item)))[:4]: str(item["name"])
            for item in abi
            if item.get("type") == "error"
        }
        self.event_topic = bytes(
            Web3.keccak(text="CheckpointAnchored(bytes32,uint64,bytes32,address)")
        )
        self.address: str | None = None
        self._contract: Any = None
        if address is not None:
            self.address = self._checksum(address)
            self._contract = self._web3.eth.contract(address=self.address, abi=abi)

    def _checksum(self, address: str) -> str:
        web3 = self._web3
        digits = address[2:] if isinstance(address, str) else ""
        if not _ADDRESS.fullmatch(str(address)) or (
            digits not in (digits.lower(), digits.upper()) and not web3.is_checksum_address(address)
        ):
            raise InvalidInputError(
                f"not an EVM address (0x and 40 hex digits, EIP-55 if mixed-case): {address!r}",
                code="evm.url_invalid",
            )
        return str(web3.to_checksum_address(address))

    @contextmanager
    def translate(self, what: str) -> Iterator[None]:
        """Turn web3, transport and node failures inside the block into ``LedgerError``."""
        try:
            yield
        except DidGovError:
            raise
        except Exception as exc:  # the one seam turning web3 failures into ours
            raise self._error(what, exc) from exc

    def _error(self, what: str, exc: Exception) -> LedgerError:
        from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted

        if isinstance(exc, ContractCustomError):
            data = exc.data if isinstance(exc.data, str) else str(exc.args[0] if exc.args else "")
            name = self._selectors.get(_selector(data))
            if name in _REVERTS:
                code, meaning = _REVERTS[name]
                return LedgerError(f"{what}: {meaning} ({name})", code=code)
            return LedgerError(
                f"{what}: the contract reverted ({data})", code="evm.transaction_reverted"
            )
        if isinstance(exc, ContractLogicError):
            return LedgerError(
                f"{what}: the contract reverted: {exc}", code="evm.transaction_reverted"
            )
        if isinstance(exc, TimeExhausted):
            return LedgerError(
                f"{what}: no transaction receipt within {self.timeout} s", code="evm.rpc_failed"
            )
        return LedgerError(
            f"{what} via {self.rpc_url} failed: {type(exc).__name__}: {exc}", code="evm.rpc_failed"
        )

    # -- reads ----------------------------------------------------------------------------

    def chain_id(self) -> int:
        """The chain's EIP-155 id."""
        with self.translate("eth_chainId"):
            return int(self._web3.eth.chain_id)

    def network(self) -> str:
        """The chain's CAIP-2 id, ``eip155:<chain id>``."""
        return f"eip155:{self.chain_id()}"

    def check_code(self) -> None:
        """Fail with ``evm.contract_code_mismatch`` unless the address holds our runtime code."""
        with self.translate("eth_getCode"):
            code = bytes(self._web3.eth.get_code(self.address))
        if not hmac.compare_digest(code, self.artifact.deployed_bytecode):
            raise LedgerError(
                f"{self.address} does not hold the pinned AnchorRegistry code "
                f"({len(code)} bytes found)",
                code="evm.contract_code_mismatch",
            )

    def latest(self, origin: bytes) -> Anchor:
        """The latest checkpoint anchored for the log ``origin`` (hashed)."""
        with self.translate("latest"):
            size, root, block = self._contract.functions.latest(origin).call()
        return Anchor(int(size), bytes(root), int(block))

    def is_anchored(self, origin: bytes, size: int, root: bytes) -> bool:
        """Whether the registry holds exactly ``root`` for the log at ``size``."""
        with self.translate("isAnchored"):
            return bool(self._contract.functions.isAnchored(origin, size, root).call())

    def block_at(self, origin: bytes, size: int) -> int:
        """The block that anchored the log at ``size`` (0 if it never was)."""
        with self.translate("blockAt"):
            return int(self._contract.functions.blockAt(origin, size).call())

    def find(self, origin: bytes, size: int) -> ChainTransaction | None:
        """The transaction that anchored the log at ``size``: its event in its block."""
        block = self.block_at(origin, size)
        if block == 0:
            return None
        topics = [self.event_topic, origin, size.to_bytes(32, "big")]
        with self.translate("eth_getLogs"):
            logs = self._web3.eth.get_logs(
                {"address": self.address, "fromBlock": block, "toBlock": block, "topics": topics}
            )
        for log in logs:
            return ChainTransaction(
                self._web3.to_hex(log["transactionHash"]),
                int(log["blockNumber"]),
                self.network(),
                self.address,
            )
        return None

    def transaction(self, transaction: str) -> Any:
        """The receipt of a mined transaction, or ``None`` if the chain has none."""
        from web3.exceptions import TransactionNotFound

        with self.translate("eth_getTransactionReceipt"):
            try:
                return self._web3.eth.get_transaction_receipt(transaction)
            except TransactionNotFound:
                return None

    # -- writes ---------------------------------------------------------------------------

    def check_anchor(self, writer: Any, origin: bytes, size: int) -> None:
        """Simulate ``anchor`` (root aside): fail if the writer may not anchor ``size`` now."""
        with self.translate("anchor (simulated)"):
            self._contract.functions.anchor(origin, size, b"\x01" * 32).call(
                {"from": writer.address}
            )

    def anchor(self, writer: Any, origin: bytes, size: int, root: bytes) -> ChainTransaction:
        """Anchor ``(size, root)`` of a log and wait until the transaction is mined."""
        return self.send(writer, "anchor", self._contract.functions.anchor(origin, size, root))

    def send(self, account: Any, what: str, call: Any) -> ChainTransaction:
        """Sign ``call`` with ``account``, send it, wait for its receipt, check it succeeded."""
        web3 = self._web3
        with self.translate(what):
            chain_id = int(web3.eth.chain_id)
            nonce = web3.eth.get_transaction_count(account.address, "pending")
            gas = int(call.estimate_gas({"from": account.address}))
            tx = call.build_transaction(
                {
                    "from": account.address,
                    "nonce": nonce,
                    "chainId": chain_id,
                    "gas": gas + gas // 4 + _GAS_MARGIN,
                }
            )
            signed = account.sign_transaction(tx)
            sent = web3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = web3.eth.wait_for_transaction_receipt(
                sent, timeout=self.timeout, poll_latency=0.01
            )
        if int(receipt["status"]) != 1:
            raise LedgerError(
                f"{what}: transaction {web3.to_hex(sent)} reverted",
                code="evm.transaction_reverted",
            )
        address = receipt.get("contractAddress") or self.address
        return ChainTransaction(
            web3.to_hex(sent), int(receipt["blockNumber"]), f"eip155:{chain_id}", str(address)
        )

    def deploy(self, admin: Any) -> ChainTransaction:
        """Deploy the pinned AnchorRegistry with ``admin`` as its admin; bind this client to it."""
        factory = self._web3.eth.contract(
            abi=self.artifact.abi_json(), bytecode=self.artifact.bytecode
        )
        done = self.send(admin, "deploy", factory.constructor())
        if done.contract is None:
            raise LedgerError("deploy: the receipt names no contract", code="evm.rpc_failed")
        self.address = self._checksum(done.contract)
        self._contract = self._web3.eth.contract(address=self.address, abi=self.artifact.abi_json())
        self.check_code()
        return done

    def set_writer(self, admin: Any, writer: str, allowed: bool) -> ChainTransaction:
        """Add (``allowed``) or remove an agency writer address; only the admin may."""
        address = self._checksum(writer)
        return self.send(admin, "setWriter", self._contract.functions.setWriter(address, allowed))


def _selector(data: str) -> bytes:
    """The 4-byte error selector at the start of revert data (``0x…``), or ``b""``."""
    try:
        return bytes.fromhex(data[2:10]) if data.startswith("0x") else b""
    except ValueError:
        return b""


def _signature(item: dict[str, Any]) -> str:
    types = ",".join(str(i["type"]) for i in item.get("inputs", []))
    return f"{item['name']}({types})"
