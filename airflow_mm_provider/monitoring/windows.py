"""Analysis windows: ISO-8601 time offsets and the span of data a monitoring run analyses.

Offsets (``StartTimeOffset`` / ``EndTimeOffset`` of a job input, ``DataAnalysisStartTime`` /
``DataAnalysisEndTime`` of a schedule) are ISO-8601 durations relative to the run's scheduled time; for a
``NOW`` schedule, relative to the moment the schedule was created (taken to the whole second).
The API text says jobs "subtract" them, yet every documented value is negative and the documented example
(scheduled 2020-01-09T13:00 with ``-P8D`` / ``-P1D`` analyses 2020-01-01T13:00 .. 2020-01-08T13:00) adds the
signed value. So here ``window edge = scheduled time + offset``, and an offset must be zero or negative: it
looks back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.rules import rule
from airflow_mm_provider.monitoring.times import HOUR, as_utc

OFFSET_FIELDS = (
    "StartTimeOffset, EndTimeOffset (job inputs); ScheduleConfig.DataAnalysisStartTime, "
    "ScheduleConfig.DataAnalysisEndTime"
)
MAX_ANALYSIS_TIMES_WINDOW = timedelta(hours=24)
_MAX_OFFSET_LENGTH = 15
_MICROS_PER = {"H": 3_600_000_000, "M": 60_000_000}

OFFSET_LENGTH = rule(
    "time-offset-length",
    OFFSET_FIELDS,
    f"must be 1 to {_MAX_OFFSET_LENGTH} characters long",
    "botocore MonitoringTimeOffsetString length 1..15; CloudFormation ScheduleConfig DataAnalysis* 1..15",
)
OFFSET_FORMAT = rule(
    "time-offset-format",
    OFFSET_FIELDS,
    "must be an ISO-8601 duration such as -PT1H, -PT30M, -P1D or -PT0H",
    "botocore MonitoringTimeOffsetString pattern .?P.*; DG model-quality-schedule page (-PT#H, -P#D)",
)
OFFSET_CALENDAR = rule(
    "time-offset-no-years-months",
    OFFSET_FIELDS,
    "must not use years or months, whose length varies (before the T, M means months: write 30 minutes as "
    "-PT30M)",
    "DG model-monitor-model-quality-schedule documents only hours, days and minutes",
)
OFFSET_SIGN = rule(
    "time-offset-not-positive",
    OFFSET_FIELDS,
    "must be zero or negative: the analysis window looks back from the scheduled time (e.g. -PT1H, -PT0H)",
    "DG offsets are look-backs (-P8D/-P1D example); inferred: data after the scheduled time is not there yet",
)
WINDOW_ORDER = rule(
    "analysis-window-order",
    "StartTimeOffset before EndTimeOffset; ScheduleConfig.DataAnalysisStartTime before DataAnalysisEndTime",
    "must make the analysis window start before it ends",
    "an empty or reversed window analyses no data (DG offsets example: start -P8D, end -P1D)",
)
NOW_TIMES_REQUIRED = rule(
    "now-analysis-times-required",
    "ScheduleConfig.DataAnalysisStartTime, ScheduleConfig.DataAnalysisEndTime",
    "is required when ScheduleExpression is NOW",
    "botocore ScheduleConfig doc; SDK _check_monitoring_schedule_cron_validity",
)
ANALYSIS_TIMES_LENGTH = rule(
    "analysis-times-max-24h",
    "ScheduleConfig.DataAnalysisStartTime",
    "must not precede DataAnalysisEndTime by more than 24 hours (NOW and recurring schedules)",
    "botocore ScheduleConfig.DataAnalysisStartTime doc: offsets apply to every scheduled run",
)


class AnalysisWindow(NamedTuple):
    """The span of data one monitoring run analyses, ``[start, end)`` in UTC.

    :param start: first instant analysed (aware, UTC).
    :param end: end of the window, excluded (aware, UTC).
    """

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """How long the window is."""
        return self.end - self.start


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def parse_offset(value: str, field: str) -> timedelta:
    """Parse a Model Monitor time offset such as ``-PT1H`` into a (zero or negative) timedelta.

    :param value: the offset string; 1..15 characters, an optional sign, ``P``, then days, hours, minutes or
        seconds (weeks are accepted and mean 7 days).
    :param field: the field path named in errors, e.g. ``ModelQualityJobInput.EndpointInput.StartTimeOffset``.
    """
    if not isinstance(value, str):
        raise MonitoringValidationError(field, OFFSET_FORMAT, value)
    if not 1 <= len(value) <= _MAX_OFFSET_LENGTH:
        raise MonitoringValidationError(field, OFFSET_LENGTH, value)
    if not re.fullmatch(r"[+-]?P.*\d.*", value) or value.endswith("T"):
        raise MonitoringValidationError(field, OFFSET_FORMAT, value)
    import isodate  # loads on first use: the operator modules import this one on every DAG parse

    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError):
        raise MonitoringValidationError(field, OFFSET_FORMAT, value) from None
    if not isinstance(parsed, timedelta):
        raise MonitoringValidationError(field, OFFSET_CALENDAR, value)
    if parsed > timedelta(0):
        raise MonitoringValidationError(field, OFFSET_SIGN, value)
    return parsed


def parse_input_offsets(data: Mapping[str, Any], path: str) -> tuple[timedelta | None, timedelta | None]:
    """The ``StartTimeOffset`` and ``EndTimeOffset`` of an EndpointInput or BatchTransformInput dict, each
    parsed with :func:`parse_offset` (None when absent).

    :param data: the input structure.
    :param path: dotted path of the structure, named in errors, e.g. ``ModelQualityJobInput.EndpointInput``.
    """
    start, end = data.get("StartTimeOffset"), data.get("EndTimeOffset")
    return (
        None if start is None else parse_offset(start, _field(path, "StartTimeOffset")),
        None if end is None else parse_offset(end, _field(path, "EndTimeOffset")),
    )


def format_offset(delta: timedelta, field: str = "TimeOffset") -> str:
    """Render a zero or negative timedelta as an offset string that :func:`parse_offset` reads back exactly.

    Days are written as hours so every result has the same shape: ``timedelta(hours=-5)`` gives ``-PT5H``,
    ``timedelta(days=-1, minutes=-30)`` gives ``-PT24H30M`` and zero gives ``-PT0H``.

    :param delta: the offset, at most zero.
    :param field: the field path named in errors.
    """
    if delta > timedelta(0):
        raise MonitoringValidationError(field, OFFSET_SIGN, delta)
    micros = -((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
    parts = []
    for unit, size in _MICROS_PER.items():
        count, micros = divmod(micros, size)
        if count:
            parts.append(f"{count}{unit}")
    if micros:
        whole, fraction = divmod(micros, 1_000_000)
        parts.append(f"{whole}.{fraction:06d}".rstrip("0").rstrip(".") + "S")
    text = "-PT" + ("".join(parts) or "0H")
    if len(text) > _MAX_OFFSET_LENGTH:
        raise MonitoringValidationError(field, OFFSET_LENGTH, text)
    return text


def analysis_window(
    scheduled_time: datetime,
    period: timedelta = HOUR,
    start_offset: str | None = None,
    end_offset: str | None = None,
    field_prefix: str = "",
) -> AnalysisWindow:
    """The data window a run scheduled at ``scheduled_time`` analyses.

    Without offsets it is the preceding ``period``: ``[scheduled - period, scheduled)`` (the container
    contract describes the window ending at the scheduled time). With offsets, ``start = scheduled +
    start_offset`` and ``end = scheduled + end_offset``; a missing end offset means the scheduled time and a
    missing start offset means ``period`` before the end.

    :param scheduled_time: the run's slot, timezone-aware.
    :param period: the look-back used when there is no start offset; positive.
    :param start_offset: ``StartTimeOffset`` string, e.g. ``-P8D``.
    :param end_offset: ``EndTimeOffset`` string, e.g. ``-P1D``.
    :param field_prefix: path of the object holding the offsets, e.g. ``ModelQualityJobInput.EndpointInput``.
    """
    if period <= timedelta(0):
        raise ValueError(f"period must be positive, got {period}")
    scheduled = as_utc(scheduled_time, "scheduled_time")
    start_field, end_field = _field(field_prefix, "StartTimeOffset"), _field(field_prefix, "EndTimeOffset")
    end = scheduled if end_offset is None else scheduled + parse_offset(end_offset, end_field)
    start = end - period if start_offset is None else scheduled + parse_offset(start_offset, start_field)
    if start >= end:
        raise MonitoringValidationError(start_field, WINDOW_ORDER, start_offset)
    return AnalysisWindow(start, end)


def validate_analysis_times(
    start: str | None, end: str | None, field_prefix: str = "ScheduleConfig"
) -> tuple[timedelta | None, timedelta | None]:
    """Check the optional analysis times of a recurring schedule; return them as timedeltas (None if absent).

    Each is an offset; when both are given, the start must come before the end and the window is at most
    24 hours (the service documents both rules for every scheduled run).

    :param start: ``DataAnalysisStartTime``, e.g. ``-PT3H``, or None.
    :param end: ``DataAnalysisEndTime``, e.g. ``-PT0H``, or None.
    :param field_prefix: path of the object holding them.
    """
    start_field = _field(field_prefix, "DataAnalysisStartTime")
    end_field = _field(field_prefix, "DataAnalysisEndTime")
    start_delta = None if start is None else parse_offset(start, start_field)
    end_delta = None if end is None else parse_offset(end, end_field)
    if start_delta is not None and end_delta is not None:
        _check_times_window(start_delta, end_delta, start_field, start)
    return start_delta, end_delta


def validate_now_times(
    start: str | None, end: str | None, field_prefix: str = "ScheduleConfig"
) -> tuple[timedelta, timedelta]:
    """Check the analysis times of a ``NOW`` schedule and return them as (start, end) timedeltas.

    Both are required offsets, the start must come before the end, and the window is at most 24 hours.

    :param start: ``DataAnalysisStartTime``, e.g. ``-PT5H``.
    :param end: ``DataAnalysisEndTime``, e.g. ``-PT1H``.
    :param field_prefix: path of the object holding them.
    """
    start_field = _field(field_prefix, "DataAnalysisStartTime")
    end_field = _field(field_prefix, "DataAnalysisEndTime")
    start_delta = parse_offset(_required(start, start_field), start_field)
    end_delta = parse_offset(_required(end, end_field), end_field)
    _check_times_window(start_delta, end_delta, start_field, start)
    return start_delta, end_delta


def now_anchor(created: datetime) -> datetime:
    """The instant a ``NOW`` schedule's analysis times are relative to: its creation, to the whole second.

    :param created: when the schedule was created (or last updated), timezone-aware.
    """
    return as_utc(created, "created").replace(microsecond=0)


def now_window(
    created: datetime, start: str | None, end: str | None, field_prefix: str = "ScheduleConfig"
) -> AnalysisWindow:
    """The window a ``NOW`` schedule created at ``created`` analyses: its analysis times from that moment.

    :param created: when the schedule was created (or last updated), timezone-aware.
    :param start: ``DataAnalysisStartTime``, e.g. ``-PT1H``.
    :param end: ``DataAnalysisEndTime``, e.g. ``-PT0H``.
    :param field_prefix: path of the object holding the analysis times, for errors.
    """
    anchor = now_anchor(created)
    start_delta, end_delta = validate_now_times(start, end, field_prefix)
    return AnalysisWindow(anchor + start_delta, anchor + end_delta)


def now_analysis_times(
    window_start: datetime, window_end: datetime, now: datetime, field_prefix: str = "ScheduleConfig"
) -> tuple[str, str]:
    """The (DataAnalysisStartTime, DataAnalysisEndTime) strings that make a ``NOW`` run analyse a window.

    The offsets are relative to ``now`` taken to the whole second (:func:`now_anchor`). The service
    anchors them at the schedule's creation, which comes a moment later, so the analysed window is this one
    shifted by that delay (see :func:`now_window`). The window must end no later than ``now`` and last at
    most 24 hours.

    :param window_start: first instant to analyse, timezone-aware.
    :param window_end: end of the window (excluded), timezone-aware.
    :param now: the time the schedule is about to be created, timezone-aware.
    :param field_prefix: path of the object holding the analysis times, for errors.
    """
    start_field = _field(field_prefix, "DataAnalysisStartTime")
    end_field = _field(field_prefix, "DataAnalysisEndTime")
    start, end = as_utc(window_start, "window_start"), as_utc(window_end, "window_end")
    anchor = now_anchor(now)
    if end > anchor:
        raise MonitoringValidationError(
            end_field, OFFSET_SIGN, f"window end {end.isoformat()} is after now ({anchor.isoformat()})"
        )
    _check_times_window(start - anchor, end - anchor, start_field, start.isoformat())
    return format_offset(start - anchor, start_field), format_offset(end - anchor, end_field)


def _required(value: str | None, field: str) -> str:
    if value is None or value == "":
        raise MonitoringValidationError(field, NOW_TIMES_REQUIRED)
    return value


def _check_times_window(start: timedelta, end: timedelta, start_field: str, shown: object) -> None:
    if start >= end:
        raise MonitoringValidationError(start_field, WINDOW_ORDER, shown)
    if end - start > MAX_ANALYSIS_TIMES_WINDOW:
        raise MonitoringValidationError(start_field, ANALYSIS_TIMES_LENGTH, shown)
