"""The trust step's protocol and the unsafe trust-everyone policy."""

from __future__ import annotations

from datetime import UTC, datetime

from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER, IssuerClaim, TrustPolicy

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CLAIM = IssuerClaim(
    issuer="did:key:z6MkAttacker",
    types=("CitizenIdentityCredential",),
    expanded_types=(),
    vct=None,
    signer="did:key:z6MkAttacker#z6MkAttacker",
    format="vc-jwt",
    anchored_at=None,
)


def test_unsafe_any_issuer_passes_with_warning_code() -> None:
    check = UNSAFE_TRUST_ANY_ISSUER.judge_issuer(CLAIM, NOW)
    assert check.name == "trust"
    assert check.ok
    assert check.code == "trust.unsafe_any_issuer"
    assert not check.indeterminate


def test_unsafe_any_issuer_status_list_must_be_own_issuer() -> None:
    assert UNSAFE_TRUST_ANY_ISSUER.may_publish_status("did:web:a", "did:web:a", NOW)
    assert not UNSAFE_TRUST_ANY_ISSUER.may_publish_status("did:web:evil", "did:web:a", NOW)


def test_unsafe_any_issuer_is_a_trust_policy() -> None:
    assert isinstance(UNSAFE_TRUST_ANY_ISSUER, TrustPolicy)
    assert repr(UNSAFE_TRUST_ANY_ISSUER) == "UNSAFE_TRUST_ANY_ISSUER"
