"""Inconsistent inputs are refused twice: by the request model when the DAG is parsed (a
``MonitoringValidationError`` naming the field and the rule) and by ``mm-local`` over real boto3 (a
``ValidationException`` carrying the same field and rule id).

Each test cites the public source of the rule. Where the sources only say how the SDK or AWS-authored code
behaves, not whether the real service refuses the request, the rule's "mirrors" text in
docs/validation-rules.md says so.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring import images
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.inputs import EndpointInput, Tags
from airflow_mm_provider.operators.schedule import SageMakerMonitoringScheduleOperator
from tests.support.monitoring import typed_input, typed_spec
from tests.support.service import (
    ANALYZER,
    BUCKET,
    CLARIFY,
    ROLE,
    create_definition,
    endpoint,
    error_code,
    error_message,
    job_definition,
    schedule_config,
    snake,
)

MQ_INPUT = "ModelQualityJobInput.EndpointInput"


@pytest.fixture
def sm(mm_local: LocalModelMonitor) -> Any:
    """A SageMaker client of the local service, without retries."""
    return mm_local.client("sagemaker", retries={"total_max_attempts": 1})


def parse_error(action: Any) -> MonitoringValidationError:
    """The request-model error ``action`` raises."""
    with pytest.raises(MonitoringValidationError) as excinfo:
        action()
    return excinfo.value


def assert_parse_time(action: Any, rule_id: str, field: str) -> None:
    """``action`` fails in the request model with ``rule_id``, naming ``field``."""
    err = parse_error(action)
    assert (err.rule.id, err.field) == (rule_id, field)
    assert str(err).startswith(f"{field}: ") and f"[rule {rule_id}]" in str(err)


def assert_refused(call: Any, rule_id: str, field: str) -> None:
    """``call`` is answered ValidationException naming ``field`` and ``rule_id``."""
    with pytest.raises(ClientError) as excinfo:
        call()
    assert error_code(excinfo) == "ValidationException"
    assert error_message(excinfo).startswith(f"{field}: ")
    assert f"[rule {rule_id}]" in error_message(excinfo)


def model_quality(problem_type: str, **attributes: Any) -> dict[str, Any]:
    """CreateModelQualityJobDefinition arguments for endpoint ``ep`` with only ``attributes`` set."""
    args = job_definition("ModelQuality", "mq")
    args["ModelQualityAppSpecification"]["ProblemType"] = problem_type
    holder = args["ModelQualityJobInput"]["EndpointInput"]
    holder.pop("InferenceAttribute")
    holder.update(attributes)
    return args


def inline_config(**endpoint_input: str) -> dict[str, Any]:
    """An inline (BYOC) MonitoringScheduleConfig on endpoint ``ep`` with extra EndpointInput members."""
    output = {"S3Uri": f"s3://{BUCKET}/reports", "LocalPath": "/opt/ml/processing/output"}
    return {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": {
            "MonitoringInputs": [
                {
                    "EndpointInput": {
                        "EndpointName": "ep",
                        "LocalPath": "/opt/ml/processing/input/endpoint",
                        **endpoint_input,
                    }
                }
            ],
            "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": output}]},
            "MonitoringResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
            },
            "MonitoringAppSpecification": {"ImageUri": ANALYZER},
            "RoleArn": ROLE,
        },
    }


@pytest.mark.parametrize("problem_type", ["BinaryClassification", "MulticlassClassification"])
def test_classification_needs_an_inference_or_probability_attribute(sm: Any, problem_type: str) -> None:
    """Sources: DG model-monitor-model-quality-baseline (the baseline dataset holds the model's predictions,
    located by inference_attribute and probability_attribute); AWS Solutions mlops-workload-orchestrator,
    source/infrastructure/lib/blueprints/lambdas/create_baseline_job/baselines_helper.py (binary
    classification needs the inference attribute or the probability attribute with its threshold)."""
    assert_parse_time(
        lambda: typed_spec("ModelQuality", problem_type=problem_type, input=typed_input("endpoint")),
        "model-quality-prediction-attribute",
        "ModelQualityJobInput.EndpointInput.InferenceAttribute",
    )
    assert_refused(
        lambda: sm.create_model_quality_job_definition(**model_quality(problem_type)),
        "model-quality-prediction-attribute",
        f"{MQ_INPUT}.InferenceAttribute",
    )


def test_regression_needs_an_inference_attribute(sm: Any) -> None:
    """Source: AWS Solutions mlops-workload-orchestrator baselines_helper.py (regression and multiclass
    classification require the inference attribute; the probability attribute serves binary classification
    only). The real service's answer is not documented; issue 11 reports such a job ending Failed with "Job
    inputs had no data"."""
    assert_parse_time(
        lambda: typed_spec(
            "ModelQuality",
            problem_type="Regression",
            input=typed_input("endpoint", probability_attribute="0"),
        ),
        "model-quality-inference-attribute",
        "ModelQualityJobInput.EndpointInput.InferenceAttribute",
    )
    assert_refused(
        lambda: sm.create_model_quality_job_definition(
            **model_quality("Regression", ProbabilityAttribute="0")
        ),
        "model-quality-inference-attribute",
        f"{MQ_INPUT}.InferenceAttribute",
    )


