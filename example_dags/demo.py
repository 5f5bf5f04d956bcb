"""The one-command demo: the example DAGs end to end against the local Model Monitor service.

Run it with ``python3.11 dev.py demo`` (which sets up the virtual environment and a throwaway
``AIRFLOW_HOME``). It starts ``mm-local``, seeds a few hours of synthetic traffic (healthy, then drifted),
runs the example DAGs with ``airflow dags test``, moves the service clock so each hourly slot's execution
happens in seconds, and prints which branch each run took and what the monitors found.

Timeline, relative to the current hour H (the sensors compare slots with the real clock, so every slot
lies in the past): traffic for hours H-6 .. H-1; hourly monitoring runs for the slots H-5, H-4 (healthy),
H-3 (drifted: violations, retraining), H-2 (the retrained model), each of the first three followed by the
self-hosted DAG on the same slot (the same checks on the Airflow worker, no Model Monitor call);
batch-transform monitoring of the slot H-1; then an on-demand check of the drifted hour.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from mm_examples import ExampleSettings  # noqa: E402
from mm_examples.demo_data import (  # noqa: E402
    DRIFT,
    HOUR_SEEDS,
    V1_SEED,
    Hour,
    batch_objects,
    create_endpoint,
    endpoint_objects,
    put_objects,
    validation_objects,
)

from airflow_mm_provider.local.control_client import call_control  # noqa: E402

HOUR = timedelta(hours=1)
SLOT_DELAY = timedelta(minutes=5)
"""How far past a slot the clock moves to run it (executions start 0-20 minutes after the slot)."""
CONNECTION_ID = "mm_local"
SETTINGS = ExampleSettings(aws_conn_id=CONNECTION_ID, poke_interval=1.0, check_interval=1)
HOURLY_DAG, RETRAINING_DAG = "mm_hourly_monitoring", "mm_retraining"
BATCH_DAG, ON_DEMAND_DAG = "mm_batch_transform_monitoring", "mm_on_demand_check"
SELF_HOSTED_DAG = "mm_self_hosted_monitoring"


class LocalService:
    """``mm-local serve`` as a subprocess (or one already running), with boto3 clients and its control."""

    def __init__(self, endpoint_url: str | None = None, state_dir: Path | None = None) -> None:
        """Start the service on a free port and wait for its JSON line; or use the one at ``endpoint_url``.

        :param endpoint_url: a running service to use instead.
        :param state_dir: keep the service's state there and let it outlive the demo (``--keep``).
        """
        self.process: subprocess.Popen[str] | None = None
        self.state_dir = state_dir
        if endpoint_url is None:
            self._start()
        else:
            self.endpoint_url, self.region = endpoint_url.rstrip("/"), SETTINGS.region or "us-east-1"
        options = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": "demo",
            "aws_secret_access_key": "demo",
            "config": Config(s3={"addressing_style": "path"}),
        }
        self.sagemaker = boto3.client("sagemaker", **options)
        self.s3 = boto3.client("s3", **options)

    def _start(self) -> None:
        """Run ``mm-local serve`` (slots run only when asked) and read where it listens."""
        command = [sys.executable, "-m", "airflow_mm_provider.local", "serve", "--port", "0", "--no-auto-run"]
        command += ["--pending-seconds", "0"]
        if self.state_dir is None:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            assert self.process.stdout is not None
            ready = json.loads(self.process.stdout.readline())
        else:  # it outlives the demo: its output goes to a file, not a pipe that closes with the demo
            output = self.state_dir / "mm-local.out"
            with output.open("w") as out:
                command += ["--state-dir", str(self.state_dir)]
                self.process = subprocess.Popen(command, stdout=out, text=True, start_new_session=True)
            deadline = time.monotonic() + 60
            while not output.read_text().strip() and time.monotonic() < deadline:
                time.sleep(0.1)
            ready = json.loads(output.read_text().splitlines()[0])
        self.endpoint_url = ready["endpoint_url"]
        self.region = ready["region"]

    def control(self, route: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST to the control interface."""
        return call_control(self.endpoint_url, "POST", route, payload)

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
        """Stop the service if this demo started it (and was not asked to keep it)."""
        if self.process is not None and self.state_dir is None:
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
            # The DAGs import mm_examples from their folder, which the DAG processor puts on sys.path;
            # Airflow 3.1's `dags reserialize` and `dags test` do not.
            "PYTHONPATH": os.pathsep.join(filter(None, (str(HERE), os.environ.get("PYTHONPATH")))),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            # `dags test` resumes deferred tasks in-process: no worker exit to wait out before a first look
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "0",
            "AIRFLOW__CORE__FERNET_KEY": os.environ.get("AIRFLOW__CORE__FERNET_KEY")
            or Fernet.generate_key().decode(),
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

    def database(self) -> Path:
        """The metadata database (SQLite)."""
        return next(path for name in ("airflow.db", "unittests.db") if (path := self.home / name).exists())

    def task_states(self) -> dict[tuple[str, str], tuple[dict[str, str], str]]:
        """(dag id, logical date ``YYYY-MM-DD HH``) -> (task id -> state, data interval ``HH:MM-HH:MM``),
        from the metadata database."""
        runs: dict[tuple[str, str], tuple[dict[str, str], str]] = {}
        with sqlite3.connect(self.database()) as db:
            columns = {row[1] for row in db.execute("pragma table_info(dag_run)")}
            logical = "logical_date" if "logical_date" in columns else "execution_date"
            query = (
                f"select r.dag_id, r.{logical}, r.data_interval_start, r.data_interval_end, t.task_id, "
                "t.state from task_instance t join dag_run r on r.dag_id = t.dag_id and r.run_id = t.run_id"
            )
            for dag_id, date, start, end, task_id, state in db.execute(query):
                interval = (
                    "none" if start is None or start == end else f"{str(start)[11:16]}-{str(end)[11:16]}"
                )
                runs.setdefault((dag_id, str(date)[:13]), ({}, interval))[0][task_id] = state
        return runs

    def returned(self, dag_id: str, task_suffix: str) -> list[Any]:
        """What the tasks of ``dag_id`` whose id ends with ``task_suffix`` returned (XCom), in every run."""
        query = "select value from xcom where dag_id = ? and task_id like ? and key = 'return_value'"
        with sqlite3.connect(self.database()) as db:
            return [json.loads(value) for (value,) in db.execute(query, (dag_id, f"%{task_suffix}"))]


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


