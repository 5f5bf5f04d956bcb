"""Baseline operators: parse-time validation, idempotent start / re-attach, waiting, deferral, the summary."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any
from unittest import mock

import botocore.session
import pytest
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger
from airflow.providers.common.compat.sdk import DAG, AirflowException, TaskDeferred
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.links.model_monitor import SageMakerProcessingJobLink
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring import names
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.images import analyzer_image_uri, clarify_image_uri
from airflow_mm_provider.operators.baseline import (
    SageMakerDataQualityBaselineOperator,
    SageMakerModelBiasBaselineOperator,
    SageMakerModelExplainabilityBaselineOperator,
    SageMakerModelQualityBaselineOperator,
)
from airflow_mm_provider.triggers.processing_job import SageMakerProcessingJobTrigger
from tests.support.links import linked_jobs

ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
DATASET = "s3://bucket/train/train.csv"
OUTPUT = "s3://bucket/baselines/dq"
RUN_ID = "manual__2024-01-01T00:00:00+00:00"
DAG_ID = "baseline_dag"

_INPUT_SHAPE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateProcessingJob")
    .input_shape
)
_NOT_FOUND = ClientError(
    {"Error": {"Code": "ValidationException", "Message": "Could not find requested job with name x"}},
    "DescribeProcessingJob",
)

COMMON = {"baseline_dataset": DATASET, "output_s3_uri": OUTPUT, "role_arn": ROLE, "aws_conn_id": None}
MODEL_QUALITY = {"problem_type": "Regression", "ground_truth_attribute": "y", "inference_attribute": "y_hat"}
BIAS = {
    "label": "y",
    "label_values_or_threshold": [1],
    "facet": "sex",
    "facet_values_or_threshold": [0],
    "model_name": "churn-model",
}


def build(cls: type, task_id: str = "baseline", **kwargs: Any) -> Any:
    """An operator of ``cls`` in a DAG, with the common parameters."""
    with DAG(DAG_ID, schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)):
        return cls(task_id=task_id, **{**COMMON, **kwargs})


def context(map_index: int = -1) -> dict[str, Any]:
    return {"run_id": RUN_ID, "ti": SimpleNamespace(map_index=map_index, xcom_push=mock.MagicMock())}


def job(name: str, status: str, output: str = OUTPUT, **extra: Any) -> dict[str, Any]:
    """A DescribeProcessingJob response."""
    return {
        "ProcessingJobName": name,
        "ProcessingJobStatus": status,
        "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "monitoring_output", "S3Output": {"S3Uri": output}}]
        },
        **extra,
    }


@pytest.fixture
def hook() -> Any:
    """The model-monitor hook with every AWS-touching processing-job method mocked."""
    hook_class = SageMakerModelMonitorHook
    with (
        mock.patch.object(hook_class, "describe_processing_job") as describe,
        mock.patch.object(hook_class, "create_processing_job") as create,
        mock.patch.object(hook_class, "wait_for_processing_job") as wait,
        mock.patch.object(hook_class, "conn_region_name", new_callable=mock.PropertyMock) as region,
        mock.patch.object(S3Hook, "load_string") as load_string,
    ):
        region.return_value = "us-west-2"
        yield SimpleNamespace(
            describe=describe,
            create=create,
            wait=wait,
            region=region,
            load_string=load_string,
        )


def expected_name(task_id: str = "baseline") -> str:
    return names.run_scoped_name(DAG_ID, task_id, RUN_ID)


# -- construction --------------------------------------------------------------------------------------------


def test_template_fields_follow_the_amazon_provider_convention():
    op = build(SageMakerDataQualityBaselineOperator)
    assert {"aws_conn_id", "region_name", "verify"} <= set(op.template_fields)
    assert {"baseline_dataset", "output_s3_uri", "role_arn", "job_name", "environment"} <= set(
        op.template_fields
    )
    assert "analysis_config_dict" in build(SageMakerModelBiasBaselineOperator, **BIAS).template_fields


@pytest.mark.parametrize(
    ("cls", "kwargs", "rule_id", "field"),
    [
        (
            SageMakerDataQualityBaselineOperator,
            {"output_s3_uri": "bucket/out"},
            "s3-uri-pattern",
            "S3Output.S3Uri",
        ),
        (SageMakerDataQualityBaselineOperator, {"role_arn": "MonitorRole"}, "role-arn-pattern", "RoleArn"),
        (SageMakerDataQualityBaselineOperator, {"job_name": "a_b"}, "name-pattern", "ProcessingJobName"),
        (
            SageMakerDataQualityBaselineOperator,
            {"instance_count": 0},
            "instance-count-range",
            "InstanceCount",
        ),
        (
            SageMakerDataQualityBaselineOperator,
            {"dataset_format": {"xml": {}}},
            "baseline-dataset-format",
            "dataset_format",
        ),
        (
            SageMakerModelQualityBaselineOperator,
            {**MODEL_QUALITY, "problem_type": "Ranking"},
            "problem-type-enum",
            "problem_type",
        ),
        (
            SageMakerModelQualityBaselineOperator,
            {**MODEL_QUALITY, "inference_attribute": 1},
            "string-attribute",
            "inference_attribute",
        ),
        (
            SageMakerModelBiasBaselineOperator,
            {**BIAS, "label": None},
            "required-field",
            "analysis_config.label",
        ),
        (
            SageMakerModelBiasBaselineOperator,
            {**BIAS, "model_name": None},
            "required-field",
            "analysis_config.predictor",
        ),
        (
            SageMakerModelBiasBaselineOperator,
            {"analysis_config": {"label": "y"}},
            "required-field",
            "analysis_config.label_values_or_threshold",
        ),
        (
            SageMakerModelExplainabilityBaselineOperator,
            {"model_name": "m", "shap": {"agg_method": "max"}},
            "clarify-shap-config",
            "methods.shap.agg_method",
        ),
        (SageMakerModelExplainabilityBaselineOperator, {}, "required-field", "analysis_config.predictor"),
    ],
)
def test_bad_literal_values_fail_at_construction(cls, kwargs, rule_id, field):
    with pytest.raises(MonitoringValidationError) as err:
        build(cls, **kwargs)
    assert err.value.rule.id == rule_id
    assert field in err.value.field


def test_templated_values_are_checked_after_rendering_not_at_parse_time(hook):
    op = build(
        SageMakerDataQualityBaselineOperator,
        baseline_dataset="{{ params.dataset }}",
        output_s3_uri="s3://bucket/{{ ds }}",
        environment={"run": "{{ run_id }}"},
    )
    op.render_template_fields({"params": {"dataset": "s3://b/d.csv"}, "ds": "2024-01-01", "run_id": "r"})
    request = op.build_request("job", "image")
    assert request["ProcessingInputs"][0]["S3Input"]["S3Uri"] == "s3://b/d.csv"
    assert request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == "s3://bucket/2024-01-01"
    assert request["Environment"]["run"] == "r"
    op.baseline_dataset = "not-an-s3-uri"
    hook.describe.side_effect = _NOT_FOUND
    with pytest.raises(MonitoringValidationError, match="baseline_dataset_input"):
        op.execute(context())
    hook.create.assert_not_called()


def test_templated_analysis_config_is_validated_after_rendering():
    op = build(SageMakerModelBiasBaselineOperator, analysis_config="{{ var.json.bias_config }}")
    op.analysis_config_dict = {**BIAS, "label_values_or_threshold": [], "facet": [{"name_or_index": "sex"}]}
    with pytest.raises(MonitoringValidationError, match="label_values_or_threshold"):
        op.analysis_config()


def test_new_job_is_created_once_with_a_valid_request_and_waited_for(hook):
    name = expected_name()
    hook.describe.side_effect = _NOT_FOUND
    hook.wait.return_value = job(name, "Completed")
    op = build(SageMakerDataQualityBaselineOperator, check_interval=5, max_ingestion_time=600)
    result = op.execute(context())
    request = hook.create.call_args.args[0]
    validate_parameters(request, _INPUT_SHAPE)
    assert hook.create.call_count == 1 and hook.create.call_args.kwargs == {}
    assert request["ProcessingJobName"] == name
    assert request["AppSpecification"]["ImageUri"] == analyzer_image_uri("us-west-2")
    assert request["Environment"]["dataset_source"] == "/opt/ml/processing/input/baseline_dataset_input"
    hook.wait.assert_called_once_with(name, 5, 600)
    assert result == {
        "job_name": name,
        "monitoring_type": "DataQuality",
        "status": "Completed",
        "output_s3_uri": OUTPUT,
        "statistics_uri": f"{OUTPUT}/statistics.json",
        "constraints_uri": f"{OUTPUT}/constraints.json",
        "analysis_uri": None,
        "analysis_config_uri": None,
        "suggested_constraints_uri": None,
    }
    json.dumps(result)


def test_model_quality_request_carries_string_attributes(hook):
    hook.describe.side_effect = _NOT_FOUND
    op = build(
        SageMakerModelQualityBaselineOperator,
        wait_for_completion=False,
        problem_type="BinaryClassification",
        ground_truth_attribute="label",
        probability_attribute="probability",
        probability_threshold_attribute=0.5,
    )
    result = op.execute(context())
    request = hook.create.call_args.args[0]
    validate_parameters(request, _INPUT_SHAPE)
    env = request["Environment"]
    assert env["analysis_type"] == "MODEL_QUALITY" and env["probability_threshold_attribute"] == "0.5"
    assert "inference_attribute" not in env
    assert result["status"] == "InProgress" and result["statistics_uri"] == f"{OUTPUT}/statistics.json"
    hook.wait.assert_not_called()


def test_in_progress_job_is_reattached_without_a_second_create(hook):
    name = expected_name()
    hook.describe.return_value = job(name, "InProgress", output="s3://bucket/first-try")
    hook.wait.return_value = job(name, "Completed", output="s3://bucket/first-try")
    result = build(SageMakerDataQualityBaselineOperator).execute(context())
    hook.create.assert_not_called()
    hook.wait.assert_called_once()
    assert result["output_s3_uri"] == "s3://bucket/first-try"
    assert result["constraints_uri"] == "s3://bucket/first-try/constraints.json"


def test_completed_job_returns_its_summary_without_waiting(hook):
    hook.describe.return_value = job(expected_name(), "Completed")
    result = build(SageMakerDataQualityBaselineOperator).execute(context())
    hook.create.assert_not_called()
    hook.wait.assert_not_called()
    assert result["status"] == "Completed"


def test_failed_job_fails_the_task_with_its_reason(hook):
    hook.describe.return_value = job(expected_name(), "Failed", FailureReason="AlgorithmError: no rows")
    with pytest.raises(AirflowException, match="ended Failed: AlgorithmError: no rows.*job_name"):
        build(SageMakerDataQualityBaselineOperator).execute(context())
    hook.create.assert_not_called()


def test_job_stopped_while_waiting_fails_the_task(hook):
    hook.describe.side_effect = _NOT_FOUND
    hook.wait.return_value = job(expected_name(), "Stopped", ExitMessage="MaxRuntimeExceeded")
    with pytest.raises(AirflowException, match="ended Stopped: MaxRuntimeExceeded"):
        build(SageMakerDataQualityBaselineOperator).execute(context())


def test_other_describe_errors_propagate(hook):
    hook.describe.side_effect = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeProcessingJob"
    )
    with pytest.raises(ClientError):
        build(SageMakerDataQualityBaselineOperator).execute(context())
    hook.create.assert_not_called()


def test_job_name_is_deterministic_per_run_task_and_map_index(hook):
    op = build(SageMakerDataQualityBaselineOperator)
    assert op.resolve_job_name(context()) == op.resolve_job_name(context()) == expected_name()
    assert op.resolve_job_name(context(map_index=2)) == names.run_scoped_name(DAG_ID, "baseline-2", RUN_ID)
    assert (
        build(SageMakerDataQualityBaselineOperator, job_name="my-job").resolve_job_name(context()) == "my-job"
    )


def test_explicit_image_is_used_as_given(hook):
    hook.describe.side_effect = _NOT_FOUND
    hook.region.return_value = "xx-nowhere-1"  # no image known there: only the console link reads the region
    build(SageMakerDataQualityBaselineOperator, image_uri="my/analyzer:1", wait_for_completion=False).execute(
        context()
    )
    assert hook.create.call_args.args[0]["AppSpecification"]["ImageUri"] == "my/analyzer:1"


# -- deferral ------------------------------------------------------------------------------------------------


def test_deferrable_hands_the_wait_to_the_sagemaker_trigger(hook):
    hook.describe.side_effect = [_NOT_FOUND, job(expected_name(), "InProgress")]
    op = build(
        SageMakerDataQualityBaselineOperator,
        deferrable=True,
        check_interval=20,
        max_ingestion_time=3600,
        region_name="us-west-2",
    )
    with pytest.raises(TaskDeferred) as err:
        op.execute(context())
    trigger = err.value.trigger
    assert isinstance(trigger, SageMakerProcessingJobTrigger) and isinstance(trigger, SageMakerTrigger)
    _, kwargs = trigger.serialize()
    assert kwargs["job_name"] == expected_name() and kwargs["job_type"] == "Processing"
    assert kwargs["waiter_delay"] == 20 and kwargs["waiter_max_attempts"] == 180
    assert kwargs["aws_conn_id"] is None and kwargs["region_name"] == "us-west-2"
    assert err.value.method_name == "execute_complete"
    assert err.value.timeout.total_seconds() == 3600
    hook.create.assert_called_once()
    hook.wait.assert_not_called()


def test_without_max_ingestion_time_both_modes_wait_two_days(hook):
    hook.describe.side_effect = [_NOT_FOUND, job(expected_name(), "InProgress")]
    op = build(SageMakerDataQualityBaselineOperator, deferrable=True)
    assert (op.check_interval, op.max_ingestion_time) == (30, None)
    with pytest.raises(TaskDeferred) as err:
        op.execute(context())
    _, kwargs = err.value.trigger.serialize()
    assert kwargs["waiter_delay"] == 30 and kwargs["waiter_max_attempts"] == 2 * 86400 // 30
    assert err.value.timeout.total_seconds() == 2 * 86400


@pytest.mark.parametrize(
    ("waiting", "match"),
    [
        ({"check_interval": 0}, "^check_interval: must be a positive"),
        ({"max_ingestion_time": 0}, "^max_ingestion"),
    ],
)
def test_wait_settings_are_checked_at_construction(waiting, match):
    with pytest.raises(ValueError, match=match):
        build(SageMakerDataQualityBaselineOperator, **waiting)


def test_deferrable_reattach_defers_without_creating(hook):
    hook.describe.return_value = job(expected_name(), "InProgress")
    with pytest.raises(TaskDeferred):
        build(SageMakerDataQualityBaselineOperator, deferrable=True).execute(context())
    hook.create.assert_not_called()


def test_deferrable_does_not_defer_for_a_job_that_ended_once_started(hook):
    name = expected_name()
    hook.describe.side_effect = [_NOT_FOUND, job(name, "Completed")]
    result = build(SageMakerDataQualityBaselineOperator, deferrable=True).execute(context())
    assert result["job_name"] == name and result["status"] == "Completed"
    hook.create.assert_called_once()
    hook.wait.assert_not_called()


def test_deferrable_reattach_to_a_job_that_ended_meanwhile_fails_without_deferring(hook):
    name = expected_name()
    hook.describe.side_effect = [job(name, "InProgress"), job(name, "Failed", FailureReason="no data")]
    with pytest.raises(AirflowException, match=f"{name} ended Failed: no data"):
        build(SageMakerDataQualityBaselineOperator, deferrable=True).execute(context())
    hook.create.assert_not_called()


def test_execute_complete_summarizes_a_successful_job(hook):
    name = expected_name()
    hook.describe.return_value = job(name, "Completed")
    op = build(SageMakerDataQualityBaselineOperator, deferrable=True)
    task_context = context()
    result = op.execute_complete(task_context, {"status": "success", "job_name": name})
    assert result["job_name"] == name and result["status"] == "Completed"
    assert linked_jobs(task_context) == [name]


def test_completed_baseline_links_its_processing_job(hook):
    name = expected_name()
    hook.describe.side_effect = _NOT_FOUND
    hook.wait.return_value = job(name, "Completed")
    op = build(SageMakerDataQualityBaselineOperator)
    task_context = context()
    op.execute(task_context)
    assert linked_jobs(task_context) == [name]
    assert [type(link) for link in op.operator_extra_links] == [SageMakerProcessingJobLink]
    value = task_context["ti"].xcom_push.call_args.kwargs["value"]
    assert value["region_name"] == "us-west-2" and value["aws_domain"] == "aws.amazon.com"


def test_explicit_job_name_is_linked_before_the_wait(hook):
    hook.describe.side_effect = _NOT_FOUND
    task_context = context()

    def wait(*_: Any) -> dict[str, Any]:
        assert linked_jobs(task_context) == ["my-job"], "the link is stored before the wait"
        return job("my-job", "Completed")

    hook.wait.side_effect = wait
    result = build(SageMakerDataQualityBaselineOperator, job_name="my-job").execute(task_context)
    assert result["status"] == "Completed" and linked_jobs(task_context) == ["my-job"]


@pytest.mark.parametrize("status", ["failed", "stopped", "timeout"])
def test_execute_complete_fails_on_an_unsuccessful_event(hook, status):
    op = build(SageMakerDataQualityBaselineOperator, deferrable=True)
    with pytest.raises(AirflowException, match=f"ended {status}: boom"):
        op.execute_complete(context(), {"status": status, "job_name": "j", "message": "boom"})
    with pytest.raises(AirflowException):
        op.execute_complete(context(), None)


# -- Clarify -------------------------------------------------------------------------------------------------


def test_bias_config_is_uploaded_next_to_the_output_before_the_job(hook):
    hook.describe.side_effect = _NOT_FOUND
    order = mock.Mock()
    hook.load_string.side_effect = lambda *a, **k: order("upload")
    hook.create.side_effect = lambda *a, **k: order("create")
    op = build(
        SageMakerModelBiasBaselineOperator,
        output_s3_uri="s3://bucket/bias",
        wait_for_completion=False,
        **BIAS,
    )
    result = op.execute(context())
    assert [c.args[0] for c in order.call_args_list] == ["upload", "create"]
    body, key = hook.load_string.call_args.args[:2]
    assert key == "bias/analysis_config.json"
    assert hook.load_string.call_args.kwargs == {"bucket_name": "bucket", "replace": True}
    config = json.loads(body)
    assert config["facet"] == [{"name_or_index": "sex", "value_or_threshold": [0]}]
    assert config["predictor"]["model_name"] == "churn-model"
    request = hook.create.call_args.args[0]
    validate_parameters(request, _INPUT_SHAPE)
    assert request["AppSpecification"]["ImageUri"] == clarify_image_uri("us-west-2")
    inputs = {item["InputName"]: item["S3Input"]["S3Uri"] for item in request["ProcessingInputs"]}
    assert inputs == {"dataset": DATASET, "analysis_config": "s3://bucket/bias/analysis_config.json"}
    assert request["ProcessingOutputConfig"]["Outputs"][0]["OutputName"] == "analysis_result"
    assert result["constraints_uri"] == result["analysis_uri"] == "s3://bucket/bias/analysis.json"
    assert result["statistics_uri"] is None
    assert result["analysis_config_uri"] == "s3://bucket/bias/analysis_config.json"


def test_full_bias_analysis_config_gets_its_dataset_type_from_the_format(hook):
    config = {
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex"}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}},
    }
    op = build(
        SageMakerModelBiasBaselineOperator, analysis_config=config, dataset_format={"json": {"lines": True}}
    )
    assert op.analysis_config() == {"dataset_type": "application/jsonlines", **config}


def test_explainability_uploads_shap_config_and_reattaches(hook):
    hook.describe.side_effect = _NOT_FOUND
    op = build(
        SageMakerModelExplainabilityBaselineOperator,
        output_s3_uri="s3://bucket/shap",
        model_name="churn-model",
        shap={"num_samples": 50, "agg_method": "median"},
        wait_for_completion=False,
    )
    result = op.execute(context())
    config = json.loads(hook.load_string.call_args.args[0])
    assert config["methods"]["shap"] == {"num_samples": 50, "agg_method": "median"}
    assert config["predictor"]["model_name"] == "churn-model"
    validate_parameters(hook.create.call_args.args[0], _INPUT_SHAPE)
    assert result["monitoring_type"] == "ModelExplainability"
    hook.describe.side_effect = None
    hook.describe.return_value = job(expected_name(), "Completed", output="s3://bucket/shap")
    assert op.execute(context())["status"] == "Completed"
    assert hook.load_string.call_count == 1 and hook.create.call_count == 1


# -- against the local Model Monitor service over HTTP -------------------------------------------------------

BUCKET = "mm-data"
HEADERS = ["a", "b", "label", "prediction", "probability"]
ROWS = [[i, i % 3, i % 2, (i // 2) % 2, (i % 10) / 10] for i in range(240)]


@pytest.fixture
def local(mm_local: LocalModelMonitor, mm_local_connection: str) -> SimpleNamespace:
    """The local service (Airflow connection ``mm_local``) holding a CSV dataset with and without header."""
    s3 = mm_local.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    lines = [",".join(str(value) for value in row) for row in ROWS]
    s3.put_object(Bucket=BUCKET, Key="train/with-header.csv", Body="\n".join([",".join(HEADERS), *lines]))
    s3.put_object(Bucket=BUCKET, Key="train-no-header/data.csv", Body="\n".join(lines))
    return SimpleNamespace(conn_id=mm_local_connection, s3=s3, sagemaker=mm_local.client("sagemaker"))


def local_op(local: SimpleNamespace, cls: type, task_id: str, dataset: str, **kwargs: Any) -> Any:
    return build(
        cls,
        task_id=task_id,
        baseline_dataset=f"s3://{BUCKET}/{dataset}",
        output_s3_uri=f"s3://{BUCKET}/baselines/{task_id}",
        aws_conn_id=local.conn_id,
        check_interval=0.1,
        max_ingestion_time=120,
        **kwargs,
    )


def read_s3_json(s3: Any, uri: str) -> Any:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_local_data_quality_baseline_writes_statistics_and_constraints_once(local):
    op = local_op(local, SageMakerDataQualityBaselineOperator, "dq", "train/with-header.csv")
    task_context = context()
    result = op.execute(task_context)
    assert result["status"] == "Completed" and result["job_name"] == expected_name("dq")
    assert linked_jobs(task_context) == []  # the console has no page for a job of the local service
    statistics = read_s3_json(local.s3, result["statistics_uri"])
    constraints = read_s3_json(local.s3, result["constraints_uri"])
    assert {feature["name"] for feature in statistics["features"]} == set(HEADERS)
    assert {feature["name"] for feature in constraints["features"]} == set(HEADERS)
    job = local.sagemaker.describe_processing_job(ProcessingJobName=result["job_name"])
    assert job["AppSpecification"]["ImageUri"] == analyzer_image_uri("us-east-1")
    assert op.execute(context()) == result
    jobs = local.sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
    assert [summary["ProcessingJobName"] for summary in jobs] == [result["job_name"]]


def test_local_model_quality_baseline_computes_classification_metrics(local):
    op = local_op(
        local,
        SageMakerModelQualityBaselineOperator,
        "mq",
        "train/with-header.csv",
        problem_type="BinaryClassification",
        ground_truth_attribute="label",
        inference_attribute="prediction",
        probability_attribute="probability",
        probability_threshold_attribute=0.5,
    )
    result = op.execute(context())
    statistics = read_s3_json(local.s3, result["statistics_uri"])
    assert "binary_classification_metrics" in statistics
    assert "binary_classification_constraints" in read_s3_json(local.s3, result["constraints_uri"])


def test_local_bias_baseline_uploads_its_config_and_writes_analysis(local):
    op = local_op(
        local,
        SageMakerModelBiasBaselineOperator,
        "mb",
        "train-no-header/",
        headers=HEADERS,
        label="label",
        label_values_or_threshold=[1],
        facet="b",
        facet_values_or_threshold=[0],
        predicted_label="prediction",
        excluded_columns=["probability"],
    )
    result = op.execute(context())
    assert read_s3_json(local.s3, result["analysis_config_uri"])["predicted_label"] == "prediction"
    analysis = read_s3_json(local.s3, result["constraints_uri"])
    assert set(analysis) >= {"pre_training_bias_metrics", "post_training_bias_metrics"}
    assert "b" in analysis["pre_training_bias_metrics"]["facets"]


async def test_local_deferred_baseline_resumes_from_the_trigger_event(local, mm_local, monkeypatch):
    monkeypatch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "3")
    op = local_op(
        local, SageMakerDataQualityBaselineOperator, "dq-deferred", "train/with-header.csv", deferrable=True
    )
    with (
        mm_local.holding_jobs() as release,
        mock.patch(f"{SageMakerProcessingJobTrigger.__module__}.sleep", new_callable=mock.AsyncMock) as pause,
    ):
        with pytest.raises(TaskDeferred) as err:
            op.execute(context())
        release.set()
        event = await anext(err.value.trigger.run())
    pause.assert_awaited_once_with(6.0)  # twice the heartbeat interval: longer than check_interval
    assert event.payload == {"status": "success", "job_name": expected_name("dq-deferred")}
    result = op.execute_complete(context(), event.payload)
    assert result["status"] == "Completed"
    local.s3.head_object(Bucket=BUCKET, Key="baselines/dq-deferred/constraints.json")
