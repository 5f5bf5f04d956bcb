"""Real report documents from the analysis engine on seeded synthetic traffic, and recorded executions.

The data-quality and model-quality statistics, suggested constraints and violations are what the local
service's analyzer writes; :func:`recorded_history` turns a run of hours into the metrics documents a
violation branch records, for the Model Monitor view's tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_mm_provider.analysis import data_quality as dq
from airflow_mm_provider.analysis import model_quality as mq
from airflow_mm_provider.local.synthetic import FEATURES, Degradation, Traffic, make_traffic
from airflow_mm_provider.monitoring.metrics import ExecutionMetrics, metric_records
from airflow_mm_provider.monitoring.tolerance import DEFAULT_MODEL_QUALITY_TOLERANCE
from airflow_mm_provider.monitoring.violations import ViolationReport

HOUR0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def dq_statistics(traffic: Traffic) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """The data-quality ``statistics.json`` of ``traffic`` (an extra column is named ``extra``) and the
    per-feature value kinds the ``data_type_check`` reads."""
    names = list(FEATURES) + ["extra"] * (traffic.inputs.shape[1] - len(FEATURES))
    accumulator = dq.DataQualityAccumulator(names)
    accumulator.add_rows(traffic.inputs.tolist())
    return accumulator.statistics(), accumulator.type_counts()


def mq_statistics(traffic: Traffic) -> dict[str, Any]:
    """The binary-classification ``statistics.json`` of ``traffic``."""
    accumulator = mq.ModelQualityAccumulator("BinaryClassification")
    accumulator.add(traffic.labels.tolist(), traffic.predictions.tolist(), traffic.probabilities.tolist())
    return accumulator.statistics()


def mq_constraints(seed: int = 1) -> dict[str, Any]:
    """Model-quality constraints suggested from 1000 healthy records, with the default tolerance."""
    return DEFAULT_MODEL_QUALITY_TOLERANCE.apply(
        mq.suggest_constraints(mq_statistics(make_traffic(1000, seed)))
    )


def _document(
    schedule: str, monitoring_type: str, hour: int, report: ViolationReport, **reports: Any
) -> dict[str, Any]:
    status = "CompletedWithViolations" if report.has_violations else "Completed"
    scheduled = HOUR0 + timedelta(hours=hour)
    execution = {
        "MonitoringScheduleName": schedule,
        "ScheduledTime": scheduled,
        "MonitoringExecutionStatus": status,
    }
    return ExecutionMetrics.create(
        execution,
        monitoring_type,
        report_uri=f"s3://bucket/reports/ep/{schedule}/{scheduled:%Y/%m/%d/%H}",
        metrics=metric_records(monitoring_type, report, **reports),
        violations=report,
        links={"Processing job": f"https://example.com/processing-jobs/{schedule}-{hour}"},
    ).to_json()


def recorded_history(hours: int, violating: int) -> list[dict[str, Any]]:
    """Metrics documents of ``hours`` model-quality and data-quality executions, the ``violating``-th hour of
    each bent (flipped predictions; a drifted feature); the data-quality hour after it failed."""
    constraints = mq_constraints()
    baseline, _ = dq_statistics(make_traffic(2000, 1))
    dq_constraints = dq.suggest_constraints(baseline)
    documents = []
    for hour in range(hours):
        bent = hour == violating
        statistics = mq_statistics(
            make_traffic(1000, 10 + hour, Degradation(flip_fraction=0.3) if bent else None)
        )
        report = ViolationReport.from_json(
            "ModelQuality", {"violations": mq.evaluate(statistics, constraints)}
        )
        documents.append(
            _document(
                "mm-demo-model-quality",
                "ModelQuality",
                hour,
                report,
                statistics=statistics,
                constraints=constraints,
            )
        )
        if hour == violating + 1:
            failed = {
                "MonitoringScheduleName": "mm-demo-data-quality",
                "ScheduledTime": HOUR0 + timedelta(hours=hour),
                "MonitoringExecutionStatus": "Failed",
                "FailureReason": "Job inputs had no data",
            }
            documents.append(ExecutionMetrics.create(failed, "DataQuality").to_json())
            continue
        current, kinds = dq_statistics(
            make_traffic(1000, 20 + hour, Degradation(drift={"income": 1.0}) if bent else None)
        )
        report = ViolationReport.from_json(
            "DataQuality", {"violations": dq.check(current, baseline, dq_constraints, kinds)}
        )
        documents.append(
            _document(
                "mm-demo-data-quality",
                "DataQuality",
                hour,
                report,
                statistics=current,
                constraints=dq_constraints,
                baseline_statistics=baseline,
            )
        )
    return documents
