"""W3C Verifiable Credential Data Integrity 1.0: add and verify proofs, proof sets and chains.

Cryptosuites: eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019 (P-256, P-384),
ecdsa-jcs-2019, and the legacy Ed25519Signature2020. This layer knows nothing
of DIDs: the caller passes a ``MethodResolver`` that turns a verification
method URL and a proof purpose into a public key (or raises a DidGovError).

>>> from did_gov.keys import PrivateKey
>>> key = PrivateKey.from_seed("ed25519", bytes(32))
>>> mb = key.public_key.to_multikey()
>>> doc = {"@context": ["https://www.w3.org/ns/credentials/v2",
...                     "https://www.w3.org/ns/credentials/examples/v2"],
...        "type": ["VerifiableCredential"], "issuer": "did:key:" + mb,
...        "credentialSubject": {"name": "Ada"}}
>>> signed = add_proof(doc, key, cryptosuite="eddsa-rdfc-2022",
...                    verification_method=f"did:key:{mb}#{mb}", created="2025-01-01T00:00:00Z")
>>> verify_proofs(signed, lambda url, purpose: key.public_key).verified
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from did_gov._encoding import base58btc_encode, multibase_decode
from did_gov._json import JsonFacts, check_json_value, marked_name
from did_gov.credentials import format_datetime, parse_datetime, utc_now
from did_gov.errors import DidGovError, InvalidInputError, ProofError, UnsupportedAlgorithmError
from did_gov.jsonld import ContextPolicy, OfflineDocumentLoader, default_loader, validate_contexts
from did_gov.keys import KeyType, PublicKey, Signer, sign_with
from did_gov.limits import DEFAULT_LIMITS, Limits
from did_gov.proofs._di_suites import (
    Cryptosuite,
    cryptosuites,
    find_suite,
    register_cryptosuite,
    suite_by_name,
)
from did_gov.proofs._result import Check, fail, shared_ok, unknown

__all__ = [
    "DATA_INTEGRITY_CONTEXT",
    "Cryptosuite",
    "DataIntegrityResult",
    "MethodResolver",
    "ProofResult",
    "add_proof",
    "check_contexts",
    "cryptosuites",
    "register_cryptosuite",
    "verify_proofs",
    "with_proof_context",
]

MethodResolver = Callable[[str, str], PublicKey]
"""(verification method URL, proof purpose) -> public key; raises DidGovError when it cannot."""

_SIGNATURE_LENGTHS = {KeyType.ED25519: 64, KeyType.P256: 64, KeyType.P384: 96}
DEFAULT_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ProofResult:
    """The outcome for one proof of a proof set."""

    proof: Any
    verification_method: str | None
    cryptosuite: str | None
    purpose: str | None
    verified: bool
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class DataIntegrityResult:
    """The outcome for a secured document: verified only if it has proofs and every one verifies."""

    verified: bool
    proofs: tuple[ProofResult, ...]
    checks: tuple[Check, ...]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def _time(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        if isinstance(value, str):
            parse_datetime(value, field="created")
        return value
    return format_datetime(value)


def _chain_input(unsecured: dict[str, Any], proofs: list[Any], previous: Any) -> dict[str, Any]:
    """VC DI §4.2 add proof with previousProof: the secured input carries the referenced proofs."""
    if previous is None:
        return unsecured
    wanted = _as_list(previous)
    matching = [p for p in proofs if isinstance(p, dict) and p.get("id") in wanted]
    if len(matching) != len(wanted) or not all(isinstance(w, str) for w in wanted):
        raise ProofError(
            f"previousProof {previous!r} does not name proofs in the set",
            code="proof.previous_missing",
        )
    return {**unsecured, "proof": matching}


DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
"""The context that defines the Data Integrity proof terms (VC DI 1.0 §2.4.2)."""
_DEFINES_PROOF_TERMS = frozenset(
    {
        DATA_INTEGRITY_CONTEXT,
        "https://w3id.org/security/data-integrity/v1",
        "https://www.w3.org/ns/credentials/v2",  # includes the Data Integrity terms
    }
)


def with_proof_context(document: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """VC DI 1.0 §2.4.2 context injection: ``document`` with the proof terms defined.

    When no context of ``document`` defines ``DataIntegrityProof``, ``cryptosuite``,
    ``proofValue`` … (a VCDM 1.1 credential, say), returns a copy whose ``@context`` has
    :data:`DATA_INTEGRITY_CONTEXT` **appended** (never prepended: the first context keeps
    its meaning) and ``True``; otherwise ``document`` itself and ``False``. A document
    whose ``@context`` includes the VCDM 2.0 context is never changed.
    """
    contexts = _as_list(document.get("@context", []))
    if any(isinstance(c, str) and c in _DEFINES_PROOF_TERMS for c in contexts):
        return document, False
    return {**document, "@context": [*contexts, DATA_INTEGRITY_CONTEXT]}, True


def add_proof(
    document: dict[str, Any],
    signer: Signer,
    *,
    cryptosuite: str,
    verification_method: str,
    proof_purpose: str = "assertionMethod",
    created: datetime | str | None = None,
    expires: datetime | str | None = None,
    challenge: str | None = None,
    domain: str | list[str] | None = None,
    nonce: str | None = None,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    loader: OfflineDocumentLoader | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with a new Data Integrity proof (VC DI 1.0 §4.2 Add Proof).

    An existing ``proof`` makes this a proof set; ``previous_proof`` makes a
    chain. ``created`` defaults to ``now`` (or the clock), in whole seconds.
    """
    if not isinstance(document, dict):
        raise InvalidInputError("a document to secure is a JSON object")
    check_json_value(document)
    suite = suite_by_name(cryptosuite)
    key_type = signer.public_key.key_type
    if key_type not in suite.key_types:
        raise UnsupportedAlgorithmError(
            f"{cryptosuite} does not sign with {key_type.value} keys",
            code="proof.key_type_mismatch",
        )
    loader = loader or default_loader()
    existing = [p for p in _as_list(document.get("proof", [])) if p is not None]
    config: dict[str, Any] = {"type": suite.proof_type}
    if suite.proof_type == "DataIntegrityProof":
        config["cryptosuite"] = suite.name
    if proof_id is not None:
        config["id"] = proof_id
    config["created"] = _time(created) or format_datetime(now or utc_now())
    if expires is not None:
        config["expires"] = _time(expires)
    config["verificationMethod"] = verification_method
    config["proofPurpose"] = proof_purpose
    for name, value in (("challenge", challenge), ("domain", domain), ("nonce", nonce)):
        if value is not None:
            config[name] = value
    if previous_proof is not None:
        config["previousProof"] = previous_proof
    if suite.context_in_proof and "@context" in document:
        config["@context"] = document["@context"]  # the jcs suites' Create Proof step 2
    unsecured = _chain_input(_unsecured(document), existing, previous_proof)
    signature = sign_with(signer, _hash_data(suite, config, unsecured, loader, key_type))
    proof = dict(config)
    proof["proofValue"] = base58btc_encode(signature)
    secured = dict(document)
    secured["proof"] = [*existing, proof] if existing else proof
    return secured


