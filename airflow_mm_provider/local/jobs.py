"""Run processing jobs locally: fetch inputs from S3, call the analysis engine, upload outputs.

Jobs run as their container would: the environment keeps container paths (``/opt/ml/processing/...``) and
the engine gets ``input_dirs``, a map from each input's container path to the local directory holding it.
The engine is reached through :class:`Engine`; :class:`AnalysisEngine` adapts
``airflow_mm_provider.analysis.jobs``, and tests may pass any object with the same three methods.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

NO_DATA = "Job inputs had no data"
MIRROR_PATH = "/opt/ml/processing/s3-mirror"
MIRROR_ENV = "batch_mirror_root"


class Outcome(Protocol):
    """What the engine returns: status ``Completed``/``Failed``, exit message, failure reason."""

    status: str
    exit_message: str | None
    failure_reason: str | None


class Engine(Protocol):
    """The analysis engine; each call reads the inputs through ``input_dirs`` and writes ``output_dir``."""

    def run_analyzer(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """Data-quality / model-quality analysis or baselining (analyzer image)."""

    def run_merge(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """Join captured records with ground truth (first job of model quality / bias executions)."""

    def run_clarify(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """Bias analysis or baselining (Clarify image)."""


class UnsafeKeyError(ValueError):
    """An S3 key that cannot become a file inside the job's input directory."""


def local_file(root: Path, relative: str) -> Path:
    """``root`` joined with the ``/``-separated ``relative`` (empty and ``.`` parts dropped); a ``..`` part
    raises :class:`UnsafeKeyError`, so no key can name a file outside ``root``."""
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise UnsafeKeyError(
            f"ClientError: S3 key {relative!r} cannot be downloaded as a file of the job's input"
        )
    return root.joinpath(*parts)


