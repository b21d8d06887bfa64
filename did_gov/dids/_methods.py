"""DID methods behind one seam: did:key, did:jwk and did:web, and the default resolver."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import unquote

import base58

from did_gov._encoding import (
    b64url_decode,
    b64url_encode,
    base58btc_encode,
    multibase_decode,
    varint_decode,
    varint_encode,
)
from did_gov._json import parse_json
from did_gov._time import parse_datetime
from did_gov.dids._document import Did, DidDocument, VerificationMethod, parse_did, parse_did_url
from did_gov.errors import (
    DidGovError,
    DidResolutionError,
    InvalidDidError,
    MethodNotSupportedError,
    NetworkDisabledError,
    VerificationMethodError,
)
from did_gov.keys import KeyType, PublicKey
from did_gov.limits import Limits

__all__ = [
    "DefaultResolver",
    "DidMethod",
    "Fetcher",
    "Resolver",
    "resolve_verification_method",
]

Fetcher = Callable[[str], bytes]
"""A caller-supplied function: URL -> response body. did_gov never opens a socket itself."""

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
JWS_2020_V1 = "https://w3id.org/security/suites/jws-2020/v1"
_ALL_PURPOSES = (
    "authentication",
    "assertionMethod",
    "capabilityInvocation",
    "capabilityDelegation",
)


class Resolver(Protocol):
    """Anything that turns a DID into a validated :class:`DidDocument`."""

    def resolve(self, did: str) -> DidDocument:
        """Resolve ``did`` or raise a :class:`~did_gov.errors.DidError`."""
        ...


class DidMethod:
    """Base class of a DID method; subclasses implement ``_resolve``.

    The public :meth:`resolve` validates the DID and the returned document and
    turns any foreign exception from ``_resolve`` into DidResolutionError, so a
    plug-in cannot leak one.
    """

    name: ClassVar[str] = ""

    def resolve(self, did: str) -> DidDocument:
        """Resolve ``did`` (which must be of this method) to a validated document."""
        parsed = parse_did(did)
        if parsed.method != self.name:
            raise MethodNotSupportedError(f"{self.name} cannot resolve {did}")
        try:
            data = self._resolve(parsed)
        except DidGovError:
            raise
        except Exception as exc:  # the one seam that turns plug-in failures into ours
            raise DidResolutionError(f"resolving {did} failed: {exc}") from None
        return DidDocument.from_json(data, did)

    def _resolve(self, did: Did) -> dict[str, Any]:
        raise NotImplementedError


# --- did:key -------------------------------------------------------------------------------

_X25519_CODEC = 0xEC
_P = 2**255 - 19


def _ed25519_to_x25519(public: bytes) -> bytes:
    """The birational map from an Edwards25519 point to its Montgomery u-coordinate (RFC 7748 §4.1)."""
    y = int.from_bytes(public, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, _P - 2, _P) % _P
    return u.to_bytes(32, "little")


class DidKey(DidMethod):
    """did:key (W3C CCG did:key v0.7): the DID is the multibase Multikey public key."""

    name = "key"

    def __init__(self, layout: str = "multikey") -> None:
        if layout not in ("multikey", "legacy"):
            raise MethodNotSupportedError(f"unknown did:key layout {layout!r}")
        self.layout = layout

    @staticmethod
    def did_for_public_key(key: PublicKey) -> str:
        """The did:key for a public key."""
        return f"did:key:{key.to_multikey()}"

    @staticmethod
    def verification_method_id(key: PublicKey) -> str:
        """``did:key:<mb>#<mb>``: the verification method URL of the key."""
        mb = key.to_multikey()
        return f"did:key:{mb}#{mb}"

    def _resolve(self, did: Did) -> dict[str, Any]:
        mb = did.method_specific_id
        if not mb.startswith("z"):
            raise InvalidDidError(f"did:key identifier must be base58btc multibase: {did}")
        key = PublicKey.from_multikey(mb)
        if self.layout == "legacy":
            return _legacy_did_key_document(str(did), mb, key)
        did_str = str(did)
        vm_id = f"{did_str}#{mb}"
        document: dict[str, Any] = {
            "@context": [DID_V1, MULTIKEY_V1],
            "id": did_str,
            "verificationMethod": [
                {"id": vm_id, "type": "Multikey", "controller": did_str, "publicKeyMultibase": mb}
            ],
        }
        for purpose in _ALL_PURPOSES:
            document[purpose] = [vm_id]
        if key.key_type is KeyType.ED25519:
            x_mb = base58btc_encode(varint_encode(_X25519_CODEC) + _ed25519_to_x25519(key.raw()))
            document["keyAgreement"] = [
                {
                    "id": f"{did_str}#{x_mb}",
                    "type": "Multikey",
                    "controller": did_str,
                    "publicKeyMultibase": x_mb,
                }
            ]
        else:  # NIST curve keys agree keys (ECDH) with the key itself
            document["keyAgreement"] = [vm_id]
        return document


