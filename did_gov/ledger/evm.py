"""The ``evm+http:`` backend: a local Merkle log whose checkpoints are anchored on a chain.

For a consortium of agencies on an Ethereum-compatible permissioned chain (Hyperledger
Besu, Quorum, FISCO BCOS: anything that speaks Ethereum JSON-RPC). The log itself (leaves,
subtrees, signed checkpoints) lives in a local ``memory:`` or ``sqlite:`` store; each
append then submits the new checkpoint's ``(origin hash, tree size, root)`` to the
AnchorRegistry contract (``contracts/AnchorRegistry.sol``, shipped compiled as package data)
from an allow-listed writer
address, waits until the transaction is mined, and every receipt of the batch carries the
transaction and its block (``specs/anchor-receipt.md`` §Chain anchoring).

Before touching the local log an append simulates the contract call, so a writer that is
not allow-listed, or a tree size the chain already passed, fails without writing. If the
transaction itself then fails, the leaves stay in the local log and the next anchored
checkpoint covers them. Opening refuses a contract whose code is not the pinned
AnchorRegistry, and a local log that disagrees with what the chain holds for its origin.

URL: ``evm+http://127.0.0.1:8545?contract=0x…`` (or ``evm+https://…``). Options:
``writer_key`` (32 bytes or 0x-hex, required), ``store`` (a ledger URL, ``memory:`` by
default), ``timeout`` (seconds per RPC and per transaction), ``artifact`` (a path to a
compiled contract; by default the one shipped in the package). web3.py comes with
``pip install 'did-gov[evm]'``; it is imported only when a ledger is opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from did_gov.errors import InvalidInputError, LedgerError
from did_gov.keys import PublicKey, Signer
from did_gov.ledger import merkle
from did_gov.ledger._backend import AppendedBatch, BaseLedger, Clock
from did_gov.ledger._chain import (
    _ADDRESS,
    RegistryArtifact,
    RegistryClient,
    _account,
    load_artifact,
    origin_hash,
    writer_address,
)
from did_gov.ledger._note import NoteVerifier
from did_gov.ledger._receipt import ChainTransaction, Receipt, verify_receipt
from did_gov.ledger._url import open_ledger, register_backend, split_url
from did_gov.ledger.checkpoint import open_checkpoint

__all__ = [
    "ChainCheck",
    "EvmLedger",
    "RegistryArtifact",
    "chain_endpoint",
    "deploy_registry",
    "load_artifact",
    "origin_hash",
    "set_writer",
    "verify_chain_anchor",
    "writer_address",
]

_STORES = ("memory", "sqlite")
DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for one RPC answer and for one transaction to be mined."""


class EvmLedger(BaseLedger):
    """A local log (``store``) whose every checkpoint is anchored on an AnchorRegistry.

    ``rpc_url`` is the node's JSON-RPC endpoint, ``contract`` the registry's address and
    ``writer_key`` the agency's EVM key, which the registry's admin must have allow-listed.
    """

    scheme = "evm"

    def __init__(
        self,
        rpc_url: str,
        contract: str,
        log_key: Signer,
        *,
        writer_key: bytes | str,
        origin: str | None = None,
        store: str = "memory:",
        timeout: float = DEFAULT_TIMEOUT,
        artifact: RegistryArtifact | None = None,
        clock: Clock | None = None,
    ) -> None:
        writer = _account(writer_key)
        client = RegistryClient(
            rpc_url, artifact or load_artifact(), address=contract, timeout=timeout
        )
        client.check_code()
        if not isinstance(store, str) or split_url(store)[0] not in _STORES:
            raise InvalidInputError(
                f"an evm ledger keeps its log in a memory: or sqlite: store, not {store!r}",
                code="evm.option_invalid",
            )
        local = open_ledger(store, log_key=log_key, origin=origin, clock=clock)
        if not isinstance(local, BaseLedger):  # a re-registered scheme
            local.close()
            raise InvalidInputError(
                f"the store {store!r} is not a did_gov log", code="evm.option_invalid"
            )
        try:
            super().__init__(local.origin, log_key)
            self._local, self._client, self._writer = local, client, writer
            self._origin_hash = origin_hash(local.origin)
            self._reconcile()
        except BaseException:
            local.close()
            raise

    @property
    def contract(self) -> str:
        """The registry's checksummed address."""
        return str(self._client.address)

    @property
    def writer(self) -> str:
        """The writer address this ledger anchors from."""
        return str(self._writer.address)

    def _reconcile(self) -> None:
        """Refuse a local log that is behind, or disagrees with, the chain's latest anchor."""
        latest = self._client.latest(self._origin_hash)
        if latest.block == 0:
            return
        size = self._local._size()
        if latest.tree_size > size:
            raise LedgerError(
                f"the chain holds {self.origin} at size {latest.tree_size} but the local log "
                f"has {size} leaves; open the store that anchored it",
                code="evm.chain_ahead",
            )
        if merkle.root(self._local._nodes(), latest.tree_size) != latest.root_hash:
            raise LedgerError(
                f"the chain's root of {self.origin} at size {latest.tree_size} differs from "
                "the local log's",
                code="evm.chain_conflict",
            )

    # -- template seams -------------------------------------------------------------------

    def _append(self, leaves: list[bytes]) -> AppendedBatch:
        size = self._local._size() + len(leaves)
        self._client.check_anchor(self._writer, self._origin_hash, size)
        done = self._local._append(leaves)
        root = merkle.root(done.nodes, done.size)
        try:
            chain = self._client.anchor(self._writer, self._origin_hash, done.size, root)
        except LedgerError as exc:
            raise LedgerError(
                f"{exc.message}; leaves {done.first_index}..{done.size - 1} are in the local "
                "log and the next anchored checkpoint will cover them",
                code=exc.code,
            ) from exc
        return replace(done, chain=chain)

    def _sign(self, size: int, root_hash: bytes) -> str:
        return self._local._sign(size, root_hash)  # one monotonic clock: the store's

    def _stored_checkpoint(self, size: int, root_hash: bytes) -> str | None:
        return self._local._stored_checkpoint(size, root_hash)

    def _size(self) -> int:
        return self._local._size()

    def _nodes(self) -> merkle.NodeStore:
        return self._local._nodes()

    def _leaf(self, index: int) -> bytes:
        return self._local._leaf(index)

    def _close(self) -> None:
        self._local.close()

    def _receipt(self, index: int, note: str | None) -> Receipt:
        receipt = super()._receipt(index, note)
        head = open_checkpoint(receipt.checkpoint, [self.verifier], origin=self.origin)
        chain = self._client.find(self._origin_hash, head.checkpoint.size)
        return receipt if chain is None else receipt.with_chain(chain)


