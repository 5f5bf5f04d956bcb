"""Model Monitor request model, schedules, windows, image URIs and report models: pure, no Airflow or network.

Typed inputs render to the API's dicts with ``to_api()`` / ``to_request(name)``; every operator also accepts
the plain API-shaped dict. Every offline rule raises :class:`MonitoringValidationError` naming the field.

Names are loaded on first use, so importing one submodule (as the DAG processor does through the
operators) does not load the others.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "AnalysisWindow": "windows",
    "BaselineConfig": "inputs",
    "BatchTransformInput": "inputs",
    "BiasAnalysis": "clarify",
    "ClusterResources": "inputs",
    "DATA_QUALITY": "types",
    "DataQualityConstraints": "constraints",
    "DataQualityJobDefinition": "job_definitions",
    "DataQualityStatistics": "statistics",
    "DatasetFormat": "inputs",
    "EndpointInput": "inputs",
    "ExplainabilityAnalysis": "clarify",
    "GroundTruthInput": "inputs",
    "JobDefinitionSpec": "job_definitions",
    "MODEL_BIAS": "types",
    "MODEL_EXPLAINABILITY": "types",
    "MODEL_QUALITY": "types",
    "MONITORING_TYPES": "types",
    "ModelBiasJobDefinition": "job_definitions",
    "ModelExplainabilityJobDefinition": "job_definitions",
    "ModelQualityConstraints": "constraints",
    "ModelQualityJobDefinition": "job_definitions",
    "ModelQualityStatistics": "statistics",
    "MonitoringOutput": "inputs",
    "MonitoringValidationError": "errors",
    "NetworkConfig": "inputs",
    "ScheduleExpression": "schedule",
    "StoppingCondition": "inputs",
    "Tags": "inputs",
    "Violation": "violations",
    "ViolationFilter": "violations",
    "ViolationReport": "violations",
    "analysis_window": "windows",
    "analyzer_image_uri": "images",
    "clarify_image_uri": "images",
    "image_uri_for": "images",
    "job_definition_request": "job_definitions",
    "schedule_request": "job_definitions",
}
"""Public name -> the submodule that defines it."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public name from its submodule on first access."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
