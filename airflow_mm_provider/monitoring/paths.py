"""S3 layout of Model Monitor data: capture and ground-truth hour folders, reports and merge output.

Every layout ends in a ``yyyy/mm/dd/hh`` folder of a UTC hour: the invocation hour for captured data, the
collection hour for ground truth, and the execution's ``ScheduledTime`` hour for reports.
"""

from __future__ import annotations

from datetime import datetime

from airflow_mm_provider.monitoring.times import HOUR, as_utc, floor_hour

_S3 = "s3://"

CONSTRAINT_VIOLATIONS_FILE = "constraint_violations.json"
STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
ANALYSIS_FILE = "analysis.json"
CLARIFY_REPORT_FILES: tuple[str, ...] = ("report.html", "report.ipynb", "report.pdf")
"""What Clarify monitors write besides ``analysis.json``: reports for people, not for parsing."""


def hour_path(t: datetime) -> str:
    """The ``yyyy/mm/dd/hh`` folder of the UTC hour containing ``t``.

    :param t: a timezone-aware datetime.
    """
    return as_utc(t, "time").strftime("%Y/%m/%d/%H")


def join_s3(base: str, *segments: str | None) -> str:
    """Join an S3 URI and path segments with single slashes, skipping empty or None segments.

    :param base: an ``s3://`` URI, with or without a trailing slash.
    :param segments: further path segments; leading and trailing slashes are ignored.
    """
    parts = [base.rstrip("/")] + [s.strip("/") for s in segments if s and s.strip("/")]
    return "/".join(parts)


def report_uri(
    output_s3_uri: str, schedule_name: str, scheduled_time: datetime, endpoint_name: str | None = None
) -> str:
    """Where an execution writes its report: ``<S3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh``.

    Batch-transform monitors have no endpoint segment: ``<S3Uri>/<schedule>/yyyy/mm/dd/hh``.

    :param output_s3_uri: the job definition's ``MonitoringOutputs[0].S3Output.S3Uri``.
    :param schedule_name: the monitoring schedule name.
    :param scheduled_time: the execution's ``ScheduledTime`` (timezone-aware).
    :param endpoint_name: the monitored endpoint, or None for batch-transform input.
    """
    return join_s3(output_s3_uri, endpoint_name, schedule_name, hour_path(scheduled_time))


def merge_output_uri(
    output_s3_uri: str, schedule_name: str, scheduled_time: datetime, endpoint_name: str | None = None
) -> str:
    """Where the ground-truth merge job of a model quality / bias execution writes the merged records.

    Batch-transform input: ``<S3Uri>/merge/<schedule>/yyyy/mm/dd/hh`` (observed). Endpoint input:
    ``<S3Uri>/merge/<endpoint>/<schedule>/yyyy/mm/dd/hh``, by analogy with the report layout (unverified).

    :param output_s3_uri: the job definition's output ``S3Uri``.
    :param schedule_name: the monitoring schedule name.
    :param scheduled_time: the execution's ``ScheduledTime`` (timezone-aware).
    :param endpoint_name: the monitored endpoint, or None for batch-transform input.
    """
    return join_s3(output_s3_uri, "merge", endpoint_name, schedule_name, hour_path(scheduled_time))


def capture_prefix(destination_s3_uri: str, endpoint_name: str, variant_name: str, hour: datetime) -> str:
    """The folder of a variant's captured records for one hour: ``<dest>/<endpoint>/<variant>/yyyy/mm/dd/hh``.

    :param destination_s3_uri: ``DataCaptureConfig.DestinationS3Uri`` of the endpoint config.
    :param endpoint_name: the endpoint name.
    :param variant_name: the production variant, e.g. ``AllTraffic``.
    :param hour: any time in the invocation hour (timezone-aware).
    """
    return join_s3(destination_s3_uri, endpoint_name, variant_name, hour_path(hour))


def ground_truth_prefix(s3_uri: str, hour: datetime) -> str:
    """The folder of ground-truth records collected in one hour: ``<uri>/yyyy/mm/dd/hh``.

    :param s3_uri: ``GroundTruthS3Input.S3Uri``.
    :param hour: any time in the collection hour (timezone-aware).
    """
    return join_s3(s3_uri, hour_path(hour))


def hour_prefixes(base: str, start: datetime, end: datetime) -> list[str]:
    """The ``<base>/yyyy/mm/dd/hh`` folders of every UTC hour overlapping ``[start, end)``, ascending.

    :param base: the prefix the hour folders live under, e.g. a :func:`capture_prefix` without its hour.
    :param start: window start (timezone-aware).
    :param end: window end, excluded (timezone-aware); an empty window gives no folders.
    """
    hour, end = floor_hour(start, "start"), as_utc(end, "end")
    prefixes: list[str] = []
    if end <= as_utc(start, "start"):
        return prefixes
    while hour < end:
        prefixes.append(join_s3(base, hour_path(hour)))
        hour += HOUR
    return prefixes


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``; the key may be empty.

    :param uri: an ``s3://`` URI.
    """
    if not isinstance(uri, str) or not uri.startswith(_S3):
        raise ValueError(f"expected an s3://bucket/key URI, got {uri!r}")
    bucket, _, key = uri[len(_S3) :].partition("/")
    if not bucket:
        raise ValueError(f"S3 URI has no bucket: {uri!r}")
    return bucket, key
