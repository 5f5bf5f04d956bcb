"""Which execution a DAG run awaits: slot bounds, first look, and the schedule's creation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_mm_provider.monitoring import slots
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.slots import AwaitedExecution, awaited_execution

UTC = timezone.utc
SLOT = datetime(2024, 5, 1, 13, tzinfo=UTC)
WAKE = SLOT + timedelta(minutes=1)


class TestAwaitedExecution:
    hourly = ScheduleExpression.hourly()

    def test_data_interval_awaits_the_execution_that_analyses_it(self) -> None:
        awaited = awaited_execution(
            "data_interval", self.hourly, interval_start=SLOT - timedelta(hours=1), interval_end=SLOT
        )
        assert awaited == AwaitedExecution(SLOT, SLOT + timedelta(hours=1), WAKE, awaited.description, SLOT)

    def test_end_time_offset_moves_the_awaited_slot_later(self) -> None:
        awaited = awaited_execution(
            "data_interval",
            self.hourly,
            interval_start=SLOT - timedelta(hours=1),
            interval_end=SLOT,
            end_time_offset="-PT2H",
        )
        assert awaited.scheduled_after == SLOT + timedelta(hours=2)
        assert awaited.wake_at == SLOT + timedelta(hours=2, minutes=1)

    def test_daily_interval_awaits_the_first_slot_at_its_end(self) -> None:
        day = datetime(2024, 5, 1, tzinfo=UTC)
        awaited = awaited_execution(
            "data_interval",
            ScheduleExpression.every_n_hours(6),
            interval_start=day,
            interval_end=day + timedelta(days=1),
            appear_buffer=timedelta(0),
        )
        end = day + timedelta(days=1)
        assert (awaited.scheduled_after, awaited.scheduled_before, awaited.wake_at) == (
            end,
            end + timedelta(hours=6),
            end,
        )

    def test_interval_end_between_slots_awaits_the_next_slot(self) -> None:
        awaited = awaited_execution(
            "data_interval",
            ScheduleExpression.daily(0),
            interval_start=SLOT,
            interval_end=SLOT + timedelta(hours=1),
        )
        midnight = datetime(SLOT.year, SLOT.month, SLOT.day, tzinfo=UTC) + timedelta(days=1)
        assert awaited.scheduled_after == midnight

    @pytest.mark.parametrize("at", [SLOT - timedelta(minutes=35), SLOT])
    def test_empty_data_interval_awaits_the_slot_at_or_after(self, at: datetime) -> None:
        awaited = awaited_execution("data_interval", self.hourly, interval_start=at, interval_end=at)
        assert (awaited.scheduled_after, awaited.scheduled_before, awaited.wake_at) == (
            SLOT,
            SLOT + timedelta(hours=1),
            WAKE,
        )

    def test_data_interval_needs_an_interval(self) -> None:
        with pytest.raises(ValueError, match="no data interval"):
            awaited_execution("data_interval", self.hourly, interval_start=None, interval_end=None)

    @pytest.mark.parametrize(
        ("after", "slot"),
        [
            (SLOT, SLOT),
            (SLOT + timedelta(seconds=1), SLOT + timedelta(hours=1)),
            (SLOT - timedelta(minutes=59), SLOT),
        ],
    )
    def test_after_awaits_the_first_slot_at_or_after(self, after: datetime, slot: datetime) -> None:
        awaited = awaited_execution("after", self.hourly, after=after)
        assert (awaited.scheduled_after, awaited.scheduled_before, awaited.wake_at) == (
            slot,
            slot + timedelta(hours=1),
            slot + timedelta(minutes=1),
        )

    def test_after_a_now_schedule_looks_from_the_top_of_the_hour(self) -> None:
        awaited = awaited_execution("after", ScheduleExpression.now(), after=SLOT + timedelta(minutes=25))
        assert (awaited.scheduled_after, awaited.scheduled_before, awaited.wake_at) == (SLOT, None, None)

    def test_unknown_expression_bounds_by_the_interval_only(self) -> None:
        awaited = awaited_execution("data_interval", None, interval_start=SLOT, interval_end=WAKE)
        assert (awaited.scheduled_after, awaited.scheduled_before, awaited.wake_at) == (SLOT, WAKE, None)

    def test_latest_has_no_bounds(self) -> None:
        awaited = awaited_execution("latest", None)
        assert (awaited.scheduled_after, awaited.scheduled_before, awaited.wake_at) == (None, None, None)

    def test_unknown_mode(self) -> None:
        with pytest.raises(ValueError, match="wait_for must be one of"):
            awaited_execution("oldest", self.hourly)


class TestScheduleCreation:
    hourly = ScheduleExpression.hourly()
    interval = {"interval_start": SLOT - timedelta(hours=1), "interval_end": SLOT}

    @pytest.mark.parametrize("created", [SLOT, SLOT + timedelta(minutes=5)])
    def test_a_slot_at_or_before_the_creation_never_runs(self, created: datetime) -> None:
        with pytest.raises(slots.SlotBeforeCreationError, match="churn-dq .* slot 2024-05-01T13:00") as error:
            awaited_execution(
                "data_interval", self.hourly, **self.interval, created=created, schedule_name="churn-dq"
            )
        assert isinstance(error.value, ValueError) and "data_interval_or_first" in str(error.value)

    def test_data_interval_or_first_takes_the_first_slot_after_the_creation(self) -> None:
        created = SLOT + timedelta(minutes=5)
        awaited = awaited_execution("data_interval_or_first", self.hourly, **self.interval, created=created)
        later = SLOT + timedelta(hours=1)
        assert awaited == AwaitedExecution(
            later, later + timedelta(hours=1), later + slots.DEFAULT_APPEAR_BUFFER, awaited.description, later
        )

    def test_a_slot_after_the_creation_is_kept(self) -> None:
        created = SLOT - timedelta(seconds=1)
        awaited = awaited_execution("data_interval_or_first", self.hourly, **self.interval, created=created)
        assert awaited.slot == SLOT


def test_appear_buffer_takes_seconds_or_a_timedelta() -> None:
    assert slots.checked_appear_buffer(90) == timedelta(seconds=90)
    assert slots.checked_appear_buffer(timedelta(0)) == timedelta(0)
    with pytest.raises(ValueError, match="appear_buffer must not be negative"):
        slots.checked_appear_buffer(-1)


def test_check_wait_for_names_the_modes_a_caller_supports() -> None:
    assert slots.check_wait_for("latest") == "latest"
    with pytest.raises(
        ValueError, match=r"wait_for must be one of \('data_interval', 'latest'\), got 'after'"
    ):
        slots.check_wait_for("after", ("data_interval", "latest"))
