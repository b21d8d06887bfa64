"""Red-team attacks on the workflows ``agency.toml`` builds (``did_gov.service._toml``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from did_gov import present
from tests.approval.conftest import example
from tests.approval.test_exchange_e2e import AGENCY


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The housing example's files, kept in a folder as ``did-gov serve --config`` reads them."""
    directory = tmp_path_factory.mktemp("agency")
    result = example().run(datetime.now(UTC).replace(microsecond=0), directory)
    return directory, result["world"]


def _workflow(directory: Path, world: Any, status: str) -> Any:
    from did_gov.approval import sign_policy
    from did_gov.service._toml import build_workflows, load_config

    ex = example()
    document = ex.policy_document(world.housing, world.now)
    document["version"] = 3  # after the example's withdrawal (v2)
    document["credential"]["status"] = status
    policy = sign_policy(document, world.housing.key, world.housing.vm)
    (directory / f"{status}.json").write_text(json.dumps(policy.to_json()))
    agency = AGENCY.replace('policy = "policy.json"', f'policy = "{status}.json"')
    agency = agency.replace('data = "state"', f'data = "state-{status}"')
    (directory / f"{status}.toml").write_text(agency)
    (directory / f"state-{status}").mkdir(exist_ok=True)
    [workflow] = build_workflows(
        load_config(
            directory / f"{status}.toml", default_public_url="http://127.0.0.1:1", no_auth=True
        )
    )
    return workflow


@pytest.mark.parametrize("status", ["suspension", "revocation"])
def test_attack_a_suspension_policy_does_not_get_irrevocable_revocation_entries(
    agency: tuple[Path, Any], status: str
) -> None:
    """A policy asking for suspendable credentials was given the issuer's revocation registry:
    the agency, meaning to suspend for a while, could only revoke for good."""
    directory, world = agency
    workflow = _workflow(directory, world, status)
    vp = present(
        [world.credentials["ada/identity"], world.credentials["ada/income"]],
        world.citizens["ada"].key,
        challenge="c",
        domain="d",
    )
    result = workflow.complete(vp, challenge="c", domain="d")
    assert result.approved, result.reason
    [entry] = [result.credential["credentialStatus"]]
    assert entry["statusPurpose"] == status
