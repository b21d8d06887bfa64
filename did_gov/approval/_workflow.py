"""A policy on the agency service's exchanges (``specs/issuance-policy.md`` §8, CONTRACTS §C).

:class:`PolicyWorkflow` satisfies the service's ``Workflow`` protocol without importing the
service (approval knows nothing of HTTP): it says what to present (a VCALM
``verifiablePresentationRequest`` with one QueryByExample per evidence type, and a DCQL
query for OpenID4VP built by the kiosk's code), and decides a posted presentation with
:func:`~did_gov.approval.decide`, anchoring the record in the service's log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from did_gov._time import utc_now
from did_gov.approval._decide import StatusAllocator, TrustState
from did_gov.approval._evidence import Submission
from did_gov.approval._policy import Policy, load_policy
from did_gov.approval._record import decide
from did_gov.approval._versions import PolicyVersions
from did_gov.errors import ApprovalError, DidGovError
from did_gov.keys import Signer
from did_gov.ledger import LedgerBackend
from did_gov.limits import DEFAULT_LIMITS
from did_gov.verify import Verifier

__all__ = ["PolicyResult", "PolicyWorkflow"]

_PRESENTATION_MEMBERS = frozenset({"@context", "type", "proof", "holder", "verifiableCredential"})


@dataclass(frozen=True)
class PolicyResult:
    """The service's ``WorkflowResult`` shape: approved, credential, code, reason, record."""

    approved: bool
    credential: object | None
    code: str | None
    reason: str | None
    record: dict[str, object] | None


