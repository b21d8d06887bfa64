"""``agency.toml``: what it sets, what it refuses, and ``did-gov serve --config`` end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from did_gov.errors import InvalidInputError
from did_gov.keys import PrivateKey
from did_gov.service._auth import token_digest
from did_gov.service._toml import load_config
from did_gov.testing.server import CliServer
from tests.service.conftest import unsigned

TOKEN = "clerk-token-0123456789abcdef"  # noqa: S105 - a test token


def _agency(folder: Path, extra: str = "", auth: bool = True) -> Path:
    (folder / "keys").mkdir(exist_ok=True)
    PrivateKey.generate("p256").save(folder / "keys" / "issuer.json", overwrite=True)
    PrivateKey.generate("ed25519").save(folder / "keys" / "log.json", overwrite=True)
    text = """
[service]
public_url = "https://agency.example"
data = "state"

[ledger]
key = "keys/log.json"
origin = "agency.example/log"

[[issuers]]
name = "licences"
key = "keys/issuer.json"
cryptosuite = "ecdsa-rdfc-2019"

[trust]
any_issuer = true
"""
    if auth:
        text += f'''
[auth]
public_verify = true

[[auth.tokens]]
name = "clerk"
sha256 = "{token_digest(TOKEN).hex()}"
scopes = ["credentials:issue", "credentials:status"]
'''
    path = folder / "agency.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_a_file_sets_the_service(tmp_path: Path) -> None:
    loaded = load_config(_agency(tmp_path))
    config = loaded.config
    assert config.public_url == "https://agency.example"
    assert config.data == tmp_path.resolve() / "state"
    assert config.origin == "agency.example/log"
    assert [i.name for i in config.issuers] == ["licences"]
    assert config.auth is not None and config.auth.public_verify
    assert [t.name for t in config.auth.tokens] == ["clerk"]
    assert loaded.unsafe_trust


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("\n[logging]\nlevel = 1\n", "unknown table"),
        ('\n[[workflows]]\nid = "w"\npolicy = "p.json"\nissuer = "nobody"\n', "no issuer"),
        ('\n[[workflows]]\nid = "w"\n', "policy file"),
    ],
)
def test_refused_files(tmp_path: Path, extra: str, message: str) -> None:
    from did_gov.service._toml import build_workflows

    def build() -> None:
        build_workflows(load_config(_agency(tmp_path, extra)))

    with pytest.raises(InvalidInputError, match=message) as caught:
        build()
    assert caught.value.code == "service.config_invalid"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('data = "state"', 'data = "state"\ncolour = "blue"', "unknown key"),
        (
            'scopes = ["credentials:issue", "credentials:status"]',
            'scopes = ["admin"]',
            "unknown scope",
        ),
        ('sha256 = "', 'sha256 = "zz', "hexadecimal"),
        ("any_issuer = true", 'any_issuer = true\nstore = "x"', "one of"),
        ('name = "licences"', 'name = "../etc"', "issuer name"),
        ('data = "state"', 'data = "state"\ndatabase = "postgresql://x/y"', "one of them"),
    ],
)
def test_misspelt_or_unsafe_settings_are_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _agency(tmp_path)
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(InvalidInputError, match=message):
        load_config(path)


def test_no_auth_table_needs_no_auth(tmp_path: Path) -> None:
    path = _agency(tmp_path, auth=False)
    with pytest.raises(InvalidInputError, match="authentication"):
        load_config(path)
    assert load_config(path, no_auth=True).config.no_auth
    with pytest.raises(InvalidInputError, match="--no-auth"):
        load_config(_agency(tmp_path), no_auth=True)


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "did_gov", "serve", *args],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def test_config_and_flags_do_not_mix(tmp_path: Path) -> None:
    done = _serve("--config", str(_agency(tmp_path)), "--port", "0", "--key", "k.json")
    assert done.returncode == 2
    assert "with --config, set --key in the file" in done.stderr


@pytest.mark.e2e
def test_serve_with_a_config_file(tmp_path: Path) -> None:
    path = _agency(tmp_path)
    with CliServer.start(["serve", "--config", str(path)]) as server:
        assert "WARNING: issuer trust not checked" in server.stderr()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            body: dict[str, Any] = {"credential": unsigned()}
            assert http.post("/credentials/issue", json=body).status_code == 401
            issued = http.post(
                "/credentials/issue", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
            )
            assert issued.status_code == 201, issued.text
            vc = issued.json()["verifiableCredential"]
            assert vc["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
            verified = http.post("/credentials/verify", json={"verifiableCredential": vc})
            assert verified.status_code == 200  # public_verify
    assert (tmp_path / "state" / "service.db").exists()
