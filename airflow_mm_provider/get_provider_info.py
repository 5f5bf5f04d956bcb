"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_mm_provider import __version__

_INTEGRATION = "Amazon SageMaker Model Monitor"


def get_provider_info() -> dict[str, Any]:
    """Describe the provider: its hooks, operators, sensors, triggers and extra links."""
    return {
        "package-name": "airflow-mm-provider",
        "name": "Amazon SageMaker Model Monitor",
        "description": "Monitoring schedules, baselines, executions and violation branching for "
        "Amazon SageMaker Model Monitor, with a local Model Monitor service.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor.html",
                "tags": ["aws"],
            }
        ],
        "hooks": _modules("airflow_mm_provider.hooks.model_monitor"),
        "operators": _modules(
            "airflow_mm_provider.operators.baseline",
            "airflow_mm_provider.operators.branch",
            "airflow_mm_provider.operators.ground_truth",
            "airflow_mm_provider.operators.one_time",
            "airflow_mm_provider.operators.schedule",
            "airflow_mm_provider.operators.self_hosted",
            "airflow_mm_provider.operators.self_hosted_group",
        ),
        "sensors": _modules("airflow_mm_provider.sensors.execution", "airflow_mm_provider.sensors.schedule"),
        "triggers": _modules(
            "airflow_mm_provider.triggers.execution", "airflow_mm_provider.triggers.processing_job"
        ),
        "extra-links": [
            "airflow_mm_provider.links.model_monitor.SageMakerMonitoringScheduleLink",
            "airflow_mm_provider.links.model_monitor.SageMakerProcessingJobLink",
            "airflow_mm_provider.links.model_monitor.SageMakerMonitoringReportLink",
        ],
    }


def _modules(*names: str) -> list[dict[str, Any]]:
    return [{"integration-name": _INTEGRATION, "python-modules": list(names)}]
