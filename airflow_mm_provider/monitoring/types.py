"""The four Model Monitor ``MonitoringType`` values and, per type, its API names and request members."""

from __future__ import annotations

from typing import NamedTuple

from airflow_mm_provider.monitoring import checks
from airflow_mm_provider.monitoring.rules import rule

DATA_QUALITY = "DataQuality"
MODEL_QUALITY = "ModelQuality"
MODEL_BIAS = "ModelBias"
MODEL_EXPLAINABILITY = "ModelExplainability"
MONITORING_TYPES: tuple[str, ...] = (DATA_QUALITY, MODEL_QUALITY, MODEL_BIAS, MODEL_EXPLAINABILITY)

MONITORING_TYPE = rule(
    "monitoring-type-enum",
    "MonitoringScheduleConfig.MonitoringType; the monitoring_type argument",
    "must be one of DataQuality, ModelQuality, ModelBias, ModelExplainability",
    "botocore SageMaker service model: MonitoringType enum",
)


class MonitoringTypeApi(NamedTuple):
    """The API names and request members of one monitoring type.

    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
    :param has_ground_truth: the job input requires ``GroundTruthS3Input``.
    :param has_problem_type: the app specification requires ``ProblemType``.
    :param has_config_uri: the app specification requires a Clarify ``ConfigUri``.
    :param has_statistics_baseline: the baseline config accepts ``StatisticsResource``.
    :param has_container_options: the app specification accepts entrypoint, arguments and processor scripts.
    """

    monitoring_type: str
    has_ground_truth: bool
    has_problem_type: bool
    has_config_uri: bool
    has_statistics_baseline: bool
    has_container_options: bool

    @property
    def snake_name(self) -> str:
        """The type in snake case, e.g. ``model_quality``."""
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in self.monitoring_type).lstrip("_")

    @property
    def create(self) -> str:
        """boto3 method that creates a job definition, e.g. ``create_model_quality_job_definition``."""
        return f"create_{self.snake_name}_job_definition"

    @property
    def describe(self) -> str:
        """boto3 method that describes a job definition."""
        return f"describe_{self.snake_name}_job_definition"

    @property
    def list(self) -> str:
        """boto3 method that lists job definitions."""
        return f"list_{self.snake_name}_job_definitions"

    @property
    def delete(self) -> str:
        """boto3 method that deletes a job definition."""
        return f"delete_{self.snake_name}_job_definition"

    @property
    def arn_resource(self) -> str:
        """Resource type in job-definition ARNs, e.g. ``model-quality-job-definition``."""
        return self.snake_name.replace("_", "-") + "-job-definition"

    @property
    def app_specification_key(self) -> str:
        """Request key of the app specification, e.g. ``ModelQualityAppSpecification``."""
        return f"{self.monitoring_type}AppSpecification"

    @property
    def job_input_key(self) -> str:
        """Request key of the job input, e.g. ``ModelQualityJobInput``."""
        return f"{self.monitoring_type}JobInput"

    @property
    def output_config_key(self) -> str:
        """Request key of the output config, e.g. ``ModelQualityJobOutputConfig``."""
        return f"{self.monitoring_type}JobOutputConfig"

    @property
    def baseline_config_key(self) -> str:
        """Request key of the baseline config, e.g. ``ModelQualityBaselineConfig``."""
        return f"{self.monitoring_type}BaselineConfig"


MONITORING_TYPE_APIS: dict[str, MonitoringTypeApi] = {
    api.monitoring_type: api
    for api in (
        MonitoringTypeApi(DATA_QUALITY, False, False, False, True, True),
        MonitoringTypeApi(MODEL_QUALITY, True, True, False, False, True),
        MonitoringTypeApi(MODEL_BIAS, True, False, True, False, False),
        MonitoringTypeApi(MODEL_EXPLAINABILITY, False, False, True, False, False),
    )
}
"""Per monitoring type: boto3 method names, request keys and which members the type takes."""


def monitoring_type_api(monitoring_type: str, field: str = "MonitoringType") -> MonitoringTypeApi:
    """Return the table row of ``monitoring_type``, failing on an unknown type.

    :param monitoring_type: one of :data:`MONITORING_TYPES`.
    :param field: the field path named in errors.
    """
    checks.check_enum(monitoring_type, field, MONITORING_TYPE, MONITORING_TYPES)
    return MONITORING_TYPE_APIS[monitoring_type]
