"""The waiting vocabulary: renamed parameters (old names work and warn, both given is an error) and checks."""

from __future__ import annotations

import math
import warnings

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.utils.waiting import (
    NOTSET,
    SCHEDULE_CHECK_INTERVAL,
    SCHEDULE_MAX_INGESTION_TIME,
    checked_interval,
    checked_max_wait,
    checked_wait,
    dropped_argument,
    renamed_argument,
    schedule_wait,
    waiter_max_attempts,
)


def test_the_new_name_or_the_default_needs_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert renamed_argument({}, "check_interval", 3, "poll_interval", 60) == 3
        assert renamed_argument({}, "check_interval", NOTSET, "poll_interval", 60) == 60


def test_the_old_name_works_warns_and_leaves_the_keyword_arguments() -> None:
    kwargs = {"poll_interval": 7, "task_id": "t"}
    with pytest.warns(AirflowProviderDeprecationWarning, match="^poll_interval is deprecated .*; use check_"):
        assert renamed_argument(kwargs, "check_interval", NOTSET, "poll_interval", 60) == 7
    assert kwargs == {"task_id": "t"}


def test_both_names_is_an_error_naming_both() -> None:
    with pytest.raises(ValueError, match="^check_interval, poll_interval: pass only check_interval"):
        renamed_argument({"poll_interval": 7}, "check_interval", 8, "poll_interval", 60)


def test_a_dropped_name_warns_with_what_happens_instead() -> None:
    kwargs = {"schedule_poll_interval": 1}
    with pytest.warns(
        AirflowProviderDeprecationWarning, match="schedule_poll_interval is deprecated.*defaults"
    ):
        assert dropped_argument(kwargs, "schedule_poll_interval", "the hook's defaults apply") == 1
    assert kwargs == {} and dropped_argument(kwargs, "schedule_poll_interval", "x") is None


def test_schedule_wait_has_one_set_of_defaults_and_both_old_names() -> None:
    assert schedule_wait({}) == (SCHEDULE_CHECK_INTERVAL, SCHEDULE_MAX_INGESTION_TIME) == (5.0, 180.0)
    kwargs = {"schedule_poll_interval": 2, "schedule_wait_timeout": 0}
    with pytest.warns(AirflowProviderDeprecationWarning):
        assert schedule_wait(kwargs) == (2, 0)
    with pytest.raises(ValueError, match="^max_ingestion_time: must be a zero or more"):
        schedule_wait({}, max_ingestion_time=None)


@pytest.mark.parametrize("value", [0, -1, True, "5", math.nan, None])
def test_an_interval_must_be_a_positive_number(value: object) -> None:
    with pytest.raises(ValueError, match="^waiter_delay: must be a positive number of seconds"):
        checked_interval(value, "waiter_delay")  # type: ignore[arg-type]


def test_a_wait_limit_is_positive_or_none_unless_told() -> None:
    assert checked_max_wait(None) is None and checked_max_wait(5) == 5
    assert checked_max_wait(0, zero=True) == 0
    with pytest.raises(ValueError, match="^max_ingestion_time: must be None or a positive"):
        checked_max_wait(0)
    with pytest.raises(ValueError, match="^t: must be a zero or more"):
        checked_wait(None, "t", zero=True)  # type: ignore[arg-type]
    assert checked_wait(0, zero=True) == 0 and checked_max_wait(0, zero=True) == 0


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False), st.floats(min_value=0.01, max_value=1e4))
def test_waiter_attempts_cover_the_whole_wait(limit: float, interval: float) -> None:
    """The attempts, one ``interval`` apart, reach at least ``limit`` seconds and not a look further."""
    attempts = waiter_max_attempts(limit, interval)
    assert attempts >= 1
    assert attempts * interval >= limit
    assert attempts == 1 or (attempts - 1) * interval < limit
