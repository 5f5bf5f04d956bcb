"""Builders for the tests of the pure ``monitoring`` package: UTC times, rule errors, job definitions."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.inputs import (
    BatchTransformInput,
    DatasetFormat,
    EndpointInput,
    MonitoringOutput,
)
from airflow_mm_provider.monitoring.job_definitions import JOB_DEFINITION_SPECS, JobDefinitionSpec
from airflow_mm_provider.monitoring.rules import Rule

UTC = timezone.utc


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def raises_rule(
    rule: Rule, field: str
) -> AbstractContextManager[pytest.ExceptionInfo[MonitoringValidationError]]:
    """Expect a validation error for ``rule`` whose message starts with ``field``."""
    pattern = f"^{re.escape(field)}: .*\\[rule {re.escape(rule.id)}\\]"
    return pytest.raises(MonitoringValidationError, match=pattern)


ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
CLARIFY_TYPES = ("ModelBias", "ModelExplainability")
PREDICTION = {"inference_attribute": "0"}
"""The prediction attribute of a model-quality spec (its problem type is BinaryClassification)."""
CONFIG_URI = "s3://bucket/clarify/analysis_config.json"
GROUND_TRUTH = "s3://bucket/ground-truth"
REPORTS = "s3://bucket/reports"
CAPTURE = "s3://bucket/batch-capture"
KINDS = ("endpoint", "batch")


def typed_input(kind: str, **options: Any) -> EndpointInput | BatchTransformInput:
    """An endpoint or batch-transform input with the offsets every monitor type accepts."""
    options = {"start_time_offset": "-PT2H", "end_time_offset": "-PT1H", **options}
    if kind == "endpoint":
        return EndpointInput("churn-endpoint", **options)
    return BatchTransformInput(CAPTURE, DatasetFormat.csv(header=True), **options)


def api_input(kind: str, **options: Any) -> dict[str, Any]:
    """The API form of :func:`typed_input`, written out by hand."""
    if kind == "endpoint":
        body = {"EndpointName": "churn-endpoint", "LocalPath": "/opt/ml/processing/input/endpoint"}
    else:
        body = {
            "DataCapturedDestinationS3Uri": CAPTURE,
            "DatasetFormat": {"Csv": {"Header": True}},
            "LocalPath": "/opt/ml/processing/input/batch",
        }
    key = "EndpointInput" if kind == "endpoint" else "BatchTransformInput"
    return {key: {**body, "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT1H", **options}}


def typed_spec(monitoring_type: str, kind: str = "endpoint", **overrides: Any) -> JobDefinitionSpec:
    """A minimal valid typed spec of ``monitoring_type``."""
    members: dict[str, Any] = {
        "role_arn": ROLE,
        "image_uri": CLARIFY_IMAGE if monitoring_type in CLARIFY_TYPES else IMAGE,
        "input": typed_input(kind, **(PREDICTION if monitoring_type == "ModelQuality" else {})),
        "output": MonitoringOutput(REPORTS),
    }
    if monitoring_type == "ModelQuality":
        members["problem_type"] = "BinaryClassification"
    if monitoring_type in CLARIFY_TYPES:
        members["config_uri"] = CONFIG_URI
    if monitoring_type in ("ModelQuality", "ModelBias"):
        members["ground_truth"] = GROUND_TRUTH
    return JOB_DEFINITION_SPECS[monitoring_type](**{**members, **overrides})


def request_dict(monitoring_type: str, kind: str = "endpoint") -> dict[str, Any]:
    """The API-shaped request equal to ``typed_spec(monitoring_type, kind)``, without a name."""
    app: dict[str, Any] = {"ImageUri": CLARIFY_IMAGE if monitoring_type in CLARIFY_TYPES else IMAGE}
    job_input = api_input(kind)
    if monitoring_type == "ModelQuality":
        app["ProblemType"] = "BinaryClassification"
        job_input[next(iter(job_input))]["InferenceAttribute"] = PREDICTION["inference_attribute"]
    if monitoring_type in CLARIFY_TYPES:
        app["ConfigUri"] = CONFIG_URI
    if monitoring_type in ("ModelQuality", "ModelBias"):
        job_input["GroundTruthS3Input"] = {"S3Uri": GROUND_TRUTH}
    output = {"S3Uri": REPORTS, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "Continuous"}
    return {
        f"{monitoring_type}AppSpecification": app,
        f"{monitoring_type}JobInput": job_input,
        f"{monitoring_type}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": output}]},
        "JobResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}
        },
        "RoleArn": ROLE,
    }


REGRESSION_STATISTICS = {
    "version": 0.0,
    "dataset": {"item_count": 100},
    "regression_metrics": {
        "mae": {"value": 0.5040653554420981, "standard_deviation": "NaN"},
        "mse": {"value": 0.33364933609800973, "standard_deviation": "NaN"},
        "rmse": {"value": 0.5776238707827177, "standard_deviation": "NaN"},
        "r2": {"value": -3.208758170289026, "standard_deviation": "NaN"},
    },
}
"""A model-quality ``statistics.json`` of a regression monitor, as the container writes it."""
