"""DCQL, the Digital Credentials Query Language of OpenID4VP 1.0 (§6), and claims path pointers (§7).

A :class:`DcqlQuery` is parsed strictly from its JSON form: every member the
specification defines must have the shape it defines, or parsing raises
:class:`~did_gov.errors.PresentationRequestError` with a ``request.*`` code;
members it does not define are ignored (§6: "Implementations MUST ignore any
unknown properties"). Only the JSON-based formats did_gov verifies are
accepted: ``ldp_vc`` and ``jwt_vc_json`` (Appendix B.1) and ``dc+sd-jwt``
(Appendix B.3). Sizes are bounded by :class:`~did_gov.limits.Limits`.

>>> query = DcqlQuery.from_json({"credentials": [{
...     "id": "pid", "format": "dc+sd-jwt",
...     "meta": {"vct_values": ["https://credentials.example.com/identity_credential"]},
...     "claims": [{"path": ["family_name"]}, {"path": ["address", "street_address"]}]}]})
>>> query.credentials[0].claims[1].path
('address', 'street_address')
>>> select_claims({"address": {"street_address": "42 Market Street"}}, ("address", "street_address"))
['42 Market Street']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from did_gov.errors import PresentationRequestError
from did_gov.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "FORMATS",
    "ClaimPath",
    "ClaimValue",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlQuery",
    "TrustedAuthoritiesQuery",
    "select_claims",
]

ClaimPath = tuple[str | int | None, ...]
"""A claims path pointer (§7): object member names, array indices, and ``None`` for every element."""

ClaimValue = str | int | bool
"""A value a claims query may ask for (§6.3: strings, integers or booleans)."""

W3C_FORMATS = ("ldp_vc", "jwt_vc_json")
"""Appendix B.1.3: W3C VCs secured with Data Integrity, and as a JWT (not using JSON-LD)."""
SD_JWT_VC_FORMAT = "dc+sd-jwt"
"""Appendix B.3.1: IETF SD-JWT VC."""
FORMATS = (*W3C_FORMATS, SD_JWT_VC_FORMAT)
"""The Credential Format Identifiers did_gov accepts in a query (mso_mdoc is not verified here)."""

_ID = re.compile(r"[A-Za-z0-9_-]+")


def _problem(code: str, message: str) -> PresentationRequestError:
    return PresentationRequestError(message, code=code)


def _object(value: Any, what: str, code: str = "request.query_invalid") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _problem(code, f"{what} must be an object")
    return value


def _array(
    value: Any, what: str, limits: Limits, code: str = "request.query_invalid"
) -> Sequence[Any]:
    """A non-empty JSON array of at most ``limits.max_request_items`` entries."""
    if not isinstance(value, list) or not value:
        raise _problem(code, f"{what} must be a non-empty array")
    if len(value) > limits.max_request_items:
        raise _problem(
            "request.limit_exceeded", f"{what} has more than {limits.max_request_items} entries"
        )
    return value


def _strings(value: Any, what: str, limits: Limits, code: str) -> tuple[str, ...]:
    items = _array(value, what, limits, code)
    if not all(isinstance(item, str) for item in items):
        raise _problem(code, f"{what} must hold strings only")
    return tuple(items)


def _bool(obj: Mapping[str, Any], name: str, default: bool, what: str) -> bool:
    value = obj.get(name, default)
    if not isinstance(value, bool):
        raise _problem("request.query_invalid", f"{what}.{name} must be a boolean")
    return value


def _identifier(value: Any, what: str) -> str:
    """§6.1/§6.3: a non-empty string of alphanumerics, ``_`` and ``-``."""
    if not isinstance(value, str) or _ID.fullmatch(value) is None:
        raise _problem(
            "request.id_invalid", f"{what} must be a non-empty string of A-Z a-z 0-9 _ -"
        )
    return value


def _unique(ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise _problem("request.id_duplicate", f"{what} {item!r} appears more than once")
        seen.add(item)


def _path(value: Any, what: str, limits: Limits) -> ClaimPath:
    """§7: a non-empty array of strings, nulls and non-negative integers."""
    if not isinstance(value, list) or not value:
        raise _problem("request.path_invalid", f"{what} must be a non-empty array")
    if len(value) > limits.max_claim_path_length:
        raise _problem(
            "request.limit_exceeded",
            f"{what} has more than {limits.max_claim_path_length} components",
        )
    for part in value:
        integer = isinstance(part, int) and not isinstance(part, bool)
        if not (part is None or isinstance(part, str) or (integer and part >= 0)):
            raise _problem(
                "request.path_invalid",
                f"{what} holds {part!r}: only strings, null and non-negative integers",
            )
    return tuple(value)


def _value(part: Any, what: str) -> ClaimValue:
    if isinstance(part, bool | str) or (isinstance(part, int) and not isinstance(part, bool)):
        return part
    raise _problem(
        "request.values_invalid", f"{what} holds {part!r}: only strings, integers, booleans"
    )


@dataclass(frozen=True)
class ClaimsQuery:
    """One claim a credential query asks for (§6.3): a path pointer, and optionally the accepted values."""

    path: ClaimPath
    id: str | None = None
    values: tuple[ClaimValue, ...] | None = None

    @classmethod
    def from_json(cls, obj: Any, what: str, limits: Limits = DEFAULT_LIMITS) -> ClaimsQuery:
        """Parse one entry of ``claims``."""
        obj = _object(obj, what, "request.claim_invalid")
        claim_id = _identifier(obj["id"], f"{what}.id") if "id" in obj else None
        if "path" not in obj:
            raise _problem("request.path_invalid", f"{what} has no path")
        path = _path(obj["path"], f"{what}.path", limits)
        values = None
        if "values" in obj:
            raw = _array(obj["values"], f"{what}.values", limits, "request.values_invalid")
            values = tuple(_value(v, f"{what}.values") for v in raw)
        return cls(path, claim_id, values)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (§6.3)."""
        out: dict[str, Any] = {"path": list(self.path)}
        if self.id is not None:
            out["id"] = self.id
        if self.values is not None:
            out["values"] = list(self.values)
        return out


