"""Handlers for job definitions, endpoint configs, endpoints and tags."""

from __future__ import annotations

import time
from typing import Any

from airflow_mm_provider.local.context import ServiceContext
from airflow_mm_provider.local.errors import (
    in_use,
    limit_exceeded,
    not_found,
    rules_as_validation_errors,
    validation_error,
)
from airflow_mm_provider.local.listing import paginate, time_filters
from airflow_mm_provider.monitoring.checks import check_tag_key_not_reserved, check_tags
from airflow_mm_provider.monitoring.job_definitions import validate_job_definition_consistency
from airflow_mm_provider.monitoring.windows import parse_input_offsets

JOB_TYPES = {
    "DataQuality": "data-quality",
    "ModelQuality": "model-quality",
    "ModelBias": "model-bias",
    "ModelExplainability": "model-explainability",
}
GROUND_TRUTH_TYPES = ("ModelQuality", "ModelBias")


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its internal (``_``-prefixed) fields."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def job_input(definition: dict[str, Any]) -> dict[str, Any]:
    """The single ``EndpointInput``/``BatchTransformInput`` holder of a typed job definition."""
    return definition[f"{definition['_type']}JobInput"]


def input_endpoint(holder: dict[str, Any]) -> str | None:
    """Endpoint name of a ``{EndpointInput | BatchTransformInput}`` holder, if it is an endpoint input."""
    return (holder.get("EndpointInput") or {}).get("EndpointName")


def check_one_input(holder: dict[str, Any], path: str) -> None:
    """Exactly one of ``EndpointInput`` and ``BatchTransformInput`` must be present."""
    given = [k for k in ("EndpointInput", "BatchTransformInput") if holder.get(k)]
    if len(given) != 1:
        raise validation_error(
            f"{path}: exactly one of EndpointInput or BatchTransformInput is required (got {len(given)})"
        )


def check_input_offsets(holder: dict[str, Any], path: str) -> None:
    """The ``StartTimeOffset``/``EndTimeOffset`` of the input in ``holder`` must be look-back durations (the
    request model's offset rules), else ValidationException."""
    with rules_as_validation_errors():
        for key in ("EndpointInput", "BatchTransformInput"):
            if holder.get(key):
                parse_input_offsets(holder[key], f"{path}.{key}")


def check_request_tags(req: dict[str, Any]) -> None:
    """Refuse reserved (``aws:``) tag keys in a request's ``Tags`` or ``TagKeys`` (ValidationException)."""
    with rules_as_validation_errors():
        if req.get("Tags"):
            check_tags(req["Tags"])
        for index, key in enumerate(req.get("TagKeys") or ()):
            check_tag_key_not_reserved(key, f"TagKeys[{index}]")


def store_tags(ctx: ServiceContext, arn: str, tags: list[dict[str, str]] | None) -> None:
    """Merge ``tags`` into the tags of ``arn``."""
    ctx.store.store_tags(arn, tags)


def _definition(ctx: ServiceContext, job_type: str, name: str) -> dict[str, Any]:
    """The job definition ``name`` of ``job_type`` or ResourceNotFound."""
    record = ctx.store.job_definitions.get(name)
    if record is None or record["_type"] != job_type:
        raise not_found(f"Could not find job definition '{name}' of type {job_type}.")
    return record


def create_job_definition(ctx: ServiceContext, req: dict[str, Any], job_type: str) -> dict[str, Any]:
    """Create{T}JobDefinition."""
    name = req["JobDefinitionName"]
    holder = req[f"{job_type}JobInput"]
    check_one_input(holder, f"{job_type}JobInput")
    if job_type in GROUND_TRUTH_TYPES and not holder.get("GroundTruthS3Input"):
        raise validation_error(f"{job_type}JobInput.GroundTruthS3Input is required for {job_type}")
    check_input_offsets(holder, f"{job_type}JobInput")
    with rules_as_validation_errors():
        validate_job_definition_consistency(job_type, req)
    with ctx.store.lock:
        if name in ctx.store.job_definitions:
            raise in_use(f"Job definition with name {name} already exists.")
        arn = ctx.arn(f"{JOB_TYPES[job_type]}-job-definition", name)
        record = {k: v for k, v in req.items() if k != "Tags"}
        record.update(
            JobDefinitionArn=arn, CreationTime=ctx.clock.now(), _type=job_type, _seq=ctx.store.next_seq()
        )
        ctx.store.job_definitions[name] = record
        ctx.store.touch("job_definitions", name)
        store_tags(ctx, arn, req.get("Tags"))
    return {"JobDefinitionArn": arn}


