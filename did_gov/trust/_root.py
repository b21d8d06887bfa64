"""The trust root file (``specs/trust-bundle.md`` §3): bundle keys, threshold, root authorities.

A kiosk is provisioned once with a root. Root N+1 replaces root N only when signed by a
threshold of root N's keys **and** a threshold of its own (TUF root rotation), one version
at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from did_gov._time import format_datetime, parse_datetime
from did_gov.dids import parse_did
from did_gov.errors import DidGovError, InvalidInputError, TrustError
from did_gov.keys import PublicKey, Signer
from did_gov.trust._signed import (
    count_signatures,
    parse_envelope,
    parse_keys,
    signed_envelope,
    signing_input,
)

__all__ = ["TrustRoot", "build_root", "walk_roots"]

_KIND = "trust-root"
_MEMBERS = {"type", "version", "expires", "keys", "threshold", "authorities"}


def _bad(message: str, code: str = "trust.bundle_root_invalid") -> TrustError:
    return TrustError(message, code=code)


@dataclass(frozen=True)
class TrustRoot:
    """A parsed root file; :meth:`parse` checks its own threshold of signatures.

    ``keys`` (by JWK thumbprint) sign bundles and the next root; ``threshold`` of them must
    agree; ``authorities`` are the pinned root authorities of the trust registry.
    """

    version: int
    expires: datetime
    keys: dict[str, PublicKey]
    threshold: int
    authorities: tuple[str, ...]
    document: dict[str, Any] = field(repr=False, compare=False)
    signatures: list[tuple[str, bytes]] = field(repr=False, compare=False)

    @property
    def signed_bytes(self) -> bytes:
        """The bytes this root's signatures cover."""
        return signing_input(_KIND, self.document["signed"])

    def signed_by_threshold_of(self, other: TrustRoot) -> bool:
        """Whether ``other``'s threshold of keys signed this root."""
        return count_signatures(self.signed_bytes, self.signatures, other.keys) >= other.threshold

    def verify_threshold(self, data: bytes, signatures: list[tuple[str, bytes]]) -> bool:
        """Whether a threshold of this root's keys signed ``data``."""
        return count_signatures(data, signatures, self.keys) >= self.threshold

    @property
    def key_set(self) -> tuple[frozenset[str], int]:
        """The bundle-signing keys and threshold (a change resets the installed version floor)."""
        return frozenset(self.keys), self.threshold

    def expired(self, now: datetime) -> bool:
        """Whether the root has expired at ``now``."""
        return now >= self.expires

    @classmethod
    def parse(cls, value: object) -> TrustRoot:
        """Parse a root file and check that it carries a threshold of its own signatures."""
        signed, signatures = parse_envelope(value, "trust.bundle_root_invalid", "a trust root")
        assert isinstance(value, dict)  # noqa: S101 - parse_envelope checked it
        if set(signed) != _MEMBERS or signed["type"] != "TrustRoot":
            raise _bad(f"a trust root's signed part has exactly {sorted(_MEMBERS)}, type TrustRoot")
        version, threshold = signed["version"], signed["threshold"]
        for name, number in (("version", version), ("threshold", threshold)):
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise _bad(f"trust root {name} must be a positive integer")
        try:
            expires = parse_datetime(signed["expires"], field="expires")
        except DidGovError as exc:
            raise _bad(f"trust root expires: {exc}") from None
        keys = parse_keys(signed["keys"], "trust.bundle_root_invalid", "a trust root")
        if threshold > len(keys):
            raise _bad(f"threshold {threshold} exceeds the {len(keys)} keys")
        authorities = signed["authorities"]
        if not isinstance(authorities, list) or not authorities:
            raise _bad("a trust root names at least one authority")
        for did in authorities:
            try:
                parse_did(did)
            except DidGovError:
                raise _bad(f"authority {did!r} is not a DID") from None
        root = cls(version, expires, keys, threshold, tuple(authorities), dict(value), signatures)
        if not root.signed_by_threshold_of(root):
            raise _bad(
                f"trust root v{version} lacks a threshold ({threshold}) of its own signatures",
                code="trust.bundle_root_signature_invalid",
            )
        return root

    def to_json(self) -> dict[str, Any]:
        """The root file as JSON (as it was parsed or built)."""
        return dict(self.document)


def build_root(
    *,
    keys: Sequence[PublicKey],
    threshold: int,
    authorities: Iterable[str],
    version: int,
    expires: datetime,
    signers: Iterable[Signer],
) -> TrustRoot:
    """Build and sign a root file. For a rotation, ``signers`` are keys of both roots."""
    if not keys or not all(isinstance(k, PublicKey) for k in keys):
        raise InvalidInputError("a trust root needs bundle keys", code="trust.key_missing")
    signed = {
        "type": "TrustRoot",
        "version": version,
        "expires": format_datetime(expires),
        "keys": [k.to_jwk() for k in keys],
        "threshold": threshold,
        "authorities": list(authorities),
    }
    try:
        return TrustRoot.parse(signed_envelope(_KIND, signed, signers))
    except TrustError as exc:
        raise InvalidInputError(f"cannot build the trust root: {exc}", code=exc.code) from None


def walk_roots(trusted: TrustRoot, newer: Iterable[object]) -> tuple[TrustRoot, list[TrustRoot]]:
    """Follow root rotations from ``trusted`` through ``newer`` root files (trust-bundle §3).

    Files at or below the trusted version are skipped; the rest must be consecutive
    versions, each signed by a threshold of the previous root and of itself. Returns the
    newest root and the rotations applied, in order.
    """
    current, applied = trusted, []
    for value in newer:
        candidate = TrustRoot.parse(value)
        if candidate.version <= current.version:
            continue
        if candidate.version != current.version + 1 or not candidate.signed_by_threshold_of(
            current
        ):
            raise TrustError(
                f"trust root v{candidate.version} is not a valid rotation of v{current.version} "
                "(one version at a time, signed by a threshold of both roots)",
                code="trust.bundle_root_rotation_invalid",
            )
        current = candidate
        applied.append(candidate)
    return current, applied