def chain_endpoint(url: str) -> tuple[str, str]:
    """The node and contract of an evm ledger URL, for :func:`verify_chain_anchor`.

    >>> chain_endpoint("evm+http://127.0.0.1:8545?contract=0x" + "ab" * 20)[0]
    'http://127.0.0.1:8545'
    """
    return _rpc_url(url)


def _rpc_url(url: str) -> tuple[str, str]:
    """``evm+http://host:port/path?contract=0x…`` → (``http://host:port/path``, contract)."""
    scheme, _ = split_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError(
            f"invalid evm ledger URL {url!r}: {exc}", code="evm.url_invalid"
        ) from None
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    contracts = query.pop("contract", [])
    if (
        not parts.hostname
        or parts.fragment
        or parts.username
        or query
        or len(contracts) != 1
        or not _ADDRESS.fullmatch(contracts[0])
    ):
        raise InvalidInputError(
            f"an evm ledger URL is evm+http://host:port?contract=0x…, not {url!r}",
            code="evm.url_invalid",
        )
    netloc = parts.hostname if port is None else f"{parts.hostname}:{port}"
    if ":" in parts.hostname:
        netloc = f"[{parts.hostname}]" + ("" if port is None else f":{port}")
    return urlunsplit((scheme.removeprefix("evm+"), netloc, parts.path, "", "")), contracts[0]


