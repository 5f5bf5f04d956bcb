"""Running one processing-job request: inputs staged, the engine called, outputs uploaded only on success."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from airflow_mm_provider.analysis.stopping import Stopped
from airflow_mm_provider.processing.engine import MIRROR_ENV, MIRROR_PATH, AnalysisEngine
from airflow_mm_provider.processing.job_runner import NO_DATA, STOPPED, JobResult, JobRunner, RunOptions
from airflow_mm_provider.processing.s3files import S3Files
from tests.support.engine import FakeEngine, FakeOutcome
from tests.support.service import BUCKET
from tests.support.waiting import wait_for

DATA = "/opt/ml/processing/input/data"


def request(max_runtime: int = 60, **environment: str) -> dict[str, Any]:
    """A CreateProcessingJob-shaped request: input ``data`` from ``s3://BUCKET/data``, output ``out``."""
    return {
        "ProcessingJobName": "job",
        "ProcessingInputs": [
            {"InputName": "data", "S3Input": {"S3Uri": f"s3://{BUCKET}/data", "LocalPath": DATA}},
            {"InputName": "unnamed", "S3Input": {"S3Uri": f"s3://{BUCKET}/other"}},
            {"InputName": "no-s3", "DatasetDefinition": {}},
        ],
        "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "o", "S3Output": {"S3Uri": f"s3://{BUCKET}/out"}}]
        },
        "Environment": {"dataset_source": DATA, **environment},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }


def run(files: S3Files, engine: FakeEngine, options: RunOptions | None = None, **kwargs: Any) -> JobResult:
    """Run :func:`request` in analyzer mode."""
    return JobRunner(files, engine).run(
        request(**kwargs), "analyzer", threading.Event(), options or RunOptions()
    )


def output_keys(s3: Any) -> list[str]:
    """The keys under ``out/``."""
    return [obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix="out/").get("Contents", [])]


def test_inputs_are_staged_at_their_container_paths_and_outputs_uploaded(s3: Any, files: S3Files) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/a.csv", Body=b"1,2")
    s3.put_object(Bucket=BUCKET, Key="other/b.csv", Body=b"3")
    engine = FakeEngine()
    result = run(files, engine)
    assert result == JobResult("Completed", "Completed: Job completed successfully with no violations.")
    ((mode, environment, staged),) = engine.calls
    assert mode == "analyzer" and environment == {"dataset_source": DATA}
    assert staged == {DATA: ["a.csv"], "/opt/ml/processing/input/unnamed": ["b.csv"]}
    assert output_keys(s3) == ["out/analyzer.json"]
    assert json.loads(s3.get_object(Bucket=BUCKET, Key="out/analyzer.json")["Body"].read()) == {
        "mode": "analyzer"
    }


def test_keep_filters_what_each_input_downloads(s3: Any, files: S3Files) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/2024/01/01/00/a.jsonl", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key="data/2024/01/01/05/b.jsonl", Body=b"{}")
    engine = FakeEngine()
    run(files, engine, RunOptions(keep={"data": lambda relative: "/00/" in relative}))
    assert engine.calls[0][2][DATA] == ["2024/01/01/00/a.jsonl"]


def test_an_empty_data_input_fails_without_calling_the_engine(s3: Any, files: S3Files) -> None:
    engine = FakeEngine()
    assert run(files, engine, RunOptions(data_inputs=("data",))) == JobResult(
        "Failed", failure_reason=NO_DATA
    )
    assert engine.calls == [] and output_keys(s3) == []


def test_a_failed_outcome_uploads_nothing(s3: Any, files: S3Files) -> None:
    engine = FakeEngine(outcome=FakeOutcome("Failed", "", "AlgorithmError: no rows"))
    assert run(files, engine) == JobResult("Failed", None, "AlgorithmError: no rows")
    assert output_keys(s3) == []


def test_an_engine_exception_becomes_the_failure_reason(s3: Any, files: S3Files) -> None:
    class Broken(FakeEngine):
        def run_analyzer(self, environment: dict[str, str], input_dirs: Any, output_dir: Any) -> Any:
            raise RuntimeError("boom")

    assert run(files, Broken()) == JobResult("Failed", failure_reason="AlgorithmError: boom")
    assert output_keys(s3) == []


def test_a_key_outside_the_input_fails_the_job(s3: Any, files: S3Files) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/../../x", Body=b"1")
    engine = FakeEngine()
    result = run(files, engine)
    assert result.status == "Failed" and str(result.failure_reason).startswith("ClientError: S3 key ")
    assert engine.calls == []


def test_the_runtime_limit_stops_the_job(s3: Any, files: S3Files) -> None:
    engine = FakeEngine(gate=threading.Event())
    try:
        result = JobRunner(files, engine).run(
            {**request(), "StoppingCondition": {"MaxRuntimeInSeconds": 0.2}},
            "analyzer",
            threading.Event(),
            RunOptions(),
        )
    finally:
        engine.gate.set()
    assert result == JobResult("Stopped", failure_reason="Job exceeded MaxRuntimeInSeconds (0.2 s)")
    assert output_keys(s3) == []


def test_a_job_stopped_before_its_engine_starts_never_starts_it(files: S3Files) -> None:
    engine = FakeEngine()
    stop = threading.Event()
    stop.set()
    result = JobRunner(files, engine).run(request(), "analyzer", stop, RunOptions())
    assert result == JobResult("Stopped", failure_reason=STOPPED)
    assert "StopProcessingJob" in STOPPED
    assert engine.calls == []


