"""The kiosk's protocol contract (issue 13 §3), in process: sessions, the signed request object,
direct_post, every rejection case, access rules, expiry, no-store, rate limiting, reload."""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from did_gov._encoding import b64url_decode
from did_gov.dids import DefaultResolver
from did_gov.keys import PrivateKey
from did_gov.kiosk import KioskApp, create_app
from did_gov.trust import TrustStore
from did_gov.trust._dcql import DcqlQuery
from tests.kiosk._world import (
    FORGER,
    FORMATS,
    MINISTRY,
    QUERY_OF,
    World,
    legacy_presentation,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "http://kiosk.test"
BINDING = {
    "di": "proof.challenge_mismatch",
    "vc-jwt": "jose.nonce_mismatch",
    "sd-jwt": "sd_jwt.kb_nonce_mismatch",
}


class Clock:
    """A clock the test moves."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("kiosk"))


@pytest.fixture
def clock(world: World) -> Clock:
    return Clock(world.now)


def _app(world: World, clock: Clock, **kwargs: Any) -> KioskApp:
    kwargs.setdefault("bundle", world.bundle_path)
    kwargs.setdefault("root", world.root_path)
    return create_app(public_url=BASE, now=clock, **kwargs)


def _client(app: KioskApp, host: str = "127.0.0.1") -> TestClient:
    return TestClient(app, base_url=BASE, client=(host, 50000))


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def client(world: World, clock: Clock, log: io.StringIO) -> Iterator[TestClient]:
    with _client(_app(world, clock, log=log)) as c:
        yield c


def _start(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new session and the request object the wallet reads from its QR code."""
    created = client.post("/sessions")
    assert created.status_code == 201, created.text
    session = created.json()
    query = parse_qs(urlsplit(session["authorization_request"]).query)
    token = client.get(query["request_uri"][0]).text
    return session, json.loads(b64url_decode(token.split(".")[1]))


def _post(client: TestClient, state: str, vp_token: Any, **extra: str) -> Any:
    form = {"vp_token": json.dumps(vp_token), "state": state, **extra}
    return client.post(
        "/response",
        content=urlencode(form),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def _answer(client: TestClient, world: World, fmt: str, credential: Any = None) -> dict[str, Any]:
    session, request = _start(client)
    credential = credential if credential is not None else world.credential(fmt)
    presentation = world.presentation(credential, fmt, request["nonce"], request["client_id"])
    posted = _post(client, request["state"], {QUERY_OF[fmt]: [presentation]})
    assert posted.status_code == 200
    assert posted.json() == {}
    got = client.get(f"/sessions/{session['state']}")
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
    return got.json()  # type: ignore[no-any-return]


def _failed(result: dict[str, Any]) -> set[str]:
    return {c["code"] for c in result["checks"] if not c["ok"]}


# -- the contract ------------------------------------------------------------------------------


def test_new_session_answers_the_contract(client: TestClient) -> None:
    created = client.post("/sessions", content=b"")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"state", "request_uri", "authorization_request"}
    assert body["request_uri"] == f"{BASE}/requests/{body['state']}"
    url = urlsplit(body["authorization_request"])
    assert url.scheme == "openid4vp"
    query = parse_qs(url.query)
    assert query["request_uri"] == [body["request_uri"]]
    assert query["client_id"][0].startswith("decentralized_identifier:did:key:")
    assert client.post("/sessions", json={}).status_code == 201


def test_request_object_is_signed_with_a_did_url_of_the_kiosk_key(
    world: World, clock: Clock
) -> None:
    key = PrivateKey.generate()
    with _client(_app(world, clock, key=key)) as client:
        session = client.post("/sessions").json()
        answer = client.get(session["request_uri"])
    assert answer.headers["content-type"].startswith("application/oauth-authz-req+jwt")
    header_b64, payload_b64, _ = answer.text.split(".")
    header = json.loads(b64url_decode(header_b64))
    payload = json.loads(b64url_decode(payload_b64))
    assert header["typ"] == "oauth-authz-req+jwt"
    did = header["kid"].split("#")[0]
    document = DefaultResolver().resolve(did)
    method = document.verification_method(header["kid"])
    assert method.public_key == key.public_key
    assert set(payload) == {
        "client_id",
        "response_type",
        "response_mode",
        "response_uri",
        "nonce",
        "state",
        "dcql_query",
        "client_metadata",
        "aud",
        "iat",
        "exp",
    }
    assert payload["client_id"] == f"decentralized_identifier:{did}"
    assert payload["response_uri"] == f"{BASE}/response"
    assert payload["state"] == session["state"]
    assert payload["aud"] == "https://self-issued.me/v2"
    assert payload["response_type"] == "vp_token"
    assert payload["response_mode"] == "direct_post"
    assert set(payload["client_metadata"]["vp_formats_supported"]) == {
        "ldp_vc",
        "jwt_vc_json",
        "dc+sd-jwt",
    }
    query = payload["dcql_query"]
    assert [c["id"] for c in query["credentials"]] == ["vc-di", "vc-jwt", "sd-jwt-vc"]
    assert query["credential_sets"] == [{"options": [["vc-di"], ["vc-jwt"], ["sd-jwt-vc"]]}]
    assert ["https://www.w3.org/ns/credentials/examples#CitizenIdentityCredential"] in query[
        "credentials"
    ][0]["meta"]["type_values"]
    assert query["credentials"][2]["meta"]["vct_values"] == ["CitizenIdentityCredential"]


def test_every_session_has_a_fresh_nonce(client: TestClient) -> None:
    nonces = {_start(client)[1]["nonce"] for _ in range(5)}
    assert len(nonces) == 5


def test_dcql_replaces_the_default_query(world: World, clock: Clock) -> None:
    query = DcqlQuery.from_json(
        {"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": ["X"]}}]}
    )
    with _client(_app(world, clock, dcql=query)) as client:
        _, request = _start(client)
    assert request["dcql_query"] == query.to_json()


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_presentation_is_verified_with_its_claims(
    client: TestClient, world: World, fmt: str, log: io.StringIO
) -> None:
    result = _answer(client, world, fmt)
    assert result["status"] == "verified", result
    assert set(result) == {"status", "checks", "claims"}
    assert all(set(c) == {"name", "ok", "code"} for c in result["checks"])
    (claims,) = result["claims"][QUERY_OF[fmt]]
    assert claims["givenName"] == "Ada"
    assert "Ada" not in log.getvalue()
    verdict = [json.loads(line) for line in log.getvalue().splitlines()][-1]
    assert verdict["verdict"] == "verified"
    assert verdict["issuers"] == [MINISTRY.did]


