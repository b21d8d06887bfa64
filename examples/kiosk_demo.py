"""The verifier kiosk with the example trust bundle: start it, print its URL, answer it as a wallet, stop.

Run it: ``python examples/kiosk_demo.py`` (``make demo`` does). It provisions the
example world of ``examples/trust_kiosk.py`` (a national trust authority, a ministry
accredited for citizen identity credentials, root.json and bundle.json), starts
``did-gov kiosk --bundle bundle.json --root root.json`` on a free loopback port, prints
the counter page's address, checks that the kiosk answers — a wallet fetches the signed
request and posts a presentation of the ministry's credential, and the kiosk says
VERIFIED — and stops it. ``--keep`` leaves it running until Ctrl-C, to open the page.
"""

from __future__ import annotations

import contextlib
import json
import runpy
import sys
import tempfile
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from did_gov import PrivateKey, issue, present
from did_gov._encoding import b64url_decode
from did_gov.dids import did_key
from did_gov.testing.server import CliServer

HERE = Path(__file__).resolve().parent


def _call(method: str, url: str, body: bytes | None = None, kind: str = "") -> Any:
    headers = {"Content-Type": kind} if kind else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our loopback kiosk
        return answer.read()


def wallet_round_trip(url: str, ministry: Any, now: datetime) -> dict[str, Any]:
    """What a citizen's wallet does with the QR code; returns the kiosk's verdict."""
    session = json.loads(_call("POST", url + "/sessions", b"{}", "application/json"))
    query = parse_qs(urlsplit(session["authorization_request"]).query)
    token = _call("GET", query["request_uri"][0]).decode()
    request = json.loads(b64url_decode(token.split(".")[1]))
    holder = PrivateKey.generate("p256")
    credential = issue(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2",
            ],
            "type": ["VerifiableCredential", "CitizenIdentityCredential"],
            "issuer": ministry.did,
            "validFrom": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentialSubject": {
                "id": did_key.did_for_public_key(holder.public_key),
                "givenName": "Ada",
                "familyName": "Lovelace",
            },
        },
        ministry.key,
        verification_method=ministry.vm,
        now=now,
    )
    vp = present(
        [credential], holder, challenge=request["nonce"], domain=request["client_id"], now=now
    )
    form = urlencode({"vp_token": json.dumps({"vc-di": [vp]}), "state": request["state"]})
    _call("POST", request["response_uri"], form.encode(), "application/x-www-form-urlencoded")
    return json.loads(_call("GET", f"{url}/sessions/{session['state']}"))  # type: ignore[no-any-return]


def main(keep: bool = False) -> int:
    """Start the kiosk with the example bundle, print its URL, check it answers, stop it."""
    trust_kiosk = runpy.run_path(str(HERE / "trust_kiosk.py"))
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as directory:
        parties = trust_kiosk["provision"](Path(directory), now)
        bundle, root = Path(directory) / "bundle.json", Path(directory) / "root.json"
        args = ["kiosk", "--bundle", str(bundle), "--root", str(root)]
        with CliServer.start(args) as kiosk:
            print(f"kiosk: the counter page is at {kiosk.url}/")
            verdict = wallet_round_trip(kiosk.url, parties["ministry"], now)
            print(
                f"kiosk: a wallet presented the ministry's credential: {verdict['status'].upper()}"
            )
            if keep:
                print("kiosk: running; Ctrl-C stops it")
                with contextlib.suppress(KeyboardInterrupt):
                    kiosk.process.wait()
        print("kiosk: stopped")
    return 0 if verdict["status"] == "verified" else 1


if __name__ == "__main__":
    raise SystemExit(main(keep="--keep" in sys.argv[1:]))
