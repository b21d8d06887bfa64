"""XML Schema dateTimeStamp parsing and formatting (VC Data Model 2.0 §4.9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from did_gov.errors import CredentialError

__all__ = ["format_datetime", "parse_datetime", "utc_now"]

# xsd:dateTimeStamp: a dateTime with a mandatory time zone.
_DATETIME = re.compile(
    r"-?(?P<year>[0-9]{4,})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?P<frac>\.[0-9]+)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


def parse_datetime(value: object, *, field: str = "date") -> datetime:
    """Parse an ``xsd:dateTimeStamp`` into an aware UTC datetime, or raise CredentialError."""
    if not isinstance(value, str):
        raise CredentialError(f"{field} must be a string", code="credential.date_invalid")
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise CredentialError(
            f"{field} {value!r} is not an XML Schema dateTimeStamp (a time zone is required)",
            code="credential.date_invalid",
        )
    text = value.replace("Z", "+00:00")
    if match["frac"] and len(match["frac"]) > 7:
        text = text.replace(match["frac"], match["frac"][:7])
    if match["hour"] == "24":
        raise CredentialError(
            f"{field} {value!r}: hour 24 is not supported", code="credential.date_invalid"
        )
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as exc:
        raise CredentialError(f"{field} {value!r}: {exc}", code="credential.date_invalid") from None


def format_datetime(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    if moment.tzinfo is None:
        raise CredentialError("datetime must be timezone-aware", code="credential.date_invalid")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """The current time in UTC; the one place did_gov reads the clock when no ``now=`` is given."""
    return datetime.now(UTC)
