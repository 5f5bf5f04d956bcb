"""End-to-end monitoring scenarios against the local service with the real analysis engine.

Driven only through boto3 and the control interface (``run_due``): baseline processing job, job definition
with its constraints, hourly schedule, two hours of synthetic traffic (the second degraded), then the
executions' statuses and the violation files at their documented S3 keys.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from airflow_mm_provider.local.synthetic import (
    FACET,
    Degradation,
    bias_analysis_config,
    bias_baseline_csv,
    make_traffic,
    model_quality_baseline_csv,
)
from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.scenario import (
    GROUND_TRUTH,
    HOUR,
    HOUR0,
    MQ_BASELINE_ENV,
    PROCESSING,
    RECORDS,
    Scenario,
    ingest_data_quality_baseline,
)
from tests.support.service import ANALYZER, BUCKET, CLARIFY


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
