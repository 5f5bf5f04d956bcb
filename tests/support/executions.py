"""One monitoring execution's files per monitor type, clean or violating, as the analysis engine writes them.

:func:`execution_files` gives the ``constraint_violations.json`` (None when clean) and the report and baseline
documents a violation branch reads for the execution's metrics, keyed as ``metric_records`` takes them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from airflow_mm_provider.analysis import data_quality as dq
from airflow_mm_provider.analysis import model_quality as mq
from airflow_mm_provider.analysis.bias import bias_drift_violations
from airflow_mm_provider.local.synthetic import Degradation, make_traffic
from airflow_mm_provider.monitoring.metrics import ndcg
from airflow_mm_provider.monitoring.tolerance import DEFAULT_BIAS_TOLERANCE
from tests.support.bias import counts
from tests.support.reports import dq_statistics, mq_constraints, mq_statistics

BASELINE_SHAP = {"age": 0.06, "income": 0.1, "tenure": 0.01}
"""Baseline global SHAP values of label ``label0``."""


@cache
def _dq_baseline() -> tuple[dict[str, Any], dict[str, Any]]:
    statistics, _ = dq_statistics(make_traffic(2000, 1))
    return statistics, dq.suggest_constraints(statistics)


@cache
def _bias_baseline() -> dict[str, Any]:
    return DEFAULT_BIAS_TOLERANCE.apply(counts(make_traffic(5000, 1)).analysis())


def _explanations(values: dict[str, float]) -> dict[str, Any]:
    return {
        "version": "1.0",
        "explanations": {"kernel_shap": {"label0": {"global_shap_values": values, "expected_value": 0.25}}},
    }


def _data_quality(violating: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    baseline, constraints = _dq_baseline()
    current, kinds = dq_statistics(
        make_traffic(1000, 2, Degradation(drift={"income": 1.0}) if violating else None)
    )
    documents = {"statistics": current, "constraints": constraints, "baseline_statistics": baseline}
    return dq.check(current, baseline, constraints, kinds), documents


def _model_quality(violating: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    constraints = mq_constraints()
    statistics = mq_statistics(make_traffic(1000, 3, Degradation(flip_fraction=0.3) if violating else None))
    return mq.evaluate(statistics, constraints), {"statistics": statistics, "constraints": constraints}


def _model_bias(violating: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    baseline = _bias_baseline()
    degradation = Degradation(facet_value=0, facet_scale=0.3) if violating else None
    current = counts(make_traffic(1000, 4, degradation))
    analysis = current.analysis()
    violations = bias_drift_violations(analysis, baseline, current.intervals())
    return violations, {"analysis": analysis, "baseline_analysis": baseline}


def _model_explainability(violating: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    current = {"age": 0.3, "income": 0.02, "tenure": 0.01} if violating else {**BASELINE_SHAP, "age": 0.07}
    violations = [
        {
            "label": "label0",
            "metric_name": "shap",
            "constraint_check_type": "feature_attribution_drift_check",
            "description": f"Feature attribution drift {ndcg(BASELINE_SHAP, current)} exceeds threshold 0.9",
        }
    ]
    documents = {"analysis": _explanations(current), "baseline_analysis": _explanations(BASELINE_SHAP)}
    return violations if violating else [], documents


def execution_files(monitoring_type: str, violating: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The violations document (None when clean) and the metric documents of one execution.

    :param monitoring_type: one of the four monitor types.
    :param violating: whether the execution's traffic is degraded enough to violate.
    """
    build = {
        "DataQuality": _data_quality,
        "ModelQuality": _model_quality,
        "ModelBias": _model_bias,
        "ModelExplainability": _model_explainability,
    }[monitoring_type]
    violations, documents = build(violating)
    assert bool(violations) is violating, (
        f"{monitoring_type}: the traffic does not match violating={violating}"
    )
    return ({"violations": violations} if violations else None), documents
