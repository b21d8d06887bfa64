"""XML Schema dateTime and dateTimeStamp parsing and formatting (VC Data Model 2.0 §4.9), shared by every layer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from did_gov.errors import CredentialError

__all__ = ["format_datetime", "numeric_date", "parse_datetime", "utc_now"]

_FIRST = datetime(1, 1, 1, tzinfo=UTC).timestamp()
_LAST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()

# xsd:dateTime (XML Schema 1.1 Part 2 §3.3.7); dateTimeStamp when the time zone is required.
_DATETIME = re.compile(
    r"(?P<date>-?[0-9]{4,}-[0-9]{2}-[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?P<frac>\.[0-9]+)?"
    r"(?P<tz>Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?",
    re.ASCII,
)
_PLAIN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
"""The common UTC form, which ``datetime.fromisoformat`` reads to the same instant as the general path."""


def _invalid(field: str, value: str, why: str) -> CredentialError:
    return CredentialError(f"{field} {value!r} {why}", code="credential.date_invalid")


def parse_datetime(
    value: object, *, field: str = "date", timezone_required: bool = True
) -> datetime:
    """Parse an ``xsd:dateTimeStamp`` into an aware UTC datetime, or raise CredentialError.

    With ``timezone_required=False`` an ``xsd:dateTime`` without an offset is accepted and
    read as UTC (VCDM 1.1 dates; VCDM 2.0 §"Representing Time"). ``24:00:00`` is the first
    instant of the next day; offsets are bounded by ±14:00 as XML Schema requires.
    """
    if not isinstance(value, str):
        raise CredentialError(f"{field} must be a string", code="credential.date_invalid")
    if len(value) == 20 and value[11:13] != "24" and _PLAIN.fullmatch(value) is not None:
        try:  # YYYY-MM-DDThh:mm:ssZ, the common form: the C parser reads it as the general path would
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # year 0, an impossible day or second: the general path says which
    match = _DATETIME.fullmatch(value)
    if match is None or (match["tz"] is None and timezone_required):
        raise _invalid(field, value, "is not an XML Schema dateTimeStamp (a time zone is required)")
    frac = (match["frac"] or "")[:7]
    tz = (match["tz"] or "Z").replace("Z", "+00:00")
    midnight = match["hour"] == "24"
    if midnight and (match["minute"], match["second"], frac.strip(".0")) != ("00", "00", ""):
        raise _invalid(field, value, "has hour 24 with a non-zero time")
    hour = "00" if midnight else match["hour"]
    text = f"{match['date']}T{hour}:{match['minute']}:{match['second']}{frac}{tz}"
    year = match["date"].rsplit("-", 2)[0]
    if year.startswith("-") or len(year) > 4 or year == "0000":
        raise _out_of_range(field, value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _invalid(field, value, f"is not a valid date and time: {exc}") from None
    try:
        moment = moment.astimezone(UTC)
        return moment + timedelta(days=1) if midnight else moment
    except OverflowError:
        raise _out_of_range(field, value) from None


def _out_of_range(field: str, value: str) -> CredentialError:
    return CredentialError(
        f"{field} {value!r} is outside the years 0001-9999 (UTC) that did_gov represents",
        code="credential.date_out_of_range",
    )


def numeric_date(value: object, *, field: str = "date") -> float:
    """An RFC 7519 NumericDate (seconds since the epoch) as a float, within the years 0001-9999.

    ``true``/``false`` and non-numbers give ``credential.date_invalid``; a number outside the
    years did_gov represents (``1e308``, ``10**400``, a non-finite float) gives
    ``credential.date_out_of_range``, so no later ``float()``/``int()``/``datetime`` overflows.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CredentialError(f"{field} is not a NumericDate", code="credential.date_invalid")
    if not _FIRST <= value <= _LAST:  # exact for ints of any size; False for NaN
        raise CredentialError(
            f"{field} is outside the years 0001-9999 that did_gov represents",
            code="credential.date_out_of_range",
        )
    return float(value)


def format_datetime(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    if moment.tzinfo is None:
        raise CredentialError("datetime must be timezone-aware", code="credential.date_invalid")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """The current time in UTC; the one place did_gov reads the clock when no ``now=`` is given."""
    return datetime.now(UTC)
