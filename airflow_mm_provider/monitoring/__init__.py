"""Model Monitor request model, schedules, windows, image URIs and report models: pure, no Airflow or network.

Typed inputs render to the API's dicts with ``to_api()`` / ``to_request(name)``; every operator also accepts
the plain API-shaped dict. Every offline rule raises :class:`MonitoringValidationError` naming the field.

Names are loaded on first use, so importing one submodule (as the DAG processor does through the
operators) does not load the others; type checkers read the same names from the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_mm_provider.monitoring.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from airflow_mm_provider.monitoring.clarify import BiasAnalysis as BiasAnalysis
    from airflow_mm_provider.monitoring.clarify import ExplainabilityAnalysis as ExplainabilityAnalysis
    from airflow_mm_provider.monitoring.constraints import DataQualityConstraints as DataQualityConstraints
    from airflow_mm_provider.monitoring.constraints import ModelQualityConstraints as ModelQualityConstraints
    from airflow_mm_provider.monitoring.errors import MonitoringValidationError as MonitoringValidationError
    from airflow_mm_provider.monitoring.images import analyzer_image_uri as analyzer_image_uri
    from airflow_mm_provider.monitoring.images import clarify_image_uri as clarify_image_uri
    from airflow_mm_provider.monitoring.images import image_uri_for as image_uri_for
    from airflow_mm_provider.monitoring.inputs import BaselineConfig as BaselineConfig
    from airflow_mm_provider.monitoring.inputs import BatchTransformInput as BatchTransformInput
    from airflow_mm_provider.monitoring.inputs import ClusterResources as ClusterResources
    from airflow_mm_provider.monitoring.inputs import DatasetFormat as DatasetFormat
    from airflow_mm_provider.monitoring.inputs import EndpointInput as EndpointInput
    from airflow_mm_provider.monitoring.inputs import GroundTruthInput as GroundTruthInput
    from airflow_mm_provider.monitoring.inputs import MonitoringOutput as MonitoringOutput
    from airflow_mm_provider.monitoring.inputs import NetworkConfig as NetworkConfig
    from airflow_mm_provider.monitoring.inputs import StoppingCondition as StoppingCondition
    from airflow_mm_provider.monitoring.inputs import Tags as Tags
    from airflow_mm_provider.monitoring.job_definitions import (
        DataQualityJobDefinition as DataQualityJobDefinition,
    )
    from airflow_mm_provider.monitoring.job_definitions import JobDefinitionSpec as JobDefinitionSpec
    from airflow_mm_provider.monitoring.job_definitions import (
        ModelBiasJobDefinition as ModelBiasJobDefinition,
    )
    from airflow_mm_provider.monitoring.job_definitions import (
        ModelExplainabilityJobDefinition as ModelExplainabilityJobDefinition,
    )
    from airflow_mm_provider.monitoring.job_definitions import (
        ModelQualityJobDefinition as ModelQualityJobDefinition,
    )
    from airflow_mm_provider.monitoring.job_definitions import (
        job_definition_request as job_definition_request,
    )
    from airflow_mm_provider.monitoring.job_definitions import schedule_request as schedule_request
    from airflow_mm_provider.monitoring.schedule import ScheduleExpression as ScheduleExpression
    from airflow_mm_provider.monitoring.statistics import DataQualityStatistics as DataQualityStatistics
    from airflow_mm_provider.monitoring.statistics import ModelQualityStatistics as ModelQualityStatistics
    from airflow_mm_provider.monitoring.types import DATA_QUALITY as DATA_QUALITY
    from airflow_mm_provider.monitoring.types import MODEL_BIAS as MODEL_BIAS
    from airflow_mm_provider.monitoring.types import MODEL_EXPLAINABILITY as MODEL_EXPLAINABILITY
    from airflow_mm_provider.monitoring.types import MODEL_QUALITY as MODEL_QUALITY
    from airflow_mm_provider.monitoring.types import MONITORING_TYPES as MONITORING_TYPES
    from airflow_mm_provider.monitoring.violations import Violation as Violation
    from airflow_mm_provider.monitoring.violations import ViolationFilter as ViolationFilter
    from airflow_mm_provider.monitoring.violations import ViolationReport as ViolationReport
    from airflow_mm_provider.monitoring.windows import AnalysisWindow as AnalysisWindow
    from airflow_mm_provider.monitoring.windows import analysis_window as analysis_window

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


if not TYPE_CHECKING:  # type checkers see the imports above, so a misspelt name is an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
