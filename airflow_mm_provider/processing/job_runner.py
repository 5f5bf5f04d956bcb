"""Run one processing job (an API-shaped ``CreateProcessingJob`` request) on this machine."""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_mm_provider.processing.engine import MIRROR_ENV, MIRROR_PATH, AnalysisEngine, Engine
from airflow_mm_provider.processing.s3files import S3Files, UnsafeKeyError

NO_DATA = "Job inputs had no data"
"""FailureReason of a job whose data input holds no object."""
STOPPED = "Job stopped (StopProcessingJob or service shutdown)"
"""FailureReason of a job ended by its stop event."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    """How a processing job ended: ``Completed``, ``Failed`` or ``Stopped``, with its messages."""

    status: str
    exit_message: str | None = None
    failure_reason: str | None = None


STOPPED_RESULT = JobResult("Stopped", failure_reason=STOPPED)
"""How a job ended by its stop event ends."""


@dataclass
class RunOptions:
    """How to fetch a job's inputs.

    keep: per input name, which keys (relative to the input's S3 prefix) to download;
    data_inputs: inputs that must not be empty ("Job inputs had no data" otherwise);
    manifest_inputs: inputs holding batch-transform manifests whose listed objects are mirrored.
    """

    keep: dict[str, Callable[[str], bool]] | None = None
    data_inputs: tuple[str, ...] = ()
    manifest_inputs: tuple[str, ...] = ()


class JobRunner:
    """Runs one processing job (an API-shaped ``CreateProcessingJob`` request) on the local machine."""

    def __init__(self, s3: S3Files, engine: Engine | None = None, scratch: Path | None = None) -> None:
        """``s3`` moves files; ``engine`` does the analysis (default :class:`AnalysisEngine`).

        ``scratch`` is the folder each job makes its temporary folder in (created if missing; default: the
        system's temporary folder).
        """
        self.s3 = s3
        self.engine: Engine = engine or AnalysisEngine()
        self.scratch = scratch

    def run(self, job: dict[str, Any], mode: str, stop: threading.Event, options: RunOptions) -> JobResult:
        """Run ``job`` with the engine entry point ``mode`` (``analyzer``, ``merge`` or ``clarify``).

        A set ``stop`` event (checked before each input, before the engine starts and while it runs) or an
        exceeded MaxRuntimeInSeconds ends the job ``Stopped``; outputs are uploaded only when it completes.
        """
        try:
            return self._run(job, mode, stop, options)
        except UnsafeKeyError as err:
            return JobResult("Failed", failure_reason=str(err)[:1024])

    def _run(self, job: dict[str, Any], mode: str, stop: threading.Event, options: RunOptions) -> JobResult:
        """:meth:`run`, raising :class:`UnsafeKeyError` for an input key that cannot be a local file."""
        with _scratch_directory(self.scratch) as (root, engine_threads):
            input_dirs: dict[str, Path] = {}
            environment = dict(job.get("Environment") or {})
            for item in job.get("ProcessingInputs", []):
                s3_input = item.get("S3Input")
                if stop.is_set():
                    return STOPPED_RESULT
                if not s3_input:
                    continue
                name = item["InputName"]
                local = root / "input" / name
                local.mkdir(parents=True)
                found = self.s3.download(s3_input["S3Uri"], local, (options.keep or {}).get(name))
                if found == 0 and name in options.data_inputs:
                    return JobResult("Failed", failure_reason=NO_DATA)
                input_dirs[s3_input.get("LocalPath") or f"/opt/ml/processing/input/{name}"] = local
                if name in options.manifest_inputs:
                    self.s3.mirror_manifests(local, root / "mirror")
                    input_dirs[MIRROR_PATH] = root / "mirror"
                    environment[MIRROR_ENV] = MIRROR_PATH
            outputs = (job.get("ProcessingOutputConfig") or {}).get("Outputs") or [{}]
            output = outputs[0].get("S3Output")
            output_dir = root / "output"
            output_dir.mkdir()
            max_runtime = (job.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
            if stop.is_set():
                return STOPPED_RESULT
            result = self._call_engine(
                mode, environment, input_dirs, output_dir, max_runtime, stop, engine_threads
            )
            if result.status == "Completed" and output:
                self.s3.upload(output_dir, output["S3Uri"])
            return result

    def _call_engine(
        self,
        mode: str,
        environment: dict[str, str],
        input_dirs: dict[str, Path],
        output_dir: Path,
        max_runtime: float,
        stop: threading.Event,
        engine_threads: list[threading.Thread],
    ) -> JobResult:
        """Run the engine in a thread (added to ``engine_threads``), bounded by ``max_runtime`` and ``stop``.

        A stopped engine is told to stop (:mod:`airflow_mm_provider.analysis.stopping`) and ends at its next
        block of input; the job's scratch folder outlives its thread.
        """
        from airflow_mm_provider.analysis.stopping import stop_on  # no numpy: the layer loads no engine

        box: dict[str, Any] = {}
        entry = getattr(self.engine, f"run_{mode}")
        ended = threading.Event()

        def target() -> None:
            try:
                with stop_on(ended):
                    box["outcome"] = entry(environment, input_dirs, output_dir)
            except Exception as err:  # the engine's failure becomes the job's FailureReason
                box["error"] = err

        worker = threading.Thread(target=target, name=f"processing-{mode}", daemon=True)
        engine_threads.append(worker)
        worker.start()
        deadline = time.monotonic() + max_runtime
        while worker.is_alive() and time.monotonic() < deadline and not stop.is_set():
            worker.join(min(0.05, max(0.0, deadline - time.monotonic())))
        running = worker.is_alive()
        if running:
            ended.set()
        if stop.is_set():
            return STOPPED_RESULT
        if running:
            return JobResult(
                "Stopped", failure_reason=f"Job exceeded MaxRuntimeInSeconds ({max_runtime:g} s)"
            )
        if "error" in box:
            return JobResult("Failed", failure_reason=f"AlgorithmError: {box['error']}"[:1024])
        outcome = box["outcome"]
        return JobResult(outcome.status, outcome.exit_message or None, outcome.failure_reason or None)


@contextmanager
def _scratch_directory(parent: Path | None) -> Iterator[tuple[Path, list[threading.Thread]]]:
    """A job's temporary directory in ``parent`` and the engine threads using it; removed once none runs."""
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="mm-processing-job-", dir=parent))
    engine_threads: list[threading.Thread] = []
    try:
        yield root, engine_threads
    finally:
        running = [thread for thread in engine_threads if thread.is_alive()]
        if running:
            log.info("The stopped engine still runs; %s is removed when it ends", root)
            _still_used[root] = running
            threading.Thread(
                target=_remove_after, args=(root, running), name="processing-cleanup", daemon=True
            ).start()
        else:
            shutil.rmtree(root)


_still_used: dict[Path, list[threading.Thread]] = {}
"""Scratch folders of stopped engines that still run, with their threads, until removed."""
EXIT_GRACE_SECONDS = 10.0
"""How long an exiting process waits for stopped engines to end before removing their folders anyway."""


def _remove_after(root: Path, threads: list[threading.Thread]) -> None:
    """Remove ``root`` once ``threads`` have ended."""
    for thread in threads:
        thread.join()
    shutil.rmtree(root, ignore_errors=True)
    _still_used.pop(root, None)


@atexit.register
def _remove_at_exit() -> None:
    """Remove the folders of stopped engines as the process exits (an Airflow task process exits soon after
    ``on_kill``, and the daemon threads that would remove them die with it)."""
    deadline = time.monotonic() + EXIT_GRACE_SECONDS
    for root, threads in list(_still_used.items()):
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        shutil.rmtree(root, ignore_errors=True)