def self_hosted_analyses(airflow: Airflow) -> dict[str, list[dict[str, Any]]]:
    """Self-hosted monitor -> its analyses, oldest first, from what the self-hosted DAG's analysis tasks
    returned; each shaped like an execution of :func:`executions` (with ``report`` when it wrote reports)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for summary in airflow.returned(SELF_HOSTED_DAG, "_analysis"):
        status = summary["monitoring_execution_status"]
        found.setdefault(summary["monitoring_schedule_name"], []).append(
            {
                "ScheduledTime": datetime.fromisoformat(summary["scheduled_time"]),
                "MonitoringType": summary["monitoring_type"],
                "MonitoringExecutionStatus": status,
                "FailureReason": summary.get("failure_reason") or "",
                **({"report": summary["report_uri"]} if status.startswith("Completed") else {}),
            }
        )
    return {name: sorted(found[name], key=lambda e: e["ScheduledTime"]) for name in sorted(found)}


def violations_of(service: LocalService, execution: dict[str, Any]) -> list[dict[str, Any]]:
    """The violations an execution's report lists (none when it has no report)."""
    report = execution.get("report")
    if not report:
        return []
    return (read_json(service, f"{report}/constraint_violations.json") or {}).get("violations", [])


def check_name(violation: dict[str, Any]) -> str:
    """A violation's check: ``<check type> <metric or feature>[ [facet=value]]``."""
    subject = violation.get("metric_name") or violation.get("feature_name")
    facet = f" [{violation['facet']}={violation['facet_value']}]" if violation.get("facet") else ""
    return f"{violation['constraint_check_type']} {subject}{facet}"


def describe_execution(service: LocalService, execution: dict[str, Any], kind: str) -> list[str]:
    """Report lines of one execution: status, headline numbers, violations and where the reports are."""
    slot = execution["ScheduledTime"].astimezone(timezone.utc).strftime("%H:%M")
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
    violations = violations_of(service, execution)
    for violation in violations[:4]:
        lines.append(f"    - {check_name(violation)}: {violation['description']}")
    if len(violations) > 4:
        lines.append(f"    - ... and {len(violations) - 4} more")
    lines.append(f"    reports: {report}/")
    return lines


def branch_taken(states: dict[str, str], candidates: list[str]) -> str:
    """The candidate tasks that succeeded (the branch followed), or 'none'."""
    taken = [task for task in candidates if states.get(task) == "success"]
    return ", ".join(taken) or "none"


