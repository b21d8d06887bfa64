"""An agency's deployment of the service, end to end: keys, ``agency.toml``, database, instances.

Run it: ``python examples/agency_service.py`` (one instance on SQLite files) or
``python examples/agency_service.py --postgresql`` (a throw-away PostgreSQL from the
system's packages and two instances on it, as behind a load balancer). It

1. provisions the agency's folder: an issuer key (P-256), the log key (Ed25519), two API
   tokens (a registry clerk who issues and revokes, a counter that verifies) of which
   ``agency.toml`` keeps only SHA-256, and ``agency.toml`` itself;
2. starts ``did-gov serve --config agency.toml`` (the README's command line);
3. issues a driving licence with a revocation entry, anchored in the log, on one instance;
   verifies it on the other; revokes it there; sees it refused; reads the published status
   list, the log's checkpoint and the credential's inclusion proof — all over HTTP.

``--keep`` leaves the instances running until Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import secrets
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from did_gov import PrivateKey
from did_gov.ledger import merkle, open_checkpoint
from did_gov.ledger.checkpoint import NoteVerifier
from did_gov.service._auth import token_digest
from did_gov.testing.server import CliServer

ORIGIN = "licences.agency.example/log"
LICENCE = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", "DrivingLicenceCredential"],
    "issuer": "did:example:licences",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:citizen-42", "licenceClass": "B"},
}
COMMAND = ["serve", "--config", "agency.toml", "--port", "8080"]
"""The README's command line (run in the agency's folder; the launcher's ``--port 0`` wins)."""


@dataclass(frozen=True)
class Agency:
    """What provisioning made: the folder, the two tokens, the log's verification key."""

    folder: Path
    clerk_token: str
    counter_token: str
    log_vkey: str


def provision(folder: Path, database: str | None = None) -> Agency:
    """Keys, tokens and ``agency.toml`` in ``folder`` (state: ``database``, else ``state/``)."""
    keys = folder / "keys"
    keys.mkdir(parents=True)
    PrivateKey.generate("p256").save(keys / "licences.json")
    log_key = PrivateKey.generate("ed25519")
    log_key.save(keys / "log.json")
    clerk, counter = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    state = f'database = "{database}"' if database else 'data = "state"'
    (folder / "agency.toml").write_text(
        f"""[service]
public_url = "https://licences.agency.example"
{state}

[ledger]
key = "keys/log.json"
origin = "{ORIGIN}"

[[issuers]]
name = "licences"
key = "keys/licences.json"
cryptosuite = "ecdsa-rdfc-2019"

[trust]
any_issuer = true        # a demo: a real agency gives bundle = ... and root = ...

[auth]
rate = 100.0
burst = 200

[[auth.tokens]]
name = "registry-clerk"
sha256 = "{token_digest(clerk).hex()}"
scopes = ["credentials:issue", "credentials:status"]

[[auth.tokens]]
name = "counter"
sha256 = "{token_digest(counter).hex()}"
scopes = ["credentials:verify"]
""",
        encoding="utf-8",
    )
    vkey = NoteVerifier(ORIGIN, log_key.public_key).vkey
    return Agency(folder, clerk, counter, vkey)


def _call(url: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
            raw = answer.read()
            status = answer.status
            kind = answer.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        raw, status, kind = error.read(), error.code, error.headers.get("content-type", "")
    return status, json.loads(raw) if "json" in kind else raw.decode()


def exercise(agency: Agency, first: str, second: str) -> dict[str, Any]:
    """Issue on ``first``, verify and revoke on ``second``, check the log; what happened."""
    options = {
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "anchor": True,
    }
    status, issued = _call(
        f"{first}/credentials/issue",
        agency.clerk_token,
        {"credential": LICENCE, "options": options},
    )
    assert status == 201, issued
    licence, [receipt] = issued["verifiableCredential"], issued["anchorReceipts"]
    verify = {"verifiableCredential": licence}
    before, _ = _call(f"{second}/credentials/verify", agency.counter_token, verify)
    refused, _ = _call(f"{second}/credentials/issue", agency.counter_token, {"credential": LICENCE})
    change = {"credentialId": licence["id"], "status": True,
              "credentialStatus": options["credentialStatus"]}  # fmt: skip
    revoked, _ = _call(f"{second}/credentials/status", agency.clerk_token, change)
    after, report = _call(f"{first}/credentials/verify", agency.counter_token, verify)
    list_path = licence["credentialStatus"]["statusListCredential"].split("/status-lists/")[1]
    _, status_list = _call(f"{second}/status-lists/{list_path}")
    _, note = _call(f"{first}/log/checkpoint")
    head = open_checkpoint(note, [NoteVerifier.from_vkey(agency.log_vkey)], origin=ORIGIN)
    size = head.checkpoint.size
    _, proof = _call(f"{second}/log/proofs/inclusion?index={receipt['index']}&size={size}")
    included = merkle.verify_inclusion(
        merkle.leaf_hash(base64.b64decode(receipt["leaf"])),
        receipt["index"],
        size,
        [base64.b64decode(h) for h in proof["proof"]],
        head.checkpoint.root_hash,
    )
    return {
        "issuer": licence["issuer"],
        "verified_before": before,
        "counter_may_not_issue": refused,
        "revoked": revoked,
        "verified_after": after,
        "refusal_codes": sorted({e["code"] for e in report["errors"]}),
        "status_list_id": status_list["id"],
        "log_size": size,
        "anchored_and_included": included,
    }


def run(folder: Path, *, postgresql: bool = False, keep: bool = False) -> dict[str, Any]:
    """Provision ``folder``, start the instance(s), exercise them, stop; the outcome."""
    with contextlib.ExitStack() as stack:
        database = None
        if postgresql:
            from did_gov.testing.postgres import PostgresServer

            server = stack.enter_context(PostgresServer.start())
            database = server.create_database("agency")
        agency = provision(folder, database)
        count = 2 if postgresql else 1
        instances = [
            stack.enter_context(CliServer.start(COMMAND, cwd=folder)) for _ in range(count)
        ]
        urls = [i.url for i in instances]
        print("agency folder:", folder)
        print("instances:", ", ".join(urls), "(on PostgreSQL)" if postgresql else "(SQLite)")
        outcome = exercise(agency, urls[0], urls[-1])
        for name, value in outcome.items():
            print(f"  {name}: {value}")
        if keep:
            print("running; Ctrl-C stops")
            with contextlib.suppress(KeyboardInterrupt):
                instances[0].process.wait()
        return outcome


def main() -> int:
    """``python examples/agency_service.py [--postgresql] [--keep]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--postgresql", action="store_true", help="two instances on PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="leave them running (Ctrl-C)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agency-") as folder:
        outcome = run(Path(folder), postgresql=args.postgresql, keep=args.keep)
    ok = outcome["verified_before"] == 200 and outcome["verified_after"] == 400
    print("Agency service demo complete" if ok else "Agency service demo FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