def test_vcdm_1_1_jwt_vp_is_accepted_under_jwt_vc_json(client: TestClient, world: World) -> None:
    session, request = _start(client)
    token = legacy_presentation(world, request["nonce"], request["client_id"])
    assert _post(client, request["state"], {"vc-jwt": [token]}).status_code == 200
    result = client.get(f"/sessions/{session['state']}").json()
    assert result["status"] == "verified", result
    assert result["claims"]["vc-jwt"][0]["givenName"] == "Ada"


@pytest.mark.parametrize("fmt", ["di", "vc-jwt"])
def test_attack_status_of_a_type_the_kiosk_cannot_read_is_rejected(
    client: TestClient, world: World, fmt: str
) -> None:
    """A revoked credential whose status entry is of a type the kiosk does not read (here
    StatusList2021) passed the library's default (a warning, as VC-JOSE-COSE says) and was
    shown as verified: offline, the kiosk cannot tell it is not revoked, so it fails closed."""
    status = {
        "id": "https://ministry.example/status/2021#7",
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://ministry.example/status/2021",
    }
    result = _answer(client, world, fmt, world.credential(fmt, status=status))
    assert result["status"] == "rejected", result
    assert "status.type_unsupported" in _failed(result)
    assert result["claims"] == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_revoked_credential_is_rejected(client: TestClient, world: World, fmt: str) -> None:
    result = _answer(client, world, fmt, world.credential(fmt, revoked=True))
    assert result["status"] == "rejected"
    assert "status.revoked" in _failed(result)
    assert result["claims"] == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_replayed_presentation_for_an_old_nonce_is_rejected(
    client: TestClient, world: World, fmt: str
) -> None:
    _, old = _start(client)
    presentation = world.presentation(world.credential(fmt), fmt, old["nonce"], old["client_id"])
    session, new = _start(client)
    assert _post(client, new["state"], {QUERY_OF[fmt]: [presentation]}).status_code == 200
    result = client.get(f"/sessions/{session['state']}").json()
    assert result["status"] == "rejected"
    assert BINDING[fmt] in _failed(result)


