"""What console links a task stored in XCom."""

from __future__ import annotations

from typing import Any

from airflow_mm_provider.links.model_monitor import SageMakerProcessingJobLink


def linked_jobs(context: dict[str, Any]) -> list[str]:
    """The job names of every processing-job console link stored through ``context["ti"]`` (a mock), in
    order (a local connection's link stores no job name: it is no link)."""
    calls = context["ti"].xcom_push.call_args_list
    values = [c.kwargs["value"] for c in calls if c.kwargs["key"] == SageMakerProcessingJobLink.key]
    return [value["job_name"] for value in values if "job_name" in value]