class AnalysisEngine:
    """Adapter onto ``airflow_mm_provider.analysis.jobs`` (imported on first use, so numpy stays lazy)."""

    @staticmethod
    def _jobs() -> Any:
        """The engine module."""
        from airflow_mm_provider.analysis import jobs

        return jobs

    def run_analyzer(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """``analysis.jobs.run_analyzer`` as is."""
        return self._jobs().run_analyzer(environment, input_dirs, output_dir)

    def run_merge(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """``analysis.jobs.run_merge`` with the capture and ground-truth folders named by the environment."""
        jobs = self._jobs()
        mirror = environment.get(MIRROR_ENV)
        return jobs.run_merge(
            jobs.resolve_container_path(input_dirs, environment["dataset_source"]),
            jobs.resolve_container_path(input_dirs, environment["ground_truth_source"]),
            output_dir,
            environment.get("start_time"),
            environment.get("end_time"),
            batch_mirror_root=jobs.resolve_container_path(input_dirs, mirror) if mirror else None,
        )

    def run_clarify(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """``analysis.jobs.run_clarify`` as is."""
        return self._jobs().run_clarify(environment, input_dirs, output_dir)


@dataclass
class JobResult:
    """How a processing job ended: ``Completed``, ``Failed`` or ``Stopped``, with its messages."""

    status: str
    exit_message: str | None = None
    failure_reason: str | None = None


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/prefix`` → ``("bucket", "key/prefix")``."""
    bucket, _, key = uri.split("://", 1)[-1].partition("/")
    return bucket, key


class S3Files:
    """Copy S3 prefixes to and from local directories through an S3 client."""

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        """``client_factory`` builds the boto3 S3 client (called once, on first use)."""
        self._factory = client_factory
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The S3 client."""
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def keys(self, uri: str) -> list[str]:
        """Every key under ``uri`` (an object or a prefix); none when the bucket does not exist."""
        bucket, prefix = split_s3_uri(uri)
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            return [
                obj["Key"]
                for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                for obj in page.get("Contents", [])
            ]
        except self.client.exceptions.NoSuchBucket:
            return []

    def download(self, uri: str, dest: Path, keep: Callable[[str], bool] | None = None) -> int:
        """Download the keys under ``uri`` that ``keep`` accepts into ``dest``; return how many."""
        bucket, prefix = split_s3_uri(uri)
        count = 0
        for key in self.keys(uri):
            relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
            if key.endswith("/") or (keep is not None and not keep(relative)):
                continue
            target = local_file(dest, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.client.download_file(bucket, key, str(target))
            count += 1
        return count

    def mirror_manifests(self, source: Path, mirror: Path) -> int:
        """Download every object that a batch-transform manifest under ``source`` lists into
        ``mirror/<bucket>/<key>``; return how many."""
        count = 0
        for path in sorted(source.rglob("*.json")):
            try:
                manifest = json.loads(path.read_text())
            except ValueError:
                continue
            if not (isinstance(manifest, list) and manifest and isinstance(manifest[0], dict)):
                continue
            base = str(manifest[0].get("prefix", ""))
            for relative in manifest[1:]:
                bucket, key = split_s3_uri(base + str(relative))
                target = local_file(mirror, f"{bucket}/{key}")
                if target.exists():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                self.client.download_file(bucket, key, str(target))
                count += 1
        return count

    def upload(self, source: Path, uri: str) -> None:
        """Upload every file under ``source`` to the prefix ``uri``."""
        bucket, prefix = split_s3_uri(uri)
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            key = "/".join(filter(None, [prefix.rstrip("/"), path.relative_to(source).as_posix()]))
            self.client.upload_file(str(path), bucket, key)


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

    def __init__(self, s3: S3Files, engine: Engine | None = None) -> None:
        """``s3`` moves files; ``engine`` does the analysis (default :class:`AnalysisEngine`)."""
        self.s3 = s3
        self.engine: Engine = engine or AnalysisEngine()

    def run(self, job: dict[str, Any], mode: str, stop: threading.Event, options: RunOptions) -> JobResult:
        """Run ``job`` with the engine entry point ``mode`` (``analyzer``, ``merge`` or ``clarify``).

        A set ``stop`` event or an exceeded MaxRuntimeInSeconds ends the job ``Stopped``; outputs are uploaded
        only when it completes.
        """
        try:
            return self._run(job, mode, stop, options)
        except UnsafeKeyError as err:
            return JobResult("Failed", failure_reason=str(err)[:1024])

    def _run(self, job: dict[str, Any], mode: str, stop: threading.Event, options: RunOptions) -> JobResult:
        """:meth:`run`, raising :class:`UnsafeKeyError` for an input key that cannot be a local file."""
        with tempfile.TemporaryDirectory(prefix="mm-local-job-") as tmp:
            root = Path(tmp)
            input_dirs: dict[str, Path] = {}
            environment = dict(job.get("Environment") or {})
            for item in job.get("ProcessingInputs", []):
                s3_input = item.get("S3Input")
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
            result = self._call_engine(mode, environment, input_dirs, output_dir, max_runtime, stop)
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
    ) -> JobResult:
        """Run the engine in a thread, bounded by ``max_runtime`` seconds and the ``stop`` event."""
        box: dict[str, Any] = {}
        entry = getattr(self.engine, f"run_{mode}")

        def target() -> None:
            try:
                box["outcome"] = entry(environment, input_dirs, output_dir)
            except Exception as err:  # the engine's failure becomes the job's FailureReason
                box["error"] = err

        worker = threading.Thread(target=target, name=f"mm-local-{mode}", daemon=True)
        worker.start()
        deadline = time.monotonic() + max_runtime
        while worker.is_alive() and time.monotonic() < deadline and not stop.is_set():
            worker.join(min(0.05, max(0.0, deadline - time.monotonic())))
        if stop.is_set():
            return JobResult("Stopped", failure_reason="Job stopped (StopProcessingJob or service shutdown)")
        if worker.is_alive():
            return JobResult(
                "Stopped", failure_reason=f"Job exceeded MaxRuntimeInSeconds ({max_runtime:g} s)"
            )
        if "error" in box:
            return JobResult("Failed", failure_reason=f"AlgorithmError: {box['error']}"[:1024])
        outcome = box["outcome"]
        return JobResult(outcome.status, outcome.exit_message or None, outcome.failure_reason or None)


def default_s3_factory(endpoint_url: Callable[[], str], region: str) -> Callable[[], Any]:
    """Factory of a boto3 S3 client for the service's own endpoint (dummy credentials, path-style)."""

    def build() -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=endpoint_url(),
            region_name=region,
            aws_access_key_id="mm-local",
            aws_secret_access_key="mm-local",
            config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        )

    return build
