"""A kiosk's world for tests and the benchmark: a trust authority, a ministry, a forger, a holder,
a signed root and bundle on disk, and a wallet that answers the kiosk over HTTP."""

from __future__ import annotations

import json
import secrets
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from did_gov import issue, issue_sd_jwt, present
from did_gov._encoding import b64url_decode
from did_gov.status import StatusList, build_list_credential
from did_gov.trust import Accreditation, build_bundle, build_root, sign_accreditation
from tests.trust._world import Party

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
CITIZEN = "CitizenIdentityCredential"
LIST_URL = "https://ministry.example/status/1"
REVOKED_INDEX = 7
QUERY_OF = {"di": "vc-di", "vc-jwt": "vc-jwt", "sd-jwt": "sd-jwt-vc"}
FORMATS = ("di", "vc-jwt", "sd-jwt")


AUTHORITY = Party.make(41)
BUNDLE_KEY = Party.make(42)
MINISTRY = Party.make(43)
FORGER = Party.make(44)
HOLDER = Party.make(45, "p256")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class World:
    """Root and bundle files in ``directory``; credentials and presentations on demand.

    ``expired``: the bundle expired yesterday (the kiosk must refuse to verify); else it
    expires after ``lifetime``.
    """

    def __init__(
        self, directory: Path, *, expired: bool = False, lifetime: timedelta = timedelta(days=7)
    ) -> None:
        self.directory = directory
        self.now = _now()
        year = timedelta(days=365)
        record = Accreditation(
            authority=AUTHORITY.did,
            issuer=MINISTRY.did,
            types=(CITIZEN,),
            valid_from=self.now - year,
            valid_until=self.now + year,
            issued=self.now - year,
            name="Ministry of the Interior",
            name_zh="内政部",
        )
        accreditation = sign_accreditation(record, AUTHORITY.key, AUTHORITY.vm)
        root = build_root(
            keys=[BUNDLE_KEY.key.public_key],
            threshold=1,
            authorities=[AUTHORITY.did],
            version=1,
            expires=self.now + 5 * year,
            signers=[BUNDLE_KEY.key],
        )
        issued = self.now - timedelta(days=2) if expired else self.now - timedelta(minutes=5)
        expires = self.now - timedelta(days=1) if expired else self.now + lifetime
        bundle = build_bundle(
            roots=[root],
            signers=[BUNDLE_KEY.key],
            version=1,
            issued=issued,
            expires=expires,
            accreditations=[accreditation],
            status_lists=[self._status_list()],
        )
        self.root_path = directory / "root.json"
        self.bundle_path = directory / "bundle.json"
        self.root_path.write_text(json.dumps(root.to_json()), encoding="utf-8")
        self.bundle_path.write_text(json.dumps(bundle), encoding="utf-8")

    def _status_list(self) -> dict[str, Any]:
        bits = StatusList()
        bits.set(REVOKED_INDEX, 1)
        unsigned = build_list_credential(
            list_url=LIST_URL,
            issuer=MINISTRY.did,
            purpose="revocation",
            encoded_list=bits.encode(),
            valid_from=self.now - timedelta(hours=1),
            valid_until=self.now + timedelta(days=30),
        )
        return issue(unsigned, MINISTRY.key, now=self.now)  # type: ignore[return-value]

    def credential(
        self,
        fmt: str,
        *,
        issuer: Party = MINISTRY,
        revoked: bool = False,
        claims: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
    ) -> dict[str, Any] | str:
        """A citizen identity credential of the holder, secured as ``fmt``."""
        subject = {"id": HOLDER.did, **(claims or {"givenName": "Ada", "familyName": "Lovelace"})}
        unsigned: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
            "id": f"urn:uuid:{secrets.token_hex(16)}",
            "type": ["VerifiableCredential", CITIZEN],
            "issuer": issuer.did,
            "validFrom": (self.now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentialSubject": subject,
        }
        if revoked:
            unsigned["credentialStatus"] = {
                "id": f"{LIST_URL}#{REVOKED_INDEX}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(REVOKED_INDEX),
                "statusListCredential": LIST_URL,
            }
        if status is not None:
            unsigned["credentialStatus"] = status
        if fmt == "sd-jwt":
            return issue_sd_jwt(
                unsigned,
                issuer.key,
                disclosable=[f"/credentialSubject/{name}" for name in subject if name != "id"],
                holder_key=HOLDER.key.public_key,
                kid=issuer.vm,
                now=self.now,
            )
        return issue(unsigned, issuer.key, format=fmt, verification_method=issuer.vm, now=self.now)  # type: ignore[call-overload,no-any-return]

    def presentation(
        self, credential: dict[str, Any] | str, fmt: str, nonce: str, client_id: str
    ) -> dict[str, Any] | str:
        """The holder presents ``credential`` bound to ``nonce`` and ``client_id``."""
        if fmt == "sd-jwt":
            assert isinstance(credential, str)
            disclose = _all_disclosures(credential)
            return present(  # type: ignore[call-overload,no-any-return]
                [credential],
                HOLDER.key,
                format="sd-jwt",
                challenge=nonce,
                domain=client_id,
                disclose=disclose,
            )
        return present(  # type: ignore[call-overload,no-any-return]
            [credential],
            HOLDER.key,
            format="vc-jwt" if fmt == "vc-jwt" else "di",
            challenge=nonce,
            domain=client_id,
        )


