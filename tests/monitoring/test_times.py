from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.times import HOUR, as_utc, floor_hour, parse_time
from tests.support.monitoring import UTC, at

zones = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
aware = st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2100, 1, 1), timezones=zones)
naive = st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2100, 1, 1))


class SubclassedDatetime(datetime):
    """Stands for pendulum's and Airflow's datetime subclasses."""


def is_plain_utc(value: datetime) -> bool:
    return type(value) is datetime and value.tzinfo is timezone.utc


@given(aware)
def test_as_utc_keeps_the_instant_as_a_plain_utc_datetime(value: datetime) -> None:
    converted = as_utc(value)
    assert converted == value and is_plain_utc(converted)


def test_as_utc_turns_subclasses_into_plain_datetimes() -> None:
    value = SubclassedDatetime(2026, 5, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    converted = as_utc(value)
    assert converted == at(2026, 4, 30, 23) and is_plain_utc(converted)


def test_as_utc_rejects_non_datetime() -> None:
    with pytest.raises(TypeError, match="must be a datetime"):
        as_utc("2026-01-01T00:00:00Z")  # type: ignore[arg-type]


@given(naive)
def test_as_utc_refuses_naive_datetimes_naming_the_value(value: datetime) -> None:
    with pytest.raises(ValueError, match="scheduled_after must be timezone-aware"):
        as_utc(value, "scheduled_after")


def test_floor_hour() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert floor_hour(datetime(2026, 5, 1, 1, 59, 59, 999, tzinfo=plus_two)) == at(2026, 4, 30, 23)


@given(aware)
def test_floor_hour_is_the_top_of_the_utc_hour_holding_the_time(value: datetime) -> None:
    top = floor_hour(value)
    assert is_plain_utc(top) and (top.minute, top.second, top.microsecond) == (0, 0, 0)
    assert top <= value < top + HOUR


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T13:00:00Z", at(2024, 5, 1, 13)),
        (" 2024-05-01T13:00:00z ", at(2024, 5, 1, 13)),
        ("2024-05-01T15:30:00+02:00", at(2024, 5, 1, 13, 30)),
        (datetime(2024, 5, 1, 13, tzinfo=timezone(timedelta(hours=-1))), at(2024, 5, 1, 14)),
        (None, None),
    ],
)
def test_parse_time_gives_aware_utc(value: datetime | str | None, expected: datetime | None) -> None:
    parsed = parse_time(value, "after")
    assert parsed == expected
    assert parsed is None or is_plain_utc(parsed)


@given(aware)
def test_parse_time_reads_back_what_isoformat_writes(value: datetime) -> None:
    parsed = parse_time(value.isoformat(), "after")
    assert parsed == value and is_plain_utc(parsed)


@pytest.mark.parametrize("value", ["2024-05-01T13:00:00", "2024-05-01", datetime(2024, 5, 1)])
def test_parse_time_refuses_naive_values_naming_the_parameter(value: datetime | str) -> None:
    with pytest.raises(ValueError, match="window_start must be timezone-aware"):
        parse_time(value, "window_start")


@pytest.mark.parametrize("value", ["yesterday", "", "2024-13-01T00:00:00Z"])
def test_parse_time_refuses_unparsable_text_naming_the_parameter(value: str) -> None:
    with pytest.raises(ValueError, match="window_start must be an ISO-8601 date-time"):
        parse_time(value, "window_start")
