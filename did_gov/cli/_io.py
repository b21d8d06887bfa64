"""Reading the command's inputs: one usage error, files or standard input, strict JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "UsageError",
    "json_text",
    "parse_time",
    "read_bytes",
    "read_json",
    "read_text",
    "safe_streams",
]


class UsageError(Exception):
    """A bad argument or unreadable input: exit status 2."""


def read_bytes(path: str) -> bytes:
    """The bytes of ``path``, or of standard input for ``-``."""
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def read_text(path: str) -> str:
    """The UTF-8 text of ``path`` (``-``: standard input)."""
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: not UTF-8 text") from None


def read_json(path: str) -> Any:
    """``path`` parsed as strict JSON (no duplicate members, bounded size and depth)."""
    from did_gov._json import parse_json
    from did_gov.errors import DidGovError

    try:
        return parse_json(read_text(path))
    except DidGovError as exc:
        raise UsageError(f"{path}: {exc.message}") from None


def parse_time(text: str | None, flag: str) -> Any:
    """A date-time flag's value (ISO 8601 with a time zone), or None when not given."""
    if text is None:
        return None
    from did_gov.credentials import parse_datetime
    from did_gov.errors import DidGovError

    try:
        return parse_datetime(text, field=flag)
    except DidGovError as exc:
        raise UsageError(f"{flag}: {exc.message}") from None


def json_text(
    value: Any, *, indent: int | None = None, separators: tuple[str, str] | None = None
) -> str:
    """``value`` as JSON text that can be written as UTF-8 (``json.dumps`` arguments).

    Non-ASCII stays readable; a string holding a lone surrogate (``"\\ud800"``), which has no
    UTF-8 encoding, makes the whole value fall back to ``\\u`` escapes instead of crashing.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(value, ensure_ascii=True, indent=indent, separators=separators)
    return text


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8 (``-``: standard output); an OSError is a usage error."""
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def write_json(path: str, value: Any) -> None:
    """Write ``value`` as indented JSON text (``json_text``) and a newline to ``path``."""
    write_text(path, json_text(value, indent=2) + "\n")


def safe_streams() -> None:
    """Make stdout/stderr escape what their encoding cannot write, never raise on it."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            reconfigure(errors="backslashreplace")
