"""Real report documents from the analysis engine on seeded synthetic traffic, and recorded executions.

The data-quality and model-quality statistics, suggested constraints and violations are what the local
service's analyzer writes; :func:`recorded_history` turns a run of hours into the metrics documents a
violation branch records, for the Model Monitor view's tests. Its bias executions are written by hand in
Clarify's ``analysis.json`` shape, to record values that are not finite numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_mm_provider.analysis import data_quality as dq
from airflow_mm_provider.analysis import model_quality as mq
from airflow_mm_provider.local.synthetic import FEATURES, Degradation, Traffic, make_traffic
from airflow_mm_provider.monitoring.metrics import ExecutionMetrics, metric_records
from airflow_mm_provider.monitoring.tolerance import DEFAULT_MODEL_QUALITY_TOLERANCE, fair_value
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


BIAS_BASELINE = {"DCA": 0.1, "TE": 0.5, "DAR": 0.2, "DI": 0.9}
"""Post-training bias metrics of facet ``group=0`` in the synthetic bias baseline."""
BENT_BIAS = {"DCA": "-Infinity", "TE": "Infinity", "DAR": "NaN", "DI": 0.5}
"""The bent hour's bias metrics: all violated, three of them not finite numbers (as Clarify writes them)."""


def _bias_analysis(values: dict[str, Any]) -> dict[str, Any]:
    """A Clarify ``analysis.json`` with these post-training metric values for facet ``group=0``."""
    metrics = [{"name": name, "value": value} for name, value in values.items()]
    facets = {"group": [{"value_or_threshold": "0", "metrics": metrics}]}
    return {"version": "1.0", "post_training_bias_metrics": {"label": "label", "facets": facets}}


def _bias_document(hour: int, bent: bool) -> dict[str, Any]:
    """The bias execution of ``hour``: between the baseline and the fair value, or :data:`BENT_BIAS`."""
    closer = {name: value + (fair_value(name) - value) * hour / 50 for name, value in BIAS_BASELINE.items()}
    values = BENT_BIAS if bent else closer
    violations = [
        {
            "facet": "group",
            "facet_value": "0",
            "metric_name": name,
            "constraint_check_type": "bias_drift_check",
        }
        for name in (BENT_BIAS if bent else ())
    ]
    report = ViolationReport.from_json("ModelBias", {"version": "1.0", "violations": violations})
    analysis, baseline = _bias_analysis(values), _bias_analysis(BIAS_BASELINE)
    return _document(
        "mm-demo-model-bias", "ModelBias", hour, report, analysis=analysis, baseline_analysis=baseline
    )


def recorded_history(hours: int, violating: int) -> list[dict[str, Any]]:
    """Metrics documents of ``hours`` model-quality, data-quality and bias executions, the ``violating``-th
    hour of each bent (flipped predictions; a drifted feature; bias metrics :data:`BENT_BIAS`); the
    data-quality hour after it failed. A fourth monitor, ``mm-demo-first-execution``, has one model-quality
    execution, violating (flipped predictions)."""
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
        documents.append(_bias_document(hour, bent))
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
    statistics = mq_statistics(make_traffic(1000, 9, Degradation(flip_fraction=0.3)))
    report = ViolationReport.from_json("ModelQuality", {"violations": mq.evaluate(statistics, constraints)})
    documents.append(
        _document(
            "mm-demo-first-execution",
            "ModelQuality",
            hours - 1,
            report,
            statistics=statistics,
            constraints=constraints,
        )
    )
    return documents
