"""Step 3 for Data Integrity: the proofs, their signers, and the shared value (``specs/verification.md``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from did_gov._json import JsonFacts, check_json_value
from did_gov.credentials import VC_V1_CONTEXT, credential_problems, presentation_problems
from did_gov.dids import VerificationMethod
from did_gov.errors import DidGovError
from did_gov.jsonld import ContextPolicy, OfflineDocumentLoader, check_json_ld
from did_gov.keys import PublicKey
from did_gov.limits import Limits
from did_gov.proofs._di_suites import suite_by_name
from did_gov.proofs._result import Check, fail, shared_ok
from did_gov.proofs.data_integrity import ProofResult, check_contexts, verify_proofs
from did_gov.verify._keys import KeyRing
from did_gov.verify._model import Bound, Kind, Secured, Signer, as_list, id_of

__all__ = ["secure_di", "shape_checks", "subject_ids", "types_of", "vcdm_window"]

_PURPOSE = {"credential": "assertionMethod", "presentation": "authentication"}


def shape_checks(kind: Kind, document: Any) -> list[Check]:
    """The VCDM 2.0 (or 1.1) shape of a credential or presentation: one check ``shape``."""
    problems: Iterable[DidGovError] = (
        credential_problems(document) if kind == "credential" else presentation_problems(document)
    )
    found = [fail("shape", p.code, p.message) for p in problems]
    return found or [shared_ok("shape", "well-formed")]


def subject_ids(document: Any) -> tuple[str, ...]:
    """Every ``credentialSubject.id`` that is a string."""
    if not isinstance(document, dict):
        return ()
    subjects = document.get("credentialSubject", [])
    ids = [s.get("id") for s in as_list(subjects) if isinstance(s, dict)]
    return tuple([i for i in ids if isinstance(i, str)])


def types_of(document: Any) -> tuple[str, ...]:
    """The ``type`` terms of a document, as written."""
    if not isinstance(document, dict):
        return ()
    return tuple([t for t in as_list(document.get("type", [])) if isinstance(t, str)])


def vcdm_window(document: Any) -> tuple[Bound, ...]:
    """VCDM 2.0 ``validFrom``/``validUntil``; a VCDM 1.1 credential's ``issuanceDate``/``expirationDate`` too."""
    if not isinstance(document, dict):
        return ()
    contexts = as_list(document.get("@context"))
    v1 = bool(contexts) and contexts[0] == VC_V1_CONTEXT
    fields = [("validFrom", "start"), ("validUntil", "end")]
    if v1:
        fields = [("issuanceDate", "start"), ("expirationDate", "end"), *fields]
    return tuple(
        Bound(name, role, document[name], timezone_required=not v1)  # type: ignore[arg-type]
        for name, role in fields
        if name in document
    )


def _signed_as_json(proofs: Iterable[ProofResult]) -> bool:
    """Whether a proof's suite signed the JSON (JCS), so no JSON-LD processing saw the document."""
    for proof in proofs:
        try:
            if proof.cryptosuite and not suite_by_name(proof.cryptosuite).expands_jsonld:
                return True
        except DidGovError:
            continue
    return False


def _json_ld_check(
    written: dict[str, Any], contexts: Check, loader: OfflineDocumentLoader, limits: Limits
) -> Check:
    """A JCS-secured document must still be valid JSON-LD (VC DI §4: conforming processors
    MUST produce errors when non-conforming documents are consumed); cached per shape."""
    try:
        check_json_ld(
            {k: v for k, v in written.items() if k != "proof"}, loader=loader, limits=limits
        )
    except DidGovError as exc:
        return fail("contexts", exc.code, exc.message)
    return contexts


_VCDM_VOCABULARY = "https://www.w3.org/2018/credentials#"


