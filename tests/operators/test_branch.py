"""SageMakerMonitoringViolationBranchOperator: the decision, XCom, asset events and branching in a DAG run."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import (
    DAG,
    AirflowException,
    AirflowFailException,
    Asset,
    AssetAlias,
    BaseBranchOperator,
)
from airflow.providers.common.compat.standard.operators import PythonOperator

from airflow_mm_provider.hooks.model_monitor import (
    MalformedReportError,
    ReportFileNotFoundError,
    SageMakerModelMonitorHook,
)
from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringReportLink,
    SageMakerProcessingJobLink,
)
from airflow_mm_provider.monitoring.metrics import METRICS_XCOM_KEY, ExecutionMetrics, metric_records
from airflow_mm_provider.monitoring.outcomes import execution_xcom
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.types import MONITORING_TYPES
from airflow_mm_provider.monitoring.violations import Violation, ViolationReport
from airflow_mm_provider.operators.branch import (
    DEFAULT_ASSET_ALIAS,
    FAILURE_KEY,
    VIOLATION_REPORT_KEY,
    SageMakerMonitoringViolationBranchOperator,
    asset_uri,
)
from tests.support.dags import register_dag
from tests.support.executions import execution_files
from tests.support.recorded import forget_recorded_metrics

try:
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.empty import EmptyOperator

REGION = "us-east-1"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SCHEDULE = "churn-quality"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:processing-job/model-monitoring-202405011100-abc"
REPORT_URI = "s3://bucket/reports/churn-quality/2024/05/01/10"
VIOLATIONS_URI = f"{REPORT_URI}/constraint_violations.json"
JOB_LINK = (
    "https://console.aws.amazon.com/sagemaker/home?region=us-east-1"
    "#/processing-jobs/model-monitoring-202405011100-abc"
)
REPORT_LINK = (
    "https://console.aws.amazon.com/s3/buckets/bucket?region=us-east-1"
    "&prefix=reports%2Fchurn-quality%2F2024%2F05%2F01%2F10%2F"
)
LINK_KEYS = {SageMakerProcessingJobLink.key, SageMakerMonitoringReportLink.key}
INTERVAL = (datetime(2024, 5, 1, 10, tzinfo=timezone.utc), datetime(2024, 5, 1, 11, tzinfo=timezone.utc))


def summary(status: str, **extra: Any) -> dict[str, Any]:
    """A JSON-safe, API-shaped execution summary (the execution sensor pushes its ``execution_xcom``)."""
    return {
        "MonitoringScheduleName": SCHEDULE,
        "ScheduledTime": "2024-05-01T10:00:00+00:00",
        "CreationTime": "2024-05-01T10:00:05+00:00",
        "LastModifiedTime": "2024-05-01T10:12:00+00:00",
        "MonitoringExecutionStatus": status,
        "ProcessingJobArn": ARN,
        "MonitoringType": "DataQuality",
        **extra,
    }


def dq(feature: str, check: str = "baseline_drift_check") -> Violation:
    return Violation.create("DataQuality", check, f"{feature} drifted", feature_name=feature)


REPORT = ViolationReport("DataQuality", (dq("age"), dq("age", "data_type_check"), dq("income")))


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> mock.MagicMock:
    """A fake hook on every branch operator: reads REPORT (and no metric documents), explains failures, finds
    executions, and has an AWS connection for links."""
    fake = mock.MagicMock(spec=SageMakerModelMonitorHook)
    fake.read_violations.return_value = REPORT
    fake.read_metric_documents.return_value = {}
    fake.execution_report_uri.return_value = REPORT_URI
    fake.schedule_expression.return_value = ScheduleExpression.hourly()
    fake.describe_failure.return_value = "The execution ended Failed.\nJob inputs had no data"
    fake.processing_job_name.side_effect = SageMakerModelMonitorHook.processing_job_name
    for aws_hook, service in ((fake, "api.sagemaker"), (fake.s3_hook, "s3")):
        aws_hook.conn_region_name, aws_hook.conn_partition = REGION, "aws"
        aws_hook.conn_client_meta.endpoint_url = f"https://{service}.{REGION}.amazonaws.com"
    monkeypatch.setattr(SageMakerMonitoringViolationBranchOperator, "hook", fake)
    return fake


def branch(**kwargs: Any) -> SageMakerMonitoringViolationBranchOperator:
    kwargs.setdefault("monitoring_type", "DataQuality")
    kwargs.setdefault("on_completed", "ok")
    kwargs.setdefault("on_violations", "retrain")
    kwargs.setdefault("on_failed", "page")
    if "monitoring_schedule_name" not in kwargs:
        kwargs.setdefault("execution", summary("CompletedWithViolations"))
    return SageMakerMonitoringViolationBranchOperator(task_id="decide", aws_conn_id=None, **kwargs)


class Events:
    """``outlet_events`` stand-in: one accessor per outlet, recording ``add`` calls.

    Outlets are told apart by kind and name, as Airflow does: an asset alias is not hashable on Airflow 3.1.
    """

    def __init__(self) -> None:
        self.accessors: dict[tuple[str, str], mock.MagicMock] = {}

    def __getitem__(self, outlet: Any) -> mock.MagicMock:
        return self.accessors.setdefault((type(outlet).__name__, outlet.name), mock.MagicMock())

    def get(self, outlet: Any) -> mock.MagicMock | None:
        """The accessor of ``outlet``, if the task used it."""
        return self.accessors.get((type(outlet).__name__, outlet.name))


def context(**extra: Any) -> dict[str, Any]:
    return {
        "ti": mock.MagicMock(),
        "outlet_events": Events(),
        "data_interval_start": INTERVAL[0],
        "data_interval_end": INTERVAL[1],
        **extra,
    }


def pushed(ctx: dict[str, Any], links: bool = False) -> dict[str, Any]:
    """What the task pushed to XCom, by key; without the link keys unless ``links``."""
    values = {call.kwargs["key"]: call.kwargs["value"] for call in ctx["ti"].xcom_push.call_args_list}
    return values if links else {key: value for key, value in values.items() if key not in LINK_KEYS}


def recorded(ctx: dict[str, Any]) -> ExecutionMetrics:
    """The metrics document the task pushed, read back as the Model Monitor view reads it."""
    document = pushed(ctx)[METRICS_XCOM_KEY]
    assert json.loads(json.dumps(document, allow_nan=False)) == document  # strict JSON
    return ExecutionMetrics.from_json(document)


def emitted(ctx: dict[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    accessor = ctx["outlet_events"].get(AssetAlias(DEFAULT_ASSET_ALIAS))
    return [] if accessor is None else [(c.args[0], c.kwargs["extra"]) for c in accessor.add.call_args_list]


def logged(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> str:
    """Everything the task logged (Airflow 2 logs through logging, Airflow 3 through structlog to stdout)."""
    out = capsys.readouterr()
    return caplog.text + out.out + out.err


# ---- the decision ------------------------------------------------------------------------------------------


def test_violations_follow_on_violations_push_the_summary_and_log_the_table(hook, caplog, capsys):
    ctx = context()
    with caplog.at_level(logging.INFO):
        assert branch().choose_branch(ctx) == "retrain"
    hook.read_violations.assert_called_once_with(summary("CompletedWithViolations"), "DataQuality")
    assert pushed(ctx)[VIOLATION_REPORT_KEY] == REPORT.summary()
    assert set(pushed(ctx)) == {VIOLATION_REPORT_KEY, METRICS_XCOM_KEY}
    assert REPORT.to_table() in logged(caplog, capsys)
    assert emitted(ctx) == []


def test_completed_follows_on_completed_even_if_the_report_lists_violations(hook):
    ctx = context()
    assert branch(execution=summary("Completed"), on_completed=["ok", "report"]).choose_branch(ctx) == [
        "ok",
        "report",
    ]
    assert pushed(ctx)[VIOLATION_REPORT_KEY]["count"] == 3


@pytest.mark.parametrize("status", ["CompletedWithViolations", "Completed"])
@pytest.mark.parametrize(
    "error",
    [
        MalformedReportError(VIOLATIONS_URI, "violations must be a non-empty list (got None)"),
        ReportFileNotFoundError(VIOLATIONS_URI, "the execution status is CompletedWithViolations"),
    ],
)
def test_unusable_violations_report_fails_the_task_naming_the_uri(hook, status, error):
    hook.read_violations.side_effect = error
    ctx = context()
    with pytest.raises(AirflowFailException) as info:
        branch(execution=summary(status), emit_asset=True).choose_branch(ctx)
    assert str(info.value).startswith(f"The monitoring execution of {SCHEDULE} scheduled at 2024-05-01T10:00")
    assert f"ended {status}, but its violations report cannot be used" in str(info.value)
    assert f"{VIOLATIONS_URI} " in str(info.value)
    assert pushed(ctx) == {} and emitted(ctx) == []


def test_violations_that_do_not_pass_the_filter_follow_on_completed(hook):
    ctx = context()
    op = branch(subjects=["income"], check_types="data_type_check", emit_asset=True)
    assert op.choose_branch(ctx) == "ok"
    assert emitted(ctx) == []
    assert pushed(ctx)[VIOLATION_REPORT_KEY]["count"] == 3


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"subjects": "age"}, "retrain"),
        ({"subjects": "age", "min_count": 3}, "ok"),
        ({"check_types": ["baseline_drift_check"], "min_count": 2}, "retrain"),
        ({"labels": "label0"}, "ok"),
    ],
)
def test_filter_and_min_count(hook, criteria, expected):
    assert branch(**criteria).choose_branch(context()) == expected


def test_failed_execution_follows_on_failed_with_the_failure_in_xcom(hook, caplog, capsys):
    ctx = context()
    failed = summary("Failed", FailureReason="Job inputs had no data")
    assert branch(execution=failed).choose_branch(ctx) == "page"
    hook.describe_failure.assert_called_once_with(failed)
    hook.read_violations.assert_not_called()
    assert pushed(ctx)[FAILURE_KEY] == hook.describe_failure.return_value
    assert "Job inputs had no data" in logged(caplog, capsys)
    document = recorded(ctx)
    assert (document.status, document.failure_reason, document.metrics) == (
        "Failed",
        "Job inputs had no data",
        (),
    )
    assert (document.report_uri, document.links) == (None, {SageMakerProcessingJobLink.name: JOB_LINK})
    hook.read_metric_documents.assert_not_called()


def test_stopped_without_on_failed_fails_the_task_with_the_reason_after_recording_it(hook):
    ctx = context()
    with pytest.raises(AirflowFailException, match="Job inputs had no data"):
        branch(execution=summary("Stopped"), on_failed=None).choose_branch(ctx)
    assert recorded(ctx).status == "Stopped"


@pytest.mark.parametrize("status", ["InProgress", "Pending", "Stopping"])
def test_running_execution_is_an_error(hook, status):
    with pytest.raises(AirflowException, match=f"is {status} and has not ended") as info:
        branch(execution=summary(status)).choose_branch(context())
    assert not isinstance(info.value, AirflowFailException)  # retried: the execution may still end


@pytest.mark.parametrize("status", ["Weird", "completed", None])
def test_unknown_status_fails_the_task_naming_it(hook, status):
    with pytest.raises(AirflowFailException, match=f"has the unknown status {status!r}; a Monitoring"):
        branch(execution=summary(status)).choose_branch(context())
    hook.read_violations.assert_not_called()


# ---- the recorded metrics ----------------------------------------------------------------------------------


def _judged(record: Any) -> bool:
    """Whether a record has a measured value and a bound to judge it by."""
    finite = record.value is not None and math.isfinite(record.value)
    return finite and (record.threshold is not None or record.allowed_range is not None)


@pytest.mark.parametrize("violating", [False, True], ids=["clean", "violating"])
@pytest.mark.parametrize("monitoring_type", sorted(MONITORING_TYPES))
def test_every_completed_execution_records_its_metrics(hook, monitoring_type, violating):
    violations, documents = execution_files(monitoring_type, violating)
    report = ViolationReport.from_json(monitoring_type, violations or {"violations": []})
    status = "CompletedWithViolations" if violating else "Completed"
    execution = summary(status, MonitoringType=monitoring_type)
    hook.read_violations.return_value = report
    hook.read_metric_documents.return_value = {name: json.dumps(doc) for name, doc in documents.items()}
    ctx = context()

    chosen = branch(monitoring_type=monitoring_type, execution=execution).choose_branch(ctx)

    assert chosen == ("retrain" if violating else "ok")
    hook.read_metric_documents.assert_called_once_with(execution, monitoring_type, REPORT_URI)
    document = recorded(ctx)
    assert (document.monitor, document.monitoring_type, document.status) == (
        SCHEDULE,
        monitoring_type,
        status,
    )
    assert (document.scheduled_time, document.report_uri) == ("2024-05-01T10:00:00+00:00", REPORT_URI)
    assert document.processing_job_arn == ARN and document.violations == report.violations
    # every metric the report and baseline hold, with its bound and the violations file's verdict
    expected = metric_records(monitoring_type, report, **documents)
    assert [r.to_json() for r in document.metrics] == [r.to_json() for r in expected]
    assert any(_judged(r) for r in document.metrics)
    assert any(r.violated for r in document.metrics) is violating
    assert document.links == {
        SageMakerProcessingJobLink.name: JOB_LINK,
        SageMakerMonitoringReportLink.name: REPORT_LINK,
    }
    assert pushed(ctx, links=True)[SageMakerMonitoringReportLink.key]["bucket"] == "bucket"


def test_recorded_values_keep_full_precision_while_the_log_rounds_them(hook, caplog, capsys):
    description = (
        "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement 0.28176563733194276"
    )
    violation = Violation.create(
        "ModelBias", "bias_drift_check", description, facet="group", facet_value="0", metric_name="DI"
    )
    hook.read_violations.return_value = ViolationReport("ModelBias", (violation,))
    ctx = context()
    with caplog.at_level(logging.INFO):
        branch(monitoring_type="ModelBias").choose_branch(ctx)
    log = logged(caplog, capsys)
    assert "Metric value 0.3749 doesn't meet the baseline constraint requirement 0.2818" in log
    assert "0.28176563733194276" not in log
    assert pushed(ctx)[VIOLATION_REPORT_KEY]["violations"][0]["description"] == description
    assert recorded(ctx).violations[0].description == description


@pytest.mark.parametrize("failing", ["read_metric_documents", "execution_report_uri"])
def test_a_recording_failure_never_changes_the_branch(hook, caplog, capsys, failing):
    getattr(hook, failing).side_effect = RuntimeError("S3 is down")
    events = []
    for execution, followed in (
        (summary("CompletedWithViolations"), "retrain"),
        (summary("Completed"), "ok"),
    ):
        ctx = context()
        with caplog.at_level(logging.WARNING):
            assert branch(execution=execution, emit_asset=True).choose_branch(ctx) == followed
        assert METRICS_XCOM_KEY not in pushed(ctx)
        assert "Could not record the metrics" in logged(caplog, capsys)
        events += emitted(ctx)
    ((_, extra),) = events  # the violating execution's event still goes out, without the document
    assert extra["violation_count"] == 3 and "metrics" not in extra


# ---- the execution -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [repr, json.dumps])
def test_execution_rendered_from_an_xcom_template_is_read_back(hook, render):
    op = branch(execution="{{ ti.xcom_pull('wait') }}")
    op.execution = render(summary("Completed"))
    assert op.choose_branch(context()) == "ok"
    hook.read_violations.assert_called_once_with(summary("Completed"), "DataQuality")


def test_execution_given_as_the_sensors_snake_case_xcom_is_read_as_the_summary(hook):
    op = branch(execution=execution_xcom(summary("CompletedWithViolations")))
    assert op.choose_branch(context()) == "retrain"
    hook.read_violations.assert_called_once_with(summary("CompletedWithViolations"), "DataQuality")


@pytest.mark.parametrize(
    "value", ["{{ nothing }}", "[1, 2]", "None", None, {"ScheduledTime": "x"}, {"scheduled_time": "x"}]
)
def test_execution_that_is_not_a_summary_fails(hook, value):
    op = branch()
    op.execution = value
    with pytest.raises(ValueError, match="^execution"):
        op.choose_branch(context())
    hook.find_execution.assert_not_called()


def test_data_interval_finds_the_execution_that_analysed_the_interval(hook):
    found = summary("CompletedWithViolations")
    found["ScheduledTime"] = INTERVAL[1]
    hook.find_execution.return_value = found
    op = branch(monitoring_schedule_name=SCHEDULE)
    assert op.choose_branch(context()) == "retrain"
    hook.find_execution.assert_called_once_with(
        SCHEDULE, scheduled_after=INTERVAL[1], scheduled_before=INTERVAL[1] + timedelta(hours=1)
    )
    (read, monitoring_type), _ = hook.read_violations.call_args
    assert (read["ScheduledTime"], monitoring_type) == (INTERVAL[1].isoformat(), "DataQuality")


def test_latest_mode_takes_the_newest_execution(hook):
    hook.find_execution.return_value = summary("Completed")
    assert branch(monitoring_schedule_name=SCHEDULE, wait_for="latest").choose_branch(context()) == "ok"
    hook.find_execution.assert_called_once_with(SCHEDULE, scheduled_after=None, scheduled_before=None)


def test_no_execution_found_is_an_error(hook):
    hook.find_execution.return_value = None
    with pytest.raises(AirflowException, match=f"No monitoring execution of {SCHEDULE} found"):
        branch(monitoring_schedule_name=SCHEDULE).choose_branch(context())


def test_data_interval_mode_needs_a_data_interval(hook):
    with pytest.raises(ValueError, match="no data interval"):
        branch(monitoring_schedule_name=SCHEDULE).choose_branch(context(data_interval_start=None))


# ---- asset events ------------------------------------------------------------------------------------------


def test_emit_asset_declares_an_alias_outlet_and_keeps_other_outlets():
    extra = Asset("s3://bucket/other")
    op = branch(emit_asset=True, outlets=[extra])
    assert op.outlets == [extra, AssetAlias(DEFAULT_ASSET_ALIAS)]
    assert branch(emit_asset=True, asset_alias="mine").outlets == [AssetAlias("mine")]
    assert branch().outlets == []


def test_counted_violations_emit_an_event_for_the_schedule_with_the_summary(hook):
    ctx = context()
    op = branch(emit_asset=True, subjects="age")
    assert op.choose_branch(ctx) == "retrain"
    ((asset, extra),) = emitted(ctx)
    assert asset == Asset(asset_uri(REGION, SCHEDULE))
    assert asset.uri == "sagemaker-model-monitor://us-east-1/churn-quality"
    assert {key: value for key, value in extra.items() if key not in ("violation_summary", "metrics")} == {
        "monitoring_schedule_name": SCHEDULE,
        "scheduled_time": "2024-05-01T10:00:00+00:00",
        "execution_status": "CompletedWithViolations",
        "monitoring_type": "DataQuality",
        "violation_count": 2,
    }
    assert extra["violation_summary"] == REPORT.filter(op.violation_filter).summary()
    assert extra["violation_summary"]["by_subject"] == {"age": 2}
    assert extra["metrics"] == pushed(ctx)[METRICS_XCOM_KEY]  # the recorded document, all violations
    assert extra["metrics"]["violation_count"] == 3
    # proper JSON objects, not JSON text; and Airflow 2 can put the extra's values in a set
    assert json.loads(json.dumps(extra))["metrics"]["monitor"] == SCHEDULE
    assert len(frozenset(extra.items())) == len(extra)


def test_emit_asset_with_a_uri_uses_it(hook):
    ctx = context()
    branch(emit_asset="s3://models/churn/retrain").choose_branch(ctx)
    ((asset, _),) = emitted(ctx)
    assert asset == Asset("s3://models/churn/retrain")


def test_emit_asset_refuses_an_execution_without_a_schedule_name(hook):
    """The asset is named after the schedule: without one it would end in ``/None``."""
    execution = summary("CompletedWithViolations")
    del execution["MonitoringScheduleName"]
    ctx = context()
    with pytest.raises(ValueError, match="emit_asset=True names the asset after the execution's Monitoring"):
        branch(emit_asset=True, execution=execution).choose_branch(ctx)
    assert emitted(ctx) == []
    ctx = context()
    assert branch(emit_asset="s3://models/churn/retrain", execution=execution).choose_branch(ctx) == "retrain"
    assert [asset for asset, _ in emitted(ctx)] == [Asset("s3://models/churn/retrain")]


def test_no_event_when_the_execution_is_clean_or_failed(hook):
    for execution in (summary("Completed"), summary("Failed")):
        ctx = context()
        branch(emit_asset=True, execution=execution).choose_branch(ctx)
        assert emitted(ctx) == []


@pytest.mark.parametrize(
    ("execution", "kwargs", "followed"),
    [
        (summary("Completed"), {}, "ok"),
        (summary("CompletedWithViolations"), {"subjects": "nobody"}, "ok"),  # violations that do not count
        (summary("CompletedWithViolations"), {}, "retrain"),
    ],
)
def test_completed_asset_events_go_out_for_every_completed_execution(hook, execution, kwargs, followed):
    ctx = context()
    op = branch(emit_asset=True, asset_events="completed", execution=execution, **kwargs)
    assert op.choose_branch(ctx) == followed
    ((asset, extra),) = emitted(ctx)
    assert asset == Asset(asset_uri(REGION, SCHEDULE))
    assert extra["execution_status"] == execution["MonitoringExecutionStatus"]
    assert extra["violation_count"] == (3 if followed == "retrain" else 0)
    assert extra["violation_summary"]["count"] == extra["violation_count"]
    assert extra["metrics"] == pushed(ctx)[METRICS_XCOM_KEY]
    assert extra["metrics"]["violation_count"] == REPORT.count


def test_completed_asset_events_skip_failed_executions(hook):
    ctx = context()
    branch(emit_asset=True, asset_events="completed", execution=summary("Failed")).choose_branch(ctx)
    assert emitted(ctx) == []


# ---- construction ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"monitoring_schedule_name": SCHEDULE, "execution": summary("Completed")}, "exactly one of"),
        ({"execution": None}, "exactly one of"),
        ({"monitoring_schedule_name": SCHEDULE, "wait_for": "after"}, "wait_for must be one of"),
        ({"on_violations": ""}, "on_violations must be a task id"),
        ({"on_completed": ["ok", 3]}, "on_completed must be a task id"),
        ({"on_failed": {"a": 1}}, "on_failed must be a task id"),
        ({"emit_asset": 1}, "emit_asset must be"),
        ({"emit_asset": ""}, "emit_asset must be"),
        ({"asset_events": "all"}, "asset_events must be one of"),
        ({"monitoring_type": "Drift"}, "monitoring_type: must be one of"),
        ({"min_count": 0}, "min_count"),
        ({"subjects": []}, "subjects must not be empty"),
        ({"check_types": "not_a_check"}, "check_types: 'not_a_check' is not a constraint_check_type of Data"),
        (
            {"monitoring_type": "ModelQuality", "subjects": ["f2", "F1"]},
            "subjects: 'F1' is not a model-quality metric",
        ),
        (
            {"monitoring_type": "ModelBias", "subjects": "Sex=0:f2"},
            "subjects: 'Sex=0:f2' is not a bias metric",
        ),
    ],
)
def test_invalid_arguments_fail_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        branch(**kwargs)


def test_is_a_branch_operator_with_templated_fields():
    op = branch()
    assert isinstance(op, BaseBranchOperator)
    assert {"execution", "monitoring_schedule_name", "emit_asset", "aws_conn_id"} <= set(op.template_fields)


# ---- real branching: a DAG run on this Airflow version -----------------------------------------------------


def _asset_events() -> list[tuple[str, dict[str, Any]]]:
    from airflow.utils.session import create_session

    try:
        from airflow.models.asset import AssetEvent

        uri = lambda event: event.asset.uri  # noqa: E731
    except ImportError:  # Airflow 2
        from airflow.models.dataset import DatasetEvent as AssetEvent

        uri = lambda event: event.dataset.uri  # noqa: E731
    with create_session() as session:
        return [(uri(event), dict(event.extra or {})) for event in session.query(AssetEvent).all()]


@pytest.fixture
def recorded_in_db(airflow_db) -> Iterator[Callable[[str], dict[str, Any]]]:
    """What the Model Monitor view lists for a DAG; the metrics recorded by the test's DAGs are deleted
    afterwards, so tests of the view find only theirs in the shared database."""
    from airflow.utils.session import create_session

    from airflow_mm_provider.ui.store import monitor_list

    def listed(dag_id: str) -> dict[str, Any]:
        with create_session() as session:
            return monitor_list(session, [dag_id])

    yield listed
    forget_recorded_metrics("branch_")


@pytest.mark.parametrize(
    ("status", "followed", "asset_events"),
    [
        ("CompletedWithViolations", "retrain", "violations"),
        ("Completed", "ok", "violations"),
        ("Completed", "ok", "completed"),
        ("Failed", "page", "completed"),
    ],
)
def test_dag_run_follows_the_chosen_branch_and_skips_the_others(
    recorded_in_db, hook, status, followed, asset_events
):
    dag_id = f"branch_{status.lower()}_{asset_events}"
    with DAG(dag_id, schedule=None, start_date=INTERVAL[0]) as dag:
        wait = PythonOperator(task_id="wait", python_callable=lambda: execution_xcom(summary(status)))
        decide = branch(execution="{{ ti.xcom_pull('wait') }}", emit_asset=True, asset_events=asset_events)
        wait >> decide >> [EmptyOperator(task_id=task_id) for task_id in ("ok", "retrain", "page")]
    register_dag(dag)
    before = len(_asset_events())
    run = dag.test()
    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
    skipped = {"ok", "retrain", "page"} - {followed}
    assert states == {
        "wait": "success",
        "decide": "success",
        followed: "success",
        **dict.fromkeys(skipped, "skipped"),
    }
    if status != "Failed":  # the rendered XCom reached the hook as the summary dict
        hook.read_violations.assert_called_once_with(summary(status), "DataQuality")
    events = _asset_events()[before:]
    if status == "CompletedWithViolations" or (status, asset_events) == ("Completed", "completed"):
        ((uri, extra),) = events
        assert uri == asset_uri(REGION, SCHEDULE)
        count = 3 if status == "CompletedWithViolations" else 0
        assert extra["violation_count"] == extra["violation_summary"]["count"] == count
        # the stored event carries the recorded document as a JSON object, on Airflow 2 and 3 alike
        assert ExecutionMetrics.from_json(extra["metrics"]).status == status
    else:
        assert events == []
    # the view finds the execution the run recorded in the metadata database
    (monitor,) = recorded_in_db(dag_id)["monitors"]
    assert (monitor["monitor"], monitor["status"], monitor["sources"]) == (
        SCHEDULE,
        status,
        [[dag_id, "decide"]],
    )


# ---- the whole loop over HTTP against the local Model Monitor service ------------------------------------


@pytest.mark.integration
def test_ground_truth_upload_then_branch_on_real_model_quality_executions_and_emptied_reports(
    mm_local, mm_local_connection
):
    from airflow_mm_provider.local.synthetic import Degradation, hour_files, make_traffic
    from airflow_mm_provider.operators.ground_truth import SageMakerUploadGroundTruthOperator
    from tests.support.scenario import CAPTURE, GROUND_TRUTH, HOUR, HOUR0, RECORDS, Scenario
    from tests.support.service import BUCKET

    scenario = Scenario(mm_local)
    constraints = {
        "version": 0.0,
        "binary_classification_constraints": {
            "accuracy": {"threshold": 0.75, "comparison_operator": "LessThanThreshold"}
        },
    }
    scenario.sm.create_model_quality_job_definition(
        JobDefinitionName="mq-jd",
        ModelQualityBaselineConfig={
            "ConstraintsResource": {
                "S3Uri": scenario.put(f"s3://{BUCKET}/baselines/constraints.json", json.dumps(constraints))
            }
        },
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        ModelQualityJobInput={
            "EndpointInput": scenario.endpoint_input(
                ProbabilityAttribute="0", ProbabilityThresholdAttribute=0.5
            ),
            "GroundTruthS3Input": {"S3Uri": GROUND_TRUTH},
        },
        **scenario.common("ModelQuality"),
    )
    for index, (seed, degradation) in enumerate([(11, None), (12, Degradation(flip_fraction=0.3))]):
        traffic = make_traffic(RECORDS, seed, degradation)
        hour = HOUR0 + index * HOUR
        files = hour_files(traffic, hour, seed, destination=CAPTURE, endpoint="ep")
        for uri, body in files.capture.items():
            scenario.put(uri, body)
        upload = SageMakerUploadGroundTruthOperator(
            task_id=f"labels_{index}",
            aws_conn_id=mm_local_connection,
            ground_truth_s3_uri=GROUND_TRUTH,
            labels=[
                (event_id, int(label))
                for event_id, label in zip(files.inference_ids, traffic.labels, strict=True)
            ],
            upload_time=hour + timedelta(minutes=30),
        )
        written = upload.execute({"run_id": "manual__1", "ti": mock.Mock(map_index=-1)})
        assert written["count"] == RECORDS
        assert written["uri"].startswith(f"{GROUND_TRUTH}/{hour:%Y/%m/%d/%H}/")

    executions = scenario.run_two_hours("mq-schedule", "mq-jd", "ModelQuality")
    assert [e["MonitoringExecutionStatus"] for e in executions] == ["Completed", "CompletedWithViolations"]

    def decide(slot: datetime, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """Branch on the execution of the data interval [slot, slot + 1 h), reading it over HTTP."""
        op = SageMakerMonitoringViolationBranchOperator(
            task_id="decide",
            aws_conn_id=mm_local_connection,
            monitoring_type="ModelQuality",
            monitoring_schedule_name="mq-schedule",
            on_completed="ok",
            on_violations="retrain",
            emit_asset=True,
            **kwargs,
        )
        ctx = context(data_interval_start=slot - HOUR, data_interval_end=slot)
        return op.choose_branch(ctx), ctx

    def accuracy(ctx: dict[str, Any]) -> Any:
        """The recorded accuracy: the report's value against the job definition's baseline threshold."""
        return next(r for r in recorded(ctx).metrics if r.metric == "accuracy")

    chosen, ctx = decide(HOUR0 + HOUR)
    assert chosen == "ok" and emitted(ctx) == []
    assert pushed(ctx)[VIOLATION_REPORT_KEY]["count"] == 0
    clean = accuracy(ctx)
    assert (clean.threshold, clean.comparison, clean.violated) == (0.75, "LessThanThreshold", False)
    # links follow the local connection: no console link, the report link is the service's own file URL
    links = recorded(ctx).links
    assert list(links) == [SageMakerMonitoringReportLink.name]
    report_file = f"{recorded(ctx).report_uri[len('s3://') :]}/statistics.json?"
    assert links[SageMakerMonitoringReportLink.name].startswith(f"{mm_local.endpoint_url}/{report_file}")

    chosen, ctx = decide(HOUR0 + 2 * HOUR)
    assert chosen == "retrain"
    assert accuracy(ctx).violated and accuracy(ctx).value < 0.75 < clean.value
    report = pushed(ctx)[VIOLATION_REPORT_KEY]
    assert report["monitoring_type"] == "ModelQuality" and "accuracy" in report["by_subject"]
    ((asset, extra),) = emitted(ctx)
    assert asset.uri == f"sagemaker-model-monitor://{mm_local.region}/mq-schedule"
    assert extra["violation_count"] == report["count"]

    chosen, ctx = decide(HOUR0 + 2 * HOUR, subjects="auc")  # a metric the constraints do not check
    assert chosen == "ok" and emitted(ctx) == []

    # The same CompletedWithViolations execution with its report emptied or broken fails the task.
    hook = SageMakerModelMonitorHook(aws_conn_id=mm_local_connection)
    violations_uri = f"{hook.execution_report_uri(executions[1])}/constraint_violations.json"
    for document in ({}, {"violations": None}, {"violations": [{}]}):
        scenario.put(violations_uri, json.dumps(document))
        with pytest.raises(AirflowFailException, match="ended CompletedWithViolations") as info:
            decide(HOUR0 + 2 * HOUR)
        assert f"{violations_uri} is not a readable report" in str(info.value)