class DemoRun(NamedTuple):
    """One DAG run of the demo: its DAG, logical date, the slot it awaits, its story and its monitors (the
    schedules whose executions it awaits, or the self-hosted monitors it analyses the slot for)."""

    dag_id: str
    logical: datetime
    slot: datetime | None
    story: str
    schedules: tuple[str, ...] = ()


BRANCHES = {
    HOURLY_DAG: ["done", "trigger_retraining", "alert", "model_quality_violations", "model_bias_violations"],
    BATCH_DAG: ["done", "needs_attention"],
    RETRAINING_DAG: ["promote"],
    ON_DEMAND_DAG: ["model_quality_check", "model_bias_check", "judge"],
    SELF_HOSTED_DAG: [
        *(
            f"{prefix}_{outcome}"
            for prefix in ("data_quality", "model_quality", "model_bias")
            for outcome in ("ok", "violations", "failed")
        ),
        "done",
        "violations_found",
        "alert",
    ],
}
"""Per DAG, the tasks whose success shows the branch a run took."""
MONITORED = {
    SETTINGS.schedule_name("model-quality"): "ModelQuality",
    SETTINGS.schedule_name("model-bias"): "ModelBias",
    f"{SETTINGS.endpoint_name}-batch-model-quality": "ModelQuality",
}
"""The demo's schedules and their monitoring types."""
SELF_HOSTED = {
    kind: SETTINGS.schedule_name(f"self-hosted-{kind}")
    for kind in ("data-quality", "model-quality", "model-bias")
}
"""The self-hosted DAG's monitors (no schedule: its workers analyse each slot), by kind."""
COMPARED = {SETTINGS.schedule_name(kind): SELF_HOSTED[kind] for kind in ("model-quality", "model-bias")}
"""Model Monitor's schedule -> the self-hosted monitor running the same checks on the same traffic."""


def slot_statuses(found: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, datetime], str]:
    """(monitor, scheduled time) -> ``<monitor type> <status>`` of every execution in ``found`` (monitor ->
    its executions)."""
    return {
        (monitor, execution["ScheduledTime"].astimezone(timezone.utc)): (
            f"{execution['MonitoringType']} {execution['MonitoringExecutionStatus']}"
        )
        for monitor, listed in found.items()
        for execution in listed
    }


def report_documents(service: LocalService, prefix: str) -> dict[str, Any]:
    """File name -> parsed JSON of every report file under ``prefix``."""
    bucket, key = prefix[len("s3://") :].split("/", 1)
    listed = service.s3.list_objects_v2(Bucket=bucket, Prefix=f"{key.rstrip('/')}/").get("Contents", [])
    return {
        item["Key"].rsplit("/", 1)[-1]: read_json(service, f"s3://{bucket}/{item['Key']}") for item in listed
    }


def agreement(service: LocalService, found: dict[str, list[dict[str, Any]]], slot: datetime) -> str:
    """One line: whether the self-hosted analyses of ``slot`` found what Model Monitor's executions of that
    slot found (status, violated checks, report files), per pair of :data:`COMPARED`, or what differs."""
    same, differences = [], []
    for schedule, monitor in COMPARED.items():
        executed, analysed = (
            next((e for e in found.get(name, []) if e["ScheduledTime"] == slot), None)
            for name in (schedule, monitor)
        )
        if executed is None or analysed is None:
            differences.append(f"{schedule} or {monitor}: no execution at {slot:%H:%M}")
            continue
        pair = (executed, analysed)
        kind = executed["MonitoringType"]
        checks = [{check_name(violation) for violation in violations_of(service, e)} for e in pair]
        documents = [report_documents(service, e["report"]) if e.get("report") else {} for e in pair]
        if executed["MonitoringExecutionStatus"] != analysed["MonitoringExecutionStatus"]:
            differences.append(
                f"{kind} status: Model Monitor {executed['MonitoringExecutionStatus']}, "
                f"self-hosted {analysed['MonitoringExecutionStatus']}"
            )
        if checks[0] != checks[1]:
            differences.append(
                f"{kind} checks only Model Monitor violated: {sorted(checks[0] - checks[1]) or 'none'}; "
                f"only self-hosted: {sorted(checks[1] - checks[0]) or 'none'}"
            )
        unequal = sorted(
            name
            for name in documents[0].keys() | documents[1].keys()
            if documents[0].get(name) != documents[1].get(name)
        )
        if unequal:
            differences.append(f"{kind} report files that differ or one side lacks: {', '.join(unequal)}")
        same.append(f"{kind} {len(checks[0])} violated checks ({', '.join(sorted(documents[0]))})")
    if differences:
        return f"  they differ: {'; '.join(differences)}"
    return (
        f"  they agree: {'; '.join(same)}; the same status, violated checks and report files (equal as JSON)"
    )


