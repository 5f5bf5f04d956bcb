"""Bad literal values fail when Airflow parses the DAG file, and the import error names the field.

One deliberately bad DAG per family of rules is written to a folder and loaded with ``DagBag``, the way the
DAG processor loads user files.
"""

from __future__ import annotations

import textwrap

import pytest

PREAMBLE = """
from datetime import datetime, timedelta, timezone

from airflow.providers.common.compat.sdk import DAG

from airflow_mm_provider.monitoring import (
    ClusterResources, DataQualityJobDefinition, EndpointInput, ModelQualityJobDefinition, MonitoringOutput,
    StoppingCondition,
)
from airflow_mm_provider.operators.baseline import (
    SageMakerDataQualityBaselineOperator, SageMakerModelBiasBaselineOperator,
    SageMakerModelQualityBaselineOperator,
)
from airflow_mm_provider.operators.branch import SageMakerMonitoringViolationBranchOperator
from airflow_mm_provider.operators.ground_truth import SageMakerUploadGroundTruthOperator
from airflow_mm_provider.operators.schedule import (
    SageMakerDeleteMonitoringScheduleOperator, SageMakerMonitoringScheduleOperator,
    SageMakerOneTimeMonitoringOperator,
)
from airflow_mm_provider.sensors.execution import SageMakerMonitoringExecutionSensor

ROLE = "arn:aws:iam::123456789012:role/Monitor"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
OUT = MonitoringOutput(s3_uri="s3://bucket/reports")
DQ = dict(role_arn=ROLE, image_uri=IMAGE, input=EndpointInput(endpoint_name="ep"), output=OUT)
MQ = {**DQ, "input": EndpointInput(endpoint_name="ep", inference_attribute="0")}
BASELINE = dict(baseline_dataset="s3://bucket/base.csv", output_s3_uri="s3://bucket/baseline", role_arn=ROLE)

with DAG("bad", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)):
"""

