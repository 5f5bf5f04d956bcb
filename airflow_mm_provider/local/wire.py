"""SageMaker JSON 1.1 wire format, driven by the botocore service model.

Requests carry timestamps as epoch seconds and are parsed into aware datetimes; responses are serialised
member by member from the output shape, turning datetimes back into epoch seconds.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from airflow_mm_provider.local.errors import ServiceError
from airflow_mm_provider.local.validation import RequestValidationError, parse_value

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "SageMaker."


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """The installed botocore SageMaker service model."""
    return botocore.session.get_session().get_service_model("sagemaker")


def operation_model(target: str) -> OperationModel:
    """Resolve an ``X-Amz-Target`` header value such as ``SageMaker.ListTags``."""
    name = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else ""
    if name not in service_model().operation_names:
        raise ServiceError("UnknownOperationException", f"Unknown operation {target!r}", 400)
    return service_model().operation_model(name)


def parse_request(operation: OperationModel, body: bytes) -> dict[str, Any]:
    """Decode and validate a request body; timestamps become aware datetimes."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError as err:
        raise ServiceError("SerializationException", f"Request body is not valid JSON: {err}", 400) from err
    if operation.input_shape is None:
        return {}
    try:
        return parse_value(operation.input_shape, payload)
    except RequestValidationError as err:
        raise ServiceError("ValidationException", str(err), 400) from err


def serialize_response(operation: OperationModel, result: dict[str, Any] | None) -> bytes:
    """Encode a handler result using the output shape; members outside the shape are dropped."""
    if operation.output_shape is None or not result:
        return b"{}"
    return json.dumps(_to_wire(operation.output_shape, result)).encode()


def _to_wire(shape: Shape, value: Any) -> Any:
    """Convert one value for the wire according to its shape."""
    kind = shape.type_name
    if kind == "structure":
        return {
            name: _to_wire(shape.members[name], item)
            for name, item in value.items()
            if name in shape.members and item is not None
        }
    if kind == "list":
        return [_to_wire(shape.member, item) for item in value]
    if kind == "map":
        return {key: _to_wire(shape.value, item) for key, item in value.items()}
    if kind == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value


def error_body(error: ServiceError) -> bytes:
    """Encode an error the way botocore's JSON parser reads it (``__type`` and ``message``)."""
    return json.dumps({"__type": error.code, "message": error.message}).encode()
