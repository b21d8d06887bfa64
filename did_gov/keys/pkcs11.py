"""Keys in a PKCS#11 token (an HSM, a smart card, SoftHSM2): :class:`Pkcs11Signer` and RFC 7512 URIs.

The private key never leaves the token: did_gov asks the token to sign
(``CKM_EDDSA`` for Ed25519; ``CKM_ECDSA`` over a SHA-256 / SHA-384 digest for
P-256 / P-384, whose ``r‖s`` output is what a :class:`~did_gov.keys.Signer`
returns) and reads the public key from the token's public key object. The
binding (the ``did-gov[hsm]`` extra, python-pkcs11) is imported on first use.

A key is named by an RFC 7512 URI, ``pkcs11:token=agency;object=signing-2025``
(path attributes ``token``, ``object``, ``id``, ``type``, ``manufacturer``,
``model``, ``serial``, ``slot-id``; query attributes ``module-path``,
``pin-value``, ``pin-source``). The module and the PIN default to the
environment variables ``DID_GOV_PKCS11_MODULE`` and ``DID_GOV_PKCS11_PIN``.

>>> uri = parse_pkcs11_uri("pkcs11:token=agency;object=signing%202025;id=%01%02")
>>> uri.token, uri.object, uri.id
('agency', 'signing 2025', b'\\x01\\x02')
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from did_gov.errors import DidGovError, HsmError, InvalidInputError
from did_gov.keys._keys import KeyType, PublicKey

__all__ = [
    "MODULE_ENV",
    "PIN_ENV",
    "Pkcs11Signer",
    "Pkcs11Uri",
    "parse_pkcs11_uri",
]

MODULE_ENV = "DID_GOV_PKCS11_MODULE"
"""The environment variable naming the PKCS#11 module (a shared library) when the URI does not."""
PIN_ENV = "DID_GOV_PKCS11_PIN"
"""The environment variable holding the user PIN when the URI does not."""

_PATH_ATTRS = {"token", "object", "id", "type", "manufacturer", "model", "serial", "slot-id"}
_QUERY_ATTRS = {"module-path", "module-name", "pin-value", "pin-source"}
_CURVES = {
    "secp256r1": KeyType.P256,
    "1.2.840.10045.3.1.7": KeyType.P256,
    "secp384r1": KeyType.P384,
    "1.3.132.0.34": KeyType.P384,
}
_ED25519_PARAMS = {"1.3.101.112", "edwards25519", "ed25519"}


@dataclass(frozen=True)
class Pkcs11Uri:
    """A parsed RFC 7512 ``pkcs11:`` URI naming one private key (secrets are not in ``repr``)."""

    token: str | None = None
    object: str | None = None
    id: bytes | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    slot_id: int | None = None
    module_path: str | None = None
    pin_value: str | None = None
    pin_source: str | None = None

    def __repr__(self) -> str:
        return (
            f"Pkcs11Uri(token={self.token!r}, object={self.object!r}, "
            f"id={self.id.hex() if self.id else None}, module_path={self.module_path!r})"
        )


def _uri_error(message: str) -> InvalidInputError:
    return InvalidInputError(f"pkcs11 URI: {message}", code="pkcs11.uri_invalid")


def _split(part: str, separator: str, allowed: set[str], what: str) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for item in filter(None, part.split(separator)):
        name, eq, value = item.partition("=")
        if not eq:
            raise _uri_error(f"{what} attribute {name!r} has no value")
        if name not in allowed:
            # RFC 7512 §2.3: a URI with an attribute we cannot honour must not match
            # some other key instead; refuse rather than ignore it.
            raise _uri_error(f"unsupported {what} attribute {name!r}")
        if name in values:
            raise _uri_error(f"{what} attribute {name!r} is repeated")
        try:
            values[name] = unquote_to_bytes(value)
        except ValueError:
            raise _uri_error(f"bad percent-encoding in {name!r}") from None
    return values


def _text(values: dict[str, bytes], name: str) -> str | None:
    raw = values.get(name)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _uri_error(f"{name!r} is not UTF-8") from None