def test_tampered_presentation_is_rejected(client: TestClient, world: World) -> None:
    session, request = _start(client)
    vp = world.presentation(world.credential("di"), "di", request["nonce"], request["client_id"])
    assert isinstance(vp, dict)
    vp["verifiableCredential"][0]["credentialSubject"]["givenName"] = "Eve"
    assert _post(client, request["state"], {"vc-di": [vp]}).status_code == 200
    result = client.get(f"/sessions/{session['state']}").json()
    assert result["status"] == "rejected"
    assert _failed(result) & {"signature.invalid", "proof.invalid"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unaccredited_issuer_is_rejected(client: TestClient, world: World, fmt: str) -> None:
    result = _answer(client, world, fmt, world.credential(fmt, issuer=FORGER))
    assert result["status"] == "rejected"
    assert "trust.issuer_not_accredited" in _failed(result)


def test_presentation_under_another_query_id_is_rejected(client: TestClient, world: World) -> None:
    session, request = _start(client)
    token = world.presentation(
        world.credential("sd-jwt"), "sd-jwt", request["nonce"], request["client_id"]
    )
    assert _post(client, request["state"], {"vc-di": [token]}).status_code == 200
    assert "request.format_mismatch" in _failed(client.get(f"/sessions/{session['state']}").json())
    session, request = _start(client)
    assert _post(client, request["state"], {"nope": [token]}).status_code == 200
    assert "request.query_unknown" in _failed(client.get(f"/sessions/{session['state']}").json())


# -- the response URI --------------------------------------------------------------------------


def test_the_nonce_is_single_use(client: TestClient, world: World) -> None:
    _, request = _start(client)
    vp = world.presentation(world.credential("di"), "di", request["nonce"], request["client_id"])
    assert _post(client, request["state"], {"vc-di": [vp]}).status_code == 200
    again = _post(client, request["state"], {"vc-di": [vp]})
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_request"}


@pytest.mark.parametrize(
    "case", ["unknown state", "no vp_token", "wallet error", "not a form", "bad vp_token"]
)
def test_response_uri_refuses_what_it_cannot_process(client: TestClient, case: str) -> None:
    _, request = _start(client)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    bodies = {
        "unknown state": urlencode({"vp_token": '{"vc-di": ["x"]}', "state": "nope"}),
        "no vp_token": urlencode({"state": request["state"]}),
        "wallet error": urlencode({"error": "access_denied", "state": request["state"]}),
        "not a form": json.dumps({"vp_token": {}, "state": request["state"]}),
        "bad vp_token": urlencode({"vp_token": "[1]", "state": request["state"]}),
    }
    if case == "not a form":
        headers = {"content-type": "application/json"}
    answer = client.post("/response", content=bodies[case], headers=headers)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request"}


def test_sessions_expire_after_five_minutes(client: TestClient, world: World, clock: Clock) -> None:
    session, request = _start(client)
    clock.now += timedelta(minutes=5)
    assert client.get(f"/sessions/{session['state']}").status_code == 404
    assert client.get(session["request_uri"]).status_code == 404
    vp = world.presentation(world.credential("di"), "di", request["nonce"], request["client_id"])
    assert _post(client, request["state"], {"vc-di": [vp]}).status_code == 400


def test_ending_a_session_drops_its_claims(client: TestClient, world: World) -> None:
    session, request = _start(client)
    vp = world.presentation(world.credential("di"), "di", request["nonce"], request["client_id"])
    _post(client, request["state"], {"vc-di": [vp]})
    assert client.delete(f"/sessions/{session['state']}").status_code == 204
    assert client.get(f"/sessions/{session['state']}").status_code == 404
    assert client.app.kiosk.open_sessions() == 0  # type: ignore[attr-defined]


# -- the counter -------------------------------------------------------------------------------


def test_other_hosts_reach_only_the_request_and_response_uris(world: World, clock: Clock) -> None:
    app = _app(world, clock)
    with _client(app) as counter, _client(app, "192.0.2.7") as other:
        session, request = _start(counter)
        assert other.get("/").status_code == 403
        assert other.post("/sessions").status_code == 403
        assert other.get(f"/sessions/{session['state']}").status_code == 403
        assert other.get("/trust").status_code == 403
        assert other.get(session["request_uri"]).status_code == 200
        vp = world.presentation(
            world.credential("di"), "di", request["nonce"], request["client_id"]
        )
        assert _post(other, request["state"], {"vc-di": [vp]}).status_code == 200
        # A proxy on this machine does not make its clients loopback.
        proxied = counter.post("/sessions", headers={"x-forwarded-for": "192.0.2.7"})
        assert proxied.status_code == 403


def test_counter_token_opens_the_counter_to_other_hosts(world: World, clock: Clock) -> None:
    token = "s3cret-token"  # noqa: S105 - a test token
    with _client(_app(world, clock, counter_token=token), "192.0.2.7") as other:
        assert other.post("/sessions").status_code == 403
        wrong = {"authorization": "Bearer nope"}
        assert other.post("/sessions", headers=wrong).status_code == 403
        good = {"authorization": "Bearer s3cret-token"}
        session = other.post("/sessions", headers=good)
        assert session.status_code == 201
        assert other.get(f"/sessions/{session.json()['state']}", headers=good).status_code == 200
        assert other.get("/", headers=good).status_code == 200
        login = other.post("/login", content="token=s3cret-token", follow_redirects=False)
        assert login.status_code == 303
        assert other.get("/").status_code == 200  # the login cookie


def test_login_cookie_is_secure_over_https(world: World, clock: Clock) -> None:
    """The counter-token cookie never travels in clear when the kiosk is served over https."""
    token = "s3cret-token"  # noqa: S105 - a test token
    https = create_app(
        public_url="https://kiosk.example",
        now=clock,
        bundle=world.bundle_path,
        root=world.root_path,
        counter_token=token,
    )
    for app, secure in ((https, True), (_app(world, clock, counter_token=token), False)):
        with _client(app, "192.0.2.7") as other:
            login = other.post("/login", content=f"token={token}", follow_redirects=False)
        assert login.status_code == 303
        flags = [f.strip().lower() for f in login.headers["set-cookie"].split(";")]
        assert ("secure" in flags) is secure
        assert "httponly" in flags


def test_new_sessions_are_rate_limited(world: World, clock: Clock) -> None:
    with _client(_app(world, clock, session_rate=(0.01, 3))) as client:
        answers = [client.post("/sessions") for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[-1].json()["code"] == "kiosk.rate_limited"
    assert int(answers[-1].headers["retry-after"]) >= 1


def test_every_response_is_no_store(client: TestClient) -> None:
    session, _ = _start(client)
    for path in ("/", "/trust", f"/sessions/{session['state']}", session["request_uri"]):
        assert client.get(path).headers["cache-control"] == "no-store"


def test_page_is_self_contained(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'nonce-" in page.headers["content-security-policy"]
    text = page.text
    assert "<script src" not in text
    assert 'href="http' not in text
    assert 'src="http' not in text
    assert "凭证核验" in text  # the catalogue travels with the page


def test_pasted_presentation_is_checked_under_the_session(client: TestClient, world: World) -> None:
    for fmt in FORMATS:
        session, request = _start(client)
        presentation = world.presentation(
            world.credential(fmt), fmt, request["nonce"], request["client_id"]
        )
        text = presentation if isinstance(presentation, str) else json.dumps(presentation)
        pasted = client.post(f"/sessions/{session['state']}/presentation", content=text)
        assert pasted.status_code == 200, pasted.text
        result = client.get(f"/sessions/{session['state']}").json()
        assert result["status"] == "verified", (fmt, result)
        view = client.get(f"/sessions/{session['state']}/view").json()
        assert view["issuers"] == [
            {"id": MINISTRY.did, "name": "Ministry of the Interior", "name_zh": "内政部"}
        ]
        assert view["anchored"] is False


# -- trust -------------------------------------------------------------------------------------


def test_expired_bundle_refuses_to_verify_and_says_why(tmp_path: Path) -> None:
    world = World(tmp_path, expired=True)
    with _client(_app(world, Clock(world.now))) as client:
        trust = client.get("/trust").json()
        assert trust["refused"][0] == "trust.bundle_expired"
        result = _answer(client, world, "di")
    assert result["status"] == "rejected"
    assert _failed(result) == {"trust.bundle_expired"}


def test_bundle_near_and_past_expiry(client: TestClient, world: World, clock: Clock) -> None:
    assert client.get("/trust").json()["near_expiry"] is False
    clock.now = world.now + timedelta(days=6, hours=12)
    assert client.get("/trust").json()["near_expiry"] is True
    clock.now = world.now + timedelta(days=8)
    assert client.get("/trust").json()["refused"][0] == "trust.bundle_expired"
    result = _answer(client, world, "sd-jwt")
    assert _failed(result) == {"trust.bundle_expired"}


def test_store_reloads_a_newer_bundle(tmp_path: Path, world: World, clock: Clock) -> None:
    store = tmp_path / "store"
    root = json.loads(world.root_path.read_text())
    TrustStore(store).install(world.bundle_path.read_bytes(), root, now=world.now)
    app = _app(world, clock, bundle=None, root=None, store=store)
    assert app.kiosk.trust.bundle is not None
    assert app.kiosk.trust.bundle.version == 1
    (tmp_path / "w2").mkdir()
    newer = World(tmp_path / "w2")
    _reversion(newer, 2)
    TrustStore(store).install(newer.bundle_path.read_bytes(), root, now=world.now)
    assert app.kiosk.reload()
    assert app.kiosk.trust.bundle.version == 2
    (store / "bundle.json").write_text("{}")  # tampered: the kiosk keeps what it had
    assert not app.kiosk.reload()
    assert app.kiosk.trust.bundle.version == 2


def _reversion(world: World, version: int) -> None:
    """Rebuild ``world``'s bundle with another version number."""
    from did_gov.trust import TrustRoot, build_bundle, verify_bundle
    from tests.kiosk._world import BUNDLE_KEY

    root = TrustRoot.parse(json.loads(world.root_path.read_text()))
    old = verify_bundle(world.bundle_path.read_bytes(), root, now=world.now)
    bundle = build_bundle(
        roots=[root],
        signers=[BUNDLE_KEY.key],
        version=version,
        issued=old.issued + timedelta(seconds=1),
        expires=old.expires,
        accreditations=old.accreditations,
        status_lists=old.status_lists,
    )
    world.bundle_path.write_text(json.dumps(bundle))


def test_unloadable_bundle_refuses_every_verdict(world: World, clock: Clock) -> None:
    with _client(_app(world, clock, bundle=b'{"signed": {}}')) as client:
        refused = client.get("/trust").json()["refused"]
        assert refused[0].startswith("trust.bundle_")
        result = _answer(client, world, "vc-jwt")
    assert result["status"] == "rejected"
    assert _failed(result) == {refused[0]}
