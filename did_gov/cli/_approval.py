"""The ``approval`` verbs (``specs/cli.md`` § approval): sign a policy, evaluate, replay.

A thin layer over :mod:`did_gov.approval`: the trust flags are the shared ones
(:func:`~did_gov.cli._trust.add_trust_flags`), the ledger flags those of ``anchor``
(``--ledger URL`` and, for the log's private key, ``--ledger-key``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from did_gov.cli import _keys
from did_gov.cli._io import UsageError, json_text, read_json, read_text, write_json
from did_gov.cli._trust import add_trust_flags, trust_material

__all__ = ["register"]

EXIT_OK, EXIT_FAILED = 0, 1


def _document(path: str) -> Any:
    """A presentation or credential file: a JSON object, or a compact token (JWT, SD-JWT)."""
    text = read_text(path).strip()
    return read_json(path) if text.startswith("{") else text


def _policy(path: str, resolver: Any = None) -> Any:
    from did_gov.approval import load_policy

    return load_policy(read_text(path), resolver=resolver)


def _submission(args: argparse.Namespace) -> Any:
    from did_gov.approval import Submission

    if bool(args.presentation) == bool(args.evidence):
        raise UsageError("give --presentation FILE or --evidence FILE [...] (one of them)")
    return Submission(
        presentations=tuple(_document(p) for p in args.presentation),
        credentials=tuple(_document(p) for p in args.evidence),
        challenge=args.challenge,
        domain=args.domain,
    )


def _verifier(args: argparse.Namespace, now: Any = None) -> tuple[Any, Any]:
    """The Verifier over the trust flags, and what the decision record says of that trust."""
    from did_gov.approval import TrustState
    from did_gov.verify import Verifier

    material = trust_material(args, now=now)
    if material.failure is not None:
        code, message = material.failure
        raise UsageError(f"trust material refused: {message} [{code}]")
    if not material.configured:
        raise UsageError("give --bundle B --root R, --trust-store DIR or --trust-any-issuer")
    material.warn()
    trust = TrustState.unsafe() if material.unsafe else TrustState.of_bundle(material.bundle)
    return Verifier(**material.verifier_kwargs({})), trust


def _cmd_sign(args: argparse.Namespace) -> int:
    from did_gov.approval import sign_policy
    from did_gov.dids import did_key

    document = read_json(args.policy)
    if not isinstance(document, dict):
        raise UsageError(f"{args.policy}: a policy is a JSON object")
    document = (
        document.get("policy", document) if set(document) == {"policy", "proof"} else document
    )
    signer = _keys.load_signer(args.key, args)
    method = args.verification_method or did_key.verification_method_id(signer.public_key)
    write_json(args.output, sign_policy(document, signer, method).to_json())
    return EXIT_OK


def _status(path: str | None) -> Any:
    if path is None:
        return None
    from did_gov.status import StatusRegistry

    return StatusRegistry.open(path)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from did_gov._time import utc_now
    from did_gov.approval import decide
    from did_gov.ledger import open_ledger

    verifier, trust = _verifier(args)
    policy = _policy(args.policy, verifier.resolver)
    if args.trust_store:  # the store keeps the newest policy versions too
        from pathlib import Path

        from did_gov.approval import PolicyVersions

        PolicyVersions(Path(args.trust_store) / "policy-versions.json").admit(policy)
    submission = _submission(args)
    key = _keys.load_signer(args.key, args)
    log_key = _keys.load_signer(args.ledger_key, args)
    status = _status(args.status_registry)
    ledger = open_ledger(args.ledger, log_key=log_key, origin=args.origin)
    try:
        decision = decide(
            policy,
            submission,
            verifier,
            key=key,
            ledger=ledger,
            now=utc_now(),
            trust=trust,
            status=status,
            verification_method=args.verification_method,
        )
    finally:
        ledger.close()
    write_json(args.output, decision.to_json())
    if decision.approved:
        credential = decision.credential
        sys.stdout.write(
            (credential if isinstance(credential, str) else json_text(credential, indent=2)) + "\n"
        )
        return EXIT_OK
    sys.stdout.write(f"DENIED: {decision.reason} [{decision.code}]\n")
    return EXIT_FAILED


def _cmd_replay(args: argparse.Namespace) -> int:
    from did_gov._time import parse_datetime
    from did_gov.approval import parse_decision, replay
    from did_gov.cli._ledger import _log_key
    from did_gov.errors import DidGovError

    raw = read_text(args.decision)
    try:
        record, _ = parse_decision(raw)
        moment = parse_datetime(str(record.get("decisionTime")))
    except DidGovError as exc:
        sys.stdout.write(f"NOT REPLAYED: {exc.message} [{exc.code}]\n")
        return EXIT_FAILED
    verifier, trust = _verifier(args, now=moment)
    policy = _policy(args.policy, verifier.resolver)
    issued = _document(args.credential) if args.credential else None
    try:
        log_key = _log_key(args.log_key) if args.log_key else None
    except DidGovError as exc:
        raise UsageError(f"--log-key: {exc.message}") from None
    result = replay(
        raw, policy, _submission(args), verifier, trust=trust, log_key=log_key, issued=issued
    )
    if result.ok:
        sys.stdout.write(f"replayed: {result.message} (compared {', '.join(result.compared)})\n")
        return EXIT_OK
    sys.stdout.write(f"NOT REPLAYED: {result.message} [{result.code}]\n")
    return EXIT_FAILED


def _evidence_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", required=True, metavar="POLICY", help="a signed policy")
    parser.add_argument(
        "--presentation",
        action="append",
        default=[],
        metavar="FILE",
        help="the applicant's presentation (repeatable: one SD-JWT VC per file)",
    )
    parser.add_argument(
        "--evidence",
        action="append",
        default=[],
        metavar="FILE",
        help="a credential given outside a presentation (repeatable; needs the policy's subjectLink)",
    )
    parser.add_argument(
        "--challenge", help="the challenge (nonce) the presentation must be bound to"
    )
    parser.add_argument("--domain", help="the domain (audience) the presentation must be bound to")
    add_trust_flags(parser)


def register(verbs: Any) -> None:
    """Add the ``approval`` verb: ``sign``, ``evaluate``, ``replay``."""
    approval = verbs.add_parser(
        "approval", help="issuance policies: sign, evaluate (issue and anchor), replay"
    ).add_subparsers(dest="action", required=True)

    sign = approval.add_parser("sign", help="sign an issuance policy")
    sign.add_argument("policy", metavar="POLICY", help="the policy document (JSON)")
    _keys.add_key_argument(sign, required=True, help="a key of the policy's issuer")
    sign.add_argument("--verification-method", metavar="DID_URL", help="default: the key's did:key")
    sign.add_argument("-o", "--output", required=True, metavar="FILE")
    sign.set_defaults(func=_cmd_sign)

    evaluate = approval.add_parser(
        "evaluate", help="judge evidence under a policy; issue on approval; anchor the record"
    )
    _evidence_flags(evaluate)
    _keys.add_key_argument(evaluate, required=True, help="the issuer's key (the policy's issuer)")
    evaluate.add_argument("--verification-method", metavar="DID_URL", help="default: did:key")
    evaluate.add_argument("--ledger", required=True, metavar="URL", help="the transparency log")
    evaluate.add_argument("--ledger-key", required=True, metavar="KEYFILE", help="the log's key")
    evaluate.add_argument("--origin", help="the log's name (to create a log, or pick one)")
    evaluate.add_argument(
        "--status-registry", metavar="PATH", help="the status registry (policies with status)"
    )
    evaluate.add_argument("-o", "--output", required=True, metavar="FILE", help="decision file")
    evaluate.set_defaults(func=_cmd_evaluate)

    rep = approval.add_parser("replay", help="reproduce a recorded decision")
    rep.add_argument("decision", metavar="DECISION", help="the decision file")
    _evidence_flags(rep)
    rep.add_argument("--log-key", metavar="VKEY", help="check the record's receipt (vkey or file)")
    rep.add_argument("--credential", metavar="FILE", help="the issued credential: check its hash")
    rep.set_defaults(func=_cmd_replay)
