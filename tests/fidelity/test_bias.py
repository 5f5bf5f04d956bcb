"""Bias monitoring behaves as the public docs describe: prediction sources, stages, the drift rule, baselines
that need a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from airflow_mm_provider.analysis.bias import bias_drift_violations
from airflow_mm_provider.analysis.bias_bootstrap import CONFIDENCE, bootstrap_intervals
from airflow_mm_provider.analysis.bias_metrics import post_training_metrics
from airflow_mm_provider.analysis.jobs import BIAS_MODEL_UNSUPPORTED, run_bias_job, run_clarify
from airflow_mm_provider.local.synthetic import Degradation, bias_analysis_config, make_traffic
from airflow_mm_provider.monitoring.baselining import bias_analysis_config as baseline_config
from tests.support.bias import baseline_csv, counts, merged_records, metric_values

CONFIG = "/opt/ml/processing/input/config"
MERGED = "/opt/ml/processing/input/merged"
BASELINE = "/opt/ml/processing/baseline"
POST = "post_training_bias_metrics"
PRE = "pre_training_bias_metrics"


def _baseline_config(**options: Any) -> dict[str, Any]:
    """The analysis config the bias baseline operator uploads for the synthetic model's validation CSV."""
    return baseline_config(
        label="label", label_values_or_threshold=[1], facet="group", facet_values_or_threshold=[0], **options
    )


def _read(directory: Path, name: str = "analysis.json") -> dict[str, Any]:
    return json.loads((directory / name).read_text())


def _config_dir(tmp_path: Path, config: dict[str, Any]) -> Path:
    """A directory holding ``config`` as ``analysis_config.json``."""
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "analysis_config.json").write_text(json.dumps(config))
    return directory


def _monitoring_environment(**attributes: str) -> dict[str, str]:
    """The Clarify container environment of a bias monitoring job on merged endpoint records."""
    return {
        "analysis_type": "MODEL_BIAS",
        "analysis_config": f"{CONFIG}/analysis_config.json",
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointOutput"]}}),
        "dataset_source": MERGED,
        **attributes,
    }


def test_threshold_attribute_alone_turns_the_captured_score_into_predictions(tmp_path: Path) -> None:
    """Issue 11 item 1. The bias-drift schedule example gives only ``probability_threshold_attribute=0.8``
    on an endpoint whose output is the score, and the monitor computes post-training bias from it.
    Source: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-schedule.html
    (``EndpointInput(..., probability_threshold_attribute=0.8)``) and
    .../clarify-model-monitor-bias-drift-cw.html (bias drift monitoring jobs compute both pre-training and
    post-training bias metrics).
    """
    traffic = make_traffic(400, seed=3)
    dirs = {
        CONFIG: _config_dir(tmp_path, bias_analysis_config()),
        MERGED: merged_records(tmp_path / "merged", traffic),
    }
    outcome = run_clarify(
        _monitoring_environment(probability_threshold_attribute="0.8"), dirs, tmp_path / "out"
    )
    assert outcome.status == "Completed"
    analysis = metric_values(_read(tmp_path / "out"))
    expected = metric_values(counts(traffic, (traffic.probabilities >= 0.8).astype(int)).analysis())
    assert analysis[(POST, "DPPL")] == expected[(POST, "DPPL")]
    assert {name for section, name in analysis if section == POST} >= {"DPPL", "DI", "AD", "RD"}
    assert (PRE, "CI") in analysis


@pytest.mark.parametrize(
    ("attributes", "output"),
    [
        ({"inference_attribute": "0"}, "label"),
        ({"probability_attribute": "0", "probability_threshold_attribute": "0.5"}, "score"),
        ({}, "label"),
    ],
)
def test_predictions_come_from_every_documented_attribute(
    tmp_path: Path, attributes: dict[str, str], output: str
) -> None:
    """Issue 11 item 1. The inference attribute locates the predicted label, the probability attribute the
    score compared with the threshold, and without either the whole output is the prediction.
    Source: botocore's EndpointInput shape documentation (InferenceAttribute, ProbabilityAttribute,
    ProbabilityThresholdAttribute) and the bias baseline page's ModelPredictedLabelConfig ("label" locates the
    predicted label in the response), https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-baseline.html.
    """
    traffic = make_traffic(300, seed=4)
    written = traffic.predictions if output == "label" else traffic.probabilities
    dirs = {
        CONFIG: _config_dir(tmp_path, bias_analysis_config()),
        MERGED: merged_records(tmp_path / "merged", traffic, written),
    }
    assert run_clarify(_monitoring_environment(**attributes), dirs, tmp_path / "out").status == "Completed"
    assert metric_values(_read(tmp_path / "out")) == metric_values(counts(traffic).analysis())


