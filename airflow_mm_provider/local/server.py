"""One loopback HTTP server: SageMaker JSON 1.1 calls, the control interface and moto's S3 on one port.

Every request first passes :mod:`airflow_mm_provider.local.frontdoor`. Then paths under ``/_mm-local/`` go to
the control interface, SageMaker calls (``X-Amz-Target`` or a ``sagemaker`` credential scope) to the local
Model Monitor handlers, everything else to moto's S3 app (path-style addressing), written through to the
database by :class:`airflow_mm_provider.local.s3store.S3Persistence`.
"""

from __future__ import annotations

import json
import shutil
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from airflow_mm_provider.local import api, control, frontdoor
from airflow_mm_provider.local.context import ServiceConfig, ServiceContext
from airflow_mm_provider.local.database import Database
from airflow_mm_provider.local.errors import ServiceError
from airflow_mm_provider.local.executions import run_due
from airflow_mm_provider.local.jobs import default_s3_factory
from airflow_mm_provider.local.s3store import S3Persistence, reset_s3
from airflow_mm_provider.local.schedules import skip_missed_slots
from airflow_mm_provider.local.state import Store
from airflow_mm_provider.local.wire import CONTENT_TYPE, TARGET_PREFIX, BodyError, error_body, read_body
from airflow_mm_provider.processing.engine import Engine
from airflow_mm_provider.processing.job_runner import JobRunner
from airflow_mm_provider.processing.s3files import S3Files

TICK_SECONDS = 0.5
CONTROL_MAX_BYTES = 1024 * 1024
CLOCK_OFFSET = "clock_offset_seconds"
SCRATCH = "jobs"
"""Folder of the state directory where running processing jobs stage their files."""
StartResponse = Callable[..., Any]


