"""Operators that run Model Monitor baseline jobs: data quality, model quality, bias, explainability.

Each operator starts one SageMaker processing job shaped as the SageMaker Python SDK's ``suggest_baseline``
shapes it (see :mod:`airflow_mm_provider.monitoring.baselining`), waits for it (in the worker, or deferred to
the triggerer with :class:`~airflow_mm_provider.triggers.processing_job.SageMakerProcessingJobTrigger`, the
Amazon provider's ``SageMakerTrigger`` looking first one ``check_interval`` later) and returns a summary for
downstream tasks. A deferrable operator reads the job's status just before deferring and does not defer for a
job that has already ended.

Idempotent: the job is named after the DAG run and the task (``names.run_scoped_name``) unless ``job_name``
is given. On execute, an existing job of that name is never started again: ``InProgress`` / ``Stopping`` →
the task re-attaches and waits; ``Completed`` → its summary is returned at once; ``Failed`` / ``Stopped``
→ the task fails with the job's ``FailureReason`` (a retry cannot fix a failed job; give a new
``job_name`` or start a new DAG run to run another). So every DAG run and task gets exactly one job across
retries.

Returned value (XCom), a JSON-safe dict whose keys are stable and always all present:

- ``job_name``: the processing job name; use it as ``<T>BaselineConfig.BaseliningJobName``.
- ``monitoring_type``: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
- ``status``: the job's ``ProcessingJobStatus`` when the task returned (``Completed`` when it waited).
- ``output_s3_uri``: the job's output prefix.
- ``statistics_uri``: ``<output>/statistics.json`` (data / model quality; None for Clarify).
- ``constraints_uri``: ``<output>/constraints.json``; for bias and explainability ``<output>/analysis.json``,
  which is what a Clarify job definition takes as ``ConstraintsResource``.
- ``analysis_uri``: ``<output>/analysis.json`` (Clarify; None otherwise).
- ``analysis_config_uri``: ``<output>/analysis_config.json`` uploaded before the Clarify job (None otherwise).
- ``suggested_constraints_uri``: ``<output>/suggested/constraints.json`` (bias: ``suggested/analysis.json``),
  the job's own suggestion, when a tolerance rewrote ``constraints_uri``; else None.

Tolerance (data quality, model quality, bias): once the job has completed, the operator reads the suggested
``constraints.json`` (bias: ``analysis.json``), keeps it unchanged under ``<output>/suggested/`` (tagged with
the job name) and writes the loosened version where the job wrote it, which is what the schedule uses (see
:mod:`airflow_mm_provider.monitoring.tolerance`). A retry adjusts the kept suggestion again, never the already
loosened file, so it writes the same result. Model quality and bias apply the measured default tolerance
unless ``tolerance=None``; data quality applies none unless given.

Runner: ``runner="processing_job"`` (the default) starts the SageMaker processing job described above;
``runner="worker"`` runs the same request in the task itself, on the Airflow worker, through the self-hosted
runner (``airflow_mm_provider.runner.run_processing_job``): it reads the dataset from S3, runs the package's
analysis engine (the ``engine`` extra) and writes the same ``statistics.json`` / ``constraints.json`` /
``analysis.json`` to the same output, then applies the same tolerance. It calls S3 only (no SageMaker API), so
it works where Model Monitor is not available. With it:

- ``role_arn`` may be left out (no job runs as a role);
- no processing job exists, so the summary's ``job_name`` is None (a schedule built from it gets no
  ``BaseliningJobName``, only the file URIs) and ``status`` is ``Completed`` (the task fails otherwise, with
  the engine's reason); no processing-job link is stored;
- every run computes the baseline again (there is no job to re-attach to) and writes the same files, so a
  retry converges; the tolerance then always keeps this run's suggestion;
- the task waits for the result in the worker: ``deferrable``, ``wait_for_completion``, ``check_interval`` and
  ``max_ingestion_time`` do not apply (a log line says so when they are set); ``max_runtime_in_seconds``
  still bounds the run;
- explainability is refused when the operator is built (SHAP values need the model to be invoked), so is a
  bias baseline whose post-training metrics need the model's predictions (``model_name`` / ``predictor``
  without ``predicted_label``), and so are record-preprocessor and post-analytics scripts (the worker runs the
  package's engine, not the analyzer container).

Literal parameter values are validated when the operator is built (DAG parse time); templated values are
validated after rendering, before any AWS call. Errors are ``MonitoringValidationError`` naming the field.
The request-building modules load when an operator is built, not when this module is imported, because the
DAG processor imports it on every parse of every DAG file that names it.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.amazon.aws.utils import validate_execute_complete_event
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import AirflowException, conf

from airflow_mm_provider.hooks.model_monitor import PROCESSING_JOB_RUNNING
from airflow_mm_provider.links.model_monitor import SageMakerProcessingJobLink, persist_link
from airflow_mm_provider.monitoring import names
from airflow_mm_provider.monitoring.paths import split_s3_uri
from airflow_mm_provider.monitoring.tolerance import (
    DEFAULT_BIAS_TOLERANCE,
    DEFAULT_MODEL_QUALITY_TOLERANCE,
    BiasTolerance,
    DataQualityTolerance,
    ModelQualityTolerance,
    ToleranceError,
)
from airflow_mm_provider.operators.base import SageMakerModelMonitorBaseOperator
from airflow_mm_provider.utils.templating import is_literal
from airflow_mm_provider.utils.waiting import (
    PROCESSING_JOB_CHECK_INTERVAL,
    PROCESSING_JOB_MAX_INGESTION_TIME,
    checked_interval,
    checked_max_wait,
    waiter_max_attempts,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_mm_provider.monitoring.baselining import BaselineJobSettings
    from airflow_mm_provider.monitoring.inputs import ClusterResources, DatasetFormat, NetworkConfig

__all__ = [
    "SageMakerDataQualityBaselineOperator",
    "SageMakerModelBiasBaselineOperator",
    "SageMakerModelExplainabilityBaselineOperator",
    "SageMakerModelQualityBaselineOperator",
]

_FAILED = ("Failed", "Stopped")
PROCESSING_JOB_RUNNER = "processing_job"
"""``runner`` value: run the baseline as a SageMaker processing job (the default)."""
WORKER_RUNNER = "worker"
"""``runner`` value: run the baseline on the Airflow worker, without a processing job."""
RUNNERS = (PROCESSING_JOB_RUNNER, WORKER_RUNNER)
_ENGINE_MODES = {"DataQuality": "analyzer", "ModelQuality": "analyzer", "ModelBias": "clarify"}
"""The engine entry point that stands for each monitor type's container on the worker."""
_WORKER_TAG = "worker:"
"""Prefix of the ``suggested/`` file's job tag when a worker run, not a job, made the suggestion."""
_JOB_METADATA = "baselining-job-name"
"""S3 metadata key naming the job whose suggestion a kept ``suggested/`` file is."""
_PLACEHOLDERS: dict[str, Any] = {
    "baseline_dataset": "s3://template-placeholder/dataset",
    "output_s3_uri": "s3://template-placeholder/output",
    "role_arn": "arn:aws:iam::000000000000:role/template-placeholder",
    "job_name": "template-placeholder",
    "image_uri": "template-placeholder",
    "environment": {},
    "record_preprocessor_script": "s3://template-placeholder/preprocessor.py",
    "post_analytics_processor_script": "s3://template-placeholder/postprocessor.py",
}


