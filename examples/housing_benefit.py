"""Smart approval: a housing benefit issued by a declared rule, every decision anchored and replayed.

Run it: ``python examples/housing_benefit.py``. The parties:

- the **national trust authority** (pinned in ``root.json``) accredits, in one signed bundle,
  the **Ministry of the Interior** for identity credentials, the **Tax agency** for income
  credentials, and the **City housing office** for housing benefits;
- the housing office signs an **issuance policy**: an Interior identity credential showing
  residence in the city and a Tax agency income credential for 2025 at or under 30,000;
- five citizens apply, each with one presentation bound to the office's challenge:
  **Ada** qualifies; **Ben**'s income is too high; **Cleo**'s identity credential was revoked;
  **Dan**'s income credential comes from an unaccredited "tax adviser"; **Eve** pairs her
  identity with Ada's income credential;
- the office then **withdraws** the policy (a signed version 2 saying ``withdrawn``): an
  application under version 1 is refused from then on;
- an **auditor**, holding the log's public key and the office's retained files, replays every
  decision from the log — those made under version 1 too.

Only hashes reach the log. Run with ``--keep DIR`` to keep the files (policy, bundle, root,
keys, presentations, decisions) that ``did-gov approval`` takes on the command line.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from did_gov import PrivateKey, Verifier, issue, present
from did_gov.approval import (
    Decision,
    Policy,
    PolicyVersions,
    Submission,
    TrustState,
    decide,
    replay,
    sign_policy,
)
from did_gov.dids import did_key
from did_gov.errors import ApprovalError
from did_gov.ledger import open_ledger
from did_gov.status import StatusList, build_list_credential
from did_gov.trust import Accreditation, build_bundle, build_root, sign_accreditation, verify_bundle

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
V2 = "https://www.w3.org/ns/credentials/v2"
IDENTITY, INCOME, BENEFIT = "IdentityCredential", "IncomeCredential", "HousingBenefitCredential"
LIST_URL = "https://interior.example.gov/status/1"
CITY = "Springfield"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class Party:
    """A key, its did:key and its verification method."""

    def __init__(self, name: str, seed: int | None = None) -> None:
        self.name = name
        self.key = (
            PrivateKey.generate()
            if seed is None
            else PrivateKey.from_seed("ed25519", bytes([seed]) * 32)
        )
        self.did = did_key.did_for_public_key(self.key.public_key)
        self.vm = did_key.verification_method_id(self.key.public_key)


@dataclass
class World:
    """Everything the example builds: parties, trust files, the policy, the applications."""

    now: datetime
    authority: Party
    interior: Party
    tax: Party
    housing: Party
    adviser: Party
    citizens: dict[str, Party]
    root: dict[str, Any]
    bundle: dict[str, Any]
    policy: dict[str, Any]
    log_key: PrivateKey
    bundle_key: PrivateKey
    accreditations: list[Any] = field(default_factory=list)
    status_lists: list[Any] = field(default_factory=list)
    credentials: dict[str, Any] = field(default_factory=dict)
    challenge: str = "c-" + secrets.token_hex(8)
    domain: str = "https://housing.springfield.example.gov"

    def verifier(self) -> tuple[Verifier, TrustState]:
        """The office's verifier over the bundle, and the bundle's identity for the records."""
        verified = verify_bundle(json.dumps(self.bundle).encode(), self.root, now=self.now)
        return Verifier(now=self.now, **verified.verifier_options()), TrustState.of_bundle(verified)

    def rebundle(self, version: int) -> dict[str, Any]:
        """The authority's next bundle: the same accreditations, a new version."""
        from did_gov.trust import TrustRoot

        return build_bundle(
            roots=[TrustRoot.parse(self.root)],
            signers=[self.bundle_key],
            version=version,
            issued=self.now - timedelta(minutes=30),
            expires=self.now + timedelta(days=30),
            accreditations=self.accreditations,
            status_lists=self.status_lists,
        )


def _accredit(by: Party, who: Party, types: tuple[str, ...], now: datetime) -> Any:
    record = Accreditation(
        authority=by.did,
        issuer=who.did,
        types=types,
        valid_from=now - timedelta(days=365),
        valid_until=now + timedelta(days=5 * 365),
        issued=now - timedelta(days=365),
        name=who.name,
    )
    return sign_accreditation(record, by.key, by.vm)