def describe_job_definition(ctx: ServiceContext, req: dict[str, Any], job_type: str) -> dict[str, Any]:
    """Describe{T}JobDefinition."""
    with ctx.store.lock:
        return public(_definition(ctx, job_type, req["JobDefinitionName"]))


def delete_job_definition(ctx: ServiceContext, req: dict[str, Any], job_type: str) -> dict[str, Any]:
    """Delete{T}JobDefinition; refused while a schedule references the definition."""
    name = req["JobDefinitionName"]
    with ctx.store.lock:
        record = _definition(ctx, job_type, name)
        users = sorted(
            s["MonitoringScheduleName"]
            for s in ctx.store.schedules.values()
            if s["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName") == name
        )
        if users:
            raise validation_error(
                f"Job definition {name} is in use by monitoring schedule(s) "
                f"{', '.join(users)}; delete the schedule first."
            )
        ctx.store.remove("job_definitions", name, record["JobDefinitionArn"])
    return {}


def list_job_definitions(ctx: ServiceContext, req: dict[str, Any], job_type: str) -> dict[str, Any]:
    """List{T}JobDefinitions with EndpointName, NameContains, CreationTime filters, sort and pagination."""
    predicates = time_filters(req, {"CreationTime": "CreationTime"})
    endpoint, contains = req.get("EndpointName"), req.get("NameContains")
    with ctx.store.lock:
        records = [
            d
            for d in ctx.store.job_definitions.values()
            if d["_type"] == job_type
            and (endpoint is None or input_endpoint(job_input(d)) == endpoint)
            and (contains is None or contains in d["JobDefinitionName"])
            and all(p(d) for p in predicates)
        ]
    sort_field = "JobDefinitionName" if req.get("SortBy") == "Name" else "CreationTime"
    page, token = paginate(records, lambda d: d[sort_field], req)
    summaries = [
        {
            "MonitoringJobDefinitionName": d["JobDefinitionName"],
            "MonitoringJobDefinitionArn": d["JobDefinitionArn"],
            "CreationTime": d["CreationTime"],
            "EndpointName": input_endpoint(job_input(d)),
        }
        for d in page
    ]
    return {"JobDefinitionSummaries": summaries, "NextToken": token}


