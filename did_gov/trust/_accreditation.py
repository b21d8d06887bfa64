"""Accreditation records (``specs/trust-registry.md`` §2–3): who may issue what, when, signed.

An :class:`Accreditation` says that an ``authority`` (a DID) accredits an ``issuer`` (a DID,
or an https URL naming a non-DID issuer together with its JWKs) for credential ``types``
within a validity window, optionally letting it accredit others (``may_accredit``,
``max_path_length``) and publish status lists for other issuers (``status_for``). It is
signed by one of the authority's verification methods over a domain-separated JCS
serialization, so it can be anchored and carried in a trust bundle unchanged.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov._time import format_datetime, parse_datetime
from did_gov.dids import DefaultResolver, Resolver, parse_did, resolve_verification_method
from did_gov.errors import DidGovError, InvalidInputError, TrustError
from did_gov.jsonld import jcs
from did_gov.keys import PublicKey, Signer

__all__ = [
    "MAX_TYPES",
    "Accreditation",
    "KeyWindow",
    "SignedAccreditation",
    "StatusChange",
    "sign_accreditation",
]

MAX_TYPES: Final = 256
"""Most entries in ``types``, ``statusFor``, ``keys``, ``issuerJwks`` or ``statusHistory``."""

_DOMAIN: Final = b"did-gov accreditation v1\n"
_STATUSES: Final = ("active", "suspended", "revoked")
_MEMBERS: Final = {
    "type",
    "version",
    "authority",
    "issuer",
    "issuerJwks",
    "name",
    "nameZh",
    "types",
    "validFrom",
    "validUntil",
    "mayAccredit",
    "maxPathLength",
    "statusFor",
    "keys",
    "statusHistory",
    "issued",
}
_REQUIRED: Final = {"type", "version", "authority", "issuer", "types", "validFrom", "issued"}


def _bad(message: str) -> TrustError:
    return TrustError(message, code="trust.accreditation_invalid")


def _string(value: object, what: str, limit: int = 2048) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise _bad(f"{what} must be a non-empty printable string of at most {limit} characters")
    return value


def _strings(value: object, what: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_TYPES or (not value and not allow_empty):
        raise _bad(f"{what} must be a list of 1 to {MAX_TYPES} strings")
    items = tuple(_string(v, what) for v in value)
    if len(set(items)) != len(items):
        raise _bad(f"{what} lists a value twice")
    return items


def parse_time(value: object, what: str, code: str = "trust.accreditation_invalid") -> datetime:
    """A dateTimeStamp member of a trust file; TrustError with ``code`` when it is not one."""
    try:
        return parse_datetime(value, field=what)
    except DidGovError as exc:
        raise TrustError(f"{what}: {exc}", code=code) from None


_time = parse_time


def _is_did(value: str) -> bool:
    try:
        parse_did(value)
    except DidGovError:
        return False
    return True


def _check_issuer(value: object) -> str:
    issuer = _string(value, "issuer")
    if not _is_did(issuer) and not issuer.startswith("https://"):
        raise _bad(f"issuer {issuer!r} is neither a DID nor an https URL")
    return issuer


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= moment) and (end is None or moment < end)


@dataclass(frozen=True)
class KeyWindow:
    """One issuer key the accreditation allows, by id (VM id, ``kid`` or JWK thumbprint), and when."""

    id: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        """Whether this key may sign at ``moment``."""
        return _within(moment, self.valid_from, self.valid_until)

    def to_json(self) -> dict[str, str]:
        """The ``keys`` entry."""
        out = {"id": self.id}
        if self.valid_from is not None:
            out["validFrom"] = format_datetime(self.valid_from)
        if self.valid_until is not None:
            out["validUntil"] = format_datetime(self.valid_until)
        return out

    @classmethod
    def from_json(cls, value: object) -> KeyWindow:
        """Parse a ``keys`` entry strictly."""
        if not isinstance(value, dict) or not {"id"} <= set(value) <= {
            "id",
            "validFrom",
            "validUntil",
        }:
            raise _bad("a keys entry is {id, validFrom?, validUntil?}")
        start = _time(value["validFrom"], "validFrom") if "validFrom" in value else None
        end = _time(value["validUntil"], "validUntil") if "validUntil" in value else None
        if start is not None and end is not None and end < start:
            raise _bad("a key's validUntil is before its validFrom")
        return cls(_string(value["id"], "keys.id"), start, end)


@dataclass(frozen=True)
class StatusChange:
    """One entry of an accreditation's status history: ``status`` from ``since`` on."""

    status: str
    since: datetime
    reason: str | None = None

    def to_json(self) -> dict[str, str]:
        """The ``statusHistory`` entry."""
        out = {"status": self.status, "since": format_datetime(self.since)}
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_json(cls, value: object) -> StatusChange:
        """Parse a ``statusHistory`` entry strictly."""
        if not isinstance(value, dict) or not {"status", "since"} <= set(value) <= {
            "status",
            "since",
            "reason",
        }:
            raise _bad("a statusHistory entry is {status, since, reason?}")
        if value["status"] not in _STATUSES:
            raise _bad(f"status must be one of {', '.join(_STATUSES)}")
        reason = _string(value["reason"], "reason") if "reason" in value else None
        return cls(value["status"], _time(value["since"], "since"), reason)


