"""Structured metrics of executions of all four monitor types, clean and violating.

Data quality, model quality and bias reports come from this provider's analysis engine (the one the local
service runs) on seeded synthetic traffic, so ``violated`` is checked against real violations files; the
explainability reports are built in the documented ``analysis.json`` layout (the local service cannot compute
SHAP values).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from airflow_mm_provider.analysis import data_quality as dq
from airflow_mm_provider.analysis import model_quality as mq
from airflow_mm_provider.analysis.bias import bias_drift_violations
from airflow_mm_provider.local.synthetic import FEATURES, Degradation, make_traffic
from airflow_mm_provider.monitoring.metrics import (
    BASELINE_DRIFT,
    COMPLETENESS,
    GLOBAL_SHAP,
    NDCG,
    OUTSIDE_ALLOWED_RANGE,
    ExecutionMetrics,
    MetricRecord,
    metric_records,
    ndcg,
)
from airflow_mm_provider.monitoring.tolerance import DEFAULT_BIAS_TOLERANCE
from airflow_mm_provider.monitoring.violations import ViolationReport
from tests.support.bias import counts
from tests.support.reports import dq_statistics, mq_constraints, mq_statistics

SCHEDULE = "mm-schedule"
REPORT_URI = "s3://bucket/reports/ep/mm-schedule/2024/01/01/05"


def _holds(record: MetricRecord) -> bool:
    """Whether ``record``'s value breaks its threshold by its comparison (the rule, not the file)."""
    assert record.value is not None and record.threshold is not None
    if record.comparison == "GreaterThanThreshold":
        return record.value > record.threshold
    return record.value < record.threshold


def _listed(violations: list[dict[str, str]], *keys: str) -> set[tuple[str | None, ...]]:
    return {tuple(item.get(key) for key in keys) for item in violations}


# --- data quality -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dq_baseline() -> tuple[dict[str, Any], dict[str, Any]]:
    statistics, _ = dq_statistics(make_traffic(2000, 1))
    return statistics, dq.suggest_constraints(statistics)


@pytest.mark.parametrize(
    ("degradation", "expected"),
    [
        (None, set()),
        (
            Degradation(drift={"income": 1.0}, extra_column=True),
            {("income", "baseline_drift_check"), ("extra", "extra_column_check")},
        ),
    ],
    ids=["clean", "violating"],
)
def test_data_quality_records_agree_with_the_violations_file(
    dq_baseline: tuple[dict[str, Any], dict[str, Any]], degradation: Degradation | None, expected: set[Any]
) -> None:
    baseline, constraints = dq_baseline
    current, type_counts = dq_statistics(make_traffic(1000, 2, degradation))
    violations = dq.check(current, baseline, constraints, type_counts)
    assert _listed(violations, "feature_name", "constraint_check_type") == expected

    records = metric_records(
        "DataQuality",
        {"violations": violations},
        statistics=current,
        constraints=constraints,
        baseline_statistics=baseline,
    )

    flagged = {(r.feature, r.check_type) for r in records if r.violated}
    assert flagged == expected
    judged = [r for r in records if r.value is not None and r.threshold is not None]
    assert {(r.feature, r.metric) for r in judged} == {
        (f, m) for f in FEATURES for m in (COMPLETENESS, BASELINE_DRIFT)
    }
    assert all(_holds(r) == r.violated for r in judged)
    completeness = {r.feature: r for r in records if r.metric == COMPLETENESS}
    assert completeness["age"].value == 1.0 and completeness["age"].comparison == "LessThanThreshold"
    drift = {r.feature: r for r in records if r.metric == BASELINE_DRIFT}
    assert drift["age"].threshold == 0.1 and drift["age"].comparison == "GreaterThanThreshold"
    if degradation is not None:
        drifted = next(v for v in violations if v["constraint_check_type"] == "baseline_drift_check")
        # the engine's description carries its distance: the record holds the very same float
        assert drifted["description"].split(": ")[1].split(" ")[0] == repr(drift["income"].value)
        (extra,) = [r for r in records if r.feature == "extra"]
        assert (extra.metric, extra.value, extra.violated) == ("extra_column", None, True)


