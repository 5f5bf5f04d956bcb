"""The one-command demo: the example DAGs end to end against the local Model Monitor service.

Run it with ``python3.11 dev.py demo`` (which sets up the virtual environment and a throwaway
``AIRFLOW_HOME``). It starts ``mm-local``, seeds a few hours of synthetic traffic (healthy, then drifted),
runs the example DAGs with ``airflow dags test``, moves the service clock so each hourly slot's execution
happens in seconds, and prints which branch each run took and what the monitors found.

Timeline, relative to the current hour H (the sensors compare slots with the real clock, so every slot
lies in the past): traffic for hours H-6 .. H-1; hourly monitoring runs for the slots H-5, H-4 (healthy),
H-3 (drifted: violations, retraining), H-2 (the retrained model); batch-transform monitoring of the slot
H-1; then an on-demand check of the drifted hour.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from mm_examples import ExampleSettings  # noqa: E402
from mm_examples.demo_data import (  # noqa: E402
    DRIFT,
    RETRAINED_SEED,
    V1_SEED,
    Hour,
    batch_objects,
    create_endpoint,
    endpoint_objects,
    put_objects,
    validation_objects,
)

HOUR = timedelta(hours=1)
SLOT_DELAY = timedelta(minutes=5)
"""How far past a slot the clock moves to run it (executions start 0-20 minutes after the slot)."""
CONNECTION_ID = "mm_local"
SETTINGS = ExampleSettings(aws_conn_id=CONNECTION_ID, poke_interval=1.0, check_interval=1)
HOURLY_DAG, RETRAINING_DAG = "mm_hourly_monitoring", "mm_retraining"
BATCH_DAG, ON_DEMAND_DAG = "mm_batch_transform_monitoring", "mm_on_demand_check"


class LocalService:
    """``mm-local serve`` as a subprocess, with boto3 clients and the control interface."""

    def __init__(self) -> None:
        """Start the service on a free port and wait for its JSON line."""
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "airflow_mm_provider.local",
                "serve",
                "--port",
                "0",
                "--no-auto-run",
                "--pending-seconds",
                "0",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready = json.loads(self.process.stdout.readline())
        self.endpoint_url: str = ready["endpoint_url"]
        self.region: str = ready["region"]
        options = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": "demo",
            "aws_secret_access_key": "demo",
            "config": Config(s3={"addressing_style": "path"}),
        }
        self.sagemaker = boto3.client("sagemaker", **options)
        self.s3 = boto3.client("s3", **options)

    def control(self, route: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST to the control interface."""
        import urllib.request

        request = urllib.request.Request(
            f"{self.endpoint_url}/_mm-local/{route}",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    def set_clock(self, now: datetime) -> None:
        """Set the service time."""
        self.control("clock", {"now": now.isoformat()})

    def run_due(self, until: datetime | None = None) -> list[dict[str, Any]]:
        """Run every slot due by ``until`` (default: the service's now) to its end."""
        return self.control("run-due", {"until": until.isoformat() if until else None})["executions"]

    def schedules_ready(self, names: list[str]) -> bool:
        """Whether every named schedule exists and is Scheduled."""
        found = {
            s["MonitoringScheduleName"]: s["MonitoringScheduleStatus"]
            for s in self.sagemaker.list_monitoring_schedules(MaxResults=100)["MonitoringScheduleSummaries"]
        }
        return all(found.get(name) == "Scheduled" for name in names)

    def stop(self) -> None:
        """Stop the service."""
        self.process.terminate()
        self.process.wait(timeout=30)


class Airflow:
    """``airflow`` commands in the throwaway AIRFLOW_HOME, pointed at the service."""

    def __init__(self, service: LocalService) -> None:
        """Environment: the example DAGs folder, the ``mm_local`` connection and the demo settings."""
        self.home = Path(os.environ["AIRFLOW_HOME"])
        connection = {
            "conn_type": "aws",
            "extra": {
                "endpoint_url": service.endpoint_url,
                "region_name": service.region,
                "aws_access_key_id": "demo",
                "aws_secret_access_key": "demo",
            },
        }
        settings = {"aws_conn_id": CONNECTION_ID, "poke_interval": 1.0, "check_interval": 1}
        self.env = {
            **os.environ,
            "AIRFLOW__CORE__DAGS_FOLDER": str(HERE),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            f"AIRFLOW_CONN_{CONNECTION_ID.upper()}": json.dumps(connection),
            "AIRFLOW_VAR_MM_EXAMPLES": json.dumps(settings),
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
        }
        self.logs = self.home / "demo-logs"
        self.logs.mkdir(exist_ok=True)

    def run(
        self, *args: str, name: str, driver: Callable[[subprocess.Popen[str]], None] | None = None
    ) -> None:
        """Run ``airflow <args>`` (logs to a file); ``driver`` runs alongside it; raise if it fails."""
        log = self.logs / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "airflow"), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
            thread = threading.Thread(target=driver, args=(process,), daemon=True) if driver else None
            if thread:
                thread.start()
            code = process.wait()
            if thread:
                thread.join(timeout=60)
        if code != 0:
            tail = "\n".join(log.read_text().splitlines()[-40:])
            raise RuntimeError(f"airflow {' '.join(args)} failed (exit {code}); log {log}:\n{tail}")

    def test_dag(
        self,
        dag_id: str,
        logical_date: datetime,
        name: str,
        conf: dict[str, Any] | None = None,
        driver: Callable[[subprocess.Popen[str]], None] | None = None,
    ) -> None:
        """``airflow dags test <dag_id> <logical_date>``."""
        args = ["dags", "test", dag_id, logical_date.isoformat()]
        if conf is not None:
            args += ["--conf", json.dumps(conf)]
        self.run(*args, name=name, driver=driver)

    def task_states(self) -> dict[tuple[str, str], dict[str, str]]:
        """(dag id, run id) -> task id -> state, read from the metadata database."""
        states: dict[tuple[str, str], dict[str, str]] = {}
        database = next(path for name in ("airflow.db", "unittests.db") if (path := self.home / name).exists())
        with sqlite3.connect(database) as db:
            for dag_id, run_id, task_id, state in db.execute(
                "select dag_id, run_id, task_id, state from task_instance"
            ):
                states.setdefault((dag_id, run_id), {})[task_id] = state
        return states


