"""A real Airflow deployment for one test: scheduler, triggerer (and on Airflow 3 the dag-processor and
api-server) as subprocesses in a throwaway AIRFLOW_HOME, bound to 127.0.0.1, serving no worker logs.

Airflow 3 runs tasks with the LocalExecutor; Airflow 2.11 refuses the LocalExecutor on SQLite, so it runs
them with the SequentialExecutor (one at a time, in the scheduler loop), which defers and resumes alike.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

AIRFLOW = str(Path(sys.executable).parent / "airflow")
FINISHED_RUN = ("success", "failed")
TEST_TIMEOUT = 900
"""pytest-timeout for a test that drives a deployment: above the sum of its own waits (migration 180 s, parse
120 s, run 240 s, stopping 30 s a process), so those fail first, with their messages."""


def stop_process_groups(processes: Iterable[subprocess.Popen[Any]], grace: float = 30) -> None:
    """Stop the process group of each process (started with ``start_new_session``): SIGTERM, SIGKILL after
    ``grace`` seconds, then SIGKILL to whatever of a group outlived its leader.

    :param processes: the groups' leaders, running or not.
    :param grace: seconds a group has to end after SIGTERM.
    """
    leaders = list(processes)
    for process in leaders:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in leaders:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    """A TCP port free on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AirflowDeployment:
    """The Airflow components in ``home``, reading DAGs from ``dags_folder``, with extra ``environment``.

    :param home: the throwaway AIRFLOW_HOME (created if missing).
    :param dags_folder: the DAGs folder.
    :param environment: extra variables (connections, Variables, credentials).
    """

    def __init__(self, home: Path, dags_folder: Path, environment: Mapping[str, str]) -> None:
        """Prepare the environment; nothing starts before :meth:`start`."""
        from cryptography.fernet import Fernet

        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "PATH": os.pathsep.join([str(Path(AIRFLOW).parent), os.environ.get("PATH", "")]),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            **environment,
        }
        self.env.pop("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", None)  # Airflow's default: a real deferral
        if AIRFLOW_V_3_0_PLUS:
            port = free_port()
            self.env.update(
                AIRFLOW__CORE__EXECUTOR="LocalExecutor",
                AIRFLOW__API__HOST="127.0.0.1",
                AIRFLOW__API__PORT=str(port),
                AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
                AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            )
        else:
            self.env.update(
                AIRFLOW__CORE__EXECUTOR="SequentialExecutor",
                AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL="5",
            )

    def cli(self, *args: str) -> str:
        """Run ``airflow <args>``; its output, or an assertion error carrying it."""
        done = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=180, check=False
        )
        assert done.returncode == 0, f"airflow {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        return done.stdout

    def start(self) -> None:
        """Migrate the database, then start every component, each in its own process group."""
        self.cli("db", "migrate")
        components = [["scheduler", "--skip-serve-logs"], ["triggerer", "--skip-serve-logs"]]
        if AIRFLOW_V_3_0_PLUS:
            components += [["dag-processor"], ["api-server"]]
        for command in components:
            with (self.home / f"{command[0]}.log").open("wb") as log:
                self.processes[command[0]] = subprocess.Popen(
                    [AIRFLOW, *command],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def stop(self) -> None:
        """Stop every component's process group (see :func:`stop_process_groups`)."""
        stop_process_groups(self.processes.values())

    def _query(self, sql: str, *params: str) -> list[tuple]:
        with sqlite3.connect(self.home / "airflow.db", timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Wait until ``dag_id`` is parsed and serialized."""
        deadline = time.monotonic() + timeout
        while not self._query("select 1 from serialized_dag where dag_id = ?", dag_id):
            self._check_alive()
            assert time.monotonic() < deadline, f"{dag_id} was not parsed in {timeout} s"
            time.sleep(0.5)

    def wait_for_run(self, dag_id: str, timeout: float = 240) -> tuple[str, dict[str, str]]:
        """Wait until the one run of ``dag_id`` has finished; (run state, task id -> final state)."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self._query("select run_id, state from dag_run where dag_id = ?", dag_id)
            if runs and runs[0][1] in FINISHED_RUN:
                break
            self._check_alive()
            assert time.monotonic() < deadline, f"{dag_id} unfinished after {timeout} s: {self.task_states()}"
            time.sleep(1)
        ((run_id, state),) = runs
        tasks = self._query("select task_id, state from task_instance where run_id = ?", run_id)
        return state, dict(tasks)

    def task_states(self) -> list[tuple]:
        """Every task instance's (dag id, task id, state), for failure messages."""
        return self._query("select dag_id, task_id, state from task_instance")

    def task_log(self, dag_id: str, task_id: str) -> str:
        """The text of every log file of one task."""
        files = sorted((self.home / "logs" / f"dag_id={dag_id}").glob(f"*/task_id={task_id}/*"))
        return "\n".join(path.read_text(errors="replace") for path in files)

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"airflow {name} exited; see {self.home / name}.log"
