"""A self-hosted window analysis scaled out over shards of its S3 objects, one task per shard.

:class:`ShardedWindow` runs the execution :func:`~airflow_mm_provider.runner.window.analyse_window` runs, in
three steps that may run on different workers sharing nothing but S3 (and the small descriptors the first
step returns):

1. :meth:`~ShardedWindow.plan`: list the window's data objects (the same keys the one-task run reads), cut
   them into shards (:mod:`~airflow_mm_provider.runner.shard_plan`), write the plan to S3 and return one
   small descriptor per shard;
2. :meth:`~ShardedWindow.run_shard`, once per descriptor: stage that shard's objects, merge them with the
   window's ground truth (model quality, bias), count them into a partial
   (:func:`~airflow_mm_provider.analysis.job_partials.partial_job`) and write it to S3;
3. :meth:`~ShardedWindow.merge`: read the partials, merge and finalize them
   (:func:`~airflow_mm_provider.analysis.job_partials.finalize_job`), write the reports at the keys of the
   one-task run and return the same execution summary.

Each step is a processing job run by :class:`~airflow_mm_provider.processing.job_runner.JobRunner`, as in
the one-task run: the same staging, ``MaxRuntimeInSeconds`` (per step), errors and uploads. The merged
records of model quality and bias stay on the shard's worker: unlike the one-task run, nothing is written
under ``<output>/merge/``. A batch-transform window is one shard: its manifests name objects elsewhere.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_mm_provider.analysis.jobs import NO_DATA
from airflow_mm_provider.monitoring.paths import join_s3
from airflow_mm_provider.processing.engine import AnalysisEngine
from airflow_mm_provider.processing.execution_plan import ENGINE_MODES
from airflow_mm_provider.processing.job_runner import JobResult, JobRunner, RunOptions
from airflow_mm_provider.processing.s3files import S3Files, relative_key, split_s3_uri
from airflow_mm_provider.runner.shard_plan import PLAN_FILE, ShardPlan, partial_name, partials_uri
from airflow_mm_provider.runner.window import WindowPlan, plan_window, window_summary

if TYPE_CHECKING:
    from airflow_mm_provider.monitoring.job_definitions import JobDefinitionSpec
    from airflow_mm_provider.monitoring.schedule import ScheduleExpression

__all__ = ["PARTIALS_INPUT", "ShardedWindow"]

PARTIALS_INPUT = "/opt/ml/processing/input/partials"
"""Container path of the partials the merge step reads."""


def _data_job(window: WindowPlan) -> tuple[dict[str, Any], RunOptions]:
    """The request that reads the window's data (the merge job, else the analysis job) and its options."""
    if window.plan.merge is not None:
        return window.plan.merge, window.plan.merge_options
    return window.plan.analysis, window.plan.analysis_options


def _with_inputs(request: Mapping[str, Any], inputs: list[dict[str, Any]], output: str) -> dict[str, Any]:
    """``request`` reading ``inputs`` and writing its output to ``output``."""
    outputs = request["ProcessingOutputConfig"]["Outputs"]
    s3_output = {**outputs[0]["S3Output"], "S3Uri": output}
    return {
        **request,
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {"Outputs": [{**outputs[0], "S3Output": s3_output}]},
    }