def _checked_runner(value: Any) -> str:
    """``value`` when it is one of :data:`RUNNERS`; else a ``ValueError`` naming ``runner``."""
    if value not in RUNNERS:
        raise ValueError(
            f"runner: must be {PROCESSING_JOB_RUNNER!r} (a SageMaker processing job, the default) or "
            f"{WORKER_RUNNER!r} (the analysis engine on the Airflow worker, no processing job), got {value!r}"
        )
    return str(value)


def _refuse_on_worker(field: str, reason: str) -> None:
    """Refuse a parameter value the worker runner cannot honour: a ``ValueError`` naming ``field``."""
    raise ValueError(
        f"{field}: {reason}; a worker cannot do that with runner={WORKER_RUNNER!r}: use "
        f"runner={PROCESSING_JOB_RUNNER!r} (the default) to run this baseline as a SageMaker processing job"
    )


def _refuse_scripts(**scripts: str | None) -> None:
    """Refuse a given script on the worker, which runs the package's engine, not the analyzer container."""
    for field, value in scripts.items():
        if value is not None:
            _refuse_on_worker(field, "only the Model Monitor analyzer container runs such a script")


def _checked_tolerance(value: Any, kind: type) -> Any:
    """``value`` when it is a ``kind`` or None; else :class:`ToleranceError` naming ``tolerance``."""
    if value is not None and not isinstance(value, kind):
        raise ToleranceError("tolerance", f"must be a {kind.__name__} or None", value)
    return value


