from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.waiting import (
    Deadline,
    default_deadline,
    first_slot_after,
    precedes_creation,
    service_clock_ahead,
    unreachable_reason,
)

UTC = timezone.utc
SLOT = datetime(2024, 5, 1, 13, tzinfo=UTC)


class TestDefaultDeadline:
    @pytest.mark.parametrize(
        ("runtime", "margin", "expected"),
        [
            (1800, timedelta(minutes=10), SLOT + timedelta(minutes=20 + 30 + 10)),
            (3600, timedelta(0), SLOT + timedelta(minutes=80)),
            (None, timedelta(minutes=10), SLOT + timedelta(minutes=90)),
            (86400, timedelta(minutes=10), SLOT + timedelta(days=1, minutes=30)),
        ],
    )
    def test_slot_plus_start_delay_plus_runtime_plus_margin(
        self, runtime: float | None, margin: timedelta, expected: datetime
    ) -> None:
        assert default_deadline(SLOT, runtime, margin).at == expected

    def test_reason_says_how_it_was_derived(self) -> None:
        assert default_deadline(SLOT, None) == Deadline(
            SLOT + timedelta(minutes=90),
            "2024-05-01T13:00:00+00:00 + 20 min start delay + MaxRuntimeInSeconds 3600 s (assumed) "
            "+ 10 min margin",
        )

    @pytest.mark.parametrize(("runtime", "margin"), [(0, timedelta(0)), (60, timedelta(seconds=-1))])
    def test_bad_values_are_refused(self, runtime: float, margin: timedelta) -> None:
        with pytest.raises(ValueError, match="MaxRuntimeInSeconds|margin"):
            default_deadline(SLOT, runtime, margin)


class TestCreation:
    @pytest.mark.parametrize(
        ("created", "precedes"),
        [(SLOT - timedelta(seconds=1), False), (SLOT, True), (SLOT + timedelta(minutes=5), True)],
    )
    def test_a_slot_at_or_before_creation_never_runs(self, created: datetime, precedes: bool) -> None:
        assert precedes_creation(SLOT, created) is precedes

    @pytest.mark.parametrize(
        ("expression", "created", "first"),
        [
            (ScheduleExpression.hourly(), SLOT + timedelta(minutes=5), SLOT + timedelta(hours=1)),
            (ScheduleExpression.hourly(), SLOT, SLOT + timedelta(hours=1)),
            (ScheduleExpression.daily(0), SLOT, datetime(2024, 5, 2, tzinfo=UTC)),
        ],
    )
    def test_first_slot_is_strictly_after_creation(
        self, expression: ScheduleExpression, created: datetime, first: datetime
    ) -> None:
        assert first_slot_after(expression, created) == first


class TestUnreachable:
    def reason(self, description: dict[str, Any] | None, now: datetime = SLOT) -> str | None:
        return unreachable_reason("churn-dq", description, SLOT, now)

    def test_scheduled_or_pending_can_still_run(self) -> None:
        assert self.reason({"MonitoringScheduleStatus": "Scheduled"}) is None
        assert self.reason({"MonitoringScheduleStatus": "Pending"}) is None

    def test_deleted(self) -> None:
        assert self.reason(None).startswith(
            "Monitoring schedule churn-dq does not exist (deleted?), so no execution will run for the slot "
            "2024-05-01T13:00:00+00:00."
        )

    def test_failed_names_the_reason(self) -> None:
        reason = self.reason({"MonitoringScheduleStatus": "Failed", "FailureReason": "role gone"})
        assert "churn-dq is Failed (role gone)" in reason and "2024-05-01T13:00:00+00:00" in reason

    @pytest.mark.parametrize(
        ("stopped_at", "now", "lost"),
        [
            (SLOT - timedelta(minutes=1), SLOT, True),
            (SLOT, SLOT, True),
            (SLOT + timedelta(minutes=1), SLOT + timedelta(minutes=19), False),
            (SLOT + timedelta(minutes=1), SLOT + timedelta(minutes=20), True),
        ],
    )
    def test_stopped_loses_the_slot_unless_stopped_after_it_within_the_start_delay(
        self, stopped_at: datetime, now: datetime, lost: bool
    ) -> None:
        reason = self.reason({"MonitoringScheduleStatus": "Stopped", "LastModifiedTime": stopped_at}, now)
        assert (reason is not None) is lost
        if lost:
            assert "SageMakerStartMonitoringScheduleOperator" in reason


class TestServiceClockAhead:
    def test_times_ahead_of_the_local_clock_reveal_it(self) -> None:
        description = {
            "CreationTime": SLOT - timedelta(days=1),
            "LastModifiedTime": SLOT - timedelta(hours=1),
            "LastMonitoringExecutionSummary": {"CreationTime": SLOT + timedelta(minutes=7)},
        }
        assert service_clock_ahead(description, SLOT - timedelta(hours=3)) == timedelta(hours=3, minutes=7)

    @pytest.mark.parametrize("ahead", [timedelta(0), timedelta(seconds=59), -timedelta(days=400)])
    def test_small_drift_or_a_clock_behind_count_as_none(self, ahead: timedelta) -> None:
        assert service_clock_ahead({"CreationTime": SLOT + ahead}, SLOT) == timedelta(0)