def _legacy_did_key_document(did: str, mb: str, key: PublicKey) -> dict[str, Any]:
    """The 2020-era did:key layout (Ed25519VerificationKey2018 / JsonWebKey2020) of the CCG vectors."""
    vm_id = f"{did}#{mb}"
    if key.key_type is KeyType.ED25519:
        x_raw = _ed25519_to_x25519(key.raw())
        x_mb = base58btc_encode(varint_encode(_X25519_CODEC) + x_raw)
        context = [
            DID_V1,
            "https://w3id.org/security/suites/ed25519-2018/v1",
            "https://w3id.org/security/suites/x25519-2019/v1",
        ]
        methods: list[dict[str, Any]] = [
            {
                "id": vm_id,
                "type": "Ed25519VerificationKey2018",
                "controller": did,
                "publicKeyBase58": base58.b58encode(key.raw()).decode(),
            },
            {
                "id": f"{did}#{x_mb}",
                "type": "X25519KeyAgreementKey2019",
                "controller": did,
                "publicKeyBase58": base58.b58encode(x_raw).decode(),
            },
        ]
    else:
        context = [DID_V1, JWS_2020_V1]
        jwk = key.to_jwk()
        methods = [
            {
                "id": vm_id,
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": {
                    "kty": jwk["kty"],
                    "crv": jwk["crv"],
                    "x": jwk["x"],
                    "y": jwk["y"],
                },
            }
        ]
    document: dict[str, Any] = {"@context": context, "id": did, "verificationMethod": methods}
    for purpose in (
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        document[purpose] = [vm_id]
    document["keyAgreement"] = [methods[1]["id"] if key.key_type is KeyType.ED25519 else vm_id]
    return document


def x25519_multikey(value: str) -> bytes:
    """Decode an X25519 Multikey (``z6LS…``) to its 32 raw bytes."""
    raw = multibase_decode(value)
    code, n = varint_decode(raw)
    if code != _X25519_CODEC or len(raw) - n != 32:
        raise VerificationMethodError("not an X25519 Multikey", code="did.vm_invalid")
    return raw[n:]


# --- did:jwk -------------------------------------------------------------------------------


class DidJwk(DidMethod):
    """did:jwk: the DID is the base64url-encoded UTF-8 JSON of a public JWK."""

    name = "jwk"

    @staticmethod
    def did_for_public_key(key: PublicKey) -> str:
        """The did:jwk for a public key (JWK members in lexicographic order, no whitespace)."""
        jwk = json.dumps(key.to_jwk(), separators=(",", ":"), sort_keys=True)
        return "did:jwk:" + b64url_encode(jwk.encode("utf-8"))

    @staticmethod
    def verification_method_id(key: PublicKey) -> str:
        """``did:jwk:<b64>#0``."""
        return DidJwk.did_for_public_key(key) + "#0"

    def _resolve(self, did: Did) -> dict[str, Any]:
        try:
            jwk = parse_json(b64url_decode(did.method_specific_id))
        except DidGovError as exc:
            raise InvalidDidError(f"did:jwk does not hold a JWK: {exc.message}") from None
        if not isinstance(jwk, dict) or "kty" not in jwk:
            raise InvalidDidError("did:jwk does not hold a JWK")
        if "d" in jwk:
            raise InvalidDidError("did:jwk holds a private key", code="did.vm_private_key")
        did_str = str(did)
        vm_id = f"{did_str}#0"
        document: dict[str, Any] = {
            "@context": [DID_V1, JWS_2020_V1],
            "id": did_str,
            "verificationMethod": [
                {"id": vm_id, "type": "JsonWebKey2020", "controller": did_str, "publicKeyJwk": jwk}
            ],
        }
        use = jwk.get("use")
        if use != "enc":
            for purpose in (
                "assertionMethod",
                "authentication",
                "capabilityInvocation",
                "capabilityDelegation",
            ):
                document[purpose] = [vm_id]
        if use != "sig":
            document["keyAgreement"] = [vm_id]
        return document


# --- did:web -------------------------------------------------------------------------------


def did_web_to_url(did: str) -> str:
    """The HTTPS URL of a did:web DID document (did:web method §3.2 Read).

    >>> did_web_to_url("did:web:w3c-ccg.github.io:user:alice")
    'https://w3c-ccg.github.io/user/alice/did.json'
    >>> did_web_to_url("did:web:example.com%3A3000")
    'https://example.com:3000/.well-known/did.json'
    """
    parsed = parse_did(did)
    if parsed.method != "web":
        raise InvalidDidError(f"not a did:web DID: {did}")
    segments = parsed.method_specific_id.split(":")
    host = _did_web_host(segments[0])
    path = segments[1:]
    for segment in path:
        # Only the port's colon is percent-decoded (did:web §3.2); other escapes stay as they
        # are in the URL path, and a segment that means "." or ".." is refused.
        if not _PATH_SEGMENT.fullmatch(segment) or unquote(segment) in (".", ".."):
            raise InvalidDidError(f"did:web path segment {segment!r} is invalid: {did}")
    suffix = "/".join(path) + "/did.json" if path else ".well-known/did.json"
    return f"https://{host}/{suffix}"


def did_web_for(domain: str, path: Iterable[str] = ()) -> str:
    """The did:web DID of a domain (``host`` or ``host:port``) and optional path segments.

    >>> did_web_for("interior.gov.example")
    'did:web:interior.gov.example'
    >>> did_web_for("gov.example:8443", ["agencies", "interior"])
    'did:web:gov.example%3A8443:agencies:interior'
    """
    host, colon, port = domain.partition(":")
    did = "did:web:" + host + (f"%3A{port}" if colon else "")
    did = ":".join([did, *path])
    did_web_to_url(did)  # refuses what is not a domain name or a valid path
    return did


def did_web_document(did: str, keys: Iterable[PublicKey]) -> dict[str, Any]:
    """The DID document an agency serves at :func:`did_web_to_url` of ``did`` (did:web §3.1).

    Each key becomes a ``Multikey`` verification method ``#key-1``, ``#key-2``, … usable
    for issuing (``assertionMethod``), presenting (``authentication``) and DID operations
    (``capabilityInvocation``, ``capabilityDelegation``); the first key is the default.

    >>> from did_gov.keys import PrivateKey
    >>> key = PrivateKey.from_seed("ed25519", bytes(32)).public_key
    >>> doc = did_web_document("did:web:interior.gov.example", [key])
    >>> doc["assertionMethod"]
    ['did:web:interior.gov.example#key-1']
    """
    did_web_to_url(did)
    methods = [
        {
            "id": f"{did}#key-{n}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.to_multikey(),
        }
        for n, key in enumerate(keys, start=1)
    ]
    if not methods:
        raise InvalidDidError("a did:web document needs at least one key")
    ids = [method["id"] for method in methods]
    document: dict[str, Any] = {"@context": [DID_V1, MULTIKEY_V1], "id": did}
    document["verificationMethod"] = methods
    for purpose in _ALL_PURPOSES:
        document[purpose] = list(ids)
    DidDocument.from_json(document)
    return document


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)
_PATH_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=@-]|%[0-9A-Fa-f]{2})+", re.ASCII)