def create_endpoint_config(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """CreateEndpointConfig (held so endpoints can carry a DataCaptureConfig)."""
    name = req["EndpointConfigName"]
    with ctx.store.lock:
        if name in ctx.store.endpoint_configs:
            raise validation_error(f'Cannot create already existing endpoint configuration "{name}".')
        arn = ctx.arn("endpoint-config", name)
        record = {k: v for k, v in req.items() if k != "Tags"}
        record.update(EndpointConfigArn=arn, CreationTime=ctx.clock.now(), _seq=ctx.store.next_seq())
        ctx.store.endpoint_configs[name] = record
        ctx.store.touch("endpoint_configs", name)
        store_tags(ctx, arn, req.get("Tags"))
    return {"EndpointConfigArn": arn}


def _endpoint_config(ctx: ServiceContext, name: str) -> dict[str, Any]:
    """The endpoint config ``name`` or a ValidationException (as SageMaker answers)."""
    record = ctx.store.endpoint_configs.get(name)
    if record is None:
        raise validation_error(f'Could not find endpoint configuration "{name}".')
    return record


def describe_endpoint_config(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DescribeEndpointConfig."""
    with ctx.store.lock:
        return public(_endpoint_config(ctx, req["EndpointConfigName"]))


def delete_endpoint_config(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DeleteEndpointConfig."""
    with ctx.store.lock:
        record = _endpoint_config(ctx, req["EndpointConfigName"])
        ctx.store.remove("endpoint_configs", req["EndpointConfigName"], record["EndpointConfigArn"])
    return {}


def create_endpoint(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """CreateEndpoint: ``Creating`` for the pending delay, then ``InService``."""
    name = req["EndpointName"]
    with ctx.store.lock:
        _endpoint_config(ctx, req["EndpointConfigName"])
        if name in ctx.store.endpoints:
            raise validation_error(f'Cannot create already existing endpoint "{ctx.arn("endpoint", name)}".')
        arn = ctx.arn("endpoint", name)
        now = ctx.clock.now()
        ctx.store.endpoints[name] = {
            "EndpointName": name,
            "EndpointArn": arn,
            "EndpointConfigName": req["EndpointConfigName"],
            "CreationTime": now,
            "LastModifiedTime": now,
            "_seq": ctx.store.next_seq(),
            "_ready_at": time.time() + ctx.config.pending_seconds,
        }
        ctx.store.touch("endpoints", name)
        store_tags(ctx, arn, req.get("Tags"))
    return {"EndpointArn": arn}


def endpoint_exists(ctx: ServiceContext, name: str) -> bool:
    """Whether the endpoint ``name`` exists."""
    return name in ctx.store.endpoints


def endpoint_capture(ctx: ServiceContext, name: str) -> dict[str, Any] | None:
    """The DataCaptureConfig of endpoint ``name`` (through its endpoint config), if any."""
    endpoint = ctx.store.endpoints.get(name)
    config = ctx.store.endpoint_configs.get(endpoint["EndpointConfigName"]) if endpoint else None
    return (config or {}).get("DataCaptureConfig")


def _endpoint(ctx: ServiceContext, name: str) -> dict[str, Any]:
    """The endpoint ``name`` or a ValidationException (as SageMaker answers)."""
    endpoint = ctx.store.endpoints.get(name)
    if endpoint is None:
        raise validation_error(f'Could not find endpoint "{name}".')
    return endpoint


def describe_endpoint(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DescribeEndpoint with ProductionVariants and DataCaptureConfig summaries."""
    with ctx.store.lock:
        endpoint = _endpoint(ctx, req["EndpointName"])
        config = ctx.store.endpoint_configs.get(endpoint["EndpointConfigName"], {})
        capture = config.get("DataCaptureConfig")
        out = public(endpoint)
    out["EndpointStatus"] = "InService" if time.time() >= endpoint["_ready_at"] else "Creating"
    out["ProductionVariants"] = [
        {
            "VariantName": v["VariantName"],
            "CurrentWeight": v.get("InitialVariantWeight", 1.0),
            "DesiredWeight": v.get("InitialVariantWeight", 1.0),
            "CurrentInstanceCount": v.get("InitialInstanceCount", 1),
            "DesiredInstanceCount": v.get("InitialInstanceCount", 1),
        }
        for v in config.get("ProductionVariants", [])
    ]
    if capture:
        enabled = capture.get("EnableCapture", True)
        out["DataCaptureConfig"] = {
            "EnableCapture": enabled,
            "CaptureStatus": "Started" if enabled else "Stopped",
            "CurrentSamplingPercentage": capture["InitialSamplingPercentage"],
            "DestinationS3Uri": capture["DestinationS3Uri"],
            "KmsKeyId": capture.get("KmsKeyId"),
        }
    return out


def delete_endpoint(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DeleteEndpoint."""
    with ctx.store.lock:
        endpoint = _endpoint(ctx, req["EndpointName"])
        ctx.store.remove("endpoints", req["EndpointName"], endpoint["EndpointArn"])
    return {}


def _resource_arns(ctx: ServiceContext) -> set[str]:
    """ARNs of every taggable resource held."""
    fields = {
        "job_definitions": "JobDefinitionArn",
        "schedules": "MonitoringScheduleArn",
        "processing_jobs": "ProcessingJobArn",
        "endpoint_configs": "EndpointConfigArn",
        "endpoints": "EndpointArn",
    }
    return {r[f] for name, f in fields.items() for r in getattr(ctx.store, name).values()}


def _taggable(ctx: ServiceContext, arn: str) -> dict[str, str]:
    """The tag map of ``arn`` (created empty), or ResourceNotFound if no such resource."""
    if arn not in _resource_arns(ctx):
        raise not_found(f"Could not find resource {arn}.")
    return ctx.store.tags.setdefault(arn, {})


def add_tags(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """AddTags (overwrites values of existing keys)."""
    with ctx.store.lock:
        tags = _taggable(ctx, req["ResourceArn"])
        if len(set(tags) | {t["Key"] for t in req["Tags"]}) > 50:
            raise limit_exceeded("A resource can have at most 50 tags.")
        store_tags(ctx, req["ResourceArn"], req["Tags"])
    return {"Tags": req["Tags"]}


def list_tags(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """ListTags with pagination (key order)."""
    with ctx.store.lock:
        tags = dict(_taggable(ctx, req["ResourceArn"]))
    records = [{"Key": k, "Value": v, "_seq": 0} for k, v in tags.items()]
    page, token = paginate(records, lambda t: t["Key"], {**req, "SortOrder": "Ascending"}, default_max=50)
    return {"Tags": [public(t) for t in page], "NextToken": token}


def delete_tags(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DeleteTags."""
    with ctx.store.lock:
        tags = _taggable(ctx, req["ResourceArn"])
        for key in req["TagKeys"]:
            tags.pop(key, None)
        ctx.store.touch("tags", req["ResourceArn"])
    return {}