def test_predicted_label_column_of_the_baseline_dataset(tmp_path: Path) -> None:
    """Issue 11 item 1. A baseline dataset's ``predicted_label`` column gives the post-training metrics, with
    no model. Source: the SageMaker Python SDK's DataConfig ``predicted_label`` parameter, written into the
    Clarify analysis config (docs: https://sagemaker.readthedocs.io/en/stable/api/training/processing.html,
    sagemaker.clarify.DataConfig).
    """
    traffic = make_traffic(500, seed=5)
    config = _baseline_config(predicted_label="prediction")
    result = run_bias_job(
        config, baseline_csv(tmp_path / "data", traffic), tmp_path / "out", dataset_type="text/csv"
    )
    assert result.status == "Completed"
    analysis = _read(tmp_path / "out")
    assert set(analysis) == {"version", PRE, POST}
    assert (
        metric_values(analysis)[(POST, "DPPL")] == metric_values(counts(traffic).analysis())[(POST, "DPPL")]
    )


def test_post_training_drift_is_flagged_against_a_baseline_with_predictions(tmp_path: Path) -> None:
    """Issue 11 item 1. A baseline with predicted labels holds post-training metrics, so a monitor reading
    scores through ``ProbabilityAttribute`` flags a facet that loses its positive predictions.
    Source: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html
    (violations for a bias metric of analysis.json worse than its baseline peer).
    """
    baseline_dir = tmp_path / "baseline"
    assert (
        run_bias_job(
            _baseline_config(predicted_label="prediction"),
            baseline_csv(tmp_path / "data", make_traffic(2000, 6)),
            baseline_dir,
            dataset_type="text/csv",
        ).status
        == "Completed"
    )
    degraded = make_traffic(600, seed=60, degradation=Degradation(facet_value=0, facet_scale=0.3))
    dirs = {
        CONFIG: _config_dir(tmp_path, bias_analysis_config()),
        MERGED: merged_records(tmp_path / "merged", degraded),
        BASELINE: baseline_dir,
    }
    environment = _monitoring_environment(
        probability_attribute="0",
        probability_threshold_attribute="0.5",
        baseline_constraints=f"{BASELINE}/analysis.json",
    )
    outcome = run_clarify(environment, dirs, tmp_path / "out")
    flagged = {v["metric_name"] for v in _read(tmp_path / "out", "constraint_violations.json")["violations"]}
    assert outcome.violation_count == len(flagged) and {"DPPL", "DI"} <= flagged


@pytest.mark.parametrize(
    ("pre", "post", "sections"),
    [
        ("all", None, {PRE}),
        (None, "all", {POST}),
        (None, ["DPPL", "DI"], {POST}),
        ("all", "all", {PRE, POST}),
    ],
)
def test_a_baseline_computes_the_stages_its_config_requests(
    tmp_path: Path, pre: Any, post: Any, sections: set[str]
) -> None:
    """Issue 11 item 3. A baseline computes the ``methods`` its analysis config names, nothing more.
    Source: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html
    (``pre_training_bias`` / ``post_training_bias`` method blocks); the SDK's ClarifyCheckStep runs data bias
    with pre-training methods only and model bias with post-training methods only.
    """
    config = _baseline_config(
        predicted_label="prediction", pre_training_methods=pre, post_training_methods=post
    )
    data = baseline_csv(tmp_path / "data", make_traffic(300, seed=8))
    assert run_bias_job(config, data, tmp_path / "out", dataset_type="text/csv").status == "Completed"
    analysis = _read(tmp_path / "out")
    assert set(analysis) - {"version"} == sections
    if post == ["DPPL", "DI"]:
        assert {name for _, name in metric_values(analysis)} == {"DPPL", "DI"}


def test_monitoring_judges_only_the_metrics_its_baseline_holds(tmp_path: Path) -> None:
    """Issue 11 item 3. Monitoring computes both stages, but a post-training-only baseline has no
    pre-training peer to break, so a class-imbalance shift is no violation.
    Source: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-cw.html
    (monitoring computes both stages) and .../clarify-model-monitor-bias-drift-violations.html (a violation
    compares a metric of analysis.json with its peer in the baseline constraints).
    """
    config = _baseline_config(predicted_label="prediction", pre_training_methods=None)
    run_bias_job(
        config,
        baseline_csv(tmp_path / "data", make_traffic(2000, 9)),
        tmp_path / "baseline",
        dataset_type="text/csv",
    )
    baseline = _read(tmp_path / "baseline")
    traffic = make_traffic(3000, seed=90)
    keep = (traffic.inputs[:, 3] == 1) | (np.arange(len(traffic)) % 4 == 0)  # facet d shrinks to a quarter
    skewed = type(traffic)(traffic.inputs[keep], traffic.labels[keep], traffic.probabilities[keep])
    outcome = run_bias_job(
        bias_analysis_config(),
        merged_records(tmp_path / "merged", skewed),
        tmp_path / "out",
        baseline_analysis=baseline,
        probability_threshold=0.5,
    )
    current = _read(tmp_path / "out")
    assert set(current) == {"version", PRE, POST}
    assert abs(metric_values(current)[(PRE, "CI")]) > 0.4
    assert outcome.violation_count == 0