def _timeout(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 3600:
        raise InvalidInputError(
            "timeout is a number of seconds in (0, 3600]", code="evm.option_invalid"
        )
    return float(value)


def _open(url: str, *, log_key: Signer, origin: str | None = None, **options: Any) -> EvmLedger:
    rpc_url, contract = _rpc_url(url)
    writer_key = options.pop("writer_key", None)
    store = options.pop("store", "memory:")
    timeout = _timeout(options.pop("timeout", DEFAULT_TIMEOUT))
    artifact_path = options.pop("artifact", None)
    clock = options.pop("clock", None)
    if options:
        raise InvalidInputError(
            f"unknown evm ledger options {sorted(options)}", code="evm.option_invalid"
        )
    if writer_key is None:
        raise InvalidInputError("an evm ledger needs writer_key", code="evm.option_invalid")
    if not isinstance(store, str):
        raise InvalidInputError("store is a ledger URL string", code="evm.option_invalid")
    if artifact_path is not None and not isinstance(artifact_path, str | Path):
        raise InvalidInputError("artifact is a file path", code="evm.option_invalid")
    artifact = load_artifact(None if artifact_path is None else Path(artifact_path))
    return EvmLedger(
        rpc_url,
        contract,
        log_key,
        writer_key=writer_key,
        origin=origin,
        store=store,
        timeout=timeout,
        artifact=artifact,
        clock=clock,
    )


register_backend("evm+http", _open)
register_backend("evm+https", _open)


# ---------------------------------------------------------------- administration


def deploy_registry(
    rpc_url: str,
    admin_key: bytes | str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    artifact: RegistryArtifact | None = None,
) -> ChainTransaction:
    """Deploy the pinned AnchorRegistry with ``admin_key``'s address as its admin.

    Returns the deployment transaction; its ``contract`` is the registry's address.
    """
    client = RegistryClient(
        rpc_url, artifact or load_artifact(), address=None, timeout=_timeout(timeout)
    )
    return client.deploy(_account(admin_key))


def set_writer(
    rpc_url: str,
    contract: str,
    admin_key: bytes | str,
    writer: str,
    *,
    allowed: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    artifact: RegistryArtifact | None = None,
) -> ChainTransaction:
    """Add an agency's writer address to the registry's allow-list (or remove it)."""
    client = RegistryClient(
        rpc_url, artifact or load_artifact(), address=contract, timeout=_timeout(timeout)
    )
    client.check_code()
    return client.set_writer(_account(admin_key), writer, allowed)


# ---------------------------------------------------------------- checking against the chain


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of :func:`verify_chain_anchor`: ``ok``, a stable ``code``, a message.

    ``indeterminate`` is set when the check could not run (node unreachable), which is
    not the same as a chain that contradicts the receipt.
    """

    ok: bool
    code: str
    message: str
    indeterminate: bool = False


def _fail(code: str, message: str, *, indeterminate: bool = False) -> ChainCheck:
    return ChainCheck(False, code, message, indeterminate)


def verify_chain_anchor(
    receipt: Receipt | Mapping[str, Any] | str | bytes,
    log_key: NoteVerifier | PublicKey | str,
    *,
    rpc_url: str,
    contract: str,
    timeout: float = 10.0,
    artifact: RegistryArtifact | None = None,
) -> ChainCheck:
    """Check online that a receipt's checkpoint root is anchored on the chain.

    Steps (anchor-receipt §Chain anchoring): the receipt verifies offline; it names a chain
    transaction on the ``contract`` the caller trusts, on the node's network; the node's
    contract code is the pinned AnchorRegistry; the transaction succeeded in the named
    block and emitted ``CheckpointAnchored`` for this origin, tree size and root; and the
    registry still holds that root. ``rpc_url`` is the only network this call reaches.
    Never raises for a bad receipt; raises only on misuse.
    """
    offline = verify_receipt(receipt, log_key)
    if not offline.ok or offline.receipt is None or offline.checkpoint is None:
        return _fail(offline.code, offline.message)
    chain, head = offline.receipt.chain, offline.checkpoint
    if chain is None:
        return _fail("evm.chain_missing", "the receipt names no chain transaction")
    client = RegistryClient(
        rpc_url, artifact or load_artifact(), address=contract, timeout=_timeout(timeout)
    )
    if chain.contract is None or chain.contract.lower() != str(client.address).lower():
        return _fail(
            "evm.contract_mismatch",
            f"the receipt names contract {chain.contract}, not the trusted {client.address}",
        )
    try:
        return _check_on_chain(client, chain, origin_hash(head.origin), head.size, head.root_hash)
    except LedgerError as exc:
        if exc.code == "evm.rpc_failed":
            return _fail("evm.chain_unreachable", str(exc), indeterminate=True)
        return _fail(exc.code, str(exc))


def _check_on_chain(
    client: RegistryClient, chain: ChainTransaction, origin: bytes, size: int, root: bytes
) -> ChainCheck:
    network = client.network()
    if chain.network is not None and chain.network != network:
        return _fail(
            "evm.network_mismatch", f"the receipt names {chain.network}, the node is {network}"
        )
    client.check_code()
    mined = client.transaction(chain.transaction)
    if mined is None:
        return _fail("evm.transaction_not_found", f"no transaction {chain.transaction} on chain")
    if int(mined["status"]) != 1 or int(mined["blockNumber"]) != chain.block:
        return _fail(
            "evm.block_mismatch",
            f"transaction {chain.transaction} did not succeed in block {chain.block}",
        )
    expected = [client.event_topic, origin, size.to_bytes(32, "big")]
    if not any(
        str(log["address"]).lower() == str(client.address).lower()
        and [bytes(t) for t in log["topics"]] == expected
        and bytes(log["data"])[:32] == root
        for log in mined["logs"]
    ):
        return _fail(
            "evm.event_missing",
            f"transaction {chain.transaction} did not anchor this origin at size {size} "
            "with this root",
        )
    if not client.is_anchored(origin, size, root) or client.block_at(origin, size) != chain.block:
        return _fail(
            "evm.root_not_anchored",
            f"the registry does not hold this root at size {size} from block {chain.block}",
        )
    return ChainCheck(True, "evm.anchored", f"root of size {size} anchored in block {chain.block}")
