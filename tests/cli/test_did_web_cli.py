"""did:web from the command line: the did.json an agency publishes, and offline verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from did_gov.dids import DefaultResolver, did_web
from did_gov.errors import DidGovError
from did_gov.keys import PrivateKey
from tests.cli.test_cli_traps import cli

pytestmark = pytest.mark.e2e

DID = "did:web:interior.gov.example"


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An agency key, its did.json and a credential naming the did:web issuer."""
    for name in ("agency", "next"):
        assert (
            cli(capsys, "key", "generate", "--type", "p256", "-o", tmp_path / f"{name}.jwk")[0] == 0
        )
    code, out, err = cli(capsys, "did", "web", "--domain", "interior.gov.example",
                         "--key", tmp_path / "agency.jwk", "--key", tmp_path / "next.jwk",
                         "-o", tmp_path / "did.json")  # fmt: skip
    assert code == 0, err
    assert out == ""
    assert "https://interior.gov.example/.well-known/did.json" in err
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": DID,
        "credentialSubject": {"id": "did:example:citizen"},
    }
    (tmp_path / "unsigned.json").write_text(json.dumps(unsigned))
    return tmp_path


def test_did_json_lists_every_key_for_every_signing_purpose(agency: Path) -> None:
    document = json.loads((agency / "did.json").read_text())
    assert document["id"] == DID
    ids = [m["id"] for m in document["verificationMethod"]]
    assert ids == [f"{DID}#key-1", f"{DID}#key-2"]
    assert document["assertionMethod"] == ids
    agency_key = PrivateKey.from_jwk(json.loads((agency / "agency.jwk").read_text()))
    assert (
        document["verificationMethod"][0]["publicKeyMultibase"]
        == agency_key.public_key.to_multikey()
    )
    assert all(set(m) == {"id", "type", "controller", "publicKeyMultibase"}
               for m in document["verificationMethod"])  # fmt: skip
    DefaultResolver().preload(document)


@pytest.mark.parametrize("fmt", ["di", "vc-jwt"])
def test_a_did_web_issuer_verifies_offline_with_its_document(
    agency: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code, out, err = cli(capsys, "issue", agency / "unsigned.json", "--key", agency / "agency.jwk",
                         "--format", fmt, "--verification-method", f"{DID}#key-1")  # fmt: skip
    assert code == 0, err
    (agency / "vc").write_text(out)
    code, out, err = cli(
        capsys, "verify", agency / "vc", "--did-document", agency / "did.json", "--trust-any-issuer"
    )
    assert code == 0, out + err
    code, out, _ = cli(
        capsys, "verify", agency / "vc", "--json", "--trust-any-issuer"
    )  # no document, no network
    assert code == 1
    assert json.loads(out)["verified"] is False


def test_a_document_of_another_did_does_not_vouch_for_the_issuer(
    agency: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "issue", agency / "unsigned.json", "--key", agency / "agency.jwk",
                         "--verification-method", f"{DID}#key-1")  # fmt: skip
    assert code == 0, err
    (agency / "vc.json").write_text(out)
    impostor = json.loads((agency / "did.json").read_text().replace(DID, "did:web:evil.example"))
    (agency / "impostor.json").write_text(json.dumps(impostor))
    code, _, _ = cli(
        capsys,
        "verify",
        agency / "vc.json",
        "--did-document",
        agency / "impostor.json",
        "--trust-any-issuer",
    )
    assert code == 1


def test_a_key_not_in_the_document_is_not_accepted(
    agency: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "key", "generate", "-o", agency / "stolen.jwk")[0] == 0
    code, out, err = cli(capsys, "issue", agency / "unsigned.json", "--key", agency / "stolen.jwk",
                         "--verification-method", f"{DID}#key-1")  # fmt: skip
    if code == 0:  # issuing may not check; verifying must
        (agency / "vc.json").write_text(out)
        code, _, _ = cli(
            capsys,
            "verify",
            agency / "vc.json",
            "--did-document",
            agency / "did.json",
            "--trust-any-issuer",
        )
        assert code == 1
    else:
        assert code == 2, err


@pytest.mark.parametrize("domain", ["127.0.0.1", "bad_host.example", "gov.example:99999", ""])
def test_a_domain_that_is_not_a_domain_name_is_a_usage_error(
    agency: Path, capsys: pytest.CaptureFixture[str], domain: str
) -> None:
    code, out, err = cli(capsys, "did", "web", "--domain", domain, "--key", agency / "agency.jwk")
    assert code == 2
    assert out == ""
    assert "--domain" in err


def test_an_invalid_did_document_file_is_a_usage_error(
    agency: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (agency / "bad.json").write_text('{"id": "not a did"}')
    code, _, err = cli(
        capsys,
        "verify",
        agency / "unsigned.json",
        "--did-document",
        agency / "bad.json",
        "--trust-any-issuer",
    )
    assert code == 2
    assert "--did-document" in err


def test_did_web_for_ports_and_paths() -> None:
    assert did_web.for_domain("gov.example:8443", ["a", "b"]) == "did:web:gov.example%3A8443:a:b"
    assert (
        did_web.to_url(did_web.for_domain("gov.example", ["a"])) == "https://gov.example/a/did.json"
    )
    with pytest.raises(DidGovError):
        did_web.for_domain("gov.example", [".."])
    with pytest.raises(DidGovError):
        did_web.document(DID, [])
