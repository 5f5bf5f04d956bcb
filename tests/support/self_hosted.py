"""The self-hosted analysis operator and the monitors its tests run on the local service's seeded traffic
(data quality, model quality, bias), shared by the one-task, sharded and IAM tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from airflow_mm_provider.local.synthetic import Degradation, bias_analysis_config, make_traffic
from airflow_mm_provider.monitoring.tolerance import DEFAULT_BIAS_TOLERANCE
from airflow_mm_provider.operators.self_hosted import SelfHostedMonitoringAnalysisOperator
from tests.support.bias import counts
from tests.support.reports import mq_constraints
from tests.support.scenario import CAPTURE, GROUND_TRUTH, RECORDS, Scenario, ingest_data_quality_baseline
from tests.support.service import ANALYZER, BUCKET, CLARIFY, job_definition

SELF_HOSTED = f"s3://{BUCKET}/self-hosted"
"""Where the self-hosted runs write their reports (Model Monitor's go to REPORTS)."""
MONITOR = "churn-monitor"


def operator(**kwargs: Any) -> SelfHostedMonitoringAnalysisOperator:
    """The operator with a data-quality endpoint definition, unless ``kwargs`` say otherwise."""
    definition = job_definition("DataQuality", "unused")
    del definition["JobDefinitionName"]
    arguments: dict[str, Any] = {
        "task_id": "analyse",
        "monitoring_schedule_name": MONITOR,
        "monitoring_type": "DataQuality",
        "job_definition": definition,
        "capture_destination": CAPTURE,
        **kwargs,
    }
    return SelfHostedMonitoringAnalysisOperator(**arguments)


@dataclass(frozen=True)
class Monitor:
    """A monitor of endpoint ``ep``: its type, job definition (reports to REPORTS) and degraded hour."""

    monitoring_type: str
    definition: dict[str, Any]
    degradation: Degradation

    def self_hosted(self) -> dict[str, Any]:
        """The same definition with its reports going to SELF_HOSTED."""
        definition = json.loads(json.dumps(self.definition))
        output = definition[f"{self.monitoring_type}JobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]
        output["S3Uri"] = SELF_HOSTED
        return definition


def data_quality(scenario: Scenario) -> Monitor:
    """Data quality against a baseline job's statistics and constraints; an extra column and a drift."""
    output = ingest_data_quality_baseline(scenario)
    definition = {
        "DataQualityBaselineConfig": {
            "ConstraintsResource": {"S3Uri": f"{output}/constraints.json"},
            "StatisticsResource": {"S3Uri": f"{output}/statistics.json"},
        },
        "DataQualityAppSpecification": {"ImageUri": ANALYZER},
        "DataQualityJobInput": {"EndpointInput": scenario.endpoint_input()},
        **scenario.common("DataQuality"),
    }
    return Monitor("DataQuality", definition, Degradation(extra_column=True, drift={"income": 2.0}))


def model_quality(scenario: Scenario) -> Monitor:
    """Binary-classification model quality against suggested constraints; flipped predictions."""
    constraints = scenario.put(f"s3://{BUCKET}/baselines/mq/constraints.json", json.dumps(mq_constraints()))
    definition = {
        "ModelQualityBaselineConfig": {"ConstraintsResource": {"S3Uri": constraints}},
        "ModelQualityAppSpecification": {"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        "ModelQualityJobInput": {
            "EndpointInput": scenario.endpoint_input(
                ProbabilityAttribute="0", ProbabilityThresholdAttribute=0.5
            ),
            "GroundTruthS3Input": {"S3Uri": GROUND_TRUTH},
        },
        **scenario.common("ModelQuality"),
    }
    return Monitor("ModelQuality", definition, Degradation(flip_fraction=0.3))


def model_bias(scenario: Scenario) -> Monitor:
    """Bias drift against the healthy hour's own analysis; fewer positive predictions for one facet value."""
    baseline = DEFAULT_BIAS_TOLERANCE.apply(counts(make_traffic(RECORDS, 11)).analysis())
    analysis = scenario.put(f"s3://{BUCKET}/baselines/bias/analysis.json", json.dumps(baseline))
    config = scenario.put(
        f"s3://{BUCKET}/monitoring/bias/analysis_config.json", json.dumps(bias_analysis_config())
    )
    definition = {
        "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": analysis}},
        "ModelBiasAppSpecification": {"ImageUri": CLARIFY, "ConfigUri": config},
        "ModelBiasJobInput": {
            "EndpointInput": scenario.endpoint_input(
                ProbabilityAttribute="0", ProbabilityThresholdAttribute=0.5
            ),
            "GroundTruthS3Input": {"S3Uri": GROUND_TRUTH},
        },
        **scenario.common("ModelBias"),
    }
    return Monitor("ModelBias", definition, Degradation(facet_value=0, facet_scale=0.2))
