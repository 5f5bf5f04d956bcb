"""End an Airflow task as a finished wait for a monitoring execution says (``monitoring.outcomes.Ending``).

Used by the execution sensor (poke and deferred) and the one-time operator (worker and deferred), so the same
ending gives the same task result everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, AirflowSkipException

from airflow_mm_provider.monitoring.outcomes import (
    ERROR,
    TIMEOUT,
    UNREACHABLE,
    Ending,
    Outcome,
    execution_xcom,
)


def final_failure(message: str, soft_fail: bool = False) -> AirflowException:
    """The exception that ends a task on a state retries cannot change: a skip with ``soft_fail``, else a
    failure without retries (the message is kept in both cases).

    :param message: what happened.
    :param soft_fail: skip instead of failing.
    """
    return AirflowSkipException(message) if soft_fail else AirflowFailException(message)


def finish(
    ending: Ending,
    *,
    subject: str,
    describe_failure: Callable[[Mapping[str, Any]], str],
    log: Any,
    soft_fail: bool = False,
    retry_failed: bool = False,
    timeout_error: type[AirflowException] = AirflowException,
) -> dict[str, Any]:
    """The execution's XCom summary (snake_case) when ``ending`` lets the task succeed; else raise.

    - An execution that ended and fails the task: the hook's description of it (``FailureReason``, the
      processing job's exit text, hints), as a final failure (a skip with ``soft_fail``); a ``Failed`` or
      ``Stopped`` one as a retryable ``AirflowException`` instead when ``retry_failed``.
    - ``unreachable``: its message, the same way as a ``Failed`` execution.
    - ``timeout``: ``timeout_error`` (a skip with ``soft_fail``).
    - ``error``: a retryable ``AirflowException`` saying waiting for ``subject`` failed.

    :param ending: how the wait ended.
    :param subject: what was waited for, for the error message (e.g. the schedule name).
    :param describe_failure: the hook's ``describe_failure``.
    :param log: the task's logger.
    :param soft_fail: skip instead of failing (sensors).
    :param retry_failed: a ``Failed``, ``Stopped`` or unreachable execution may be retried (a retry runs a new
        one).
    :param timeout_error: the exception class of a timeout.
    """
    if ending.status == TIMEOUT:
        raise AirflowSkipException(ending.message) if soft_fail else timeout_error(ending.message)
    if ending.status == ERROR:
        raise AirflowException(f"Waiting for {subject} failed: {ending.message}")
    if ending.fails:
        message = ending.message if ending.status == UNREACHABLE else describe_failure(ending.execution or {})
        if retry_failed and ending.status != Outcome.VIOLATIONS.value:
            raise AirflowException(message)
        raise final_failure(message, soft_fail)
    if ending.status == Outcome.FAILED.value:
        log.warning("%s\nfail_on_failed is off, so the task succeeds.", ending.message)
    else:
        log.info("%s", ending.message)
    summary = execution_xcom(ending.execution or {})
    log.info("Execution summary: %s", summary)
    return summary
