from __future__ import annotations

import copy
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.inputs import (
    BaselineConfig,
    ClusterResources,
    MonitoringOutput,
    NetworkConfig,
    StoppingCondition,
)
from airflow_mm_provider.monitoring.job_definitions import (
    DataQualityJobDefinition,
    JobDefinitionSpec,
    ModelBiasJobDefinition,
    ModelExplainabilityJobDefinition,
    ModelQualityJobDefinition,
    job_definition_request,
    schedule_request,
    validate_job_definition_request,
    validate_runtime_for_schedule,
)
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.types import MONITORING_TYPES
from tests.support.monitoring import (
    GROUND_TRUTH,
    IMAGE,
    KINDS,
    REPORTS,
    request_dict,
    typed_input,
    typed_spec,
)


def full_spec(monitoring_type: str, kind: str) -> JobDefinitionSpec:
    """A typed spec of ``monitoring_type`` with every optional member the type accepts."""
    statistics = "s3://bucket/baseline/statistics.json" if monitoring_type == "DataQuality" else None
    extra: dict[str, Any] = {
        "input": typed_input(
            kind,
            s3_input_mode="File",
            s3_data_distribution_type="FullyReplicated",
            features_attribute="features",
            inference_attribute="0",
            probability_attribute="1",
            probability_threshold_attribute=0.6,
            exclude_features_attribute="2,3",
        ),
        "output": MonitoringOutput(REPORTS, s3_upload_mode="EndOfJob", kms_key_id="alias/reports"),
        "resources": ClusterResources(2, "ml.c5.xlarge", 60, "alias/volumes"),
        "baseline": BaselineConfig("baseline-job-1", "s3://bucket/baseline/constraints.json", statistics),
        "environment": {"publish_cloudwatch_metrics": "Enabled"},
        "network": NetworkConfig(("sg-0123",), ("subnet-0123", "subnet-4567"), True, True),
        "stopping_condition": StoppingCondition(1800),
        "tags": {"team": "ml-platform"},
    }
    if monitoring_type in ("DataQuality", "ModelQuality"):
        extra.update(
            container_entrypoint=["python3", "/opt/run.py"],
            container_arguments=["--verbose"],
            record_preprocessor_source_uri="s3://bucket/code/pre.py",
            post_analytics_processor_source_uri="s3://bucket/code/post.py",
        )
    return typed_spec(monitoring_type, kind, **extra)


@pytest.fixture(scope="module")
def sagemaker_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def assert_valid_for_botocore(model: Any, operation: str, request: dict[str, Any]) -> None:
    report = validate_parameters(request, model.operation_model(operation).input_shape)
    assert report is None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("monitoring_type", MONITORING_TYPES)
def test_minimal_and_full_requests_pass_botocore_validation(sagemaker_model, monitoring_type, kind):
    for spec in (typed_spec(monitoring_type, kind), full_spec(monitoring_type, kind)):
        request = job_definition_request(monitoring_type, spec, "churn-monitor-1")
        assert_valid_for_botocore(sagemaker_model, f"Create{monitoring_type}JobDefinition", request)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("monitoring_type", MONITORING_TYPES)
def test_typed_spec_and_plain_dict_give_the_same_request(monitoring_type, kind):
    from_typed = job_definition_request(monitoring_type, typed_spec(monitoring_type, kind), "jd-1")
    from_dict = job_definition_request(monitoring_type, request_dict(monitoring_type, kind), "jd-1")
    assert from_typed == from_dict
    assert from_typed["JobDefinitionName"] == "jd-1"


