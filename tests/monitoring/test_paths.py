from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.paths import (
    capture_prefix,
    ground_truth_prefix,
    hour_path,
    hour_prefixes,
    join_s3,
    merge_output_uri,
    report_uri,
    split_s3_uri,
)
from tests.support.monitoring import UTC, at


class TestReportUri:
    def test_endpoint_layout_matches_observed_report(self) -> None:
        uri = report_uri(
            "s3://bucket/sagemaker/DEMO-ModelMonitor/reports",
            "DEMO-xgb-churn-pred-model-monitor-schedule-2022-04-18-00-29-48",
            at(2022, 4, 18, 1),
            endpoint_name="DEMO-xgb-churn-pred-model-monitor-2022-04-18-00-13-16",
        )
        assert uri == (
            "s3://bucket/sagemaker/DEMO-ModelMonitor/reports/DEMO-xgb-churn-pred-model-monitor-2022-04-18-00-13-16/"
            "DEMO-xgb-churn-pred-model-monitor-schedule-2022-04-18-00-29-48/2022/04/18/01"
        )

    def test_batch_layout_has_no_endpoint_segment(self) -> None:
        uri = report_uri(
            "s3://b/monitor-output", "monitoring-schedule-2023-01-21-01-41-12-517", at(2023, 1, 21, 2)
        )
        assert uri == "s3://b/monitor-output/monitoring-schedule-2023-01-21-01-41-12-517/2023/01/21/02"

    @pytest.mark.parametrize("base", ["s3://b/reports", "s3://b/reports/", "s3://b/reports//"])
    def test_no_double_slashes(self, base: str) -> None:
        assert report_uri(base, "s", at(2026, 1, 2, 3), "ep") == "s3://b/reports/ep/s/2026/01/02/03"

    def test_bucket_root(self) -> None:
        assert report_uri("s3://b", "s", at(2026, 1, 2, 3)) == "s3://b/s/2026/01/02/03"
        assert report_uri("s3://b/", "s", at(2026, 1, 2, 3)) == "s3://b/s/2026/01/02/03"

    def test_uses_utc_hour_of_scheduled_time(self) -> None:
        local = datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=5)))
        assert report_uri("s3://b/r", "s", local) == "s3://b/r/s/2025/12/31/20"

    def test_naive_time_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            report_uri("s3://b/r", "s", datetime(2026, 1, 1))


class TestMergeOutputUri:
    def test_batch_layout(self) -> None:
        uri = merge_output_uri("s3://b/monitor-output/", "sched", at(2023, 1, 21, 2))
        assert uri == "s3://b/monitor-output/merge/sched/2023/01/21/02"

    def test_endpoint_layout_puts_endpoint_after_merge(self) -> None:
        uri = merge_output_uri("s3://b/out", "sched", at(2023, 1, 21, 2), endpoint_name="ep")
        assert uri == "s3://b/out/merge/ep/sched/2023/01/21/02"


class TestCaptureAndGroundTruth:
    def test_capture_prefix_matches_observed_key(self) -> None:
        prefix = capture_prefix(
            "s3://bucket/sagemaker/DEMO-ModelMonitor/datacapture/",
            "DEMO-xgb-churn-pred-model-monitor-2022-04-18-00-13-16",
            "AllTraffic",
            at(2022, 4, 18, 0, 20, 48),
        )
        assert prefix == (
            "s3://bucket/sagemaker/DEMO-ModelMonitor/datacapture/"
            "DEMO-xgb-churn-pred-model-monitor-2022-04-18-00-13-16/AllTraffic/2022/04/18/00"
        )

    def test_ground_truth_prefix(self) -> None:
        assert (
            ground_truth_prefix("s3://b/ground-truth", at(2023, 1, 21, 1, 32))
            == "s3://b/ground-truth/2023/01/21/01"
        )
        assert ground_truth_prefix("s3://b/gt/", at(2023, 1, 21, 1)) == "s3://b/gt/2023/01/21/01"


class TestHourPrefixes:
    def test_window_covering_partial_hours(self) -> None:
        prefixes = hour_prefixes("s3://b/cap/ep/AllTraffic", at(2026, 12, 31, 22, 30), at(2027, 1, 1, 1))
        assert prefixes == [
            "s3://b/cap/ep/AllTraffic/2026/12/31/22",
            "s3://b/cap/ep/AllTraffic/2026/12/31/23",
            "s3://b/cap/ep/AllTraffic/2027/01/01/00",
        ]

    def test_end_is_exclusive_but_partial_end_hour_counts(self) -> None:
        assert hour_prefixes("s3://b/gt", at(2026, 1, 1, 4), at(2026, 1, 1, 5)) == ["s3://b/gt/2026/01/01/04"]
        assert (
            hour_prefixes("s3://b/gt", at(2026, 1, 1, 4), at(2026, 1, 1, 5, 0, 1))[-1]
            == "s3://b/gt/2026/01/01/05"
        )

    @pytest.mark.parametrize(
        ("start", "end"),
        [(at(2026, 1, 1, 4, 30), at(2026, 1, 1, 4, 30)), (at(2026, 1, 1, 4, 30), at(2026, 1, 1, 4, 10))],
    )
    def test_empty_window(self, start: datetime, end: datetime) -> None:
        assert hour_prefixes("s3://b/gt", start, end) == []

    @given(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
        st.integers(1, 24 * 7 * 60),
    )
    def test_one_prefix_per_overlapping_hour(self, start: datetime, minutes: int) -> None:
        end = start + timedelta(minutes=minutes)
        prefixes = hour_prefixes("s3://b/p/", start, end)
        assert prefixes[0] == f"s3://b/p/{hour_path(start)}"
        assert prefixes[-1] == f"s3://b/p/{hour_path(end - timedelta(microseconds=1))}"
        assert len(prefixes) == len(set(prefixes))
        assert prefixes == sorted(prefixes)
        assert all("//" not in p.removeprefix("s3://") for p in prefixes)


class TestHelpers:
    def test_hour_path(self) -> None:
        assert hour_path(at(2026, 3, 4, 5, 59, 59)) == "2026/03/04/05"

    def test_join_skips_empty_segments(self) -> None:
        assert join_s3("s3://b/x/", None, "", "/a/", "b") == "s3://b/x/a/b"

    @pytest.mark.parametrize(
        ("uri", "expected"),
        [
            ("s3://bucket/a/b/c.json", ("bucket", "a/b/c.json")),
            ("s3://bucket/prefix/", ("bucket", "prefix/")),
            ("s3://bucket", ("bucket", "")),
            ("s3://bucket/", ("bucket", "")),
        ],
    )
    def test_split_s3_uri(self, uri: str, expected: tuple[str, str]) -> None:
        assert split_s3_uri(uri) == expected

    @pytest.mark.parametrize(
        "uri", ["https://bucket.s3.amazonaws.com/key", "bucket/key", "s3://", "s3:///key", None]
    )
    def test_split_s3_uri_rejects(self, uri: str) -> None:
        with pytest.raises(ValueError, match="S3 URI|s3://bucket/key"):
            split_s3_uri(uri)
