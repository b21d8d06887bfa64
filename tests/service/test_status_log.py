"""Status changes and published lists, and the transparency log over HTTP."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from did_gov.ledger import merkle, open_checkpoint
from did_gov.status import StatusList
from tests.service.conftest import unsigned


def _issue_with_status(
    client: Any, purpose: str = "revocation", path: str = "/credentials/issue"
) -> dict[str, Any]:
    options = {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose}}
    response = client.post(path, json={"credential": unsigned(), "options": options})
    assert response.status_code == 201, response.text
    vc: dict[str, Any] = response.json()["verifiableCredential"]
    return vc


def _set(client: Any, vc: dict[str, Any], purpose: str, status: bool) -> Any:
    return client.post(
        "/credentials/status",
        json={
            "credentialId": vc["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
            "status": status,
        },
    )


def _verified(client: Any, vc: dict[str, Any]) -> bool:
    response = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert response.status_code in (200, 400)
    return bool(response.json()["verified"])


def test_revocation_is_seen_by_the_verifier_and_cannot_be_undone(client: Any) -> None:
    vc = _issue_with_status(client)
    assert vc["id"].startswith("urn:uuid:")
    assert _verified(client, vc)
    changed = _set(client, vc, "revocation", True)
    assert changed.status_code == 200, changed.text
    assert changed.json()["statusListCredential"] == vc["credentialStatus"]["statusListCredential"]
    assert not _verified(client, vc)
    undo = _set(client, vc, "revocation", False)
    assert undo.status_code == 400
    assert undo.json()["code"] == "status.irreversible"
    assert not _verified(client, vc)


def test_suspension_is_reversible(client: Any) -> None:
    vc = _issue_with_status(client, "suspension")
    assert _set(client, vc, "suspension", True).status_code == 200
    assert not _verified(client, vc)
    assert _set(client, vc, "suspension", False).status_code == 200
    assert _verified(client, vc)


def test_two_purposes_at_once(client: Any) -> None:
    options = {
        "credentialStatus": [
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
        ]
    }
    response = client.post(
        "/credentials/issue", json={"credential": unsigned(), "options": options}
    )
    vc = response.json()["verifiableCredential"]
    assert [e["statusPurpose"] for e in vc["credentialStatus"]] == ["revocation", "suspension"]
    assert _verified(client, vc)


def test_status_of_a_named_issuers_list(client: Any) -> None:
    vc = _issue_with_status(client, path="/issuers/p256/credentials/issue")
    assert vc["credentialStatus"]["statusListCredential"].endswith("/status-lists/p256-revocation")
    response = client.post(
        "/issuers/p256/credentials/status",
        json={
            "credentialId": vc["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True,
        },
    )
    assert response.status_code == 200
    assert not _verified(client, vc)


def test_unknown_credential_is_404(client: Any) -> None:
    response = _set(client, {"id": "urn:uuid:never-issued"}, "revocation", True)
    assert response.status_code == 404
    assert response.json()["code"] == "status.unknown_credential"


@pytest.mark.parametrize(
    "body",
    [
        {"credentialId": "x", "status": True},
        {"credentialId": "x", "credentialStatus": "revocation", "status": True},
        {"credentialId": 1, "credentialStatus": {"type": "BitstringStatusListEntry"}, "status": True},
        {"credentialId": "x", "credentialStatus": {"type": "BitstringStatusListEntry",
         "statusPurpose": "revocation"}, "status": "revoked"},
    ],
)  # fmt: skip
def test_attack_malformed_status_requests_are_400(client: Any, body: dict[str, Any]) -> None:
    response = client.post("/credentials/status", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_published_list_has_etag_and_cache_control(client: Any) -> None:
    vc = _issue_with_status(client)
    url = vc["credentialStatus"]["statusListCredential"].removeprefix("http://testserver")
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    listed = first.json()
    assert listed["id"] == vc["credentialStatus"]["statusListCredential"]
    assert listed["credentialSubject"]["ttl"] == 300_000
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    _set(client, vc, "revocation", True)
    second = client.get(url, headers={"If-None-Match": etag})
    assert second.status_code == 200
    assert second.headers["etag"] != etag
    index = int(vc["credentialStatus"]["statusListIndex"])
    assert StatusList.decode(second.json()["credentialSubject"]["encodedList"]).get(index) == 1


def test_unknown_list_is_404(client: Any) -> None:
    for list_id in ("nobody-revocation", "ed-refresh", "ed", "-revocation"):
        response = client.get(f"/status-lists/{list_id}")
        assert response.status_code == 404, list_id
        assert response.json()["code"] == "service.status_list_unknown"


def test_attack_path_traversal_in_a_list_id_is_404(client: Any) -> None:
    response = client.get("/status-lists/..%2f..%2fservice.db")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_lists_of_other_issuers_are_not_fetched_by_default(make_client: Any) -> None:
    other = make_client(public_url="http://other.example")
    foreign = _issue_with_status(other)
    client = make_client()
    response = client.post("/credentials/verify", json={"verifiableCredential": foreign})
    assert response.status_code == 400
    codes = {e["code"] for e in response.json()["errors"]}
    assert "status.list_unavailable" in codes


# -- the log ----------------------------------------------------------------------------------


def test_anchored_credential_is_included_in_the_served_log(client: Any) -> None:
    response = client.post(
        "/credentials/issue", json={"credential": unsigned(), "options": {"anchor": True}}
    )
    assert response.status_code == 201, response.text
    [receipt] = response.json()["anchorReceipts"]
    note = client.get("/log/checkpoint")
    assert note.status_code == 200
    assert note.headers["content-type"].startswith("text/plain")
    log_key = client.app.state.service.state.ledger().verifier
    head = open_checkpoint(note.text, [log_key], origin="testserver/log").checkpoint
    proof = client.get(f"/log/proofs/inclusion?index={receipt['index']}&size={head.size}")
    assert proof.status_code == 200, proof.text
    hashes = [base64.b64decode(h) for h in proof.json()["proof"]]
    leaf = merkle.leaf_hash(base64.b64decode(receipt["leaf"]))
    assert merkle.verify_inclusion(leaf, receipt["index"], head.size, hashes, head.root_hash)


def test_consistency_proof(client: Any) -> None:
    for _ in range(3):
        client.post(
            "/credentials/issue", json={"credential": unsigned(), "options": {"anchor": True}}
        )
    response = client.get("/log/proofs/consistency?old=1&new=3")
    assert response.status_code == 200
    body = response.json()
    assert (body["type"], body["oldSize"], body["newSize"]) == ("ConsistencyProof", 1, 3)
    assert body["proof"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?index=0",
        "?index=-1&size=1",
        "?index=a&size=1",
        "?index=0&size=99",
        "?index=1e3&size=1",
    ],
)
def test_attack_bad_proof_queries_are_400(client: Any, query: str) -> None:
    client.post("/credentials/issue", json={"credential": unsigned(), "options": {"anchor": True}})
    response = client.get(f"/log/proofs/inclusion{query}")
    assert response.status_code == 400
    assert response.json()["code"] in ("service.query_invalid", "ledger.out_of_range")