_HEX_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]*", re.ASCII)


def _ends_in_a_number(label: str) -> bool:
    """WHATWG URL "ends in a number": a last label of digits or ``0x``-hex makes the host IPv4.

    A URL parser (and every HTTP client that follows it) reads ``0x7f000001``,
    ``2130706433``, ``127.1`` and ``0177.0.0.1`` as 127.0.0.1, so none is a domain name.
    """
    return label.isdigit() or _HEX_NUMBER.fullmatch(label) is not None


def _did_web_host(encoded: str) -> str:
    """The domain (and ``:port``) of a did:web DID: a DNS name, never an IP address (§3.1)."""
    name, _, port = encoded.partition("%3A") if "%3A" in encoded else encoded.partition("%3a")
    labels = name.rstrip(".").split(".")
    if (
        not name
        or len(name) > 253
        or not all(_LABEL.fullmatch(label) for label in labels)
        or _ends_in_a_number(labels[-1])  # an IPv4 address in some spelling
        or (port and (not port.isdigit() or not 0 < int(port) < 65536))
    ):
        raise InvalidDidError(f"did:web host {unquote(encoded)!r} is not a domain name")
    return f"{name}:{port}" if port else name


class DidWeb(DidMethod):
    """did:web, resolved through a caller-supplied fetcher and a cache (offline when only cached)."""

    name = "web"

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        cache: MutableMapping[str, dict[str, Any]] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.cache: MutableMapping[str, dict[str, Any]] = cache if cache is not None else {}
        self.limits = limits or Limits()

    def _resolve(self, did: Did) -> dict[str, Any]:
        did_str = str(did)
        cached = self.cache.get(did_str)
        if cached is not None:
            return cached
        url = did_web_to_url(did_str)
        if self.fetcher is None:
            raise NetworkDisabledError(
                f"{did_str} is not cached and no fetcher was given (would fetch {url})"
            )
        body = self.fetcher(url)
        if not isinstance(body, bytes | bytearray):
            raise DidResolutionError(f"fetcher returned {type(body).__name__}, not bytes")
        document = parse_json(bytes(body), self.limits)
        if not isinstance(document, dict) or document.get("id") != did_str:
            raise DidResolutionError(
                f"document at {url} is not the DID document of {did_str}",
                code="did.document_id_mismatch",
            )
        self.cache[did_str] = document
        return document


