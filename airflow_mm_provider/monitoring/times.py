"""Times as Model Monitor uses them: aware UTC datetimes, parsed from ISO-8601 text and floored to the hour.

One rule for naive times everywhere in the provider and in ``mm-local``'s control interface: a naive
``datetime`` or an ISO-8601 text without ``Z`` or an offset is refused with a ``ValueError`` naming the
parameter. Model Monitor and the local service work in UTC, Airflow hands tasks aware datetimes, but a naive
value has no agreed zone (Python reads it as local time, Airflow as its default timezone, botocore as UTC), so
guessing would silently move a window by hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import overload

HOUR = timedelta(hours=1)


def as_utc(value: datetime, name: str = "time") -> datetime:
    """Return ``value`` as a plain UTC ``datetime``; naive datetimes are refused (their zone is unknown).

    Subclasses (pendulum's, Airflow's) come back as plain datetimes, so slot maths behaves the same for all.

    :param value: a timezone-aware datetime in any zone.
    :param name: what the value is, for the error message.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (Model Monitor times are UTC), got naive {value.isoformat()}; "
            "use e.g. datetime(..., tzinfo=timezone.utc) or an ISO-8601 text ending in Z"
        )
    utc = value.astimezone(timezone.utc)
    return datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=timezone.utc
    )


def floor_hour(value: datetime, name: str = "time") -> datetime:
    """Return the top of the UTC hour containing ``value`` (an aware datetime).

    :param value: a timezone-aware datetime in any zone.
    :param name: what the value is, for the error message.
    """
    return as_utc(value, name).replace(minute=0, second=0, microsecond=0)


@overload
def parse_time(value: datetime | str, name: str) -> datetime: ...


@overload
def parse_time(value: None, name: str) -> None: ...


@overload
def parse_time(value: datetime | str | None, name: str) -> datetime | None: ...


def parse_time(value: datetime | str | None, name: str) -> datetime | None:
    """An aware UTC datetime from a datetime or an ISO-8601 text (``Z`` allowed); ``None`` stays ``None``.

    :param value: the time; naive values are refused (see the module docstring).
    :param name: the parameter it came from, for errors.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ValueError(f"{name} must be an ISO-8601 date-time, got {text!r}") from None
    return as_utc(value, name)