def _credentials_as_written(
    written: dict[str, Any], recompacted: dict[str, Any], contexts: Check
) -> Check:
    """A recompacted presentation shows the credentials step 6 verifies, and no others.

    Step 6 verifies the ``verifiableCredential`` members as written, while later steps
    and ``report.document`` read the recompaction: a presentation that writes its
    credentials under the term's IRI (as a graph object, or as a plain node) had none
    verified while its recompaction showed them.
    """
    shown = len(as_list(recompacted.get("verifiableCredential", [])))
    verified = len(as_list(written.get("verifiableCredential", [])))
    hidden = [k for k in recompacted if k.startswith(_VCDM_VOCABULARY)]
    if shown == verified and not hidden:
        return contexts
    return fail(
        "contexts",
        "jsonld.not_compact",
        f"the presentation writes {verified} credential(s) under verifiableCredential, but its "
        f"recompaction shows {shown}{' and ' + ', '.join(hidden) if hidden else ''}: its "
        "credentials are named by term, or not verified",
    )


def secure_di(
    document: dict[str, Any],
    kind: Kind,
    keys: KeyRing,
    moment: datetime,
    *,
    clock_skew: timedelta,
    loader: OfflineDocumentLoader,
    limits: Limits,
    challenge: str | None = None,
    domain: str | None = None,
    context_policy: ContextPolicy = ContextPolicy.RECOMPACT,
    json_facts: JsonFacts | None = None,
) -> Secured:
    """Verify every proof of a credential or presentation (VC DI 1.0 §4.4) and read the shared value.

    Once every proof verified, the contexts step (VC DI §4.6, ``context_policy``) gives
    the document the later steps read: recompacted under its pinned contexts when it
    carried others, so an appended context cannot rename what was signed. A
    presentation's credentials are taken as written: each goes through its own step.
    ``json_facts``: what step 1's walk (:func:`~did_gov._json.check_json_value`) learned of
    ``document``; else that walk runs here, once, for the proofs and the contexts step.
    """
    if json_facts is None or not json_facts.about(document, limits):
        try:
            json_facts = check_json_value(document, limits)
        except DidGovError:
            json_facts = None  # verify_proofs reports it
    checks = shape_checks(kind, document)
    purpose = _PURPOSE[kind]
    seen: dict[str, VerificationMethod] = {}

    def resolve(vm_url: str, wanted: str) -> PublicKey:
        key, method = keys.method(vm_url, wanted, moment)
        seen[vm_url] = method
        return key

    result = verify_proofs(
        document,
        resolve,
        expected_purpose=purpose,
        challenge=challenge,
        domain=domain,
        now=moment,
        loader=loader,
        limits=limits,
        clock_skew=clock_skew,
        json_facts=json_facts,
    )
    checks += result.checks
    signers = tuple(
        Signer(p.verification_method, seen[p.verification_method].controller, purpose)
        for p in result.proofs
        if p.verified and p.verification_method in seen
    )
    written = document
    expanded: tuple[str, ...] = ()
    if result.verified:
        contexts, document, expanded = check_contexts(
            written, policy=context_policy, loader=loader, json_facts=json_facts
        )
        if contexts.ok and _signed_as_json(result.proofs):
            contexts = _json_ld_check(written, contexts, loader, limits)
        if contexts.ok and kind == "presentation" and document is not written:
            contexts = _credentials_as_written(written, document, contexts)
        checks.append(contexts)
    issuer = id_of(document.get("issuer"))
    holder = id_of(document.get("holder"))
    status = [e for e in as_list(document.get("credentialStatus", [])) if e is not None]
    return Secured(
        format="vc-di" if kind == "credential" else "vp-di",
        kind=kind,
        checks=tuple(checks),
        document=document,
        issuer=issuer if isinstance(issuer, str) and kind == "credential" else None,
        holder=holder if isinstance(holder, str) and kind == "presentation" else None,
        signers=signers,
        subject_ids=subject_ids(document) if kind == "credential" else (),
        types=types_of(document),
        expanded_types=expanded,
        window=vcdm_window(document),
        status=tuple(status) if kind == "credential" else (),
        credentials=tuple(as_list(written.get("verifiableCredential", [])))
        if kind == "presentation"
        else (),
    )
