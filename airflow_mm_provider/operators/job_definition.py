"""What the schedule and one-time operators share: a job definition with its baseline merged in, and tags.

Request models load on first use, so importing this module (which the DAG processor does on every parse)
stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_mm_provider.monitoring import checks
from airflow_mm_provider.monitoring.types import monitoring_type_api
from airflow_mm_provider.utils.templating import is_literal

if TYPE_CHECKING:
    from airflow_mm_provider.monitoring.job_definitions import JobDefinitionSpec

    JobDefinition = JobDefinitionSpec | Mapping[str, Any]

SCHEDULE_NAME_FIELD = "MonitoringScheduleName"
TYPE_FIELD = "MonitoringScheduleConfig.MonitoringType"
EXPRESSION_FIELD = "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression"

JOB_DEFINITION_FIELDS = (
    "monitoring_type",
    "job_definition",
    "baseline",
    "constraints_uri",
    "statistics_uri",
    "tags",
)
"""The templated parameters of :class:`JobDefinitionArgs`."""

_VALIDATION_NAME = "validation-only"
"""Stand-in job-definition name while validating; the hook names the definition by its content."""


def all_literal(*values: Any) -> bool:
    """Whether every value is final at DAG parse time (see :func:`is_literal`).

    :param values: parameter values as given to an operator.
    """
    return all(is_literal(value) for value in values)


def tags_request(
    tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None,
) -> list[dict[str, str]] | None:
    """``tags`` as the API's ``Tags`` list (validated), or None when none are given.

    :param tags: ``{key: value}`` or the API list.
    """
    from airflow_mm_provider.monitoring.inputs import Tags

    return None if tags is None else Tags(tags).to_api()


def baseline_members(
    monitoring_type: str,
    baseline: Mapping[str, Any] | None = None,
    constraints_uri: str | None = None,
    statistics_uri: str | None = None,
) -> dict[str, Any]:
    """The ``<T>BaselineConfig`` members that point a job definition at a baseline.

    :param monitoring_type: the monitor type; only ``DataQuality`` takes a statistics file.
    :param baseline: the XCom value of a baseline operator: ``job_name`` becomes ``BaseliningJobName``,
        ``constraints_uri`` (else ``analysis_uri``, the Clarify baseline) ``ConstraintsResource`` and, for
        data quality, ``statistics_uri`` ``StatisticsResource``.
    :param constraints_uri: an explicit constraints (or Clarify ``analysis.json``) S3 URI; wins over
        ``baseline``.
    :param statistics_uri: an explicit ``statistics.json`` S3 URI (data quality only); wins over ``baseline``.
    """
    from airflow_mm_provider.monitoring.inputs import BaselineConfig

    api = monitoring_type_api(monitoring_type, TYPE_FIELD)
    if baseline is not None and not isinstance(baseline, Mapping):
        raise ValueError(
            "baseline: must be the dict a baseline operator returns (keys job_name, constraints_uri, "
            f"statistics_uri, analysis_uri), got {type(baseline).__name__}"
        )
    found = dict(baseline or {})
    constraints = constraints_uri or found.get("constraints_uri") or found.get("analysis_uri")
    statistics = statistics_uri or (found.get("statistics_uri") if api.has_statistics_baseline else None)
    return BaselineConfig(found.get("job_name"), constraints, statistics).to_api()


def with_baseline(
    monitoring_type: str, job_definition: JobDefinition, members: Mapping[str, Any]
) -> JobDefinition:
    """``job_definition`` with ``members`` merged into its baseline config (given members win).

    :param monitoring_type: the monitor type of the definition.
    :param job_definition: a typed spec or the API-shaped ``Create<T>JobDefinition`` dict (not modified).
    :param members: ``<T>BaselineConfig`` members, e.g. from :func:`baseline_members`.
    """
    from airflow_mm_provider.monitoring.inputs import BaselineConfig
    from airflow_mm_provider.monitoring.job_definitions import JobDefinitionSpec

    if not members:
        return job_definition
    if isinstance(job_definition, JobDefinitionSpec):
        current = job_definition.baseline.to_api() if job_definition.baseline is not None else {}
        merged = {**current, **members}
        config = BaselineConfig(
            merged.get("BaseliningJobName"),
            (merged.get("ConstraintsResource") or {}).get("S3Uri"),
            (merged.get("StatisticsResource") or {}).get("S3Uri"),
        )
        return replace(job_definition, baseline=config)
    key = monitoring_type_api(monitoring_type, TYPE_FIELD).baseline_config_key
    request = deepcopy(dict(checks.check_object(job_definition, f"{monitoring_type}JobDefinition")))
    request[key] = {**(request.get(key) or {}), **members}
    return request


class JobDefinitionArgs:
    """The job-definition parameters shared by the schedule and one-time operators (see
    :data:`JOB_DEFINITION_FIELDS`), and how the UI renders them."""

    template_fields_renderers: ClassVar[dict[str, str]] = {
        "job_definition": "json",
        "baseline": "json",
        "tags": "json",
    }

    monitoring_type: str
    job_definition: JobDefinition
    baseline: Mapping[str, Any] | None
    constraints_uri: str | None
    statistics_uri: str | None

    def _job_definition_literal(self) -> bool:
        return all_literal(
            self.monitoring_type,
            self.job_definition,
            self.baseline,
            self.constraints_uri,
            self.statistics_uri,
        )

    def resolved_job_definition(self) -> JobDefinition:
        """The job definition with the baseline merged in, validated (raises naming the field)."""
        members = baseline_members(
            self.monitoring_type, self.baseline, self.constraints_uri, self.statistics_uri
        )
        definition = with_baseline(self.monitoring_type, self.job_definition, members)
        self._job_definition_request(definition)
        return definition

    def _job_definition_request(self, definition: JobDefinition) -> dict[str, Any]:
        """The validated ``Create<T>JobDefinition`` request of ``definition``, under a stand-in name."""
        from airflow_mm_provider.monitoring.job_definitions import job_definition_request

        return job_definition_request(self.monitoring_type, definition, _VALIDATION_NAME)
