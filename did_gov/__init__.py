"""did_gov: decentralized digital identity for governments, verifiable offline.

The public surface: keys, DIDs, credentials, proofs and the :class:`Verifier`.
Names are imported lazily, so ``did-gov`` starts fast and loads only what a
command needs.

>>> from did_gov import PrivateKey, Verifier, issue
>>> key = PrivateKey.generate("ed25519")
>>> vc = issue({"@context": ["https://www.w3.org/ns/credentials/v2",
...                          "https://www.w3.org/ns/credentials/examples/v2"],
...             "type": ["VerifiableCredential"], "issuer": "did:example:x",
...             "credentialSubject": {"name": "Ada"}}, key)
>>> Verifier().verify(vc).errors[0].code            # whom to trust was never said
'trust.not_configured'
>>> from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
>>> Verifier(trust=UNSAFE_TRUST_ANY_ISSUER).verify(vc).verified
True
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

logging.getLogger("did_gov").addHandler(logging.NullHandler())  # the application configures logging

__version__ = "0.1.0"

_LAZY = {
    "Check": "did_gov.verify",
    "DidGovError": "did_gov.errors",
    "KeyType": "did_gov.keys",
    "PrivateKey": "did_gov.keys",
    "PublicKey": "did_gov.keys",
    "Signer": "did_gov.keys",
    "VerificationPolicy": "did_gov.verify",
    "VerificationReport": "did_gov.verify",
    "Verifier": "did_gov.verify",
    "anchor": "did_gov._api",
    "attach_receipts": "did_gov.verify",
    "default_cryptosuite": "did_gov._api",
    "issue": "did_gov._api",
    "issue_sd_jwt": "did_gov._api",
    "load_private_key": "did_gov.keys",
    "present": "did_gov._api",
    "present_sd_jwt": "did_gov._api",
}
_ALIASES = {"load_key": ("did_gov.keys", "load_private_key")}

__all__ = [
    "Check",
    "DidGovError",
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "Signer",
    "VerificationPolicy",
    "VerificationReport",
    "Verifier",
    "__version__",
    "anchor",
    "attach_receipts",
    "default_cryptosuite",
    "issue",
    "issue_sd_jwt",
    "load_key",
    "load_private_key",
    "present",
    "present_sd_jwt",
]

if TYPE_CHECKING:
    from did_gov._api import (
        anchor,
        default_cryptosuite,
        issue,
        issue_sd_jwt,
        present,
        present_sd_jwt,
    )
    from did_gov.errors import DidGovError
    from did_gov.keys import KeyType, PrivateKey, PublicKey, Signer, load_private_key
    from did_gov.keys import load_private_key as load_key
    from did_gov.verify import (
        Check,
        VerificationPolicy,
        VerificationReport,
        Verifier,
        attach_receipts,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _ALIASES:
        module, attr = _ALIASES[name]
        value = getattr(importlib.import_module(module), attr)
    else:
        raise AttributeError(f"module 'did_gov' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
