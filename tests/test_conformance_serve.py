"""``did-gov serve`` as the W3C suites see it (``specs/conformance.md``), without the suites.

The suites need snapshots and Node, so ``make test`` cannot run them; this starts the server
with the exact command line ``python -m conformance`` uses, behind its TLS relay, and sends what
the suites send (measured from their requests), so a change that would break the conformance
run fails here first: issue with ``options`` null or absent on every (cryptosuite, curve) issuer,
the issuer DIDs the ``localConfig.cjs`` names, verify with VCALM ``options.checks``, a tampered
credential refused with 400, a presentation with challenge and domain, and a revocation entry
whose status list the https public URL serves.
"""

from __future__ import annotations

import copy
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance._config import ISSUERS, STATUS_OPTIONS
from conformance.run import make_keys
from conformance.run import served as run_served
from did_gov import PrivateKey, present

pytestmark = pytest.mark.e2e

CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", "ExampleAlumniCredential"],
    "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "alumniOf": "Ex"},
}


class _Client:
    def __init__(self, base: str, cert: Path) -> None:
        self.base = base
        self.context = ssl.create_default_context(cafile=str(cert))

    def call(self, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the relay's loopback https URL
            self.base + path,
            data=data,
            headers={"content-type": "application/json", "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as answer:  # noqa: S310
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Client, dict[str, str]]]:
    """The runner's own keys, relay and server (``conformance.run``)."""
    work = tmp_path_factory.mktemp("conformance")
    keys, dids = make_keys(work)
    with run_served(work, keys) as base:
        yield _Client(base, work / "relay-cert.pem"), dids


def test_the_issuer_dids_are_those_the_local_config_names(
    served: tuple[_Client, dict[str, str]],
) -> None:
    client, dids = served
    status, listed = client.call("/issuers")
    assert status == 200
    assert {i["name"]: i["id"] for i in listed} == dids


@pytest.mark.parametrize("issuer", ISSUERS, ids=[i.name for i in ISSUERS])
@pytest.mark.parametrize("options", ["null", "absent"])
def test_every_issuer_issues_and_the_verifier_accepts_checks(
    served: tuple[_Client, dict[str, str]], issuer: Any, options: str
) -> None:
    client, dids = served
    body: dict[str, Any] = {"credential": {**CREDENTIAL, "issuer": dids[issuer.name]}}
    if options == "null":
        body["options"] = None
    status, answer = client.call(f"/issuers/{issuer.name}/credentials/issue", body)
    assert status == 201, answer
    vc = answer["verifiableCredential"]
    assert vc["proof"]["cryptosuite"] == issuer.cryptosuite
    status, report = client.call(
        "/credentials/verify", {"verifiableCredential": vc, "options": {"checks": ["proof"]}}
    )
    assert (status, report["verified"]) == (200, True)
    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["alumniOf"] = "Elsewhere"
    status, report = client.call("/credentials/verify", {"verifiableCredential": tampered})
    assert (status, report["verified"]) == (400, False)


def test_a_presentation_with_challenge_and_domain(served: tuple[_Client, dict[str, str]]) -> None:
    client, dids = served
    _, answer = client.call(
        "/issuers/eddsa-rdfc-2022/credentials/issue",
        {"credential": {**CREDENTIAL, "issuer": dids["eddsa-rdfc-2022"]}, "options": {}},
    )
    holder = PrivateKey.generate("ed25519")
    vp = present(
        [answer["verifiableCredential"]], holder, challenge="c-123", domain="suite.example"
    )
    options = {"challenge": "c-123", "domain": "suite.example"}
    status, report = client.call(
        "/presentations/verify", {"verifiablePresentation": vp, "options": options}
    )
    assert (status, report["verified"]) == (200, True)
    status, _ = client.call(
        "/presentations/verify",
        {"verifiablePresentation": vp, "options": {**options, "challenge": "other"}},
    )
    assert status == 400


def test_the_status_list_is_served_at_the_https_public_url(
    served: tuple[_Client, dict[str, str]],
) -> None:
    client, dids = served
    credential = {**CREDENTIAL, "issuer": dids["eddsa-rdfc-2022"]}
    status, answer = client.call(
        "/issuers/eddsa-rdfc-2022/credentials/issue",
        {"credential": credential, "options": STATUS_OPTIONS},
    )
    assert status == 201, answer
    entry = answer["verifiableCredential"]["credentialStatus"]
    entries = entry if isinstance(entry, list) else [entry]
    (url,) = {e["statusListCredential"] for e in entries}
    assert url.startswith(client.base + "/")
    status, listed = client.call(url.removeprefix(client.base))
    assert status == 200
    assert "BitstringStatusListCredential" in listed["type"]
    status, report = client.call(
        "/credentials/verify", {"verifiableCredential": answer["verifiableCredential"]}
    )
    assert (status, report["verified"]) == (200, True)