def monitor_executions(service: LocalService, airflow: Airflow) -> dict[str, list[dict[str, Any]]]:
    """Monitor -> its executions, oldest first: those of :data:`MONITORED` and every self-hosted monitor's."""
    return {schedule: executions(service, schedule) for schedule in MONITORED} | self_hosted_analyses(airflow)


def report(service: LocalService, airflow: Airflow, runs: list[DemoRun], drifted: datetime) -> str:
    """The demo's summary: each DAG run's data interval, branch and why; whether the self-hosted path found
    what Model Monitor found at the ``drifted`` slot; then each schedule's executions."""
    states = airflow.task_states()
    monitored = monitor_executions(service, airflow)
    statuses = slot_statuses(monitored)
    lines = [
        "",
        "=" * 100,
        "DAG runs: the data interval each run covers (UTC, from Airflow's metadata database), the branch it",
        "took and why. A monitoring run awaits the execution at its interval's end, which analyses it.",
        "",
        f"  {'DAG':30} {'data interval':13}  branch taken",
        "      why",
    ]
    for run in runs:
        tasks, interval = states.get((run.dag_id, run.logical.strftime("%Y-%m-%d %H")), ({}, "?"))
        why = run.story
        if run.slot is not None:
            found = [statuses[key] for name in run.schedules if (key := (name, run.slot)) in statuses]
            why = f"slot {run.slot:%H:%M}: {', '.join(found) or 'no execution'}; {run.story}"
        lines.append(f"  {run.dag_id:30} {interval:13}  {branch_taken(tasks, BRANCHES[run.dag_id])}")
        lines.append(f"      {why}")
    lines += [
        "",
        f"Self-hosted ({SELF_HOSTED_DAG}) vs Model Monitor at the drifted slot {drifted:%H:%M}:",
        agreement(service, monitored, drifted),
    ]
    schedules = dict(MONITORED)
    every = service.sagemaker.list_monitoring_executions(MaxResults=100)["MonitoringExecutionSummaries"]
    schedules.update(
        {
            e["MonitoringScheduleName"]: e["MonitoringType"]
            for e in every
            if e["MonitoringScheduleName"] not in schedules
        }
    )
    for schedule, kind in schedules.items():
        lines += ["", f"Executions of {schedule} ({kind})"]
        for execution in executions(service, schedule):
            lines += describe_execution(service, execution, kind)
    return "\n".join(lines)


def demo_record(
    service: LocalService, airflow: Airflow, runs: list[DemoRun], hours: list[Hour]
) -> dict[str, Any]:
    """What the demo ran, as JSON (times ISO-8601 UTC): each DAG run (DAG, logical date, the slot it awaited
    and the monitors it awaited there: schedules, or the self-hosted DAG's monitors), every execution of those
    monitors (a self-hosted monitor's: its analyses; scheduled time, monitoring type, status, the violations
    its report lists), and the slots whose execution analyses drifted traffic."""
    awaited = sorted({schedule for run in runs for schedule in run.schedules})
    found = self_hosted_analyses(airflow)
    return {
        "runs": [
            {
                "dag_id": run.dag_id,
                "logical_date": run.logical.isoformat(),
                "slot": None if run.slot is None else run.slot.isoformat(),
                "schedules": list(run.schedules),
            }
            for run in runs
        ],
        "executions": {
            schedule: [
                {
                    "scheduled_time": execution["ScheduledTime"].astimezone(timezone.utc).isoformat(),
                    "monitoring_type": execution["MonitoringType"],
                    "status": execution["MonitoringExecutionStatus"],
                    "violations": violations_of(service, execution),
                }
                for execution in (found[schedule] if schedule in found else executions(service, schedule))
            ]
            for schedule in awaited
        },
        "drifted_slots": [(hour.start + HOUR).isoformat() for hour in hours if hour.degradation is not None],
    }


def demo_hours(top: datetime) -> list[Hour]:
    """The endpoint's traffic, each hour a fresh sample: two healthy hours, a drifted one, then three of the
    retrained model (healthy)."""
    drifted = 2
    return [
        Hour(top - (6 - index) * HOUR, seed, DRIFT if index == drifted else None)
        for index, seed in enumerate(HOUR_SEEDS[:6])
    ]


