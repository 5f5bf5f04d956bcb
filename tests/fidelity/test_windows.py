"""Fidelity: analysis windows of recurring and one-time schedules, and slots that are never skipped."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.job_definitions import schedule_request
from airflow_mm_provider.monitoring.windows import ANALYSIS_TIMES_LENGTH, WINDOW_ORDER
from airflow_mm_provider.operators.schedule import SageMakerOneTimeMonitoringOperator
from tests.support.engine import FakeEngine
from tests.support.service import (
    BUCKET,
    HOURLY,
    capture_line,
    create_definition,
    endpoint,
    error_code,
    error_message,
    job_definition,
    schedule_config,
)

UTC = timezone.utc
HOUR = timedelta(hours=1)
DAY0 = datetime(2024, 3, 1, tzinfo=UTC)
START_FIELD = "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime"


@pytest.fixture
def service() -> Iterator[LocalModelMonitor]:
    """mm-local with the real analysis engine, no Pending delay and manual slot runs, plus a bucket."""
    with LocalModelMonitor(pending_seconds=0) as local:
        local.client("s3").create_bucket(Bucket=BUCKET)
        yield local


def put_records(service: LocalModelMonitor, times: list[datetime]) -> None:
    """One captured record inferred at each of ``times``, in the hour folder it was captured in."""
    s3 = service.client("s3")
    for n, moment in enumerate(times):
        hour = moment.replace(minute=0, second=0, microsecond=0)
        line = capture_line(int((moment - hour).total_seconds() // 60), hour)
        key = f"capture/ep/AllTraffic/{hour:%Y/%m/%d/%H}/{moment:%M-%S}-{n:03d}-x.jsonl"
        s3.put_object(Bucket=BUCKET, Key=key, Body=line.encode())


def analysed(service: LocalModelMonitor, execution: dict[str, Any]) -> tuple[dict[str, str], int]:
    """(processing-job Environment, analysed record count) of a finished data-quality execution."""
    sm, s3 = service.client("sagemaker"), service.client("s3")
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/", 1)[1])
    report = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    bucket, prefix = report[len("s3://") :].split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}/statistics.json")["Body"].read()
    return job["Environment"], json.loads(body)["dataset"]["item_count"]


def data_quality_setup(service: LocalModelMonitor, now: datetime) -> Any:
    """Clock at ``now``, endpoint ``ep`` capturing to the bucket and job definition ``jd``; a client."""
    sm = service.client("sagemaker")
    service.set_clock(now)
    endpoint(sm)
    create_definition(sm, "DataQuality", "jd")
    return sm


def test_recurring_schedule_analyses_its_three_hour_window(service: LocalModelMonitor) -> None:
    """An hourly schedule with DataAnalysisStartTime -PT3H / DataAnalysisEndTime -PT0H analyses the three
    hours before each run. Source: botocore's ScheduleConfig.DataAnalysisStartTime documentation ("Express
    this time as an offset to the times that you schedule your monitoring jobs to run ... monitor the five
    hours of data ... that precede the start of each monitoring job: -PT5H")."""
    sm = data_quality_setup(service, DAY0 + 9 * HOUR + timedelta(minutes=5))
    put_records(service, [DAY0 + timedelta(hours=h, minutes=30) for h in (8, 9, 10, 11)])
    config = schedule_config(
        "jd", "DataQuality", HOURLY, DataAnalysisStartTime="-PT3H", DataAnalysisEndTime="-PT0H"
    )
    sm.create_monitoring_schedule(MonitoringScheduleName="sched", MonitoringScheduleConfig=config)
    service.run_due(DAY0 + 12 * HOUR + timedelta(minutes=5))
    listed = sm.list_monitoring_executions(MonitoringScheduleName="sched")["MonitoringExecutionSummaries"]
    execution = next(e for e in listed if e["ScheduledTime"] == DAY0 + 12 * HOUR)
    assert execution["MonitoringExecutionStatus"] == "Completed"
    environment, count = analysed(service, execution)
    assert (environment["start_time"], environment["end_time"]) == (
        "2024-03-01T09:00:00Z",
        "2024-03-01T12:00:00Z",
    )
    assert count == 3


@pytest.mark.parametrize(
    ("start", "end", "broken"),
    [("-PT0H", "-PT3H", WINDOW_ORDER), ("-PT25H", "-PT0H", ANALYSIS_TIMES_LENGTH)],
)
def test_inverted_or_over_a_day_analysis_times_refused_at_parse_time(
    start: str, end: str, broken: Any
) -> None:
    """A recurring schedule's analysis times must start before they end and span at most 24 hours. Source:
    botocore's ScheduleConfig.DataAnalysisStartTime documentation ("The start time that you specify must not
    precede the end time that you specify by more than 24 hours"), which applies to every scheduled run."""
    with pytest.raises(MonitoringValidationError) as error:
        schedule_request("sched", "DataQuality", "jd", HOURLY, start, end)
    assert (error.value.field, error.value.rule) == (START_FIELD, broken)


