"""Tests for the six data quality checks."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from airflow_mm_provider.analysis.dq_checks import (
    categorical_distance,
    check,
    chi_square_p_value,
    chi_square_survival,
    feature_config,
    numeric_distance,
    robust_distance,
    type_match_share,
)
from airflow_mm_provider.analysis.dq_constraints import suggest_constraints
from airflow_mm_provider.analysis.dq_statistics import DataQualityAccumulator

NAMES = ["n", "f", "s"]
ROWS = 1000


def _statistics(columns: dict[str, list[object]]) -> dict:
    names = list(columns)
    accumulator = DataQualityAccumulator(names)
    accumulator.add_rows([list(row) for row in zip(*columns.values(), strict=True)])
    return accumulator.statistics()


def _columns(seed: int = 0, shift: float = 0.0, categories: tuple[str, ...] = ("x", "y", "z")) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "n": [str(v) for v in rng.integers(0, 10, ROWS)],
        "f": [f"{v:.6f}" for v in rng.normal(shift, 1.0, ROWS)],
        "s": [str(v) for v in rng.choice(categories, ROWS)],
    }


@pytest.fixture(scope="module")
def baseline() -> dict:
    return _statistics(_columns(seed=0))


@pytest.fixture(scope="module")
def constraints(baseline) -> dict:
    return suggest_constraints(baseline)


def _types(violations: list[dict]) -> list[tuple[str, str]]:
    return [(v["feature_name"], v["constraint_check_type"]) for v in violations]


def _with_config(constraints: dict, **settings: object) -> dict:
    changed = copy.deepcopy(constraints)
    distribution = settings.pop("distribution_constraints", {})
    changed["monitoring_config"].update(settings)
    changed["monitoring_config"]["distribution_constraints"].update(distribution)
    return changed


def _feature(constraints: dict, name: str) -> dict:
    return next(feature for feature in constraints["features"] if feature["name"] == name)


def test_same_distribution_has_no_violations(baseline, constraints):
    current = _statistics(_columns(seed=1))
    assert check(current, baseline, constraints) == []


class TestDataTypeCheck:
    def test_triggered_by_a_stray_string(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["n"][5] = "oops"
        violations = check(_statistics(columns), baseline, constraints)
        assert _types(violations) == [("n", "data_type_check")]
        assert "Integral" in violations[0]["description"]
        assert "99.9%" in violations[0]["description"]

    def test_integral_values_satisfy_a_fractional_expectation(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["f"] = [str(i % 7) for i in range(ROWS)]
        violations = check(
            _statistics(columns),
            baseline,
            _with_config(constraints, distribution_constraints={"perform_comparison": "Disabled"}),
        )
        assert violations == []

    def test_threshold_allows_some_strays(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["n"][5] = "oops"
        assert (
            check(_statistics(columns), baseline, _with_config(constraints, datatype_check_threshold=0.99))
            == []
        )

    def test_type_counts_measure_integral_values_in_a_fractional_column(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["n"] = ["1.5" if i % 4 == 0 else v for i, v in enumerate(columns["n"])]
        accumulator = DataQualityAccumulator(list(columns))
        accumulator.add_rows([list(row) for row in zip(*columns.values(), strict=True)])
        relaxed = _with_config(constraints, distribution_constraints={"perform_comparison": "Disabled"})
        violations = check(accumulator.statistics(), baseline, relaxed, accumulator.type_counts())
        assert _types(violations) == [("n", "data_type_check")]
        assert violations[0]["description"].endswith("Observed: Only 75.0% of data is Integral.")

    def test_share_without_type_counts_falls_back_to_buckets(self):
        feature = {
            "name": "n",
            "inferred_type": "String",
            "string_statistics": {
                "common": {"num_present": 4, "num_missing": 0},
                "distinct_count": 2.0,
                "distribution": {
                    "categorical": {"buckets": [{"value": "1", "count": 3}, {"value": "a", "count": 1}]}
                },
            },
        }
        assert type_match_share("Integral", feature) == 0.75
        assert type_match_share("String", feature) is None
        assert type_match_share("Fractional", {**feature, "inferred_type": "Integral"}) == 1.0


class TestCompletenessCheck:
    def test_triggered_by_missing_values(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["f"] = ["" if i % 10 == 0 else v for i, v in enumerate(columns["f"])]
        violations = check(_statistics(columns), baseline, constraints)
        assert _types(violations) == [("f", "completeness_check")]
        assert violations[0]["description"] == "Value: 0.9 does not meet the constraint requirement! "

    def test_not_triggered_at_the_baseline_completeness(self, baseline, constraints):
        relaxed = copy.deepcopy(constraints)
        _feature(relaxed, "f")["completeness"] = 0.9
        columns = _columns(seed=1)
        columns["f"] = ["" if i % 10 == 0 else v for i, v in enumerate(columns["f"])]
        assert check(_statistics(columns), baseline, relaxed) == []


class TestBaselineDriftCheck:
    def test_triggered_by_a_shifted_numeric_column(self, baseline, constraints):
        violations = check(_statistics(_columns(seed=1, shift=1.0)), baseline, constraints)
        assert _types(violations) == [("f", "baseline_drift_check")]
        text = violations[0]["description"]
        found = re.fullmatch(r"Baseline drift distance: (.+) exceeds threshold: (.+)", text)
        assert found and float(found.group(1)) > float(found.group(2)) == 0.1

    def test_small_shift_drifts_only_with_the_simple_method(self, baseline, constraints):
        current = _statistics(_columns(seed=1, shift=0.3))
        assert check(current, baseline, constraints) == []
        simple = _with_config(constraints, distribution_constraints={"comparison_method": "Simple"})
        assert _types(check(current, baseline, simple)) == [("f", "baseline_drift_check")]

    def test_perform_comparison_disabled(self, baseline, constraints):
        disabled = _with_config(constraints, distribution_constraints={"perform_comparison": "Disabled"})
        assert check(_statistics(_columns(seed=1, shift=1.0)), baseline, disabled) == []

    def test_categorical_drift_with_linfinity(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["s"] = ["x" if i % 10 else "y" for i in range(ROWS)]
        assert _types(check(_statistics(columns), baseline, constraints)) == [("s", "baseline_drift_check")]

    def test_categorical_drift_with_chi_squared(self, baseline, constraints):
        chi = _with_config(constraints, distribution_constraints={"categorical_drift_method": "ChiSquared"})
        columns = _columns(seed=1)
        columns["s"] = ["xyz"[i % 3] if i % 4 else "x" for i in range(ROWS)]
        violations = check(_statistics(columns), baseline, chi)
        assert _types(violations) == [("s", "baseline_drift_check")]
        assert "p-value" in violations[0]["description"]
        assert check(_statistics(_columns(seed=1)), baseline, chi) == []

    def test_categorical_threshold_is_used_for_strings(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["s"] = ["x" if i % 10 else "y" for i in range(ROWS)]
        lenient = _with_config(
            constraints, distribution_constraints={"categorical_comparison_threshold": 0.9}
        )
        assert check(_statistics(columns), baseline, lenient) == []

    def test_bucket_fallback_without_sketch(self, baseline):
        current = _statistics(_columns(seed=1, shift=1.0))
        with_sketch = numeric_distance(
            _feature(current, "f")["numerical_statistics"], _feature(baseline, "f")["numerical_statistics"]
        )
        stripped = [
            copy.deepcopy(_feature(stats, "f")["numerical_statistics"]) for stats in (current, baseline)
        ]
        for numerical in stripped:
            del numerical["distribution"]["kll"]["sketch"]
        from_buckets = numeric_distance(*stripped)
        assert from_buckets == pytest.approx(with_sketch, abs=0.05)
        assert from_buckets > 0.3


class TestMissingAndExtraColumns:
    def test_missing_column(self, baseline, constraints):
        columns = _columns(seed=1)
        del columns["s"]
        violations = check(_statistics(columns), baseline, constraints)
        assert _types(violations) == [("s", "missing_column_check")]
        assert "2 columns now, 3 in the baseline" in violations[0]["description"]

    def test_extra_column(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["_c3"] = ["1"] * ROWS
        violations = check(_statistics(columns), baseline, constraints)
        assert _types(violations) == [("_c3", "extra_column_check")]

    def test_same_columns_raise_neither(self, baseline, constraints):
        types = {
            v["constraint_check_type"] for v in check(_statistics(_columns(seed=2)), baseline, constraints)
        }
        assert not types & {"missing_column_check", "extra_column_check"}


class TestCategoricalValuesCheck:
    def test_triggered_by_values_outside_the_domain(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["s"] = ["w" if i % 50 == 0 else v for i, v in enumerate(columns["s"])]
        relaxed = _with_config(constraints, distribution_constraints={"perform_comparison": "Disabled"})
        violations = check(_statistics(columns), baseline, relaxed)
        assert _types(violations) == [("s", "categorical_values_check")]
        assert violations[0]["description"] == "Value: 0.98 does not meet the constraint requirement! "

    def test_threshold_tolerates_a_small_share(self, baseline, constraints):
        columns = _columns(seed=1)
        columns["s"] = ["w" if i % 50 == 0 else v for i, v in enumerate(columns["s"])]
        tolerant = _with_config(
            constraints,
            domain_content_threshold=0.95,
            distribution_constraints={"perform_comparison": "Disabled"},
        )
        assert check(_statistics(columns), baseline, tolerant) == []


class TestOverrides:
    @staticmethod
    def _broken() -> dict:
        columns = _columns(seed=1)
        columns["n"][5] = "oops"
        columns["s"] = ["w"] * ROWS
        return _statistics(columns)

    def test_documented_spelling_disables_a_feature(self, baseline, constraints):
        changed = copy.deepcopy(constraints)
        _feature(changed, "n")["monitoringConfigOverrides"] = {"evaluate_constraints": "Disabled"}
        assert "n" not in {v["feature_name"] for v in check(self._broken(), baseline, changed)}
        assert "n" in {v["feature_name"] for v in check(self._broken(), baseline, constraints)}

    def test_sdk_spelling_disables_a_feature(self, baseline, constraints):
        changed = copy.deepcopy(constraints)
        _feature(changed, "s")["string_constraints"]["monitoring_config_overrides"] = {
            "evaluate_constraints": "Disabled",
            "emit_metrics": "Enabled",
        }
        assert _types(check(self._broken(), baseline, changed)) == [("n", "data_type_check")]

    def test_override_can_change_a_threshold(self, baseline, constraints):
        changed = copy.deepcopy(constraints)
        _feature(changed, "n")["monitoringConfigOverrides"] = {"datatype_check_threshold": 0.5}
        assert ("n", "data_type_check") not in _types(check(self._broken(), baseline, changed))

    def test_feature_config_applies_sdk_spelling_last(self):
        constraint = {
            "monitoringConfigOverrides": {"evaluate_constraints": "Disabled"},
            "string_constraints": {"monitoring_config_overrides": {"evaluate_constraints": "Enabled"}},
        }
        assert (
            feature_config({"evaluate_constraints": "Enabled"}, constraint)["evaluate_constraints"]
            == "Enabled"
        )

    def test_global_disabled_suppresses_everything(self, baseline, constraints):
        columns = _columns(seed=1, shift=2.0)
        columns["_c3"] = ["1"] * ROWS
        del columns["s"]
        disabled = _with_config(constraints, evaluate_constraints="Disabled")
        assert check(_statistics(columns), baseline, disabled) == []
        assert len(check(_statistics(columns), baseline, constraints)) == 3


class TestDistances:
    def test_robust_subtracts_the_ks_allowance(self):
        assert robust_distance(0.5, 100, 100) == pytest.approx(0.5 - 1.8 * np.sqrt(0.02))
        assert robust_distance(0.1, 10, 10) == 0.0

    def test_categorical_distance_is_the_largest_share_gap(self):
        assert categorical_distance({"a": 8, "b": 2}, 10, {"a": 5, "b": 5}, 10) == pytest.approx(0.3)
        assert categorical_distance({"a": 5}, 10, {"b": 5}, 5) == pytest.approx(1.0)

    @pytest.mark.parametrize("dof", [1, 2, 3, 4, 7, 30])
    @pytest.mark.parametrize("statistic", [0.01, 0.5, 3.0, 12.0, 80.0])
    def test_chi_square_survival_matches_scipy(self, dof, statistic):
        stats = pytest.importorskip("scipy.stats")
        assert chi_square_survival(statistic, dof) == pytest.approx(
            stats.chi2.sf(statistic, dof), rel=1e-9, abs=1e-300
        )

    def test_chi_square_p_value_matches_scipy_and_pools_small_groups(self):
        stats = pytest.importorskip("scipy.stats")
        baseline = {"a": 500, "b": 300, "c": 200, "rare": 2}
        current = {"a": 60, "b": 25, "c": 15, "rare": 0}
        observed = [60, 25, 15]
        expected = np.array([500, 300, 202]) / 1002 * 100
        assert chi_square_p_value(current, baseline) == pytest.approx(
            stats.chisquare(observed, expected).pvalue
        )
        assert chi_square_p_value({"a": 3}, {"a": 10}) is None
        assert chi_square_p_value({"z": 3}, {"a": 10, "b": 10}) == 0.0
