"""Fixtures of the service tests: an in-process app (Starlette's TestClient) over fresh state."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from did_gov.keys import PrivateKey
from did_gov.service import IssuerConfig, ServiceConfig, create_app
from did_gov.service._store import open_store
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", "ExampleAlumniCredential"],
    "issuer": "did:example:posted",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:ada", "name": "Ada"},
}


def unsigned(**extra: Any) -> dict[str, Any]:
    """A fresh copy of the example credential, with ``extra`` members."""
    return {**CREDENTIAL, "credentialSubject": dict(CREDENTIAL["credentialSubject"]), **extra}


@pytest.fixture(scope="session")
def issuer_keys() -> dict[str, PrivateKey]:
    """One key per curve, made once."""
    return {kind: PrivateKey.generate(kind) for kind in ("ed25519", "p256", "p384")}


@pytest.fixture
def make_client(tmp_path: Path, issuer_keys: dict[str, PrivateKey]) -> Iterator[Callable[..., Any]]:
    """``make_client(**config_overrides)``: a TestClient of a fresh app (closed after the test)."""
    with warnings.catch_warnings():  # Starlette would rather have httpx2 (not on Debian yet)
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    clients: list[Any] = []

    def make(*, workflows: Any = (), **overrides: Any) -> Any:
        settings: dict[str, Any] = {
            "issuers": (
                IssuerConfig("ed", issuer_keys["ed25519"]),
                IssuerConfig("p256", issuer_keys["p256"], cryptosuite="ecdsa-rdfc-2019"),
                IssuerConfig("jcs", issuer_keys["ed25519"], cryptosuite="eddsa-jcs-2022"),
            ),
            "public_url": "http://testserver",
            "data": tmp_path / f"data{len(clients)}",
            "no_auth": True,
            "verifier_options": {"trust": UNSAFE_TRUST_ANY_ISSUER},
        }
        settings.update(overrides)
        if settings.get("data") is not None:
            settings["data"].mkdir(exist_ok=True)
        app = create_app(ServiceConfig(**settings), workflows=workflows)
        client = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    """A TestClient of the app with three issuers (ed, p256, jcs), trusting any issuer."""
    return make_client()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.e2e)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh service store, on SQLite in ``tmp_path`` and (e2e) on PostgreSQL."""
    if request.param == "postgresql":
        opened = open_store(database=request.getfixturevalue("postgres_url"), data=None, pool=2)
    else:
        opened = open_store(database=None, data=tmp_path)
    yield opened
    opened.close()
