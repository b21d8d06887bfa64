"""Fixtures: one anvil node per session, a fresh registry per test; appender processes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from did_gov.ledger.evm import deploy_registry, set_writer, writer_address
from did_gov.testing.anvil import Anvil
from tests.ledger._workers import _Worker

ADMIN_KEY = bytes([0xA1]) * 32
WRITER_KEY = bytes([0xB2]) * 32
OUTSIDER_KEY = bytes([0xC3]) * 32


@dataclass(frozen=True)
class Registry:
    """A deployed AnchorRegistry with WRITER_KEY allow-listed."""

    node: Anvil
    contract: str

    def url(self) -> str:
        """The evm ledger URL of this registry."""
        return f"evm+{self.node.url}?contract={self.contract}"


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    """A local anvil node on a free loopback port, with the test accounts funded."""
    node = Anvil.start(startup_timeout=30)
    try:
        for key in (ADMIN_KEY, WRITER_KEY, OUTSIDER_KEY):
            node.fund(writer_address(key))
        yield node
    finally:
        node.stop()


@pytest.fixture
def evm_registry(anvil: Anvil) -> Registry:
    """A fresh AnchorRegistry (so each test's log starts empty on chain)."""
    deployed = deploy_registry(anvil.url, ADMIN_KEY, timeout=10)
    assert deployed.contract is not None
    set_writer(anvil.url, deployed.contract, ADMIN_KEY, writer_address(WRITER_KEY), timeout=10)
    return Registry(anvil, deployed.contract)


@pytest.fixture
def spawn() -> Iterator[list[_Worker]]:
    """Workers started by a test; any still alive at the end are killed."""
    workers: list[_Worker] = []
    yield workers
    for worker in workers:
        worker.kill()