def batch_hours(top: datetime) -> list[Hour]:
    """The batch jobs' output of the last two hours: fresh samples, drifted on purpose."""
    return [Hour(top - k * HOUR, seed, DRIFT) for k, seed in zip((2, 1), HOUR_SEEDS[6:8], strict=True)]


def seed(service: LocalService, top: datetime) -> None:
    """Bucket, endpoint, model v1's validation data, the endpoint's and the batch jobs' traffic; the service
    clock ten minutes before the first hourly slot."""
    hours = demo_hours(top)
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
    for hour in batch_hours(top):
        put_objects(service.s3, batch_objects(SETTINGS, hour))
    service.set_clock(top - 5 * HOUR - timedelta(minutes=10))


def keep_instructions(service: LocalService, airflow: Airflow) -> str:
    """How to read the reports and open the Airflow UI on the runs once the demo has ended."""
    env_file = airflow.home / "demo-env.sh"
    names = [
        "AIRFLOW_HOME",
        "AIRFLOW__CORE__DAGS_FOLDER",
        "AIRFLOW__CORE__LOAD_EXAMPLES",
        "AIRFLOW__CORE__FERNET_KEY",
        f"AIRFLOW_CONN_{CONNECTION_ID.upper()}",
        "AIRFLOW_VAR_MM_EXAMPLES",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]
    env = {**airflow.env, "AIRFLOW_HOME": str(airflow.home)}
    env_file.write_text("".join(f"export {name}={shlex.quote(env[name])}\n" for name in names))
    assert service.process is not None
    url, bucket = service.endpoint_url, SETTINGS.bucket
    client = (
        f"boto3.client('s3', endpoint_url='{url}', region_name='{service.region}', "
        "aws_access_key_id='demo', aws_secret_access_key='demo')"
    )
    return "\n".join(
        [
            "",
            f"[demo] mm-local keeps running at {url}, state in {service.state_dir}",
            f"       stop it with: kill {service.process.pid}",
            "List the reports (the AWS CLI, if installed):",
            "  AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo aws s3 ls --recursive "
            f"--region {service.region} --endpoint-url {url} s3://{bucket}/",
            "Read one (boto3, in .venv):",
            f"  .venv/bin/python -c \"import boto3; print({client}.get_object(Bucket='{bucket}', "
            "Key='<key from the listing>')['Body'].read().decode())\"",
            "Open the Airflow UI on these runs (leave the DAGs paused; the runs above are in its database):",
            f"  source {env_file} && .venv/bin/airflow standalone",
        ]
    )


