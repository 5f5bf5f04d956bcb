"""Model Monitor request model, schedules, windows, image URIs and report models: pure, no Airflow or network.

Typed inputs render to the API's dicts with ``to_api()`` / ``to_request(name)``; every operator also accepts
the plain API-shaped dict. Every offline rule raises :class:`MonitoringValidationError` naming the field.
"""

from __future__ import annotations

from airflow_mm_provider.monitoring.clarify import BiasAnalysis, ExplainabilityAnalysis
from airflow_mm_provider.monitoring.constraints import DataQualityConstraints, ModelQualityConstraints
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.images import analyzer_image_uri, clarify_image_uri, image_uri_for
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
    DataQualityJobDefinition,
    JobDefinitionSpec,
    ModelBiasJobDefinition,
    ModelExplainabilityJobDefinition,
    ModelQualityJobDefinition,
    job_definition_request,
    schedule_request,
)
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.statistics import DataQualityStatistics, ModelQualityStatistics
from airflow_mm_provider.monitoring.types import (
    DATA_QUALITY,
    MODEL_BIAS,
    MODEL_EXPLAINABILITY,
    MODEL_QUALITY,
    MONITORING_TYPES,
)
from airflow_mm_provider.monitoring.violations import Violation, ViolationFilter, ViolationReport
from airflow_mm_provider.monitoring.windows import AnalysisWindow, analysis_window

__all__ = [
    "DATA_QUALITY",
    "MODEL_BIAS",
    "MODEL_EXPLAINABILITY",
    "MODEL_QUALITY",
    "MONITORING_TYPES",
    "AnalysisWindow",
    "BaselineConfig",
    "BatchTransformInput",
    "BiasAnalysis",
    "ClusterResources",
    "DataQualityConstraints",
    "DataQualityJobDefinition",
    "DataQualityStatistics",
    "DatasetFormat",
    "EndpointInput",
    "ExplainabilityAnalysis",
    "GroundTruthInput",
    "JobDefinitionSpec",
    "ModelBiasJobDefinition",
    "ModelExplainabilityJobDefinition",
    "ModelQualityConstraints",
    "ModelQualityJobDefinition",
    "ModelQualityStatistics",
    "MonitoringOutput",
    "MonitoringValidationError",
    "NetworkConfig",
    "ScheduleExpression",
    "StoppingCondition",
    "Tags",
    "Violation",
    "ViolationFilter",
    "ViolationReport",
    "analysis_window",
    "analyzer_image_uri",
    "clarify_image_uri",
    "image_uri_for",
    "job_definition_request",
    "schedule_request",
]
