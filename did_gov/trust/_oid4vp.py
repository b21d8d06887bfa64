"""OpenID for Verifiable Presentations 1.0, the pieces a verifier needs, as pure functions.

No HTTP and no verification here (``specs/kiosk.md``): build and sign the request
object a wallet fetches by reference (§5, §5.10 ``request_uri``; typed
``oauth-authz-req+jwt``, RFC 9101), the ``openid4vp://`` URL a QR code carries,
the kiosk's default DCQL query from a trust bundle's accreditations (§6,
Appendix B), and read the wallet's ``direct_post`` response (§8.2: a form body
whose ``vp_token`` maps each credential query id to a list of presentations, §8.1).

>>> from did_gov.keys import PrivateKey
>>> key = PrivateKey.generate()
>>> client_id = client_id_for(kiosk_did(key.public_key))
>>> client_id.startswith("decentralized_identifier:did:key:z")
True
>>> url = authorization_request_url(client_id, "https://kiosk.example/requests/s1")
>>> url.startswith("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3Az")
True
>>> response = parse_direct_post(b"vp_token=%7B%22vc-jwt%22%3A%5B%22e30.e30.sig%22%5D%7D&state=s1")
>>> response.state, response.vp_token
('s1', {'vc-jwt': ('e30.e30.sig',)})
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from did_gov._json import parse_json
from did_gov.dids import did_key
from did_gov.errors import DidGovError, PresentationRequestError
from did_gov.jsonld import OfflineDocumentLoader, expand
from did_gov.keys import PublicKey, Signer
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._jws import json_bytes, sign_compact
from did_gov.trust._dcql import DcqlQuery
from did_gov.trust._policy import BASE_TYPE
from did_gov.trust._request import PresentationRequest, kiosk_query

__all__ = [
    "CLIENT_ID_PREFIX",
    "REQUEST_OBJECT_TYP",
    "SELF_ISSUED_AUDIENCE",
    "VP_FORMATS_SUPPORTED",
    "DirectPostResponse",
    "accredited_types",
    "authorization_request_url",
    "client_id_for",
    "credential_sets_met",
    "default_dcql_query",
    "kiosk_did",
    "kiosk_kid",
    "parse_direct_post",
    "request_object",
    "request_for_query",
    "sign_request_object",
]

CLIENT_ID_PREFIX: Final = "decentralized_identifier:"
"""§5.9.3: a Client Identifier Prefix for a verifier identified by a DID; the request object is signed by a key of it."""
REQUEST_OBJECT_TYP: Final = "oauth-authz-req+jwt"
"""RFC 9101 §10.8: the ``typ`` of a signed request object (OpenID4VP §5.10: wallets refuse unsigned ones)."""
SELF_ISSUED_AUDIENCE: Final = "https://self-issued.me/v2"
"""§5.8: the ``aud`` of a request object for a wallet that has no issuer identifier of its own."""
VP_FORMATS_SUPPORTED: Final[Mapping[str, Mapping[str, list[str]]]] = {
    "ldp_vc": {
        "proof_type_values": ["DataIntegrityProof"],
        "cryptosuite_values": ["eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019"],
    },
    "jwt_vc_json": {"alg_values": ["EdDSA", "ES256", "ES384"]},
    "dc+sd-jwt": {
        "sd-jwt_alg_values": ["EdDSA", "ES256", "ES384"],
        "kb-jwt_alg_values": ["EdDSA", "ES256", "ES384"],
    },
}
"""``client_metadata.vp_formats_supported`` (§11.1, Appendix B): what did_gov verifies."""

_CORE_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
_MAX_FORM_FIELDS: Final = 16


def kiosk_did(public_key: PublicKey) -> str:
    """The verifier's DID: the did:key of its request-signing key."""
    return did_key.did_for_public_key(public_key)


def kiosk_kid(public_key: PublicKey) -> str:
    """The DID URL of the request-signing key (the request object's ``kid``)."""
    return did_key.verification_method_id(public_key)


def client_id_for(did: str) -> str:
    """``decentralized_identifier:<did>`` (§5.9.3); the whole string is the DI ``domain`` and JWT ``aud``."""
    if not did.startswith("did:"):
        raise PresentationRequestError(f"{did!r} is not a DID", code="request.invalid")
    return CLIENT_ID_PREFIX + did


