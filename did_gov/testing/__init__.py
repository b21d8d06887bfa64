"""Hypothesis strategies for services built on did_gov: keys, claim trees, credentials.

Requires ``hypothesis`` (a test dependency, not a runtime one). Every
generated credential is valid VC Data Model 2.0 that canonicalizes with the
pinned contexts, so ``issue`` → ``verify`` round trips on it.

>>> from hypothesis import HealthCheck, given, settings
>>> from did_gov.testing import credentials
>>> @settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
... @given(credentials())
... def test_shape(vc):
...     assert vc["type"][0] == "VerifiableCredential"
>>> test_shape()

The strategies import ``hypothesis`` only when first used, so the engine launchers beside
them (:mod:`did_gov.testing.anvil`) work in an installation without test dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from did_gov.testing._strategies import (
        EXAMPLES_CONTEXT,
        claim_names,
        claim_trees,
        claim_values,
        credentials,
        dids,
        key_types,
        private_keys,
        sd_jwt_selections,
    )

__all__ = [
    "EXAMPLES_CONTEXT",
    "claim_names",
    "claim_trees",
    "claim_values",
    "credentials",
    "dids",
    "key_types",
    "private_keys",
    "sd_jwt_selections",
]


def __getattr__(name: str) -> Any:
    """Import the strategies (and hypothesis) on first use of one of them."""
    if name in __all__:
        from did_gov.testing import _strategies

        return getattr(_strategies, name)
    raise AttributeError(f"module 'did_gov.testing' has no attribute {name!r}")
