"""The SageMaker operation table: operation name → handler, and the dispatch of one JSON 1.1 call."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from airflow_mm_provider.local import executions, processing, resources, schedules
from airflow_mm_provider.local.context import ServiceContext
from airflow_mm_provider.local.errors import ServiceError
from airflow_mm_provider.local.wire import operation_model, parse_request, serialize_response

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]


def _handlers() -> dict[str, Handler]:
    """Every supported operation."""
    table: dict[str, Handler] = {
        "CreateMonitoringSchedule": schedules.create_schedule,
        "UpdateMonitoringSchedule": schedules.update_schedule,
        "DescribeMonitoringSchedule": schedules.describe_schedule,
        "ListMonitoringSchedules": schedules.list_schedules,
        "DeleteMonitoringSchedule": schedules.delete_schedule,
        "StartMonitoringSchedule": schedules.start_schedule,
        "StopMonitoringSchedule": schedules.stop_schedule,
        "ListMonitoringExecutions": executions.list_executions,
        "CreateProcessingJob": processing.create_processing_job,
        "DescribeProcessingJob": processing.describe_processing_job,
        "ListProcessingJobs": processing.list_processing_jobs,
        "StopProcessingJob": processing.stop_processing_job,
        "CreateEndpointConfig": resources.create_endpoint_config,
        "DescribeEndpointConfig": resources.describe_endpoint_config,
        "DeleteEndpointConfig": resources.delete_endpoint_config,
        "CreateEndpoint": resources.create_endpoint,
        "DescribeEndpoint": resources.describe_endpoint,
        "DeleteEndpoint": resources.delete_endpoint,
        "AddTags": resources.add_tags,
        "ListTags": resources.list_tags,
        "DeleteTags": resources.delete_tags,
    }
    for job_type in resources.JOB_TYPES:
        table[f"Create{job_type}JobDefinition"] = partial(resources.create_job_definition, job_type=job_type)
        table[f"Describe{job_type}JobDefinition"] = partial(
            resources.describe_job_definition, job_type=job_type
        )
        table[f"Delete{job_type}JobDefinition"] = partial(resources.delete_job_definition, job_type=job_type)
        table[f"List{job_type}JobDefinitions"] = partial(resources.list_job_definitions, job_type=job_type)
    return table


HANDLERS = _handlers()
SUPPORTED_OPERATIONS = tuple(sorted(HANDLERS))


def call(ctx: ServiceContext, target: str, body: bytes) -> tuple[int, bytes]:
    """Answer one call: ``target`` is the ``X-Amz-Target`` header; returns (HTTP status, JSON body).

    Raises ServiceError for every API error (the caller encodes it).
    """
    operation = operation_model(target)
    handler = HANDLERS.get(operation.name)
    if handler is None:
        raise ServiceError(
            "UnknownOperationException",
            f"{operation.name} is not supported by the local Model Monitor service",
            400,
        )
    ctx.faults.check(operation.name)
    request = parse_request(operation, body)
    resources.check_request_tags(request)
    return 200, serialize_response(operation, handler(ctx, request))
