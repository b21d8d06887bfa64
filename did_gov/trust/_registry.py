"""The trust registry: chains of accreditations from pinned roots, judged at a time.

``specs/trust-registry.md`` §4–6. Building a registry indexes every record by its issuer and
enumerates the chains that lead to a pinned root, checking the rules that do not depend on
time (each link narrows its parent, path lengths, may-accredit). Judging a claim is a dict
lookup plus the time checks of each link; signatures are verified the first time a chain
is used and remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from did_gov._time import format_datetime
from did_gov.dids import DefaultResolver, Resolver
from did_gov.errors import DidGovError, TrustError
from did_gov.proofs._result import Check, fail, ok
from did_gov.trust._accreditation import Accreditation, SignedAccreditation
from did_gov.trust._policy import BASE_TYPE, IssuerClaim

__all__ = ["MAX_CHAIN_LENGTH", "TrustRegistry"]

MAX_CHAIN_LENGTH: Final = 8
"""Most accreditations in one chain from a root authority to an issuer."""

_ZERO: Final = timedelta(0)
_BASE_IRI: Final = "https://www.w3.org/2018/credentials#VerifiableCredential"

# Stages of a judgement; a failing chain that got further explains the failure better.
_STAGE_SIGNATURE, _STAGE_WINDOW, _STAGE_STATUS, _STAGE_LINKS, _STAGE_TYPES, _STAGE_KEY = range(6)


class _Chain:
    """Records from the one a root signed (first) to the issuer's (last), and a static defect.

    ``signatures_checked`` flips once every link's signature verified (or ``defect`` names
    the one that did not), so a warm lookup does no cryptography.
    """

    __slots__ = ("defect", "links", "signatures_checked")

    def __init__(self, links: tuple[SignedAccreditation, ...], defect: str | None) -> None:
        self.links = links
        self.defect = defect
        self.signatures_checked = defect is not None


def _narrowing_defect(parent: Accreditation, child: Accreditation, depth_below: int) -> str | None:
    """Why ``child`` (signed by ``parent``'s subject) is not a valid link, or None."""
    if not parent.may_accredit:
        return f"{parent.issuer} is not accredited to accredit others"
    if parent.max_path_length is not None and depth_below > parent.max_path_length:
        return (
            f"{parent.issuer} may have {parent.max_path_length} accrediting level(s) below it, "
            f"the chain has {depth_below}"
        )
    wider = [t for t in child.types if t not in parent.types]
    if wider:
        return f"{parent.issuer} accredited {child.issuer} for {wider[0]}, beyond its own types"
    if child.valid_from < parent.valid_from or (
        parent.valid_until is not None
        and (child.valid_until is None or child.valid_until > parent.valid_until)
    ):
        return f"{parent.issuer} accredited {child.issuer} beyond its own validity window"
    return None


class TrustRegistry:
    """Accreditations chained to pinned root authorities; a :class:`TrustPolicy`.

    ``roots`` are the DIDs of the root authorities the verifier pins (a trust root file's
    ``authorities``). ``accreditations`` are signed records; a newer record (later
    ``issued``) from the same authority for the same issuer replaces an older one.
    With ``at_anchored_time`` (default), a credential whose anchor receipt proves a
    checkpoint time is judged at that time, otherwise at the verification time; the check
    message says which. ``resolver`` resolves authority keys (did:key and did:jwk offline;
    did:web documents preloaded, e.g. from a trust bundle). ``label`` names the registry in
    messages (``"trust bundle v12"``).

    >>> TrustRegistry(["did:key:z6MkRoot"], []).judge_issuer(
    ...     IssuerClaim("did:key:z6MkX", ("T",), (), None, None, "vc-jwt", None),
    ...     datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)).code
    'trust.issuer_not_accredited'
    """

    def __init__(
        self,
        roots: Iterable[str],
        accreditations: Iterable[SignedAccreditation | Mapping[str, Any]],
        *,
        resolver: Resolver | None = None,
        at_anchored_time: bool = True,
        label: str = "trust registry",
    ) -> None:
        self.roots = frozenset(roots)
        if not all(isinstance(r, str) for r in self.roots):
            raise TrustError("roots are DID strings", code="trust.registry_invalid")
        self.at_anchored_time = at_anchored_time
        self.label = label
        self._resolver = resolver or DefaultResolver()
        self._verified: dict[int, str | None] = {}
        self._lock = threading.Lock()
        newest: dict[tuple[str, str], SignedAccreditation] = {}
        for item in accreditations:
            signed = (
                item
                if isinstance(item, SignedAccreditation)
                else SignedAccreditation.from_json(item)
            )
            key = (signed.accreditation.authority, signed.accreditation.issuer)
            kept = newest.get(key)
            if kept is None or signed.accreditation.issued > kept.accreditation.issued:
                newest[key] = signed
        self._by_issuer: dict[str, list[SignedAccreditation]] = {}
        for signed in newest.values():
            self._by_issuer.setdefault(signed.accreditation.issuer, []).append(signed)
        self._chains: dict[str, tuple[_Chain, ...]] = {}

    def __len__(self) -> int:
        return sum(len(records) for records in self._by_issuer.values())

    @property
    def issuers(self) -> frozenset[str]:
        """Every issuer some record names (accredited or not at any given time)."""
        return frozenset(self._by_issuer)

    def accreditations(self) -> tuple[SignedAccreditation, ...]:
        """The records in force in this registry (superseded ones dropped)."""
        return tuple(s for records in self._by_issuer.values() for s in records)

    # -- chains -------------------------------------------------------------------------

    def _chains_of(self, issuer: str) -> tuple[_Chain, ...]:
        found = self._chains.get(issuer)
        if found is None:
            found = tuple(self._build(issuer, (), frozenset()))
            self._chains[issuer] = found
        return found

    def _build(
        self, subject: str, below: tuple[SignedAccreditation, ...], seen: frozenset[str]
    ) -> Iterable[_Chain]:
        """Chains ending in ``below`` whose next record up names ``subject``."""
        for record in self._by_issuer.get(subject, ()):
            links = (record, *below)
            authority = record.accreditation.authority
            if authority in self.roots:
                yield _Chain(links, self._static_defect(links))
            elif authority in seen or len(links) >= MAX_CHAIN_LENGTH:
                yield _Chain(links, f"the chain through {authority} loops or is too long")
            elif authority not in self._by_issuer:
                yield _Chain(links, f"{authority} is neither a root authority nor accredited")
            else:
                yield from self._build(authority, links, seen | {subject})

    @staticmethod
    def _static_defect(links: tuple[SignedAccreditation, ...]) -> str | None:
        for i in reversed(range(1, len(links))):
            depth_below = len(links) - i - 1  # accrediting levels after the parent's subject
            defect = _narrowing_defect(
                links[i - 1].accreditation, links[i].accreditation, depth_below
            )
            if defect is not None:
                return defect
        return None

    def _signature_defect(self, signed: SignedAccreditation) -> str | None:
        key = id(signed)
        if key not in self._verified:
            try:
                signed.verify(self._resolver)
                outcome = None
            except DidGovError as exc:
                outcome = exc.message
            with self._lock:
                self._verified[key] = outcome
        return self._verified[key]

    # -- judging ------------------------------------------------------------------------

    def _judge_chain(
        self, chain: _Chain, claim: IssuerClaim, moment: datetime
    ) -> tuple[int, str, str] | None:
        """None when the chain accredits the claim at ``moment``; else (stage, code, message)."""
        if not chain.signatures_checked:
            for signed in chain.links:
                defect = self._signature_defect(signed)
                if defect is not None:
                    chain.defect = defect
                    break
            chain.signatures_checked = True
        if chain.defect is not None:
            return _STAGE_SIGNATURE, "trust.chain_broken", chain.defect
        leaf = chain.links[-1].accreditation
        window = _window_failure(leaf, moment)
        if window is not None:
            return _STAGE_WINDOW, *window
        status = _status_failure(leaf, moment)
        if status is not None:
            return _STAGE_STATUS, *status
        for signed in chain.links[:-1]:
            parent = signed.accreditation
            if _window_failure(parent, moment) or _status_failure(parent, moment):
                return (
                    _STAGE_LINKS,
                    "trust.chain_broken",
                    f"the accreditation of {parent.issuer} by {parent.authority} is not in force "
                    f"at {format_datetime(moment)}",
                )
        missing = _unaccredited_type(leaf, claim)
        if missing is not None:
            return (
                _STAGE_TYPES,
                "trust.issuer_not_accredited",
                f"issuer {claim.issuer} is not accredited for {missing}",
            )
        if not leaf.key_allowed(claim.signer, moment):
            return (
                _STAGE_KEY,
                "trust.key_not_accredited",
                f"key {claim.signer} is not an accredited key of {claim.issuer} "
                f"at {format_datetime(moment)}",
            )
        return None

    def judge_issuer(self, claim: IssuerClaim, at: datetime) -> Check:
        """One ``trust`` check: is ``claim.issuer`` accredited for its types (``TrustPolicy``)?"""
        anchored = self.at_anchored_time and claim.anchored_at is not None
        moment = claim.anchored_at if anchored and claim.anchored_at is not None else at
        when = f"judged at {'anchored' if anchored else 'verification'} time {_format(moment)}"
        chains = self._chains_of(claim.issuer)
        if not chains:
            return fail(
                "trust",
                "trust.issuer_not_accredited",
                f"issuer {claim.issuer} is not accredited ({self.label}; {when})",
            )
        worst: tuple[int, str, str] | None = None
        for chain in chains:
            failure = self._judge_chain(chain, claim, moment)
            if failure is None:
                leaf = chain.links[-1].accreditation
                name = f" ({leaf.name})" if leaf.name else ""
                return ok(
                    "trust",
                    f"issuer {claim.issuer}{name} accredited by {leaf.authority} through "
                    f"{len(chain.links)} link(s) ({self.label}; {when})",
                )
            if worst is None or failure[0] > worst[0]:
                worst = failure
        assert worst is not None  # noqa: S101 - chains is not empty
        return fail("trust", worst[1], f"{worst[2]} ({self.label}; {when})")

    def chain_of(self, claim: IssuerClaim, at: datetime) -> tuple[str, ...]:
        """The accrediting chain of a claim that passes: issuer first, root authority last.

        Empty when no chain accredits the claim (at the time :meth:`judge_issuer` would use).
        DCQL ``trusted_authorities`` match against it.
        """
        anchored = self.at_anchored_time and claim.anchored_at is not None
        moment = claim.anchored_at if anchored and claim.anchored_at is not None else at
        for chain in self._chains_of(claim.issuer):
            if self._judge_chain(chain, claim, moment) is None:
                issuers = [s.accreditation.issuer for s in reversed(chain.links)]
                return (*issuers, chain.links[0].accreditation.authority)
        return ()

    def _in_force(self, issuer: str, moment: datetime) -> list[Accreditation]:
        """The issuer's records whose whole chain is valid and in force at ``moment``."""
        found = []
        for chain in self._chains_of(issuer):
            if not chain.signatures_checked:
                chain.defect = next(
                    (d for d in map(self._signature_defect, chain.links) if d is not None), None
                )
                chain.signatures_checked = True
            if chain.defect is not None:
                continue
            if all(
                _window_failure(s.accreditation, moment) is None
                and _status_failure(s.accreditation, moment) is None
                for s in chain.links
            ):
                found.append(chain.links[-1].accreditation)
        return found

    def may_publish_status(self, list_issuer: str, credential_issuer: str, at: datetime) -> bool:
        """Whether a status list by ``list_issuer`` counts for ``credential_issuer`` at ``at``.

        True for the credential's own issuer; otherwise ``list_issuer`` needs a record in
        force whose ``statusFor`` names ``credential_issuer``, granted by a root authority
        or by an authority that itself accredits ``credential_issuer`` (or may publish its
        status), so no authority delegates status for issuers outside its reach.
        """
        return self._may_publish(list_issuer, credential_issuer, at, 0)

    def _may_publish(
        self, list_issuer: str, credential_issuer: str, at: datetime, depth: int
    ) -> bool:
        if list_issuer == credential_issuer:
            return True
        if depth >= MAX_CHAIN_LENGTH:
            return False
        for record in self._in_force(list_issuer, at):
            if credential_issuer not in record.status_for:
                continue
            granter = record.authority
            if granter in self.roots:
                return True
            if any(r.authority == granter for r in self._in_force(credential_issuer, at)):
                return True
            if self._may_publish(granter, credential_issuer, at, depth + 1):
                return True
        return False

    def issuer_jwks(self, issuer: str) -> tuple[Mapping[str, Any], ...]:
        """The JWKs bound to a named non-DID issuer by its records (empty for a DID issuer)."""
        return tuple(
            jwk
            for signed in self._by_issuer.get(issuer, ())
            for jwk in signed.accreditation.issuer_jwks
        )

    def __repr__(self) -> str:
        return f"TrustRegistry({self.label!r}, roots={len(self.roots)}, records={len(self)})"


def _format(moment: datetime) -> str:
    """``format_datetime`` for the common aware-UTC case, without strftime (hot path)."""
    if moment.utcoffset() == _ZERO:
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    return format_datetime(moment)


def _window_failure(record: Accreditation, moment: datetime) -> tuple[str, str] | None:
    if moment < record.valid_from:
        return (
            "trust.accreditation_not_yet_valid",
            f"the accreditation of {record.issuer} is valid from {format_datetime(record.valid_from)}",
        )
    if record.valid_until is not None and moment >= record.valid_until:
        return (
            "trust.accreditation_expired",
            f"the accreditation of {record.issuer} expired at {format_datetime(record.valid_until)}",
        )
    return None


def _status_failure(record: Accreditation, moment: datetime) -> tuple[str, str] | None:
    change = record.status_at(moment)
    if change is None or change.status == "active":
        return None
    reason = f" ({change.reason})" if change.reason else ""
    return (
        f"trust.accreditation_{change.status}",
        f"the accreditation of {record.issuer} is {change.status} since "
        f"{format_datetime(change.since)}{reason}",
    )


def _unaccredited_type(record: Accreditation, claim: IssuerClaim) -> str | None:
    """The first asserted type the record does not cover (trust-registry §5), or None."""
    accredited = set(record.types)
    if claim.vct is not None and claim.vct not in accredited:
        return claim.vct
    aligned = len(claim.expanded_types) == len(claim.types)
    for i, term in enumerate(claim.types):
        iri = claim.expanded_types[i] if aligned else None
        if term == BASE_TYPE or iri == _BASE_IRI:
            continue
        if term not in accredited and (iri is None or iri not in accredited):
            return term
    return None