def parse_pkcs11_uri(uri: str) -> Pkcs11Uri:
    """Parse an RFC 7512 URI (``pkcs11:path-attrs?query-attrs``); raises ``pkcs11.uri_invalid``."""
    if not isinstance(uri, str) or not uri.startswith("pkcs11:"):
        raise _uri_error("a PKCS#11 URI starts with 'pkcs11:'")
    path, _, query = uri[len("pkcs11:") :].partition("?")
    attrs = _split(path, ";", _PATH_ATTRS, "path")
    options = _split(query, "&", _QUERY_ATTRS, "query")
    kind = _text(attrs, "type")
    if kind not in (None, "private"):
        raise _uri_error(f"type={kind!r}: a signing key is type=private")
    if "module-name" in options:
        raise _uri_error("module-name is not supported: give module-path or $" + MODULE_ENV)
    slot = _text(attrs, "slot-id")
    if slot is not None and not slot.isdigit():
        raise _uri_error("slot-id is a decimal number")
    parsed = Pkcs11Uri(
        token=_text(attrs, "token"),
        object=_text(attrs, "object"),
        id=attrs.get("id"),
        manufacturer=_text(attrs, "manufacturer"),
        model=_text(attrs, "model"),
        serial=_text(attrs, "serial"),
        slot_id=int(slot) if slot is not None else None,
        module_path=_text(options, "module-path"),
        pin_value=_text(options, "pin-value"),
        pin_source=_text(options, "pin-source"),
    )
    if parsed.object is None and parsed.id is None:
        raise _uri_error("name the key with object= (its label) or id=")
    return parsed


_LIBS: dict[str, Any] = {}
_LIBS_LOCK = threading.Lock()


def _binding() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise HsmError(
            "PKCS#11 support needs the did-gov[hsm] extra (python-pkcs11)",
            code="pkcs11.unavailable",
        ) from None
    return pkcs11


def _library(module: str) -> Any:
    """The loaded PKCS#11 module, one per path and process (C_Initialize runs once)."""
    pkcs11 = _binding()
    with _LIBS_LOCK:
        lib = _LIBS.get(module)
        if lib is None:
            if not Path(module).is_file():
                raise HsmError(f"PKCS#11 module {module!r} not found", code="pkcs11.module_missing")
            try:
                lib = pkcs11.lib(module)
            except pkcs11.exceptions.PKCS11Error as exc:
                raise HsmError(
                    f"cannot load PKCS#11 module {module!r}: {type(exc).__name__}",
                    code="pkcs11.module_missing",
                ) from None
            _LIBS[module] = lib
        return lib


def _pin(uri: Pkcs11Uri, pin: str | None) -> str | None:
    if pin is not None:
        return pin
    if uri.pin_value is not None:
        return uri.pin_value
    if uri.pin_source is not None:
        source = uri.pin_source.removeprefix("file:")
        try:
            return Path(source).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise HsmError(
                f"cannot read pin-source {source!r}: {exc.strerror}", code="pkcs11.pin_incorrect"
            ) from None
    return os.environ.get(PIN_ENV)


def open_session(token: Any, pin: str | None, *, rw: bool = False) -> Any:
    """A session on ``token``, logged in with ``pin``.

    PKCS#11 logs in per application, not per session: while another session of
    this process is logged in to the token, a new one shares that login (the PIN
    is only checked by the first).
    """
    pkcs11 = _binding()
    try:
        return token.open(rw=rw, user_pin=pin)
    except pkcs11.exceptions.UserAlreadyLoggedIn:
        return token.open(rw=rw)


