"""``kill -9`` at random moments under mixed load: no acknowledged write lost, no acknowledged delete back."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from airflow_mm_provider.local.control_client import call_control
from airflow_mm_provider.local.state import RESTART_REASON
from tests.support.service import BUCKET, T0, data_quality_schedule

KILLS = 20
WORKERS = 3
MIN_ACKS_PER_ROUND = 20
GONE = "<gone>"


def serve(state_dir: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``mm-local serve`` on a state directory; return the process and its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_mm_provider.local", "serve", "--pending-seconds", "0"]
        + ["--state-dir", str(state_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())["endpoint_url"]


def kill(process: subprocess.Popen[str]) -> None:
    """``kill -9`` and reap."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def client(url: str, service: str) -> Any:
    """A client that fails at once when the service is gone (no retries)."""
    config = Config(
        retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10, s3={"addressing_style": "path"}
    )
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=config,
    )


@dataclass
class Ledger:
    """What the clients were told: the acknowledged state of every key, and what was in flight at the kill.

    Values are MD5 digests of object bodies, or :data:`GONE`; endpoint configs are keyed ``config:<name>``.
    """

    acknowledged: dict[str, str] = field(default_factory=dict)
    in_flight: dict[str, str] = field(default_factory=dict)
    acks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, key: str, value: str) -> None:
        """A request that would set ``key`` to ``value`` is about to be sent."""
        with self.lock:
            self.in_flight[key] = value

    def acknowledge(self, key: str, value: str) -> None:
        """The request succeeded."""
        with self.lock:
            self.acknowledged[key] = value
            self.in_flight.pop(key, None)
            self.acks += 1


def load(url: str, worker: int, ledger: Ledger, rng: random.Random, round_: int) -> None:
    """Mixed S3 and SageMaker writes on keys of this worker only, until the service stops answering."""
    s3, sm = client(url, "s3"), client(url, "sagemaker")
    with ledger.lock:  # the other workers add to it meanwhile
        known = dict(ledger.acknowledged)
    mine = [k for k, v in known.items() if k.startswith(f"w{worker}/") and v != GONE]
    configs = [k for k, v in known.items() if k.startswith(f"config:w{worker}-") and v != GONE]
    n = 0
    try:
        while True:
            n += 1
            choice = rng.random()
            if choice < 0.45 or not mine:
                key = f"w{worker}/r{round_}/{n}" if choice < 0.3 or not mine else rng.choice(mine)
                body = f"{key}@{round_}.{n}".encode() * rng.randint(1, 50)
                digest = hashlib.md5(body).hexdigest()
                ledger.attempt(key, digest)
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
                ledger.acknowledge(key, digest)
                mine.append(key)
            elif choice < 0.6:
                key = mine.pop(rng.randrange(len(mine)))
                ledger.attempt(key, GONE)
                s3.delete_object(Bucket=BUCKET, Key=key)
                ledger.acknowledge(key, GONE)
            elif choice < 0.85 or not configs:
                key = f"config:w{worker}-{round_}-{n}"
                ledger.attempt(key, "present")
                sm.create_endpoint_config(
                    EndpointConfigName=key[7:], ProductionVariants=[{"VariantName": "v"}]
                )
                ledger.acknowledge(key, "present")
                configs.append(key)
            else:
                key = configs.pop(rng.randrange(len(configs)))
                ledger.attempt(key, GONE)
                sm.delete_endpoint_config(EndpointConfigName=key[7:])
                ledger.acknowledge(key, GONE)
    except Exception:  # the service was killed mid-request: what was in flight stays in flight
        return


def objects(url: str) -> dict[str, str]:
    """Every object's MD5, as the restarted service lists it."""
    s3 = client(url, "s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {o["Key"]: o["ETag"].strip('"') for page in pages for o in page.get("Contents", [])}


def check(url: str, ledger: Ledger) -> tuple[int, int]:
    """Compare the restarted service with the ledger; return (lost, resurrected) and settle in-flight keys."""
    stored = objects(url)
    sm = client(url, "sagemaker")
    lost = resurrected = 0
    for key in {**ledger.acknowledged, **ledger.in_flight}:
        if key.startswith("config:"):
            try:
                sm.describe_endpoint_config(EndpointConfigName=key[7:])
                now = "present"
            except sm.exceptions.ClientError:
                now = GONE
        else:
            now = stored.get(key, GONE)
        allowed = {ledger.acknowledged.get(key, GONE)}
        if key in ledger.in_flight:
            allowed.add(ledger.in_flight[key])
        if now not in allowed:
            if ledger.acknowledged.get(key, GONE) == GONE:
                resurrected += 1
            else:
                lost += 1
        ledger.acknowledged[key] = now
    unknown = set(stored) - set(ledger.acknowledged)
    ledger.in_flight.clear()
    return lost, resurrected + len(unknown)


def test_kill_9_under_mixed_load_loses_and_resurrects_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261206)
    ledger = Ledger()
    totals = {"lost": 0, "resurrected": 0, "kills": 0}
    process, url = serve(tmp_path)
    client(url, "s3").create_bucket(Bucket=BUCKET)
    for round_ in range(KILLS):
        workers = [
            threading.Thread(target=load, args=(url, w, ledger, random.Random(rng.random()), round_))
            for w in range(WORKERS)
        ]
        before = ledger.acks
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 60
        while ledger.acks < before + MIN_ACKS_PER_ROUND and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.6))
        kill(process)
        totals["kills"] += 1
        for worker in workers:
            worker.join(timeout=30)
        process, url = serve(tmp_path)
        lost, resurrected = check(url, ledger)
        totals["lost"] += lost
        totals["resurrected"] += resurrected
    kill(process)
    print(f"\n{totals['kills']} kills, {ledger.acks} acknowledged writes, {totals}")
    assert totals == {"lost": 0, "resurrected": 0, "kills": KILLS}
    assert ledger.acks >= MIN_ACKS_PER_ROUND * KILLS


def test_a_kill_fails_running_executions_keeps_the_clock_and_backfills_nothing(tmp_path: Path) -> None:
    process, url = serve(tmp_path)
    try:
        call_control(url, "POST", "clock", {"now": T0.isoformat()})
        hours = [T0.replace(minute=0) + timedelta(hours=h) for h in range(12)]
        data_quality_schedule(client(url, "sagemaker"), client(url, "s3"), hours)
        until = hours[-1] + timedelta(hours=1, minutes=1)
        started = call_control(url, "POST", "run-due", {"until": until.isoformat(), "wait": False})[
            "executions"
        ]
    finally:
        kill(process)
    assert len(started) == 12
    process, url = serve(tmp_path)
    try:
        time.sleep(1.5)  # three ticks of the auto-run loop
        now = datetime.fromisoformat(call_control(url, "GET", "clock")["now"])
        listed = client(url, "sagemaker").list_monitoring_executions(MaxResults=100)[
            "MonitoringExecutionSummaries"
        ]
    finally:
        kill(process)
    assert until <= now < until + timedelta(minutes=5)
    assert len(listed) == 12
    statuses = {e["MonitoringExecutionStatus"] for e in listed}
    assert statuses <= {"Completed", "CompletedWithViolations", "Failed"}
    for execution in listed:
        if execution["MonitoringExecutionStatus"] == "Failed":
            assert execution["FailureReason"] == RESTART_REASON