def _all_disclosures(token: str) -> list[str]:
    """The claim paths of every disclosure of an SD-JWT (``/name``)."""
    paths = []
    for part in token.split("~")[1:]:
        if not part:
            continue
        decoded = json.loads(b64url_decode(part))
        if len(decoded) == 3:
            paths.append(f"/{decoded[1]}")
    return paths


# -- a wallet over HTTP ----------------------------------------------------------------------


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP exchange (status, headers, body), errors included."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def new_session(base: str) -> dict[str, Any]:
    """``POST /sessions`` at the counter."""
    status, _, body = http("POST", base + "/sessions", b"{}", {"Content-Type": "application/json"})
    assert status == 201, body
    return json.loads(body)  # type: ignore[no-any-return]


def fetch_request(authorization_request: str) -> dict[str, Any]:
    """What a wallet does with the QR: fetch ``request_uri`` and read the request object."""
    query = parse_qs(urlsplit(authorization_request).query)
    status, headers, body = http("GET", query["request_uri"][0])
    assert status == 200, body
    assert headers["content-type"].startswith("application/oauth-authz-req+jwt")
    payload = json.loads(b64url_decode(body.decode().split(".")[1]))
    assert payload["client_id"] == query["client_id"][0]
    return payload  # type: ignore[no-any-return]


def post_response(
    request: dict[str, Any], vp_token: dict[str, list[Any]], state: str | None = None
) -> tuple[int, bytes]:
    """``direct_post`` the ``vp_token`` to the request's ``response_uri``."""
    form = urlencode({"vp_token": json.dumps(vp_token), "state": state or request["state"]})
    status, _, body = http(
        "POST",
        request["response_uri"],
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status, body


def answer(world: World, request: dict[str, Any], credential: Any, fmt: str) -> tuple[int, bytes]:
    """The holder answers ``request`` with ``credential`` presented as ``fmt``."""
    presentation = world.presentation(credential, fmt, request["nonce"], request["client_id"])
    return post_response(request, {QUERY_OF[fmt]: [presentation]})


def result(base: str, state: str) -> dict[str, Any]:
    """``GET /sessions/<state>``."""
    status, _, body = http("GET", f"{base}/sessions/{state}")
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def legacy_presentation(world: World, nonce: str, client_id: str) -> str:
    """A VCDM 1.1 JWT VP (``vp`` claim) holding a 1.1 JWT VC of the ministry (``jwt_vc_json``)."""
    from did_gov.proofs._jws import json_bytes, sign_compact

    now = int(world.now.timestamp())
    vc = {
        "iss": MINISTRY.did,
        "sub": HOLDER.did,
        "jti": f"urn:uuid:{secrets.token_hex(16)}",
        "nbf": now - 3600,
        "vc": {
            "@context": ["https://www.w3.org/2018/credentials/v1", EXAMPLES],
            "type": ["VerifiableCredential", CITIZEN],
            "credentialSubject": {"givenName": "Ada"},
        },
    }
    vc_token = sign_compact(
        {"alg": "EdDSA", "typ": "JWT", "kid": MINISTRY.vm}, json_bytes(vc), MINISTRY.key
    )
    vp = {
        "iss": HOLDER.did,
        "aud": client_id,
        "nonce": nonce,
        "iat": now,
        "vp": {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [vc_token],
        },
    }
    return sign_compact(
        {"alg": "ES256", "typ": "JWT", "kid": HOLDER.vm}, json_bytes(vp), HOLDER.key
    )
