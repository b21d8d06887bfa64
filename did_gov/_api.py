"""The top-level recipes: ``issue`` and ``present`` over keys, DIDs and the securing formats.

One unsigned credential can be issued as Data Integrity (``format="di"``,
the default, a JSON object), VC-JOSE (``"vc-jwt"``, a compact JWS) or SD-JWT
VC (``"sd-jwt"``); :class:`~did_gov.verify.Verifier` tells them apart by itself.
``anchor`` puts the salted hashes of credentials or documents on a transparency ledger.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, overload

from did_gov._log import LEDGER, logged_issue
from did_gov.credentials import VC_V1_CONTEXT, build_presentation, credential_problems, utc_now
from did_gov.dids import did_key
from did_gov.errors import (
    ContextInjectedWarning,
    CredentialError,
    InvalidInputError,
)
from did_gov.jsonld import OfflineDocumentLoader, check_json_ld, default_loader
from did_gov.keys import KeyType, PublicKey, Signer
from did_gov.ledger import AnchorKind, LedgerBackend, Receipt, anchor_leaf, new_salt
from did_gov.proofs import jose
from did_gov.proofs._di_suites import suite_by_name
from did_gov.proofs.data_integrity import DATA_INTEGRITY_CONTEXT, add_proof, with_proof_context
from did_gov.status import ENTRY_TYPE, StatusListEntry
from did_gov.verify._anchor import anchored_content

__all__ = [
    "FORMATS",
    "anchor",
    "default_cryptosuite",
    "issue",
    "issue_sd_jwt",
    "present",
    "present_sd_jwt",
]

FORMATS: tuple[str, ...] = ("di", "vc-jwt", "sd-jwt")
"""The securing formats ``issue`` and ``present`` accept; ``"di"`` is the default."""

_DEFAULT_SUITES = {
    KeyType.ED25519: "eddsa-rdfc-2022",
    KeyType.P256: "ecdsa-rdfc-2019",
    KeyType.P384: "ecdsa-rdfc-2019",
}


def default_cryptosuite(key: Signer) -> str:
    """The cryptosuite did_gov uses for a key type: eddsa-rdfc-2022 or ecdsa-rdfc-2019."""
    return _DEFAULT_SUITES[key.public_key.key_type]


def _loader(contexts: Iterable[str | os.PathLike[str]]) -> OfflineDocumentLoader:
    contexts = tuple(contexts)
    return OfflineDocumentLoader(contexts) if contexts else default_loader()


def _did_of(verification_method: str) -> str:
    return verification_method.split("#", 1)[0]


def _with_issuer(credential: Mapping[str, Any], issuer: str) -> dict[str, Any]:
    doc = dict(credential)
    current = doc.get("issuer")
    doc["issuer"] = {**current, "id": issuer} if isinstance(current, dict) else issuer
    return doc


def _check_named_issuer(credential: Mapping[str, Any]) -> None:
    """Refuse a malformed ``issuer`` in the input even though the key's DID replaces it (VCDM 2.0 §4.7).

    An absent issuer, or an object without ``id``, is filled in; ``null``, a string that is
    not a URL, or an object whose ``id`` is not a URL is ``credential.issuer_invalid``.
    """
    if "issuer" not in credential:
        return
    issuer = credential["issuer"]
    if isinstance(issuer, Mapping) and "id" not in issuer:
        return
    problems = [
        p
        for p in credential_problems({"issuer": issuer})
        if p.code in ("credential.issuer_invalid", "credential.issuer_missing")
    ]
    if problems:
        raise CredentialError(
            f"issuer must be a URL or an object with a URL id, got {issuer!r}",
            code="credential.issuer_invalid",
        )


def _check_json_ld(
    document: Mapping[str, Any], cryptosuite: str, loader: OfflineDocumentLoader
) -> None:
    """A JCS suite signs JSON, not JSON-LD: expand in safe mode first (VCDM 2.0 §2.1 conformance).

    RDFC-1.0 suites read the document as JSON-LD while signing; a JCS suite would sign an
    invalid context, a redefined protected term, a value object with extra keys or an
    undefined term without noticing, so :func:`issue` expands it first (``jsonld.*`` codes).
    """
    if not suite_by_name(cryptosuite).expands_jsonld:
        check_json_ld(dict(document), loader=loader)


def _check_status_entries(credential: Mapping[str, Any]) -> None:
    """Refuse a ``BitstringStatusListEntry`` the verifier would refuse, with its code."""
    entries = credential.get("credentialStatus", [])
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, Mapping) and entry.get("type") == ENTRY_TYPE:
            StatusListEntry.from_json(dict(entry))


def _check_version(credential: Mapping[str, Any], format: str) -> None:
    contexts = credential.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first == VC_V1_CONTEXT and format != "di":
        raise CredentialError(
            f"a VCDM 1.1 credential is secured only with Data Integrity (format 'di');"
            f" {format} needs VCDM 2.0",
            code="credential.version_unsupported",
        )


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise InvalidInputError(
            f"unknown format {format!r} (one of {', '.join(FORMATS)})", code="format.unsupported"
        )


@overload
def issue(
    credential: Mapping[str, Any],
    key: Signer,
    *,
    format: Literal["di"] = "di",
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclosable: Iterable[str] = (),
    holder_key: PublicKey | None = None,
) -> dict[str, Any]: ...


@overload
def issue(
    credential: Mapping[str, Any],
    key: Signer,
    *,
    format: Literal["vc-jwt", "sd-jwt"],
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclosable: Iterable[str] = (),
    holder_key: PublicKey | None = None,
) -> str: ...


@overload
def issue(
    credential: Mapping[str, Any],
    key: Signer,
    *,
    format: str,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclosable: Iterable[str] = (),
    holder_key: PublicKey | None = None,
) -> dict[str, Any] | str: ...


@logged_issue("di")
def issue(
    credential: Mapping[str, Any],
    key: Signer,
    *,
    format: str = "di",
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclosable: Iterable[str] = (),
    holder_key: PublicKey | None = None,
) -> dict[str, Any] | str:
    """Secure a credential and return it: a signed copy (``"di"``) or a token (``"vc-jwt"``, ``"sd-jwt"``).

    ``format="di"`` adds a Data Integrity proof; ``"vc-jwt"`` returns an
    ``application/vc+jwt`` compact JWS whose ``kid`` is the verification
    method; ``"sd-jwt"`` an SD-JWT VC whose ``disclosable`` paths (e.g.
    ``credentialSubject.birthDate``) are selectively disclosable.

    Without ``verification_method`` the key's did:key is used and becomes the
    credential's ``issuer`` (replacing whatever issuer the input named; a malformed one —
    not a URL, ``null`` — is ``credential.issuer_invalid``). With one, the input's issuer
    is kept and must be the method's DID. A JCS cryptosuite signs JSON, so the credential
    is first expanded as JSON-LD in safe mode (``jsonld.*``), as RDFC-1.0 does anyway. The default
    cryptosuite follows the key type (see :func:`default_cryptosuite`).

    A VCDM 1.1 credential (``https://www.w3.org/2018/credentials/v1`` first, with
    ``issuanceDate``) is secured with Data Integrity only (``credential.version_unsupported``
    for the token formats). When none of a credential's contexts defines the proof terms,
    ``https://w3id.org/security/data-integrity/v2`` is appended to its ``@context`` (VC DI
    1.0 §2.4.2, never prepended) and a :class:`~did_gov.errors.ContextInjectedWarning` says
    so; a VCDM 2.0 credential is never changed. A ``BitstringStatusListEntry`` the verifier
    would refuse (a non-string ``statusListIndex``, …) is refused here with the same code
    (``status.entry_malformed``).

    >>> from did_gov.keys import PrivateKey
    >>> key = PrivateKey.from_seed("ed25519", bytes(32))
    >>> vc = issue({"@context": ["https://www.w3.org/ns/credentials/v2",
    ...                          "https://www.w3.org/ns/credentials/examples/v2"],
    ...             "type": ["VerifiableCredential"], "issuer": "did:example:x",
    ...             "credentialSubject": {"name": "Ada"}}, key, created="2025-01-01T00:00:00Z")
    >>> vc["issuer"] == did_key.did_for_public_key(key.public_key)
    True
    """
    if not isinstance(credential, Mapping):
        raise InvalidInputError("a credential is a JSON object")
    if verification_method is None:
        _check_named_issuer(credential)
        verification_method = did_key.verification_method_id(key.public_key)
        doc = _with_issuer(credential, _did_of(verification_method))
    else:
        doc = dict(credential)
    problems = credential_problems(doc)
    if problems:
        raise CredentialError("; ".join(p.message for p in problems), code=problems[0].code)
    _check_format(format)
    _check_version(doc, format)
    _check_status_entries(doc)
    if cryptosuite is not None and format != "di":
        raise InvalidInputError("a cryptosuite only applies to format 'di'")
    paths = tuple(disclosable)
    if (paths or holder_key is not None) and format != "sd-jwt":
        raise InvalidInputError("disclosable paths and holder_key only apply to format 'sd-jwt'")
    if format == "vc-jwt":
        return jose.sign_vc_jwt(doc, key, kid=verification_method)
    if format == "sd-jwt":
        return issue_sd_jwt(
            doc, key, disclosable=paths, holder_key=holder_key, kid=verification_method, now=now
        )
    doc, injected = with_proof_context(doc)
    if injected:
        warnings.warn(
            f"{DATA_INTEGRITY_CONTEXT} was appended to the credential's @context: none of its"
            " contexts defines the Data Integrity proof terms (VC DI 1.0 §2.4.2)",
            ContextInjectedWarning,
            stacklevel=2,
        )
    suite = cryptosuite or default_cryptosuite(key)
    loader = _loader(contexts)
    _check_json_ld(doc, suite, loader)
    return add_proof(
        doc,
        key,
        cryptosuite=suite,
        verification_method=verification_method,
        proof_purpose="assertionMethod",
        created=created if created is not None else (now or utc_now()),
        loader=loader,
    )


@overload
def present(
    credentials: Iterable[Mapping[str, Any] | str],
    key: Signer,
    *,
    format: Literal["di"] = "di",
    challenge: str | None = None,
    domain: str | None = None,
    holder: str | None = None,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclose: Iterable[str] = (),
) -> dict[str, Any]: ...


@overload
def present(
    credentials: Iterable[Mapping[str, Any] | str],
    key: Signer,
    *,
    format: Literal["vc-jwt", "vp-jwt", "sd-jwt"],
    challenge: str | None = None,
    domain: str | None = None,
    holder: str | None = None,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclose: Iterable[str] = (),
) -> str: ...


@overload
def present(
    credentials: Iterable[Mapping[str, Any] | str],
    key: Signer,
    *,
    format: str,
    challenge: str | None = None,
    domain: str | None = None,
    holder: str | None = None,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclose: Iterable[str] = (),
) -> dict[str, Any] | str: ...


def present(
    credentials: Iterable[Mapping[str, Any] | str],
    key: Signer,
    *,
    format: str = "di",
    challenge: str | None = None,
    domain: str | None = None,
    holder: str | None = None,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    disclose: Iterable[str] = (),
) -> dict[str, Any] | str:
    """Wrap secured credentials in a presentation signed for ``authentication``.

    The holder defaults to the DID of the signing key (its did:key unless
    ``verification_method`` names another). ``challenge`` and ``domain`` bind
    the presentation to one verifier's request, so it cannot be replayed.

    ``format="di"`` (default) returns a presentation with a Data Integrity
    proof; ``"vc-jwt"`` (or ``"vp-jwt"``) an ``application/vp+jwt`` token
    whose ``nonce``/``aud`` claims are ``challenge``/``domain``. Credentials
    given as tokens (VC-JOSE, SD-JWT) are enveloped
    (``EnvelopedVerifiableCredential`` with a ``data:`` URL). ``"sd-jwt"`` presents
    one SD-JWT VC with the disclosures for the ``disclose`` claim paths and a Key
    Binding JWT by ``key`` over ``challenge`` (nonce) and ``domain`` (audience).
    """
    if format == "vp-jwt":
        format = "vc-jwt"
    _check_format(format)
    if cryptosuite is not None and format != "di":
        raise InvalidInputError("a cryptosuite only applies to format 'di'")
    if format == "sd-jwt":
        tokens = list(credentials)
        if len(tokens) != 1 or not isinstance(tokens[0], str):
            raise InvalidInputError("an SD-JWT presentation carries exactly one SD-JWT VC string")
        return present_sd_jwt(
            tokens[0], disclose, holder_key=key, nonce=challenge, audience=domain, now=now
        )
    embedded = [_embeddable(c) for c in credentials]
    if verification_method is None:
        verification_method = did_key.verification_method_id(key.public_key)
    signer_did = _did_of(verification_method)
    if holder is not None and holder != signer_did:
        raise CredentialError(
            f"holder {holder} is not the controller of {verification_method}",
            code="presentation.holder_mismatch",
        )
    vp = build_presentation(embedded, holder=holder or signer_did)
    if format == "vc-jwt":
        return jose.sign_vp_jwt(vp, key, kid=verification_method, nonce=challenge, audience=domain)
    return add_proof(
        vp,
        key,
        cryptosuite=cryptosuite or default_cryptosuite(key),
        verification_method=verification_method,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
        created=created if created is not None else (now or utc_now()),
        loader=_loader(contexts),
    )


def _embeddable(credential: Mapping[str, Any] | str) -> Mapping[str, Any]:
    """A credential as a presentation carries it: objects as they are, tokens enveloped."""
    if isinstance(credential, Mapping):
        return credential
    if not isinstance(credential, str):
        raise InvalidInputError("a credential is a JSON object or a token string")
    token = credential.strip()
    if "~" in token:
        return jose.envelope(token, "application/vc+sd-jwt")
    if not jose.is_compact_jws(token):
        raise InvalidInputError("a credential string must be a VC-JOSE or SD-JWT token")
    return jose.envelope(token, jose.VC_MEDIA_TYPE)


@logged_issue("sd-jwt")
def issue_sd_jwt(
    credential: Mapping[str, Any],
    key: Signer,
    *,
    disclosable: Iterable[str] = (),
    holder_key: PublicKey | None = None,
    vct: str | None = None,
    kid: str | None = None,
    decoys: int = 2,
    salt: Callable[[], str] | None = None,
    now: datetime | None = None,
) -> str:
    """Issue a VC 2.0 credential as an SD-JWT VC (``dc+sd-jwt``), mapped per ``specs/sd-jwt-vc-mapping.md``.

    Without ``kid`` the key's did:key becomes ``iss`` and its verification
    method the ``kid``; with one (a DID URL, or any key id for a non-DID
    issuer), the credential's issuer is kept. ``disclosable`` paths may name
    the credential (``/credentialSubject/birthDate``) or the SD-JWT VC claims
    (``/birthDate``). ``holder_key`` goes into ``cnf`` for key binding.
    """
    from did_gov.proofs import sd_jwt
    from did_gov.proofs._sd_jwt_vc import vc_claim_path, vc_to_sd_jwt_claims

    if not isinstance(credential, Mapping):
        raise InvalidInputError("a credential is a JSON object")
    _check_version(credential, "sd-jwt")
    _check_status_entries(credential)
    if kid is None:
        kid = did_key.verification_method_id(key.public_key)
        credential = _with_issuer(credential, _did_of(kid))
    claims = vc_to_sd_jwt_claims(credential, issued_at=now or utc_now(), vct=vct)
    return sd_jwt.issue_sd_jwt(
        claims,
        key,
        disclosable=[vc_claim_path(p) for p in disclosable],
        holder_key=holder_key,
        kid=kid,
        decoys=decoys,
        salt=salt,
    )


def present_sd_jwt(
    credential: str,
    disclose: Iterable[str],
    *,
    holder_key: Signer | None = None,
    nonce: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
) -> str:
    """Present an SD-JWT VC: keep the disclosures for the ``disclose`` paths, add a KB-JWT.

    With ``holder_key`` (the key in ``cnf``) the presentation ends in a Key
    Binding JWT over ``nonce``, ``audience`` and the kept disclosures.
    """
    from did_gov.proofs import sd_jwt
    from did_gov.proofs._sd_jwt_vc import vc_claim_path

    return sd_jwt.present_sd_jwt(
        credential,
        [vc_claim_path(p) for p in disclose],
        holder_key=holder_key,
        nonce=nonce,
        audience=audience,
        now=now,
    )


def anchor(
    documents: Mapping[str, Any] | str | bytes | Iterable[Mapping[str, Any] | str | bytes],
    ledger: LedgerBackend,
    *,
    kind: AnchorKind | str | None = None,
    randbytes: Callable[[int], bytes] = secrets.token_bytes,
) -> list[Receipt]:
    """Anchor credentials or documents on ``ledger`` in one batch; one receipt per document.

    A document is a Data Integrity credential (a JSON object), a compact JWT or SD-JWT
    string, a status list credential, or any ``bytes`` (procurement records, budgets,
    minutes); ``specs/anchor-receipt.md`` §7.1 says which bytes are anchored. Only salted
    hashes reach the ledger; each receipt carries its salt for the holder. Hand the holder
    ``attach_receipts(credential, receipts)``. ``randbytes`` is injectable for tests only.

    >>> from did_gov.keys import PrivateKey
    >>> from did_gov.ledger import open_ledger
    >>> log = open_ledger("memory:", log_key=PrivateKey.generate(), origin="example.com/log")
    >>> [r.anchor.kind.value for r in anchor([b"budget 2025", {"a": 1}], log, kind="document")]
    ['document', 'document']
    """
    if isinstance(documents, Mapping | str | bytes | bytearray):
        documents = [documents]
    opened = [anchored_content(document, kind) for document in documents]
    salts = [new_salt(randbytes) for _ in opened]
    leaves = [anchor_leaf(k, content, s) for (k, content), s in zip(opened, salts, strict=True)]
    receipts = ledger.append(leaves)
    LEDGER.info("anchored %d document(s) (%s)", len(receipts),
                ", ".join(sorted({k.value for k, _ in opened})))  # fmt: skip
    return [r.with_anchor(k, s) for r, (k, _), s in zip(receipts, opened, salts, strict=True)]