@pytest.mark.parametrize(
    ("start", "end", "rule_id"),
    [("-PT0H", "-PT3H", WINDOW_ORDER.id), ("-PT25H", "-PT0H", ANALYSIS_TIMES_LENGTH.id)],
)
def test_inverted_or_over_a_day_analysis_times_refused_by_mm_local(
    service: LocalModelMonitor, start: str, end: str, rule_id: str
) -> None:
    """mm-local refuses the same analysis times with a ValidationException naming the field. Source:
    botocore's ScheduleConfig.DataAnalysisStartTime documentation (24-hour limit between start and end)."""
    sm = data_quality_setup(service, DAY0)
    config = schedule_config(
        "jd", "DataQuality", HOURLY, DataAnalysisStartTime=start, DataAnalysisEndTime=end
    )
    with pytest.raises(ClientError) as error:
        sm.create_monitoring_schedule(MonitoringScheduleName="sched", MonitoringScheduleConfig=config)
    assert error_code(error) == "ValidationException"
    assert START_FIELD in error_message(error) and rule_id in error_message(error)


def test_now_window_is_relative_to_the_moment_of_creation(service: LocalModelMonitor) -> None:
    """A NOW schedule created at 10:40 with -PT1H / -PT0H analyses 09:40-10:40, so a record captured at
    10:30 is in and one at 09:30 is out. Source: the developer guide's "Schedule monitoring jobs" page
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-scheduling.html): the analysis times are
    "offsets that are relative to the current time" and "-PT1H and -PT0H define a window between one hour in
    the past and the current time"."""
    created_at = DAY0 + timedelta(hours=10, minutes=40)
    sm = data_quality_setup(service, created_at)
    config = schedule_config(
        "jd", "DataQuality", "NOW", DataAnalysisStartTime="-PT1H", DataAnalysisEndTime="-PT0H"
    )
    sm.create_monitoring_schedule(MonitoringScheduleName="once", MonitoringScheduleConfig=config)
    put_records(service, [created_at - timedelta(minutes=m) for m in (70, 50, 10)])
    service.run_due(created_at + timedelta(minutes=10))
    (execution,) = sm.list_monitoring_executions(MonitoringScheduleName="once")[
        "MonitoringExecutionSummaries"
    ]
    assert execution["MonitoringExecutionStatus"] == "Completed"
    environment, count = analysed(service, execution)
    assert (environment["start_time"], environment["end_time"]) == (
        "2024-03-01T09:40:00Z",
        "2024-03-01T10:40:00Z",
    )
    assert count == 2


def test_one_time_operator_window_equals_the_service_window(
    mm_local: LocalModelMonitor, mm_local_connection: str
) -> None:
    """SageMakerOneTimeMonitoringOperator reports the window the service analyses: its analysis times taken
    from the schedule's creation. Source: the developer guide's "Schedule monitoring jobs" page
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-scheduling.html), NOW analysis times are
    relative to the current time."""
    mm_local.client("s3").create_bucket(Bucket=BUCKET)
    endpoint(mm_local.client("sagemaker"))
    now = datetime.now(UTC).replace(microsecond=0)
    definition = job_definition("DataQuality", "unused")
    del definition["JobDefinitionName"]
    operator = SageMakerOneTimeMonitoringOperator(
        task_id="check",
        aws_conn_id=mm_local_connection,
        monitoring_type="DataQuality",
        monitoring_schedule_name="adhoc",
        job_definition=definition,
        window_start=now - timedelta(minutes=95),
        window_end=now - timedelta(minutes=35),
        wait_for_completion=False,
        schedule_poll_interval=0.05,
    )
    result = operator.execute({})
    (execution,) = mm_local.run_due(datetime.now(UTC) + timedelta(minutes=1))
    summary = mm_local.client("sagemaker").list_monitoring_executions(MonitoringScheduleName="adhoc")
    job_arn = summary["MonitoringExecutionSummaries"][0]["ProcessingJobArn"]
    job = mm_local.client("sagemaker").describe_processing_job(ProcessingJobName=job_arn.split("/", 1)[1])
    as_api = [
        datetime.fromisoformat(result[key]).strftime("%Y-%m-%dT%H:%M:%SZ")
        for key in ("analysis_window_start", "analysis_window_end")
    ]
    assert execution["MonitoringScheduleName"] == "adhoc"
    assert as_api == [job["Environment"]["start_time"], job["Environment"]["end_time"]]


def test_slots_after_an_unobserved_pending_period_still_run() -> None:
    """Schedules created at 10:05 that nobody describes after their Pending period still run the 11:00 and
    12:00 slots when time reaches 12:00:30. Source: the developer guide's "Interpret results" page
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html): an hourly
    schedule kicks off executions on the hour (plus a 0-20 minute buffer); botocore's
    ScheduleConfig.ScheduleExpression documentation (hourly: every hour)."""
    with LocalModelMonitor(pending_seconds=0.2, engine=FakeEngine()) as local:
        sm = data_quality_setup(local, DAY0 + timedelta(hours=10, minutes=5))
        for name in ("first", "second"):
            sm.create_monitoring_schedule(
                MonitoringScheduleName=name, MonitoringScheduleConfig=schedule_config("jd", "DataQuality")
            )
        time.sleep(0.3)
        created = local.run_due(DAY0 + timedelta(hours=12, seconds=30))
    assert sorted((e["MonitoringScheduleName"], e["ScheduledTime"]) for e in created) == [
        (name, (DAY0 + h * HOUR).isoformat()) for name in ("first", "second") for h in (11, 12)
    ]