def request_object(
    *,
    client_id: str,
    response_uri: str,
    nonce: str,
    state: str,
    dcql_query: DcqlQuery | Mapping[str, Any],
    issued_at: datetime,
    expires_at: datetime,
) -> dict[str, Any]:
    """The payload of the request object (§5.1, §5.10, §8.2 ``direct_post``), as the kiosk sends it.

    ``nonce`` is fresh and single-use; ``state`` names the session the response returns to.
    """
    query = dcql_query.to_json() if isinstance(dcql_query, DcqlQuery) else dict(dcql_query)
    if not nonce or not state:
        raise PresentationRequestError("a request object needs a nonce and a state")
    return {
        "client_id": client_id,
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": response_uri,
        "nonce": nonce,
        "state": state,
        "dcql_query": query,
        "client_metadata": {"vp_formats_supported": json.loads(json.dumps(VP_FORMATS_SUPPORTED))},
        "aud": SELF_ISSUED_AUDIENCE,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }


def sign_request_object(payload: Mapping[str, Any], signer: Signer, kid: str) -> str:
    """The compact JWS of ``payload`` (header ``alg``, ``typ: oauth-authz-req+jwt``, ``kid``)."""
    header = {"alg": signer.public_key.jws_alg, "typ": REQUEST_OBJECT_TYP, "kid": kid}
    return sign_compact(header, json_bytes(dict(payload)), signer)


def authorization_request_url(
    client_id: str, request_uri: str, *, scheme: str = "openid4vp://"
) -> str:
    """``openid4vp://?client_id=…&request_uri=…`` (§5.10: the request passed by reference)."""
    return f"{scheme}?{urlencode({'client_id': client_id, 'request_uri': request_uri})}"


# -- the default query ---------------------------------------------------------------------


def _expansions(term: str, loader: OfflineDocumentLoader, contexts: Sequence[str]) -> list[str]:
    """The IRIs ``term`` expands to under the core context alone and with each other context."""
    found: dict[str, None] = {}
    for extra in (None, *contexts):
        context: Any = _CORE_CONTEXT if extra is None else [_CORE_CONTEXT, extra]
        try:
            nodes = expand({"@context": context, "type": [term]}, loader=loader)
        except DidGovError:
            continue
        for node in nodes:
            for iri in node.get("@type", []) if isinstance(node, dict) else []:
                if isinstance(iri, str) and ":" in iri:
                    found[iri] = None
    return list(found)