def main(keep: bool = False, record: Path | None = None) -> int:
    """Run the demo; print the report; with ``keep``, leave the service running and say how to look around.

    :param keep: keep mm-local running (state under ``$AIRFLOW_HOME/mm-local-state``) after the demo.
    :param record: write what the demo ran there, as JSON (see :func:`demo_record`).
    """
    started = time.monotonic()
    top = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    print("[demo] starting mm-local", flush=True)
    state_dir = None
    if keep:
        state_dir = Path(os.environ["AIRFLOW_HOME"]) / "mm-local-state"
        state_dir.mkdir(parents=True, exist_ok=True)
    service = LocalService(state_dir=state_dir)
    try:
        airflow = Airflow(service)
        print("[demo] airflow db migrate", flush=True)
        airflow.run("db", "migrate", name="db-migrate")
        airflow.run("dags", "reserialize", name="dags-reserialize")
        seed(service, top)
        hours = demo_hours(top)
        endpoint_schedules = [SETTINGS.schedule_name("model-quality"), SETTINGS.schedule_name("model-bias")]
        runs: list[DemoRun] = []
        stories = [
            "fresh healthy traffic of model v1",
            "fresh healthy traffic of model v1",
            "traffic seeded drifted (30 % of scores flipped, group 0 scores cut): retrain",
            "fresh healthy traffic, judged against the retrained model's baselines",
        ]
        monitors = tuple(SELF_HOSTED.values())
        same_checks = "the same checks on the worker, baselines computed there, no Model Monitor call"
        self_hosted_stories = [
            same_checks,
            same_checks,
            f"{same_checks}; the drift bends predictions, not inputs: data quality stays clean",
        ]
        for index, slot in enumerate([top - 5 * HOUR, top - 4 * HOUR, top - 3 * HOUR, top - 2 * HOUR]):
            logical = slot
            print(
                f"[demo] {HOURLY_DAG}: data interval {slot - HOUR:%H:%M}-{slot:%H:%M}, "
                f"awaiting the execution of the slot {slot:%H:%M}",
                flush=True,
            )
            airflow.test_dag(
                HOURLY_DAG,
                logical,
                f"hourly-{index}",
                driver=run_slots_when_ready(service, endpoint_schedules, slot + SLOT_DELAY),
            )
            runs.append(DemoRun(HOURLY_DAG, logical, slot, stories[index], tuple(endpoint_schedules)))
            if index < 3:  # model v1's hours, healthy and drifted (the retraining promotes v2 next)
                print(f"[demo] {SELF_HOSTED_DAG}: the same data interval, analysed on the worker", flush=True)
                airflow.test_dag(SELF_HOSTED_DAG, logical, f"self-hosted-{index}")
                runs.append(DemoRun(SELF_HOSTED_DAG, logical, slot, self_hosted_stories[index], monitors))
            if index == 2:
                print(f"[demo] {RETRAINING_DAG}: triggered by the violations; running it", flush=True)
                airflow.test_dag(
                    RETRAINING_DAG,
                    logical + timedelta(minutes=30),
                    "retraining",
                    conf={"reason": "monitoring violations"},
                )
                runs.append(
                    DemoRun(
                        RETRAINING_DAG,
                        logical + timedelta(minutes=30),
                        None,
                        f"started by the violations of the slot {slot:%H:%M}: new baselines, repointed",
                    )
                )
        batch_slot = top - HOUR
        batch_schedule = [f"{SETTINGS.endpoint_name}-batch-model-quality"]
        print(
            f"[demo] {BATCH_DAG}: data interval {batch_slot - HOUR:%H:%M}-{batch_slot:%H:%M}, "
            f"awaiting the execution of the slot {batch_slot:%H:%M}",
            flush=True,
        )
        airflow.test_dag(
            BATCH_DAG,
            batch_slot,
            "batch",
            driver=run_slots_when_ready(service, batch_schedule, batch_slot + SLOT_DELAY),
        )
        runs.append(
            DemoRun(
                BATCH_DAG,
                batch_slot,
                batch_slot,
                "the batch output was seeded drifted on purpose, so needs_attention is the expected branch",
                tuple(batch_schedule),
            )
        )
        print(
            f"[demo] {ON_DEMAND_DAG}: model quality of {hours[2].start:%H:%M}-{hours[3].start:%H:%M}",
            flush=True,
        )
        for schedule in [*endpoint_schedules, *batch_schedule]:  # only the one-time check runs from here on
            service.sagemaker.stop_monitoring_schedule(MonitoringScheduleName=schedule)
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
        runs.append(
            DemoRun(
                ON_DEMAND_DAG,
                on_demand,
                None,
                f"one-time model-quality check of the drifted hour {hours[2].start:%H:%M}-"
                f"{hours[3].start:%H:%M}",
            )
        )
        print(report(service, airflow, runs, hours[2].start + HOUR))
        if record is not None:
            record.write_text(json.dumps(demo_record(service, airflow, runs, hours), indent=1))
        print(f"\n[demo] done in {time.monotonic() - started:.0f} s")
        if keep:
            print(keep_instructions(service, airflow))
        return 0
    finally:
        service.stop()


def seed_only(endpoint_url: str) -> int:
    """Seed a running ``mm-local serve`` for the Airflow UI; print the logical dates to trigger."""
    top = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    seed(LocalService(endpoint_url), top)
    slots = [top - k * HOUR for k in (5, 4, 3, 2)]
    print(
        "Trigger mm_hourly_monitoring with each logical date in turn; once its schedules exist, run its slot:"
    )
    for slot in slots:
        until = (slot + SLOT_DELAY).isoformat()
        print(f"  {slot.isoformat()}   mm-local run-due --until {until} --endpoint {endpoint_url}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The example DAGs end to end against mm-local.")
    parser.add_argument("--keep", action="store_true", help="leave mm-local running, to look around after")
    parser.add_argument("--record", type=Path, help="write what the demo ran to this file, as JSON")
    parser.add_argument("--seed", metavar="ENDPOINT_URL", help="only seed the running mm-local at this URL")
    arguments = parser.parse_args()
    if arguments.seed:
        sys.exit(seed_only(arguments.seed))
    sys.exit(main(keep=arguments.keep, record=arguments.record))
