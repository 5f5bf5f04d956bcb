"""Every registered rule has a failing case through the public API, and docs/validation-rules.md is current.

When you add a rule, add a case to ``CASES``. When a rule changes, regenerate the docs: from the repository
root, run this and write its output to docs/validation-rules.md:

    python -c "from airflow_mm_provider.monitoring import rules; print(rules.rules_table_markdown(), end='')"
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_mm_provider.monitoring import baselining, ground_truth, images
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.inputs import (
    BaselineConfig,
    BatchTransformInput,
    ClusterResources,
    DatasetFormat,
    EndpointInput,
    GroundTruthInput,
    MonitoringOutput,
    NetworkConfig,
    StoppingCondition,
    Tags,
)
from airflow_mm_provider.monitoring.job_definitions import (
    job_definition_request,
    schedule_request,
    validate_runtime_for_schedule,
)
from airflow_mm_provider.monitoring.rules import all_rules, rules_table_markdown
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from tests.support.monitoring import CAPTURE, request_dict, typed_input, typed_spec

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation-rules.md"


def with_member(monitoring_type: str, path: str, value: Any, kind: str = "endpoint") -> dict[str, Any]:
    """A valid request of ``monitoring_type`` with the member at dotted ``path`` set (None removes it)."""
    request = request_dict(monitoring_type, kind)
    *parents, last = path.split(".")
    target = request
    for key in parents:
        target = target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return request


def dict_request(monitoring_type: str, path: str, value: Any, kind: str = "endpoint") -> Callable[[], Any]:
    """An action that builds a request from a dict with one member changed."""
    return lambda: job_definition_request(
        monitoring_type, with_member(monitoring_type, path, value, kind), "jd"
    )


def schedule(
    expression: Any, start: str | None = None, end: str | None = None, **kwargs: Any
) -> Callable[[], Any]:
    """An action that builds a schedule request."""
    arguments = {"monitoring_type": "DataQuality", **kwargs}
    return lambda: schedule_request(
        "sched",
        job_definition_name="jd",
        schedule=expression,
        data_analysis_start_time=start,
        data_analysis_end_time=end,
        **arguments,
    )


def runtime(monitoring_type: str, seconds: int, expression: Any) -> Callable[[], Any]:
    """An action that checks a job's runtime against a schedule."""
    spec = typed_spec(monitoring_type, stopping_condition=StoppingCondition(seconds))
    return lambda: validate_runtime_for_schedule(monitoring_type, spec, expression)


LONG = "s3://bucket/" + "x" * 1100

