"""What a self-hosted analysis (monitoring without Model Monitor, on an Airflow worker) can run.

The worker runs the package's analysis engine, not the Model Monitor containers. So it can analyse data
quality, model quality and bias, but not explainability (SHAP values need the model), and it runs no custom
preprocessing or postprocessing script. Every check raises a ``ValueError`` naming the parameter or field,
so the operator can refuse such a definition when the DAG is parsed. Pure: no Airflow, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_mm_provider.monitoring.types import monitoring_type_api

SELF_HOSTED_TYPES = ("DataQuality", "ModelQuality", "ModelBias")
"""The monitoring types a worker can analyse."""
SCRIPT_MEMBERS = ("RecordPreprocessorSourceUri", "PostAnalyticsProcessorSourceUri")
"""App-specification members naming scripts that only the Model Monitor analyzer container runs."""


def self_hosted_type(monitoring_type: str, field: str = "monitoring_type") -> str:
    """The API spelling of ``monitoring_type`` when a worker can analyse it; explainability is refused.

    :param monitoring_type: e.g. ``DataQuality``.
    :param field: the parameter named in errors.
    """
    api = monitoring_type_api(monitoring_type, field)
    if api.monitoring_type not in SELF_HOSTED_TYPES:
        raise ValueError(
            f"{field}: {api.monitoring_type} is not analysed on the worker: SHAP values need the model, "
            f"which the worker cannot invoke; use one of {', '.join(SELF_HOSTED_TYPES)}, or monitor "
            "explainability on SageMaker"
        )
    return api.monitoring_type


def check_self_hosted(
    monitoring_type: str, request: Mapping[str, Any], capture_destination: str | None
) -> None:
    """Check that a worker can run a job definition, given where the endpoint captures its data.

    :param monitoring_type: the job definition's monitoring type.
    :param request: its validated ``Create<T>JobDefinition`` request.
    :param capture_destination: the endpoint's ``DataCaptureConfig.DestinationS3Uri``; required for an
        ``EndpointInput``.
    """
    monitoring_type = self_hosted_type(monitoring_type)
    app_key = f"{monitoring_type}AppSpecification"
    for member in SCRIPT_MEMBERS:
        if (request.get(app_key) or {}).get(member):
            raise ValueError(
                f"{app_key}.{member}: the worker runs the package's engine, not the Model Monitor container, "
                "so it cannot run this script; transform the records before they are captured instead"
            )
    if "EndpointInput" in (request.get(f"{monitoring_type}JobInput") or {}) and not capture_destination:
        raise ValueError(
            "capture_destination: required for an EndpointInput: the endpoint's "
            "DataCaptureConfig.DestinationS3Uri, e.g. s3://bucket/capture"
        )