@pytest.mark.parametrize("problem_type", ["Regression", "MulticlassClassification"])
def test_probability_threshold_is_for_binary_classification_only(sm: Any, problem_type: str) -> None:
    """Sources: botocore SageMaker service model, EndpointInput.ProbabilityThresholdAttribute (the cut-off at
    which a class probability counts as a positive result); AWS Solutions mlops-workload-orchestrator
    baselines_helper.py (the threshold is used with BinaryClassification only)."""
    assert_parse_time(
        lambda: typed_spec(
            "ModelQuality",
            problem_type=problem_type,
            input=typed_input("endpoint", inference_attribute="0", probability_threshold_attribute=0.5),
        ),
        "probability-threshold-binary-only",
        "ModelQualityJobInput.EndpointInput.ProbabilityThresholdAttribute",
    )
    assert_refused(
        lambda: sm.create_model_quality_job_definition(
            **model_quality(problem_type, InferenceAttribute="0", ProbabilityThresholdAttribute=0.5)
        ),
        "probability-threshold-binary-only",
        f"{MQ_INPUT}.ProbabilityThresholdAttribute",
    )


def test_binary_classification_accepts_each_documented_prediction_source(sm: Any) -> None:
    """The rules above leave the documented combinations alone. Sources: DG
    model-monitor-model-quality-baseline (inference and probability attributes together); botocore SageMaker
    service model (ProbabilityAttribute is the class probability of a classification problem,
    ProbabilityThresholdAttribute the cut-off for a positive result)."""
    combinations = [
        {"InferenceAttribute": "0"},
        {"ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5},
        {"InferenceAttribute": "0", "ProbabilityAttribute": "1"},
    ]
    for index, attributes in enumerate(combinations):
        args = model_quality("BinaryClassification", **attributes)
        args["JobDefinitionName"] = f"mq-{index}"
        assert sm.create_model_quality_job_definition(**args)["JobDefinitionArn"].endswith(f"/mq-{index}")
    typed_spec(
        "ModelQuality",
        input=typed_input("endpoint", probability_attribute="0", probability_threshold_attribute=0.5),
    )


@pytest.mark.parametrize(
    ("job_type", "image"),
    [("ModelBias", ANALYZER), ("ModelExplainability", ANALYZER), ("ModelQuality", CLARIFY)],
)
def test_job_definition_image_matches_its_monitoring_type(sm: Any, job_type: str, image: str) -> None:
    """Sources: SageMaker Python SDK v2 (ModelBiasMonitor and ModelExplainabilityMonitor in
    clarify_model_monitoring.py retrieve the "clarify" image; DefaultModelMonitor and ModelQualityMonitor in
    model_monitoring.py the "model-monitor" image); DG clarify-model-monitor-bias-drift. Whether the real
    service refuses a mismatched image at create time is not documented."""
    assert_parse_time(
        lambda: typed_spec(job_type, image_uri=image),
        "image-matches-monitoring-type",
        f"{job_type}AppSpecification.ImageUri",
    )
    args = job_definition(job_type, "jd")
    args[f"{job_type}AppSpecification"]["ImageUri"] = image
    create = getattr(sm, f"create_{snake(job_type)}_job_definition")
    assert_refused(
        lambda: create(**args), "image-matches-monitoring-type", f"{job_type}AppSpecification.ImageUri"
    )


def test_matching_and_custom_images_are_accepted(sm: Any) -> None:
    """A bring-your-own image is not the other family's built-in one, so it passes (DG model-monitor-byoc)."""
    custom = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-bias-monitor:1"
    typed_spec("ModelBias", image_uri=custom)
    typed_spec("ModelBias", image_uri=images.clarify_image_uri("eu-west-1"))
    args = job_definition("ModelBias", "bias")
    args["ModelBiasAppSpecification"]["ImageUri"] = custom
    assert sm.create_model_bias_job_definition(**args)["JobDefinitionArn"].endswith("/bias")


@pytest.mark.parametrize("key", ["aws:team", "AWS:team"])
def test_tag_keys_must_not_use_the_reserved_aws_prefix(sm: Any, key: str) -> None:
    """Sources: sagemaker-python-sdk issue #1301 (a real SageMaker DeleteTags answer: ValidationException
    "System prefix 'aws:' reserved for AWS usage in tag key: ..."), fixed by PR #1362 (the SDK skips such
    tags, as no tag key may start with aws:); AWS tagging rules, e.g. the ECS and Batch Tag docs (the prefix
    is reserved in any letter case). Whether SageMaker itself ignores letter case is not documented."""
    assert_parse_time(lambda: Tags({key: "ml"}), "tag-key-reserved-prefix", "Tags[0].Key")
    tags = [{"Key": "team", "Value": "ml"}, {"Key": key, "Value": "ml"}]
    assert_refused(
        lambda: create_definition(sm, "DataQuality", "dq", Tags=tags),
        "tag-key-reserved-prefix",
        "Tags[1].Key",
    )
    assert sm.list_data_quality_job_definitions()["JobDefinitionSummaries"] == []
    arn = create_definition(sm, "DataQuality", "dq", Tags=[{"Key": "team", "Value": "ml"}])
    assert_refused(
        lambda: sm.add_tags(ResourceArn=arn, Tags=[{"Key": key, "Value": "x"}]),
        "tag-key-reserved-prefix",
        "Tags[0].Key",
    )
    assert_refused(
        lambda: sm.delete_tags(ResourceArn=arn, TagKeys=["team", key]),
        "tag-key-reserved-prefix",
        "TagKeys[1]",
    )
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]


