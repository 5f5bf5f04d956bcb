"""self_hosted_monitoring_group: its tasks, and a DAG run (``dag.test()``) in four mapped shards that writes
the single task's reports and returns its summary, on which the violation branch decides."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import DAG

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.operators.branch import SageMakerMonitoringViolationBranchOperator
from airflow_mm_provider.operators.self_hosted_group import (
    SelfHostedShardMergeOperator,
    SelfHostedShardOperator,
    SelfHostedShardPlanOperator,
    self_hosted_monitoring_group,
)
from tests.support.dags import register_dag
from tests.support.documents import assert_same_documents
from tests.support.recorded import forget_recorded_metrics
from tests.support.scenario import CAPTURE, HOUR, HOUR0, Scenario
from tests.support.scheduler import TEST_TIMEOUT, AirflowDeployment
from tests.support.self_hosted import (
    MONITOR,
    SELF_HOSTED,
    Monitor,
    data_quality,
    model_bias,
    model_quality,
    operator,
)
from tests.support.service import job_definition
from tests.support.sharded import SHARDED, put_traffic, reports, with_output

try:
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.empty import EmptyOperator

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def definition() -> dict[str, Any]:
    """A data-quality endpoint job definition."""
    found = job_definition("DataQuality", "unused")
    del found["JobDefinitionName"]
    return found


def group(dag_id: str = "grouped", **kwargs: Any) -> tuple[DAG, Any]:
    """A DAG holding the group ``sharded`` of a data-quality monitor (with ``kwargs``)."""
    arguments: dict[str, Any] = {
        "monitoring_schedule_name": MONITOR,
        "monitoring_type": "DataQuality",
        "job_definition": definition(),
        "capture_destination": CAPTURE,
        **kwargs,
    }
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        built = self_hosted_monitoring_group("sharded", **arguments)
    return dag, built


def test_the_group_plans_maps_the_shards_and_merges() -> None:
    dag, built = group(shards=6, retries=2)
    tasks = {task.task_id: task for task in dag.tasks}

    assert set(tasks) == {"sharded.plan", "sharded.shard", "sharded.merge"}
    assert built.group_id == "sharded"
    plan, shard, merge = tasks["sharded.plan"], tasks["sharded.shard"], tasks["sharded.merge"]
    assert isinstance(plan, SelfHostedShardPlanOperator) and plan.shards == 6
    assert type(shard).__name__ == "MappedOperator"
    assert isinstance(merge, SelfHostedShardMergeOperator) and "shards" in merge.template_fields
    assert plan.downstream_task_ids == {"sharded.shard"} and shard.downstream_task_ids == {"sharded.merge"}
    assert plan.retries == merge.retries == 2
    assert (merge.fail_on_violations, merge.fail_on_failed) == (False, True)


@pytest.mark.parametrize("shards", [0, -1, 2.5, True, "4"])
def test_a_shard_count_that_is_not_a_positive_whole_number_is_refused(shards: Any) -> None:
    with pytest.raises(ValueError, match="shards: a whole number of at least 1"):
        group(shards=shards)


def test_the_group_s_tasks_survive_a_deep_copy() -> None:
    """Airflow deep-copies tasks (e.g. to clear part of a DAG); a mapped shard task runs as the operator."""
    dag, _ = group("copied")
    with dag:
        shard = SelfHostedShardOperator(
            task_id="one_shard",
            shard={"plan": "plan-1", "index": 0, "objects": 2, "bytes": 10},
            monitoring_schedule_name=MONITOR,
            monitoring_type="DataQuality",
            job_definition=definition(),
            capture_destination=CAPTURE,
        )

    copied = copy.deepcopy(dag)

    assert set(copied.task_dict) == {"sharded.plan", "sharded.shard", "sharded.merge", "one_shard"}
    assert {type(task) for task in copied.tasks} == {type(task) for task in dag.tasks}
    assert copied.task_dict["one_shard"].shard == shard.shard
    assert copied.task_dict["sharded.merge"].shards is not dag.task_dict["sharded.merge"].shards


def test_the_analysis_parameters_are_checked_when_the_dag_is_built() -> None:
    with pytest.raises(ValueError, match="monitoring_type: ModelExplainability is not analysed"):
        group(monitoring_type="ModelExplainability")


# ---- a DAG run in shards, beside the single task ----------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("build", [data_quality, model_quality, model_bias], ids=lambda build: build.__name__)
def test_four_mapped_shards_in_a_dag_run_equal_the_single_task_and_branch_alike(
    mm_local: LocalModelMonitor,
    mm_local_connection: str,
    airflow_db: None,
    monkeypatch: pytest.MonkeyPatch,
    build: Callable[[Scenario], Monitor],
) -> None:
    """The violating hour (1,500 records in 15 files): the single task and the group in four shards write
    the same reports; both summaries say CompletedWithViolations; the branch follows ``violations``."""
    scenario = Scenario(mm_local)
    monitor = build(scenario)
    put_traffic(scenario, monitor)
    sagemaker = mock.Mock(side_effect=AssertionError("the self-hosted path called SageMaker"))
    monkeypatch.setattr(SageMakerModelMonitorHook, "get_conn", sagemaker)
    slot = HOUR0 + 2 * HOUR
    dag_id = f"sharded_{monitor.monitoring_type}"
    common = {"aws_conn_id": mm_local_connection, "slot": slot.isoformat(), "fail_on_failed": False}
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        single = operator(
            monitoring_type=monitor.monitoring_type, job_definition=monitor.self_hosted(), **common
        )
        sharded = self_hosted_monitoring_group(
            "sharded",
            monitoring_schedule_name=MONITOR,
            monitoring_type=monitor.monitoring_type,
            job_definition=with_output(monitor, SHARDED),
            capture_destination=CAPTURE,
            shards=4,
            **common,
        )
        decide = SageMakerMonitoringViolationBranchOperator(
            task_id="decide",
            aws_conn_id=mm_local_connection,
            monitoring_type=monitor.monitoring_type,
            execution="{{ ti.xcom_pull('sharded.merge') }}",
            on_completed="ok",
            on_violations="violations",
            on_failed="failed",
        )
        (
            single
            >> sharded
            >> decide
            >> [EmptyOperator(task_id=name) for name in ("ok", "violations", "failed")]
        )
    register_dag(dag)
    try:
        run = dag.test()
        instances = run.get_task_instances()
        states = {(ti.task_id, ti.map_index): str(getattr(ti.state, "value", ti.state)) for ti in instances}
        assert {index for (task_id, index) in states if task_id == "sharded.shard"} == {0, 1, 2, 3}
        assert {task for task, state in states.items() if state != "success"} == {("ok", -1), ("failed", -1)}
        by_id = {ti.task_id: ti for ti in instances if ti.map_index == -1}
        one = by_id["analyse"].xcom_pull(task_ids="analyse")
        merged = by_id["sharded.merge"].xcom_pull(task_ids="sharded.merge")
        compared = ("monitoring_execution_status", "failure_reason", "scheduled_time", "monitoring_type")
        assert {key: merged[key] for key in compared} == {key: one[key] for key in compared}
        assert merged["monitoring_execution_status"] == "CompletedWithViolations"
        assert merged["report_uri"] == one["report_uri"].replace(SELF_HOSTED, SHARDED)
        single_reports = reports(scenario, one["report_uri"])
        assert single_reports
        assert_same_documents(
            reports(scenario, merged["report_uri"]), single_reports, loose=frozenset({"std_dev"})
        )
        sagemaker.assert_not_called()
    finally:
        forget_recorded_metrics(dag_id)


# ---- under a scheduler: every task in its own process, nothing shared but S3 and XCom ----------------------

SCHEDULED_DAG = """
from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG

from airflow_mm_provider.operators.self_hosted import SelfHostedMonitoringAnalysisOperator
from airflow_mm_provider.operators.self_hosted_group import self_hosted_monitoring_group

COMMON = {common!r}
with DAG("{dag_id}", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)) as dag:
    single = SelfHostedMonitoringAnalysisOperator(task_id="analyse", job_definition={single!r}, **COMMON)
    single >> self_hosted_monitoring_group("sharded", job_definition={sharded!r}, shards=4, **COMMON)
"""


@pytest.mark.integration
@pytest.mark.timeout(TEST_TIMEOUT)
def test_the_group_under_a_scheduler_writes_the_single_tasks_reports(
    mm_local: LocalModelMonitor, tmp_path: Path
) -> None:
    """Airflow 3: the LocalExecutor runs each task in its own process; Airflow 2.11: the
    SequentialExecutor (see tests/support/scheduler.py)."""
    scenario = Scenario(mm_local)
    monitor = data_quality(scenario)
    put_traffic(scenario, monitor)
    dag_id = "sharded_under_scheduler"
    common = {
        "monitoring_schedule_name": MONITOR,
        "monitoring_type": "DataQuality",
        "capture_destination": CAPTURE,
        "slot": (HOUR0 + 2 * HOUR).isoformat(),
        "aws_conn_id": "mm_local",
        "fail_on_failed": False,
    }
    dags = tmp_path / "dags"
    dags.mkdir()
    source = SCHEDULED_DAG.format(
        common=common, dag_id=dag_id, single=monitor.self_hosted(), sharded=with_output(monitor, SHARDED)
    )
    (dags / f"{dag_id}.py").write_text(source)
    airflow = AirflowDeployment(
        tmp_path / "home", dags, {"AIRFLOW_CONN_MM_LOCAL": mm_local.airflow_connection_uri()}
    )
    try:
        airflow.start()
        airflow.wait_for_dag(dag_id)
        airflow.cli("dags", "trigger", dag_id)
        state, tasks = airflow.wait_for_run(dag_id)
    finally:
        airflow.stop()

    assert (state, tasks) == (
        "success",
        dict.fromkeys(["analyse", "sharded.plan", "sharded.shard", "sharded.merge"], "success"),
    )
    slot_folder = f"ep/{MONITOR}/2024/01/01/02"
    single = reports(scenario, f"{SELF_HOSTED}/{slot_folder}")
    assert "constraint_violations.json" in single
    assert_same_documents(reports(scenario, f"{SHARDED}/{slot_folder}"), single, loose=frozenset({"std_dev"}))