def _hash_data(
    suite: Cryptosuite,
    config: dict[str, Any],
    unsecured: dict[str, Any],
    loader: OfflineDocumentLoader,
    key_type: KeyType,
    limits: Limits = DEFAULT_LIMITS,
    prechecked: int | None = None,
) -> bytes:
    """Transform, configure and hash (the suites' Transformation, Proof Configuration, Hashing).

    The rdfc suites' Proof Configuration sets the configuration's ``@context`` to the
    document's; the jcs suites hash the proof options as they are (the proof carries
    its own ``@context``, if any). ``limits`` bound the transformation (RDFC-1.0 work,
    quads, items). ``prechecked``: the secured document both inputs are made of passed
    the JSON-LD precheck as a whole, with at most that many items (so each part does).
    """
    config = {k: v for k, v in config.items() if k != "proofValue"}
    if not suite.context_in_proof:
        config.pop("@context", None)
        if "@context" in unsecured:
            config["@context"] = unsecured["@context"]
    canonical_config = suite.canonical_config(
        config, loader, key_type, limits, prechecked=prechecked
    )
    canonical_document = suite.canonical_document(
        unsecured, loader, key_type, limits, prechecked=prechecked
    )
    return suite.hash_data(canonical_config, canonical_document, key_type)


class _Failed(Exception):
    """A check failed; carries it out of the step that found it."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.message)
        self.check = check


def verify_proofs(
    document: Any,
    resolve_method: MethodResolver,
    *,
    expected_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | list[str] | None = None,
    now: datetime | None = None,
    loader: OfflineDocumentLoader | None = None,
    limits: Limits = DEFAULT_LIMITS,
    clock_skew: timedelta = DEFAULT_SKEW,
    json_facts: JsonFacts | None = None,
) -> DataIntegrityResult:
    """Verify every proof of a secured document (VC DI 1.0 §4.4 Verify Proof). Never raises for bad input.

    The document is first held to the JSON parser's bounds under ``limits``
    (:func:`~did_gov._json.check_json_value`); ``json_facts``, what that walk returned for
    this very object under the same ``limits``, spares it. Its facts spare the JSON-LD
    precheck of every part the proofs canonicalize too.
    """
    if not isinstance(document, dict):
        check = fail("proof", "proof.malformed", "a secured document is a JSON object")
        return DataIntegrityResult(False, (), (check,))
    proofs = _as_list(document.get("proof", []))
    if not proofs or document.get("proof") is None:
        check = fail("proof", "proof.missing", "the document has no proof")
        return DataIntegrityResult(False, (), (check,))
    if len(proofs) > limits.max_proofs:
        check = fail("proof", "input.limit_exceeded", f"more than {limits.max_proofs} proofs")
        return DataIntegrityResult(False, (), (check,))
    if json_facts is None or not json_facts.about(document, limits):
        try:  # hold the object to the parser's bounds, learning what later steps need
            json_facts = check_json_value(document, limits)
        except DidGovError as exc:
            return DataIntegrityResult(False, (), (fail("proof", exc.code, exc.message),))
    context = _VerifyContext(
        document,
        proofs,
        resolve_method,
        expected_purpose,
        challenge,
        domain,
        now or utc_now(),
        loader or default_loader(),
        clock_skew,
        limits,
        json_facts.items if json_facts.precheck_passes() else None,
    )
    results = tuple(context.verify_one(i, proof) for i, proof in enumerate(proofs))
    checks = tuple(c for r in results for c in r.checks)
    return DataIntegrityResult(all(r.verified for r in results), results, checks)


@dataclass
class _VerifyContext:
    document: dict[str, Any]
    proofs: list[Any]
    resolve_method: MethodResolver
    purpose: str
    challenge: str | None
    domain: str | list[str] | None
    now: datetime
    loader: OfflineDocumentLoader
    skew: timedelta
    limits: Limits
    prechecked: int | None
    """The document's items when it passed the JSON-LD precheck as a whole, else None."""

    def verify_one(self, index: int, proof: Any) -> ProofResult:
        name = "proof" if len(self.proofs) == 1 else f"proof[{index}]"
        checks: list[Check] = []
        vm = suite_name = purpose = None
        try:
            if not isinstance(proof, dict):
                raise _Failed(fail(name, "proof.malformed", "a proof is a JSON object"))
            vm, purpose = proof.get("verificationMethod"), proof.get("proofPurpose")
            suite = self._suite(name, proof)
            suite_name = suite.name
            self._options(name, proof)
            key = self._key(name, proof)
            self._signature(name, proof, suite, key)
            checks.append(shared_ok(name, f"{suite.name} signature by {vm} verified"))
        except _Failed as failure:
            checks.append(failure.check)
        return ProofResult(
            proof,
            vm if isinstance(vm, str) else None,
            suite_name,
            purpose if isinstance(purpose, str) else None,
            all(c.ok for c in checks),
            tuple(checks),
        )

    def _suite(self, name: str, proof: dict[str, Any]) -> Cryptosuite:
        try:
            return find_suite(proof.get("type"), proof.get("cryptosuite"))
        except DidGovError as exc:
            raise _Failed(fail(name, exc.code, exc.message)) from None

    def _options(self, name: str, proof: dict[str, Any]) -> None:
        """Proof purpose, dates, challenge and domain (VC DI 1.0 §4.4 steps 3–8)."""
        loose = [k for k in proof if marked_name(k)]
        if loose:
            # An RDFC suite signs the proof's RDF: ``expires`` written under its IRI
            # (https://w3id.org/security#expiration) keeps the signature and hides the date.
            raise _Failed(
                fail(
                    name,
                    "proof.malformed",
                    f"proof member(s) {', '.join(sorted(loose))} written by keyword or IRI "
                    "instead of a term: the checks below read the terms",
                )
            )
        for member in ("verificationMethod", "proofPurpose", "proofValue"):
            if not isinstance(proof.get(member), str):
                raise _Failed(
                    fail(name, "proof.malformed", f"proof.{member} is missing or not a string")
                )
        if proof["proofPurpose"] != self.purpose:
            raise _Failed(
                fail(
                    name,
                    "proof.purpose_mismatch",
                    f"proofPurpose is {proof['proofPurpose']!r}, expected {self.purpose!r}",
                )
            )
        try:
            if (
                "created" in proof
                and parse_datetime(proof["created"], field="created") > self.now + self.skew
            ):
                raise _Failed(
                    fail(
                        name,
                        "proof.created_in_future",
                        f"created {proof['created']} is in the future",
                    )
                )
            if (
                "expires" in proof
                and parse_datetime(proof["expires"], field="expires") < self.now - self.skew
            ):
                raise _Failed(
                    fail(name, "proof.expired", f"the proof expired at {proof['expires']}")
                )
        except DidGovError as exc:
            raise _Failed(fail(name, "proof.malformed", exc.message)) from None
        if self.challenge is not None:
            if "challenge" not in proof:
                raise _Failed(fail(name, "proof.challenge_missing", "the proof has no challenge"))
            if proof["challenge"] != self.challenge:
                raise _Failed(
                    fail(
                        name,
                        "proof.challenge_mismatch",
                        "the proof's challenge is not the expected one",
                    )
                )
        if self.domain is not None:
            # VC DI §4.4 step 6: the same strings as proof.domain, a single string as a set
            domains = _as_list(proof.get("domain", []))
            if not all(isinstance(d, str) for d in domains) or set(domains) != set(
                _as_list(self.domain)
            ):
                raise _Failed(
                    fail(
                        name,
                        "proof.domain_mismatch",
                        f"the proof is not for domain {self.domain!r}",
                    )
                )

    def _key(self, name: str, proof: dict[str, Any]) -> PublicKey:
        try:
            return self.resolve_method(proof["verificationMethod"], proof["proofPurpose"])
        except DidGovError as exc:
            raise _Failed(
                unknown(name, exc.code, exc.message)
                if exc.code.startswith("network.")
                else fail(name, exc.code, exc.message)
            ) from None

    def _signature(
        self, name: str, proof: dict[str, Any], suite: Cryptosuite, key: PublicKey
    ) -> None:
        if key.key_type not in suite.key_types:
            raise _Failed(
                fail(
                    name,
                    "proof.key_type_mismatch",
                    f"{suite.name} cannot be verified with a {key.key_type.value} key",
                )
            )
        try:
            signature = multibase_decode(proof["proofValue"])
        except DidGovError:
            raise _Failed(fail(name, "proof.malformed", "proofValue is not multibase")) from None
        if (
            not proof["proofValue"].startswith("z")
            or len(signature) != _SIGNATURE_LENGTHS[key.key_type]
        ):
            raise _Failed(
                fail(name, "signature.invalid", "proofValue has the wrong encoding or length")
            )
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        unsecured = _unsecured(self.document)
        if suite.context_in_proof and "@context" in proof:
            # eddsa-jcs-2022 / ecdsa-jcs-2019 Verify Proof step 4
            self._check_context(name, proof["@context"])
            unsecured["@context"] = proof["@context"]
        try:
            unsecured = _chain_input(unsecured, self.proofs, proof.get("previousProof"))
            data = _hash_data(
                suite, config, unsecured, self.loader, key.key_type, self.limits, self.prechecked
            )
        except DidGovError as exc:
            raise _Failed(fail(name, exc.code, exc.message)) from None
        if not key.verify(signature, data):
            raise _Failed(
                fail(name, "signature.invalid", f"the {suite.name} signature does not verify")
            )

    def _check_context(self, name: str, proof_context: Any) -> None:
        """eddsa-jcs-2022 / ecdsa-jcs-2019 §3.x Verify Proof: the document starts with the proof's contexts."""
        document_context = _as_list(self.document.get("@context", []))
        wanted = _as_list(proof_context)
        if document_context[: len(wanted)] != wanted:
            raise _Failed(
                fail(
                    name,
                    "proof.context_mismatch",
                    "the document's @context does not start with the proof's",
                )
            )


