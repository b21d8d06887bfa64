"""What the command prints: JSON that is always writable as UTF-8, whatever a claim holds."""

from __future__ import annotations

import io
import json
import sys

import pytest

from did_gov.cli._io import json_text, safe_streams


def test_claims_with_a_lone_surrogate_print_as_json_escapes() -> None:
    claims = {"name": "Jos\u00e9", "nickname": "\ud800"}
    text = json_text(claims)
    text.encode("utf-8")  # writable
    assert json.loads(text) == claims  # and exact: the escape reads back as the same string


def test_ordinary_non_ascii_claims_stay_readable() -> None:
    assert json_text({"name": "Jos\u00e9"}, separators=(",", ":")) == '{"name":"Jos\u00e9"}'


def test_streams_escape_what_they_cannot_encode(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    safe_streams()
    sys.stdout.write("claims: \ud800\n")
    out.flush()
    assert out.buffer.getvalue() == b"claims: \\ud800\n"