class LocalService:
    """The service: state, WSGI dispatch, HTTP server thread and the background ticker.

    :param config: service settings.
    :param engine: analysis engine for processing jobs (default: ``airflow_mm_provider.analysis.jobs``).
    :param state_dir: directory holding the database and the running jobs' files (None: an in-memory
        database, nothing kept, job files in the system's temporary folder).
    :param auto_run: run due slots in the background as service time passes.
    """

    def __init__(
        self,
        config: ServiceConfig | None = None,
        engine: Engine | None = None,
        state_dir: str | Path | None = None,
        auto_run: bool = True,
    ) -> None:
        """Open the database; nothing listens until :meth:`start`."""
        from moto.server import create_backend_app

        self.config = config or ServiceConfig()
        self.endpoint_url = ""
        self.database = Database(state_dir)
        self.s3 = S3Files(default_s3_factory(lambda: self.endpoint_url, self.config.region))
        self.state_dir = Path(state_dir) if state_dir else None
        runner = JobRunner(self.s3, engine, self.state_dir / SCRATCH if self.state_dir else None)
        self.ctx = ServiceContext(self.config, runner=runner, store=Store(self.database))
        self.ctx.clock.jitter = self.config.jitter
        self.auto_run = auto_run
        self.s3_persistence = S3Persistence(self.database)
        self._moto = create_backend_app("s3")  # moto's S3 app itself: no per-request service lookup
        self._origins: frozenset[str] = frozenset()
        self._server: Any = None
        self._http: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """WSGI entry point."""
        kind = frontdoor.protocol(environ)
        refused = frontdoor.refusal(environ, self._origins)
        if refused is not None:
            return _refuse(start_response, kind, refused)
        try:
            if kind == frontdoor.CONTROL:
                return self._control(environ, start_response)
            if kind == frontdoor.SAGEMAKER:
                return self._sagemaker(environ, start_response)
            return self.s3_persistence.handle(self._moto, environ, start_response)
        except Exception as err:  # a bug answers in the interface's own format, never with an HTML page
            traceback.print_exc()
            code = "InternalFailure" if kind == frontdoor.SAGEMAKER else "InternalError"
            return _refuse(start_response, kind, frontdoor.Refusal(500, code, f"{type(err).__name__}: {err}"))

    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer a control request."""
        try:
            body = read_body(environ, CONTROL_MAX_BYTES)
        except BodyError as err:
            status, payload = err.status, {"error": str(err)}
        else:
            status, payload = control.handle(self, environ["REQUEST_METHOD"], environ["PATH_INFO"], body)
        return _respond(start_response, status, json.dumps(payload, default=str).encode(), "application/json")

    def _sagemaker(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer a SageMaker JSON 1.1 call; every error is a JSON error with SageMaker's code."""
        try:
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            if not target.startswith(TARGET_PREFIX):
                raise ServiceError(
                    "UnknownOperationException", f"X-Amz-Target {target!r} names no SageMaker operation"
                )
            try:
                body = read_body(environ, self.config.max_request_bytes)
            except BodyError as err:
                code = "SerializationException" if err.status == 400 else "RequestEntityTooLargeException"
                raise ServiceError(code, str(err), err.status) from err
            status, answer = api.call(self.ctx, target, body)
        except ServiceError as err:
            status, answer = err.status, error_body(err)
        except Exception as err:  # a bug must answer like AWS (500 InternalFailure), not with an HTML page
            traceback.print_exc()
            status, answer = (
                500,
                error_body(ServiceError("InternalFailure", f"{type(err).__name__}: {err}", 500)),
            )
        return _respond(start_response, status, answer, CONTENT_TYPE)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Load the saved state, bind, start serving and ticking; return the endpoint URL."""
        from werkzeug.serving import make_server

        self._recover()
        self._server = make_server(host, port, self, threaded=True, request_handler=_quiet_handler())
        bound_host, bound_port = self._server.server_address[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.endpoint_url = f"http://{shown}:{bound_port}"
        self._origins = frontdoor.own_origins(self.endpoint_url)
        self._http = self._spawn(lambda: self._server.serve_forever(poll_interval=0.05), "mm-local-http")
        self._ticker = self._spawn(self._tick_loop, "mm-local-tick")
        return self.endpoint_url

    def _recover(self) -> None:
        """Load records, clock and S3 from the database; fail what was running; skip missed slots.

        Job files a crash left in the state directory are removed.
        """
        clock = self.ctx.clock
        saved = self.database.get_meta(CLOCK_OFFSET)
        if saved is not None:
            clock.restore(timedelta(seconds=float(saved)))
        clock.on_change = lambda offset: self.database.set_meta(CLOCK_OFFSET, repr(offset.total_seconds()))
        if self.state_dir is None:
            return
        shutil.rmtree(self.state_dir / SCRATCH, ignore_errors=True)
        if self.ctx.store.load():
            self.ctx.store.interrupt_unfinished(clock.now())
            skip_missed_slots(self.ctx)
        self.s3_persistence.restore()

    @staticmethod
    def _spawn(target: Callable[[], None], name: str) -> threading.Thread:
        """Start a daemon thread."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def _tick_loop(self) -> None:
        """Run due slots every TICK_SECONDS (when ``auto_run``)."""
        while not self._stopping.wait(TICK_SECONDS):
            if self.auto_run:
                run_due(self.ctx, wait_done=False)

    def reset(self) -> None:
        """Forget every resource, fault and S3 object."""
        self.ctx.store.reset()
        self.ctx.faults.clear()
        reset_s3()

    def stop(self) -> None:
        """Stop serving: stop running jobs (recorded ``Stopped``), close the socket and the database."""
        if self._server is None:
            return
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join()
        self.ctx.stopping.set()  # jobs registered from now on start stopped
        self.ctx.workers.shutdown(wait=False, cancel_futures=True)
        with self.ctx.store.lock:
            running = list(self.ctx.stop_events.values())
        for event in running:
            event.set()
        self.ctx.workers.shutdown(wait=True)
        self._server.shutdown()
        self._server.server_close()
        if self._http is not None:
            self._http.join()
        self._server = None
        self.database.close()


def _quiet_handler() -> type:
    """moto's request handler (keeps S3 metadata headers intact) without per-request access logging."""
    from moto.server import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """Do not log successful requests."""

    return QuietHandler


def _refuse(start_response: StartResponse, kind: str, refused: frontdoor.Refusal) -> list[bytes]:
    """Answer a refused request in its interface's own error format."""
    if kind == frontdoor.S3:
        body = frontdoor.s3_error_body(refused, str(uuid.uuid4()))
        return _respond(start_response, refused.status, body, "application/xml")
    if kind == frontdoor.SAGEMAKER:
        error = ServiceError(refused.code, refused.message, refused.status)
        return _respond(start_response, refused.status, error_body(error), CONTENT_TYPE)
    payload = json.dumps({"error": refused.message}).encode()
    return _respond(start_response, refused.status, payload, "application/json")


def _respond(start_response: StartResponse, status: int, body: bytes, content_type: str) -> list[bytes]:
    """Send a complete response."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [body]
