"""The default tolerance, judged statistically at the demo's size: fresh healthy hours pass, degraded ones
do not.

Every hour is a fresh seeded sample of the synthetic model's traffic, never a replay of the baseline's
records. Baselines are the demo's (model quality: 1000 validation records; bias: 5000, through the Clarify
job); hours have the demo's 1000 records. ``python -m tests.fidelity.test_tolerance_rates`` prints the rates
for a few margins, the measurement behind the defaults in :mod:`airflow_mm_provider.monitoring.tolerance`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from airflow_mm_provider.analysis import model_quality
from airflow_mm_provider.analysis.bias import bias_drift_violations, count_bias
from airflow_mm_provider.analysis.jobs import run_bias_job
from airflow_mm_provider.local.synthetic import Degradation, Traffic, make_traffic
from airflow_mm_provider.monitoring.tolerance import BiasTolerance, ModelQualityTolerance
from tests.fidelity.test_bias_drift_rates import _demo_monitor
from tests.support.bias import HEADERS

TRIALS = 100
FIRST_HOUR_SEED = 50_000
"""Seeds of the fresh hours (far from the demo's baseline seeds and hour seeds)."""
ALLOWED_HEALTHY_RATE = 0.05
REQUIRED_DEGRADED_RATE = 0.95
ACCURACY_FLIP = 0.14
"""Share of scores inverted in a degraded model-quality hour: accuracy drops by about 0.11."""
DPPL_SHIFT = 0.25
DEMO = _demo_monitor()
BASELINE_CONFIG, MONITORING_CONFIG, BIAS_VALIDATION, ATTRIBUTES, RECORDS, V1_SEED = DEMO


def _hours(count: int, degradation: Degradation | None = None, offset: int = 0) -> list[Traffic]:
    return [make_traffic(RECORDS, FIRST_HOUR_SEED + offset + n, degradation) for n in range(count)]


def _quality_statistics(traffic: Traffic) -> dict[str, Any]:
    accumulator = model_quality.ModelQualityAccumulator("BinaryClassification", probability_threshold=0.5)
    accumulator.add(traffic.labels.tolist(), probability=traffic.probabilities.tolist())
    return accumulator.statistics()


def _accuracy(statistics: dict[str, Any]) -> float:
    return statistics["binary_classification_metrics"]["accuracy"]["value"]


def _quality_judge(tolerance: ModelQualityTolerance | None) -> Callable[[Traffic], bool]:
    """Whether an hour breaks the demo's model-quality baseline loosened by ``tolerance``."""
    suggested = model_quality.suggest_constraints(_quality_statistics(make_traffic(RECORDS, V1_SEED)))
    constraints = suggested if tolerance is None else tolerance.apply(suggested)
    return lambda traffic: bool(model_quality.evaluate(_quality_statistics(traffic), constraints))


def _bias_baseline() -> dict[str, Any]:
    """The demo's bias baseline ``analysis.json``, computed by the Clarify job from its validation set."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "data").mkdir()
        (root / "data" / "validation.csv").write_text(BIAS_VALIDATION)
        run_bias_job(BASELINE_CONFIG, root / "data", root / "baseline", dataset_type="text/csv")
        return json.loads((root / "baseline" / "analysis.json").read_text())


def _bias_judge(tolerance: BiasTolerance | None) -> Callable[[Traffic, float], bool]:
    """Whether an hour (group 0's positive predictions cut by a DPPL shift) breaks the loosened baseline."""
    baseline = _bias_baseline()
    if tolerance is not None:
        baseline = tolerance.apply(baseline)
    threshold = float(ATTRIBUTES["probability_threshold_attribute"])

    def flagged(traffic: Traffic, shift: float = 0.0) -> bool:
        probabilities = traffic.probabilities
        if shift:
            watched = traffic.inputs[:, 3] == 0
            positive = probabilities >= threshold
            rng = np.random.default_rng(len(traffic) + int(probabilities.sum() * 1000))
            turned = watched & positive & (rng.random(len(traffic)) < shift / positive[watched].mean())
            probabilities = np.where(turned, 0.0, probabilities)
        rows = np.column_stack([traffic.inputs, traffic.labels]).tolist()
        current = count_bias(
            MONITORING_CONFIG,
            rows,
            HEADERS,
            probabilities=probabilities.tolist(),
            probability_threshold=threshold,
        )
        return bool(bias_drift_violations(current.analysis(), baseline, current.intervals()))

    return flagged


def _rate(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags)


def test_model_quality_default_tolerance_passes_healthy_hours_and_flags_an_accuracy_drop():
    """100 fresh healthy hours: at most 5 % flagged (the suggestion alone flags nearly all); 100 hours whose
    accuracy dropped by 0.1 or more: at least 95 % flagged."""
    judge = _quality_judge(ModelQualityTolerance())
    assert _rate([judge(hour) for hour in _hours(TRIALS)]) <= ALLOWED_HEALTHY_RATE
    untouched = _quality_judge(None)
    assert _rate([untouched(hour) for hour in _hours(20)]) > 0.5
    degraded = _hours(TRIALS, Degradation(flip_fraction=ACCURACY_FLIP), offset=TRIALS)
    healthy_accuracy = np.mean([_accuracy(_quality_statistics(hour)) for hour in _hours(TRIALS)])
    drops = healthy_accuracy - np.array([_accuracy(_quality_statistics(hour)) for hour in degraded])
    assert drops.mean() >= 0.1
    assert _rate([judge(hour) for hour in degraded]) >= REQUIRED_DEGRADED_RATE


def test_bias_default_tolerance_passes_healthy_hours_and_flags_a_dppl_shift():
    """100 fresh healthy hours: at most 5 % flagged; the same hours with DPPL 0.25 higher: at least 95 %."""
    judge = _bias_judge(BiasTolerance())
    hours = _hours(TRIALS)
    assert _rate([judge(hour) for hour in hours]) <= ALLOWED_HEALTHY_RATE
    assert _rate([judge(hour, DPPL_SHIFT) for hour in hours]) >= REQUIRED_DEGRADED_RATE


def test_the_demos_drifted_hours_are_all_flagged_with_the_default_tolerance():
    """The demo's drift (30 % of scores flipped, group 0's scores cut to 30 %) breaks both monitors always."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "example_dags"))
    try:
        from mm_examples.demo_data import DRIFT
    finally:
        sys.path.pop(0)
    drifted = _hours(30, DRIFT, offset=2 * TRIALS)
    quality, bias = _quality_judge(ModelQualityTolerance()), _bias_judge(BiasTolerance())
    assert all(quality(hour) and bias(hour) for hour in drifted)


def main() -> None:
    """Print healthy and degraded flag rates for a few margins (the measurement behind the defaults)."""
    healthy = _hours(200)
    degraded = _hours(200, Degradation(flip_fraction=ACCURACY_FLIP), offset=TRIALS)
    print("model quality margin  healthy flagged  accuracy-drop flagged")
    for margin in (0.0, 0.03, 0.05, 0.06, 0.08):
        judge = _quality_judge(ModelQualityTolerance(margin=margin))
        dropped = _rate([judge(h) for h in degraded])
        print(f"  {margin:<19} {_rate([judge(h) for h in healthy]):<16.3f} {dropped:.3f}")
    print("bias margin           healthy flagged  DPPL+0.25 flagged")
    for margin in (0.0, 0.01, 0.02, 0.05, 0.1):
        flagged = _bias_judge(BiasTolerance(margin=margin))
        shifted = _rate([flagged(h, DPPL_SHIFT) for h in healthy])
        print(f"  {margin:<19} {_rate([flagged(h) for h in healthy]):<16.3f} {shifted:.3f}")


if __name__ == "__main__":
    main()
