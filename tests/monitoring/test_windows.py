from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.windows import (
    ANALYSIS_TIMES_LENGTH,
    NOW_TIMES_REQUIRED,
    OFFSET_CALENDAR,
    OFFSET_FORMAT,
    OFFSET_LENGTH,
    OFFSET_SIGN,
    WINDOW_ORDER,
    AnalysisWindow,
    analysis_window,
    format_offset,
    now_analysis_times,
    now_window,
    parse_offset,
    validate_now_times,
)
from tests.support.monitoring import UTC, at, raises_rule

FIELD = "ModelQualityJobInput.EndpointInput.StartTimeOffset"
START = "ScheduleConfig.DataAnalysisStartTime"
END = "ScheduleConfig.DataAnalysisEndTime"


class TestParseOffset:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("-PT1H", timedelta(hours=-1)),
            ("-PT0H", timedelta(0)),
            ("PT0H", timedelta(0)),
            ("+PT0S", timedelta(0)),
            ("-P1D", timedelta(days=-1)),
            ("-PT30M", timedelta(minutes=-30)),
            ("-P8D", timedelta(days=-8)),
            ("-PT6H", timedelta(hours=-6)),
            ("-P1DT12H", timedelta(hours=-36)),
            ("-PT1H30M", timedelta(minutes=-90)),
            ("-P1W", timedelta(days=-7)),
            ("-PT0.5H", timedelta(minutes=-30)),
        ],
    )
    def test_accepts_iso_durations(self, text: str, expected: timedelta) -> None:
        assert parse_offset(text, FIELD) == expected

    @pytest.mark.parametrize("text", ["", "-PT10000000000000H"])
    def test_length(self, text: str) -> None:
        with raises_rule(OFFSET_LENGTH, FIELD):
            parse_offset(text, FIELD)

    @pytest.mark.parametrize(
        "text",
        ["1h", "-1H", "P", "-P", "-PT", "-P1DT", "xPT1H", "--PT1H", "-PT1H1H", "-PT-1H", "-pt1h", "T1H"],
    )
    def test_format(self, text: str) -> None:
        with raises_rule(OFFSET_FORMAT, FIELD):
            parse_offset(text, FIELD)

    def test_non_string(self) -> None:
        with raises_rule(OFFSET_FORMAT, FIELD):
            parse_offset(-3600, FIELD)  # type: ignore[arg-type]

    @pytest.mark.parametrize("text", ["-P1M", "-P1Y", "-P30M", "-P1Y2D"])
    def test_years_and_months_are_ambiguous(self, text: str) -> None:
        with raises_rule(OFFSET_CALENDAR, FIELD) as info:
            parse_offset(text, FIELD)
        assert "-PT30M" in str(info.value)

    @pytest.mark.parametrize("text", ["PT1H", "+P1D", "PT0.001S"])
    def test_positive_offsets_point_into_the_future(self, text: str) -> None:
        with raises_rule(OFFSET_SIGN, FIELD):
            parse_offset(text, FIELD)


class TestFormatOffset:
    @pytest.mark.parametrize(
        ("delta", "text"),
        [
            (timedelta(hours=-5), "-PT5H"),
            (timedelta(0), "-PT0H"),
            (timedelta(days=-8), "-PT192H"),
            (timedelta(days=-1, minutes=-30), "-PT24H30M"),
            (timedelta(minutes=-30), "-PT30M"),
            (timedelta(seconds=-90), "-PT1M30S"),
            (timedelta(microseconds=-1500), "-PT0.0015S"),
        ],
    )
    def test_examples(self, delta: timedelta, text: str) -> None:
        assert format_offset(delta) == text

    def test_positive_is_refused(self) -> None:
        with raises_rule(OFFSET_SIGN, "EndTimeOffset"):
            format_offset(timedelta(hours=1), "EndTimeOffset")

    def test_too_long_is_refused(self) -> None:
        with raises_rule(OFFSET_LENGTH, "TimeOffset"):
            format_offset(timedelta(hours=-5, minutes=-5, microseconds=-123457))

    @given(st.integers(0, 10**12).map(lambda us: -timedelta(microseconds=us)))
    def test_round_trip(self, delta: timedelta) -> None:
        try:
            text = format_offset(delta)
        except MonitoringValidationError as error:
            assert error.rule is OFFSET_LENGTH
            return
        assert 1 <= len(text) <= 15
        assert parse_offset(text, FIELD) == delta

    @given(st.integers(0, 10**6).map(lambda minutes: timedelta(minutes=-minutes)))
    def test_whole_minutes_always_fit(self, delta: timedelta) -> None:
        assert parse_offset(format_offset(delta), FIELD) == delta


