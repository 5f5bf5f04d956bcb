"""Configuration and shared state handed to every operation handler."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_mm_provider.local.clock import Clock
from airflow_mm_provider.local.faults import FaultInjector
from airflow_mm_provider.local.state import Store
from airflow_mm_provider.local.wire import DEFAULT_MAX_REQUEST_BYTES

if TYPE_CHECKING:
    from airflow_mm_provider.processing.job_runner import JobRunner

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_PENDING_SECONDS = 2.0


@dataclass
class ServiceConfig:
    """Service settings.

    region/account_id: what ARNs carry; pending_seconds: how long a schedule stays ``Pending`` after a change
    (and an endpoint ``Creating``); max_schedules: cap on schedules (``ResourceLimitExceeded`` beyond it);
    jitter: start executions 0–20 minutes after their slot; max_request_bytes: largest SageMaker request body.
    """

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    pending_seconds: float = DEFAULT_PENDING_SECONDS
    max_schedules: int = 1000
    jitter: bool = False
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES


@dataclass
class ServiceContext:
    """Everything handlers share: settings, store, clock, faults, the job runner, its worker pool, the
    stop events of running processing jobs and ``stopping``, set once the service shuts down."""

    config: ServiceConfig
    runner: JobRunner
    store: Store = field(default_factory=Store)
    clock: Clock = field(default_factory=Clock)
    faults: FaultInjector = field(default_factory=FaultInjector)
    workers: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "mm-local-job"))
    stop_events: dict[str, threading.Event] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    def arn(self, resource: str, name: str) -> str:
        """ARN of a SageMaker resource, e.g. ``arn("monitoring-schedule", "s")``; names are lower-cased."""
        return f"arn:aws:sagemaker:{self.config.region}:{self.config.account_id}:{resource}/{name.lower()}"
