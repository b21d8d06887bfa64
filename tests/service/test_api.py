"""The VC-API endpoints in process: issue, verify, shapes, status codes, problem details."""

from __future__ import annotations

from typing import Any

import pytest

from did_gov import present
from did_gov.keys import PrivateKey
from did_gov.proofs import jose
from tests.service.conftest import unsigned


def _issue(client: Any, path: str = "/credentials/issue", **options: Any) -> Any:
    response = client.post(path, json={"credential": unsigned(), "options": options})
    assert response.status_code == 201, response.text
    return response.json()


def _is_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"urn:did-gov:error:{code}"
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]


def test_health(client: Any) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_issue_di_replaces_the_posted_issuer(client: Any) -> None:
    vc = _issue(client)["verifiableCredential"]
    assert vc["issuer"].startswith("did:key:z6Mk")
    assert vc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200


def test_issue_keeps_an_issuer_object(client: Any) -> None:
    body = {"credential": unsigned(issuer={"id": "did:example:x", "name": "Agency"})}
    vc = client.post("/credentials/issue", json=body).json()["verifiableCredential"]
    assert vc["issuer"]["name"] == "Agency"
    assert vc["issuer"]["id"].startswith("did:key:")


@pytest.mark.parametrize(
    ("issuer", "suite"),
    [("ed", "eddsa-rdfc-2022"), ("p256", "ecdsa-rdfc-2019"), ("jcs", "eddsa-jcs-2022")],
)
def test_each_issuer_signs_with_its_cryptosuite(client: Any, issuer: str, suite: str) -> None:
    vc = _issue(client, f"/issuers/{issuer}/credentials/issue")["verifiableCredential"]
    assert vc["proof"]["cryptosuite"] == suite
    report = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert report.status_code == 200, report.text
    assert report.json()["verified"] is True


def test_cryptosuite_option_overrides_the_issuers(client: Any) -> None:
    vc = _issue(client, cryptosuite="eddsa-jcs-2022")["verifiableCredential"]
    assert vc["proof"]["cryptosuite"] == "eddsa-jcs-2022"


def test_vc_jwt_comes_back_enveloped(client: Any) -> None:
    vc = _issue(client, format="vc-jwt")["verifiableCredential"]
    assert vc["type"] == "EnvelopedVerifiableCredential"
    media_type, token = jose.open_envelope(vc)
    assert media_type == "application/vc+jwt"
    assert token.count(".") == 2
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200


def test_sd_jwt_comes_back_compact(client: Any) -> None:
    token = _issue(client, format="sd-jwt", disclosable=["/credentialSubject/name"])[
        "verifiableCredential"
    ]
    assert isinstance(token, str)
    assert token.endswith("~")
    assert token.count("~") == 2  # one disclosure


def test_unknown_issuer_is_404(client: Any) -> None:
    response = client.post("/issuers/nobody/credentials/issue", json={"credential": unsigned()})
    _is_problem(response, 404, "service.issuer_unknown")


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"proofPurpose": "x"}, "service.option_unknown"),
        ({"format": "pdf"}, "service.option_invalid"),
        ({"format": "vc-jwt", "cryptosuite": "eddsa-rdfc-2022"}, "service.option_invalid"),
        ({"disclosable": ["/credentialSubject/name"]}, "service.option_invalid"),
        ({"disclosable": "/credentialSubject/name", "format": "sd-jwt"}, "service.option_invalid"),
        ({"anchor": "yes"}, "service.option_invalid"),
        ({"credentialStatus": {"type": "StatusList2021Entry"}}, "service.option_invalid"),
        ({"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "refresh"}},
         "service.option_invalid"),
        ({"cryptosuite": "rsa-2000"}, "proof.cryptosuite_unsupported"),
    ],
)  # fmt: skip
def test_bad_options_are_400(client: Any, options: dict[str, Any], code: str) -> None:
    response = client.post(
        "/credentials/issue", json={"credential": unsigned(), "options": options}
    )
    _is_problem(response, 400, code)


def test_invalid_credential_is_400_with_its_code(client: Any) -> None:
    response = client.post("/credentials/issue", json={"credential": {"type": "x"}})
    assert response.status_code == 400
    assert response.json()["code"].startswith("credential.")


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"a string"',
        b"{",
        b'{"credential": "eyJ.a.b"}',
        b'{"credential": {}, "credential": {}}',
        b'{"credential": {}, "options": []}',
        b'{"credential": {}, "extra": 1}',
    ],
)
def test_attack_malformed_issue_bodies_are_400(client: Any, body: bytes) -> None:
    response = client.post(
        "/credentials/issue", content=body, headers={"content-type": "application/json"}
    )
    _is_problem(response, 400, "service.body_invalid")


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_attack_wrong_content_type_is_415(client: Any, media_type: str) -> None:
    response = client.post(
        "/credentials/issue",
        content=b'{"credential": {}}',
        headers={"content-type": media_type} if media_type else {},
    )
    _is_problem(response, 415, "service.media_type_unsupported")


