"""Which S3 datasets a baseline job or a monitoring schedule reads and writes, named for OpenLineage.

Pure: the Airflow side (:mod:`airflow_mm_provider.operators.lineage`) turns these names into OpenLineage
datasets. Names follow the OpenLineage naming conventions for S3 (https://openlineage.io/docs/spec/naming):
the namespace is ``s3://{bucket name}`` and the name is the object key, so that the same S3 location gets the
same dataset whichever tool reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from airflow_mm_provider.monitoring.paths import join_s3, split_s3_uri
from airflow_mm_provider.monitoring.types import monitoring_type_api

BUCKET_ROOT_NAME = "/"
"""The dataset name of a whole bucket, whose object key is empty."""
_BASELINE_OUTPUT_KEYS = ("statistics_uri", "constraints_uri", "analysis_uri", "suggested_constraints_uri")
"""Keys of a baseline summary that name files the job (or its tolerance step) wrote."""


class DatasetName(NamedTuple):
    """An OpenLineage dataset identifier.

    :param namespace: the data source, e.g. ``s3://my-bucket``.
    :param name: the dataset within it, e.g. ``baselines/dq/statistics.json``.
    """

    namespace: str
    name: str


class Lineage(NamedTuple):
    """The datasets a task read and wrote, without repeats, in a stable order.

    :param inputs: the datasets read.
    :param outputs: the datasets written.
    """

    inputs: tuple[DatasetName, ...]
    outputs: tuple[DatasetName, ...]


def s3_dataset_name(uri: str) -> DatasetName:
    """The OpenLineage name of an S3 object or prefix: namespace ``s3://bucket``, name the object key.

    A trailing slash is dropped, so ``s3://b/data`` and ``s3://b/data/`` name the same dataset; a bucket root
    is named ``/``.

    :param uri: an ``s3://bucket/key`` URI.
    """
    bucket, key = split_s3_uri(uri)
    return DatasetName(f"s3://{bucket}", key.strip("/") or BUCKET_ROOT_NAME)


def _names(uris: Iterable[str | None]) -> tuple[DatasetName, ...]:
    """The dataset names of the given URIs, skipping empty ones and repeats."""
    return tuple(dict.fromkeys(s3_dataset_name(uri) for uri in uris if uri))


def baseline_lineage(dataset_uri: str, summary: Mapping[str, Any] | None) -> Lineage:
    """The baseline dataset in; the files of a completed baseline job out.

    Outputs are ``statistics.json`` and ``constraints.json`` (Clarify: ``analysis.json``), plus the kept
    suggestion under ``suggested/`` when a tolerance rewrote the constraints. A job that has not completed
    (the task did not wait) has written nothing yet, so it has no outputs.

    :param dataset_uri: the S3 URI (file or prefix) of the baseline dataset.
    :param summary: the baseline operator's returned summary (keys as in
        :func:`airflow_mm_provider.monitoring.baselining.baseline_result`), or None when there is none.
    """
    outputs: list[str | None] = []
    if summary is not None and summary.get("status") == "Completed":
        outputs = [summary.get(key) for key in _BASELINE_OUTPUT_KEYS]
    return Lineage(_names([dataset_uri]), _names(outputs))


def endpoint_capture_uri(destination_s3_uri: str, endpoint_name: str) -> str:
    """The S3 prefix holding an endpoint's captured records: ``<DestinationS3Uri>/<endpoint>``.

    :param destination_s3_uri: ``DataCaptureConfig.DestinationS3Uri`` of the endpoint.
    :param endpoint_name: the endpoint name.
    """
    return join_s3(destination_s3_uri, endpoint_name)


def monitored_endpoint(monitoring_type: str, request: Mapping[str, Any]) -> str | None:
    """The endpoint a job definition monitors, or None for batch-transform input.

    :param monitoring_type: the monitor type of the definition.
    :param request: the ``Create<T>JobDefinition`` request.
    """
    job_input = request.get(monitoring_type_api(monitoring_type).job_input_key) or {}
    return (job_input.get("EndpointInput") or {}).get("EndpointName")


def job_definition_lineage(
    monitoring_type: str, request: Mapping[str, Any], capture_destination: str | None = None
) -> Lineage:
    """The datasets a monitoring job definition reads and the prefix it writes its reports under.

    Inputs: the captured data (the endpoint's capture prefix when ``capture_destination`` is known; the
    batch transform's ``DataCapturedDestinationS3Uri``), the ground truth, and the baseline constraints and
    statistics. Output: the ``MonitoringOutputs`` S3 prefix.

    :param monitoring_type: the monitor type of the definition.
    :param request: the validated ``Create<T>JobDefinition`` request.
    :param capture_destination: ``DataCaptureConfig.DestinationS3Uri`` of the monitored endpoint, or None when
        it is unknown or the input is a batch transform.
    """
    api = monitoring_type_api(monitoring_type)
    job_input = request.get(api.job_input_key) or {}
    baseline = request.get(api.baseline_config_key) or {}
    endpoint = monitored_endpoint(monitoring_type, request)
    inputs = [
        endpoint_capture_uri(capture_destination, endpoint) if endpoint and capture_destination else None,
        (job_input.get("BatchTransformInput") or {}).get("DataCapturedDestinationS3Uri"),
        (job_input.get("GroundTruthS3Input") or {}).get("S3Uri"),
        (baseline.get("ConstraintsResource") or {}).get("S3Uri"),
        (baseline.get("StatisticsResource") or {}).get("S3Uri"),
    ]
    monitoring_outputs = (request.get(api.output_config_key) or {}).get("MonitoringOutputs") or []
    outputs = [(output.get("S3Output") or {}).get("S3Uri") for output in monitoring_outputs]
    return Lineage(_names(inputs), _names(outputs))
