"""End-to-end monitoring scenarios against the local service with the real analysis engine.

Driven only through boto3 and the control interface (``run_due``): baseline processing job, job definition
with its constraints, hourly schedule, two hours of synthetic traffic (the second degraded), then the
executions' statuses and the violation files at their documented S3 keys.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_mm_provider.local.synthetic import (
    FACET,
    Degradation,
    bias_analysis_config,
    bias_baseline_csv,
    data_quality_baseline_csv,
    hour_files,
    make_traffic,
    model_quality_baseline_csv,
)
from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.local.conftest import ANALYZER, BUCKET, CLARIFY, HOURLY, ROLE, endpoint

T0 = datetime(2024, 1, 1, 0, 5, tzinfo=timezone.utc)
HOUR0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
CAPTURE = f"s3://{BUCKET}/capture"
GROUND_TRUTH = f"s3://{BUCKET}/ground-truth"
REPORTS = f"s3://{BUCKET}/reports"
PROCESSING = "/opt/ml/processing"
RECORDS = 1500
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}}
MQ_BASELINE_ENV = {
    "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
    "dataset_source": f"{PROCESSING}/input/baseline_dataset_input",
    "output_path": f"{PROCESSING}/output",
    "publish_cloudwatch_metrics": "Disabled",
}


class Scenario:
    """Clients of one running service, with the steps every scenario shares."""

    def __init__(self, service: LocalModelMonitor, create: bool = True) -> None:
        """``create``: set the clock to T0 and create the bucket and endpoint ``ep`` (else they exist)."""
        self.service = service
        self.sm = service.client("sagemaker")
        self.s3 = service.client("s3")
        if create:
            service.set_clock(T0)
            self.s3.create_bucket(Bucket=BUCKET)
            endpoint(self.sm, "ep")

    def put(self, uri: str, body: bytes | str) -> str:
        """Upload one object; return its URI."""
        bucket, key = uri[len("s3://") :].split("/", 1)
        self.s3.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
        return uri

    def read_json(self, uri: str) -> Any:
        """Download and parse one JSON object."""
        bucket, key = uri[len("s3://") :].split("/", 1)
        return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def traffic(self, seeds: tuple[int, int], degradation: Degradation, ground_truth: bool = True) -> None:
        """A healthy hour 00:00 and a degraded hour 01:00 of capture (and ground truth)."""
        for index, (seed, spec) in enumerate(zip(seeds, (None, degradation), strict=True)):
            files = hour_files(
                make_traffic(RECORDS, seed, spec),
                HOUR0 + index * HOUR,
                seed,
                destination=CAPTURE,
                endpoint="ep",
                ground_truth=GROUND_TRUTH if ground_truth else None,
            )
            for uri, body in files.objects.items():
                self.put(uri, body)

    def baseline_job(
        self,
        name: str,
        image: str,
        inputs: dict[str, tuple[str, str]],
        environment: dict[str, str] | None = None,
    ) -> str:
        """Run a baselining processing job to completion; return its output prefix."""
        output = f"s3://{BUCKET}/baselining/{name}/results"
        self.sm.create_processing_job(
            ProcessingJobName=name,
            ProcessingInputs=[
                {
                    "InputName": input_name,
                    "S3Input": {
                        "S3Uri": uri,
                        "LocalPath": local,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated",
                    },
                }
                for input_name, (uri, local) in inputs.items()
            ],
            ProcessingOutputConfig={
                "Outputs": [
                    {
                        "OutputName": "monitoring_output",
                        "S3Output": {
                            "S3Uri": output,
                            "LocalPath": f"{PROCESSING}/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            ProcessingResources=CLUSTER,
            AppSpecification={"ImageUri": image},
            Environment=environment or {},
            RoleArn=ROLE,
        )
        deadline = time.monotonic() + 15
        while True:
            job = self.sm.describe_processing_job(ProcessingJobName=name)
            if job["ProcessingJobStatus"] not in ("InProgress", "Stopping") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
        return output

    def endpoint_input(self, **attributes: Any) -> dict[str, Any]:
        """EndpointInput of ``ep`` looking back one hour."""
        return {
            "EndpointName": "ep",
            "LocalPath": f"{PROCESSING}/input/endpoint",
            "StartTimeOffset": "-PT1H",
            "EndTimeOffset": "-PT0H",
            **attributes,
        }

    def common(self, kind: str) -> dict[str, Any]:
        """Members every job definition shares."""
        return {
            f"{kind}JobOutputConfig": {
                "MonitoringOutputs": [{"S3Output": {"S3Uri": REPORTS, "LocalPath": f"{PROCESSING}/output"}}]
            },
            "JobResources": CLUSTER,
            "RoleArn": ROLE,
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        }

    def run_two_hours(self, schedule: str, definition: str, kind: str) -> list[dict[str, Any]]:
        """Schedule ``definition`` hourly, run the 01:00 and 02:00 slots; return the executions by slot."""
        self.sm.create_monitoring_schedule(
            MonitoringScheduleName=schedule,
            MonitoringScheduleConfig={
                "MonitoringJobDefinitionName": definition,
                "MonitoringType": kind,
                "ScheduleConfig": {"ScheduleExpression": HOURLY},
            },
        )
        assert (
            self.sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["MonitoringScheduleStatus"]
            == "Scheduled"
        )
        self.service.run_due(T0 + 2 * HOUR)
        return self.sm.list_monitoring_executions(
            MonitoringScheduleName=schedule, SortBy="ScheduledTime", SortOrder="Ascending"
        )["MonitoringExecutionSummaries"]

    def report(self, schedule: str, hour: int, file_name: str) -> Any:
        """A report file of the execution scheduled at ``hour``:00 on 2024-01-01."""
        return self.read_json(f"{REPORTS}/ep/{schedule}/2024/01/01/{hour:02d}/{file_name}")


@pytest.fixture
def scenario(mm_local: LocalModelMonitor) -> Scenario:
    """A service with bucket ``mm-bucket`` and endpoint ``ep`` capturing to it; clock at 00:05."""
    return Scenario(mm_local)


def statuses(executions: list[dict[str, Any]]) -> list[tuple[datetime, str]]:
    """(ScheduledTime, status) of executions."""
    return [(e["ScheduledTime"], e["MonitoringExecutionStatus"]) for e in executions]


def relaxed(constraints: dict[str, Any], margin: float) -> dict[str, Any]:
    """Model-quality constraints with every threshold loosened by ``margin`` (as users tune them)."""
    section = constraints["binary_classification_constraints"]
    for rule in section.values():
        step = -margin if rule["comparison_operator"] == "LessThanThreshold" else margin
        rule["threshold"] += step
    return constraints


def test_model_quality_degraded_hour_violates_accuracy_and_f1(scenario: Scenario) -> None:
    baseline_data = scenario.put(
        f"s3://{BUCKET}/datasets/mq/baseline.csv", model_quality_baseline_csv(make_traffic(RECORDS, 1))
    )
    environment = {
        **MQ_BASELINE_ENV,
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "inference_attribute": "prediction",
        "probability_attribute": "probability",
        "ground_truth_attribute": "label",
        "probability_threshold_attribute": "0.5",
    }
    output = scenario.baseline_job(
        "mq-baseline",
        ANALYZER,
        {"baseline_dataset_input": (baseline_data, f"{PROCESSING}/input/baseline_dataset_input")},
        environment,
    )
    statistics = scenario.read_json(f"{output}/statistics.json")
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] > 0.85
    constraints = scenario.put(
        f"s3://{BUCKET}/baselines/mq/constraints.json",
        json.dumps(relaxed(scenario.read_json(f"{output}/constraints.json"), 0.05)),
    )
    scenario.sm.create_model_quality_job_definition(
        JobDefinitionName="mq-jd",
        ModelQualityBaselineConfig={"ConstraintsResource": {"S3Uri": constraints}},
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        ModelQualityJobInput={
            "EndpointInput": scenario.endpoint_input(
                ProbabilityAttribute="0", ProbabilityThresholdAttribute=0.5
            ),
            "GroundTruthS3Input": {"S3Uri": GROUND_TRUTH},
        },
        **scenario.common("ModelQuality"),
    )
    scenario.traffic((11, 12), Degradation(flip_fraction=0.3))

    executions = scenario.run_two_hours("mq-schedule", "mq-jd", "ModelQuality")

    assert statuses(executions) == [
        (HOUR0 + HOUR, "Completed"),
        (HOUR0 + 2 * HOUR, "CompletedWithViolations"),
    ]
    violations = scenario.report("mq-schedule", 2, "constraint_violations.json")["violations"]
    names = {v["metric_name"] for v in violations}
    assert {"accuracy", "f1"} <= names
    assert all(
        v["constraint_check_type"] in ("LessThanThreshold", "GreaterThanThreshold") for v in violations
    )
    clean = scenario.report("mq-schedule", 1, "statistics.json")["binary_classification_metrics"]
    degraded = scenario.report("mq-schedule", 2, "statistics.json")["binary_classification_metrics"]
    assert degraded["accuracy"]["value"] < clean["accuracy"]["value"] - 0.2


def test_model_bias_facet_degradation_violates_bias_drift_on_that_facet(scenario: Scenario) -> None:
    baseline_data = scenario.put(
        f"s3://{BUCKET}/datasets/bias/baseline.csv", bias_baseline_csv(make_traffic(RECORDS, 11))
    )
    baselining_config = {
        **{k: v for k, v in bias_analysis_config().items() if k != "headers"},
        "dataset_type": "text/csv",
        "predicted_label": "prediction",
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
    }
    config_uri = scenario.put(
        f"s3://{BUCKET}/baselining/bias-baseline/analysis_config.json", json.dumps(baselining_config)
    )
    output = scenario.baseline_job(
        "bias-baseline",
        CLARIFY,
        {
            "dataset": (baseline_data, f"{PROCESSING}/input/data"),
            "analysis_config": (config_uri, f"{PROCESSING}/input/config"),
        },
    )
    analysis = scenario.read_json(f"{output}/analysis.json")
    assert FACET in analysis["post_training_bias_metrics"]["facets"]
    monitoring_config = scenario.put(
        f"s3://{BUCKET}/monitoring/bias-jd/analysis_config.json", json.dumps(bias_analysis_config())
    )
    scenario.sm.create_model_bias_job_definition(
        JobDefinitionName="bias-jd",
        ModelBiasBaselineConfig={"ConstraintsResource": {"S3Uri": f"{output}/analysis.json"}},
        ModelBiasAppSpecification={"ImageUri": CLARIFY, "ConfigUri": monitoring_config},
        ModelBiasJobInput={
            "EndpointInput": scenario.endpoint_input(
                ProbabilityAttribute="0", ProbabilityThresholdAttribute=0.5
            ),
            "GroundTruthS3Input": {"S3Uri": GROUND_TRUTH},
        },
        **scenario.common("ModelBias"),
    )
    scenario.traffic((11, 12), Degradation(facet_value=0, facet_scale=0.2))

    executions = scenario.run_two_hours("bias-schedule", "bias-jd", "ModelBias")

    # The healthy hour replays the baseline's records: the local bias check is exact (no bootstrap interval),
    # so only identical metrics are sure to pass.
    assert statuses(executions) == [
        (HOUR0 + HOUR, "Completed"),
        (HOUR0 + 2 * HOUR, "CompletedWithViolations"),
    ]
    report = scenario.report("bias-schedule", 2, "constraint_violations.json")
    violations = report["violations"]
    assert {v["constraint_check_type"] for v in violations} == {"bias_drift_check"}
    on_facet = {v["metric_name"] for v in violations if v["facet"] == FACET and v["facet_value"] == "0"}
    assert {"DPPL", "DI"} <= on_facet
    assert {v["facet"] for v in violations} == {FACET}
    assert "post_training_bias_metrics" in scenario.report("bias-schedule", 1, "analysis.json")


def ingest_data_quality_baseline(scenario: Scenario) -> str:
    """Run a data-quality baselining job on a healthy CSV; return its output prefix."""
    baseline_data = scenario.put(
        f"s3://{BUCKET}/datasets/dq/baseline.csv", data_quality_baseline_csv(make_traffic(RECORDS, 1))
    )
    return scenario.baseline_job(
        "dq-baseline",
        ANALYZER,
        {"baseline_dataset_input": (baseline_data, f"{PROCESSING}/input/baseline_dataset_input")},
        MQ_BASELINE_ENV,
    )


def test_data_quality_extra_column_and_drifted_feature(scenario: Scenario) -> None:
    output = ingest_data_quality_baseline(scenario)
    scenario.sm.create_data_quality_job_definition(
        JobDefinitionName="dq-jd",
        DataQualityBaselineConfig={
            "ConstraintsResource": {"S3Uri": f"{output}/constraints.json"},
            "StatisticsResource": {"S3Uri": f"{output}/statistics.json"},
        },
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={
            "EndpointInput": {"EndpointName": "ep", "LocalPath": f"{PROCESSING}/input/endpoint"}
        },
        **scenario.common("DataQuality"),
    )
    scenario.traffic((11, 12), Degradation(extra_column=True, drift={"income": 2.0}), ground_truth=False)

    executions = scenario.run_two_hours("dq-schedule", "dq-jd", "DataQuality")

    assert statuses(executions) == [
        (HOUR0 + HOUR, "Completed"),
        (HOUR0 + 2 * HOUR, "CompletedWithViolations"),
    ]
    violations = scenario.report("dq-schedule", 2, "constraint_violations.json")["violations"]
    checks = {(v["constraint_check_type"], v["feature_name"]) for v in violations}
    assert ("baseline_drift_check", "income") in checks
    assert "extra_column_check" in {check for check, _ in checks}
    assert not any(
        feature in ("age", "tenure") for check, feature in checks if check == "baseline_drift_check"
    )
