from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.schedule import (
    EXPRESSION_FORM,
    EXPRESSION_HOUR,
    EXPRESSION_INTERVAL,
    FIELD,
    ScheduleExpression,
    ScheduleExpressionError,
    recurring_expression,
)
from airflow_mm_provider.monitoring.times import as_utc, floor_hour
from tests.support.monitoring import UTC, at

ONE_US = timedelta(microseconds=1)

expressions = st.one_of(
    st.just(ScheduleExpression.hourly()),
    st.integers(0, 23).map(ScheduleExpression.daily),
    st.builds(ScheduleExpression.every_n_hours, st.integers(1, 24), st.integers(0, 23)),
)
zones = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)


def is_slot_of(expression: ScheduleExpression, t: datetime) -> bool:
    return t.tzinfo == UTC and (t.minute, t.second, t.microsecond) == (0, 0, 0) and t.hour in expression.hours


class TestConstructors:
    def test_hourly(self) -> None:
        e = ScheduleExpression.hourly()
        assert (e.expression, e.interval_hours, e.hours) == ("cron(0 * ? * * *)", 1, tuple(range(24)))
        assert str(e) == "cron(0 * ? * * *)"
        assert not e.is_now

    def test_daily(self) -> None:
        e = ScheduleExpression.daily(12)
        assert (e.expression, e.interval_hours, e.hours) == ("cron(0 12 ? * * *)", 24, (12,))

    def test_every_n_hours_restarts_at_midnight_like_cron(self) -> None:
        e = ScheduleExpression.every_n_hours(5)
        assert e.expression == "cron(0 0/5 ? * * *)"
        assert e.interval_hours == 5
        assert e.hours == (0, 5, 10, 15, 20)
        assert e.shortest_gap == timedelta(hours=4)

    def test_every_12_from_17_is_once_a_day(self) -> None:
        e = ScheduleExpression.every_n_hours(12, 17)
        assert (e.expression, e.hours) == ("cron(0 17/12 ? * * *)", (17,))

    def test_now(self) -> None:
        e = ScheduleExpression.now()
        assert (e.expression, e.interval_hours, e.hours, e.is_now) == ("NOW", None, (), True)
        assert e.shortest_gap is None

    @pytest.mark.parametrize("hour", [-1, 24, True, 1.5, "3", None])
    def test_daily_rejects_bad_hour(self, hour: object) -> None:
        with pytest.raises(MonitoringValidationError) as info:
            ScheduleExpression.daily(hour)  # type: ignore[arg-type]
        assert info.value.rule is EXPRESSION_HOUR
        assert FIELD in str(info.value)

    @pytest.mark.parametrize("n", [0, 25, -3, False])
    def test_every_n_hours_rejects_bad_interval(self, n: object) -> None:
        with pytest.raises(MonitoringValidationError) as info:
            ScheduleExpression.every_n_hours(n)  # type: ignore[arg-type]
        assert info.value.rule is EXPRESSION_INTERVAL
        assert FIELD in str(info.value)

    def test_every_n_hours_rejects_bad_start_hour_with_custom_field(self) -> None:
        with pytest.raises(MonitoringValidationError) as info:
            ScheduleExpression.every_n_hours(2, 24, field="schedule")
        assert info.value.rule is EXPRESSION_HOUR
        assert str(info.value).startswith("schedule: ")

    def test_every_n_hours_bounds_are_inclusive(self) -> None:
        assert ScheduleExpression.every_n_hours(1, 0).hours == tuple(range(24))
        assert ScheduleExpression.every_n_hours(24, 23).hours == (23,)


