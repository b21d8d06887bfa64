"""The seam between the service's exchanges and the workflows that decide them (CONTRACTS §C).

A VCALM exchange (``specs/service.md`` §Exchanges) runs in three posts: the client creates
an exchange of a workflow (``POST /workflows/{w}/exchanges``), the holder asks what to
present (``POST /workflows/{w}/exchanges/{e}`` with ``{}``: the service answers with the
workflow's :meth:`Workflow.presentation_request` under a fresh ``challenge`` and the
service's ``domain``), then posts a presentation, which the service hands to
:meth:`Workflow.complete` with the same challenge and domain. The workflow verifies the
presentation itself (it knows what evidence it needs and whom it trusts) and, when it
approves, issues the credential the service returns to the holder.

A workflow that also gives a query (:meth:`Workflow.dcql_query`) and the key that signs
requests (:class:`SignsRequests`) is offered over OpenID4VP 1.0 too: the exchange's
``protocols`` name an ``openid4vp://`` URL whose signed request object carries the same
challenge as its ``nonce``, and the wallet's ``direct_post`` reaches the same
:meth:`Workflow.complete`, bound to the request's ``client_id`` instead of the ``domain``.

``did_gov.approval.PolicyWorkflow`` implements both; the service imports approval, never the
other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from did_gov.keys import Signer

__all__ = ["SignsRequests", "Workflow", "WorkflowOutcome", "WorkflowResult"]


@dataclass(frozen=True)
class WorkflowResult:
    """What a workflow decided about one presented exchange.

    ``credential`` is the issued credential (a JSON object, or a compact token for VC-JOSE
    and SD-JWT) when ``approved``; ``code`` a stable code of ``specs/error-codes.md``
    (e.g. ``approval.denied``, ``approval.subject_mismatch``) and ``reason`` its words for
    the holder when not; ``record`` the decision record, or None.
    """

    approved: bool
    credential: object | None
    code: str | None
    reason: str | None
    record: dict[str, object] | None


class WorkflowOutcome(Protocol):
    """What :meth:`Workflow.complete` returns: :class:`WorkflowResult`, or any value of its shape.

    (``did_gov.approval.PolicyResult`` is one; approval does not import the service.)
    """

    @property
    def approved(self) -> bool:
        """Whether the workflow approved (and issued)."""
        ...

    @property
    def credential(self) -> object | None:
        """The issued credential when approved."""
        ...

    @property
    def code(self) -> str | None:
        """The stable code of a denial."""
        ...

    @property
    def reason(self) -> str | None:
        """The denial in words for the holder."""
        ...

    @property
    def record(self) -> dict[str, object] | None:
        """The decision record, or None."""
        ...


@runtime_checkable
class Workflow(Protocol):
    """An issuance workflow behind ``/workflows/{id}/exchanges`` (``specs/service.md``)."""

    id: str

    def presentation_request(self, *, challenge: str, domain: str) -> dict[str, object]:
        """The VCALM ``verifiablePresentationRequest`` (QueryByExample per evidence type)."""
        ...

    def dcql_query(self) -> dict[str, object] | None:
        """DCQL for the exchange's OID4VP protocol, or None."""
        ...

    def complete(self, presentation: object, *, challenge: str, domain: str) -> WorkflowOutcome:
        """Verify the holder's presentation (as posted, unverified) and decide.

        ``challenge`` and ``domain`` are the values of the request this presentation
        answers; a presentation not bound to them must not be approved. Invalid input is
        a result with ``approved=False`` and a code, never an exception.
        """
        ...


@runtime_checkable
class SignsRequests(Protocol):
    """A workflow whose exchanges are offered over OpenID4VP 1.0 (``specs/service.md`` §3.1)."""

    def request_signer(self) -> tuple[Signer, str]:
        """The key that signs the exchanges' request objects, and its DID URL (the ``kid``).

        The DID before ``#`` is the verifier's: the request's ``client_id`` is
        ``decentralized_identifier:<did>``, as the kiosk's (``specs/kiosk.md``).
        """
        ...
