"""``mm-local`` as a subprocess: one JSON line when ready, control subcommands, clean exit on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest


def start(state_dir: Path) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start ``mm-local serve`` and read its ready line."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_mm_provider.local",
            "serve",
            "--port",
            "0",
            "--pending-seconds",
            "0",
            "--state-dir",
            str(state_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def command(*args: str) -> dict[str, Any]:
    """Run a control subcommand and parse its output."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow_mm_provider.local", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def sagemaker(url: str) -> Any:
    """A SageMaker client for the service at ``url`` (dummy credentials)."""
    return boto3.client(
        "sagemaker",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


def terminate(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM, then the exit code and the rest of stdout."""
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    return process.returncode, out


def test_serve_prints_one_line_and_stops_cleanly(tmp_path: Path) -> None:
    process, ready = start(tmp_path)
    try:
        assert ready["region"] == "us-east-1" and ready["endpoint_url"].startswith("http://127.0.0.1:")
        url = ready["endpoint_url"]
        sm = sagemaker(url)
        sm.create_endpoint_config(EndpointConfigName="kept", ProductionVariants=[{"VariantName": "v"}])
        assert command("status", "--endpoint", url)["counts"]["endpoint_configs"] == 1
        assert command("run-due", "--until", "2030-01-01T00:00:00Z", "--endpoint", url)["executions"] == []
    finally:
        code, rest = terminate(process)
    assert (code, rest) == (0, "")
    process, ready = start(tmp_path)
    try:
        assert command("status", "--endpoint", ready["endpoint_url"])["counts"]["endpoint_configs"] == 1
    finally:
        assert terminate(process)[0] == 0


def test_control_commands_report_an_unreachable_service() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow_mm_provider.local", "status", "--endpoint", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "cannot reach the local service" in json.loads(done.stdout)["error"]


def test_binding_beyond_loopback_warns_and_the_request_limit_is_set(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_mm_provider.local",
            "serve",
            "--host",
            "0.0.0.0",
            "--max-request-mb",
            "0.001",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = json.loads(process.stdout.readline())["endpoint_url"].replace("0.0.0.0", "127.0.0.1")
        warning = process.stderr.readline()
        sm = sagemaker(url)
        with pytest.raises(sm.exceptions.ClientError) as err:
            sm.list_monitoring_schedules(NameContains="x" * 2000)
    finally:
        terminate(process)
    assert "WARNING: listening on 0.0.0.0, not loopback" in warning
    assert err.value.response["Error"]["Code"] == "RequestEntityTooLargeException"


def test_loopback_binding_prints_no_warning(tmp_path: Path) -> None:
    process, _ = start(tmp_path)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=30)
    assert (process.returncode, errors) == (0, "")
