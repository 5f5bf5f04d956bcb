"""Baselines on the Airflow worker (``runner="worker"``): the switch, the refusals, and, through mm-local, the
same files at the same output as the processing-job path, with the same tolerance, converging on retries."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.common.compat.sdk import DAG, AirflowException

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.monitoring.tolerance import DataQualityTolerance, ModelQualityTolerance
from airflow_mm_provider.operators.baseline import (
    RUNNERS,
    SageMakerDataQualityBaselineOperator,
    SageMakerModelBiasBaselineOperator,
    SageMakerModelExplainabilityBaselineOperator,
    SageMakerModelQualityBaselineOperator,
)
from tests.operators import test_baseline
from tests.operators.test_baseline import BIAS, MODEL_QUALITY, build, context, expected_name, local_op
from tests.operators.test_baseline_tolerance import BIAS as LOCAL_BIAS
from tests.operators.test_baseline_tolerance import QUALITY as LOCAL_QUALITY
from tests.operators.test_branch import logged

service = test_baseline.local
"""The ``service`` fixture: mm-local holding a small CSV dataset (``local`` of test_baseline)."""

BUCKET = test_baseline.BUCKET
CASES = {
    "data_quality": (SageMakerDataQualityBaselineOperator, "train/with-header.csv", {}),
    "model_quality": (SageMakerModelQualityBaselineOperator, "train/with-header.csv", LOCAL_QUALITY),
    "bias": (SageMakerModelBiasBaselineOperator, "train-no-header/", LOCAL_BIAS),
}
"""Per monitor type the worker runs: operator, dataset (in ``BUCKET``) and parameters."""


def snapshot(s3: Any, prefix: str) -> dict[str, bytes]:
    """Every object under ``s3://BUCKET/<prefix>/``: key relative to the prefix -> content."""
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/").get("Contents", [])
    return {
        obj["Key"][len(prefix) + 1 :]: s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
        for obj in listed
    }


def clear(s3: Any, prefix: str) -> None:
    """Delete every object under ``s3://BUCKET/<prefix>/``."""
    for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/").get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])


def worker_op(service: Any, case: str, task_id: str, **kwargs: Any) -> Any:
    """The operator of ``case`` run on the worker, writing to ``s3://BUCKET/baselines/<task_id>``."""
    cls, dataset, parameters = CASES[case]
    return local_op(
        service, cls, task_id, dataset, **{**parameters, "runner": "worker", "role_arn": None, **kwargs}
    )


# -- the switch and the refusals -----------------------------------------------------------------------------


def test_the_default_runner_is_the_processing_job() -> None:
    assert RUNNERS == ("processing_job", "worker")
    assert build(SageMakerDataQualityBaselineOperator).runner == "processing_job"
    assert build(SageMakerDataQualityBaselineOperator, runner="worker").runner == "worker"


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_worker_baseline_operator_survives_a_deep_copy(case: str) -> None:
    """Airflow deep-copies tasks (e.g. to clear part of a DAG): the operator holds nothing that refuses it."""
    cls, dataset, parameters = CASES[case]
    op = build(cls, baseline_dataset=f"s3://{BUCKET}/{dataset}", **{**parameters, "runner": "worker"})

    copied = copy.deepcopy(op)

    assert type(copied) is cls and copied is not op
    assert (copied.runner, copied.baseline_dataset) == ("worker", op.baseline_dataset)


def test_the_readme_example_builds() -> None:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text[text.index("### Baselines on the worker") :]
    (block,) = re.findall(r"^```python\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)[:1]
    with DAG("readme", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)):
        op = eval(block, {"SageMakerDataQualityBaselineOperator": SageMakerDataQualityBaselineOperator})  # noqa: S307
    assert op.runner == "worker" and op.role_arn is None


def test_only_the_worker_runs_without_a_role() -> None:
    assert build(SageMakerDataQualityBaselineOperator, runner="worker", role_arn=None).role_arn is None
    with pytest.raises(ValueError, match=r"^role_arn: required with runner='processing_job'"):
        build(SageMakerDataQualityBaselineOperator, role_arn=None)


@pytest.mark.parametrize("value", ["Worker", "local", "", None])
def test_an_unknown_runner_names_the_field_and_the_allowed_values(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^runner: must be 'processing_job' .* or 'worker' .*got") as err:
        build(SageMakerDataQualityBaselineOperator, runner=value)
    assert repr(value) in str(err.value)


def test_explainability_is_refused_on_the_worker_at_construction() -> None:
    with pytest.raises(ValueError, match=r"^runner: a ModelExplainability baseline computes SHAP") as err:
        build(SageMakerModelExplainabilityBaselineOperator, model_name="m", runner="worker")
    assert "invoking the model" in str(err.value) and "runner='processing_job'" in str(err.value)
    assert build(SageMakerModelExplainabilityBaselineOperator, model_name="m").runner == "processing_job"


def test_bias_post_training_metrics_from_a_model_are_refused_on_the_worker() -> None:
    with pytest.raises(ValueError, match=r"^analysis_config.predictor: .*invoking the model"):
        build(SageMakerModelBiasBaselineOperator, runner="worker", **BIAS)
    without_model = {key: value for key, value in BIAS.items() if key != "model_name"}
    build(SageMakerModelBiasBaselineOperator, runner="worker", predicted_label="y_hat", **without_model)
    build(SageMakerModelBiasBaselineOperator, runner="worker", post_training_methods=None, **BIAS)
    build(SageMakerModelBiasBaselineOperator, runner="worker", predicted_label="y_hat", **BIAS)


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (SageMakerDataQualityBaselineOperator, {"record_preprocessor_script": "s3://b/p.py"}, "record_"),
        (SageMakerDataQualityBaselineOperator, {"post_analytics_processor_script": "{{ x }}"}, "post_"),
        (
            SageMakerModelQualityBaselineOperator,
            {**MODEL_QUALITY, "post_analytics_processor_script": "s3://b/p.py"},
            "post_",
        ),
    ],
)
def test_container_scripts_are_refused_on_the_worker(cls: type, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}\w*_script: only the Model Monitor analyzer container"):
        build(cls, runner="worker", **kwargs)
    build(cls, **kwargs)


