"""Presentation requests: an OpenID4VP 1.0 ``dcql_query`` with its ``nonce`` and ``client_id``.

:class:`PresentationRequest` is what a verifier asked for; :func:`match_request`
judges what a wallet presented against it. Matching is a pure function of plain
data (:class:`PresentedCredential`: format, types, ``vct``, issuer, the claims
as a JSON tree, whether a holder-binding proof verified): it knows nothing of
how proofs work, and returns :class:`~did_gov.proofs._result.Check` values named
``request`` with ``request.*`` codes. Binding the presentation to the request
(OpenID4VP Appendix B.1.3.1.5, B.1.3.2.5, B.3.6: ``challenge``/``domain`` of a
Data Integrity proof, ``nonce``/``aud`` of a ``vp+jwt`` or KB-JWT) is checked by
the securing mechanisms, to which the verifier passes :attr:`PresentationRequest.nonce`
and :attr:`PresentationRequest.client_id`.

The verifier MUST NOT rely on the wallet to apply the query (OpenID4VP §14,
"Security Checks on the Returned Credentials and Presentations"), so every
constraint is re-checked here: format, ``meta`` (types or ``vct``),
holder binding, trusted authorities, claims and their values, ``claim_sets``,
``credential_sets`` and ``multiple``. Claims disclosed beyond those asked for
pass with the warning code ``request.over_disclosed``.

>>> request = PresentationRequest.from_json({
...     "nonce": "n-0S6_WzA2Mj", "client_id": "decentralized_identifier:did:example:kiosk",
...     "dcql_query": {"credentials": [{"id": "pid", "format": "dc+sd-jwt",
...         "meta": {"vct_values": ["https://example.gov/pid"]},
...         "claims": [{"path": ["family_name"]}]}]}})
>>> shown = PresentedCredential("dc+sd-jwt", {"vct": "https://example.gov/pid",
...     "family_name": "Doe", "given_name": "John"}, vct="https://example.gov/pid",
...     holder_bound=True, disclosed=(("family_name",), ("given_name",)))
>>> [(c.ok, c.code) for c in match_request(request.dcql_query, [shown])]
[(True, 'ok'), (True, 'request.over_disclosed')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from did_gov._json import parse_json
from did_gov.errors import DidGovError, PresentationRequestError
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._result import Check, fail, ok, unknown
from did_gov.trust._dcql import (
    SD_JWT_VC_FORMAT,
    ClaimPath,
    ClaimsQuery,
    CredentialQuery,
    CredentialSetQuery,
    DcqlQuery,
    select_claims,
)

__all__ = [
    "PresentationRequest",
    "PresentedCredential",
    "kiosk_query",
    "match_request",
]

NAME = "request"
"""The name of every check this module returns."""

_MATCHED = 5
"""Stages a credential passes against a credential query, in order (the furthest is "closest")."""
_FORMAT, _TYPE, _BINDING, _AUTHORITY, _CLAIMS = range(5)


@dataclass(frozen=True)
class PresentationRequest:
    """What the verifier asked for: a DCQL query, the transaction ``nonce`` and its ``client_id``.

    ``from_json`` reads the members of an OpenID4VP 1.0 request object (§5)
    that a verifier checks a response against and ignores the others.
    """

    dcql_query: DcqlQuery
    nonce: str
    client_id: str

    @classmethod
    def from_json(
        cls, value: Mapping[str, Any] | str | bytes, limits: Limits = DEFAULT_LIMITS
    ) -> PresentationRequest:
        """Parse ``{"dcql_query": {...}, "nonce": S, "client_id": S}`` (an object, or JSON text).

        Raises :class:`~did_gov.errors.PresentationRequestError` (a ``request.*`` code,
        or the ``json.*``/``input.*`` code of unreadable text).
        """
        obj: Any = value
        if isinstance(value, str | bytes | bytearray):
            try:
                obj = parse_json(value, limits)
            except DidGovError as exc:
                raise PresentationRequestError(
                    f"the request is not JSON: {exc.message}", code=exc.code
                ) from exc
        if not isinstance(obj, Mapping):
            raise PresentationRequestError("a presentation request is a JSON object")
        for name in ("nonce", "client_id"):
            if not isinstance(obj.get(name), str) or not obj[name]:
                raise PresentationRequestError(f"the request needs a non-empty string {name}")
        if "dcql_query" not in obj:
            raise PresentationRequestError("the request has no dcql_query")
        return cls(DcqlQuery.from_json(obj["dcql_query"], limits), obj["nonce"], obj["client_id"])

    def to_json(self) -> dict[str, Any]:
        """The three members as JSON."""
        return {
            "dcql_query": self.dcql_query.to_json(),
            "nonce": self.nonce,
            "client_id": self.client_id,
        }

    def match(self, credentials: Sequence[PresentedCredential]) -> tuple[Check, ...]:
        """:func:`match_request` of this request's query."""
        return match_request(self.dcql_query, credentials)