class _ShardCounter(AnalysisEngine):
    """The engine of a shard's job: its ground-truth merge (model quality, bias), then its partial, written
    as ``output_dir/<name>``.

    :param mode: the analysis's entry point (``analyzer`` or ``clarify``).
    :param name: the partial's file name.
    :param analysis_environment: the analysis job's environment when the shard merges first (the job then
        runs with the merge job's environment), else None.
    """

    def __init__(self, mode: str, name: str, analysis_environment: Mapping[str, str] | None) -> None:
        self.mode, self.name, self.analysis_environment = mode, name, analysis_environment

    def run_analyzer(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> JobResult:
        """Count the shard (data or model quality)."""
        return self._count(environment, input_dirs, output_dir)

    def run_clarify(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> JobResult:
        """Count the shard (bias)."""
        return self._count(environment, input_dirs, output_dir)

    def _count(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> JobResult:
        from airflow_mm_provider.analysis.job_partials import failed_partial, partial_job

        with tempfile.TemporaryDirectory(prefix="mm-shard-merge-") as scratch:
            if self.analysis_environment is None:
                blob = partial_job(self.mode, environment, input_dirs)
            else:
                merged = Path(scratch) / "merged"
                outcome = self.run_merge(environment, input_dirs, merged)
                reason = outcome.failure_reason
                if outcome.status != "Completed" and reason != NO_DATA:
                    blob = failed_partial(self.mode, self.analysis_environment, reason or outcome.status)
                else:
                    merged.mkdir(parents=True, exist_ok=True)
                    dirs = {**input_dirs, self.analysis_environment["dataset_source"]: merged}
                    blob = partial_job(self.mode, self.analysis_environment, dirs)
        (output_dir / self.name).write_bytes(blob)
        return JobResult("Completed")


class _PartialsMerger(AnalysisEngine):
    """The engine of the merge step: finalize the partials staged at :data:`PARTIALS_INPUT`.

    :param mode: the analysis's entry point (``analyzer`` or ``clarify``).
    :param names: the partials' file names, in shard order.
    """

    def __init__(self, mode: str, names: Sequence[str]) -> None:
        self.mode, self.names = mode, tuple(names)

    def run_analyzer(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        """Finalize data or model quality."""
        return self._finalize(environment, input_dirs, output_dir)

    def run_clarify(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        """Finalize bias."""
        return self._finalize(environment, input_dirs, output_dir)

    def _finalize(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        from airflow_mm_provider.analysis.job_partials import finalize_job

        folder = input_dirs[PARTIALS_INPUT]
        blobs = [(folder / name).read_bytes() for name in self.names]
        return finalize_job(self.mode, environment, blobs, input_dirs, output_dir)


@dataclass(frozen=True)
class ShardedWindow:
    """The window a monitor's execution at ``slot`` analyses, analysed in shards.

    The parameters are those of :func:`~airflow_mm_provider.runner.window.analyse_window`.

    :param monitoring_type: ``DataQuality``, ``ModelQuality`` or ``ModelBias``.
    :param job_definition: the job definition a schedule would run (typed spec or API-shaped dict).
    :param monitoring_schedule_name: the monitor's name.
    :param slot: the execution's scheduled time (taken back to the schedule's slot).
    :param capture_destination: the endpoint's ``DataCaptureConfig.DestinationS3Uri`` (endpoint input).
    :param schedule: the schedule expression whose slots the monitor follows (default hourly).
    """

    monitoring_type: str
    job_definition: JobDefinitionSpec | Mapping[str, Any]
    monitoring_schedule_name: str
    slot: datetime
    capture_destination: str | None = None
    schedule: ScheduleExpression | str | None = None

    def _window(self, s3: S3Files) -> WindowPlan:
        return plan_window(
            self.monitoring_type,
            self.job_definition,
            monitoring_schedule_name=self.monitoring_schedule_name,
            slot=self.slot,
            s3=s3,
            capture_destination=self.capture_destination,
            schedule=self.schedule,
        )

    @staticmethod
    def _plan_folder(window: WindowPlan, plan_id: str) -> str:
        """The S3 folder of a plan and its partials."""
        execution = window.execution
        output = window.job.output["S3Uri"]
        base = partials_uri(output, execution.schedule_name, execution.slot, execution.endpoint_name)
        return join_s3(base, plan_id)

    def plan(self, s3_client_factory: Callable[[], Any], shards: int) -> list[dict[str, Any]]:
        """List the window's data objects, write the shard plan to S3, return the shard descriptors.

        :param s3_client_factory: builds the boto3 S3 client.
        :param shards: the most shards wanted; fewer when the window has fewer objects, one for a
            batch-transform window.
        :returns: one JSON-ready descriptor per shard (see :meth:`ShardPlan.descriptors`); at least one.
        """
        if shards < 1:
            raise ValueError(f"shards: must be at least 1 (got {shards})")
        s3 = S3Files(s3_client_factory)
        window = self._window(s3)
        request, options = _data_job(window)
        data = request["ProcessingInputs"][0]
        keep = (options.keep or {}).get(data["InputName"])
        uri = data["S3Input"]["S3Uri"]
        _, prefix = split_s3_uri(uri)
        objects = [
            (relative_key(prefix, key), size) for key, size in s3.objects(uri) if not key.endswith("/")
        ]
        chosen = [(relative, size) for relative, size in objects if keep is None or keep(relative)]
        wanted = 1 if data["InputName"] in options.manifest_inputs else shards
        plan = ShardPlan.split(uri, chosen, wanted)
        bucket, key = split_s3_uri(join_s3(self._plan_folder(window, plan.plan_id), PLAN_FILE))
        s3.client.put_object(Bucket=bucket, Key=key, Body=plan.to_json())
        return plan.descriptors()

    def run_shard(
        self,
        s3_client_factory: Callable[[], Any],
        shard: Mapping[str, Any],
        stop: threading.Event | None = None,
    ) -> dict[str, Any]:
        """Count one shard's objects into a partial and write it next to the plan.

        A shard whose job fails (an engine error, ``MaxRuntimeInSeconds``) writes a partial carrying that
        failure, so the merge step ends the execution ``Failed`` with its reason (the one-task run ends
        ``Stopped`` past ``MaxRuntimeInSeconds``, which here bounds each step).

        :param s3_client_factory: builds the boto3 S3 client.
        :param shard: a descriptor :meth:`plan` returned.
        :param stop: set it to stop the shard's job.
        :returns: the descriptor with ``partial`` (the partial's S3 URI) and ``status`` (of the shard's job).
        """
        s3 = S3Files(s3_client_factory)
        window = self._window(s3)
        folder = self._plan_folder(window, str(shard["plan"]))
        bucket, key = split_s3_uri(join_s3(folder, PLAN_FILE))
        plan = ShardPlan.from_json(s3.client.get_object(Bucket=bucket, Key=key)["Body"].read())
        index = int(shard["shard"])
        keys = frozenset(plan.shards[index])
        request, options = _data_job(window)
        mode = ENGINE_MODES[window.job.monitoring_type]
        analysis_environment = None
        inputs = list(request["ProcessingInputs"])
        if window.plan.merge is not None:
            analysis_environment = window.plan.analysis["Environment"]
            inputs += window.plan.analysis["ProcessingInputs"][1:]
        name = partial_name(index)
        job = _with_inputs(request, inputs, folder)
        keep = {**(options.keep or {}), inputs[0]["InputName"]: keys.__contains__}
        counter = _ShardCounter(mode, name, analysis_environment)
        run_options = RunOptions(keep, (), options.manifest_inputs)
        result = JobRunner(s3, counter).run(job, mode, stop or threading.Event(), run_options)
        partial_uri = join_s3(folder, name)
        if result.status != "Completed":
            from airflow_mm_provider.analysis.job_partials import failed_partial

            environment = analysis_environment or request["Environment"]
            reason = result.failure_reason or result.status
            bucket, key = split_s3_uri(partial_uri)
            s3.client.put_object(Bucket=bucket, Key=key, Body=failed_partial(mode, environment, reason))
        return {**shard, "partial": partial_uri, "status": result.status}

    def merge(
        self,
        s3_client_factory: Callable[[], Any],
        shards: Sequence[Mapping[str, Any]],
        stop: threading.Event | None = None,
    ) -> dict[str, Any]:
        """Merge the shards' partials, write the reports and return the execution summary.

        :param s3_client_factory: builds the boto3 S3 client.
        :param shards: the descriptors :meth:`plan` returned (or :meth:`run_shard`), every shard once.
        :param stop: set it to stop the merge step's job.
        :returns: the summary :func:`~airflow_mm_provider.runner.window.analyse_window` returns.
        :raises FileNotFoundError: when a shard's partial is missing (its task did not run).
        """
        plans = {str(shard["plan"]) for shard in shards}
        counts = {int(shard["shards"]) for shard in shards}
        indices = sorted(int(shard["shard"]) for shard in shards)
        if len(plans) != 1 or len(counts) != 1 or indices != list(range(counts.pop())):
            raise ValueError("shards: the descriptors of one plan, every shard once")
        s3 = S3Files(s3_client_factory)
        window = self._window(s3)
        folder = self._plan_folder(window, plans.pop())
        names = [partial_name(index) for index in indices]
        _, prefix = split_s3_uri(folder)
        present = {relative_key(prefix, key) for key in s3.keys(folder + "/")}
        missing = [name for name in names if name not in present]
        if missing:
            raise FileNotFoundError(f"partials missing under {folder}: {', '.join(missing)}")
        analysis = window.plan.analysis
        partials = {
            "InputName": "partials",
            "S3Input": {
                **analysis["ProcessingInputs"][0]["S3Input"],
                "S3Uri": folder + "/",
                "LocalPath": PARTIALS_INPUT,
            },
        }
        job = _with_inputs(analysis, [partials, *analysis["ProcessingInputs"][1:]], window.report_uri)
        mode = ENGINE_MODES[window.job.monitoring_type]
        started = datetime.now(timezone.utc)
        run_options = RunOptions({"partials": frozenset(names).__contains__})
        result = JobRunner(s3, _PartialsMerger(mode, names)).run(
            job, mode, stop or threading.Event(), run_options
        )
        return window_summary(window, result, started)