class TestAnalysisWindow:
    def test_default_is_preceding_hour(self) -> None:
        assert analysis_window(at(2026, 1, 1, 5)) == AnalysisWindow(at(2026, 1, 1, 4), at(2026, 1, 1, 5))

    def test_period(self) -> None:
        window = analysis_window(at(2020, 2, 20, 5), timedelta(days=1))
        assert (window.start, window.end) == (at(2020, 2, 19, 5), at(2020, 2, 20, 5))
        assert window.duration == timedelta(days=1)

    def test_documented_offsets_example(self) -> None:
        window = analysis_window(at(2020, 1, 9, 13), start_offset="-P8D", end_offset="-P1D")
        assert window == AnalysisWindow(at(2020, 1, 1, 13), at(2020, 1, 8, 13))

    def test_hour_look_back_with_zero_end(self) -> None:
        window = analysis_window(at(2026, 1, 1, 6), start_offset="-PT6H", end_offset="-PT0H")
        assert window == AnalysisWindow(at(2026, 1, 1, 0), at(2026, 1, 1, 6))

    def test_only_end_offset_keeps_period(self) -> None:
        window = analysis_window(at(2026, 1, 1, 5), timedelta(hours=2), end_offset="-PT3H")
        assert window == AnalysisWindow(at(2026, 1, 1, 0), at(2026, 1, 1, 2))

    def test_only_start_offset_ends_at_scheduled_time(self) -> None:
        window = analysis_window(at(2026, 1, 1, 5), start_offset="-PT3H")
        assert window == AnalysisWindow(at(2026, 1, 1, 2), at(2026, 1, 1, 5))

    def test_converts_to_utc(self) -> None:
        window = analysis_window(datetime(2026, 1, 1, 14, tzinfo=timezone(timedelta(hours=9))))
        assert window.end == at(2026, 1, 1, 5) and window.end.tzinfo == UTC

    @pytest.mark.parametrize(("start", "end"), [("-PT1H", "-PT2H"), ("-PT1H", "-PT1H")])
    def test_start_must_precede_end(self, start: str, end: str) -> None:
        with raises_rule(WINDOW_ORDER, "ModelBiasJobInput.EndpointInput.StartTimeOffset"):
            analysis_window(
                at(2026, 1, 1),
                start_offset=start,
                end_offset=end,
                field_prefix="ModelBiasJobInput.EndpointInput",
            )

    def test_bad_end_offset_names_end_field(self) -> None:
        with raises_rule(OFFSET_SIGN, "EndTimeOffset"):
            analysis_window(at(2026, 1, 1), start_offset="-PT1H", end_offset="PT1H")

    def test_period_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="period must be positive"):
            analysis_window(at(2026, 1, 1), timedelta(0))

    def test_naive_scheduled_time(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            analysis_window(datetime(2026, 1, 1))


class TestNowTimes:
    def test_valid(self) -> None:
        assert validate_now_times("-PT5H", "-PT1H") == (timedelta(hours=-5), timedelta(hours=-1))
        assert validate_now_times("-P1D", "-PT0H") == (timedelta(days=-1), timedelta(0))

    @pytest.mark.parametrize(
        ("start", "end", "field"), [(None, "-PT1H", START), ("-PT2H", "", END), (None, None, START)]
    )
    def test_both_required(self, start: str | None, end: str | None, field: str) -> None:
        with raises_rule(NOW_TIMES_REQUIRED, field):
            validate_now_times(start, end)

    def test_offsets_are_validated(self) -> None:
        with raises_rule(OFFSET_FORMAT, END):
            validate_now_times("-PT2H", "an hour ago")
        with raises_rule(OFFSET_CALENDAR, "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime"):
            validate_now_times("-P1M", "-PT0H", field_prefix="MonitoringScheduleConfig.ScheduleConfig")

    def test_start_before_end(self) -> None:
        with raises_rule(WINDOW_ORDER, START):
            validate_now_times("-PT1H", "-PT5H")

    def test_window_at_most_a_day(self) -> None:
        assert validate_now_times("-PT25H", "-PT1H")[0] == timedelta(hours=-25)
        with raises_rule(ANALYSIS_TIMES_LENGTH, START):
            validate_now_times("-PT25H1S", "-PT1H")

    def test_now_analysis_times_relative_to_now(self) -> None:
        times = now_analysis_times(at(2026, 1, 1, 5), at(2026, 1, 1, 9), at(2026, 1, 1, 10, 42))
        assert times == ("-PT5H42M", "-PT1H42M")
        assert validate_now_times(*times) == (timedelta(minutes=-342), timedelta(minutes=-102))

    def test_now_analysis_times_full_day_up_to_now(self) -> None:
        times = now_analysis_times(at(2025, 12, 31, 10), at(2026, 1, 1, 10), at(2026, 1, 1, 10, 0, 0, 400))
        assert times == ("-PT24H", "-PT0H")

    def test_now_analysis_times_other_zone(self) -> None:
        plus_one = timezone(timedelta(hours=1))
        start, now = datetime(2026, 1, 1, 6, 30, tzinfo=plus_one), datetime(2026, 1, 1, 8, 5, tzinfo=plus_one)
        times = now_analysis_times(start, at(2026, 1, 1, 6), now)
        assert times == ("-PT1H35M", "-PT1H5M")

    def test_now_window_too_long(self) -> None:
        with raises_rule(ANALYSIS_TIMES_LENGTH, START):
            now_analysis_times(at(2026, 1, 1), at(2026, 1, 2, 1), at(2026, 1, 3))

    def test_now_window_reversed(self) -> None:
        with raises_rule(WINDOW_ORDER, START):
            now_analysis_times(at(2026, 1, 1, 3), at(2026, 1, 1, 2), at(2026, 1, 3))

    def test_window_ending_after_now(self) -> None:
        with raises_rule(OFFSET_SIGN, END) as info:
            now_analysis_times(at(2026, 1, 1, 3), at(2026, 1, 1, 10, 31), at(2026, 1, 1, 10, 30))
        assert "after now" in str(info.value)

    def test_now_window_is_the_analysis_times_from_creation(self) -> None:
        created = at(2026, 1, 1, 10, 40, 12, 345678)
        window = now_window(created, "-PT1H", "-PT0H")
        assert window == AnalysisWindow(at(2026, 1, 1, 9, 40, 12), at(2026, 1, 1, 10, 40, 12))
        with raises_rule(NOW_TIMES_REQUIRED, END):
            now_window(created, "-PT1H", None)

    @given(
        st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
        st.integers(0, 24 * 30 * 60),
        st.integers(1, 24 * 60),
    )
    def test_windows_round_trip_through_the_creation_second(
        self, now: datetime, back: int, length: int
    ) -> None:
        end = now.replace(microsecond=0) - timedelta(minutes=back)
        start = end - timedelta(minutes=length)
        assert now_window(now, *now_analysis_times(start, end, now)) == AnalysisWindow(start, end)