def run_slots_when_ready(service: LocalService, schedules: list[str], until: datetime | None):
    """A driver: once the schedules exist, run the due slots (repeatedly, while the DAG run lasts)."""

    def drive(process: subprocess.Popen[str]) -> None:
        while process.poll() is None:
            if service.schedules_ready(schedules):
                service.run_due(until)
            time.sleep(0.5)

    return drive


def read_json(service: LocalService, uri: str) -> Any:
    """An S3 JSON object, or None when missing."""
    bucket, key = uri[len("s3://") :].split("/", 1)
    try:
        return json.loads(service.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except service.s3.exceptions.NoSuchKey:
        return None


def executions(service: LocalService, schedule: str) -> list[dict[str, Any]]:
    """A schedule's executions, oldest first, each with its report prefix (``report``)."""
    found = service.sagemaker.list_monitoring_executions(
        MonitoringScheduleName=schedule, SortBy="ScheduledTime", SortOrder="Ascending", MaxResults=100
    )["MonitoringExecutionSummaries"]
    for execution in found:
        arn = execution.get("ProcessingJobArn")
        if arn:
            job = service.sagemaker.describe_processing_job(ProcessingJobName=arn.rsplit("/", 1)[-1])
            execution["report"] = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    return found


def describe_execution(service: LocalService, execution: dict[str, Any], kind: str) -> list[str]:
    """Report lines of one execution: status, headline numbers, violations and where the reports are."""
    slot = execution["ScheduledTime"].strftime("%H:%M")
    lines = [f"  slot {slot}  {execution['MonitoringExecutionStatus']}"]
    report = execution.get("report")
    if not report:
        return lines + [f"    {execution.get('FailureReason', '')}"]
    if kind == "ModelQuality":
        statistics = read_json(service, f"{report}/statistics.json") or {}
        metrics = statistics.get("binary_classification_metrics", {})
        shown = ", ".join(
            f"{name} {metrics[name]['value']:.3f}" for name in ("accuracy", "f1") if name in metrics
        )
        lines[0] += f"   {shown}"
    violations = (read_json(service, f"{report}/constraint_violations.json") or {}).get("violations", [])
    for violation in violations[:6]:
        subject = violation.get("metric_name") or violation.get("feature_name")
        facet = f" [{violation['facet']}={violation['facet_value']}]" if violation.get("facet") else ""
        lines.append(
            f"    - {violation['constraint_check_type']} {subject}{facet}: {violation['description']}"
        )
    if len(violations) > 6:
        lines.append(f"    - ... and {len(violations) - 6} more")
    lines.append(f"    reports: {report}/")
    return lines


def branch_taken(states: dict[str, str], candidates: list[str]) -> str:
    """The candidate tasks that succeeded (the branch followed), or 'none'."""
    taken = [task for task in candidates if states.get(task) == "success"]
    return ", ".join(taken) or "none"


def report(service: LocalService, airflow: Airflow, runs: list[tuple[str, str]]) -> str:
    """The demo's summary: each DAG run's branches, then each schedule's executions."""
    states = airflow.task_states()
    by_label = {}
    for (dag_id, run_id), tasks in states.items():
        by_label.setdefault(dag_id, []).append((run_id, tasks))
    lines = ["", "=" * 100, "DAG runs"]
    for dag_id, label in runs:
        candidates = {
            HOURLY_DAG: [
                "done",
                "trigger_retraining",
                "alert",
                "model_quality_violations",
                "model_bias_violations",
            ],
            BATCH_DAG: ["done", "needs_attention"],
            RETRAINING_DAG: ["promote"],
            ON_DEMAND_DAG: ["model_quality_check", "model_bias_check", "judge"],
        }[dag_id]
        run = next((tasks for run_id, tasks in sorted(by_label.get(dag_id, [])) if label in run_id), None)
        taken = branch_taken(run or {}, candidates)
        lines.append(f"  {dag_id:32} {label:26} -> {taken}")
    for schedule, kind in (
        (SETTINGS.schedule_name("model-quality"), "ModelQuality"),
        (SETTINGS.schedule_name("model-bias"), "ModelBias"),
        (f"{SETTINGS.endpoint_name}-batch-model-quality", "ModelQuality"),
    ):
        lines += ["", f"Executions of {schedule} ({kind})"]
        for execution in executions(service, schedule):
            lines += describe_execution(service, execution, kind)
    return "\n".join(lines)


def main() -> int:
    """Run the demo; print the report."""
    started = time.monotonic()
    now = datetime.now(timezone.utc)
    top = now.replace(minute=0, second=0, microsecond=0)
    if now - top < timedelta(minutes=2):  # the sensors look one minute after a slot, in real time
        time.sleep((timedelta(minutes=2) - (now - top)).total_seconds())
    print("[demo] starting mm-local", flush=True)
    service = LocalService()
    try:
        airflow = Airflow(service)
        print("[demo] airflow db migrate", flush=True)
        airflow.run("db", "migrate", name="db-migrate")
        airflow.run("dags", "reserialize", name="dags-reserialize")
        hours = [
            Hour(top - 6 * HOUR, V1_SEED),
            Hour(top - 5 * HOUR, V1_SEED),
            Hour(top - 4 * HOUR, V1_SEED, DRIFT),
            Hour(top - 3 * HOUR, RETRAINED_SEED),
            Hour(top - 2 * HOUR, RETRAINED_SEED),
            Hour(top - 1 * HOUR, RETRAINED_SEED),
        ]
        print(
            f"[demo] seeding {len(hours)} hours of traffic from {hours[0].start:%H:%M} UTC "
            f"(drift in the hour from {hours[2].start:%H:%M})",
            flush=True,
        )
        service.s3.create_bucket(Bucket=SETTINGS.bucket)
        create_endpoint(service.sagemaker, SETTINGS)
        put_objects(service.s3, validation_objects(SETTINGS, "v1", V1_SEED))
        for hour in hours:
            put_objects(service.s3, endpoint_objects(SETTINGS, hour))
        put_objects(service.s3, batch_objects(SETTINGS, Hour(top - 2 * HOUR, V1_SEED, DRIFT)))
        put_objects(service.s3, batch_objects(SETTINGS, Hour(top - 1 * HOUR, V1_SEED, DRIFT)))

        endpoint_schedules = [SETTINGS.schedule_name("model-quality"), SETTINGS.schedule_name("model-bias")]
        service.set_clock(top - 5 * HOUR - timedelta(minutes=10))
        runs: list[tuple[str, str]] = []
        for index, slot in enumerate([top - 5 * HOUR, top - 4 * HOUR, top - 3 * HOUR, top - 2 * HOUR]):
            logical = slot + HOUR
            print(f"[demo] {HOURLY_DAG}: data interval {slot:%H:%M}-{logical:%H:%M}", flush=True)
            airflow.test_dag(
                HOURLY_DAG,
                logical,
                f"hourly-{index}",
                driver=run_slots_when_ready(service, endpoint_schedules, slot + SLOT_DELAY),
            )
            runs.append((HOURLY_DAG, logical.strftime("%Y-%m-%dT%H")))
            if index == 2:
                print(f"[demo] {RETRAINING_DAG}: triggered by the violations; running it", flush=True)
                airflow.test_dag(
                    RETRAINING_DAG,
                    logical + timedelta(minutes=30),
                    "retraining",
                    conf={"reason": "monitoring violations"},
                )
                runs.append((RETRAINING_DAG, (logical + timedelta(minutes=30)).strftime("%Y-%m-%dT%H")))
        batch_slot = top - HOUR
        batch_schedule = [f"{SETTINGS.endpoint_name}-batch-model-quality"]
        print(f"[demo] {BATCH_DAG}: data interval {batch_slot:%H:%M}-{top:%H:%M}", flush=True)
        airflow.test_dag(
            BATCH_DAG,
            top,
            "batch",
            driver=run_slots_when_ready(service, batch_schedule, batch_slot + SLOT_DELAY),
        )
        runs.append((BATCH_DAG, top.strftime("%Y-%m-%dT%H")))
        print(
            f"[demo] {ON_DEMAND_DAG}: model quality of {hours[2].start:%H:%M}-{hours[3].start:%H:%M}",
            flush=True,
        )
        service.set_clock(datetime.now(timezone.utc))
        on_demand = datetime.now(timezone.utc).replace(microsecond=0)
        airflow.test_dag(
            ON_DEMAND_DAG,
            on_demand,
            "on-demand",
            conf={
                "monitor_type": "ModelQuality",
                "window_end": hours[3].start.isoformat(),
                "hours": 1,
                "subjects": ["accuracy", "f1"],
            },
            driver=run_slots_when_ready(service, [], None),
        )
        runs.append((ON_DEMAND_DAG, on_demand.strftime("%Y-%m-%dT%H")))
        print(report(service, airflow, runs))
        print(
            f"\n[demo] done in {time.monotonic() - started:.0f} s; Airflow logs of each run: {airflow.logs}"
        )
        return 0
    finally:
        service.stop()


if __name__ == "__main__":
    sys.exit(main())