def _octets(value: bytes, expected: int) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING around the point (some tokens omit the wrapper)."""
    from asn1crypto.core import OctetString

    if len(value) == expected:
        return value
    try:
        inner: bytes = OctetString.load(value).native
    except ValueError:
        raise HsmError("the token's public key is not a DER OCTET STRING") from None
    return inner


def _curve(params: bytes) -> str:
    from asn1crypto.core import ObjectIdentifier, PrintableString

    for kind in (ObjectIdentifier, PrintableString):
        try:
            return str(kind.load(params).native)
        except ValueError:
            continue
    raise HsmError("the token's EC_PARAMS are neither an OID nor a curve name")


class Pkcs11Signer:
    """A :class:`~did_gov.keys.Signer` over a private key in a PKCS#11 token.

    Open it from a URI (:meth:`from_uri`); use it as a context manager, or
    :meth:`close` it, to end its session. Signing is serialized by a lock (a
    PKCS#11 session serves one operation at a time). Errors are
    :class:`~did_gov.errors.HsmError` with a ``pkcs11.*`` code.
    """

    def __init__(
        self, uri: Pkcs11Uri, *, module: str | None = None, pin: str | None = None
    ) -> None:
        path = module or uri.module_path or os.environ.get(MODULE_ENV)
        if not path:
            raise HsmError(
                f"no PKCS#11 module: set ${MODULE_ENV} or module-path= in the URI",
                code="pkcs11.module_missing",
            )
        pkcs11 = _binding()
        self.uri = uri
        self._lock = threading.Lock()
        try:
            token = self._token(_library(path), uri)
            self._session = open_session(token, _pin(uri, pin))
        except DidGovError:
            raise
        except pkcs11.exceptions.PinIncorrect:
            raise HsmError("the PKCS#11 PIN is incorrect", code="pkcs11.pin_incorrect") from None
        except pkcs11.exceptions.PinLocked:
            raise HsmError(
                "the PKCS#11 token's PIN is locked", code="pkcs11.pin_incorrect"
            ) from None
        except pkcs11.exceptions.PKCS11Error as exc:
            raise HsmError(f"cannot open the PKCS#11 token: {type(exc).__name__}") from None
        try:
            self._private, self._public, self._mechanism = self._find_key(token)
        except BaseException:
            self._session.close()
            raise

    @classmethod
    def from_uri(
        cls, uri: str, *, module: str | None = None, pin: str | None = None
    ) -> Pkcs11Signer:
        """Open the key an RFC 7512 URI names (module and PIN: arguments, URI, then environment)."""
        return cls(parse_pkcs11_uri(uri), module=module, pin=pin)

    @staticmethod
    def _token(lib: Any, uri: Pkcs11Uri) -> Any:
        matches = []
        for slot in lib.get_slots(token_present=True):
            if uri.slot_id is not None and slot.slot_id != uri.slot_id:
                continue
            token = slot.get_token()
            wanted = {
                "label": uri.token,
                "manufacturer_id": uri.manufacturer,
                "model": uri.model,
                "serial": uri.serial,
            }
            if all(
                value is None or _token_text(getattr(token, name)) == value
                for name, value in wanted.items()
            ):
                matches.append(token)
        if not matches:
            raise HsmError(f"no PKCS#11 token matches {uri!r}", code="pkcs11.token_not_found")
        if len(matches) > 1:
            raise HsmError(
                f"{len(matches)} PKCS#11 tokens match {uri!r}: add token= or serial=",
                code="pkcs11.key_ambiguous",
            )
        return matches[0]

    def _find_key(self, token: Any) -> tuple[Any, PublicKey, Any]:
        pkcs11 = _binding()
        from pkcs11 import Attribute, Mechanism, ObjectClass
        from pkcs11 import KeyType as P11KeyType

        query = {"label": self.uri.object, "id": self.uri.id}
        try:
            private = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, **query)
            public = self._session.get_key(object_class=ObjectClass.PUBLIC_KEY, **query)
        except pkcs11.exceptions.NoSuchKey:
            raise HsmError(
                f"no private and public key pair matches {self.uri!r}", code="pkcs11.key_not_found"
            ) from None
        except pkcs11.exceptions.MultipleObjectsReturned:
            raise HsmError(
                f"several keys match {self.uri!r}: add id= or object=", code="pkcs11.key_ambiguous"
            ) from None
        if public.key_type == P11KeyType.EC_EDWARDS:
            curve = _curve(public[Attribute.EC_PARAMS])
            if curve not in _ED25519_PARAMS:
                raise HsmError(f"unsupported Edwards curve {curve}", code="pkcs11.key_unsupported")
            key_type, mechanism = KeyType.ED25519, Mechanism.EDDSA
            raw = _octets(public[Attribute.EC_POINT], 32)
        elif public.key_type == P11KeyType.EC:
            curve = _curve(public[Attribute.EC_PARAMS])
            if curve not in _CURVES:
                raise HsmError(f"unsupported EC curve {curve}", code="pkcs11.key_unsupported")
            key_type, mechanism = _CURVES[curve], Mechanism.ECDSA
            raw = _octets(public[Attribute.EC_POINT], 65 if key_type is KeyType.P256 else 97)
        else:
            raise HsmError(
                f"a {public.key_type.name} key cannot sign here (Ed25519, P-256, P-384 only)",
                code="pkcs11.key_unsupported",
            )
        if mechanism not in token.slot.get_mechanisms():
            raise HsmError(
                f"the token does not offer {mechanism.name} for {key_type.value} keys",
                code="pkcs11.mechanism_unsupported",
            )
        return private, PublicKey.from_raw(key_type, raw), mechanism

    @property
    def public_key(self) -> PublicKey:
        """The public key, as read from the token's public key object."""
        return self._public

    def sign(self, data: bytes) -> bytes:
        """Sign in the token: Ed25519 over ``data``, or ECDSA over its SHA-256/384 digest (``r‖s``)."""
        pkcs11 = _binding()
        key_type = self._public.key_type
        if key_type is KeyType.ED25519:
            message = bytes(data)
        else:
            message = hashlib.new(key_type.hash_name, bytes(data)).digest()
        try:
            with self._lock:
                signature: bytes = self._private.sign(message, mechanism=self._mechanism)
        except pkcs11.exceptions.PKCS11Error as exc:
            raise HsmError(f"the token failed to sign: {type(exc).__name__}") from None
        return signature

    def close(self) -> None:
        """End the session with the token."""
        self._session.close()

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Pkcs11Signer({self.uri!r}, {self._public!r})"


def _token_text(value: Any) -> str:
    """Token info fields are blank-padded; python-pkcs11 gives str or bytes."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).rstrip(" \x00")