@pytest.mark.parametrize(
    ("schedule", "times", "expected"),
    [
        (ScheduleExpression.hourly(), (None, None), {"ScheduleExpression": "cron(0 * ? * * *)"}),
        ("cron(0 12 ? * * *)", (None, None), {"ScheduleExpression": "cron(0 12 ? * * *)"}),
        (ScheduleExpression.every_n_hours(6, 2), (None, None), {"ScheduleExpression": "cron(0 2/6 ? * * *)"}),
        (
            "NOW",
            ("-PT5H", "-PT1H"),
            {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT5H", "DataAnalysisEndTime": "-PT1H"},
        ),
        (None, (None, None), None),
    ],
)
def test_schedule_requests_pass_botocore_validation(sagemaker_model, schedule, times, expected):
    request = schedule_request(
        "churn-schedule", "ModelQuality", "churn-jd-1", schedule, *times, tags={"a": "b"}
    )
    assert_valid_for_botocore(sagemaker_model, "CreateMonitoringSchedule", request)
    config = request["MonitoringScheduleConfig"]
    assert config.get("ScheduleConfig") == expected
    assert config["MonitoringJobDefinitionName"] == "churn-jd-1"
    assert config["MonitoringType"] == "ModelQuality"
    assert request["Tags"] == [{"Key": "a", "Value": "b"}]


def test_recurring_schedule_keeps_valid_analysis_times():
    request = schedule_request("s", "DataQuality", "jd", "cron(0 * ? * * *)", "-PT3H", "-PT2H")
    assert request["MonitoringScheduleConfig"]["ScheduleConfig"]["DataAnalysisStartTime"] == "-PT3H"


def test_dict_name_is_replaced_and_input_is_not_mutated():
    original = {**request_dict("DataQuality"), "JobDefinitionName": "old-name"}
    snapshot = copy.deepcopy(original)
    request = job_definition_request("DataQuality", original, "new-name")
    assert request["JobDefinitionName"] == "new-name"
    assert original == snapshot
    request["DataQualityAppSpecification"]["ImageUri"] = "changed"
    assert original == snapshot


def test_validate_job_definition_request_requires_a_name():
    with pytest.raises(MonitoringValidationError) as err:
        validate_job_definition_request("DataQuality", request_dict("DataQuality"))
    assert err.value.field == "JobDefinitionName"
    assert err.value.rule.id == "required-field"


def test_dict_errors_name_the_full_api_path():
    request = request_dict("ModelQuality", "batch")
    request["ModelQualityJobInput"]["BatchTransformInput"]["InferenceAttribute"] = 0
    with pytest.raises(MonitoringValidationError) as err:
        job_definition_request("ModelQuality", request, "jd")
    assert err.value.field == "ModelQualityJobInput.BatchTransformInput.InferenceAttribute"
    assert "write '0', not 0" in str(err.value)


def test_typed_spec_fails_at_construction():
    with pytest.raises(MonitoringValidationError) as err:
        typed_spec("ModelQuality", problem_type=None)
    assert err.value.field == "ModelQualityAppSpecification.ProblemType"


def test_spec_needs_an_input_object():
    with pytest.raises(MonitoringValidationError) as err:
        typed_spec("DataQuality", input={"EndpointInput": {}})
    assert err.value.rule.id == "monitoring-input-one-of"


def test_explainability_spec_takes_no_ground_truth():
    assert (
        "GroundTruthS3Input"
        not in typed_spec("ModelExplainability").to_request("jd")["ModelExplainabilityJobInput"]
    )
    assert not isinstance(typed_spec("ModelBias"), ModelExplainabilityJobDefinition)


def test_spec_classes_carry_their_monitoring_type():
    assert DataQualityJobDefinition.monitoring_type == "DataQuality"
    assert ModelQualityJobDefinition.monitoring_type == "ModelQuality"
    assert ModelBiasJobDefinition.monitoring_type == "ModelBias"
    assert ModelExplainabilityJobDefinition.monitoring_type == "ModelExplainability"


def test_spec_is_frozen_and_normalises_ground_truth_and_tags():
    spec = typed_spec("ModelBias", tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(AttributeError):
        spec.role_arn = "x"  # type: ignore[misc]
    assert spec.ground_truth.s3_uri == GROUND_TRUTH  # type: ignore[union-attr]
    assert spec.to_request("jd")["Tags"] == [{"Key": "k", "Value": "v"}]


@pytest.mark.parametrize(
    ("monitoring_type", "schedule", "runtime"),
    [
        ("ModelQuality", ScheduleExpression.hourly(), 1800),
        ("DataQuality", "cron(0 * ? * * *)", 3600),
        ("ModelBias", ScheduleExpression.every_n_hours(2), 7200),
        ("ModelExplainability", ScheduleExpression.daily(3), 86400),
        ("DataQuality", "cron(0 17/12 ? * * *)", 86400),
        ("ModelBias", ScheduleExpression.now(), 86400),
        ("ModelBias", None, 86400),
    ],
)
def test_runtime_within_cadence_is_accepted(monitoring_type, schedule, runtime):
    spec = typed_spec(monitoring_type, stopping_condition=StoppingCondition(runtime))
    validate_runtime_for_schedule(monitoring_type, spec, schedule)
    validate_runtime_for_schedule(monitoring_type, spec.to_request("jd"), schedule)


@pytest.mark.parametrize(
    ("monitoring_type", "schedule", "runtime", "rule_id"),
    [
        ("ModelQuality", ScheduleExpression.hourly(), 1801, "max-runtime-hourly-quality"),
        ("ModelBias", "cron(0 * * * ? *)", 3600, "max-runtime-hourly-quality"),
        ("DataQuality", ScheduleExpression.hourly(), 3601, "max-runtime-interval"),
        ("ModelExplainability", ScheduleExpression.every_n_hours(4), 4 * 3600 + 1, "max-runtime-interval"),
        ("DataQuality", "cron(0 0/5 ? * * *)", 4 * 3600 + 1, "max-runtime-interval"),
    ],
)
def test_runtime_beyond_cadence_is_refused(monitoring_type, schedule, runtime, rule_id):
    request = request_dict(monitoring_type)
    request["StoppingCondition"] = {"MaxRuntimeInSeconds": runtime}
    with pytest.raises(MonitoringValidationError) as err:
        validate_runtime_for_schedule(monitoring_type, request, schedule)
    assert err.value.rule.id == rule_id
    assert err.value.field == "StoppingCondition.MaxRuntimeInSeconds"


def test_runtime_without_stopping_condition_is_not_checked():
    validate_runtime_for_schedule("ModelQuality", request_dict("ModelQuality"), ScheduleExpression.hourly())


def test_request_does_not_alias_the_spec_environment():
    environment = {"publish_cloudwatch_metrics": "Enabled"}
    spec = typed_spec("DataQuality", environment=environment)
    request = spec.to_request("jd")
    request["DataQualityAppSpecification"]["Environment"]["extra"] = "x"
    assert spec.to_request("jd")["DataQualityAppSpecification"]["Environment"] == environment


@pytest.mark.parametrize(
    ("monitoring_type", "region", "image"),
    [
        (
            "DataQuality",
            "eu-west-1",
            "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        ),
        (
            "ModelQuality",
            "us-east-2",
            "777275614652.dkr.ecr.us-east-2.amazonaws.com/sagemaker-model-monitor-analyzer",
        ),
        (
            "ModelBias",
            "us-west-2",
            "306415355426.dkr.ecr.us-west-2.amazonaws.com/sagemaker-clarify-processing:1.0",
        ),
        (
            "ModelExplainability",
            "cn-north-1",
            "122526803553.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-clarify-processing:1.0",
        ),
    ],
)
def test_region_picks_the_built_in_image_of_the_type(monitoring_type, region, image):
    spec = typed_spec(monitoring_type, image_uri=None, region=region)
    request = job_definition_request(monitoring_type, spec, "jd-1")
    assert request[f"{monitoring_type}AppSpecification"]["ImageUri"] == image
    assert request == job_definition_request(
        monitoring_type, typed_spec(monitoring_type, image_uri=image), "jd-1"
    )


def test_an_explicit_image_wins_over_the_region():
    assert typed_spec("DataQuality", region="eu-west-1").image_uri == IMAGE


def test_without_image_or_region_the_error_says_how_to_pick_one():
    with pytest.raises(
        MonitoringValidationError, match=r"ImageUri: must be given as image_uri, or .* region="
    ):
        typed_spec("DataQuality", image_uri=None)
    with pytest.raises(MonitoringValidationError, match="region: has no known Model Monitor"):
        typed_spec("DataQuality", image_uri=None, region="mars-north-1")