def _credential(
    issuer: Party, kind: str, subject: dict[str, Any], now: datetime, **extra: Any
) -> Any:
    return issue(
        {
            "@context": [V2, EXAMPLES],
            "id": f"urn:uuid:{secrets.token_hex(16)}",
            "type": ["VerifiableCredential", kind],
            "issuer": issuer.did,
            "validFrom": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentialSubject": subject,
            **extra,
        },
        issuer.key,
        verification_method=issuer.vm,
        now=now,
    )


def policy_document(housing: Party, now: datetime) -> dict[str, Any]:
    """The housing office's issuance policy (``specs/issuance-policy.md``), unsigned."""
    return {
        "type": "IssuancePolicy",
        "formatVersion": 1,
        "id": "https://housing.springfield.example.gov/policies/housing-benefit",
        "version": 1,
        "name": "Housing benefit 2026",
        "issuer": housing.did,
        "validFrom": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "evidence": [
            {"id": "identity", "type": IDENTITY, "claims": ["givenName", "residence.city"]},
            {"id": "income", "type": INCOME, "claims": ["taxYear", "annualIncome"]},
        ],
        "rule": [
            {
                "id": "resident",
                "expr": f"identity.residence.city == {json.dumps(CITY)}",
                "text": f"the applicant lives in {CITY}",
            },
            {
                "id": "recent_income",
                "expr": "income.taxYear >= 2025",
                "text": "the income shown is for 2025 or later",
            },
            {
                "id": "income_limit",
                "expr": "income.annualIncome <= 30000",
                "text": "the annual income is at most 30,000",
            },
        ],
        "credential": {
            "@context": [V2, EXAMPLES],
            "type": ["VerifiableCredential", BENEFIT],
            "format": "di",
            "validDays": 365,
            "credentialSubject": {
                "givenName": {"$claim": "identity.givenName"},
                "benefit": "housing",
                "city": CITY,
            },
        },
    }


def build_world(now: datetime = NOW) -> World:
    """Keys, accreditations, the bundle, the status list, the policy and every credential."""
    authority, bundle_key = Party("National Trust Authority"), Party("bundle key")
    interior, tax = Party("Ministry of the Interior"), Party("Tax agency")
    housing, adviser = Party("City housing office"), Party("Tax adviser (not accredited)")
    citizens = {name: Party(name) for name in ("ada", "ben", "cleo", "dan", "eve")}
    revoked = StatusList()
    revoked.set(7, 1)  # Cleo's identity credential
    status_list = issue(
        build_list_credential(
            list_url=LIST_URL,
            issuer=interior.did,
            purpose="revocation",
            encoded_list=revoked.encode(),
            valid_from=now - timedelta(days=1),
        ),
        interior.key,
        verification_method=interior.vm,
        now=now,
    )
    root = build_root(
        keys=[bundle_key.key.public_key],
        threshold=1,
        authorities=[authority.did],
        version=1,
        expires=now + timedelta(days=5 * 365),
        signers=[bundle_key.key],
    )
    accreditations = [
        _accredit(authority, interior, (IDENTITY,), now),
        _accredit(authority, tax, (INCOME,), now),
        _accredit(authority, housing, (BENEFIT,), now),
    ]
    bundle = build_bundle(
        roots=[root],
        signers=[bundle_key.key],
        version=1,
        issued=now - timedelta(hours=1),
        expires=now + timedelta(days=30),
        accreditations=accreditations,
        status_lists=[status_list],
    )
    policy = sign_policy(policy_document(housing, now), housing.key, housing.vm)
    world = World(
        now, authority, interior, tax, housing, adviser, citizens, root.to_json(), bundle,
        policy.to_json(), PrivateKey.generate(), bundle_key.key, accreditations, [status_list],
    )  # fmt: skip
    incomes = {"ada": 21000, "ben": 58000, "cleo": 18000, "dan": 15000, "eve": 99000}
    for index, (name, citizen) in enumerate(citizens.items()):
        status = {
            "id": f"{LIST_URL}#{index + 5}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index + 5),
            "statusListCredential": LIST_URL,
        }
        world.credentials[f"{name}/identity"] = _credential(
            interior,
            IDENTITY,
            {"id": citizen.did, "givenName": name.title(), "residence": {"city": CITY}},
            now,
            credentialStatus=status,
        )
        income_issuer = adviser if name == "dan" else tax
        world.credentials[f"{name}/income"] = _credential(
            income_issuer,
            INCOME,
            {"id": citizen.did, "taxYear": 2025, "annualIncome": incomes[name]},
            now,
        )
    return world