@pytest.mark.parametrize(
    ("offsets", "rule_id", "member"),
    [
        ({"StartTimeOffset": "PT1H"}, "time-offset-not-positive", "StartTimeOffset"),
        ({"EndTimeOffset": "+PT1H"}, "time-offset-not-positive", "EndTimeOffset"),
        ({"StartTimeOffset": "-P1M"}, "time-offset-no-years-months", "StartTimeOffset"),
        ({"StartTimeOffset": "-P1Y"}, "time-offset-no-years-months", "StartTimeOffset"),
    ],
)
def test_input_offsets_are_look_backs_without_months(
    mm_local: LocalModelMonitor, sm: Any, offsets: dict[str, str], rule_id: str, member: str
) -> None:
    """Sources: botocore SageMaker service model, EndpointInput.StartTimeOffset / EndTimeOffset (jobs
    subtract them from the window's start and end); DG model-monitor-model-quality-schedule (examples -P8D
    and -P1D; units hours, days and minutes, never months or years). That the service refuses a positive or
    calendar offset is inferred, not documented. Checked for job-definition and inline inputs."""
    snake = {"StartTimeOffset": "start_time_offset", "EndTimeOffset": "end_time_offset"}
    assert_parse_time(
        lambda: EndpointInput("ep", **{snake[k]: v for k, v in offsets.items()}),
        rule_id,
        f"EndpointInput.{member}",
    )
    args = job_definition("ModelQuality", "mq")
    args["ModelQualityJobInput"]["EndpointInput"].update(offsets)
    assert_refused(lambda: sm.create_model_quality_job_definition(**args), rule_id, f"{MQ_INPUT}.{member}")
    endpoint(sm)
    assert_refused(
        lambda: sm.create_monitoring_schedule(
            MonitoringScheduleName="inline", MonitoringScheduleConfig=inline_config(**offsets)
        ),
        rule_id,
        f"MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringInputs[0].EndpointInput.{member}",
    )
    assert sm.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    sm.create_monitoring_schedule(
        MonitoringScheduleName="inline",
        MonitoringScheduleConfig=inline_config(StartTimeOffset="-PT2H", EndTimeOffset="-PT0H"),
    )


def test_now_schedule_needs_its_analysis_times(sm: Any) -> None:
    """Sources: botocore SageMaker service model, ScheduleConfig.DataAnalysisStartTime / DataAnalysisEndTime
    ("If you set ScheduleExpression to NOW, this parameter is required"); SageMaker Python SDK
    _check_monitoring_schedule_cron_validity (refuses NOW without both times)."""
    assert_parse_time(
        lambda: SageMakerMonitoringScheduleOperator(
            task_id="t",
            monitoring_schedule_name="once",
            monitoring_type="DataQuality",
            job_definition=typed_spec("DataQuality"),
            schedule="NOW",
        ),
        "now-analysis-times-required",
        "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime",
    )
    endpoint(sm)
    create_definition(sm, "DataQuality", "dq")
    assert_refused(
        lambda: sm.create_monitoring_schedule(
            MonitoringScheduleName="once",
            MonitoringScheduleConfig=schedule_config("dq", "DataQuality", "NOW", DataAnalysisEndTime="-PT0H"),
        ),
        "now-analysis-times-required",
        "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime",
    )
