"""OpenID4VP 1.0 pieces: the signed request object, the URL, the default query, the direct_post body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwcrypto import jwk, jws

from did_gov.dids import DefaultResolver
from did_gov.errors import PresentationRequestError
from did_gov.jsonld import OfflineDocumentLoader
from did_gov.keys import PrivateKey
from did_gov.limits import Limits
from did_gov.trust import PresentationRequest
from did_gov.trust._dcql import DcqlQuery
from did_gov.trust._oid4vp import (
    SELF_ISSUED_AUDIENCE,
    VP_FORMATS_SUPPORTED,
    accredited_types,
    authorization_request_url,
    client_id_for,
    credential_sets_met,
    default_dcql_query,
    kiosk_did,
    kiosk_kid,
    parse_direct_post,
    request_for_query,
    request_object,
    sign_request_object,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
EXAMPLES_IRI = "https://www.w3.org/ns/credentials/examples#CitizenIdentityCredential"


def _payload(key: PrivateKey, query: DcqlQuery) -> dict[str, Any]:
    return request_object(
        client_id=client_id_for(kiosk_did(key.public_key)),
        response_uri="https://kiosk.example/response",
        nonce="n-1",
        state="s-1",
        dcql_query=query,
        issued_at=NOW,
        expires_at=NOW + timedelta(minutes=5),
    )


def test_request_object_is_signed_by_a_did_url_of_the_kiosk_key() -> None:
    key = PrivateKey.generate()
    query = default_dcql_query(["CitizenIdentityCredential"], OfflineDocumentLoader())
    payload = _payload(key, query)
    token = sign_request_object(payload, key, kiosk_kid(key.public_key))
    parsed = jws.JWS()
    parsed.deserialize(token)
    header = parsed.jose_header
    assert header["typ"] == "oauth-authz-req+jwt"
    assert header["kid"].startswith(kiosk_did(key.public_key) + "#")
    # The kid resolves to the key that verifies the signature.
    document = DefaultResolver().resolve(header["kid"].split("#")[0])
    method = document.verification_method(header["kid"])
    assert document.is_authorized(header["kid"], "authentication")
    assert method.public_key is not None
    public = jwk.JWK(**method.public_key.to_jwk())
    parsed.verify(public)
    body = json.loads(parsed.payload)
    assert set(body) == {
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
    assert body["client_id"] == "decentralized_identifier:" + kiosk_did(key.public_key)
    assert (body["response_type"], body["response_mode"]) == ("vp_token", "direct_post")
    assert body["aud"] == SELF_ISSUED_AUDIENCE
    assert body["exp"] - body["iat"] == 300
    assert body["client_metadata"] == {"vp_formats_supported": VP_FORMATS_SUPPORTED}
    assert DcqlQuery.from_json(body["dcql_query"]) == query


def test_request_object_needs_a_nonce() -> None:
    key = PrivateKey.generate()
    with pytest.raises(PresentationRequestError):
        request_object(
            client_id="decentralized_identifier:did:example:k",
            response_uri="https://k/response",
            nonce="",
            state="s",
            dcql_query={"credentials": []},
            issued_at=NOW,
            expires_at=NOW,
        )
    with pytest.raises(PresentationRequestError):
        client_id_for("https://not-a-did.example")
    assert kiosk_kid(key.public_key).startswith("did:key:")


def test_authorization_request_url_passes_the_request_by_reference() -> None:
    url = authorization_request_url(
        "decentralized_identifier:did:key:z6Mk", "https://k.example/requests/a b"
    )
    parts = urlsplit(url)
    assert parts.scheme == "openid4vp"
    assert parse_qs(parts.query) == {
        "client_id": ["decentralized_identifier:did:key:z6Mk"],
        "request_uri": ["https://k.example/requests/a b"],
    }


def test_default_query_expands_terms_and_keeps_vcts_verbatim() -> None:
    loader = OfflineDocumentLoader()
    iris, vcts = accredited_types(
        ["VerifiableCredential", "CitizenIdentityCredential", "https://x.gov/pid"], loader
    )
    assert EXAMPLES_IRI in iris
    assert "https://x.gov/pid" in iris
    assert all(":" in iri for iri in iris)
    assert vcts == ("CitizenIdentityCredential", "https://x.gov/pid")
    query = default_dcql_query(["CitizenIdentityCredential"], loader).to_json()
    assert [c["id"] for c in query["credentials"]] == ["vc-di", "vc-jwt", "sd-jwt-vc"]
    assert [c["format"] for c in query["credentials"]] == ["ldp_vc", "jwt_vc_json", "dc+sd-jwt"]
    assert [EXAMPLES_IRI] in query["credentials"][0]["meta"]["type_values"]
    assert query["credentials"][2]["meta"] == {"vct_values": ["CitizenIdentityCredential"]}
    assert query["credential_sets"] == [{"options": [["vc-di"], ["vc-jwt"], ["sd-jwt-vc"]]}]


def test_default_query_uses_the_bundle_contexts() -> None:
    context = {"@context": {"@version": 1.1, "LibraryCard": "https://library.example/ns#Card"}}
    loader = OfflineDocumentLoader(documents={"https://library.example/v1": context})
    iris, _ = accredited_types(["LibraryCard"], loader)
    assert "https://library.example/ns#Card" in iris


def _form(**fields: Any) -> bytes:
    return urlencode(
        {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items()}
    ).encode()


def test_direct_post_maps_query_ids_to_presentations() -> None:
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    body = _form(vp_token={"vc-di": [vp], "sd-jwt-vc": ["a.b.c~d~e.f.g"]}, state="s1")
    response = parse_direct_post(body)
    assert response.state == "s1"
    assert response.error is None
    assert response.presentations() == [("vc-di", vp), ("sd-jwt-vc", "a.b.c~d~e.f.g")]


def test_direct_post_error_response_is_read() -> None:
    response = parse_direct_post(_form(error="access_denied", state="s1"))
    assert (response.state, response.error, dict(response.vp_token)) == ("s1", "access_denied", {})


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "oid4vp.state_missing"),
        (_form(vp_token={"q": ["x"]}), "oid4vp.state_missing"),
        (_form(state="s"), "oid4vp.vp_token_missing"),
        (b"state=s&state=t&vp_token=%7B%7D", "oid4vp.response_invalid"),
        (b"state=s&vp_token", "oid4vp.response_invalid"),
        ("state=s&vp_token=\u00e9".encode(), "oid4vp.response_invalid"),
        (_form(state="s", vp_token="not json"), "oid4vp.vp_token_invalid"),  # noqa: S106
        (_form(state="s", vp_token=["a"]), "oid4vp.vp_token_invalid"),
        (_form(state="s", vp_token={}), "oid4vp.vp_token_invalid"),
        (_form(state="s", vp_token={"q": "a.b.c"}), "oid4vp.vp_token_invalid"),
        (_form(state="s", vp_token={"q": []}), "oid4vp.vp_token_invalid"),
        (_form(state="s", vp_token={"q": [1]}), "oid4vp.vp_token_invalid"),
        (_form(state="s", vp_token={"q": [""]}), "oid4vp.vp_token_invalid"),
        (b"&".join([b"a%d=1" % i for i in range(40)]), "oid4vp.response_invalid"),
    ],
    ids=[
        "empty",
        "no state",
        "no vp_token",
        "state twice",
        "not a form",
        "not ascii",
        "vp_token not json",
        "vp_token an array",
        "vp_token empty",
        "entry not an array",
        "entry empty",
        "entry a number",
        "entry empty string",
        "too many fields",
    ],
)
def test_direct_post_refuses_malformed_bodies(body: bytes, code: str) -> None:
    with pytest.raises(PresentationRequestError) as caught:
        parse_direct_post(body)
    assert caught.value.code == code


def test_direct_post_is_bounded() -> None:
    limits = Limits(max_document_bytes=1000)
    with pytest.raises(PresentationRequestError) as caught:
        parse_direct_post(_form(state="s", vp_token={"q": ["x" * 3000]}), limits)
    assert caught.value.code == "oid4vp.response_invalid"
    many = {f"q{i}": ["x"] for i in range(65)}
    with pytest.raises(PresentationRequestError) as caught:
        parse_direct_post(_form(state="s", vp_token=many))
    assert caught.value.code == "oid4vp.vp_token_invalid"


@given(st.binary(max_size=300))
def test_direct_post_never_raises_anything_but_a_request_error(body: bytes) -> None:
    code = "ok"
    try:
        parse_direct_post(body)
    except PresentationRequestError as exc:
        code = exc.code
    assert code == "ok" or code.startswith(("oid4vp.", "json.", "input."))


def test_credential_sets_and_narrowed_requests() -> None:
    query = default_dcql_query(["CitizenIdentityCredential"], OfflineDocumentLoader())
    assert credential_sets_met(query, ["sd-jwt-vc"])
    assert not credential_sets_met(query, [])
    plain = DcqlQuery.from_json(
        {
            "credentials": [
                {"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["x"]}},
                {"id": "b", "format": "dc+sd-jwt", "meta": {"vct_values": ["y"]}},
            ]
        }
    )
    assert not credential_sets_met(plain, ["a"])
    assert credential_sets_met(plain, ["a", "b"])
    request = PresentationRequest(query, "n", "decentralized_identifier:did:example:k")
    narrowed = request_for_query(request, "vc-jwt")
    assert [c.id for c in narrowed.dcql_query.credentials] == ["vc-jwt"]
    assert (narrowed.nonce, narrowed.client_id) == (request.nonce, request.client_id)
    with pytest.raises(PresentationRequestError) as caught:
        request_for_query(request, "nope")
    assert caught.value.code == "request.query_unknown"
