"""What a worker can analyse: monitoring types, analyzer scripts and the capture destination."""

from __future__ import annotations

import pytest

from airflow_mm_provider.monitoring.self_hosted import SELF_HOSTED_TYPES, check_self_hosted, self_hosted_type
from tests.support.service import job_definition


@pytest.mark.parametrize(
    ("given", "expected"),
    [("DataQuality", "DataQuality"), ("ModelQuality", "ModelQuality"), ("ModelBias", "ModelBias")],
)
def test_data_quality_model_quality_and_bias_are_analysed_on_the_worker(given: str, expected: str) -> None:
    assert self_hosted_type(given) == expected
    assert expected in SELF_HOSTED_TYPES


def test_explainability_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="^kind: ModelExplainability is not analysed on the worker: SHAP"):
        self_hosted_type("ModelExplainability", "kind")


@pytest.mark.parametrize("member", ["RecordPreprocessorSourceUri", "PostAnalyticsProcessorSourceUri"])
def test_analyzer_container_scripts_are_refused(member: str) -> None:
    request = job_definition("ModelQuality", "jd")
    request["ModelQualityAppSpecification"][member] = "s3://bucket/script.py"

    with pytest.raises(ValueError, match=f"^ModelQualityAppSpecification.{member}: the worker runs"):
        check_self_hosted("ModelQuality", request, "s3://bucket/capture")


def test_an_endpoint_input_needs_the_capture_destination_and_a_batch_input_does_not() -> None:
    with pytest.raises(ValueError, match="^capture_destination: required for an EndpointInput"):
        check_self_hosted("DataQuality", job_definition("DataQuality", "jd"), None)

    check_self_hosted("DataQuality", job_definition("DataQuality", "jd"), "s3://bucket/capture")
    check_self_hosted("DataQuality", job_definition("DataQuality", "jd", endpoint_name=None), None)