class _Watched:
    """An engine's analyzer held at its start by ``gate``; records where it wrote and what it raised."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.done = threading.Event()
        self.output_dir: Path | None = None
        self.errors: list[BaseException] = []

    def run_analyzer(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        self.output_dir = output_dir
        self.entered.set()
        self.gate.wait(10)
        try:
            return self.inner.run_analyzer(environment, input_dirs, output_dir)
        except BaseException as err:
            self.errors.append(err)
            raise
        finally:
            self.done.set()


def _run_in_thread(files: S3Files, engine: Any, job: dict[str, Any], stop: threading.Event) -> Any:
    """Start ``job`` in analyzer mode in a thread; returns the thread and the list its result goes to."""
    results: list[JobResult] = []
    thread = threading.Thread(
        target=lambda: results.append(JobRunner(files, engine).run(job, "analyzer", stop, RunOptions()))
    )
    thread.start()
    return thread, results


@pytest.mark.parametrize("max_runtime", [60, 0.2], ids=["stop", "runtime"])
def test_a_stopped_engine_keeps_its_scratch_directory_until_it_ends(
    s3: Any, files: S3Files, max_runtime: float
) -> None:
    """The job ends Stopped at once; the engine's thread may run on, and the directory goes after it."""
    engine, stop = _Watched(FakeEngine()), threading.Event()
    job = {**request(), "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime}}
    thread, results = _run_in_thread(files, engine, job, stop)
    try:
        assert engine.entered.wait(10)
        if max_runtime == 60:
            stop.set()
        thread.join(10)
        assert [result.status for result in results] == ["Stopped"]
        assert engine.output_dir is not None and engine.output_dir.is_dir()
    finally:
        engine.gate.set()
    assert engine.done.wait(10)
    assert engine.errors == []
    scratch = engine.output_dir.parent
    wait_for(scratch.exists, lambda exists: not exists, "the scratch folder was removed")
    assert output_keys(s3) == []


def test_a_stopped_job_tells_the_real_engine_to_stop(s3: Any, files: S3Files) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/train.csv", Body="".join(f"{i},{i / 2}\n" for i in range(100)))
    engine, stop = _Watched(AnalysisEngine()), threading.Event()
    job = request(dataset_format='{"csv": {"header": false}}')
    thread, results = _run_in_thread(files, engine, job, stop)
    try:
        assert engine.entered.wait(10)
        stop.set()
        thread.join(10)
    finally:
        engine.gate.set()
    assert results == [JobResult("Stopped", failure_reason=STOPPED)]
    assert engine.done.wait(10)
    assert [type(err) for err in engine.errors] == [Stopped]
    assert output_keys(s3) == []


_EXIT_WHILE_THE_ENGINE_RUNS = """
import sys, threading, time
from pathlib import Path
from airflow_mm_provider.processing.job_runner import JobRunner, RunOptions

class Slow:  # ignores the stop: writes a second after it
    def run_analyzer(self, environment, input_dirs, output_dir):
        time.sleep(1)
        (output_dir / "late.json").write_text("{}")

stop = threading.Event()
threading.Timer(0.2, stop.set).start()
print(JobRunner(None, Slow(), Path(sys.argv[1])).run({}, "analyzer", stop, RunOptions()).status)
"""


def test_a_process_exiting_while_a_stopped_engine_runs_still_removes_its_folder(tmp_path: Path) -> None:
    """An Airflow task process exits soon after ``on_kill``: its stopped job's folder must not stay behind."""
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_WHILE_THE_ENGINE_RUNS, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Stopped"]
    assert list(tmp_path.iterdir()) == []


def test_a_finished_job_removes_its_scratch_directory(files: S3Files, tmp_path: Path) -> None:
    engine = _Watched(FakeEngine())
    engine.gate.set()
    result = JobRunner(files, engine, tmp_path / "scratch").run(
        request(), "analyzer", threading.Event(), RunOptions()
    )
    assert result.status == "Completed"
    assert engine.output_dir is not None and engine.output_dir.parent.parent == tmp_path / "scratch"
    assert list((tmp_path / "scratch").iterdir()) == []


def test_manifest_inputs_mirror_the_listed_objects_for_the_engine(s3: Any, files: S3Files) -> None:
    s3.put_object(Bucket=BUCKET, Key="batch/1.csv", Body=b"1")
    manifest = [{"prefix": f"s3://{BUCKET}/batch/"}, "1.csv"]
    s3.put_object(Bucket=BUCKET, Key="data/manifest.json", Body=json.dumps(manifest).encode())
    engine = FakeEngine()
    run(files, engine, RunOptions(manifest_inputs=("data",)))
    ((_, environment, staged),) = engine.calls
    assert environment[MIRROR_ENV] == MIRROR_PATH
    assert staged[MIRROR_PATH] == [f"{BUCKET}/batch/1.csv"]


@pytest.mark.parametrize("mode", ["merge", "clarify"])
def test_the_mode_picks_the_engine_entry_point(files: S3Files, mode: str) -> None:
    engine = FakeEngine()
    JobRunner(files, engine).run(request(), mode, threading.Event(), RunOptions())
    assert [call[0] for call in engine.calls] == [mode]
