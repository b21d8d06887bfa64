"""The one value every format adapter produces and every later step reads (``specs/verification.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal, NamedTuple

from did_gov.proofs._result import Check

__all__ = ["Bound", "Kind", "Secured", "Signer", "as_list", "id_of", "passed"]

Kind = Literal["credential", "presentation"]


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else ``[value]``."""
    return value if isinstance(value, list) else [value]


def id_of(value: Any) -> Any:
    """The ``id`` of an object, or the value itself (``issuer``, ``holder`` may be either)."""
    return value.get("id") if isinstance(value, dict) else value


_OK = attrgetter("ok")


def passed(checks: Any) -> bool:
    """True when every check passed (an empty list passes)."""
    return all(map(_OK, checks))


class Signer(NamedTuple):
    """One signature that verified: the key's ``method`` and who controls it.

    ``method`` is a verification method's DID URL, a JWK's ``kid`` or its RFC 7638
    thumbprint; ``controller`` is the DID controlling the method, or the non-DID
    issuer (or holder) the caller vouched for when it gave that JWK.
    """

    method: str
    controller: str | None
    purpose: str


class Bound(NamedTuple):
    """One date of the validity window, as written: ``role`` is start, end or issued.

    ``numeric`` marks a JWT NumericDate (``nbf``/``exp``/``iat``); otherwise ``value`` is an
    XSD date-time (``timezone_required`` for VCDM 2.0). JWT ``exp`` is exclusive
    (RFC 7519 §4.1.4), a VCDM ``validUntil`` inclusive.
    """

    field: str
    role: Literal["start", "end", "issued"]
    value: Any
    numeric: bool = False
    timezone_required: bool = True


@dataclass(slots=True)
class Secured:
    """A document as its format adapter verified it: the shared per-document value.

    ``checks`` are the adapter's own checks (shape, signature, key, disclosures, key
    binding), in order; ``signers`` the keys whose signatures verified. Every field
    after ``checks`` is read from the document and is trustworthy only when every
    adapter check passed.

    Never changed once made (a later step that needs another value makes one with
    ``dataclasses.replace``); not frozen only because a frozen dataclass of twenty
    fields costs several microseconds to build on every verification. Slotted: one
    small object per document, not an object and a dictionary of twenty members.
    """

    format: str
    kind: Kind
    checks: tuple[Check, ...]
    document: Any
    issuer: str | None = None
    holder: str | None = None
    holder_bound: bool = False
    signers: tuple[Signer, ...] = ()
    subject_ids: tuple[str, ...] = ()
    bearer: bool = False
    types: tuple[str, ...] = ()
    expanded_types: tuple[str, ...] = ()
    """The absolute IRIs of ``types``, in their order, when the format gives them (Data
    Integrity: the contexts step; a W3C ``vc+jwt``: its contexts, at the trust step), else ()."""
    vct: str | None = None
    window: tuple[Bound, ...] = ()
    status: tuple[Any, ...] = ()
    credentials: tuple[Any, ...] = ()
    disclosed: Mapping[str, Any] | None = field(default=None, repr=False)
    disclosed_paths: tuple[tuple[str, ...], ...] = ()
    """SD-JWT VC: the claim each presented disclosure revealed (array indices as decimal strings)."""

    @property
    def ok(self) -> bool:
        """True when every adapter check passed."""
        return bool(self.checks) and passed(self.checks)


def failed(format: str, check: Check, document: Any = None) -> Secured:
    """The value of a document no adapter could read further than ``check``."""
    return Secured(format, "credential", (check,), document)