@dataclass(frozen=True)
class PresentedCredential:
    """Plain data about one verified credential of a presentation, as :func:`match_request` needs it.

    ``format`` is its Credential Format Identifier (``ldp_vc``, ``jwt_vc_json``,
    ``dc+sd-jwt``). ``claims`` is the JSON tree claims path pointers apply to: the
    credential itself for W3C formats (Appendix B.1.2), the processed payload
    with the disclosed claims for an SD-JWT VC. ``types`` are its ``type``
    values as written, ``expanded_types`` the same after JSON-LD expansion
    (empty when not expanded: the written ones then count as expanded,
    Appendix B.1.1). ``holder_bound`` says a holder-binding proof bound to the
    request verified (a presentation proof, a ``vp+jwt``, a KB-JWT).
    ``disclosed`` lists the paths of selectively disclosed claims, or None for
    a format that discloses everything. ``trust_chain`` is the issuer and the
    authorities above it as the verifier's trust policy established them
    (empty: unknown). ``query_id`` is the credential query it answers when the
    response says so (a ``vp_token`` key); None lets it answer any query it meets.
    """

    format: str
    claims: Any
    types: tuple[str, ...] = ()
    expanded_types: tuple[str, ...] = ()
    vct: str | None = None
    issuer: str | None = None
    holder_bound: bool = False
    disclosed: tuple[ClaimPath, ...] | None = None
    trust_chain: tuple[str, ...] = ()
    query_id: str | None = None
    label: str = field(default="", compare=False)
    """How messages name it (default ``credential[i]``)."""


@dataclass(frozen=True)
class _Outcome:
    """How far one credential got against one credential query, and what it covers when it met it."""

    stage: int
    problems: tuple[Check, ...] = ()
    covered: tuple[ClaimPath, ...] = ()
    whole: bool = False  # the query asked for no claims: the full credential (§6.4.1)


def _label(credential: PresentedCredential, index: int) -> str:
    return credential.label or f"credential[{index}]"


def _types_check(query: CredentialQuery, credential: PresentedCredential, who: str) -> Check | None:
    """Appendix B.1.1 ``type_values`` (each alternative a subset of the expanded types) or B.3.5 ``vct_values``."""
    if query.format == SD_JWT_VC_FORMAT:
        if credential.vct is not None and credential.vct in (query.vct_values or ()):
            return None
        return fail(
            NAME,
            "request.type_mismatch",
            f"{who} has vct {credential.vct!r}, not one of {list(query.vct_values or ())} "
            f"asked by query {query.id!r}",
        )
    have = set(credential.expanded_types or credential.types)
    if any(set(alternative) <= have for alternative in query.type_values or ()):
        return None
    return fail(
        NAME,
        "request.type_mismatch",
        f"{who} has types {sorted(have)}, none of the alternatives "
        f"{[list(a) for a in query.type_values or ()]} asked by query {query.id!r}",
    )


def _authority_check(
    query: CredentialQuery, credential: PresentedCredential, who: str
) -> Check | None:
    """§6.1.1: the credential matches one value of one Trusted Authorities Query.

    did_gov's accreditation chains play the part of an OpenID Federation trust
    chain: ``openid_federation`` matches when a value is the issuer or an
    authority on its established chain. ``aki`` and ``etsi_tl`` need X.509
    chains and ETSI lists, which did_gov credentials do not carry: they cannot
    be checked (indeterminate), like a chain the trust policy did not establish.
    """
    if query.trusted_authorities is None:
        return None
    unknowable = []
    for authority in query.trusted_authorities:
        if authority.type != "openid_federation" or not credential.trust_chain:
            unknowable.append(authority.type)
        elif set(authority.values) & set(credential.trust_chain):
            return None
    if unknowable:
        return unknown(
            NAME,
            "request.authority_unknown",
            f"{who}: whether its issuer {credential.issuer} is certified by a trusted authority of "
            f"query {query.id!r} cannot be checked ({', '.join(sorted(set(unknowable)))})",
        )
    return fail(
        NAME,
        "request.untrusted_authority",
        f"{who}: its issuer {credential.issuer} chains to none of the trusted authorities "
        f"of query {query.id!r}",
    )


