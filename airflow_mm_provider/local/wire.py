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
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 64


class BodyError(ValueError):
    """A request body that cannot be read: ``status`` is 400 (malformed) or 413 (too large)."""

    def __init__(self, status: int, message: str) -> None:
        """Hold the HTTP status and message."""
        super().__init__(message)
        self.status = status


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (raises :class:`BodyError`)."""
    text = environ.get("CONTENT_LENGTH") or ""
    if not text:
        if not environ.get("wsgi.input_terminated"):
            return b""
        body = environ["wsgi.input"].read(limit + 1)
    else:
        if not text.isdigit():
            raise BodyError(400, f"Content-Length must be a whole number of bytes, got {text[:40]!r}")
        if int(text) > limit:
            raise BodyError(413, f"the request body is {int(text)} bytes; the limit is {limit}")
        body = environ["wsgi.input"].read(int(text))
    if len(body) > limit:
        raise BodyError(413, f"the request body exceeds the limit of {limit} bytes")
    return body


def load_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a JSON document nested at most ``max_depth`` levels (raises ValueError)."""
    try:
        value = json.loads(body)
    except RecursionError as err:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from err
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > max_depth:
                    raise ValueError(f"JSON nested deeper than {max_depth} levels")
                pending.append((child, depth + 1))
    return value


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
        payload = load_json(body or b"{}")
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
