"""Run one SageMaker processing-job request on this worker, as the processing job would run, without one.

The request is the ``CreateProcessingJob`` request an operator would send (for example a baseline job built
by :mod:`airflow_mm_provider.monitoring.baselining`). Its S3 inputs are read, the analysis engine runs on
them in this process and its outputs are written to the request's S3 output: the same files at the same keys
as a processing job of ``mm-local`` (both run
:class:`~airflow_mm_provider.processing.job_runner.JobRunner`). Only S3 is called, through the client
``s3_client_factory`` builds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_mm_provider.processing.job_runner import JobResult, JobRunner, RunOptions
from airflow_mm_provider.processing.s3files import S3Files

if TYPE_CHECKING:
    from airflow_mm_provider.processing.engine import Engine

MODES = ("analyzer", "merge", "clarify")
"""The engine entry points: the Model Monitor analyzer, the ground-truth merger, SageMaker Clarify."""


def run_processing_job(
    request: Mapping[str, Any],
    s3_client_factory: Callable[[], Any],
    mode: str,
    options: RunOptions | None = None,
    *,
    engine: Engine | None = None,
    stop: threading.Event | None = None,
) -> JobResult:
    """Run ``request`` here and return how it ended (``Completed``, ``Failed`` or ``Stopped``).

    Outputs are written only when it completes. ``MaxRuntimeInSeconds`` of the request bounds the run. Errors
    of the S3 client propagate (the caller may retry: a rerun writes the same files).

    :param request: the ``CreateProcessingJob`` request (``ProcessingInputs``, ``ProcessingOutputConfig``,
        ``Environment``, ``StoppingCondition``; the rest is not read).
    :param s3_client_factory: builds the boto3 S3 client every read and write goes through, e.g. an Amazon
        provider ``S3Hook(aws_conn_id=...).get_conn``.
    :param mode: the engine entry point the job's image stands for, one of :data:`MODES`.
    :param options: which input keys to read and which inputs must hold data (default: all keys, none).
    :param engine: the analysis engine (default the package's, :mod:`airflow_mm_provider.analysis`).
    :param stop: set it to stop the run; it then ends ``Stopped``.
    """
    if mode not in MODES:
        raise ValueError(f"mode: must be one of {', '.join(MODES)} (got {mode!r})")
    runner = JobRunner(S3Files(s3_client_factory), engine)
    return runner.run(dict(request), mode, stop or threading.Event(), options or RunOptions())