class TestParse:
    @pytest.mark.parametrize(
        ("text", "interval", "hours"),
        [
            ("cron(0 * ? * * *)", 1, tuple(range(24))),
            ("cron(0 * * * ? *)", 1, tuple(range(24))),
            ("cron(0 12 ? * * *)", 24, (12,)),
            ("cron(0 0 ? * * *)", 24, (0,)),
            ("cron(0 05 ? * * *)", 24, (5,)),
            ("cron(0 7 * * ? *)", 24, (7,)),
            ("cron(0 17/12 ? * * *)", 12, (17,)),
            ("cron(0 0/2 ? * * *)", 2, tuple(range(0, 24, 2))),
            ("cron(0 3/24 ? * * *)", 24, (3,)),
            ("cron(0 1/6 * * ? *)", 6, (1, 7, 13, 19)),
            ("NOW", None, ()),
        ],
    )
    def test_accepts_supported_forms_and_keeps_text(
        self, text: str, interval: int | None, hours: tuple[int, ...]
    ) -> None:
        e = ScheduleExpression.parse(text)
        assert (e.expression, e.interval_hours, e.hours) == (text, interval, hours)
        assert str(e) == text

    @pytest.mark.parametrize(
        "e",
        [
            ScheduleExpression.hourly(),
            ScheduleExpression.daily(9),
            ScheduleExpression.every_n_hours(3, 2),
            ScheduleExpression.now(),
        ],
    )
    def test_constructor_output_round_trips(self, e: ScheduleExpression) -> None:
        assert ScheduleExpression.parse(e.expression) == e

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "cron(0 12 * * * *)",
            "cron(5 * ? * * *)",
            "cron(0 0 ? * MON *)",
            "cron(0 0 1 * ? *)",
            "cron(0 */2 ? * * *)",
            "cron(0 1-5 ? * * *)",
            "cron(0 * ? * *)",
            "rate(1 hour)",
            "0 * * * *",
            "now",
            " NOW",
            "cron(0 * ? * * *) ",
            "cron(0  12 ? * * *)",
            "Hourly: cron(0 * ? * * *)",
            "cron(0 123 ? * * *)",
        ],
    )
    def test_rejects_unsupported_forms_naming_field(self, text: str) -> None:
        with pytest.raises(ScheduleExpressionError) as info:
            ScheduleExpression.parse(text)
        assert info.value.rule is EXPRESSION_FORM
        message = str(info.value)
        assert message.startswith(f"{FIELD}: ")
        assert "cron(0 * ? * * *)" in message and "NOW" in message

    def test_rejects_non_string(self) -> None:
        with pytest.raises(MonitoringValidationError, match=FIELD):
            ScheduleExpression.parse(3600)  # type: ignore[arg-type]

    def test_copied_documentation_text_gets_hint(self) -> None:
        with pytest.raises(ScheduleExpressionError) as info:
            ScheduleExpression.parse("Hourly: cron(0 * ? * * *)")
        assert "documentation text was copied" in str(info.value)
        assert "'cron(0 * ? * * *)'" in info.value.hint

    def test_copied_text_around_unsupported_cron_gets_no_copy_hint(self) -> None:
        with pytest.raises(ScheduleExpressionError) as info:
            ScheduleExpression.parse("Weekly: cron(0 0 ? * MON *)")
        assert info.value.hint == ""

    @pytest.mark.parametrize("text", ["now", "Now", " NOW "])
    def test_now_spelling_hint(self, text: str) -> None:
        with pytest.raises(ScheduleExpressionError, match="Write NOW in capitals"):
            ScheduleExpression.parse(text)

    @pytest.mark.parametrize("text", ["cron(0  * ? * * *)", " cron(0 12 ? * * *)", "cron( 0 1/2 ? * * * )"])
    def test_whitespace_hint(self, text: str) -> None:
        with pytest.raises(ScheduleExpressionError, match="extra whitespace"):
            ScheduleExpression.parse(text)

    def test_rate_hint(self) -> None:
        with pytest.raises(ScheduleExpressionError, match="rate\\(\\) expressions are not supported"):
            ScheduleExpression.parse("rate(2 hours)")

    @pytest.mark.parametrize(
        ("text", "rule"),
        [
            ("cron(0 24 ? * * *)", EXPRESSION_HOUR),
            ("cron(0 99/2 ? * * *)", EXPRESSION_HOUR),
            ("cron(0 1/0 ? * * *)", EXPRESSION_INTERVAL),
            ("cron(0 1/25 ? * * *)", EXPRESSION_INTERVAL),
        ],
    )
    def test_bad_hour_or_interval_names_field_and_expression(self, text: str, rule: object) -> None:
        with pytest.raises(MonitoringValidationError) as info:
            ScheduleExpression.parse(text, field="MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression")
        assert info.value.rule is rule
        assert str(info.value).startswith("MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression: ")
        assert info.value.value == text

    def test_coerce(self) -> None:
        daily = ScheduleExpression.daily(4)
        assert ScheduleExpression.coerce(daily) is daily
        assert ScheduleExpression.coerce("cron(0 4 ? * * *)") == daily
        with pytest.raises(MonitoringValidationError, match="X.Y"):
            ScheduleExpression.coerce("weekly", field="X.Y")