# --- the resolver --------------------------------------------------------------------------


class DefaultResolver:
    """Resolves did:key and did:jwk offline, and did:web from its cache or an injected fetcher.

    >>> DefaultResolver().resolve("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp").id
    'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'
    """

    def __init__(
        self,
        *,
        fetcher: Fetcher | None = None,
        cache: MutableMapping[str, dict[str, Any]] | None = None,
        methods: Iterable[DidMethod] | None = None,
    ) -> None:
        self.web = DidWeb(fetcher, cache)
        self._methods: dict[str, DidMethod] = {}
        for method in methods if methods is not None else (DidKey(), DidJwk(), self.web):
            self.register(method)
        self._documents: dict[str, DidDocument] = {}

    def register(self, method: DidMethod) -> None:
        """Add or replace the handler of one DID method."""
        if not method.name:
            raise MethodNotSupportedError("a DID method needs a name")
        self._methods[method.name] = method

    def handler(self, method: str) -> DidMethod | None:
        """The handler registered for the DID method ``method`` (e.g. ``"gov"``), or None."""
        return self._methods.get(method)

    def preload(self, document: dict[str, Any]) -> None:
        """Put a did:web document in the cache (for kiosks and trust bundles)."""
        checked = DidDocument.from_json(document)
        self.web.cache[checked.id] = document

    def resolve(self, did: str) -> DidDocument:
        """Resolve ``did`` with the handler of its method."""
        cached = self._documents.get(did)
        if cached is not None:
            return cached
        parsed = parse_did(did)
        method = self._methods.get(parsed.method)
        if method is None:
            raise MethodNotSupportedError(f"no resolver for did:{parsed.method}")
        document = method.resolve(did)
        if parsed.method in ("key", "jwk") and len(self._documents) < 4096:
            self._documents[did] = document  # deterministic methods: the answer never changes
        return document


def resolve_verification_method(
    resolver: Resolver,
    vm_url: str,
    *,
    purpose: str | None = None,
    now: datetime | None = None,
) -> VerificationMethod:
    """Dereference a DID URL to a verification method authorized for ``purpose`` (DID Core §7.2).

    The method's ``controller`` must be the DID whose document lists it (Controlled
    Identifiers 1.0 §3.3 Retrieve Verification Method), so a document cannot lend its key
    to another DID. With ``now``, a method ``revoked`` or ``expires`` at or before ``now``
    is refused (CID 1.0 §2.2).
    """
    url = parse_did_url(vm_url)
    if url.fragment is None:
        raise VerificationMethodError(f"{vm_url} has no fragment", code="did.vm_not_found")
    document = resolver.resolve(str(url.did))
    method = document.verification_method(vm_url)
    if method.controller != document.id:
        raise VerificationMethodError(
            f"{method.id} names {method.controller} as controller, not {document.id}",
            code="did.vm_controller_mismatch",
        )
    if purpose is not None and not document.is_authorized(method.id, purpose):
        raise VerificationMethodError(
            f"{method.id} is not authorized for {purpose} by {document.id}",
            code="did.vm_not_authorized",
        )
    if document.deactivated:
        raise VerificationMethodError(f"{document.id} is deactivated", code="did.deactivated")
    if now is not None:
        for member, code in (("revoked", "did.vm_revoked"), ("expires", "did.vm_expired")):
            if member in method.data:
                when = parse_datetime(method.data[member], field=member)
                if when <= now:
                    raise VerificationMethodError(
                        f"{method.id} {member} at {method.data[member]}", code=code
                    )
    return method
