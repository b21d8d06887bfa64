"""DID syntax (DID Core §3), DID documents and verification methods (§5)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import base58

from did_gov.errors import (
    DidGovError,
    DidResolutionError,
    InvalidDidError,
    VerificationMethodError,
)
from did_gov.keys import PublicKey
from did_gov.keys._keys import KeyType

__all__ = [
    "PURPOSES",
    "Did",
    "DidDocument",
    "DidUrl",
    "VerificationMethod",
    "parse_did",
    "parse_did_url",
]

PURPOSES = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)

# DID Core §3.1: did = "did:" method-name ":" method-specific-id
_PCT = r"%[0-9A-Fa-f]{2}"
_IDCHAR = rf"(?:[A-Za-z0-9._-]|{_PCT})"
_DID = re.compile(rf"did:(?P<method>[a-z0-9]+):(?P<msid>(?:{_IDCHAR}*:)*{_IDCHAR}+)")
# RFC 3986 path-abempty / query / fragment characters.
_PCHAR = rf"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|{_PCT})"
_DID_URL = re.compile(
    rf"(?P<did>did:[a-z0-9]+:(?:{_IDCHAR}*:)*{_IDCHAR}+)"
    rf"(?P<path>(?:/{_PCHAR}*)*)"
    rf"(?:\?(?P<query>(?:{_PCHAR}|[/?])*))?"
    rf"(?:#(?P<fragment>(?:{_PCHAR}|[/?])*))?"
)
# The same two grammars for text without "%" (no percent-encoding): character classes instead
# of alternations, which Python's regex engine runs several times faster. A run of idchars
# and colons that ends in an idchar is exactly ``(idchar* ":")* idchar+``. Held equal to the
# grammars above by a property test.
_ID = "A-Za-z0-9._"  # and "-", written last in each class
_P = "A-Za-z0-9._~!$&'()*+,;=:@"
_DID_PLAIN = re.compile(rf"did:(?P<method>[a-z0-9]+):(?P<msid>[{_ID}:-]*[{_ID}-])")
_DID_URL_PLAIN = re.compile(
    rf"(?P<did>did:[a-z0-9]+:[{_ID}:-]*[{_ID}-])"
    rf"(?P<path>(?:/[{_P}/-]*)?)"
    rf"(?:\?(?P<query>[{_P}/?-]*))?"
    rf"(?:#(?P<fragment>[{_P}/?-]*))?"
)


@dataclass(frozen=True)
class Did:
    """A parsed DID: ``did:<method>:<method-specific-id>``."""

    method: str
    method_specific_id: str

    def __str__(self) -> str:
        return f"did:{self.method}:{self.method_specific_id}"


@dataclass(frozen=True)
class DidUrl:
    """A parsed DID URL: a DID plus optional path, query and fragment."""

    did: Did
    path: str = ""
    query: str | None = None
    fragment: str | None = None

    def __str__(self) -> str:
        out = str(self.did) + self.path
        if self.query is not None:
            out += "?" + self.query
        if self.fragment is not None:
            out += "#" + self.fragment
        return out


def parse_did(text: object) -> Did:
    """Parse a DID strictly (DID Core §3.1); raise InvalidDidError otherwise.

    >>> parse_did("did:web:example.com").method
    'web'
    """
    if not isinstance(text, str):
        raise InvalidDidError("a DID is a string")
    match = (_DID if "%" in text else _DID_PLAIN).fullmatch(text)
    if match is None:
        raise InvalidDidError(f"not a valid DID: {text[:80]!r}")
    return Did(match["method"], match["msid"])


def parse_did_url(text: object) -> DidUrl:
    """Parse a DID URL strictly (DID Core §3.2); raise InvalidDidError otherwise."""
    if not isinstance(text, str):
        raise InvalidDidError("a DID URL is a string")
    match = (_DID_URL if "%" in text else _DID_URL_PLAIN).fullmatch(text)
    if match is None:
        raise InvalidDidError(f"not a valid DID URL: {text[:80]!r}")
    return DidUrl(parse_did(match["did"]), match["path"], match["query"], match["fragment"])


def _public_key_of(method: Mapping[str, Any]) -> PublicKey | None:
    """The signature key of a verification method, or None for key types we do not verify with."""
    kind = method.get("type")
    if "publicKeyMultibase" in method:
        value = method["publicKeyMultibase"]
        if kind == "Ed25519VerificationKey2020":
            raw = _multibase_ed25519(value)
            return PublicKey.from_raw(KeyType.ED25519, raw)
        if kind == "Multikey":
            try:
                return PublicKey.from_multikey(value)
            except DidGovError as exc:
                if exc.code == "alg.unsupported":
                    return None
                raise
        return None
    if "publicKeyJwk" in method:
        jwk = method["publicKeyJwk"]
        if not isinstance(jwk, dict):
            raise VerificationMethodError("publicKeyJwk must be an object", code="did.vm_invalid")
        if "d" in jwk:
            raise VerificationMethodError(
                "publicKeyJwk carries a private key member 'd'", code="did.vm_private_key"
            )
        if jwk.get("kty") in ("OKP", "EC") and jwk.get("crv") in ("Ed25519", "P-256", "P-384"):
            return PublicKey.from_jwk(jwk)
        return None
    if "publicKeyBase58" in method and kind == "Ed25519VerificationKey2018":
        try:
            raw = bytes(base58.b58decode(method["publicKeyBase58"]))
        except (ValueError, TypeError):
            raise VerificationMethodError(
                "publicKeyBase58 is not base58", code="did.vm_invalid"
            ) from None
        return PublicKey.from_raw(KeyType.ED25519, raw)
    return None


def _multibase_ed25519(value: Any) -> bytes:
    from did_gov._encoding import multibase_decode

    raw = multibase_decode(value)
    if len(raw) == 34 and raw[:2] == b"\xed\x01":
        return raw[2:]
    return raw


@dataclass(frozen=True)
class VerificationMethod:
    """A verification method of a DID document, with its parsed key when we support its type."""

    id: str
    type: str
    controller: str
    public_key: PublicKey | None
    data: Mapping[str, Any] = field(repr=False)

    @property
    def dated(self) -> bool:
        """Whether it carries ``revoked`` or ``expires``: whether it may be used depends on the
        time, so a judgement of it holds only for the moment it was made (never cached)."""
        return "revoked" in self.data or "expires" in self.data

    @classmethod
    def from_json(cls, data: Any, base: str) -> VerificationMethod:
        """Parse a verification method map; relative ``id``s resolve against the document ``base``."""
        if not isinstance(data, dict):
            raise VerificationMethodError(
                "a verification method is an object", code="did.vm_invalid"
            )
        vm_id, kind, controller = data.get("id"), data.get("type"), data.get("controller")
        if (
            not isinstance(vm_id, str)
            or not isinstance(kind, str)
            or not isinstance(controller, str)
        ):
            raise VerificationMethodError(
                "a verification method needs string id, type and controller", code="did.vm_invalid"
            )
        absolute = _absolute(vm_id, base)
        parse_did_url(absolute)
        parse_did(controller)
        return cls(absolute, kind, controller, _public_key_of(data), data)


def _absolute(ref: str, base: str) -> str:
    if ref.startswith("#"):
        return base + ref
    return ref


@dataclass(frozen=True)
class DidDocument:
    """A resolved DID document (DID Core §5), validated against the DID it was resolved for."""

    id: str
    data: Mapping[str, Any] = field(repr=False)
    deactivated: bool = False
    _methods: tuple[VerificationMethod, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def from_json(
        cls, data: Any, did: str | None = None, *, deactivated: bool = False
    ) -> DidDocument:
        """Validate a DID document; its ``id`` must equal ``did`` when given."""
        if not isinstance(data, dict):
            raise DidResolutionError("a DID document is a JSON object", code="did.document_invalid")
        doc_id = data.get("id")
        parse_did(doc_id)
        if did is not None and doc_id != did:
            raise DidResolutionError(
                f"DID document id {doc_id!r} does not match {did}", code="did.document_id_mismatch"
            )
        document = cls(str(doc_id), data, deactivated)
        document.verification_methods()
        return document

    @property
    def controllers(self) -> tuple[str, ...]:
        """The document's controllers (the DID itself when none is named)."""
        value = self.data.get("controller", self.id)
        return tuple(value) if isinstance(value, list) else (str(value),)

    def verification_methods(self) -> tuple[VerificationMethod, ...]:
        """Every verification method, embedded ones in relationships included.

        Parsed once per document object (a resolver may hand out the same one
        many times); the document is a value, so the parse cannot go stale.
        """
        methods = self._methods
        if methods is None:
            methods = self._parse_methods()
            object.__setattr__(self, "_methods", methods)
        return methods

    def _parse_methods(self) -> tuple[VerificationMethod, ...]:
        found: list[VerificationMethod] = []
        for entry in _as_list(self.data.get("verificationMethod", [])):
            found.append(VerificationMethod.from_json(entry, self.id))
        for purpose in PURPOSES:
            for entry in _as_list(self.data.get(purpose, [])):
                if isinstance(entry, dict):
                    found.append(VerificationMethod.from_json(entry, self.id))
                elif not isinstance(entry, str):
                    raise DidResolutionError(
                        f"{purpose} entries are strings or objects", code="did.document_invalid"
                    )
        return tuple(found)

    def verification_method(self, ref: str) -> VerificationMethod:
        """Dereference a (relative or absolute) DID URL to one of this document's methods."""
        target = _absolute(ref, self.id)
        for method in self.verification_methods():
            if method.id == target:
                return method
        raise VerificationMethodError(
            f"{target} is not a verification method of {self.id}", code="did.vm_not_found"
        )

    def is_authorized(self, vm_id: str, purpose: str) -> bool:
        """True when the document lists ``vm_id`` under the verification relationship ``purpose``."""
        if purpose not in PURPOSES:
            return False
        target = _absolute(vm_id, self.id)
        for entry in _as_list(self.data.get(purpose, [])):
            ref = entry.get("id") if isinstance(entry, dict) else entry
            if isinstance(ref, str) and _absolute(ref, self.id) == target:
                return True
        return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
