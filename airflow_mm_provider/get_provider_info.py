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
        "hooks": [{"integration-name": _INTEGRATION, "python-modules": ["airflow_mm_provider.hooks.model_monitor"]}],
    }
