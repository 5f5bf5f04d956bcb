"""Errors the local service answers with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from airflow_mm_provider.monitoring.errors import MonitoringValidationError


class ServiceError(Exception):
    """An API error: ``code`` becomes the ``__type`` botocore reads, ``status`` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        """Hold the error code, message and HTTP status."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> ServiceError:
    """A ``ValidationException`` (HTTP 400)."""
    return ServiceError("ValidationException", message)


@contextmanager
def rules_as_validation_errors() -> Iterator[None]:
    """Answer a request-model rule broken inside the block as a ``ValidationException`` carrying the rule's
    message (field, rule statement and rule id)."""
    try:
        yield
    except MonitoringValidationError as err:
        raise validation_error(str(err)) from err


def not_found(message: str) -> ServiceError:
    """A ``ResourceNotFound`` (HTTP 400)."""
    return ServiceError("ResourceNotFound", message)


def in_use(message: str) -> ServiceError:
    """A ``ResourceInUse`` (HTTP 400)."""
    return ServiceError("ResourceInUse", message)


def limit_exceeded(message: str) -> ServiceError:
    """A ``ResourceLimitExceeded`` (HTTP 400)."""
    return ServiceError("ResourceLimitExceeded", message)