def test_a_baseline_that_needs_the_model_fails(tmp_path: Path) -> None:
    """Issue 11 item 4. ``suggest_baseline(model_config=...)`` gets post-training predictions by invoking the
    model through a shadow endpoint; the local service has no model, so it fails saying so instead of
    completing without the post-training stage.
    Source: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-baseline.html
    ("the processing job uses the model to create an ephemeral endpoint (also known as shadow endpoint)").
    """
    predictor = {"model_name": "m", "instance_type": "ml.m5.large", "initial_instance_count": 1}
    config = {
        **_baseline_config(predictor=predictor),
        "headers": ["age", "income", "tenure", "group", "label"],
    }
    traffic = make_traffic(200, seed=10)
    data = tmp_path / "data"
    data.mkdir()
    rows = np.column_stack([traffic.inputs, traffic.labels])
    (data / "d.csv").write_text("\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n")
    dirs = {CONFIG: _config_dir(tmp_path, config), "/opt/ml/processing/input/data": data}
    outcome = run_clarify({}, dirs, tmp_path / "out")
    assert outcome.status == "Failed"
    assert outcome.failure_reason == f"ClientError: {BIAS_MODEL_UNSUPPORTED}"
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_drift_needs_the_confidence_interval_outside_the_allowed_range() -> None:
    """Issue 11 item 2. The monitor builds a Normal Bootstrap Interval of the current value and alerts only
    when it and the allowed range are disjoint; the allowed range holds values no farther from the fair value
    than the baseline value (baseline DPPL 0.2: 0.1 passes, -0.3 violates; DI's fair value is 1).
    Sources: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift.html and
    .../clarify-model-monitor-bias-drift-violations.html; DI = 1 at parity:
    .../clarify-post-training-bias-metric-di.html.
    """

    def document(dppl: float, di: float) -> dict[str, Any]:
        metrics = [{"name": "DI", "value": di}, {"name": "DPPL", "value": dppl}]
        facet = {"group": [{"value_or_threshold": "0", "metrics": metrics}]}
        return {"version": "1.0", POST: {"label": "label", "label_value_or_threshold": "1", "facets": facet}}

    def flagged(current: dict[str, Any], intervals: dict[str, tuple[float, float]]) -> set[str]:
        keyed = {(POST, "group", ("values", "0"), name): interval for name, interval in intervals.items()}
        return {v["metric_name"] for v in bias_drift_violations(current, document(0.2, 0.9), keyed)}

    assert flagged(document(-0.3, 1.2), {"DPPL": (-0.35, -0.25), "DI": (1.15, 1.25)}) == {"DPPL", "DI"}
    assert flagged(document(-0.3, 1.2), {"DPPL": (-0.45, -0.15), "DI": (1.05, 1.35)}) == set()
    assert flagged(document(0.1, 0.95), {"DPPL": (0.05, 0.15), "DI": (0.92, 0.98)}) == set()
    assert flagged(document(0.35, 0.7), {"DPPL": (0.19, 0.49), "DI": (0.5, 0.89)}) == {"DI"}


def test_bootstrap_intervals_are_seeded_and_resample_counts() -> None:
    """Issue 11 item 2. The Normal Bootstrap Interval (estimate minus bootstrap bias, plus or minus z times
    the bootstrap standard error, Davison & Hinkley eq. 5.5) is reproducible and narrows as counts grow.
    Source: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift.html.
    """
    confusion = np.array([[[[120.0, 30.0], [25.0, 125.0]], [[90.0, 20.0], [40.0, 50.0]]]])

    def interval(scale: float, seed: int) -> tuple[float, float]:
        found = bootstrap_intervals(
            confusion * scale,
            lambda t: post_training_metrics(t, False, ["DPPL"]),
            rng=np.random.default_rng(seed),
        )["DPPL"]
        assert found is not None
        return found

    assert interval(1, 0) == interval(1, 0)
    low, high = interval(1, 0)
    estimate = post_training_metrics(confusion, False, ["DPPL"])["DPPL"]
    assert low < estimate < high
    wide, narrow = high - low, np.subtract(*interval(100, 0)[::-1])
    assert narrow == pytest.approx(wide / 10, rel=0.15)
    assert 0.9 < CONFIDENCE < 1
