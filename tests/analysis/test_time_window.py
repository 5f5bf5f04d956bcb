"""Tests of capture inference times and the time window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.time_window import TimeWindow, parse_capture_time

START = datetime(2026, 1, 1, 1, tzinfo=timezone.utc)
END = datetime(2026, 1, 1, 2, tzinfo=timezone.utc)
_MEMBER = msgspec.json.Decoder(datetime)


def test_parse_capture_time_forms() -> None:
    assert parse_capture_time("2026-01-01T01:02:03Z") == datetime(2026, 1, 1, 1, 2, 3, tzinfo=timezone.utc)
    assert parse_capture_time("2026-01-01T01:02:03.5") == datetime(
        2026, 1, 1, 1, 2, 3, 500000, tzinfo=timezone.utc
    )
    assert parse_capture_time(" 2026-01-01T01:02Z ") == datetime(2026, 1, 1, 1, 2, tzinfo=timezone.utc)
    assert parse_capture_time("2026-01-01T03:02:03+02:00") == datetime(
        2026, 1, 1, 1, 2, 3, tzinfo=timezone.utc
    )
    with pytest.raises(ValueError):
        parse_capture_time("2026-02-30T01:00:00Z")


def test_rfc3339_text_is_read_as_a_decoded_member_is() -> None:
    # a fraction finer than microseconds is rounded, in text as in a member decoded to a datetime
    text = "2026-01-01T00:59:59.9999999Z"
    assert parse_capture_time(text) == _MEMBER.decode(f'"{text}"'.encode()) == START
    assert text not in TimeWindow(None, START)


def test_window_is_half_open() -> None:
    window = TimeWindow(START, END)
    for text in ("2026-01-01T00:59:59.999Z", "2026-01-01T02:00:00Z", "2026-01-01T02:00:00.5"):
        assert text not in window
    for text in ("2026-01-01T01:00:00Z", "2026-01-01T01:59:59.999999", "2026-01-01T03:59:59+02:00"):
        assert text in window
    assert None not in window
    with pytest.raises(TypeError):
        _ = 7 in window


def test_select_of_a_column_all_inside_is_none() -> None:
    aware = [START + timedelta(minutes=minute) for minute in (59, 0, 30)]
    naive = [moment.replace(tzinfo=None) for moment in aware]
    assert TimeWindow(START, END).select(aware) is None
    assert TimeWindow(START, END).select(naive) is None
    assert TimeWindow(START, None).select([END]) is None
    assert TimeWindow(None, None).select(["not a time"]) is None


def test_select_of_any_column_is_what_each_time_gives() -> None:
    window = TimeWindow(START, END)
    assert window.select([START, END, None]) == [True, False, False]
    mixed = [START.replace(tzinfo=None), END, "2026-01-01T01:30:00Z"]
    assert window.select(mixed) == [True, False, True]
    assert window.select([END.replace(tzinfo=None), START]) == [False, True]
    with pytest.raises(ValueError):
        window.select(["2026-01-01T01:00:00Z", "2026-02-30T01:00:00Z"])
    with pytest.raises(TypeError):
        window.select([START, 7])


@settings(max_examples=300, deadline=None)
@given(
    offsets=st.lists(st.integers(-2 * 86_400_000_000, 2 * 86_400_000_000), min_size=1, max_size=20),
    digits=st.integers(0, 9),
    zone=st.sampled_from(["", "Z", "+00:00", "+05:30"]),
    bounds=st.tuples(st.integers(-86_400, 86_400), st.integers(0, 86_400), st.booleans(), st.booleans()),
)
def test_decoded_columns_select_what_parsing_each_text_selects(
    offsets: list[int], digits: int, zone: str, bounds: tuple[int, int, bool, bool]
) -> None:
    # a column of times decoded straight to datetimes selects what parsing every text selects
    base = datetime(2024, 2, 28, 23, 59, 59, tzinfo=timezone.utc)
    moments = [base + timedelta(microseconds=offset) for offset in offsets]
    fraction = [
        f".{moment.microsecond:06d}{'9' * max(0, digits - 6)}"[: digits + 1] if digits else ""
        for moment in moments
    ]
    texts = [
        moment.strftime("%Y-%m-%dT%H:%M:%S") + part + zone
        for moment, part in zip(moments, fraction, strict=True)
    ]
    start = base + timedelta(seconds=bounds[0]) if bounds[2] else None
    end = base + timedelta(seconds=bounds[0] + bounds[1]) if bounds[3] else None
    window = TimeWindow(start, end)
    decoded = [_MEMBER.decode(f'"{text}"'.encode()) for text in texts]
    expected = [text in window for text in texts]
    selected = window.select(decoded)
    assert (selected or [True] * len(texts)) == expected
    assert (selected is None) == (all(expected) or window.everything)