def test_data_quality_completeness_and_domain_shares(
    dq_baseline: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    baseline, _ = dq_baseline
    current = json.loads(json.dumps(baseline))
    current["features"][0]["numerical_statistics"]["common"] = {"num_present": 1500, "num_missing": 500}
    current["features"].append(
        {
            "name": "colour",
            "inferred_type": "String",
            "string_statistics": {
                "common": {"num_present": 4, "num_missing": 0},
                "distribution": {
                    "categorical": {"buckets": [{"value": "red", "count": 3}, {"value": "blue", "count": 1}]}
                },
            },
        }
    )
    constraints = {
        "features": [
            {"name": "age", "inferred_type": "Integral", "completeness": 1.0},
            {"name": "colour", "inferred_type": "String", "string_constraints": {"domains": ["red"]}},
            {
                "name": "income",
                "monitoringConfigOverrides": {"evaluate_constraints": "Disabled"},
                "completeness": 1.0,
            },
        ],
        "monitoring_config": {"domain_content_threshold": 0.5},
    }
    violations = {
        "violations": [
            {"feature_name": "age", "constraint_check_type": "completeness_check", "description": "x"},
            {"feature_name": "colour", "constraint_check_type": "data_type_check", "description": "y"},
        ]
    }

    records = {
        (r.feature, r.metric): r
        for r in metric_records("DataQuality", violations, statistics=current, constraints=constraints)
    }

    assert records["age", COMPLETENESS].value == 0.75 and records["age", COMPLETENESS].violated
    assert records["colour", "categorical_values"].value == 0.75
    assert records["colour", "categorical_values"].threshold == 0.5
    assert not records["colour", "categorical_values"].violated
    assert records["colour", "data_type"].violated and records["colour", "data_type"].value is None
    unjudged = records["income", COMPLETENESS]
    assert (unjudged.value, unjudged.comparison, unjudged.threshold, unjudged.check_type) == (
        1.0,
        None,
        None,
        None,
    )


# --- model quality ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("degradation", [None, Degradation(flip_fraction=0.3)], ids=["clean", "violating"])
def test_model_quality_records_keep_values_thresholds_and_verdicts(degradation: Degradation | None) -> None:
    constraints = mq_constraints()
    statistics = mq_statistics(make_traffic(1000, 3, degradation))
    violations = mq.evaluate(statistics, constraints)
    assert bool(violations) == (degradation is not None)

    records = metric_records(
        "ModelQuality", {"violations": violations}, statistics=statistics, constraints=constraints
    )

    section = statistics["binary_classification_metrics"]
    limits = constraints["binary_classification_constraints"]
    scalars = {name for name, entry in section.items() if "value" in entry}
    assert [r.metric for r in records[: len(limits)]] == list(limits)
    assert {r.metric for r in records} == scalars
    for record in records:
        assert record.value == section[record.metric]["value"]
        assert record.violated == (record.metric in {v["metric_name"] for v in violations})
        if record.metric in limits:
            assert record.threshold == limits[record.metric]["threshold"]
            assert record.comparison == record.check_type == limits[record.metric]["comparison_operator"]
            assert _holds(record) == record.violated
        else:
            assert (record.threshold, record.comparison, record.violated) == (None, None, False)


def test_model_quality_without_constraints_records_values_only() -> None:
    statistics = {"regression_metrics": {"mae": {"value": 0.5040653554420981, "standard_deviation": "NaN"}}}

    (record,) = metric_records("ModelQuality", None, statistics=json.dumps(statistics))

    assert record == MetricRecord(metric="mae", value=0.5040653554420981)


# --- bias --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bias_baseline() -> dict[str, Any]:
    return DEFAULT_BIAS_TOLERANCE.apply(counts(make_traffic(5000, 1)).analysis())


@pytest.mark.parametrize(
    "degradation", [None, Degradation(facet_value=0, facet_scale=0.3)], ids=["clean", "violating"]
)
def test_bias_records_carry_the_baseline_range_and_the_files_verdict(
    bias_baseline: dict[str, Any], degradation: Degradation | None
) -> None:
    current = counts(make_traffic(1000, 4, degradation))
    analysis = current.analysis()
    violations = bias_drift_violations(analysis, bias_baseline, current.intervals())
    assert bool(violations) == (degradation is not None)
    document = {"version": "1.0", "violations": violations} if violations else None

    records = metric_records("ModelBias", document, analysis=analysis, baseline_analysis=bias_baseline)

    listed = _listed(violations, "facet", "facet_value", "metric_name")
    assert {(r.facet, r.facet_value, r.metric) for r in records if r.violated} == listed
    assert len(records) == sum(
        len(group["metrics"])
        for section in ("pre_training_bias_metrics", "post_training_bias_metrics")
        for group in analysis[section]["facets"]["group"]
    )
    di = next(r for r in records if r.metric == "DI")
    baseline_di = next(
        m["value"]
        for m in bias_baseline["post_training_bias_metrics"]["facets"]["group"][0]["metrics"]
        if m["name"] == "DI"
    )
    assert (di.stage, di.facet, di.facet_value, di.comparison) == (
        "post_training",
        "group",
        "0",
        OUTSIDE_ALLOWED_RANGE,
    )
    assert di.baseline_value == baseline_di
    assert di.allowed_range == (1 - abs(baseline_di - 1), 1 + abs(baseline_di - 1))
    assert di.series == "group=0: DI"
    for record in records:
        low, high = record.allowed_range or (None, None)
        if record.violated and record.value is not None and math.isfinite(record.value):
            # a violation needs the whole interval outside the range, so the value is outside too
            assert record.value < low or record.value > high


def test_bias_threshold_facets_match_on_their_threshold() -> None:
    def analysis(interval: str, value: float) -> dict[str, Any]:
        metric = {"name": "CI", "value": value}
        return {
            "pre_training_bias_metrics": {
                "facets": {"age": [{"value_or_threshold": interval, "metrics": [metric]}]}
            }
        }

    (record,) = metric_records(
        "ModelBias", None, analysis=analysis("(40, 90]", 0.2), baseline_analysis=analysis("(40, 77]", 0.1)
    )

    assert record.baseline_value == 0.1 and record.allowed_range == (-0.1, 0.1)


# --- explainability ----------------------------------------------------------------------------------------

BASELINE_SHAP = {
    "Age": 0.05962069398767555,
    "Workclass": 0.009340874120660063,
    "Capital Gain": 0.09913318680892579,
}


def _explanations(values: dict[str, float]) -> dict[str, Any]:
    return {
        "version": "1.0",
        "explanations": {"kernel_shap": {"label0": {"global_shap_values": values, "expected_value": 0.25}}},
    }


def test_ndcg_is_one_for_the_same_order_and_lower_when_it_changes() -> None:
    assert ndcg(BASELINE_SHAP, {"Age": 0.5, "Workclass": 0.1, "Capital Gain": 0.9}) == 1.0
    swapped = ndcg(BASELINE_SHAP, {"Age": 0.9, "Workclass": 0.1, "Capital Gain": 0.5})
    ideal = 0.09913318680892579 + 0.05962069398767555 / math.log2(3) + 0.009340874120660063 / 2
    found = 0.05962069398767555 + 0.09913318680892579 / math.log2(3) + 0.009340874120660063 / 2
    assert swapped == pytest.approx(found / ideal, rel=1e-15)
    assert ndcg({"a": 0.0}, {"a": 1.0}) is None


@pytest.mark.parametrize("violating", [False, True], ids=["clean", "violating"])
def test_explainability_records_the_ndcg_and_each_shap_value(violating: bool) -> None:
    current = (
        {"Age": 0.02, "Workclass": 0.3, "Capital Gain": 0.01} if violating else {**BASELINE_SHAP, "Age": 0.07}
    )
    violations = (
        {
            "version": "1.0",
            "violations": [
                {
                    "label": "label0",
                    "metric_name": "shap",
                    "constraint_check_type": "feature_attribution_drift_check",
                    "description": "Feature attribution drift 0.5 exceeds threshold 0.9",
                }
            ],
        }
        if violating
        else None
    )

    records = metric_records(
        "ModelExplainability",
        violations,
        analysis=_explanations(current),
        baseline_analysis=_explanations(BASELINE_SHAP),
    )

    score, *shap = records
    assert (score.metric, score.label, score.threshold, score.comparison) == (
        NDCG,
        "label0",
        0.9,
        "LessThanThreshold",
    )
    assert score.violated is violating and _holds(score) is violating
    assert [(r.metric, r.feature) for r in shap] == [
        (GLOBAL_SHAP, name) for name in sorted(current, key=lambda n: -current[n])
    ]
    assert all(r.baseline_value == BASELINE_SHAP[r.feature] and r.value == current[r.feature] for r in shap)
    assert not any(r.violated for r in shap)
    assert shap[0].series == f"label0: global_shap[{shap[0].feature}]"


# --- the recorded document ---------------------------------------------------------------------------------


def _execution(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "MonitoringScheduleName": SCHEDULE,
        "ScheduledTime": "2024-01-01T05:00:00+00:00",
        "MonitoringExecutionStatus": status,
        **extra,
    }


def test_the_document_round_trips_as_strict_json() -> None:
    violations = ViolationReport.from_json(
        "ModelQuality",
        {
            "violations": [
                {"metric_name": "f1", "constraint_check_type": "LessThanThreshold", "description": "low"}
            ]
        },
    )
    statistics = {
        "binary_classification_metrics": {"f1": {"value": 0.1234567890123456789}, "auc": {"value": "NaN"}}
    }
    constraints = {
        "binary_classification_constraints": {
            "f1": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}
        }
    }
    records = metric_records("ModelQuality", violations, statistics=statistics, constraints=constraints)

    document = ExecutionMetrics.create(
        _execution(
            "CompletedWithViolations",
            ProcessingJobArn="arn:aws:sagemaker:us-east-1:111122223333:processing-job/j",
        ),
        "ModelQuality",
        report_uri=REPORT_URI,
        metrics=records,
        violations=violations,
        links={"Processing job": "https://console.example/j"},
    ).to_json()
    text = json.dumps(document, allow_nan=False)

    assert document["monitor"] == SCHEDULE and document["violation_count"] == 1
    assert document["scheduled_time"] == "2024-01-01T05:00:00+00:00"
    assert document["report_files"] == [
        f"{REPORT_URI}/constraint_violations.json",
        f"{REPORT_URI}/statistics.json",
    ]
    assert document["metrics"][0] == {
        "metric": "f1",
        "series": "f1",
        "value": 0.12345678901234568,
        "violated": True,
        "comparison": "LessThanThreshold",
        "threshold": 0.5,
        "check_type": "LessThanThreshold",
    }
    assert document["metrics"][1] == {"metric": "auc", "series": "auc", "value": "NaN", "violated": False}
    again = ExecutionMetrics.from_json(text)
    assert again.to_json() == document
    assert math.isnan(again.metrics[1].value or 0.0)


