"""Run the local Model Monitor service inside a test: :class:`LocalModelMonitor`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from airflow_mm_provider.local.context import DEFAULT_REGION, ServiceConfig
from airflow_mm_provider.local.control_client import call_control
from airflow_mm_provider.processing.engine import Engine

ACCESS_KEY = "testing"
SECRET_KEY = "testing"


class LocalModelMonitor:
    """The service on 127.0.0.1 in a background thread, for the duration of a ``with`` block.

    :param port: port to bind, 0 for a free one.
    :param state_dir: directory to keep state in across restarts (None: memory only).
    :param pending_seconds: how long schedules stay Pending after a change (0: settle at once).
    :param region: region of ARNs and clients.
    :param engine: analysis engine (default: the real one in ``airflow_mm_provider.analysis.jobs``).
    :param auto_run: run due slots as time passes (off by default: tests call :meth:`run_due`).
    :param max_schedules: cap on schedules before ResourceLimitExceeded.
    :param jitter: start executions 0–20 minutes after their slot.
    :param fresh_s3: empty the in-process S3 on start (moto's S3 is shared by the whole process).
    """

    def __init__(
        self,
        port: int = 0,
        state_dir: str | Path | None = None,
        pending_seconds: float = 0.0,
        region: str = DEFAULT_REGION,
        engine: Engine | None = None,
        auto_run: bool = False,
        max_schedules: int = 1000,
        jitter: bool = False,
        fresh_s3: bool = True,
    ) -> None:
        """Configure; the server starts on ``__enter__`` (or :meth:`start`)."""
        self.port = port
        self.config = ServiceConfig(
            region=region, pending_seconds=pending_seconds, max_schedules=max_schedules, jitter=jitter
        )
        self.state_dir = state_dir
        self.engine = engine
        self.auto_run = auto_run
        self.fresh_s3 = fresh_s3
        self.endpoint_url = ""
        self.service: Any = None

    @property
    def region(self) -> str:
        """The service's region."""
        return self.config.region

    def start(self) -> LocalModelMonitor:
        """Start the server; returns self."""
        from airflow_mm_provider.local.s3store import reset_s3
        from airflow_mm_provider.local.server import LocalService

        if self.fresh_s3:
            reset_s3()
        self.service = LocalService(self.config, self.engine, self.state_dir, self.auto_run)
        self.endpoint_url = self.service.start("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        """Stop the server (saving state when there is a state directory)."""
        if self.service is not None:
            self.service.stop()
            self.service = None

    def __enter__(self) -> LocalModelMonitor:
        """Start the server."""
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Stop the server."""
        self.stop()

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client (``sagemaker``, ``s3``, ...) for this endpoint with dummy credentials.

        ``config`` is passed to ``botocore.config.Config`` (e.g. ``retries={"mode": "standard"}``).
        """
        import boto3
        from botocore.config import Config

        settings = {"s3": {"addressing_style": "path"}, **config}
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(**settings),
        )

    def airflow_connection_uri(self) -> str:
        """An Airflow AWS connection to this endpoint, as the JSON an ``AIRFLOW_CONN_<ID>`` variable holds."""
        extra = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
        }
        return json.dumps({"conn_type": "aws", "extra": extra})

    def control(self, method: str, route: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call the control interface (``/_mm-local/<route>``) and return its JSON answer."""
        return call_control(self.endpoint_url, method, route, payload)

    def run_due(self, until: datetime | str | None = None, wait: bool = True) -> list[dict[str, Any]]:
        """Create and run every execution due by ``until`` (default now); return them as created."""
        text = until.isoformat() if isinstance(until, datetime) else until
        return self.control("POST", "run-due", {"until": text, "wait": wait})["executions"]

    def set_clock(self, now: datetime) -> None:
        """Set the service time (it keeps running from there)."""
        self.control("POST", "clock", {"now": now.isoformat()})

    def inject_fault(self, operation: str, count: int = 1, kind: str = "throttling") -> None:
        """Make the next ``count`` calls of ``operation`` fail (``throttling`` or ``internal``)."""
        self.control("POST", "faults", {"operation": operation, "count": count, "kind": kind})

    @contextmanager
    def holding_jobs(self) -> Iterator[threading.Event]:
        """Within the block, processing jobs wait ``InProgress`` before starting work until the event it gives
        is set, or the block ends.

        For tests of what happens while a job runs, e.g. that a deferrable operator defers: unheld, the
        service may end a small job before the operator's one look at it.
        """
        runner = self.service.ctx.runner
        release = threading.Event()
        run_job = runner.run
        shadowed = "run" in vars(runner)  # an enclosing hold (or a test's patch) to give back

        def held(job: Any, mode: str, stop: threading.Event, *args: Any, **kwargs: Any) -> Any:
            while not release.wait(0.05) and not stop.is_set():
                pass
            return run_job(job, mode, stop, *args, **kwargs)

        runner.run = held
        try:
            yield release
        finally:
            release.set()
            if shadowed:
                runner.run = run_job
            else:
                del runner.run
