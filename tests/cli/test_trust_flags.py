"""The shared trust flags helper (`did_gov.cli._trust`, CONTRACTS §E) used in-process."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from did_gov.cli._io import UsageError
from did_gov.cli._trust import add_trust_flags, trust_material
from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER
from did_gov.verify import Verifier


def _parse(*argv: str, trust_any: bool = True) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_trust_flags(parser, trust_any=trust_any)
    return parser.parse_args(list(argv))


def test_trust_any_gives_the_unsafe_policy_and_warns(capsys: pytest.CaptureFixture[str]) -> None:
    material = trust_material(_parse("--trust-any-issuer"))
    assert material.verifier_kwargs()["trust"] is UNSAFE_TRUST_ANY_ISSUER
    material.warn()
    assert "WARNING: issuer trust not checked" in capsys.readouterr().err


def test_kiosk_style_parser_has_no_trust_any() -> None:
    with pytest.raises(SystemExit):
        _parse("--trust-any-issuer", trust_any=False)
    material = trust_material(_parse(trust_any=False))
    assert material.failure is None and "trust" not in material.verifier_kwargs()


def test_contexts_reach_the_verifier_without_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{}")
    material = trust_material(_parse("--contexts", str(tmp_path), "--trust-any-issuer"))
    kwargs = material.verifier_kwargs({"contexts": [str(tmp_path)]})
    assert kwargs["contexts"] == [str(tmp_path)]  # not given twice
    Verifier(**kwargs)


def test_a_missing_store_is_a_failure_not_an_exception(tmp_path: Path) -> None:
    material = trust_material(_parse("--trust-store", str(tmp_path / "none")))
    assert material.failure is not None and material.failure[0] == "trust.store_unreadable"


@pytest.mark.parametrize(
    "argv", [["--bundle", "b.json"], ["--trust-any-issuer", "--trust-store", "x"]]
)
def test_contradictory_flags_are_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(UsageError):
        trust_material(_parse(*argv))