BAD_DAGS = {
    "resource_name": (
        'SageMakerDeleteMonitoringScheduleOperator(task_id="t", monitoring_schedule_name="churn_monitor!")',
        "MonitoringScheduleName",
    ),
    "schedule_expression": (
        'SageMakerMonitoringScheduleOperator(task_id="t", monitoring_schedule_name="s", '
        'monitoring_type="DataQuality", job_definition=DataQualityJobDefinition(**DQ), '
        'schedule="Hourly: cron(0 * ? * * *)")',
        "ScheduleExpression",
    ),
    "time_offset": ('EndpointInput(endpoint_name="ep", start_time_offset="-1H")', "StartTimeOffset"),
    "string_typed_attribute": (
        'EndpointInput(endpoint_name="ep", inference_attribute=0)',
        "InferenceAttribute",
    ),
    "probability_threshold": (
        'EndpointInput(endpoint_name="ep", probability_threshold_attribute=1.5)',
        "ProbabilityThresholdAttribute",
    ),
    "cluster_resources": ("ClusterResources(instance_count=0)", "InstanceCount"),
    "s3_uri": ('MonitoringOutput(s3_uri="https:/bucket")', "S3Uri"),
    "role_arn": ('DataQualityJobDefinition(**{**DQ, "role_arn": "MonitorRole"})', "RoleArn"),
    "environment": ('DataQualityJobDefinition(**DQ, environment={"threshold": 0.5})', "Environment"),
    "ground_truth_required": (
        "spec = ModelQualityJobDefinition(**MQ, problem_type='Regression', ground_truth='s3://bucket/gt')\n"
        'request = spec.to_request("jd")\n'
        'del request["ModelQualityJobInput"]["GroundTruthS3Input"]\n'
        'SageMakerMonitoringScheduleOperator(task_id="t", monitoring_schedule_name="s", '
        'monitoring_type="ModelQuality", job_definition=request)',
        "GroundTruthS3Input",
    ),
    "prediction_attribute": (
        "ModelQualityJobDefinition(**DQ, problem_type='BinaryClassification', ground_truth='s3://bucket/gt')",
        "InferenceAttribute",
    ),
    "now_without_analysis_times": (
        'SageMakerMonitoringScheduleOperator(task_id="t", monitoring_schedule_name="s", '
        'monitoring_type="DataQuality", job_definition=DataQualityJobDefinition(**DQ), schedule="NOW")',
        "DataAnalysisStartTime",
    ),
    "runtime_for_cadence": (
        'SageMakerMonitoringScheduleOperator(task_id="t", monitoring_schedule_name="s", '
        'monitoring_type="ModelQuality", schedule="cron(0 * ? * * *)", '
        "job_definition=ModelQualityJobDefinition(**MQ, problem_type='Regression', "
        "ground_truth='s3://bucket/gt', stopping_condition=StoppingCondition(3600)))",
        "MaxRuntimeInSeconds",
    ),
    "one_time_window": (
        'SageMakerOneTimeMonitoringOperator(task_id="t", monitoring_type="DataQuality", '
        "job_definition=DataQualityJobDefinition(**DQ), "
        "window_start=datetime(2024, 1, 1, tzinfo=timezone.utc), "
        "window_end=datetime(2024, 1, 2, 6, tzinfo=timezone.utc))",
        "DataAnalysisStartTime",
    ),
    "baseline_problem_type": (
        'SageMakerModelQualityBaselineOperator(task_id="t", **BASELINE, problem_type="Ranking", '
        'ground_truth_attribute="label", inference_attribute="prediction")',
        "problem_type",
    ),
    "clarify_facet": (
        'SageMakerModelBiasBaselineOperator(task_id="t", **BASELINE, label="label", '
        "label_values_or_threshold=[1], facet=[])",
        "facet",
    ),
    "sensor_offset": (
        'SageMakerMonitoringExecutionSensor(task_id="t", monitoring_schedule_name="s", end_time_offset="1H")',
        "end_time_offset",
    ),
    "branch_filter": (
        'SageMakerMonitoringViolationBranchOperator(task_id="t", monitoring_type="ModelQuality", '
        'monitoring_schedule_name="s", on_completed="a", on_violations="b", min_count=0)',
        "min_count",
    ),
    "branch_check_types": (
        'SageMakerMonitoringViolationBranchOperator(task_id="t", monitoring_type="ModelQuality", '
        'monitoring_schedule_name="s", on_completed="a", on_violations="b", check_types="not_a_check")',
        "check_types",
    ),
    "branch_subjects": (
        'SageMakerMonitoringViolationBranchOperator(task_id="t", monitoring_type="ModelBias", '
        'monitoring_schedule_name="s", on_completed="a", on_violations="b", subjects=["DPPL", "dppl"])',
        "subjects",
    ),
    "ground_truth_event_id": (
        'SageMakerUploadGroundTruthOperator(task_id="t", ground_truth_s3_uri="s3://bucket/gt", '
        'labels=[("e1", 1), ("e1", 0)])',
        "eventId",
    ),
}


@pytest.fixture(scope="module")
def import_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Write one bad DAG file per family, load the folder with DagBag, return file stem -> import error."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    folder = tmp_path_factory.mktemp("bad_dags")
    for family, (statement, _) in BAD_DAGS.items():
        (folder / f"bad_{family}.py").write_text(PREAMBLE + textwrap.indent(statement, "    ") + "\n")
    bag = DagBag(dag_folder=str(folder))
    assert not bag.dags, f"bad DAGs were accepted: {sorted(bag.dags)}"
    return {
        path.rsplit("/", 1)[-1][len("bad_") : -len(".py")]: error for path, error in bag.import_errors.items()
    }


@pytest.mark.parametrize("family", sorted(BAD_DAGS))
def test_bad_literal_fails_at_parse_time_naming_the_field(import_errors: dict[str, str], family: str):
    assert family in import_errors, f"bad_{family}.py parsed without error"
    field = BAD_DAGS[family][1]
    last_line = import_errors[family].strip().splitlines()[-1]
    assert "Error" in last_line and field in last_line, last_line
