"""The Verifier's SD-JWT VC path: where the issuer key comes from, and the SD-JWT VC profile checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from did_gov.dids import Resolver, parse_did_url, resolve_verification_method
from did_gov.errors import ProofError, VerificationMethodError
from did_gov.keys import PublicKey
from did_gov.limits import Limits
from did_gov.proofs._result import fail
from did_gov.verify._report import VerificationReport

if TYPE_CHECKING:
    from did_gov.verify._verifier import VerificationPolicy

ACCEPTED_TYPES = ("dc+sd-jwt", "vc+sd-jwt")
"""``typ`` values of an SD-JWT VC; ``vc+sd-jwt`` is the name older issuers still send."""


def sd_jwt_text(value: str | bytes | bytearray) -> str | None:
    """The SD-JWT text when ``value`` is one (it has ``~`` and is not JSON), else None."""
    if isinstance(value, bytes | bytearray):
        if b"~" not in value or value.lstrip().startswith(b"{"):
            return None
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if "~" in value and not value.lstrip().startswith("{") else None


class SdJwtIssuerKeys:
    """Finds an SD-JWT issuer's key: from its DID (``kid`` a key of ``iss``), else ``issuer_jwks``.

    Raises :class:`~did_gov.errors.DidGovError` when there is none; the codes
    become the ``issuer_key`` check (``sd_jwt.kid_not_issuer``,
    ``sd_jwt.issuer_key_unknown``, ``did.*``).
    """

    def __init__(
        self, resolver: Resolver, issuer_jwks: Iterable[tuple[str | None, PublicKey]]
    ) -> None:
        self.resolver = resolver
        self.jwks = tuple(issuer_jwks)
        self._static: dict[str, PublicKey] = {}

    def __call__(
        self,
        header: Mapping[str, Any],
        payload: Mapping[str, Any],
        moment: datetime | None = None,
    ) -> PublicKey:
        """The issuer key for an SD-JWT with this (unverified) header and payload.

        With ``moment``, a method ``revoked`` or ``expires`` by then is refused.
        """
        iss, kid = payload.get("iss"), header.get("kid")
        if not isinstance(iss, str):
            raise ProofError("the SD-JWT has no string iss", code="sd_jwt.issuer_missing")
        if not iss.startswith("did:"):
            return self._from_jwks(iss, kid)
        if not isinstance(kid, str):
            raise ProofError(
                f"an SD-JWT from {iss} needs a kid naming its key", code="sd_jwt.issuer_key_unknown"
            )
        vm_url = iss + kid if kid.startswith("#") else kid
        cached = self._static.get(vm_url)
        if cached is not None:
            return cached
        if str(parse_did_url(vm_url).did) != iss:
            raise ProofError(f"kid {kid} is not a key of {iss}", code="sd_jwt.kid_not_issuer")
        method = resolve_verification_method(
            self.resolver, vm_url, purpose="assertionMethod", now=moment
        )
        if method.controller != iss:
            raise ProofError(
                f"{vm_url} is controlled by {method.controller}, not {iss}",
                code="sd_jwt.kid_not_issuer",
            )
        if method.public_key is None:
            raise VerificationMethodError(
                f"{vm_url} holds no signature key we support", code="did.vm_unsupported_key"
            )
        if iss.startswith(("did:key:", "did:jwk:")) and len(self._static) < 4096:
            self._static[vm_url] = method.public_key  # these documents never change
        return method.public_key

    def _from_jwks(self, iss: str, kid: Any) -> PublicKey:
        matches = [key for key_id, key in self.jwks if kid is not None and key_id == kid]
        if not matches and len(self.jwks) == 1 and self.jwks[0][0] in (None, kid):
            matches = [self.jwks[0][1]]
        if len(matches) != 1:
            raise ProofError(
                f"no issuer JWK for {iss} (kid {kid!r})", code="sd_jwt.issuer_key_unknown"
            )
        return matches[0]


def verify_sd_jwt_vc(
    token: str,
    keys: SdJwtIssuerKeys,
    policy: VerificationPolicy,
    limits: Limits,
    nonce: str | None,
    audience: str | None,
    moment: datetime,
) -> VerificationReport:
    """RFC 9901 §7 plus the SD-JWT VC profile (``typ``, ``vct``); report format ``sd-jwt-vc``."""
    from did_gov.proofs.sd_jwt import verify_sd_jwt

    result = verify_sd_jwt(
        token,
        lambda header, payload: keys(header, payload, moment),
        nonce=nonce,
        audience=audience,
        now=moment,
        require_key_binding=policy.require_key_binding,
        key_binding_max_age=policy.key_binding_max_age,
        clock_skew=policy.clock_skew,
        accepted_types=ACCEPTED_TYPES,
        limits=limits,
    )
    checks = list(result.checks)
    if result.claims is not None and not isinstance(result.claims.get("vct"), str):
        checks.append(fail("vct", "sd_jwt_vc.vct_missing", "an SD-JWT VC has a string vct"))
    return VerificationReport.from_checks("sd-jwt-vc", checks, result.claims)