@dataclass(frozen=True)
class TrustedAuthoritiesQuery:
    """§6.1.1: a type of trust information (``aki``, ``etsi_tl``, ``openid_federation``, …) and values."""

    type: str
    values: tuple[str, ...]

    @classmethod
    def from_json(
        cls, obj: Any, what: str, limits: Limits = DEFAULT_LIMITS
    ) -> TrustedAuthoritiesQuery:
        """Parse one entry of ``trusted_authorities``."""
        code = "request.trusted_authorities_invalid"
        obj = _object(obj, what, code)
        kind = obj.get("type")
        if not isinstance(kind, str) or not kind:
            raise _problem(code, f"{what}.type must be a non-empty string")
        return cls(kind, _strings(obj.get("values"), f"{what}.values", limits, code))

    def to_json(self) -> dict[str, Any]:
        """The JSON form (§6.1.1)."""
        return {"type": self.type, "values": list(self.values)}


@dataclass(frozen=True)
class CredentialQuery:
    """§6.1: one requested credential: its ``format``, ``meta`` constraints, claims, and binding needs.

    ``type_values`` (W3C formats, Appendix B.1.1) lists alternatives, each a set
    of fully expanded type IRIs that must all be among the credential's types;
    ``vct_values`` (SD-JWT VC, Appendix B.3.5) lists accepted ``vct`` values.
    """

    id: str
    format: str
    type_values: tuple[tuple[str, ...], ...] | None = None
    vct_values: tuple[str, ...] | None = None
    claims: tuple[ClaimsQuery, ...] | None = None
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    multiple: bool = False
    trusted_authorities: tuple[TrustedAuthoritiesQuery, ...] | None = None
    require_cryptographic_holder_binding: bool = True

    @classmethod
    def from_json(cls, obj: Any, what: str, limits: Limits = DEFAULT_LIMITS) -> CredentialQuery:
        """Parse one entry of ``credentials`` (§6.1)."""
        obj = _object(obj, what)
        query_id = _identifier(obj.get("id"), f"{what}.id")
        what = f"credential query {query_id!r}"
        fmt = obj.get("format")
        if not isinstance(fmt, str) or fmt not in FORMATS:
            raise _problem(
                "request.format_unsupported",
                f"{what} asks for format {fmt!r}; did_gov verifies {', '.join(FORMATS)}",
            )
        type_values, vct_values = _meta(obj.get("meta"), fmt, what, limits)
        claims, claim_sets = _claims(obj, what, limits)
        authorities = None
        if "trusted_authorities" in obj:
            raw = _array(
                obj["trusted_authorities"],
                f"{what}.trusted_authorities",
                limits,
                "request.trusted_authorities_invalid",
            )
            authorities = tuple(
                TrustedAuthoritiesQuery.from_json(a, f"{what}.trusted_authorities", limits)
                for a in raw
            )
        return cls(
            query_id,
            fmt,
            type_values,
            vct_values,
            claims,
            claim_sets,
            _bool(obj, "multiple", False, what),
            authorities,
            _bool(obj, "require_cryptographic_holder_binding", True, what),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form (§6.1), defaults left out."""
        meta: dict[str, Any] = {}
        if self.type_values is not None:
            meta["type_values"] = [list(alternative) for alternative in self.type_values]
        if self.vct_values is not None:
            meta["vct_values"] = list(self.vct_values)
        out: dict[str, Any] = {"id": self.id, "format": self.format, "meta": meta}
        if self.multiple:
            out["multiple"] = True
        if self.claims is not None:
            out["claims"] = [claim.to_json() for claim in self.claims]
        if self.claim_sets is not None:
            out["claim_sets"] = [list(option) for option in self.claim_sets]
        if self.trusted_authorities is not None:
            out["trusted_authorities"] = [a.to_json() for a in self.trusted_authorities]
        if not self.require_cryptographic_holder_binding:
            out["require_cryptographic_holder_binding"] = False
        return out

    def claim_options(self) -> tuple[tuple[ClaimsQuery, ...], ...]:
        """The combinations of claims that satisfy this query, in the verifier's order (§6.4.1).

        No ``claims``: one empty combination. ``claims`` without ``claim_sets``:
        all of them. With ``claim_sets``: each set, in order.
        """
        if self.claims is None:
            return ((),)
        if self.claim_sets is None:
            return (self.claims,)
        by_id = {claim.id: claim for claim in self.claims}
        return tuple(tuple(by_id[i] for i in option) for option in self.claim_sets)


def _meta(
    value: Any, fmt: str, what: str, limits: Limits
) -> tuple[tuple[tuple[str, ...], ...] | None, tuple[str, ...] | None]:
    """Appendix B.1.1 ``type_values`` (W3C formats) or B.3.5 ``vct_values`` (SD-JWT VC), both REQUIRED."""
    meta = _object(value, f"{what}.meta", "request.meta_invalid")
    code = "request.meta_invalid"
    if fmt == SD_JWT_VC_FORMAT:
        if "vct_values" not in meta:
            raise _problem(code, f"{what}.meta needs vct_values (OpenID4VP Appendix B.3.5)")
        vcts = _strings(meta["vct_values"], f"{what}.meta.vct_values", limits, code)
        if not all(vcts):
            raise _problem(code, f"{what}.meta.vct_values holds an empty string")
        return None, vcts
    if "type_values" not in meta:
        raise _problem(code, f"{what}.meta needs type_values (OpenID4VP Appendix B.1.1)")
    alternatives = _array(meta["type_values"], f"{what}.meta.type_values", limits, code)
    parsed = tuple(
        _strings(alt, f"{what}.meta.type_values entry", limits, code) for alt in alternatives
    )
    if not all(all(alt) for alt in parsed):
        raise _problem(code, f"{what}.meta.type_values holds an empty string")
    return parsed, None


def _claims(
    obj: Mapping[str, Any], what: str, limits: Limits
) -> tuple[tuple[ClaimsQuery, ...] | None, tuple[tuple[str, ...], ...] | None]:
    """§6.1 ``claims`` and ``claim_sets``, with the rules of §6.3 and §6.4.1."""
    if "claims" not in obj:
        if "claim_sets" in obj:
            raise _problem("request.claim_set_invalid", f"{what} has claim_sets but no claims")
        return None, None
    raw = _array(obj["claims"], f"{what}.claims", limits, "request.claim_invalid")
    claims = tuple(ClaimsQuery.from_json(c, f"{what}.claims entry", limits) for c in raw)
    _unique([c.id for c in claims if c.id is not None], f"{what}: claim id")
    paths = [c.path for c in claims]
    if len(set(paths)) != len(paths):
        raise _problem("request.claim_invalid", f"{what} points to the same claim twice (§6.1)")
    if "claim_sets" not in obj:
        return claims, None
    if any(c.id is None for c in claims):
        raise _problem(
            "request.claim_set_invalid", f"{what} has claim_sets: every claim needs an id"
        )
    known = {c.id for c in claims}
    options = _array(obj["claim_sets"], f"{what}.claim_sets", limits, "request.claim_set_invalid")
    parsed = []
    for option in options:
        ids = _array(option, f"{what}.claim_sets entry", limits, "request.claim_set_invalid")
        for claim_id in ids:
            if claim_id not in known:
                raise _problem(
                    "request.claim_set_invalid",
                    f"{what}.claim_sets names unknown claim {claim_id!r}",
                )
        parsed.append(tuple(ids))
    return claims, tuple(parsed)


@dataclass(frozen=True)
class CredentialSetQuery:
    """§6.2: alternative combinations (``options``) of credential query ids; ``required`` defaults to true."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        """The JSON form (§6.2)."""
        out: dict[str, Any] = {"options": [list(option) for option in self.options]}
        if not self.required:
            out["required"] = False
        return out


@dataclass(frozen=True)
class DcqlQuery:
    """A DCQL query (§6): credential queries, and optionally credential set queries over their ids."""

    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] | None = None

    @classmethod
    def from_json(cls, obj: Any, limits: Limits = DEFAULT_LIMITS) -> DcqlQuery:
        """Parse and validate a ``dcql_query`` object; raises ``PresentationRequestError``."""
        obj = _object(obj, "dcql_query")
        raw = _array(obj.get("credentials"), "dcql_query.credentials", limits)
        if len(raw) > limits.max_request_queries:
            raise _problem(
                "request.limit_exceeded",
                f"more than {limits.max_request_queries} credential queries",
            )
        credentials = tuple(
            CredentialQuery.from_json(c, f"dcql_query.credentials[{i}]", limits)
            for i, c in enumerate(raw)
        )
        _unique([c.id for c in credentials], "credential query id")
        sets = None
        if "credential_sets" in obj:
            sets = _credential_sets(obj["credential_sets"], {c.id for c in credentials}, limits)
        return cls(credentials, sets)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (§6), as a request object carries it."""
        out: dict[str, Any] = {"credentials": [c.to_json() for c in self.credentials]}
        if self.credential_sets is not None:
            out["credential_sets"] = [s.to_json() for s in self.credential_sets]
        return out

    def query(self, query_id: str) -> CredentialQuery | None:
        """The credential query with this id, if any."""
        return next((c for c in self.credentials if c.id == query_id), None)


def _credential_sets(value: Any, known: set[str], limits: Limits) -> tuple[CredentialSetQuery, ...]:
    code = "request.credential_set_invalid"
    sets = _array(value, "dcql_query.credential_sets", limits, code)
    if len(sets) > limits.max_request_queries:
        raise _problem(
            "request.limit_exceeded", f"more than {limits.max_request_queries} credential sets"
        )
    parsed = []
    for i, entry in enumerate(sets):
        what = f"dcql_query.credential_sets[{i}]"
        entry = _object(entry, what, code)
        options = []
        for option in _array(entry.get("options"), f"{what}.options", limits, code):
            ids = _array(option, f"{what}.options entry", limits, code)
            for query_id in ids:
                if query_id not in known:
                    raise _problem(code, f"{what} names unknown credential query {query_id!r}")
            options.append(tuple(ids))
        required = entry.get("required", True)
        if not isinstance(required, bool):
            raise _problem(code, f"{what}.required must be a boolean")
        parsed.append(CredentialSetQuery(tuple(options), required))
    return tuple(parsed)


def select_claims(tree: Any, path: ClaimPath) -> list[Any] | None:
    """Process a claims path pointer on a JSON credential (§7.1.1); None where §7.1.1 says "error".

    A string selects that member of every selected object (objects without it
    drop out), an integer that index of every selected array, ``None`` every
    element of every selected array. Selecting into a value of the wrong kind,
    or ending with nothing selected, is an error.
    """
    selected = [tree]
    for part in path:
        if isinstance(part, str):
            if not all(isinstance(node, dict) for node in selected):
                return None
            selected = [node[part] for node in selected if part in node]
        elif part is None:
            if not all(isinstance(node, list) for node in selected):
                return None
            selected = [item for node in selected for item in node]
        elif isinstance(part, int) and not isinstance(part, bool) and part >= 0:
            if not all(isinstance(node, list) for node in selected):
                return None
            selected = [node[part] for node in selected if part < len(node)]
        else:
            return None
    return selected or None