def check_contexts(
    document: dict[str, Any],
    *,
    policy: ContextPolicy = ContextPolicy.RECOMPACT,
    loader: OfflineDocumentLoader | None = None,
    json_facts: JsonFacts | None = None,
) -> tuple[Check, dict[str, Any], tuple[str, ...]]:
    """The ``contexts`` check of a document whose proofs verified (VC DI §4.6); never raises.

    ``json_facts`` (:func:`~did_gov._json.check_json_value`'s, for this very object) spare
    the walk that looks for embedded contexts.

    Returns the check, the document every later step reads (recompacted under
    the pinned contexts when it carried others, see
    :func:`did_gov.jsonld.validate_contexts`) and its type IRIs. A recompacted
    document passes with the warning code ``jsonld.context_recompacted``.
    """
    try:
        result = validate_contexts(document, policy=policy, loader=loader, facts=json_facts)
    except DidGovError as exc:
        return fail("contexts", exc.code, exc.message), document, ()
    if result.recompacted:
        check = Check(
            "contexts",
            True,
            "jsonld.context_recompacted",
            f"contexts not pinned at {', '.join(result.unpinned)}: the document was "
            "recompacted under its pinned contexts to show what was signed",
        )
        return check, result.document, result.expanded_types
    return shared_ok("contexts", "every context is pinned"), document, result.expanded_types