TRANSITIONS = {"Scheduled": ("update", "stop"), "Stopped": ("update", "start")}


def timeline(rng: random.Random, day: datetime) -> tuple[list[tuple[datetime, str]], datetime]:
    """A create and four random changes at random off-the-hour times of ``day``, and the final time."""
    moment, state, events = day + timedelta(minutes=rng.randint(1, 59)), "Scheduled", []
    events.append((moment, "create"))
    for _ in range(4):
        moment += timedelta(hours=rng.randint(0, 3), minutes=rng.randint(1, 59))
        moment += timedelta(minutes=1) if moment.minute == 0 else timedelta(0)
        action = rng.choice(TRANSITIONS[state])
        state = {"stop": "Stopped", "start": "Scheduled"}.get(action, state)
        events.append((moment, action))
    return events, moment + timedelta(hours=2, minutes=30)


def expected_slots(events: list[tuple[datetime, str]], end: datetime) -> list[datetime]:
    """Hourly slots reached while the schedule was Scheduled: after a change to Scheduled, up to the next
    change (slots reached before an update or stop still run)."""
    slots, scheduled_since = [], None
    for (moment, action), (following, _) in zip(events, [*events[1:], (end, "end")], strict=True):
        if action in ("create", "start") or (action == "update" and scheduled_since is not None):
            scheduled_since = moment
        elif action == "stop":
            scheduled_since = None
        if scheduled_since is not None:
            slot = moment.replace(minute=0, second=0) + HOUR
            while slot <= following:
                slots.append(slot)
                slot += HOUR
    return slots


def look(local: LocalModelMonitor, name: str, rng: random.Random, until: datetime) -> None:
    """One random observation: run-due to ``until``, a describe or a list."""
    sm = local.client("sagemaker")
    kind = rng.choice(("run-due", "describe", "list"))
    if kind == "run-due":
        local.run_due(until)
    elif kind == "describe":
        sm.describe_monitoring_schedule(MonitoringScheduleName=name)
    else:
        sm.list_monitoring_schedules()


def replay(
    local: LocalModelMonitor,
    name: str,
    events: list[tuple[datetime, str]],
    end: datetime,
    rng: random.Random | None = None,
) -> list[datetime]:
    """Apply ``events`` to schedule ``name``; with ``rng``, interleave random describes, lists, run-dues."""
    sm = local.client("sagemaker")
    calls = {
        "create": lambda: sm.create_monitoring_schedule(
            MonitoringScheduleName=name, MonitoringScheduleConfig=schedule_config("jd", "DataQuality")
        ),
        "update": lambda: sm.update_monitoring_schedule(
            MonitoringScheduleName=name, MonitoringScheduleConfig=schedule_config("jd", "DataQuality")
        ),
        "stop": lambda: sm.stop_monitoring_schedule(MonitoringScheduleName=name),
        "start": lambda: sm.start_monitoring_schedule(MonitoringScheduleName=name),
    }
    for (moment, action), (following, _) in zip(events, [*events[1:], (end, "end")], strict=True):
        local.set_clock(moment)
        calls[action]()
        time.sleep(0.06)
        if rng is not None:
            gap = (following - moment).total_seconds()
            times = sorted(
                moment + timedelta(seconds=rng.uniform(1, gap - 1)) for _ in range(rng.randint(0, 3))
            )
            for until in times:
                look(local, name, rng, until)
    local.run_due(end)
    listed = sm.list_monitoring_executions(MonitoringScheduleName=name, SortOrder="Ascending", MaxResults=100)
    sm.delete_monitoring_schedule(MonitoringScheduleName=name)
    return [e["ScheduledTime"] for e in listed["MonitoringExecutionSummaries"]]


def test_no_slot_is_skipped_whatever_the_order_of_calls() -> None:
    """Whichever describes, lists and run-dues happen between changes, a schedule runs exactly the hourly
    slots it reached while Scheduled. Source: botocore's ScheduleConfig.ScheduleExpression documentation
    (hourly: every hour, 0-20 minutes after the requested time); when the real service notices a finished
    Pending period is not public, so this pins mm-local's own rule: slot bookkeeping never depends on who
    called what."""
    with LocalModelMonitor(pending_seconds=0.05, engine=FakeEngine()) as local:
        data_quality_setup(local, DAY0)
        for trial in range(4):
            rng = random.Random(trial)
            events, end = timeline(rng, DAY0 + timedelta(days=trial + 1))
            quiet = replay(local, f"quiet-{trial}", events, end)
            busy = replay(local, f"busy-{trial}", events, end, rng)
            assert quiet == busy == expected_slots(events, end), events
