"""Smart approval: credentials issued by declared rules, every decision anchored and replayable.

An :class:`Policy` (``specs/issuance-policy.md``) is a signed, versioned document naming the
credential to issue, the evidence it needs (types, accredited issuers), a rule of named CEL
clauses and a template. :func:`evaluate` is a pure function of (policy, evidence, clock);
:func:`decide` issues on approval and anchors the decision record's hash in the
transparency log either way; :func:`replay` reproduces a recorded decision.
:class:`PolicyVersions` keeps the newest version of each policy an evaluator has seen
(rollback and withdrawal). :class:`PolicyWorkflow` runs a policy on the agency service's
exchanges.

Needs the ``approval`` extra (``pip install 'did-gov[approval]'``, the pinned
``common-expression-language`` evaluator). Knows nothing of HTTP.
"""

from did_gov.approval._decide import (
    EVALUATOR,
    Outcome,
    StatusAllocator,
    TrustState,
    evaluate,
    evaluator_version,
)
from did_gov.approval._evidence import Denial, Evidence, Submission
from did_gov.approval._policy import (
    FORMAT_VERSION,
    Clause,
    EvidenceRequirement,
    Policy,
    load_policy,
    sign_policy,
)
from did_gov.approval._record import Decision, ReplayResult, decide, parse_decision, replay
from did_gov.approval._versions import KeptVersion, PolicyVersions
from did_gov.approval._workflow import PolicyResult, PolicyWorkflow

__all__ = [
    "EVALUATOR",
    "FORMAT_VERSION",
    "Clause",
    "Decision",
    "Denial",
    "Evidence",
    "EvidenceRequirement",
    "KeptVersion",
    "Outcome",
    "Policy",
    "PolicyResult",
    "PolicyVersions",
    "PolicyWorkflow",
    "ReplayResult",
    "StatusAllocator",
    "Submission",
    "TrustState",
    "decide",
    "evaluate",
    "evaluator_version",
    "load_policy",
    "parse_decision",
    "replay",
    "sign_policy",
]