def accredited_types(
    types: Iterable[str], loader: OfflineDocumentLoader
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(type IRIs, vcts)`` a verifier may ask for, given the types accreditations name.

    An absolute IRI is asked for as itself. A term (trust-registry §5: it matches the
    ``type`` as written) is asked for under every IRI it expands to with the core VCDM 2.0
    context alone and beside each pinned or bundle context the loader serves (Appendix
    B.1.1: ``type_values`` are expanded IRIs). Every type is also a ``vct``, matched
    verbatim (an SD-JWT VC's ``vct`` may be a term or a URI). The base
    ``VerifiableCredential`` is left out: it needs no accreditation and selects nothing.
    """
    contexts = sorted(url for url in loader.urls if url != _CORE_CONTEXT)
    iris: dict[str, None] = {}
    vcts: dict[str, None] = {}
    for kind in types:
        if kind == BASE_TYPE or kind.endswith("#" + BASE_TYPE):
            continue
        vcts[kind] = None
        if ":" in kind:
            iris[kind] = None
        else:
            for iri in _expansions(kind, loader, contexts):
                iris[iri] = None
    return tuple(iris), tuple(vcts)


def default_dcql_query(types: Iterable[str], loader: OfflineDocumentLoader) -> DcqlQuery:
    """The kiosk's default query (``specs/kiosk.md``) for the accredited ``types``.

    ``vc-di`` (``ldp_vc``), ``vc-jwt`` (``jwt_vc_json``) and ``sd-jwt-vc``
    (``dc+sd-jwt``), in that order, and ``credential_sets: [{options: [["vc-di"],
    ["vc-jwt"], ["sd-jwt-vc"]]}]`` (:func:`~did_gov.trust.kiosk_query`).
    """
    iris, vcts = accredited_types(types, loader)
    return kiosk_query(iris, vcts)


def request_for_query(request: PresentationRequest, query_id: str) -> PresentationRequest:
    """The request narrowed to one credential query: what a presentation keyed ``query_id`` must meet.

    Raises ``PresentationRequestError`` (``request.query_unknown``) for an id the query lacks.
    """
    query = request.dcql_query.query(query_id)
    if query is None:
        raise PresentationRequestError(
            f"the vp_token names credential query {query_id!r}, which the request does not have",
            code="request.query_unknown",
        )
    return PresentationRequest(DcqlQuery((query,)), request.nonce, request.client_id)


def credential_sets_met(query: DcqlQuery, answered: Iterable[str]) -> bool:
    """§6.4.2: do the credential query ids ``answered`` meet the query's requirements?

    Without ``credential_sets`` every credential query must be answered; with them,
    one option (all its ids) of every required set.
    """
    done = set(answered)
    if query.credential_sets is None:
        return all(q.id in done for q in query.credentials)
    return all(
        any(set(option) <= done for option in s.options)
        for s in query.credential_sets
        if s.required
    )


# -- the response ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectPostResponse:
    """A wallet's ``direct_post`` (§8.2): ``state`` and the ``vp_token`` (query id → presentations).

    A presentation is a string (a compact JWS, an SD-JWT) or a JSON object (a Data
    Integrity presentation), as §8.1 and Appendix B say. ``error`` is set, and
    ``vp_token`` empty, when the wallet answered with an error response (§8.5).
    """

    state: str
    vp_token: Mapping[str, tuple[str | dict[str, Any], ...]] = field(default_factory=dict)
    error: str | None = None

    def presentations(self) -> list[tuple[str, str | dict[str, Any]]]:
        """Every ``(query id, presentation)`` in the order received."""
        return [(qid, p) for qid, items in self.vp_token.items() for p in items]


def _bad(message: str, code: str = "oid4vp.response_invalid") -> PresentationRequestError:
    return PresentationRequestError(message, code=code)


def parse_direct_post(body: bytes | str, limits: Limits = DEFAULT_LIMITS) -> DirectPostResponse:
    """Read an ``application/x-www-form-urlencoded`` ``direct_post`` body (§8.2, §8.1).

    Raises :class:`~did_gov.errors.PresentationRequestError`: ``oid4vp.response_invalid``
    (not a form, a field twice, too large), ``oid4vp.state_missing``,
    ``oid4vp.vp_token_missing`` (neither ``vp_token`` nor ``error``),
    ``oid4vp.vp_token_invalid`` (not a JSON object of non-empty arrays of strings and
    objects keyed by credential query ids).
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(raw) > limits.max_document_bytes * 2:
        raise _bad(f"the response is larger than {limits.max_document_bytes * 2} bytes")
    try:
        text = raw.decode("ascii")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_FORM_FIELDS,
        )
    except (UnicodeError, ValueError) as exc:
        raise _bad(f"the response is not a form body: {exc}") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise _bad(f"the response has {name!r} twice")
        fields[name] = value
    state = fields.get("state")
    if not state:
        raise _bad("the response has no state", code="oid4vp.state_missing")
    if "vp_token" not in fields:
        if fields.get("error"):
            return DirectPostResponse(state, {}, fields["error"])
        raise _bad("the response has no vp_token", code="oid4vp.vp_token_missing")
    return DirectPostResponse(state, _vp_token(fields["vp_token"], limits))


def _vp_token(text: str, limits: Limits) -> dict[str, tuple[str | dict[str, Any], ...]]:
    code = "oid4vp.vp_token_invalid"
    try:
        value = parse_json(text, limits)
    except DidGovError as exc:
        raise _bad(f"vp_token is not JSON: {exc.message}", code=code) from None
    if not isinstance(value, dict) or not value:
        raise _bad("vp_token must be a non-empty JSON object (§8.1)", code=code)
    if len(value) > limits.max_request_queries:
        raise _bad(f"vp_token has more than {limits.max_request_queries} entries", code=code)
    out: dict[str, tuple[str | dict[str, Any], ...]] = {}
    total = 0
    for query_id, items in value.items():
        if not isinstance(items, list) or not items:
            raise _bad(f"vp_token[{query_id!r}] must be a non-empty array (§8.1)", code=code)
        for item in items:
            if not isinstance(item, str | dict) or not item:
                raise _bad(
                    f"vp_token[{query_id!r}] holds a {type(item).__name__}: a presentation is "
                    "a string or an object",
                    code=code,
                )
        total += len(items)
        out[query_id] = tuple(items)
    if total > limits.max_credentials_per_presentation:
        raise _bad(
            f"vp_token holds more than {limits.max_credentials_per_presentation} presentations",
            code=code,
        )
    return out
