"""``agency.toml``: a service instance's configuration in one file (``specs/service.md`` §5).

Relative paths are relative to the file's folder. Several instances behind a load balancer
share one file (and so one ``database``); each gets its own ``--host``/``--port``. Unknown
tables and keys are refused, so a misspelt setting never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from did_gov._time import utc_now
from did_gov.errors import DidGovError, InvalidInputError
from did_gov.keys import Signer
from did_gov.service._auth import read_auth
from did_gov.service._config import IssuerConfig, ServiceConfig

__all__ = ["LoadedConfig", "WorkflowSpec", "load_config"]

_TABLES = {"service", "ledger", "issuers", "trust", "auth", "workflows"}
_SERVICE = {"public_url", "data", "database", "max_body_bytes", "fetch_status"}
_LEDGER = {"key", "origin"}
_ISSUER = {"name", "key", "cryptosuite", "verification_method"}
_TRUST = {"bundle", "root", "store", "any_issuer", "contexts"}
_WORKFLOW = {"id", "policy", "issuer"}


@dataclass(frozen=True)
class WorkflowSpec:
    """A ``[[workflows]]`` entry: built into a ``did_gov.approval.PolicyWorkflow`` at start."""

    id: str
    policy: Path
    issuer: str | None


@dataclass(frozen=True)
class LoadedConfig:
    """The service configuration a file gives, its workflows, and whether trust is unsafe."""

    config: ServiceConfig
    workflows: tuple[WorkflowSpec, ...]
    unsafe_trust: bool
    bundle: Any = None
    """The verified :class:`~did_gov.trust.TrustBundle` of ``[trust]``, or None."""


def _bad(message: str) -> InvalidInputError:
    return InvalidInputError(message, code="service.config_invalid")


def _table(value: object, name: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(f"[{name}] must be a table")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _bad(f"[{name}]: unknown key(s) {', '.join(unknown)}")
    return value


def _string(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise _bad(f"[{where}] {key} must be a non-empty string")
    return value


def _signer(spec: str, base: Path, where: str) -> Signer:
    """A key file (relative to the config), or a ``pkcs11:`` URI."""
    try:
        if spec.startswith("pkcs11:"):
            from did_gov.keys.pkcs11 import Pkcs11Signer

            return Pkcs11Signer.from_uri(spec)
        from did_gov.keys import load_private_key

        return load_private_key(base / spec)
    except DidGovError as exc:
        raise _bad(f"{where}: {exc.message}") from None


def _issuers(entries: object, base: Path) -> tuple[IssuerConfig, ...]:
    if not isinstance(entries, list) or not entries:
        raise _bad("[[issuers]]: at least one issuer (name, key)")
    issuers = []
    for entry in entries:
        table = _table(entry, "issuers", _ISSUER)
        name, key = _string(table, "name", "issuers"), _string(table, "key", "issuers")
        if name is None or key is None:
            raise _bad("[[issuers]]: every issuer has a name and a key")
        issuers.append(
            IssuerConfig(
                name,
                _signer(key, base, f"issuer {name}"),
                cryptosuite=_string(table, "cryptosuite", "issuers"),
                verification_method=_string(table, "verification_method", "issuers"),
            )
        )
    return tuple(issuers)


def _trust(table: Mapping[str, Any], base: Path) -> tuple[dict[str, Any], bytes | None, bool, Any]:
    """Verifier options from ``[trust]`` (a bundle and root, an installed store, or any issuer),
    the bundle's bytes, whether trust is unsafe, and the verified bundle (or None)."""
    contexts = table.get("contexts", [])
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise _bad("[trust] contexts is a list of folders")
    folders = [str(base / c) for c in contexts]
    bundle, root, store = (_string(table, k, "trust") for k in ("bundle", "root", "store"))
    unsafe = table.get("any_issuer", False)
    if not isinstance(unsafe, bool):
        raise _bad("[trust] any_issuer is true or false")
    if sum((bundle is not None or root is not None, store is not None, unsafe)) > 1:
        raise _bad("[trust]: one of bundle+root, store, any_issuer")
    if (bundle is None) != (root is None):
        raise _bad("[trust]: bundle and root go together")
    if unsafe:
        from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

        return {"trust": UNSAFE_TRUST_ANY_ISSUER, "contexts": folders}, None, True, None
    if bundle is None and store is None:
        return {"contexts": folders}, None, False, None
    from did_gov._json import parse_json
    from did_gov.trust import TrustStore, verify_bundle

    try:
        if store is not None:
            verified = TrustStore(base / store).load(now=utc_now())
            raw = None
        else:
            assert bundle is not None and root is not None  # noqa: S101 - checked above
            raw = (base / bundle).read_bytes()
            verified = verify_bundle(raw, parse_json((base / root).read_bytes()), now=utc_now())
    except OSError as exc:
        raise _bad(f"[trust]: {exc}") from None
    except DidGovError as exc:
        raise InvalidInputError(
            f"[trust]: the bundle was refused: {exc.message} [{exc.code}]", code=exc.code
        ) from None
    return dict(verified.verifier_options(folders)), raw, False, verified


