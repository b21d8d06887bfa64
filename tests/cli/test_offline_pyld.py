"""The CLI's offline pyld import: same JSON-LD results, no network stack imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from did_gov.cli import _offline_pyld
assert _offline_pyld.install()
assert not _offline_pyld.install()  # once only
from did_gov.jsonld import canonicalize
doc = json.loads(sys.argv[1])
out = {"canonical": canonicalize(doc)}
out["network"] = sorted(m for m in sys.modules if m.split(".")[0] in ("asyncio", "ssl", "email", "http"))
from pyld import FrozenDocumentLoader, RequestsDocumentLoader, jsonld  # exports still served
import pyld.documentloader.aiohttp as real
out["exports"] = [FrozenDocumentLoader.__name__, RequestsDocumentLoader.__name__, real.__name__]
print(json.dumps(out))
"""

DOCUMENT = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:x",
    "credentialSubject": {"name": "Ada"},
}


def test_offline_pyld_gives_the_same_canonical_form() -> None:
    from did_gov.jsonld import canonicalize

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(DOCUMENT)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    out = json.loads(result.stdout)
    assert out["canonical"] == canonicalize(DOCUMENT)
    assert out["network"] == []
    assert out["exports"] == [
        "FrozenDocumentLoader",
        "RequestsDocumentLoader",
        "pyld.documentloader.aiohttp",
    ]


def test_install_is_a_no_op_once_pyld_is_imported() -> None:
    import pyld.jsonld  # noqa: F401

    from did_gov.cli import _offline_pyld

    assert not _offline_pyld.install()