def test_attack_oversized_body_is_413(make_client: Any) -> None:
    client = make_client(max_body_bytes=4096)
    big = {"credential": unsigned(credentialSubject={"id": "did:example:a", "x": "a" * 5000})}
    _is_problem(client.post("/credentials/issue", json=big), 413, "service.body_too_large")


def test_attack_oversized_streamed_body_is_413(make_client: Any) -> None:
    client = make_client(max_body_bytes=4096)

    def chunks() -> Any:
        yield b'{"credential": {"x": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}}'

    response = client.post(
        "/credentials/issue", content=chunks(), headers={"content-type": "application/json"}
    )
    _is_problem(response, 413, "service.body_too_large")


def test_unknown_route_and_method_are_problems(client: Any) -> None:
    _is_problem(client.get("/nowhere"), 404, "service.not_found")
    _is_problem(client.get("/credentials/issue"), 405, "service.method_not_allowed")


# -- verify ---------------------------------------------------------------------------------


def test_verify_fails_with_400_and_the_report(client: Any) -> None:
    vc = _issue(client)["verifiableCredential"]
    vc["credentialSubject"]["name"] = "Eve"
    response = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert any(c["name"] == "proof" and not c["ok"] for c in body["checks"])
    assert body["errors"]


def test_verify_without_trust_fails_closed(make_client: Any) -> None:
    client = make_client(verifier_options={})
    vc = _issue(client)["verifiableCredential"]
    response = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert response.status_code == 400
    assert "trust.not_configured" in {e["code"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    "body",
    [
        {"verifiableCredential": "eyJhbGciOiJFZERTQSJ9.e30.c2ln"},
        {"verifiableCredential": None},
        {"verifiableCredential": {}, "options": "x"},
        {"verifiableCredential": {"type": ["VerifiablePresentation"]}},
        {"verifiableCredential": {}, "unexpected": True},
    ],
)
def test_attack_strings_where_objects_belong_are_400(client: Any, body: dict[str, Any]) -> None:
    _is_problem(client.post("/credentials/verify", json=body), 400, "service.body_invalid")


def test_verify_unknown_option_is_400(client: Any) -> None:
    vc = _issue(client)["verifiableCredential"]
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": vc, "options": {"trustMe": True}}
    )
    _is_problem(response, 400, "service.option_unknown")


def test_verify_accepts_the_checks_option(client: Any) -> None:
    vc = _issue(client)["verifiableCredential"]
    body = {"verifiableCredential": vc, "options": {"checks": ["proof"]}}
    assert client.post("/credentials/verify", json=body).status_code == 200


def _presentation(client: Any, holder: PrivateKey, **kwargs: Any) -> dict[str, Any]:
    vc = _issue(client)["verifiableCredential"]
    vp: dict[str, Any] = present([vc], holder, **kwargs)
    return vp


def test_presentation_verify_checks_challenge_and_domain(client: Any) -> None:
    vp = _presentation(client, PrivateKey.generate(), challenge="c-1", domain="agency.example")
    good = {"challenge": "c-1", "domain": "agency.example"}
    response = client.post(
        "/presentations/verify", json={"verifiablePresentation": vp, "options": good}
    )
    assert response.status_code == 200, response.text
    replayed = {"challenge": "c-2", "domain": "agency.example"}
    response = client.post(
        "/presentations/verify", json={"verifiablePresentation": vp, "options": replayed}
    )
    assert response.status_code == 400
    assert response.json()["verified"] is False


def test_subject_binding_is_off_unless_asked(client: Any) -> None:
    # The holder is not the credential's subject (did:example:ada).
    vp = _presentation(client, PrivateKey.generate(), challenge="c", domain="d")
    options: dict[str, Any] = {"challenge": "c", "domain": "d"}
    body = {"verifiablePresentation": vp, "options": options}
    assert client.post("/presentations/verify", json=body).status_code == 200
    options["subjectBinding"] = True
    response = client.post("/presentations/verify", json=body)
    assert response.status_code == 400
    assert response.json()["verified"] is False


def test_presentation_endpoint_refuses_a_credential(client: Any) -> None:
    vc = _issue(client)["verifiableCredential"]
    response = client.post("/presentations/verify", json={"verifiablePresentation": vc})
    _is_problem(response, 400, "service.body_invalid")


def test_the_listening_socket_disables_nagle() -> None:
    """A regression: a socket made without IPPROTO_TCP made asyncio skip TCP_NODELAY on every
    accepted connection, and each response waited ~40 ms for a delayed ACK."""
    import socket

    from did_gov._asgi import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