def application(world: World, name: str) -> dict[str, Any]:
    """The citizen's one presentation: identity and income, bound to the office's challenge."""
    citizen = world.citizens[name]
    income = world.credentials["ada/income" if name == "eve" else f"{name}/income"]
    return present(
        [world.credentials[f"{name}/identity"], income],
        citizen.key,
        challenge=world.challenge,
        domain=world.domain,
        now=world.now,
    )


def run(now: datetime = NOW, keep: Path | None = None) -> dict[str, Any]:
    """Every citizen applies at ``now``; the auditor replays every decision. Returns both."""
    from did_gov.approval import load_policy

    world = build_world(now)
    verifier, trust = world.verifier()
    policy = load_policy(world.policy)
    log = open_ledger("memory:", log_key=world.log_key, origin="springfield.example.gov/log")
    decisions: dict[str, Decision] = {}
    presentations: dict[str, Any] = {}
    for name in world.citizens:
        presentations[name] = application(world, name)
        submission = Submission(
            presentations=(presentations[name],), challenge=world.challenge, domain=world.domain
        )
        decisions[name] = decide(
            policy,
            submission,
            verifier,
            key=world.housing.key,
            ledger=log,
            now=now,
            trust=trust,
        )
    withdrawn = withdraw(world, policy)
    # The auditor: the log's public key, the bundle, the policy, the retained presentations.
    audit_verifier, audit_trust = world.verifier()
    replays = {
        name: replay(
            decision.to_json(),
            load_policy(world.policy),
            Submission(
                presentations=(presentations[name],),
                challenge=world.challenge,
                domain=world.domain,
            ),
            audit_verifier,
            trust=audit_trust,
            log_key=log.verifier.vkey,
            issued=decision.credential,
        )
        for name, decision in decisions.items()
    }
    if keep is not None:
        _keep(keep, world, presentations, decisions, log.verifier.vkey)
    return {"world": world, "decisions": decisions, "replays": replays, "withdrawn": withdrawn}


def withdraw(world: World, policy: Policy) -> str:
    """The office signs version 2 with ``withdrawn``; version 1 is refused afterwards (its code)."""
    versions = PolicyVersions()  # did-gov serve keeps them in its data folder
    versions.admit(policy)
    document = {**policy.document, "version": policy.version + 1, "withdrawn": True}
    versions.admit(sign_policy(document, world.housing.key, world.housing.vm))
    try:
        versions.admit(policy)  # a new application, still under version 1
    except ApprovalError as refused:
        return refused.code
    return "not refused"


def _keep(
    directory: Path,
    world: World,
    presentations: dict[str, Any],
    decisions: dict[str, Decision],
    vkey: str,
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "root.json": world.root,
        "bundle.json": world.bundle,
        "policy.json": world.policy,
        "challenge.json": {"challenge": world.challenge, "domain": world.domain},
        **{f"{n}.presentation.json": p for n, p in presentations.items()},
        **{f"{n}.decision.json": d.to_json() for n, d in decisions.items()},
        **{f"{k.replace('/', '.')}.json": v for k, v in world.credentials.items()},
    }
    for name, value in files.items():
        (directory / name).write_text(json.dumps(value, indent=2) + "\n")
    world.housing.key.save(directory / "housing.key", overwrite=True)
    world.log_key.save(directory / "log.key", overwrite=True)
    (directory / "log.vkey").write_text(vkey + "\n")


def main(argv: list[str] | None = None) -> int:
    """Print each decision and its replay."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the files the CLI takes into DIR")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        now = datetime.now(UTC).replace(microsecond=0)  # the command line judges at the real time
        result = run(now, args.keep or Path(tmp) / "files")
    for name, decision in result["decisions"].items():
        verdict = "APPROVED" if decision.approved else f"DENIED [{decision.code}]"
        print(f"{name:5} {verdict}: {decision.reason or 'housing benefit issued'}")
        print(f"      anchored as entry {decision.receipt.index} of {decision.receipt.origin}")
    print(
        f"withdrawn: version 2 withdraws the policy; version 1 is refused [{result['withdrawn']}]"
    )
    ok = result["withdrawn"] == "approval.policy_withdrawn"
    for name, replayed in result["replays"].items():
        print(f"audit {name:5} {'replayed' if replayed.ok else 'FAILED'}: {replayed.message}")
        ok = ok and replayed.ok
    print("Housing benefit example complete" if ok else "Replay FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
