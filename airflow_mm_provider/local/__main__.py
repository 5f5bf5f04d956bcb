"""``mm-local``: run the local Model Monitor service, or drive a running one.

``mm-local serve [--host 127.0.0.1] [--port 0] [--state-dir DIR] [--region us-east-1] [--jitter]
[--pending-seconds 2] [--no-auto-run] [--max-request-mb 64]`` prints one JSON line
``{"endpoint_url": ..., "region": ...}`` when ready and stops cleanly on SIGINT/SIGTERM (a binding other than
loopback first prints a warning on stderr). ``mm-local run-due --until ISO [--endpoint URL]`` and
``mm-local status [--endpoint URL]`` call the control interface and print its JSON answer.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

from airflow_mm_provider.local.context import DEFAULT_PENDING_SECONDS, DEFAULT_REGION, ServiceConfig
from airflow_mm_provider.local.control_client import call_control
from airflow_mm_provider.local.wire import DEFAULT_MAX_REQUEST_BYTES

ENDPOINT_ENV = "MM_LOCAL_ENDPOINT"
MIB = 1024 * 1024


def _parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="mm-local", description="Local Amazon SageMaker Model Monitor service"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service (SageMaker API + S3 on one port)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    serve.add_argument(
        "--state-dir",
        help="directory of the database that keeps state and S3 objects across restarts and crashes",
    )
    serve.add_argument(
        "--region", default=DEFAULT_REGION, help="region used in ARNs and S3 (default us-east-1)"
    )
    serve.add_argument("--jitter", action="store_true", help="start executions 0-20 minutes after their slot")
    serve.add_argument(
        "--pending-seconds",
        type=float,
        default=DEFAULT_PENDING_SECONDS,
        help="how long schedules stay Pending after a change",
    )
    serve.add_argument(
        "--no-auto-run", action="store_true", help="only run slots when asked (run-due), not as time passes"
    )
    serve.add_argument(
        "--max-request-mb",
        type=_positive,
        default=DEFAULT_MAX_REQUEST_BYTES / MIB,
        help="largest SageMaker request body in MiB (default 64)",
    )
    default_endpoint = os.environ.get(ENDPOINT_ENV, "http://127.0.0.1:5000")
    run_due = commands.add_parser("run-due", help="run every due slot up to a time")
    run_due.add_argument("--until", required=True, help="ISO-8601 time, e.g. 2024-01-01T03:00:00Z")
    run_due.add_argument(
        "--endpoint", default=default_endpoint, help=f"service URL (default ${ENDPOINT_ENV})"
    )
    status = commands.add_parser("status", help="print the service's status")
    status.add_argument("--endpoint", default=default_endpoint, help=f"service URL (default ${ENDPOINT_ENV})")
    return parser


def _positive(text: str) -> float:
    """A positive finite number (argparse type)."""
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _control(endpoint: str, method: str, route: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call the control interface of a running service."""
    try:
        return call_control(endpoint, method, route, payload)
    except urllib.error.HTTPError as err:
        return json.loads(err.read() or b"{}") | {"http_status": err.code}
    except urllib.error.URLError as err:
        return {"error": f"cannot reach the local service at {endpoint}: {err.reason}"}


def serve(args: argparse.Namespace) -> int:
    """Run the service until SIGINT/SIGTERM."""
    from airflow_mm_provider.local.server import LocalService

    if not _loopback(args.host):
        print(
            f"mm-local: WARNING: listening on {args.host}, not loopback. Anyone who can reach this address "
            "can "
            "read and replace every object and resource (any credentials are accepted); bind 127.0.0.1 "
            "unless this machine's network is yours alone.",
            file=sys.stderr,
            flush=True,
        )
    config = ServiceConfig(
        region=args.region,
        pending_seconds=args.pending_seconds,
        jitter=args.jitter,
        max_request_bytes=int(args.max_request_mb * MIB),
    )
    service = LocalService(config, state_dir=args.state_dir, auto_run=not args.no_auto_run)
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    url = service.start(args.host, args.port)
    print(json.dumps({"endpoint_url": url, "region": config.region}), flush=True)
    done.wait()
    service.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mm-local`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "run-due":
        answer = _control(args.endpoint, "POST", "run-due", {"until": args.until})
    else:
        answer = _control(args.endpoint, "GET", "status")
    print(json.dumps(answer, indent=2))
    return 1 if "error" in answer else 0


if __name__ == "__main__":
    sys.exit(main())
