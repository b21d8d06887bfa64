"""What the suites are run against: the server's issuers and each suite's ``localConfig.cjs``.

The listing format is w3c/vc-test-suite-implementations' (README, "Testing locally"). Every
(cryptosuite, curve) issuer is its own implementation entry, named after its tag and curve: the
suites test only the first endpoint of an implementation per tag, so one entry per curve is what
makes both curves run, and the name in each test's title is what the results are grouped by.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

VC_VERSIONS = ["1.1", "2.0"]


@dataclass(frozen=True)
class Issuer:
    """One ``--issuer NAME=KEYFILE,cryptosuite=S`` of ``did-gov serve``."""

    name: str
    key_type: str  # did-gov key generate --type
    cryptosuite: str
    curve: str | None = None  # the ECDSA curve, as the suites spell it


ISSUERS = (
    Issuer("eddsa-rdfc-2022", "ed25519", "eddsa-rdfc-2022"),
    Issuer("eddsa-jcs-2022", "ed25519", "eddsa-jcs-2022"),
    Issuer("ecdsa-rdfc-2019-p256", "p256", "ecdsa-rdfc-2019", "P-256"),
    Issuer("ecdsa-rdfc-2019-p384", "p384", "ecdsa-rdfc-2019", "P-384"),
    Issuer("ecdsa-jcs-2019-p256", "p256", "ecdsa-jcs-2019", "P-256"),
    Issuer("ecdsa-jcs-2019-p384", "p384", "ecdsa-jcs-2019", "P-384"),
)
"""The server's issuers; the BitstringStatusList suite uses ``eddsa-rdfc-2022`` with a status."""

STATUS_OPTIONS = {
    "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
}
"""The issue ``options`` the BitstringStatusList suite's issuer entry carries."""

SETTINGS = {"enableInteropTests": True, "testAllImplementations": False}
"""Run the interop matrices (our issuers x our verifiers); never the registered implementations."""


def _issuer_entry(
    issuer: Issuer, base: str, dids: dict[str, str], tags: list[str]
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": dids[issuer.name],
        "endpoint": f"{base}/issuers/{issuer.name}/credentials/issue",
        "supports": {"vc": VC_VERSIONS},
        "tags": tags,
    }
    if issuer.curve is not None:
        entry["supportedEcdsaKeyTypes"] = [issuer.curve]
    return entry


def _verifiers(base: str, tags: list[str], *, curves: bool = False) -> dict[str, Any]:
    verifier: dict[str, Any] = {
        "id": f"{base}/credentials/verify",
        "endpoint": f"{base}/credentials/verify",
        "supports": {"vc": VC_VERSIONS},
        "tags": tags,
    }
    if curves:
        verifier["supportedEcdsaKeyTypes"] = ["P-256", "P-384"]
    presentations = {
        "id": f"{base}/presentations/verify",
        "endpoint": f"{base}/presentations/verify",
        "tags": tags,
    }
    return {"verifiers": [verifier], "vpVerifiers": [presentations]}


def _implementation(name: str, **endpoints: Any) -> dict[str, Any]:
    return {"name": name, "implementation": "did-gov serve", **endpoints}


def _by_name(name: str) -> Issuer:
    return next(i for i in ISSUERS if i.name == name)


def local_config(suite: str, base: str, dids: dict[str, str]) -> dict[str, Any]:
    """The ``localConfig.cjs`` object of ``suite`` for a server at ``base`` (its issuers' DIDs)."""
    implementations: list[dict[str, Any]] = []
    if suite == "vc-di-eddsa":
        for name in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
            implementations.append(
                _implementation(
                    f"did_gov {name}",
                    issuers=[_issuer_entry(_by_name(name), base, dids, [name])],
                    **_verifiers(base, [name]),
                )
            )
    elif suite == "vc-di-ecdsa":
        for issuer in ISSUERS:
            if issuer.curve is not None:
                implementations.append(
                    _implementation(
                        f"did_gov {issuer.cryptosuite} {issuer.curve}",
                        issuers=[_issuer_entry(issuer, base, dids, [issuer.cryptosuite])],
                    )
                )
        tags = ["ecdsa-rdfc-2019", "ecdsa-jcs-2019"]
        implementations.append(
            _implementation("did_gov verifier", **_verifiers(base, tags, curves=True))
        )
    elif suite == "vc-data-model-2.0":
        for name in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
            implementations.append(
                _implementation(
                    f"did_gov vc2.0 {name}",
                    issuers=[_issuer_entry(_by_name(name), base, dids, ["vc2.0"])],
                    **_verifiers(base, ["vc2.0"]),
                )
            )
    elif suite == "vc-bitstring-status-list":
        entry = _issuer_entry(_by_name("eddsa-rdfc-2022"), base, dids, ["BitstringStatusList"])
        entry["options"] = STATUS_OPTIONS
        implementations.append(
            _implementation(
                "did_gov BitstringStatusList",
                issuers=[entry],
                **_verifiers(base, ["BitstringStatusList"]),
            )
        )
    else:
        raise ValueError(f"unknown suite {suite!r}")
    return {"settings": SETTINGS, "implementations": implementations}


def local_config_cjs(config: dict[str, Any]) -> str:
    """``localConfig.cjs`` text: a CommonJS module exporting ``config``."""
    return (
        "// Written by python -m conformance (did_gov); see specs/conformance.md.\n"
        f"module.exports = {json.dumps(config, indent=2)};\n"
    )


def serve_arguments(keys: dict[str, str], *, public_url: str, data: str) -> list[str]:
    """``did-gov serve`` arguments (the launcher adds ``--port 0``): an issuer per suite and curve."""
    arguments = [
        "serve",
        "--host",
        "127.0.0.1",
        "--public-url",
        public_url,
        "--data",
        data,
        "--no-auth",
        "--trust-any-issuer",
    ]
    for issuer in ISSUERS:
        arguments += [
            "--issuer",
            f"{issuer.name}={keys[issuer.name]},cryptosuite={issuer.cryptosuite}",
        ]
    return arguments