@dataclass(frozen=True)
class Accreditation:
    """An authority's statement that ``issuer`` may issue ``types`` within a window.

    Build one with keyword arguments and sign it with :func:`sign_accreditation`.

    >>> from datetime import UTC, datetime
    >>> a = Accreditation(authority="did:key:z6MkA", issuer="did:web:ministry.example",
    ...     types=("BirthCertificateCredential",), valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    ...     issued=datetime(2026, 1, 1, tzinfo=UTC), name="Ministry", name_zh="部")
    >>> Accreditation.from_json(a.to_json()) == a
    True
    """

    authority: str
    issuer: str
    types: tuple[str, ...]
    valid_from: datetime
    issued: datetime
    valid_until: datetime | None = None
    name: str | None = None
    name_zh: str | None = None
    issuer_jwks: tuple[Mapping[str, Any], ...] = ()
    may_accredit: bool = False
    max_path_length: int | None = None
    status_for: tuple[str, ...] = ()
    keys: tuple[KeyWindow, ...] | None = None
    status_history: tuple[StatusChange, ...] = ()
    _thumbprints: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _is_did(_string(self.authority, "authority")):
            raise _bad(f"authority {self.authority!r} is not a DID")
        _check_issuer(self.issuer)
        if not isinstance(self.types, tuple) or not self.types:
            raise _bad("types must be a non-empty tuple")
        _strings(list(self.types), "types")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise _bad("validUntil is before validFrom (a window in the past is allowed)")
        if self.max_path_length is not None and (
            not self.may_accredit
            or not isinstance(self.max_path_length, int)
            or isinstance(self.max_path_length, bool)
            or not 0 <= self.max_path_length <= 32
        ):
            raise _bad("maxPathLength is an integer 0..32, and needs mayAccredit")
        _strings(list(self.status_for), "statusFor", allow_empty=True)
        for other in self.status_for:
            _check_issuer(other)
        history = self.status_history
        if any(a.since > b.since for a, b in itertools.pairwise(history)):
            raise _bad("statusHistory must be in time order")
        thumbprints = set()
        if _is_did(self.issuer):
            if self.issuer_jwks:
                raise _bad("issuerJwks are only for a non-DID issuer (a DID names its own keys)")
        else:
            if not self.issuer_jwks:
                raise _bad(f"the non-DID issuer {self.issuer} needs its issuerJwks")
            for jwk in self.issuer_jwks:
                try:
                    key = PublicKey.from_jwk(dict(jwk))
                except DidGovError as exc:
                    raise _bad(f"issuerJwks: {exc}") from None
                if "d" in jwk:
                    raise _bad("issuerJwks must not carry private keys")
                thumbprints.add(key.jwk_thumbprint())
                if isinstance(jwk.get("kid"), str):
                    thumbprints.add(jwk["kid"])
        object.__setattr__(self, "_thumbprints", frozenset(thumbprints))

    @property
    def is_did_issuer(self) -> bool:
        """Whether the issuer is a DID (else a named https issuer with bound JWKs)."""
        return not self.issuer_jwks

    def valid_at(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in the window ``[validFrom, validUntil)``."""
        return _within(moment, self.valid_from, self.valid_until)

    def status_at(self, moment: datetime) -> StatusChange | None:
        """The latest status change at or before ``moment`` (None: never changed, active)."""
        current = None
        for change in self.status_history:
            if change.since <= moment:
                current = change
        return current

    def key_allowed(self, signer: str | None, moment: datetime) -> bool:
        """Whether ``signer`` may sign for the issuer at ``moment`` (no ``keys``: any key of the DID).

        For a non-DID issuer the signer is one of its ``issuerJwks``, named by RFC 7638
        thumbprint or by its ``kid`` member.
        """
        if not self.is_did_issuer and signer not in self._thumbprints:
            return False
        if self.keys is None:
            return True
        return any(k.id == signer and k.valid_at(moment) for k in self.keys)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON (``specs/trust-registry.md`` §2)."""
        out: dict[str, Any] = {
            "type": "Accreditation",
            "version": 1,
            "authority": self.authority,
            "issuer": self.issuer,
            "types": list(self.types),
            "validFrom": format_datetime(self.valid_from),
            "issued": format_datetime(self.issued),
        }
        optional: dict[str, Any] = {
            "validUntil": None if self.valid_until is None else format_datetime(self.valid_until),
            "name": self.name,
            "nameZh": self.name_zh,
            "issuerJwks": [dict(j) for j in self.issuer_jwks] or None,
            "mayAccredit": True if self.may_accredit else None,
            "maxPathLength": self.max_path_length,
            "statusFor": list(self.status_for) or None,
            "keys": None if self.keys is None else [k.to_json() for k in self.keys],
            "statusHistory": [c.to_json() for c in self.status_history] or None,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    @classmethod
    def from_json(cls, value: object) -> Accreditation:
        """Parse a record strictly: unknown members, wrong types and bad dates raise TrustError."""
        if not isinstance(value, dict):
            raise _bad("an accreditation is a JSON object")
        missing, unknown = _REQUIRED - set(value), set(value) - _MEMBERS
        if missing or unknown:
            raise _bad(
                f"accreditation members: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        if value["type"] != "Accreditation" or value["version"] != 1:
            raise _bad("type must be 'Accreditation' and version 1")
        jwks = value.get("issuerJwks", [])
        if (
            not isinstance(jwks, list)
            or len(jwks) > MAX_TYPES
            or not all(isinstance(j, dict) for j in jwks)
        ):
            raise _bad("issuerJwks is a list of JWK objects")
        keys = value.get("keys")
        if keys is not None and (not isinstance(keys, list) or len(keys) > MAX_TYPES):
            raise _bad("keys is a list")
        history = value.get("statusHistory", [])
        if not isinstance(history, list) or len(history) > MAX_TYPES:
            raise _bad("statusHistory is a list")
        may_accredit = value.get("mayAccredit", False)
        if not isinstance(may_accredit, bool):
            raise _bad("mayAccredit is a boolean")
        for member in ("name", "nameZh"):
            if member in value:
                _string(value[member], member, 512)
        return cls(
            authority=_string(value["authority"], "authority"),
            issuer=_check_issuer(value["issuer"]),
            types=_strings(value["types"], "types"),
            valid_from=_time(value["validFrom"], "validFrom"),
            issued=_time(value["issued"], "issued"),
            valid_until=_time(value["validUntil"], "validUntil") if "validUntil" in value else None,
            name=value.get("name"),
            name_zh=value.get("nameZh"),
            issuer_jwks=tuple(jwks),
            may_accredit=may_accredit,
            max_path_length=value.get("maxPathLength"),
            status_for=_strings(value.get("statusFor", []), "statusFor", allow_empty=True),
            keys=None if keys is None else tuple(KeyWindow.from_json(k) for k in keys),
            status_history=tuple(StatusChange.from_json(c) for c in history),
        )


def controller_key(
    controller: str, method: str, resolver: Resolver | None, *, code: str
) -> PublicKey:
    """The public key of ``method``, an ``assertionMethod`` of the DID ``controller``.

    Trust material (accreditations, CTE documents) counts only when it is signed by a key of
    its own author: the method must be a DID URL of ``controller`` and resolve for
    ``assertionMethod``. Raises TrustError with ``code`` otherwise.
    """
    if not method.startswith(controller + "#"):
        raise TrustError(f"signed by {method}, not by a key of {controller}", code=code)
    try:
        vm = resolve_verification_method(
            resolver or DefaultResolver(), method, purpose="assertionMethod"
        )
    except DidGovError as exc:
        raise TrustError(f"cannot resolve {method}: {exc.message}", code=code) from None
    if vm.public_key is None:
        raise TrustError(f"{method} has no usable public key", code=code)
    return vm.public_key


def _signing_input(record: Mapping[str, Any]) -> bytes:
    return _DOMAIN + jcs(record)


@dataclass(frozen=True)
class SignedAccreditation:
    """An accreditation with the authority's signature: ``{"accreditation", "proof"}``.

    The signature is not checked on parsing; :meth:`verify` checks it (the registry does so
    once, the first time a chain uses the record).
    """

    accreditation: Accreditation
    verification_method: str
    signature: bytes
    unverified_record: Mapping[str, Any] = field(repr=False, compare=False)

    @functools.cached_property
    def digest_input(self) -> bytes:
        """The exact bytes the signature covers."""
        return _signing_input(self.unverified_record)

    def verify(self, resolver: Resolver | None = None) -> None:
        """Check the signature by a verification method of the authority; raise TrustError if not."""
        authority = self.accreditation.authority
        key = controller_key(
            authority,
            self.verification_method,
            resolver,
            code="trust.accreditation_signature_invalid",
        )
        if not key.verify(self.signature, self.digest_input):
            raise TrustError(
                f"the signature of {authority} on the accreditation of "
                f"{self.accreditation.issuer} does not verify",
                code="trust.accreditation_signature_invalid",
            )

    def to_json(self) -> dict[str, Any]:
        """The signed record as JSON."""
        return {
            "accreditation": dict(self.unverified_record),
            "proof": {
                "verificationMethod": self.verification_method,
                "signatureValue": b64url_encode(self.signature),
            },
        }

    @classmethod
    def from_json(cls, value: object) -> SignedAccreditation:
        """Parse ``{"accreditation": {...}, "proof": {verificationMethod, signatureValue}}``."""
        if not isinstance(value, dict) or set(value) != {"accreditation", "proof"}:
            raise _bad("a signed accreditation is {accreditation, proof}")
        proof = value["proof"]
        if not isinstance(proof, dict) or set(proof) != {"verificationMethod", "signatureValue"}:
            raise _bad("proof is {verificationMethod, signatureValue}")
        try:
            signature = b64url_decode(_string(proof["signatureValue"], "signatureValue"))
        except InvalidInputError:
            raise _bad("signatureValue is not base64url") from None
        record = value["accreditation"]
        return cls(
            Accreditation.from_json(record),
            _string(proof["verificationMethod"], "verificationMethod"),
            signature,
            record,
        )


def sign_accreditation(
    accreditation: Accreditation, signer: Signer, verification_method: str
) -> SignedAccreditation:
    """Sign a record with ``signer``, a key of ``verification_method`` (a VM of the authority)."""
    if not verification_method.startswith(accreditation.authority + "#"):
        raise InvalidInputError(
            "the verification method must belong to the accreditation's authority",
            code="trust.accreditation_invalid",
        )
    record = accreditation.to_json()
    return SignedAccreditation(
        accreditation, verification_method, signer.sign(_signing_input(record)), record
    )


def accreditations_from_json(values: Iterable[object]) -> list[SignedAccreditation]:
    """Parse a list of signed accreditations."""
    return [SignedAccreditation.from_json(v) for v in values]