def _same_value(claim: Any, wanted: Any) -> bool:
    """§6.3: type and value match exactly (a boolean is never a number; 18 and 18.0 are one number)."""
    if isinstance(wanted, bool) or isinstance(claim, bool):
        return isinstance(wanted, bool) and isinstance(claim, bool) and claim == wanted
    if isinstance(wanted, str):
        return isinstance(claim, str) and claim == wanted
    return isinstance(claim, int | float) and claim == wanted


def _claim_problems(
    option: Sequence[ClaimsQuery], tree: Any, who: str, query_id: str
) -> list[Check]:
    problems = []
    for claim in option:
        selected = select_claims(tree, claim.path)
        shown = _show(claim.path)
        if selected is None:
            problems.append(
                fail(
                    NAME,
                    "request.claim_missing",
                    f"{who} does not disclose {shown} asked by query {query_id!r}",
                )
            )
        elif claim.values is not None and not any(
            _same_value(node, wanted) for node in selected for wanted in claim.values
        ):
            problems.append(
                fail(
                    NAME,
                    "request.value_mismatch",
                    f"{who}: {shown} is not one of the values query {query_id!r} accepts",
                )
            )
    return problems


def _claims_outcome(query: CredentialQuery, credential: PresentedCredential, who: str) -> _Outcome:
    """§6.4.1: the first combination of claims the credential meets, else the closest one's problems."""
    best: list[Check] | None = None
    for option in query.claim_options():
        problems = _claim_problems(option, credential.claims, who, query.id)
        if not problems:
            return _Outcome(_MATCHED, (), tuple(c.path for c in option), query.claims is None)
        if best is None or len(problems) < len(best):
            best = problems
    return _Outcome(_CLAIMS, tuple(best or ()))


def evaluate(query: CredentialQuery, credential: PresentedCredential, index: int = 0) -> _Outcome:
    """One credential against one credential query (§6.1), stage by stage."""
    who = _label(credential, index)
    if credential.format != query.format:
        mismatch = fail(
            NAME,
            "request.format_mismatch",
            f"{who} is {credential.format}, query {query.id!r} asks for {query.format}",
        )
        return _Outcome(_FORMAT, (mismatch,))
    problem = _types_check(query, credential, who)
    if problem is not None:
        return _Outcome(_TYPE, (problem,))
    if query.require_cryptographic_holder_binding and not credential.holder_bound:
        unbound = fail(
            NAME,
            "request.holder_binding_missing",
            f"{who} was not presented with a holder-binding proof for this request, "
            f"which query {query.id!r} requires",
        )
        return _Outcome(_BINDING, (unbound,))
    problem = _authority_check(query, credential, who)
    if problem is not None:
        return _Outcome(_AUTHORITY, (problem,))
    return _claims_outcome(query, credential, who)