class _BaselineOperator(SageMakerModelMonitorBaseOperator):
    """Shared behaviour of the four baseline operators: naming, idempotent start, waiting, the summary.

    :param baseline_dataset: S3 URI (prefix or file) of the dataset to baseline (templated).
    :param output_s3_uri: S3 prefix the job writes its results to (templated).
    :param role_arn: IAM role ARN SageMaker assumes to run the job (templated); required unless
        ``runner="worker"``, where no job runs and it is not used.
    :param dataset_format: format of the dataset: a :class:`DatasetFormat`, an API dict like
        ``{"Csv": {"Header": True}}`` or a container dict like ``{"csv": {"header": True}}``.
    :param job_name: processing job name (templated); default: derived from the DAG run and the task.
    :param image_uri: container image (templated); default: the analyzer or Clarify image of the region.
    :param cluster_resources: the processing cluster; overrides ``instance_type``, ``instance_count`` and
        ``volume_size_in_gb``.
    :param instance_type: processing instance type.
    :param instance_count: number of instances.
    :param volume_size_in_gb: storage per instance in GB.
    :param max_runtime_in_seconds: stop the job after this many seconds (1..86400); None: no limit is sent.
    :param environment: extra container environment variables (templated); the SDK's keys win on conflict.
    :param network_config: network isolation, encryption and VPC (:class:`NetworkConfig` or an API dict).
    :param tags: tags of the processing job, ``{key: value}`` or the API list.
    :param wait_for_completion: wait until the job ends; otherwise return its summary once it is started.
    :param check_interval: seconds between two status checks while waiting (the trigger's ``waiter_delay``
        when deferred).
    :param max_ingestion_time: fail if the job has not ended after this many seconds, in the worker (the
        Amazon provider's ``ProcessingJobComplete`` waiter) and deferred (its ``SageMakerTrigger``) alike;
        None: two days.
    :param deferrable: wait in the triggerer instead of the worker (needs ``wait_for_completion``).
    :param runner: ``"processing_job"`` (default): a SageMaker processing job runs the baseline;
        ``"worker"``: this task runs it on the Airflow worker, calling S3 only (see the module docstring).
    :param aws_conn_id: the Airflow AWS connection.
    :param region_name: AWS region; default: the connection's.
    :param verify: whether to verify TLS certificates, or a CA bundle path.
    :param botocore_config: botocore client configuration as a dict.
    """

    monitoring_type: ClassVar[str]
    tolerance: ModelQualityTolerance | DataQualityTolerance | BiasTolerance | None = None
    template_fields: Sequence[str] = aws_template_fields(
        "baseline_dataset", "output_s3_uri", "role_arn", "job_name", "image_uri", "environment"
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"environment": "json"}
    ui_color = "#c5e1a5"
    operator_extra_links = (SageMakerProcessingJobLink(),)
    _last_summary: dict[str, Any] | None = None
    _stop: threading.Event | None = None
    """Set by :meth:`on_kill` to stop a baseline running on the worker (made when it starts)."""

    def __init__(
        self,
        *,
        baseline_dataset: str,
        output_s3_uri: str,
        role_arn: str | None = None,
        dataset_format: DatasetFormat | Mapping[str, Any] | None = None,
        job_name: str | None = None,
        image_uri: str | None = None,
        cluster_resources: ClusterResources | Mapping[str, Any] | None = None,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_size_in_gb: int = 30,
        max_runtime_in_seconds: int | None = None,
        environment: Mapping[str, str] | None = None,
        network_config: NetworkConfig | Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
        wait_for_completion: bool = True,
        check_interval: int = PROCESSING_JOB_CHECK_INTERVAL,
        max_ingestion_time: int | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        runner: str = PROCESSING_JOB_RUNNER,
        **kwargs: Any,
    ) -> None:
        from airflow_mm_provider.monitoring.inputs import ClusterResources, DatasetFormat

        super().__init__(**kwargs)
        self.runner = _checked_runner(runner)
        self.baseline_dataset = baseline_dataset
        self.output_s3_uri = output_s3_uri
        if role_arn is None and self.runner != WORKER_RUNNER:
            raise ValueError(
                f"role_arn: required with runner={PROCESSING_JOB_RUNNER!r}: the IAM role SageMaker runs the "
                f"baseline job as (only runner={WORKER_RUNNER!r} runs without one)"
            )
        self.role_arn = role_arn
        self.dataset_format = DatasetFormat.csv(header=True) if dataset_format is None else dataset_format
        self.job_name = job_name
        self.image_uri = image_uri
        if cluster_resources is None:
            cluster_resources = ClusterResources(instance_count, instance_type, volume_size_in_gb)
        self.cluster_resources = cluster_resources
        self.max_runtime_in_seconds = max_runtime_in_seconds
        self.environment = environment
        self.network_config = network_config
        self.tags = tags
        self.wait_for_completion = wait_for_completion
        self.check_interval = checked_interval(check_interval)
        self.max_ingestion_time = checked_max_wait(max_ingestion_time)
        self.deferrable = deferrable

    # ---- values and requests ---------------------------------------------------------------------------

    def _value(self, name: str, rendered: bool) -> Any:
        """The attribute ``name``; before rendering, a valid placeholder stands in for a templated value."""
        value = getattr(self, name)
        if not rendered and name in _PLACEHOLDERS and not is_literal(value):
            return _PLACEHOLDERS[name]
        return value

    def _settings(self, job_name: str, image_uri: str, rendered: bool) -> BaselineJobSettings:
        """The job-level settings of the request."""
        from airflow_mm_provider.monitoring.baselining import BaselineJobSettings

        # the worker runner needs no role: the request it runs never reaches SageMaker
        role_arn = _PLACEHOLDERS["role_arn"] if self.role_arn is None else self._value("role_arn", rendered)
        return BaselineJobSettings(
            job_name=job_name,
            role_arn=role_arn,
            image_uri=image_uri,
            output_s3_uri=self._value("output_s3_uri", rendered),
            resources=self.cluster_resources,
            max_runtime_in_seconds=self.max_runtime_in_seconds,
            environment=self._value("environment", rendered),
            network_config=self.network_config,
            tags=self.tags,
        )

    def _build_request(self, settings: BaselineJobSettings, rendered: bool) -> dict[str, Any]:
        """The ``CreateProcessingJob`` request of this monitor type."""
        raise NotImplementedError

    def analysis_config(self, rendered: bool = True) -> dict[str, Any] | None:
        """The Clarify ``analysis_config.json`` to upload before the job, or None for analyzer jobs.

        :param rendered: whether templated values are rendered (False at DAG parse time).
        """
        return None

    def _check_literals(self) -> None:
        """Validate what is known at DAG parse time by building the request with placeholders."""
        job_name = _PLACEHOLDERS["job_name"] if self.job_name is None else self._value("job_name", False)
        image_uri = _PLACEHOLDERS["image_uri"] if self.image_uri is None else self._value("image_uri", False)
        self._build_request(self._settings(job_name, image_uri, rendered=False), rendered=False)
        if self.runner == WORKER_RUNNER:
            self._check_worker(rendered=False)

    def _check_worker(self, rendered: bool) -> None:
        """Refuse what the worker runner cannot run (a ``ValueError`` naming the parameter).

        :param rendered: whether templated values are rendered (False at DAG parse time).
        """

    def build_request(self, job_name: str, image_uri: str) -> dict[str, Any]:
        """The ``CreateProcessingJob`` request from the rendered parameters (validated).

        :param job_name: the processing job name.
        :param image_uri: the container image.
        """
        return self._build_request(self._settings(job_name, image_uri, rendered=True), rendered=True)

    # ---- execution -------------------------------------------------------------------------------------

    def resolve_job_name(self, context: Context) -> str:
        """The job name: ``job_name`` if given, else one derived from the DAG, task (and map index) and run.

        :param context: the task context.
        """
        if self.job_name:
            return self.job_name
        task_id = self.task_id
        map_index = getattr(context.get("ti"), "map_index", -1)
        if isinstance(map_index, int) and map_index >= 0:
            task_id = f"{task_id}-{map_index}"
        return names.run_scoped_name(self.dag_id, task_id, context["run_id"])

    def _prepare(self, job_name: str) -> dict[str, Any]:
        """Build the request and upload the Clarify config if any; returns the request."""
        from airflow_mm_provider.monitoring import baselining
        from airflow_mm_provider.monitoring.images import image_uri_for

        image_uri = self.image_uri or image_uri_for(self.monitoring_type, self.hook.conn_region_name)
        request = self.build_request(job_name, image_uri)
        config = self.analysis_config()
        if config is not None:
            uri = baselining.analysis_config_uri(self.output_s3_uri)
            bucket, key = split_s3_uri(uri)
            self.hook.s3_hook.load_string(json.dumps(config), key, bucket_name=bucket, replace=True)
            self.log.info("Uploaded the Clarify analysis config to %s", uri)
        return request

    def _start(self, job_name: str) -> dict[str, Any]:
        """Build, upload the Clarify config if any, and create the job; returns the request."""
        request = self._prepare(job_name)
        self.hook.create_processing_job(request)
        self.log.info("Started %s baseline job %s", self.monitoring_type, job_name)
        return request

    def _summary(self, job: Mapping[str, Any], worker_run: str | None = None) -> dict[str, Any]:
        """The XCom summary of a described (or just created) job; applies the tolerance once it completed.

        :param job: the job's description, or the request with its ``ProcessingJobStatus``.
        :param worker_run: the request's name when the worker ran it: no job exists, so ``job_name`` is None.
        """
        from airflow_mm_provider.monitoring import baselining

        outputs = (job.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        output_uri = outputs[0]["S3Output"]["S3Uri"] if outputs else self.output_s3_uri
        status = job.get("ProcessingJobStatus")
        adjusted = self.tolerance is not None and status == "Completed"
        job_name = worker_run or job["ProcessingJobName"]
        summary = baselining.baseline_result(
            self.monitoring_type, job_name, output_uri, status, suggested=adjusted
        )
        if worker_run:
            summary["job_name"] = None  # no processing job exists
        if adjusted:
            self._apply_tolerance(summary, f"{_WORKER_TAG}{job_name}" if worker_run else job_name)
        elif self.tolerance is not None:
            self.log.warning(
                "Baseline job %s is %s: its constraints are not loosened by the tolerance, because the "
                "task did not wait for it to complete",
                summary["job_name"],
                status,
            )
        self._last_summary = summary
        return summary

    def _apply_tolerance(self, summary: Mapping[str, Any], source: str) -> None:
        """Keep the suggestion under ``suggested/``; write it, loosened by the tolerance, in place.

        The kept file is tagged with ``source``: a job's suggestion is kept once (a retry loosens the kept
        file again, never the loosened one); a worker run's (tag :data:`_WORKER_TAG`...) always replaces it,
        since the run has just written a new suggestion in place.

        :param summary: the summary of the completed baseline.
        :param source: the job name, or the worker run's tag.
        """
        assert self.tolerance is not None
        target, kept = summary["constraints_uri"], summary["suggested_constraints_uri"]
        target_bucket, target_key = split_s3_uri(target)
        kept_bucket, kept_key = split_s3_uri(kept)
        s3 = self.hook.s3_hook
        fresh = source.startswith(_WORKER_TAG)
        head = {} if fresh else (s3.head_object(kept_key, kept_bucket) or {})
        if fresh or (head.get("Metadata") or {}).get(_JOB_METADATA) != source:
            s3.copy_object(
                target_key,
                kept_key,
                target_bucket,
                kept_bucket,
                Metadata={_JOB_METADATA: source},
                MetadataDirective="REPLACE",
            )
            self.log.info("Kept the suggestion of baseline %s at %s", source, kept)
        adjusted = self.tolerance.apply(self.hook.read_json(kept))
        s3.load_string(json.dumps(adjusted), target_key, bucket_name=target_bucket, replace=True)
        self.log.info("Wrote the suggestion loosened by %s to %s", self.tolerance, target)

    def _raise_failed(self, job: Mapping[str, Any], attached: bool = False, worker: bool = False) -> None:
        """Fail the task for a job (or worker run, with ``worker``) that ended Failed or Stopped, quoting its
        reasons."""
        reasons = [job.get("FailureReason"), job.get("ExitMessage")]
        detail = "; ".join(dict.fromkeys(text for text in reasons if text)) or "no FailureReason given"
        hint = ""
        if attached:
            scope = "" if self.job_name else " belongs to this DAG run and task, so it"
            hint = f" The job name{scope} is reused by every retry; pass a new job_name to run another job."
        what = (
            f"run {job['ProcessingJobName']} on the worker" if worker else f"job {job['ProcessingJobName']}"
        )
        raise AirflowException(
            f"{self.monitoring_type} baseline {what} ended {job.get('ProcessingJobStatus')}: {detail}.{hint}"
        )

    def _finish(self, job: Mapping[str, Any]) -> dict[str, Any]:
        """The summary of an ended job, or the task failure when it did not complete."""
        if job.get("ProcessingJobStatus") in _FAILED:
            self._raise_failed(job)
        summary = self._summary(job)
        self.log.info("Baseline job %s ended %s: %s", summary["job_name"], summary["status"], summary)
        return summary

    def execute(self, context: Context) -> dict[str, Any]:
        """Start the baseline job (or find it again), wait as configured and return its summary; with
        ``runner="worker"``, run the baseline in this task instead."""
        if self.runner == WORKER_RUNNER:
            return self._execute_on_worker(context)
        job_name = self.resolve_job_name(context)
        existing = self.hook.describe_processing_job_or_none(job_name)
        if existing is None:
            request = self._start(job_name)
            job: Mapping[str, Any] = {**request, "ProcessingJobStatus": "InProgress"}
        else:
            job = existing
            status = job.get("ProcessingJobStatus")
            self.log.info("Baseline job %s already exists (%s); not starting another", job_name, status)
            if status in _FAILED:
                self._raise_failed(job, attached=True)
        self.persist_job_link(context, job_name)
        if job.get("ProcessingJobStatus") == "Completed" or not self.wait_for_completion:
            if self.deferrable and not self.wait_for_completion:
                self.log.warning("deferrable has no effect when wait_for_completion is False")
            return self._summary(job)
        if self.deferrable:
            current = self.hook.describe_processing_job(job_name)
            if current.get("ProcessingJobStatus") in PROCESSING_JOB_RUNNING:
                self._defer(job_name)
            self.log.info("Baseline job %s has already ended; not deferring", job_name)
            return self._finish(current)
        final = self.hook.wait_for_processing_job(job_name, self.check_interval, self.max_ingestion_time)
        return self._finish(final)

    def _execute_on_worker(self, context: Context) -> dict[str, Any]:
        """Run the baseline request here (S3 only), fail on anything but ``Completed``, return the summary."""
        from airflow_mm_provider.runner import run_processing_job

        self._check_worker(rendered=True)
        ignored = [
            name
            for name, value, default in (
                ("deferrable", self.deferrable, False),
                ("wait_for_completion", self.wait_for_completion, True),
                ("max_ingestion_time", self.max_ingestion_time, None),
            )
            if value != default
        ]
        if ignored:
            self.log.info("runner=%r runs the baseline in this task: ignoring %s", WORKER_RUNNER, ignored)
        name = self.resolve_job_name(context)
        request = self._prepare(name)
        self.log.info(
            "Running the %s baseline %s on this worker (runner=%r, no SageMaker processing job): %s -> %s",
            self.monitoring_type,
            name,
            WORKER_RUNNER,
            self.baseline_dataset,
            self.output_s3_uri,
        )
        self._stop = threading.Event()
        result = run_processing_job(
            request, self.hook.s3_hook.get_conn, _ENGINE_MODES[self.monitoring_type], stop=self._stop
        )
        if result.status != "Completed":
            self._raise_failed(
                {
                    "ProcessingJobName": name,
                    "ProcessingJobStatus": result.status,
                    "FailureReason": result.failure_reason,
                    "ExitMessage": result.exit_message,
                },
                worker=True,
            )
        summary = self._summary({**request, "ProcessingJobStatus": "Completed"}, worker_run=name)
        self.log.info("%s baseline %s ran on this worker: %s", self.monitoring_type, name, summary)
        return summary

    def on_kill(self) -> None:
        """Stop a baseline running on the worker (it then writes nothing); a processing job keeps running."""
        if self._stop is not None:
            self._stop.set()

    def _defer(self, job_name: str) -> None:
        """Hand the wait to the triggerer with the processing-job trigger."""
        from airflow_mm_provider.triggers.processing_job import SageMakerProcessingJobTrigger

        limit = (
            PROCESSING_JOB_MAX_INGESTION_TIME if self.max_ingestion_time is None else self.max_ingestion_time
        )
        self.defer(
            trigger=SageMakerProcessingJobTrigger(
                job_name=job_name,
                job_type="Processing",
                waiter_delay=self.check_interval,
                waiter_max_attempts=waiter_max_attempts(limit, self.check_interval),
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                verify=self.verify,
                botocore_config=self.botocore_config,
            ),
            method_name="execute_complete",
            timeout=datetime.timedelta(seconds=limit),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the trigger fired: fail on a failed, stopped or timed-out job, else summarize it."""
        event = validate_execute_complete_event(event)
        job_name = event.get("job_name") or self.resolve_job_name(context)
        self.persist_job_link(context, job_name)
        if event.get("status") != "success":
            raise AirflowException(
                f"{self.monitoring_type} baseline job {job_name} ended {event.get('status')}: "
                f"{event.get('message') or 'no message'}"
            )
        return self._finish(self.hook.describe_processing_job(job_name))

    def persist_job_link(self, context: Context, job_name: str) -> None:
        """Store the baseline job's console link and log its URL (none against a local endpoint).

        :param context: the task context.
        :param job_name: the processing job name.
        """
        url = persist_link(SageMakerProcessingJobLink, context, self, self.hook, job_name=job_name)
        if url:
            self.log.info("Baseline job %s in the console: %s", job_name, url)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage | None:
        """OpenLineage datasets: the baseline dataset in; statistics and constraints out once it completed.

        None without the OpenLineage provider (see :mod:`airflow_mm_provider.operators.lineage`).

        :param task_instance: the finished task instance (unused: the summary of this run is kept).
        """
        from airflow_mm_provider.monitoring.lineage import baseline_lineage
        from airflow_mm_provider.operators.lineage import operator_lineage

        return operator_lineage(baseline_lineage(self.baseline_dataset, self._last_summary))


class SageMakerDataQualityBaselineOperator(_BaselineOperator):
    """Suggest data-quality statistics and constraints of a dataset with the Model Monitor analyzer.

    Writes ``statistics.json`` and ``constraints.json``.

    See the module docstring for naming, idempotency and the returned summary.

    :param record_preprocessor_script: S3 URI of a record preprocessor script (templated).
    :param post_analytics_processor_script: S3 URI of a post-analytics processor script (templated).
    :param tolerance: loosens the suggested ``constraints.json`` once the job completed (drift distance, type
        match, completeness); None (default) keeps the suggestion as it is.
    :param kwargs: the shared parameters of :class:`_BaselineOperator`.
    """

    monitoring_type = "DataQuality"
    template_fields: Sequence[str] = (
        *_BaselineOperator.template_fields,
        "record_preprocessor_script",
        "post_analytics_processor_script",
    )

    def __init__(
        self,
        *,
        record_preprocessor_script: str | None = None,
        post_analytics_processor_script: str | None = None,
        tolerance: DataQualityTolerance | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.record_preprocessor_script = record_preprocessor_script
        self.post_analytics_processor_script = post_analytics_processor_script
        self.tolerance = _checked_tolerance(tolerance, DataQualityTolerance)
        self._check_literals()

    def _check_worker(self, rendered: bool) -> None:
        _refuse_scripts(
            record_preprocessor_script=self.record_preprocessor_script,
            post_analytics_processor_script=self.post_analytics_processor_script,
        )

    def _build_request(self, settings: BaselineJobSettings, rendered: bool) -> dict[str, Any]:
        from airflow_mm_provider.monitoring import baselining

        return baselining.data_quality_baseline_request(
            settings,
            self._value("baseline_dataset", rendered),
            self.dataset_format,
            record_preprocessor_script=self._value("record_preprocessor_script", rendered),
            post_analytics_processor_script=self._value("post_analytics_processor_script", rendered),
        )


class SageMakerModelQualityBaselineOperator(_BaselineOperator):
    """Suggest model-quality metrics and constraints from a dataset holding predictions and labels.

    See the module docstring for naming, idempotency and the returned summary. Attribute names are column
    names (CSV with header), column indices written as strings, or JSON paths; they reach the container as
    environment strings.

    :param problem_type: ``BinaryClassification``, ``MulticlassClassification`` or ``Regression``.
    :param ground_truth_attribute: column of the true label.
    :param inference_attribute: column of the predicted label or value.
    :param probability_attribute: column of the predicted probability (binary classification).
    :param probability_threshold_attribute: probability cut-off in [0, 1] (a number or its text).
    :param post_analytics_processor_script: S3 URI of a post-analytics processor script (templated).
    :param tolerance: margins that loosen the suggested thresholds once the job completed; default: the
        measured default (0.06 on every metric); None keeps the suggestion, which healthy hours often break.
    :param kwargs: the shared parameters of :class:`_BaselineOperator`.
    """

    monitoring_type = "ModelQuality"
    template_fields: Sequence[str] = (*_BaselineOperator.template_fields, "post_analytics_processor_script")

    def __init__(
        self,
        *,
        problem_type: str,
        ground_truth_attribute: str,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        probability_threshold_attribute: float | str | None = None,
        post_analytics_processor_script: str | None = None,
        tolerance: ModelQualityTolerance | None = DEFAULT_MODEL_QUALITY_TOLERANCE,
        **kwargs: Any,
    ) -> None:
        from airflow_mm_provider.monitoring.baselining import ModelQualityAttributes

        super().__init__(**kwargs)
        self.attributes = ModelQualityAttributes(
            problem_type=problem_type,
            ground_truth_attribute=ground_truth_attribute,
            inference_attribute=inference_attribute,
            probability_attribute=probability_attribute,
            probability_threshold_attribute=probability_threshold_attribute,
        )
        self.post_analytics_processor_script = post_analytics_processor_script
        self.tolerance = _checked_tolerance(tolerance, ModelQualityTolerance)
        self._check_literals()

    def _check_worker(self, rendered: bool) -> None:
        _refuse_scripts(post_analytics_processor_script=self.post_analytics_processor_script)

    def _build_request(self, settings: BaselineJobSettings, rendered: bool) -> dict[str, Any]:
        from airflow_mm_provider.monitoring import baselining

        return baselining.model_quality_baseline_request(
            settings,
            self._value("baseline_dataset", rendered),
            self.dataset_format,
            self.attributes,
            post_analytics_processor_script=self._value("post_analytics_processor_script", rendered),
        )


class _ClarifyBaselineOperator(_BaselineOperator):
    """Shared behaviour of the Clarify baselines: the analysis config, uploaded next to the results.

    :param analysis_config: a complete ``analysis_config.json`` dict (templated); when given, the other
        config parameters are ignored and ``dataset_type`` is filled in from ``dataset_format`` if missing.
    :param headers: column names of the dataset.
    :param label: the label column name or index.
    :param features: JMESPath of the features in JSON Lines records.
    :param model_name: the SageMaker model Clarify deploys to a shadow endpoint for predictions.
    :param predictor: the full ``predictor`` section instead of ``model_name``
        (see ``baselining.predictor_config``).
    :param kwargs: the shared parameters of :class:`_BaselineOperator`.
    """

    template_fields: Sequence[str] = (*_BaselineOperator.template_fields, "analysis_config_dict")
    template_fields_renderers: ClassVar[dict[str, str]] = {
        **_BaselineOperator.template_fields_renderers,
        "analysis_config_dict": "json",
    }

    def __init__(
        self,
        *,
        analysis_config: Mapping[str, Any] | None = None,
        headers: Sequence[str] | None = None,
        label: str | int | None = None,
        features: str | None = None,
        model_name: str | None = None,
        predictor: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        from airflow_mm_provider.monitoring import baselining

        super().__init__(**kwargs)
        self.analysis_config_dict = analysis_config
        self.headers = headers
        self.clarify_label = label
        self.features = features
        if predictor is None and model_name is not None:
            predictor = baselining.predictor_config(model_name=model_name)
        self.predictor = predictor

    def _dataset_type(self) -> str:
        from airflow_mm_provider.monitoring import baselining

        return baselining.clarify_dataset_type(self.dataset_format)

    def _config_from_parts(self) -> dict[str, Any]:
        """The config built from the individual parameters."""
        raise NotImplementedError

    def analysis_config(self, rendered: bool = True) -> dict[str, Any] | None:
        from airflow_mm_provider.monitoring import baselining

        if self.analysis_config_dict is None:
            return self._config_from_parts()
        if not rendered and not is_literal(self.analysis_config_dict):
            return None
        config = {"dataset_type": self._dataset_type(), **self.analysis_config_dict}
        baselining.validate_analysis_config(self.monitoring_type, config)
        return config

    def _build_request(self, settings: BaselineJobSettings, rendered: bool) -> dict[str, Any]:
        from airflow_mm_provider.monitoring import baselining

        config = self.analysis_config(rendered)
        dataset_type = self._dataset_type() if config is None else config["dataset_type"]
        return baselining.clarify_baseline_request(
            settings,
            self._value("baseline_dataset", rendered),
            baselining.analysis_config_uri(settings.output_s3_uri),
            dataset_type,
        )


class SageMakerModelBiasBaselineOperator(_ClarifyBaselineOperator):
    """Compute baseline bias metrics with SageMaker Clarify (``analysis.json``, the bias "constraints").

    See the module docstring for naming, idempotency and the returned summary. Give ``analysis_config`` or
    the pieces below; post-training metrics need ``model_name``, ``predictor`` or ``predicted_label``.

    :param label_values_or_threshold: favourable label values, or a one-item list holding a threshold.
    :param facet: the sensitive column name or index, a facet dict, or a list of them.
    :param facet_values_or_threshold: the sensitive group's values or threshold when ``facet`` is a name.
    :param group_variable: the column for conditional demographic disparity.
    :param probability_threshold: cut-off turning predicted probabilities into labels, in [0, 1].
    :param pre_training_methods: ``"all"``, a list of pre-training metric names, or None to skip.
    :param post_training_methods: ``"all"``, a list of post-training metric names, or None to skip.
    :param predicted_label: the dataset column already holding predicted labels (instead of a model).
    :param excluded_columns: columns that are neither features nor label.
    :param tolerance: a margin that moves each baseline value away from its fair value once the job completed,
        on top of the bootstrap interval the monitor judges with; default: the measured default (0.02); None
        keeps the job's values.
    :param kwargs: the shared Clarify parameters of :class:`_ClarifyBaselineOperator`.
    """

    monitoring_type = "ModelBias"

    def __init__(
        self,
        *,
        label_values_or_threshold: Any = None,
        facet: Any = None,
        facet_values_or_threshold: Any = None,
        group_variable: str | int | None = None,
        probability_threshold: float | None = None,
        pre_training_methods: str | list[str] | None = "all",
        post_training_methods: str | list[str] | None = "all",
        predicted_label: str | int | None = None,
        excluded_columns: Sequence[str | int] | None = None,
        tolerance: BiasTolerance | None = DEFAULT_BIAS_TOLERANCE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.label_values_or_threshold = label_values_or_threshold
        self.facet = facet
        self.facet_values_or_threshold = facet_values_or_threshold
        self.group_variable = group_variable
        self.probability_threshold = probability_threshold
        self.pre_training_methods = pre_training_methods
        self.post_training_methods = post_training_methods
        self.predicted_label = predicted_label
        self.excluded_columns = excluded_columns
        self.tolerance = _checked_tolerance(tolerance, BiasTolerance)
        self._check_literals()

    def _check_worker(self, rendered: bool) -> None:
        config = self.analysis_config(rendered)
        if config is None:
            return
        post_training = "post_training_bias" in (config.get("methods") or {})
        if post_training and "predictor" in config and config.get("predicted_label") is None:
            _refuse_on_worker(
                "analysis_config.predictor",
                "the post-training metrics of this baseline need predictions made by invoking the model "
                "(model_name / predictor); give the dataset's predicted-label column (predicted_label) or "
                "post_training_methods=None",
            )

    def _config_from_parts(self) -> dict[str, Any]:
        from airflow_mm_provider.monitoring import baselining

        return baselining.bias_analysis_config(
            label=self.clarify_label,  # type: ignore[arg-type]  # None: a MonitoringValidationError names it
            label_values_or_threshold=self.label_values_or_threshold,
            facet=self.facet,
            facet_values_or_threshold=self.facet_values_or_threshold,
            dataset_type=self._dataset_type(),
            headers=self.headers,
            features=self.features,
            group_variable=self.group_variable,
            probability_threshold=self.probability_threshold,
            pre_training_methods=self.pre_training_methods,
            post_training_methods=self.post_training_methods,
            predictor=self.predictor,
            predicted_label=self.predicted_label,
            excluded_columns=self.excluded_columns,
        )


class SageMakerModelExplainabilityBaselineOperator(_ClarifyBaselineOperator):
    """Compute baseline SHAP feature attributions with SageMaker Clarify (``analysis.json``).

    See the module docstring for naming, idempotency and the returned summary. Give ``analysis_config`` or
    ``model_name`` / ``predictor`` with optional ``shap`` settings.

    :param shap: the ``methods.shap`` section (see ``baselining.shap_config``); default: the SDK defaults.
    :param kwargs: the shared Clarify parameters of :class:`_ClarifyBaselineOperator`.
    """

    monitoring_type = "ModelExplainability"

    def __init__(self, *, shap: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        from airflow_mm_provider.monitoring import baselining

        super().__init__(**kwargs)
        self.shap = baselining.shap_config() if shap is None else shap
        self._check_literals()

    def _check_worker(self, rendered: bool) -> None:
        _refuse_on_worker(
            "runner",
            "a ModelExplainability baseline computes SHAP values by invoking the model on the data (Clarify "
            "deploys it to a shadow endpoint)",
        )

    def _config_from_parts(self) -> dict[str, Any]:
        from airflow_mm_provider.monitoring import baselining

        return baselining.explainability_analysis_config(
            shap=self.shap,
            predictor=self.predictor,  # type: ignore[arg-type]  # None: a MonitoringValidationError names it
            dataset_type=self._dataset_type(),
            headers=self.headers,
            label=self.clarify_label,
            features=self.features,
        )
