"""The top-level recipes: ``issue`` and ``present`` over keys, DIDs and Data Integrity proofs.

``anchor`` puts the salted hashes of credentials or documents on a transparency ledger.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from did_gov.credentials import build_presentation, credential_problems, utc_now
from did_gov.dids import did_key
from did_gov.errors import CredentialError, InvalidInputError
from did_gov.jsonld import OfflineDocumentLoader, default_loader
from did_gov.keys import KeyType, Signer
from did_gov.ledger import AnchorKind, LedgerBackend, Receipt, anchor_leaf, new_salt
from did_gov.proofs.data_integrity import add_proof
from did_gov.verify._anchor import anchored_content

__all__ = ["anchor", "default_cryptosuite", "issue", "present"]

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


def issue(
    credential: Mapping[str, Any],
    key: Signer,
    *,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """Secure a credential with a Data Integrity proof and return the signed copy.

    Without ``verification_method`` the key's did:key is used and becomes the
    credential's ``issuer`` (replacing whatever issuer the input named). With
    one, the input's issuer is kept and must be the method's DID. The default
    cryptosuite follows the key type (see :func:`default_cryptosuite`).

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
        verification_method = did_key.verification_method_id(key.public_key)
        doc = _with_issuer(credential, _did_of(verification_method))
    else:
        doc = dict(credential)
    problems = credential_problems(doc)
    if problems:
        raise CredentialError("; ".join(p.message for p in problems), code=problems[0].code)
    return add_proof(
        doc,
        key,
        cryptosuite=cryptosuite or default_cryptosuite(key),
        verification_method=verification_method,
        proof_purpose="assertionMethod",
        created=created if created is not None else (now or utc_now()),
        loader=_loader(contexts),
    )


def present(
    credentials: Iterable[Mapping[str, Any]],
    key: Signer,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    holder: str | None = None,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    contexts: Iterable[str | os.PathLike[str]] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """Wrap secured credentials in a presentation signed for ``authentication``.

    The holder defaults to the DID of the signing key (its did:key unless
    ``verification_method`` names another). ``challenge`` and ``domain`` bind
    the presentation to one verifier's request, so it cannot be replayed.
    """
    if verification_method is None:
        verification_method = did_key.verification_method_id(key.public_key)
    signer_did = _did_of(verification_method)
    if holder is not None and holder != signer_did:
        raise CredentialError(
            f"holder {holder} is not the controller of {verification_method}",
            code="presentation.holder_mismatch",
        )
    vp = build_presentation(credentials, holder=holder or signer_did)
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
    return [r.with_anchor(k, s) for r, (k, _), s in zip(receipts, opened, salts, strict=True)]