def test_a_templated_bias_config_is_refused_after_rendering_before_any_aws_call() -> None:
    config = {
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex"}],
        "methods": {"post_training_bias": {"methods": "all"}},
    }
    op = build(SageMakerModelBiasBaselineOperator, runner="worker", analysis_config="{{ params.config }}")
    predictor = {"model_name": "m", "instance_type": "ml.m5.large", "initial_instance_count": 1}
    op.analysis_config_dict = {**config, "predictor": predictor}  # as rendered
    with (
        mock.patch.object(SageMakerModelMonitorHook, "get_conn") as sagemaker,
        mock.patch.object(S3Hook, "get_conn") as s3,
        pytest.raises(ValueError, match=r"^analysis_config.predictor: "),
    ):
        op.execute(context())
    sagemaker.assert_not_called()
    s3.assert_not_called()


# -- through mm-local ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_worker_writes_the_files_the_processing_job_writes(service: Any, case: str) -> None:
    cls, dataset, parameters = CASES[case]
    job = local_op(service, cls, case, dataset, **parameters).execute(context())
    written_by_job = snapshot(service.s3, f"baselines/{case}")
    clear(service.s3, f"baselines/{case}")
    result = worker_op(service, case, case).execute(context())
    assert snapshot(service.s3, f"baselines/{case}") == written_by_job
    assert result == {**job, "job_name": None}
    assert job["job_name"] == expected_name(case) and job["status"] == "Completed"
    assert len(written_by_job) == 2 + (job["suggested_constraints_uri"] is not None)
    jobs = service.sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
    assert [summary["ProcessingJobName"] for summary in jobs] == [job["job_name"]]


def test_a_rerun_on_the_worker_writes_the_same_files(service: Any) -> None:
    tolerance = ModelQualityTolerance(margin=0.05)
    op = worker_op(service, "model_quality", "mq-retry", tolerance=tolerance)
    first = op.execute(context())
    written = snapshot(service.s3, "baselines/mq-retry")
    assert sorted(written) == ["constraints.json", "statistics.json", "suggested/constraints.json"]
    assert op.execute(context()) == first
    assert snapshot(service.s3, "baselines/mq-retry") == written
    suggested = test_baseline.read_s3_json(service.s3, first["suggested_constraints_uri"])
    assert test_baseline.read_s3_json(service.s3, first["constraints_uri"]) == tolerance.apply(suggested)
    head = service.s3.head_object(Bucket=BUCKET, Key="baselines/mq-retry/suggested/constraints.json")
    assert head["Metadata"] == {"baselining-job-name": f"worker:{expected_name('mq-retry')}"}


def test_a_worker_rerun_keeps_the_new_suggestion_not_an_old_one(service: Any) -> None:
    tolerance = DataQualityTolerance(comparison_threshold=0.25)
    op = worker_op(service, "data_quality", "dq-new", tolerance=tolerance)
    result = op.execute(context())
    stale = {"monitoring_config": {"distribution_constraints": {"comparison_threshold": 0.9}}, "features": []}
    kept_key = "baselines/dq-new/suggested/constraints.json"
    service.s3.put_object(Bucket=BUCKET, Key=kept_key, Body=json.dumps(stale))
    op.execute(context())
    kept = test_baseline.read_s3_json(service.s3, result["suggested_constraints_uri"])
    assert (
        kept != stale and kept["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1
    )


def test_a_failed_run_fails_the_task_with_the_engine_reason_and_writes_nothing(service: Any) -> None:
    op = local_op(service, SageMakerDataQualityBaselineOperator, "dq-empty", "nothing-here/", runner="worker")
    with pytest.raises(AirflowException, match=r"^DataQuality baseline run \S+ on the worker ended Failed: "):
        op.execute(context())
    assert snapshot(service.s3, "baselines/dq-empty") == {}


def test_waiting_settings_are_ignored_with_a_log_line(
    service: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    op = worker_op(service, "data_quality", "dq-deferrable", deferrable=True, wait_for_completion=False)
    with caplog.at_level(logging.INFO):
        assert op.execute(context())["status"] == "Completed"
    text = logged(caplog, capsys)
    assert "runs the baseline in this task: ignoring ['deferrable', 'wait_for_completion'" in text
    assert "on this worker (runner='worker', no SageMaker processing job)" in text
    assert service.sagemaker.list_processing_jobs()["ProcessingJobSummaries"] == []


def test_on_kill_stops_the_run_and_nothing_is_written(service: Any) -> None:
    op = worker_op(service, "data_quality", "dq-killed")
    original = op.hook.s3_hook.get_conn

    def killed_while_reading() -> Any:
        op.on_kill()
        return original()

    with (
        mock.patch.object(S3Hook, "get_conn", side_effect=killed_while_reading),
        pytest.raises(AirflowException, match=r"on the worker ended Stopped: Job stopped"),
    ):
        op.execute(context())
    assert snapshot(service.s3, "baselines/dq-killed") == {}
