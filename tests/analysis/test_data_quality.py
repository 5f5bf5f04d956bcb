"""End-to-end tests of the data quality entry point: rows to statistics, constraints and violations."""

from __future__ import annotations

import json
import random

from airflow_mm_provider.analysis import data_quality
from airflow_mm_provider.analysis.data_quality import DataQualityAccumulator, check, suggest_constraints


def _rows(count: int, seed: int, drift: bool = False) -> list[list[object]]:
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for _ in range(count):
        age = rng.randint(18, 90) + (25 if drift else 0)
        plan = rng.choice(["basic", "plus", "premium"] if not drift else ["basic", "gold"])
        rows.append([str(age), f"{rng.uniform(0, 100):.2f}", plan])
    return rows


def _statistics(rows: list[list[object]]) -> dict:
    accumulator = DataQualityAccumulator()
    for start in range(0, len(rows), 250):
        accumulator.add_rows(rows[start : start + 250])
    return accumulator.statistics()


def test_entry_point_exports_the_interface():
    assert set(data_quality.__all__) == {
        "DEFAULT_MONITORING_CONFIG",
        "DataQualityAccumulator",
        "check",
        "suggest_constraints",
    }


def test_baseline_then_clean_and_drifted_runs():
    baseline = _statistics(_rows(2000, seed=1))
    constraints = suggest_constraints(baseline)
    assert [f["inferred_type"] for f in constraints["features"]] == ["Integral", "Fractional", "String"]
    assert constraints["features"][2]["string_constraints"]["domains"] == ["basic", "plus", "premium"]

    assert check(_statistics(_rows(2000, seed=2)), baseline, constraints) == []

    drifted = _rows(2000, seed=3, drift=True)
    drifted[0] = drifted[0][:2]
    violations = check(_statistics(drifted), baseline, constraints)
    found = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert found == {
        ("_c0", "baseline_drift_check"),
        ("_c2", "completeness_check"),
        ("_c2", "categorical_values_check"),
        ("_c2", "baseline_drift_check"),
    }
    assert all(set(v) == {"feature_name", "constraint_check_type", "description"} for v in violations)
    json.dumps({"violations": violations})
