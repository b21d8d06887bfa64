"""Data Integrity cryptosuites: one small unit each, bytes in and bytes out.

Each suite says which proof ``type``/``cryptosuite`` it handles, which key
types sign for it, how a document is transformed (RDFC-1.0 or JCS) and which
hash it uses. ``hash_data`` implements the suites' "Hashing" step:
``hash(canonical proof configuration) ‖ hash(transformed document)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from did_gov.errors import UnsupportedAlgorithmError
from did_gov.jsonld import OfflineDocumentLoader, canonicalize, canonicalize_prechecked
from did_gov.keys import KeyType
from did_gov.limits import DEFAULT_LIMITS, Limits

__all__ = ["Cryptosuite", "cryptosuites", "find_suite", "register_cryptosuite"]


def _rdfc(
    document: dict[str, Any], loader: OfflineDocumentLoader, hash_name: str, limits: Limits
) -> bytes:
    return canonicalize(document, loader=loader, hash_name=hash_name, limits=limits).encode("utf-8")


def _jcs(
    document: dict[str, Any], loader: OfflineDocumentLoader, hash_name: str, limits: Limits
) -> bytes:
    from did_gov.jsonld import jcs

    return jcs(document)


@dataclass(frozen=True)
class Cryptosuite:
    """A Data Integrity cryptosuite (or a legacy proof type) and its algorithms."""

    name: str
    proof_type: str
    key_types: frozenset[KeyType]
    transform: Callable[[dict[str, Any], OfflineDocumentLoader, str, Limits], bytes]
    """``(document, loader, hash name, limits) -> bytes``; an RDFC transform holds the
    document to ``limits`` (items, depth, quads, canonicalization work)."""
    context_in_proof: bool = False
    """JCS suites copy the document's ``@context`` into the proof (eddsa-jcs-2022 §3.3.1)."""

    @property
    def expands_jsonld(self) -> bool:
        """Whether the transformation reads the document as JSON-LD (RDFC-1.0), unlike JCS."""
        return self.transform is _rdfc

    def hash_name(self, key_type: KeyType) -> str:
        """SHA-256, or SHA-384 for P-384 keys (ECDSA suites §3.3.3: P-384 uses SHA-384 throughout)."""
        return key_type.hash_name

    def canonical_config(
        self,
        config: dict[str, Any],
        loader: OfflineDocumentLoader,
        key_type: KeyType,
        limits: Limits = DEFAULT_LIMITS,
        *,
        prechecked: int | None = None,
    ) -> bytes:
        """The canonical proof configuration (the proof options without ``proofValue``).

        ``prechecked``: see :meth:`canonical_document`.
        """
        return self._transformed(config, loader, key_type, limits, prechecked)

    def canonical_document(
        self,
        document: dict[str, Any],
        loader: OfflineDocumentLoader,
        key_type: KeyType,
        limits: Limits = DEFAULT_LIMITS,
        *,
        prechecked: int | None = None,
    ) -> bytes:
        """The transformed unsecured document, within ``limits``.

        ``prechecked`` (a bound on its items) says the document is made of parts of a
        secured document that passed the JSON-LD precheck under ``limits`` as a whole, so
        the RDFC transform need not walk it again (every other transform ignores it).
        """
        return self._transformed(document, loader, key_type, limits, prechecked)

    def _transformed(
        self,
        document: dict[str, Any],
        loader: OfflineDocumentLoader,
        key_type: KeyType,
        limits: Limits,
        prechecked: int | None,
    ) -> bytes:
        hash_name = self.hash_name(key_type)
        if prechecked is not None and self.transform is _rdfc:
            return canonicalize_prechecked(
                document, loader=loader, hash_name=hash_name, limits=limits, items=prechecked
            ).encode("utf-8")
        return self.transform(document, loader, hash_name, limits)

    def hash_data(
        self, canonical_config: bytes, canonical_document: bytes, key_type: KeyType
    ) -> bytes:
        """``hash(proof configuration) ‖ hash(document)`` — the bytes that are signed."""
        hasher = getattr(hashlib, self.hash_name(key_type))
        return bytes(hasher(canonical_config).digest() + hasher(canonical_document).digest())


_ED = frozenset({KeyType.ED25519})
_EC = frozenset({KeyType.P256, KeyType.P384})
_SUITES: dict[tuple[str, str | None], Cryptosuite] = {}


def register_cryptosuite(suite: Cryptosuite) -> None:
    """Register a cryptosuite; a later registration of the same name replaces the earlier."""
    cryptosuite = None if suite.proof_type != "DataIntegrityProof" else suite.name
    _SUITES[(suite.proof_type, cryptosuite)] = suite


for _suite in (
    Cryptosuite("eddsa-rdfc-2022", "DataIntegrityProof", _ED, _rdfc),
    Cryptosuite("eddsa-jcs-2022", "DataIntegrityProof", _ED, _jcs, context_in_proof=True),
    Cryptosuite("ecdsa-rdfc-2019", "DataIntegrityProof", _EC, _rdfc),
    Cryptosuite("ecdsa-jcs-2019", "DataIntegrityProof", _EC, _jcs, context_in_proof=True),
    Cryptosuite("Ed25519Signature2020", "Ed25519Signature2020", _ED, _rdfc),
):
    register_cryptosuite(_suite)


def cryptosuites() -> tuple[str, ...]:
    """The names of every registered cryptosuite (legacy proof types by their type name)."""
    return tuple(sorted(suite.name for suite in _SUITES.values()))


def find_suite(proof_type: Any, cryptosuite: Any) -> Cryptosuite:
    """The suite for a proof's ``type`` and ``cryptosuite``; UnsupportedAlgorithmError otherwise."""
    key = (proof_type, cryptosuite if proof_type == "DataIntegrityProof" else None)
    suite = _SUITES.get(key) if isinstance(proof_type, str) else None
    if suite is None:
        raise UnsupportedAlgorithmError(
            f"unsupported proof type {proof_type!r} / cryptosuite {cryptosuite!r}",
            code="proof.cryptosuite_unsupported",
        )
    return suite


def suite_by_name(name: str) -> Cryptosuite:
    """The suite registered under ``name`` (e.g. ``eddsa-rdfc-2022``)."""
    for suite in _SUITES.values():
        if suite.name == name:
            return suite
    raise UnsupportedAlgorithmError(
        f"unknown cryptosuite {name!r}", code="proof.cryptosuite_unsupported"
    )
