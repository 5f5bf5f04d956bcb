"""One loopback HTTP server: SageMaker JSON 1.1 calls, the control interface and moto's S3 on one port.

Requests whose ``X-Amz-Target`` starts with ``SageMaker.`` go to the local Model Monitor handlers, paths under
``/_mm-local/`` to the control interface, everything else to moto's S3 app (path-style addressing).
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from airflow_mm_provider.local import api, control, s3store
from airflow_mm_provider.local.context import ServiceConfig, ServiceContext
from airflow_mm_provider.local.errors import ServiceError
from airflow_mm_provider.local.executions import run_due
from airflow_mm_provider.local.jobs import Engine, JobRunner, S3Files, default_s3_factory
from airflow_mm_provider.local.wire import CONTENT_TYPE, TARGET_PREFIX, error_body

TICK_SECONDS = 0.5
StartResponse = Callable[..., Any]


class LocalService:
    """The service: state, WSGI dispatch, HTTP server thread and the background ticker.

    :param config: service settings.
    :param engine: analysis engine for processing jobs (default: ``airflow_mm_provider.analysis.jobs``).
    :param state_dir: directory to load state from and save it to (None: memory only).
    :param auto_run: run due slots in the background as service time passes.
    """

    def __init__(
        self,
        config: ServiceConfig | None = None,
        engine: Engine | None = None,
        state_dir: str | Path | None = None,
        auto_run: bool = True,
    ) -> None:
        """Build the service; nothing listens until :meth:`start`."""
        from moto.server import DomainDispatcherApplication, create_backend_app

        self.config = config or ServiceConfig()
        self.endpoint_url = ""
        self.s3 = S3Files(default_s3_factory(lambda: self.endpoint_url, self.config.region))
        self.ctx = ServiceContext(self.config, runner=JobRunner(self.s3, engine))
        self.ctx.clock.jitter = self.config.jitter
        self.state_dir = Path(state_dir) if state_dir else None
        self.auto_run = auto_run
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._server: Any = None
        self._http: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """WSGI entry point."""
        path = environ.get("PATH_INFO", "")
        if path.startswith(control.PREFIX):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            status, payload = control.handle(
                self, environ["REQUEST_METHOD"], path, environ["wsgi.input"].read(length)
            )
            return _respond(
                start_response, status, json.dumps(payload, default=str).encode(), "application/json"
            )
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                status, body = api.call(self.ctx, target, environ["wsgi.input"].read(length))
            except ServiceError as err:
                status, body = err.status, error_body(err)
            except (
                Exception
            ) as err:  # a bug must answer like AWS (500 InternalFailure), not with an HTML page
                traceback.print_exc()
                status, body = (
                    500,
                    error_body(ServiceError("InternalFailure", f"{type(err).__name__}: {err}", 500)),
                )
            return _respond(start_response, status, body, CONTENT_TYPE)
        return self._moto(environ, start_response)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Bind, load saved state, start serving and ticking; return the endpoint URL."""
        from werkzeug.serving import make_server

        self._server = make_server(host, port, self, threaded=True, request_handler=_quiet_handler())
        bound_host, bound_port = self._server.server_address[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.endpoint_url = f"http://{shown}:{bound_port}"
        self._http = self._spawn(lambda: self._server.serve_forever(poll_interval=0.05), "mm-local-http")
        if self.state_dir:
            if self.ctx.store.load(self.state_dir):
                self.ctx.store.interrupt_unfinished(self.ctx.clock.now())
            s3store.restore(self.s3.client, self.state_dir, self.config.region)
        self._ticker = self._spawn(self._tick_loop, "mm-local-tick")
        return self.endpoint_url

    @staticmethod
    def _spawn(target: Callable[[], None], name: str) -> threading.Thread:
        """Start a daemon thread."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def _tick_loop(self) -> None:
        """Run due slots (when ``auto_run``) and save state, every TICK_SECONDS."""
        while not self._stopping.wait(TICK_SECONDS):
            if self.auto_run:
                run_due(self.ctx, wait_done=False)
            self.save()

    def save(self) -> None:
        """Save the state to the state directory, if there is one."""
        if self.state_dir:
            self.ctx.store.save(self.state_dir)

    def reset(self) -> None:
        """Forget every resource, fault and S3 object."""
        self.ctx.store.reset()
        self.ctx.faults.clear()
        s3store.reset_s3()

    def stop(self) -> None:
        """Stop serving: stop running jobs, save state and S3 objects, close the socket."""
        if self._server is None:
            return
        self._stopping.set()
        self._ticker.join()
        for event in list(self.ctx.stop_events.values()):
            event.set()
        self.ctx.workers.shutdown(wait=True, cancel_futures=True)
        if self.state_dir:
            self.save()
            s3store.snapshot(self.s3.client, self.state_dir)
        self._server.shutdown()
        self._server.server_close()
        self._http.join()
        self._server = None


def _quiet_handler() -> type:
    """moto's request handler (keeps S3 metadata headers intact) without per-request access logging."""
    from moto.server import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """Do not log successful requests."""

    return QuietHandler


def _respond(start_response: StartResponse, status: int, body: bytes, content_type: str) -> list[bytes]:
    """Send a complete response."""
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}.get(
        status, "Error"
    )
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [body]