def test_a_failed_execution_records_its_reason_and_no_metrics() -> None:
    document = ExecutionMetrics.create(
        {
            "monitoring_schedule_name": SCHEDULE,
            "monitoring_execution_status": "Failed",
            "scheduled_time": "2024-01-01T05:00:00+00:00",
            "failure_reason": "Job inputs had no data",
        },
        "DataQuality",
    ).to_json()

    assert (
        document["status"],
        document["failure_reason"],
        document["metrics"],
        document["report_files"],
    ) == (
        "Failed",
        "Job inputs had no data",
        [],
        [],
    )


def test_clarify_documents_list_the_human_reports_too() -> None:
    document = ExecutionMetrics.create(_execution("Completed"), "ModelBias", report_uri=REPORT_URI)

    assert [uri.rsplit("/", 1)[1] for uri in document.report_files] == [
        "constraint_violations.json",
        "analysis.json",
        "report.html",
        "report.ipynb",
        "report.pdf",
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"version": 2, "monitor": "m", "monitoring_type": "DataQuality"}, "version must be 1"),
        ({"version": 1, "monitor": 3, "monitoring_type": "DataQuality"}, "must be strings"),
        ({"version": 1, "monitor": "m", "monitoring_type": "Nope"}, "monitoring_type"),
        (
            {"version": 1, "monitor": "m", "monitoring_type": "DataQuality", "metrics": {}},
            "metrics: must be a list",
        ),
        (
            {"version": 1, "monitor": "m", "monitoring_type": "DataQuality", "metrics": [{"value": 1}]},
            "string metric",
        ),
        (
            {
                "version": 1,
                "monitor": "m",
                "monitoring_type": "ModelBias",
                "metrics": [{"metric": "DI", "value": 1, "allowed_range": [0]}],
            },
            "allowed_range",
        ),
    ],
)
def test_reading_refuses_what_is_not_a_recorded_document(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExecutionMetrics.from_json(document)


def test_an_execution_without_a_schedule_name_is_refused() -> None:
    with pytest.raises(ValueError, match="MonitoringScheduleName"):
        ExecutionMetrics.create({"MonitoringExecutionStatus": "Completed"}, "DataQuality")


def test_a_record_refuses_an_unknown_comparison() -> None:
    with pytest.raises(ValueError, match="comparison must be one of"):
        MetricRecord(metric="x", value=1.0, comparison="Above")