CASES: list[tuple[str, str, Callable[[], Any]]] = [
    # checks.py
    (
        "name-pattern",
        "JobDefinitionName",
        lambda: job_definition_request("DataQuality", typed_spec("DataQuality"), "bad_name"),
    ),
    ("s3-uri-pattern", "S3Output.S3Uri", lambda: MonitoringOutput("bucket/reports")),
    ("s3-uri-length", "ConstraintsResource.S3Uri", lambda: BaselineConfig(constraints_uri=LONG)),
    ("monitoring-s3-uri-length", "GroundTruthS3Input.S3Uri", lambda: GroundTruthInput(LONG[:600])),
    ("role-arn-pattern", "RoleArn", dict_request("DataQuality", "RoleArn", "arn:aws:iam::1234:role/R")),
    ("instance-count-range", "ClusterConfig.InstanceCount", lambda: ClusterResources(instance_count=0)),
    (
        "instance-type-format",
        "ClusterConfig.InstanceType",
        lambda: ClusterResources(instance_type="m5.xlarge"),
    ),
    ("volume-size-range", "ClusterConfig.VolumeSizeInGB", lambda: ClusterResources(volume_size_in_gb=16385)),
    ("max-runtime-range", "MaxRuntimeInSeconds", lambda: StoppingCondition(86401)),
    ("kms-key-id", "KmsKeyId", lambda: MonitoringOutput("s3://b/r", kms_key_id="my key")),
    (
        "environment-size",
        "DataQualityAppSpecification.Environment",
        dict_request(
            "DataQuality", "DataQualityAppSpecification.Environment", {f"K{i}": "v" for i in range(51)}
        ),
    ),
    ("environment-key", "Environment.1st", lambda: typed_spec("DataQuality", environment={"1st": "x"})),
    (
        "environment-value",
        "Environment.threshold",
        lambda: typed_spec("ModelBias", environment={"threshold": 0.5}),
    ),
    ("tags-count", "Tags", lambda: Tags({f"k{i}": "v" for i in range(51)})),
    ("tag-key", "Tags[0].Key", lambda: Tags([{"Key": "", "Value": "v"}])),
    ("tag-key-reserved-prefix", "Tags[0].Key", lambda: Tags({"aws:team": "ml"})),
    ("tag-value", "Tags[0].Value", lambda: Tags({"team": "a|b"})),
    ("security-group-ids", "VpcConfig.SecurityGroupIds", lambda: NetworkConfig(("sg-1",) * 6, ("subnet-1",))),
    ("subnets", "VpcConfig.Subnets", lambda: NetworkConfig(("sg-1",))),
    ("container-arguments", "ContainerArguments", lambda: typed_spec("DataQuality", container_arguments=[])),
    (
        "container-entrypoint",
        "ModelQualityAppSpecification.ContainerEntrypoint[0]",
        dict_request("ModelQuality", "ModelQualityAppSpecification.ContainerEntrypoint", ["x" * 257]),
    ),
    (
        "image-uri",
        "AppSpecification.ImageUri",
        lambda: typed_spec("ModelExplainability", image_uri="x" * 256),
    ),
    (
        "image-or-region",
        "ModelBiasAppSpecification.ImageUri",
        lambda: typed_spec("ModelBias", image_uri=None),
    ),
    (
        "string-attribute",
        "EndpointInput.InferenceAttribute",
        lambda: EndpointInput("ep", inference_attribute=0),
    ),
    (
        "probability-threshold-range",
        "EndpointInput.ProbabilityThresholdAttribute",
        lambda: EndpointInput("ep", probability_threshold_attribute=1.5),
    ),
    (
        "exclude-features-length",
        "BatchTransformInput.ExcludeFeaturesAttribute",
        lambda: BatchTransformInput(CAPTURE, DatasetFormat.parquet(), exclude_features_attribute="x" * 101),
    ),
    ("local-path", "EndpointInput.LocalPath", lambda: EndpointInput("ep", local_path="")),
    (
        "boolean-field",
        "NetworkConfig.EnableNetworkIsolation",
        lambda: NetworkConfig(enable_network_isolation="yes"),
    ),
    (
        "required-field",
        "ModelBiasAppSpecification.ConfigUri",
        dict_request("ModelBias", "ModelBiasAppSpecification.ConfigUri", None),
    ),
    ("object-field", "JobResources", dict_request("DataQuality", "JobResources", [])),
    # inputs.py
    ("s3-input-mode-enum", "EndpointInput.S3InputMode", lambda: EndpointInput("ep", s3_input_mode="file")),
    (
        "s3-data-distribution-type-enum",
        "BatchTransformInput.S3DataDistributionType",
        lambda: BatchTransformInput(CAPTURE, DatasetFormat.json(), s3_data_distribution_type="Sharded"),
    ),
    (
        "s3-upload-mode-enum",
        "S3Output.S3UploadMode",
        lambda: MonitoringOutput("s3://b/r", s3_upload_mode="Batch"),
    ),
    (
        "dataset-format-one-of",
        "BatchTransformInput.DatasetFormat",
        dict_request(
            "ModelBias",
            "ModelBiasJobInput.BatchTransformInput.DatasetFormat",
            {"Csv": {}, "Json": {}},
            "batch",
        ),
    ),
    (
        "monitoring-outputs-count",
        "DataQualityJobOutputConfig.MonitoringOutputs",
        dict_request("DataQuality", "DataQualityJobOutputConfig.MonitoringOutputs", []),
    ),
    # job_definitions.py
    ("monitoring-type-enum", "MonitoringType", schedule("cron(0 * ? * * *)", monitoring_type="Quality")),
    (
        "monitoring-type-match",
        "MonitoringType",
        lambda: job_definition_request("ModelQuality", typed_spec("DataQuality"), "jd"),
    ),
    (
        "monitoring-input-one-of",
        "ModelExplainabilityJobInput",
        dict_request(
            "ModelExplainability", "ModelExplainabilityJobInput.BatchTransformInput", {"LocalPath": "/x"}
        ),
    ),
    (
        "ground-truth-required",
        "ModelQualityJobInput.GroundTruthS3Input",
        dict_request("ModelQuality", "ModelQualityJobInput.GroundTruthS3Input", None),
    ),
    ("problem-type-enum", "ProblemType", lambda: typed_spec("ModelQuality", problem_type="Classification")),
    (
        "baseline-statistics-data-quality-only",
        "ModelQualityBaselineConfig.StatisticsResource",
        lambda: typed_spec("ModelQuality", baseline=BaselineConfig(statistics_uri="s3://b/statistics.json")),
    ),
    (
        "max-runtime-hourly-quality",
        "MaxRuntimeInSeconds",
        runtime("ModelBias", 3600, ScheduleExpression.hourly()),
    ),
    ("max-runtime-interval", "MaxRuntimeInSeconds", runtime("DataQuality", 7200, "cron(0 * ? * * *)")),
    ("analysis-times-need-schedule", "ScheduleConfig", schedule(None, "-PT2H", "-PT1H")),
    # windows.py
    (
        "analysis-window-order",
        "EndpointInput.StartTimeOffset",
        lambda: EndpointInput("ep", start_time_offset="-PT1H", end_time_offset="-PT2H"),
    ),
    ("now-analysis-times-required", "ScheduleConfig.DataAnalysisEndTime", schedule("NOW", "-PT2H")),
    (
        "analysis-times-max-24h",
        "ScheduleConfig.DataAnalysisStartTime",
        schedule(ScheduleExpression.now(), "-P2D", "-PT0H"),
    ),
    (
        "time-offset-format",
        "EndpointInput.StartTimeOffset",
        lambda: EndpointInput("ep", start_time_offset="1 hour"),
    ),
    (
        "time-offset-length",
        "EndpointInput.EndTimeOffset",
        lambda: EndpointInput("ep", end_time_offset="-PT000000000001H"),
    ),
    (
        "time-offset-no-years-months",
        "EndpointInput.StartTimeOffset",
        lambda: EndpointInput("ep", start_time_offset="-P1M"),
    ),
    (
        "time-offset-not-positive",
        "EndpointInput.EndTimeOffset",
        lambda: EndpointInput("ep", end_time_offset="PT1H"),
    ),
    # schedule.py
    ("schedule-expression-form", "ScheduleConfig.ScheduleExpression", schedule("Hourly: cron(0 * ? * * *)")),
    ("schedule-hour-range", "ScheduleConfig.ScheduleExpression", schedule("cron(0 24 ? * * *)")),
    ("schedule-interval-range", "ScheduleConfig.ScheduleExpression", schedule("cron(0 0/25 ? * * *)")),
    # images.py
    ("image-region-known", "region", lambda: images.image_uri_for("DataQuality", "mars-north-1")),
    (
        "image-matches-monitoring-type",
        "ModelBiasAppSpecification.ImageUri",
        lambda: typed_spec("ModelBias", image_uri=images.analyzer_image_uri("us-east-1")),
    ),
    # prediction_attributes.py
    (
        "model-quality-inference-attribute",
        "EndpointInput.InferenceAttribute",
        lambda: typed_spec(
            "ModelQuality",
            problem_type="Regression",
            input=typed_input("endpoint", probability_attribute="0"),
        ),
    ),
    (
        "probability-threshold-binary-only",
        "EndpointInput.ProbabilityThresholdAttribute",
        lambda: typed_spec(
            "ModelQuality",
            problem_type="MulticlassClassification",
            input=typed_input("endpoint", inference_attribute="0", probability_threshold_attribute=0.5),
        ),
    ),
    # baselining.py
    ("baseline-dataset-format", "dataset_format", lambda: baselining.container_dataset_format({"xml": {}})),
    (
        "model-quality-prediction-attribute",
        "inference_attribute",
        lambda: baselining.ModelQualityAttributes("Regression", "y"),
    ),
    (
        "clarify-dataset-type-enum",
        "dataset_type",
        lambda: baselining.validate_explainability_analysis_config({"dataset_type": "csv"}),
    ),
    (
        "clarify-values-list",
        "label_values_or_threshold",
        lambda: baselining.bias_analysis_config(label="y", label_values_or_threshold=[], facet="s"),
    ),
    (
        "clarify-facet",
        "facet",
        lambda: baselining.bias_analysis_config(label="y", label_values_or_threshold=[1], facet=[]),
    ),
    (
        "clarify-bias-methods",
        "methods",
        lambda: baselining.bias_analysis_config(
            label="y", label_values_or_threshold=[1], facet="s", pre_training_methods=["AD"]
        ),
    ),
    (
        "clarify-predictor",
        "predictor",
        lambda: baselining.predictor_config(model_name="m", initial_instance_count=0),
    ),
    ("clarify-shap-config", "shap", lambda: baselining.shap_config(agg_method="max")),
    # ground_truth.py
    (
        "ground-truth-event-id",
        "labels[0].eventMetadata.eventId",
        lambda: ground_truth.event_id_text("x" * 65, "labels[0]"),
    ),
    (
        "ground-truth-event-id-unique",
        "labels[1].eventMetadata.eventId",
        lambda: ground_truth.build_records(ground_truth.labels_from_items([("a1", 1), ("a1", 0)]), "CSV"),
    ),
    (
        "ground-truth-label",
        "labels[0].groundTruthData.data",
        lambda: ground_truth.label_data(float("nan"), "CSV", "labels[0]"),
    ),
    ("ground-truth-encoding", "groundTruthData.encoding", lambda: ground_truth.check_encoding("XML")),
    ("ground-truth-label-item", "labels[0]", lambda: ground_truth.labels_from_items([("a1", 1, 2)])),
]


@pytest.mark.parametrize(("rule_id", "field", "action"), [pytest.param(*case, id=case[0]) for case in CASES])
def test_each_rule_fails_through_the_public_api(rule_id, field, action):
    with pytest.raises(MonitoringValidationError) as err:
        action()
    assert err.value.rule.id == rule_id
    assert field in err.value.field
    assert str(err.value).startswith(err.value.field)
    assert f"[rule {rule_id}]" in str(err.value)


def test_every_registered_rule_has_a_case():
    covered = [rule_id for rule_id, _, _ in CASES]
    assert len(covered) == len(set(covered)), "a rule id appears twice in CASES"
    assert set(covered) == {rule.id for rule in all_rules()}
    assert len(covered) >= 30


def test_rules_doc_is_current():
    assert DOCS.read_text(encoding="utf-8") == rules_table_markdown(), (
        "docs/validation-rules.md is stale; regenerate it as the test_rules.py docstring says"
    )


def test_rules_table_has_one_row_per_rule():
    rows = [line for line in rules_table_markdown().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [rule.id for rule in all_rules()]
    assert all(row.count(" | ") == 3 for row in rows)