class TestSlots:
    def test_examples(self) -> None:
        e = ScheduleExpression.every_n_hours(12, 5)
        assert e.hours == (5, 17)
        assert e.previous_slot(at(2026, 3, 1, 4, 59)) == at(2026, 2, 28, 17)
        assert e.previous_slot(at(2026, 3, 1, 5)) == at(2026, 3, 1, 5)
        assert e.next_slot(at(2026, 3, 1, 5)) == at(2026, 3, 1, 17)
        assert e.next_slot(at(2026, 12, 31, 17)) == at(2027, 1, 1, 5)
        assert e.slots(at(2026, 3, 1, 5), at(2026, 3, 2, 5)) == [at(2026, 3, 1, 5), at(2026, 3, 1, 17)]

    def test_converts_other_zones_to_utc(self) -> None:
        tokyo = timezone(timedelta(hours=9))
        slot = ScheduleExpression.daily(0).previous_slot(datetime(2026, 1, 1, 8, 30, tzinfo=tokyo))
        assert slot == at(2025, 12, 31, 0)
        assert slot.tzinfo == UTC

    def test_empty_or_reversed_range(self) -> None:
        e = ScheduleExpression.hourly()
        assert e.slots(at(2026, 1, 1, 5), at(2026, 1, 1, 5)) == []
        assert e.slots(at(2026, 1, 1, 6), at(2026, 1, 1, 5)) == []

    def test_long_ranges_are_computed_not_scanned(self) -> None:
        began = time.perf_counter()
        daily = ScheduleExpression.daily(3).slots(at(1970, 1, 1), at(2070, 1, 1))
        hourly = ScheduleExpression.hourly().slots(at(2020, 1, 1), at(2024, 1, 1))
        assert time.perf_counter() - began < 5
        assert len(daily) == (at(2070, 1, 1) - at(1970, 1, 1)).days
        assert len(hourly) == (at(2024, 1, 1) - at(2020, 1, 1)) // timedelta(hours=1)

    def test_period_before(self) -> None:
        e = ScheduleExpression.every_n_hours(5)
        assert e.period_before(at(2026, 1, 2, 0)) == timedelta(hours=4)
        assert e.period_before(at(2026, 1, 2, 5)) == timedelta(hours=5)
        assert ScheduleExpression.daily(7).period_before(at(2026, 1, 2, 7)) == timedelta(days=1)
        with pytest.raises(ValueError, match="not a slot"):
            e.period_before(at(2026, 1, 2, 6))

    @pytest.mark.parametrize(
        "call",
        [
            lambda e: e.previous_slot(at(2026, 1, 1)),
            lambda e: e.next_slot(at(2026, 1, 1)),
            lambda e: e.slots(at(2026, 1, 1), at(2026, 1, 2)),
        ],
    )
    def test_now_has_no_slots(self, call: object) -> None:
        with pytest.raises(ValueError, match="NOW schedule runs once"):
            call(ScheduleExpression.now())  # type: ignore[operator]

    @pytest.mark.parametrize(
        "call",
        [
            lambda e: e.previous_slot(datetime(2026, 1, 1)),
            lambda e: e.next_slot(datetime(2026, 1, 1)),
            lambda e: e.slots(datetime(2026, 1, 1), at(2026, 1, 2)),
            lambda e: e.slots(at(2026, 1, 1), datetime(2026, 1, 2)),
        ],
    )
    def test_naive_datetimes_are_refused(self, call: object) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            call(ScheduleExpression.hourly())  # type: ignore[operator]

    @given(expressions, times)
    def test_previous_and_next_bracket_t(self, e: ScheduleExpression, t: datetime) -> None:
        previous, following = e.previous_slot(t), e.next_slot(t)
        assert previous <= t < following
        assert is_slot_of(e, previous) and is_slot_of(e, following)
        assert e.slots(previous, following) == [previous]
        assert e.slots(previous + ONE_US, following) == []
        assert following - previous <= timedelta(days=1)

    @given(expressions, times)
    def test_a_slot_is_its_own_previous_slot(self, e: ScheduleExpression, t: datetime) -> None:
        slot = e.previous_slot(t)
        assert e.previous_slot(slot) == slot
        assert e.next_slot(slot - ONE_US) == slot
        assert e.period_before(slot) == slot - e.previous_slot(slot - ONE_US)
        assert e.period_before(slot) >= e.shortest_gap  # type: ignore[operator]

    @given(expressions, times)
    def test_any_day_holds_one_slot_per_hour_listed(self, e: ScheduleExpression, t: datetime) -> None:
        midnight = as_utc(t).replace(hour=0, minute=0, second=0, microsecond=0)
        assert len(e.slots(midnight, midnight + timedelta(days=1))) == len(e.hours)
        assert len(e.slots(t, t + timedelta(days=1))) == len(e.hours)

    @given(expressions, times, st.integers(0, 24 * 10))
    def test_slots_match_hour_by_hour_scan(self, e: ScheduleExpression, start: datetime, hours: int) -> None:
        end = start + timedelta(hours=hours, minutes=7)
        found = e.slots(start, end)
        expected, top = [], floor_hour(start)
        while top < end:
            if top >= start and top.hour in e.hours:
                expected.append(top)
            top += timedelta(hours=1)
        assert found == expected
        assert all(is_slot_of(e, slot) for slot in found)


def test_recurring_expression_defaults_to_hourly_and_refuses_now():
    assert recurring_expression(None) == ScheduleExpression.hourly()
    assert recurring_expression("cron(0 6 ? * * *)") == ScheduleExpression.daily(6)
    with pytest.raises(ValueError, match="^schedule: NOW has no slots"):
        recurring_expression(ScheduleExpression.now())
    with pytest.raises(MonitoringValidationError, match="^every"):
        recurring_expression("rate(1 hour)", "every")