def _workflows(entries: object, base: Path) -> tuple[WorkflowSpec, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise _bad("[[workflows]] is an array of tables")
    specs = []
    for entry in entries:
        table = _table(entry, "workflows", _WORKFLOW)
        workflow_id, policy = (
            _string(table, "id", "workflows"),
            _string(table, "policy", "workflows"),
        )
        if workflow_id is None or policy is None:
            raise _bad("[[workflows]]: every workflow has an id and a policy file")
        specs.append(
            WorkflowSpec(workflow_id, base / policy, _string(table, "issuer", "workflows"))
        )
    return tuple(specs)


def _auth_table(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad("[auth] must be a table")
    return value


def load_config(
    path: str | Path, *, default_public_url: str | None = None, no_auth: bool = False
) -> LoadedConfig:
    """Read ``agency.toml``; raise ``service.config_invalid`` for anything wrong in it.

    ``no_auth`` (``--no-auth``) stands in for an ``[auth]`` table; both is refused.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _bad(f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _bad(f"{path}: not TOML: {exc}") from None
    unknown = sorted(set(document) - _TABLES)
    if unknown:
        raise _bad(f"{path}: unknown table(s) {', '.join(unknown)}")
    base = path.resolve().parent
    service = _table(document.get("service", {}), "service", _SERVICE)
    ledger = _table(document.get("ledger", {}), "ledger", _LEDGER)
    public_url = _string(service, "public_url", "service") or default_public_url
    if public_url is None:
        raise _bad("[service] public_url is needed")
    data, database = _string(service, "data", "service"), _string(service, "database", "service")
    log_key = _string(ledger, "key", "ledger")
    verifier_options, bundle, unsafe, verified_bundle = _trust(
        _table(document.get("trust", {}), "trust", _TRUST), base
    )
    max_body = service.get("max_body_bytes", 1 << 20)
    fetch_status = service.get("fetch_status", False)
    if not isinstance(max_body, int) or not isinstance(fetch_status, bool):
        raise _bad("[service] max_body_bytes is an integer, fetch_status true or false")
    auth = document.get("auth")
    if auth is not None and no_auth:
        raise _bad("the file configures [auth]: do not also give --no-auth")
    config = ServiceConfig(
        issuers=_issuers(document.get("issuers"), base),
        public_url=public_url,
        data=None if data is None else base / data,
        database=database,
        log_key=None if log_key is None else _signer(log_key, base, "[ledger] key"),
        log_origin=_string(ledger, "origin", "ledger"),
        verifier_options=verifier_options,
        contexts=tuple(verifier_options.get("contexts", ())),
        fetch_status=fetch_status,
        max_body_bytes=max_body,
        trust_bundle=bundle,
        auth=None if auth is None else read_auth(_auth_table(auth), base),
        no_auth=no_auth,
    )
    workflows = _workflows(document.get("workflows"), base)
    for spec in workflows:
        if config.issuer(spec.issuer) is None:
            raise _bad(f"workflow {spec.id}: no issuer called {spec.issuer!r}")
    return LoadedConfig(config, workflows, unsafe, verified_bundle)


def build_workflows(loaded: LoadedConfig) -> list[Any]:
    """The ``[[workflows]]`` as ``did_gov.approval.PolicyWorkflow`` objects (imported lazily)."""
    if not loaded.workflows:
        return []
    import importlib

    try:
        approval = importlib.import_module("did_gov.approval")
    except ImportError:
        approval = None
    policy_workflow = getattr(approval, "PolicyWorkflow", None)
    if policy_workflow is None:
        raise _bad("[[workflows]] needs did_gov.approval.PolicyWorkflow (not in this version)")
    from did_gov.service._state import ServiceState
    from did_gov.verify import VerificationPolicy, Verifier

    config = loaded.config
    trust_state = approval.TrustState  # type: ignore[union-attr]
    if loaded.bundle is not None:
        trust = trust_state.of_bundle(loaded.bundle)  # decision records name the bundle
    else:
        trust = trust_state.unsafe() if loaded.unsafe_trust else None
    options = {**config.verifier_options, "policy": VerificationPolicy(subject_binding=True)}
    verifier = Verifier(**options)
    state = ServiceState(config)  # the workflows' own connections to the service's stores
    # the newest policy versions admitted: a policy file rolled back after a newer version (or
    # a withdrawal) was served is refused; kept beside the data, else for this process only
    versions = approval.PolicyVersions(  # type: ignore[union-attr]
        None if config.data is None else config.data / "policy-versions.json"
    )
    workflows = []
    for spec in loaded.workflows:
        issuer = config.issuer(spec.issuer)
        assert issuer is not None  # noqa: S101 - load_config checked it
        workflow = policy_workflow.from_file(
            spec.id,
            spec.policy,
            signer=issuer.signer,
            verification_method=issuer.verification_method,
            verifier=verifier,
            ledger=state.ledger(),
            trust=trust,
            versions=versions,
        )
        purpose = workflow.policy.status_purpose  # the registry of the purpose the policy names
        workflow.status = None if purpose is None else state.registry(issuer, purpose)
        workflows.append(workflow)
    return workflows