class PolicyWorkflow:
    """An issuance policy behind ``/workflows/{id}/exchanges``: ask, verify, decide, anchor.

    ``signer`` is a key of the policy's issuer (``verification_method``: its DID URL, None for
    its did:key); ``verifier`` carries the trust material (``trust`` says what the decision
    records name: the bundle's version and hash); ``ledger`` receives every record's hash (a
    :class:`~did_gov.ledger.LedgerBackend`, or a callable giving it when first needed; none is
    ``approval.ledger_missing``: every decision is anchored). ``clock`` gives the decision time
    (default: the system clock). ``versions`` (a :class:`~did_gov.approval.PolicyVersions`)
    admits the policy at construction (a rolled-back policy is refused then) and again before
    every decision, so once a newer version is admitted (by this or another process sharing its
    file) this workflow denies with ``approval.policy_withdrawn`` or ``_superseded``.
    """

    def __init__(
        self,
        id: str,
        policy: Policy,
        *,
        signer: Signer,
        verification_method: str | None,
        verifier: Verifier,
        ledger: LedgerBackend | Callable[[], LedgerBackend],
        trust: TrustState | None = None,
        status: StatusAllocator | None = None,
        clock: Callable[[], datetime] = utc_now,
        versions: PolicyVersions | None = None,
    ) -> None:
        if versions is not None:
            versions.admit(policy)
        if ledger is None:
            raise ApprovalError(
                f"workflow {id}: every decision is anchored, and no transparency log was given",
                code="approval.ledger_missing",
            )
        self.id = id
        self.policy = policy
        self.signer = signer
        self.verification_method = verification_method
        self.verifier = verifier
        self._ledger = ledger
        self.trust = trust
        self.status = status
        self.clock = clock
        self.versions = versions
        self._dcql: dict[str, object] | None = None

    @property
    def ledger(self) -> LedgerBackend:
        """The transparency log the records are anchored in."""
        if callable(self._ledger) and not hasattr(self._ledger, "append"):
            self._ledger = self._ledger()
        return self._ledger  # type: ignore[return-value]

    @classmethod
    def from_file(
        cls,
        id: str,
        policy_path: str | os.PathLike[str],
        *,
        signer: Signer,
        verification_method: str | None,
        verifier: Verifier,
        ledger: LedgerBackend | Callable[[], LedgerBackend],
        trust: TrustState | None = None,
        status: StatusAllocator | None = None,
        versions: PolicyVersions | None = None,
    ) -> PolicyWorkflow:
        """Load a signed policy file (``approval.policy_*`` errors) into a workflow."""
        try:
            text = Path(policy_path).read_bytes()
        except OSError as exc:
            raise ApprovalError(
                f"cannot read the policy {policy_path}: {exc.strerror}",
                code="approval.policy_invalid",
            ) from None
        policy = load_policy(text, resolver=verifier.resolver)
        return cls(
            id,
            policy,
            signer=signer,
            verification_method=verification_method,
            verifier=verifier,
            ledger=ledger,
            trust=trust,
            status=status,
            versions=versions,
        )

    def presentation_request(self, *, challenge: str, domain: str) -> dict[str, object]:
        """The VCALM ``verifiablePresentationRequest``: one QueryByExample per evidence type."""
        contexts = self.policy.credential["@context"]
        return {
            "query": [
                {
                    "type": "QueryByExample",
                    "credentialQuery": [
                        {
                            "reason": f"{self.policy.document.get('name', self.policy.id)}:"
                            f" evidence {requirement.id}",
                            "example": {
                                "@context": contexts,
                                "type": requirement.type,
                                **(
                                    {"issuer": list(requirement.issuers)}
                                    if requirement.issuers
                                    else {}
                                ),
                            },
                        }
                    ],
                }
                for requirement in self.policy.evidence
            ],
            "challenge": challenge,
            "domain": domain,
        }

    def request_signer(self) -> tuple[Signer, str]:
        """The key that signs the OpenID4VP request objects (the policy issuer's), and its kid.

        The kid is ``verification_method``, or the signer's did:key method when that is None.
        """
        if self.verification_method is not None:
            return self.signer, self.verification_method
        from did_gov.dids import did_key

        return self.signer, did_key.verification_method_id(self.signer.public_key)

    def dcql_query(self) -> dict[str, object] | None:
        """The DCQL query of the exchange's OpenID4VP protocol (the kiosk's defaults per type)."""
        if self._dcql is None:
            self._dcql = self._build_dcql()
        return self._dcql

    def _build_dcql(self) -> dict[str, object]:
        from did_gov.trust import DcqlQuery
        from did_gov.trust._oid4vp import default_dcql_query

        credentials: list[dict[str, Any]] = []
        sets: list[dict[str, Any]] = []
        for requirement in self.policy.evidence:
            base = default_dcql_query([requirement.type], self.verifier.loader).to_json()
            options = []
            for query in base["credentials"]:
                query = dict(query)
                query["id"] = f"{requirement.id}-{query['id']}"
                prefix = [] if query["format"] == "dc+sd-jwt" else ["credentialSubject"]
                if requirement.claims:
                    query["claims"] = [{"path": [*prefix, *claim]} for claim in requirement.claims]
                credentials.append(query)
                options.append([query["id"]])
            sets.append({"options": options})
        built = DcqlQuery.from_json({"credentials": credentials, "credential_sets": sets})
        return built.to_json()

    def complete(self, presentation: object, *, challenge: str, domain: str) -> PolicyResult:
        """Decide a posted presentation (or an OpenID4VP ``vp_token``); never raises for bad input."""
        try:
            presentations = _presentations(presentation)
        except ApprovalError as exc:
            return PolicyResult(False, None, exc.code, exc.message, None)
        if presentations is None:
            return PolicyResult(
                False, None, "approval.evidence_rejected", "not a presentation", None
            )
        submission = Submission(presentations=presentations, challenge=challenge, domain=domain)
        try:
            if self.versions is not None:
                self.versions.admit(self.policy)
            decision = decide(
                self.policy,
                submission,
                self.verifier,
                key=self.signer,
                ledger=self.ledger,
                now=self.clock(),
                trust=self.trust,
                status=self.status,
                verification_method=self.verification_method,
            )
        except DidGovError as exc:
            return PolicyResult(False, None, exc.code, exc.message, None)
        return PolicyResult(
            decision.approved,
            decision.credential,
            decision.code,
            decision.reason,
            dict(decision.to_json()),
        )


def _presentations(value: object) -> tuple[Any, ...] | None:
    """A VP (object or token), or a ``vp_token`` (query id → presentations) flattened.

    One presentation answering several credential queries (a VP carrying both evidence
    credentials, keyed under each query's id) is taken once. More than
    ``Limits.max_credentials_per_presentation`` is ``approval.policy_evidence_limit``, known
    before the (pairwise) de-duplication can cost anything.
    """
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Mapping):
        return None
    if _PRESENTATION_MEMBERS & set(value):
        return (dict(value),)
    bound = DEFAULT_LIMITS.max_credentials_per_presentation
    found: list[Any] = []
    for items in value.values():
        if not isinstance(items, list | tuple) or not items:
            return None
        if len(items) > bound:  # counted before the pairwise de-duplication below
            raise ApprovalError(
                f"more than {bound} evidence documents", code="approval.policy_evidence_limit"
            )
        for item in items:
            if isinstance(item, str | dict) and item not in found:
                found.append(item)
                if len(found) > bound:
                    raise ApprovalError(
                        f"more than {bound} evidence documents",
                        code="approval.policy_evidence_limit",
                    )
    return tuple(found) or None
