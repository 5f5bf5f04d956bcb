from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.sensors.schedule import SageMakerMonitoringScheduleSensor
from tests.support.scenario import T0
from tests.support.service import HOURLY, endpoint, job_definition


def make_sensor(
    status: str, failure_reason: str | None = None, **kwargs: Any
) -> SageMakerMonitoringScheduleSensor:
    sensor = SageMakerMonitoringScheduleSensor(task_id="wait", monitoring_schedule_name="churn-dq", **kwargs)
    hook = mock.create_autospec(SageMakerModelMonitorHook, instance=True)
    description = {"MonitoringScheduleName": "churn-dq", "MonitoringScheduleStatus": status}
    if failure_reason is not None:
        description["FailureReason"] = failure_reason
    hook.describe_schedule.return_value = description
    sensor.hook = hook  # type: ignore[misc]
    return sensor


@pytest.mark.parametrize(
    ("status", "kwargs", "done"),
    [
        ("Scheduled", {}, True),
        ("Pending", {}, False),
        ("Stopped", {}, False),
        ("Stopped", {"target_statuses": ("Stopped",)}, True),
        ("Scheduled", {"target_statuses": "Stopped"}, False),
    ],
)
def test_poke_is_done_on_a_target_status(status: str, kwargs: dict[str, Any], done: bool) -> None:
    sensor = make_sensor(status, **kwargs)
    assert sensor.poke({}) is done
    sensor.hook.describe_schedule.assert_called_once_with("churn-dq")


def test_failure_status_fails_with_the_reason() -> None:
    sensor = make_sensor("Failed", "Endpoint churn does not exist")
    with pytest.raises(AirflowFailException, match="churn-dq is Failed: Endpoint churn does not exist"):
        sensor.poke({})


def test_failure_without_reason_says_so() -> None:
    with pytest.raises(AirflowFailException, match="no FailureReason given"):
        make_sensor("Failed").poke({})


def test_soft_fail_skips_and_keeps_the_message() -> None:
    sensor = make_sensor("Stopped", failure_statuses=("Failed", "Stopped"), soft_fail=True)
    with pytest.raises(AirflowSkipException, match="churn-dq is Stopped"):
        sensor.poke({})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target_statuses": ("Running",)}, "not ScheduleStatus values"),
        ({"failure_statuses": ("Broken",)}, "not ScheduleStatus values"),
        ({"target_statuses": ("Stopped",), "failure_statuses": ("Stopped",)}, "both a target and a failure"),
    ],
)
def test_bad_statuses_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_sensor("Scheduled", **kwargs)


def test_template_fields() -> None:
    assert set(make_sensor("Scheduled").template_fields) == {
        "aws_conn_id",
        "region_name",
        "verify",
        "monitoring_schedule_name",
    }


def test_pokes_follow_a_real_schedule_from_pending_to_scheduled_to_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalModelMonitor(pending_seconds=2) as service:
        monkeypatch.setenv("AIRFLOW_CONN_MM_SENSOR", service.airflow_connection_uri())
        service.set_clock(T0)
        endpoint(service.client("sagemaker"), "ep")
        hook = SageMakerModelMonitorHook(aws_conn_id="mm_sensor", check_interval=0.2)
        scheduled, stopped = (
            SageMakerMonitoringScheduleSensor(
                task_id=status.lower(),
                monitoring_schedule_name="churn-dq",
                target_statuses=(status,),
                aws_conn_id="mm_sensor",
            )
            for status in ("Scheduled", "Stopped")
        )
        for client_owner in (hook, scheduled.hook, stopped.hook):
            assert client_owner.conn is not None  # build the clients before the clock starts ticking
        definition = job_definition("DataQuality", "unused")
        del definition["JobDefinitionName"]

        hook.create_or_update_schedule("churn-dq", "DataQuality", definition, HOURLY, wait=False)
        assert scheduled.poke({}) is False  # Pending for 2 s after the create
        hook.wait_for_schedule("churn-dq")
        assert scheduled.poke({}) is True
        hook.stop_schedule("churn-dq", wait=False)
        assert stopped.poke({}) is False  # Pending again while stopping
        hook.wait_for_schedule("churn-dq")
        assert (stopped.poke({}), scheduled.poke({})) == (True, False)