def _show(path: ClaimPath) -> str:
    parts = ["[*]" if p is None else f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "claim " + "".join(parts).lstrip(".")


class _Matching:
    """The outcomes of every credential against every query it may answer, and what they satisfy."""

    def __init__(self, query: DcqlQuery, credentials: Sequence[PresentedCredential]) -> None:
        self.query = query
        self.credentials = credentials
        self.checks: list[Check] = []
        self.outcomes: dict[str, list[tuple[int, _Outcome]]] = {c.id: [] for c in query.credentials}
        for index, credential in enumerate(credentials):
            self._evaluate(index, credential)
        self.met = {
            qid: [i for i, o in outcomes if o.stage == _MATCHED]
            for qid, outcomes in self.outcomes.items()
        }

    def _evaluate(self, index: int, credential: PresentedCredential) -> None:
        if credential.query_id is None:
            for query in self.query.credentials:
                self.outcomes[query.id].append((index, evaluate(query, credential, index)))
            return
        asked = self.query.query(credential.query_id)
        who = _label(credential, index)
        if asked is None:
            self.checks.append(
                fail(
                    NAME,
                    "request.query_unknown",
                    f"{who} answers credential query {credential.query_id!r}, which was not asked",
                )
            )
            return
        outcome = evaluate(asked, credential, index)
        self.outcomes[asked.id].append((index, outcome))
        self.checks += outcome.problems  # a presentation that fails its query is discarded (§8.6)

    def closest(self, query_id: str) -> tuple[int, tuple[Check, ...]]:
        """How far the best candidate got for an unmet query, and its problems."""
        outcomes = self.outcomes[query_id]
        if not outcomes:
            missing = fail(
                NAME,
                "request.credential_missing",
                f"no credential presented answers credential query {query_id!r}",
            )
            return -1, (missing,)
        _, best = max(outcomes, key=lambda pair: pair[1].stage)  # max keeps the first of ties
        return best.stage, best.problems

    def requirements(self) -> None:
        """§6.4.2: every query (no ``credential_sets``), or one option of every required set."""
        if self.query.credential_sets is None:
            for query in self.query.credentials:
                if not self.met[query.id]:
                    self.checks += self.closest(query.id)[1]
            return
        for number, credential_set in enumerate(self.query.credential_sets):
            if credential_set.required:
                self._set_requirement(number, credential_set)

    def _set_requirement(self, number: int, credential_set: CredentialSetQuery) -> None:
        if any(all(self.met[qid] for qid in option) for option in credential_set.options):
            return
        scored = [
            (
                min(self.closest(qid)[0] for qid in option if not self.met[qid]),
                sum(1 for qid in option if self.met[qid]),
                option,
            )
            for option in credential_set.options
        ]  # the closest option: its worst query got furthest, then most of it is met
        stage, met, option = max(scored, key=lambda scores: scores[:2])
        if stage < 0 and not met and len(credential_set.options) > 1:
            self.checks.append(
                fail(
                    NAME,
                    "request.credential_set_unmet",
                    f"credential set {number} is required and nothing presented answers any of "
                    f"its options {[list(o) for o in credential_set.options]}",
                )
            )
            return
        for qid in option:
            if not self.met[qid]:
                self.checks += self.closest(qid)[1]

    def multiples(self) -> None:
        """§6.1 ``multiple``: without it, one presentation at most answers the query (§8.1)."""
        for query in self.query.credentials:
            if not query.multiple and len(self.met[query.id]) > 1:
                self.checks.append(
                    fail(
                        NAME,
                        "request.multiple_not_allowed",
                        f"{len(self.met[query.id])} credentials answer query {query.id!r}, "
                        "which does not allow multiple",
                    )
                )

    def over_disclosure(self) -> list[Check]:
        """Claims (or whole credentials) presented beyond what the met queries asked for."""
        warnings = []
        for index, credential in enumerate(self.credentials):
            outcomes = [
                o
                for qid in self.outcomes
                for i, o in self.outcomes[qid]
                if i == index and o.stage == _MATCHED
            ]
            who = _label(credential, index)
            if not outcomes:
                if credential.query_id is None:
                    warnings.append(
                        Check(
                            NAME,
                            True,
                            "request.over_disclosed",
                            f"{who} answers no credential query of the request",
                        )
                    )
                continue
            extra = _extra_claims(credential, outcomes)
            if extra:
                shown = ", ".join(_show(p).removeprefix("claim ") for p in extra[:8])
                more = f" and {len(extra) - 8} more" if len(extra) > 8 else ""
                how = "" if credential.disclosed is not None else " (not selectively disclosable)"
                warnings.append(
                    Check(
                        NAME,
                        True,
                        "request.over_disclosed",
                        f"{who} discloses claims not asked for{how}: {shown}{more}",
                    )
                )
        return warnings


def _related(disclosed: ClaimPath, asked: ClaimPath) -> bool:
    """One path leads to the other (``None`` in the asked path stands for any index)."""
    for d, a in zip(disclosed, asked, strict=False):
        if a is None and isinstance(d, int):
            continue
        if type(d) is not type(a) or d != a:
            return False
    return True


def _leaves(tree: Any, path: ClaimPath, out: list[ClaimPath], budget: int) -> None:
    if len(out) >= budget:
        return
    if isinstance(tree, dict) and tree:
        for key, value in tree.items():
            _leaves(value, (*path, key), out, budget)
    elif isinstance(tree, list) and tree:
        for i, value in enumerate(tree):
            _leaves(value, (*path, i), out, budget)
    else:
        out.append(path)


def _extra_claims(credential: PresentedCredential, outcomes: Sequence[_Outcome]) -> list[ClaimPath]:
    asked = [path for outcome in outcomes for path in outcome.covered]
    if credential.disclosed is not None:
        shown = list(credential.disclosed)
    else:  # a format without selective disclosure: the subject's claims are all shown
        if any(outcome.whole for outcome in outcomes) or not isinstance(credential.claims, dict):
            return []
        shown = []
        subjects = credential.claims.get("credentialSubject")
        _leaves(subjects, ("credentialSubject",), shown, 4096)
        shown = [p for p in shown if p[-1] != "id"]  # the subject's id binds it; it is no claim
    return [path for path in shown if not any(_related(path, a) for a in asked)]


def match_request(
    query: DcqlQuery, credentials: Sequence[PresentedCredential]
) -> tuple[Check, ...]:
    """Judge the presented credentials against a DCQL query (OpenID4VP 1.0 §6.4, §8.6 step 2-3).

    Each credential meets a credential query when its format, ``meta`` types,
    holder binding, trusted authority and claims (one of the ``claim_sets``) all
    match. Then every credential query (or one option of every required
    credential set) must be met, by one credential unless ``multiple``. An unmet
    requirement fails with the problem of the closest candidate
    (``request.format_mismatch``, ``request.type_mismatch``,
    ``request.holder_binding_missing``, ``request.untrusted_authority``,
    ``request.claim_missing``, ``request.value_mismatch``, …). When all is
    met the first check passes (``ok``); claims or credentials beyond the
    request follow as passing checks with ``request.over_disclosed``.
    """
    matching = _Matching(query, credentials)
    matching.requirements()
    matching.multiples()
    failures: list[Check] = []
    for check in matching.checks:
        if check not in failures:
            failures.append(check)
    if failures:
        return tuple(failures)
    answered = [
        f"{qid} <- {', '.join(_label(credentials[i], i) for i in indices)}"
        for qid, indices in matching.met.items()
        if indices
    ]
    passed = ok(
        NAME, "the presentation meets the request: " + ("; ".join(answered) or "nothing asked")
    )
    return (passed, *matching.over_disclosure())


def kiosk_query(type_iris: Iterable[str], vcts: Iterable[str]) -> DcqlQuery:
    """The kiosk's default DCQL query (issue 13, ``specs/kiosk.md``) from accredited types.

    ``type_iris`` are the accredited credential types as expanded IRIs,
    ``vcts`` the accredited SD-JWT VC types. The query has ``vc-di``
    (``ldp_vc``) and ``vc-jwt`` (``jwt_vc_json``), each accepting any one of
    the types, and ``sd-jwt-vc`` (``dc+sd-jwt``) accepting any of the vcts,
    in that order, and one required credential set whose options are each of
    them alone. A format without accredited types is left out.

    >>> q = kiosk_query(["https://example.gov/ns#BirthCertificate"], ["https://example.gov/pid"])
    >>> [c.id for c in q.credentials], q.credential_sets[0].options
    (['vc-di', 'vc-jwt', 'sd-jwt-vc'], (('vc-di',), ('vc-jwt',), ('sd-jwt-vc',)))
    """
    types = _distinct(type_iris, "type IRI")
    vct_values = _distinct(vcts, "vct")
    queries: list[CredentialQuery] = []
    if types:
        alternatives = tuple((t,) for t in types)
        queries.append(CredentialQuery("vc-di", "ldp_vc", type_values=alternatives))
        queries.append(CredentialQuery("vc-jwt", "jwt_vc_json", type_values=alternatives))
    if vct_values:
        queries.append(CredentialQuery("sd-jwt-vc", SD_JWT_VC_FORMAT, vct_values=vct_values))
    if not queries:
        raise PresentationRequestError(
            "no accredited credential type to ask for", code="request.query_invalid"
        )
    options = tuple((q.id,) for q in queries)
    built = DcqlQuery(tuple(queries), (CredentialSetQuery(options),))
    return DcqlQuery.from_json(built.to_json())  # held to the parser's rules and limits


def _distinct(values: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise PresentationRequestError(f"{what}s come as a list", code="request.meta_invalid")
    out: dict[str, None] = {}
    for value in values:
        if not isinstance(value, str) or not value:
            raise PresentationRequestError(
                f"a {what} is a non-empty string, not {value!r}", code="request.meta_invalid"
            )
        out[value] = None
    return tuple(out)
