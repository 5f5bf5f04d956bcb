"""Tests of the container-style job entry points."""

from __future__ import annotations

import csv
import gzip
import json
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import merge
from airflow_mm_provider.analysis.bias import run_bias_analysis
from airflow_mm_provider.analysis.jobs import (
    NO_DATA,
    AnalyzerDatasetFormat,
    JobError,
    _LabelReader,
    run_analyzer,
    run_bias_job,
    run_clarify,
    run_merge,
)
from airflow_mm_provider.analysis.records import (
    CsvChunk,
    Payload,
    ReadStats,
    iter_merged_chunks,
    iter_merged_csv_chunks,
)

COMPACT = (",", ":")
DATA = "/opt/ml/processing/input/dataset"
BASELINE = "/opt/ml/processing/baseline"
COMPLETED = "Completed: Job completed successfully with no violations."


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def capture_line(index: int, features: str, output: str, minute: int = 10, encoding: str = "CSV") -> str:
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": features,
                    "encoding": encoding,
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": output,
                    "encoding": encoding,
                },
            },
            "eventMetadata": {
                "eventId": f"e-{index}",
                "inferenceId": f"i-{index}",
                "inferenceTime": f"2026-01-01T01:{minute:02d}:00Z",
            },
            "eventVersion": "0",
        },
        separators=COMPACT,
    )


def truth_line(key: str, label: str, encoding: str = "CSV") -> str:
    return json.dumps(
        {
            "groundTruthData": {"data": label, "encoding": encoding},
            "eventMetadata": {"eventId": key},
            "eventVersion": "0",
        },
        separators=COMPACT,
    )


def binary_capture(tmp_path: Path, count: int = 40) -> tuple[Path, Path]:
    """Capture and ground truth of a binary classifier; record 0 falls outside 01:00-02:00."""
    captures = [capture_line(i, f"{i},{i % 3}", f"{(i % 10) / 10}", minute=i % 60) for i in range(count)]
    captures[0] = capture_line(0, "0,0", "0.1", minute=0).replace("T01:", "T00:")
    truths = [truth_line(f"i-{i}", str(int(i % 10 >= 4))) for i in range(count) if i != 5]
    write_lines(
        tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "01" / "01" / "01" / "a.jsonl", captures
    )
    write_lines(tmp_path / "truth" / "2026" / "01" / "01" / "02" / "b.jsonl", truths)
    return tmp_path / "capture", tmp_path / "truth"


def model_quality_environment(**extra: str) -> dict[str, str]:
    environment = {
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointOutput"]}}),
        "dataset_source": DATA,
        "output_path": "/opt/ml/processing/output",
        "probability_attribute": "0",
        "probability_threshold_attribute": "0.5",
        "end_time": "2026-01-01T02:00:00Z",
    }
    environment.update(extra)
    return environment


def test_merge_then_model_quality_baseline_and_monitoring(tmp_path: Path) -> None:
    capture, truth = binary_capture(tmp_path)
    merged = run_merge(capture, truth, tmp_path / "merged", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z")
    assert merged.status == "Completed"
    assert (merged.details["captured"], merged.details["matched"], merged.details["unmatched"]) == (39, 38, 1)
    assert merged.files[0].name.startswith("part-00000-")

    baseline = run_analyzer(model_quality_environment(), {DATA: tmp_path / "merged"}, tmp_path / "baseline")
    assert baseline.status == "Completed" and baseline.exit_message == COMPLETED
    assert [path.name for path in baseline.files] == ["constraints.json", "statistics.json"]
    statistics = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    assert statistics["dataset"] == {"item_count": 38, "evaluation_time": "2026-01-01T02:00:00Z"}
    metrics = statistics["binary_classification_metrics"]
    # label 1 when probability >= 0.4, predicted 1 when >= 0.5: the four records at 0.4 are false negatives
    assert metrics["precision"]["value"] == 1.0
    assert metrics["accuracy"]["value"] == 34 / 38
    constraints = json.loads((tmp_path / "baseline" / "constraints.json").read_text())
    constraints["binary_classification_constraints"]["accuracy"]["threshold"] = 0.99
    constraints["binary_classification_constraints"]["false_negative_rate"]["threshold"] = -1.0
    write_lines(tmp_path / "constraints" / "constraints.json", [json.dumps(constraints)])

    environment = model_quality_environment(baseline_constraints=f"{BASELINE}/constraints.json")
    dirs = {DATA: tmp_path / "merged", BASELINE: tmp_path / "constraints"}
    monitoring = run_analyzer(environment, dirs, tmp_path / "report")
    assert monitoring.status == "Completed" and monitoring.violation_count == 2
    assert monitoring.exit_message == "CompletedWithViolations: Job completed successfully with 2 violations."
    violations = json.loads((tmp_path / "report" / "constraint_violations.json").read_text())["violations"]
    assert {(v["metric_name"], v["constraint_check_type"]) for v in violations} == {
        ("accuracy", "LessThanThreshold"),
        ("false_negative_rate", "GreaterThanThreshold"),
    }


def test_same_inputs_give_byte_identical_outputs(tmp_path: Path) -> None:
    capture, truth = binary_capture(tmp_path)
    outputs = []
    for run in ("one", "two"):
        merged = run_merge(
            capture, truth, tmp_path / run / "merged", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"
        )
        analysis = run_analyzer(
            model_quality_environment(), {DATA: tmp_path / run / "merged"}, tmp_path / run / "out"
        )
        outputs.append([(path.name, path.read_bytes()) for path in (*merged.files, *analysis.files)])
    assert outputs[0] == outputs[1]


def test_model_quality_baseline_from_csv_with_header(tmp_path: Path) -> None:
    rows = ["probability,prediction,label"] + [f"{i / 10},{int(i >= 5)},{int(i >= 4)}" for i in range(10)]
    write_lines(tmp_path / "data" / "baseline.csv", rows)
    environment = {
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
        "dataset_source": DATA,
        "inference_attribute": "prediction",
        "probability_attribute": "probability",
        "ground_truth_attribute": "label",
    }
    outcome = run_analyzer(environment, {DATA: tmp_path / "data"}, tmp_path / "out")
    assert outcome.status == "Completed"
    metrics = json.loads((tmp_path / "out" / "statistics.json").read_text())["binary_classification_metrics"]
    assert metrics["precision"]["value"] == 1.0
    assert metrics["recall"]["value"] == 5 / 6
    assert metrics["auc"]["value"] == 1.0


def test_regression_from_json_lines_with_jmespath(tmp_path: Path) -> None:
    lines = [json.dumps({"output": {"value": i + 0.5}, "target": i}) for i in range(5)] + [
        '{"output": {}}',
        "x",
    ]
    write_lines(tmp_path / "data" / "d.jsonl", lines)
    environment = {
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "Regression",
        "dataset_format": json.dumps({"json": {"lines": True}}),
        "dataset_source": DATA,
        "inference_attribute": "output.value",
        "ground_truth_attribute": "target",
    }
    outcome = run_analyzer(environment, {DATA: tmp_path / "data"}, tmp_path / "out")
    assert outcome.status == "Completed"
    assert outcome.details["read"]["malformed"] == {"invalid_json": 1, "missing_attribute": 1}
    metrics = json.loads((tmp_path / "out" / "statistics.json").read_text())["regression_metrics"]
    assert metrics["mae"]["value"] == 0.5


def test_no_data_fails_both_jobs(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    merge = run_merge(tmp_path / "empty", tmp_path / "empty", tmp_path / "merged")
    assert merge.status == "Failed" and merge.failure_reason == NO_DATA and merge.files == ()
    outcome = run_analyzer(model_quality_environment(), {DATA: tmp_path / "empty"}, tmp_path / "out")
    assert (outcome.status, outcome.failure_reason, outcome.exit_message) == ("Failed", NO_DATA, "")


def test_configuration_errors_fail_with_client_error(tmp_path: Path) -> None:
    for environment in (
        model_quality_environment(dataset_format=json.dumps({"parquet": {}})),
        model_quality_environment(problem_type="Ranking"),
        model_quality_environment(problem_type="MulticlassClassification"),
        model_quality_environment(probability_attribute="a[?"),
        model_quality_environment(baseline_constraints="/nowhere/constraints.json"),
    ):
        capture, truth = binary_capture(tmp_path / environment["problem_type"] / str(len(environment)))
        run_merge(capture, truth, tmp_path / "merged")
        outcome = run_analyzer(environment, {DATA: tmp_path / "merged"}, tmp_path / "out")
        assert outcome.status == "Failed"
        assert outcome.failure_reason is not None and outcome.failure_reason.startswith("ClientError: ")


def test_dataset_format_parsing() -> None:
    assert AnalyzerDatasetFormat.parse(None) == AnalyzerDatasetFormat("sagemakerCaptureJson")
    assert AnalyzerDatasetFormat.parse('{"csv": {"header": true}}') == AnalyzerDatasetFormat("csv", True)
    assert AnalyzerDatasetFormat.parse('{"json": {"line": true}}') == AnalyzerDatasetFormat("json")
    with pytest.raises(JobError):
        AnalyzerDatasetFormat.parse("{")


def test_batch_transform_merge(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    write_lines(
        mirror / "bucket" / "out" / "x.csv.out",
        [
            "0.9,id-1,2026-01-01T01:00:00Z",
            "0.2,id-2,2026-01-01T01:00:00Z",
            "0.4,id-3,2026-01-01T01:00:00Z",
        ],
    )
    manifest = json.dumps([{"prefix": "s3://bucket/out/"}, "x.csv.out"])
    write_lines(tmp_path / "capture" / "output" / "2026" / "01" / "01" / "01" / "m.json", [manifest])
    write_lines(tmp_path / "truth" / "t.jsonl", [truth_line("id-1", "1"), truth_line("id-2", "0")])
    merged = run_merge(
        tmp_path / "capture", tmp_path / "truth", tmp_path / "merged", batch_mirror_root=mirror
    )
    assert merged.status == "Completed" and merged.details["matched"] == 2
    first = json.loads(merged.files[0].read_text().splitlines()[0])
    assert first["captureData"] == {"batchTransformOutput": {"data": "0.9", "encoding": "CSV"}}
    assert first["eventMetadata"] == {"eventId": "id-1"}
    outcome = run_analyzer(model_quality_environment(), {DATA: tmp_path / "merged"}, tmp_path / "out")
    assert outcome.status == "Completed"
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == 1.0


def test_data_quality_baseline_and_monitoring_on_capture(tmp_path: Path) -> None:
    write_lines(tmp_path / "base" / "b.csv", ["a,b"] + [f"{i},{i % 2}" for i in range(20)])
    base_environment = {
        "dataset_format": json.dumps({"csv": {"header": True}}),
        "dataset_source": DATA,
        "output_path": "/opt/ml/processing/output",
    }
    baseline = run_analyzer(base_environment, {DATA: tmp_path / "base"}, tmp_path / "baseline")
    assert baseline.status == "Completed" and baseline.exit_message == COMPLETED
    assert [path.name for path in baseline.files] == ["constraints.json", "statistics.json"]
    statistics = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    assert [feature["name"] for feature in statistics["features"]] == ["a", "b"]

    captures = [capture_line(i, f"{i},text", "0.5") for i in range(10)]
    write_lines(tmp_path / "capture" / "c.jsonl", captures)
    environment = {
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}),
        "dataset_source": "/opt/ml/processing/input/endpoint",
        "baseline_constraints": f"{BASELINE}/constraints.json",
        "baseline_statistics": f"{BASELINE}/statistics.json",
        "start_time": "2026-01-01T01:00:00Z",
        "end_time": "2026-01-01T02:00:00Z",
    }
    dirs = {"/opt/ml/processing/input/endpoint": tmp_path / "capture", BASELINE: tmp_path / "baseline"}
    monitoring = run_analyzer(environment, dirs, tmp_path / "report")
    assert monitoring.status == "Completed"
    assert [path.name for path in monitoring.files] == [
        "constraint_violations.json",
        "constraints.json",
        "statistics.json",
    ]
    violations = json.loads((tmp_path / "report" / "constraint_violations.json").read_text())["violations"]
    assert monitoring.violation_count == len(violations) > 0
    assert any(v["feature_name"] == "b" for v in violations)

    outside = dict(environment, start_time="2026-01-02T00:00:00Z", end_time="2026-01-02T01:00:00Z")
    empty = run_analyzer(outside, dirs, tmp_path / "none")
    assert (empty.status, empty.failure_reason) == ("Failed", NO_DATA)


def test_data_quality_csv_reads_alike_plain_quoted_gzipped_and_as_json_lines(tmp_path: Path) -> None:
    """The column-block CSV reader and the csv-module rows give the same statistics, as does JSON Lines."""
    rng = random.Random(4)
    rows = [
        [
            str(rng.randint(-5, 500)),
            f"{rng.gauss(0, 3):.3f}",
            rng.choice(["red", "blue", " green", ""]),
            f"u{i}",
        ]
        for i in range(1500)
    ]
    header = "n,x,colour,tag"
    write_lines(tmp_path / "plain" / "d.csv", [header] + [",".join(row) for row in rows])
    write_lines(
        tmp_path / "quoted" / "d.csv", [header] + [",".join(f'"{cell}"' for cell in row) for row in rows]
    )
    gzipped = tmp_path / "gzipped" / "d.csv.gz"
    gzipped.parent.mkdir()
    gzipped.write_bytes(gzip.compress((tmp_path / "plain" / "d.csv").read_bytes()))
    records = [json.dumps(dict(zip(header.split(","), row, strict=True))) for row in rows]
    write_lines(tmp_path / "json" / "d.jsonl", records)
    found = []
    for name in ("plain", "quoted", "gzipped", "json"):
        kind = {"json": {"json": {"lines": True}}}.get(name, {"csv": {"header": True}})
        environment = {"dataset_format": json.dumps(kind), "dataset_source": DATA}
        outcome = run_analyzer(environment, {DATA: tmp_path / name}, tmp_path / f"out-{name}")
        assert outcome.status == "Completed", outcome.failure_reason
        found.append((tmp_path / f"out-{name}" / "statistics.json").read_text())
    assert found[0] == found[1] == found[2] == found[3]
    assert '"num_missing": 0' in found[0]


def bias_config() -> dict:
    return {
        "headers": ["age", "sex", "label"],
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
    }


def merged_bias_records(directory: Path, sexes: list[int], outputs: list[str] | None = None) -> Path:
    """Merged records (age, sex; label = index % 2); the model outputs ``outputs`` as JSON when given, else
    the label ``(index + sex) % 2`` as CSV."""
    lines = []
    for index, sex in enumerate(sexes):
        output = {"data": str((index + sex) % 2), "encoding": "CSV"}
        if outputs is not None:
            output = {"data": outputs[index], "encoding": "JSON"}
        record = {
            "eventMetadata": {"eventId": str(index)},
            "eventVersion": "0",
            "groundTruthData": {"data": str(index % 2), "encoding": "CSV"},
            "captureData": {
                "endpointInput": {"data": f"{30 + index},{sex}", "encoding": "CSV"},
                "endpointOutput": output,
            },
        }
        lines.append(json.dumps(record, separators=COMPACT))
    return write_lines(directory / "part-00000.jsonl", lines).parent


def test_clarify_bias_baseline_then_drift(tmp_path: Path) -> None:
    balanced = merged_bias_records(tmp_path / "balanced", [0, 1] * 10)
    baseline = run_bias_job(bias_config(), balanced, tmp_path / "baseline", inference_attribute="0")
    assert baseline.status == "Completed" and [path.name for path in baseline.files] == ["analysis.json"]
    analysis = json.loads((tmp_path / "baseline" / "analysis.json").read_text())
    assert set(analysis) == {"version", "pre_training_bias_metrics", "post_training_bias_metrics"}
    same = run_bias_job(
        bias_config(), balanced, tmp_path / "same", baseline_analysis=analysis, inference_attribute="0"
    )
    assert same.violation_count == 0 and same.exit_message == COMPLETED
    skewed = merged_bias_records(tmp_path / "skewed", [0, 1, 1, 1] * 5)
    drift = run_bias_job(
        bias_config(), skewed, tmp_path / "drift", baseline_analysis=analysis, inference_attribute="0"
    )
    assert drift.status == "Completed" and drift.violation_count > 0
    report = json.loads((tmp_path / "drift" / "constraint_violations.json").read_text())
    assert any(v["metric_name"] == "CI" for v in report["violations"])


def test_clarify_pre_training_only_from_csv(tmp_path: Path) -> None:
    write_lines(tmp_path / "data" / "d.csv", ["age,sex,label", "30,0,1", "40,1,0", "50,0,0", "60,1,1"])
    config = {key: value for key, value in bias_config().items() if key != "headers"}
    outcome = run_bias_job(config, tmp_path / "data", tmp_path / "out", dataset_type="text/csv")
    assert outcome.status == "Completed"
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert "post_training_bias_metrics" not in analysis
    assert (
        run_bias_job(config, tmp_path / "nothing", tmp_path / "x", dataset_type="text/csv").failure_reason
        == NO_DATA
    )


def _analysis_text(directory: Path) -> str:
    """The ``analysis.json`` a job wrote, as canonical JSON text (NaN compares equal to NaN)."""
    return json.dumps(json.loads((directory / "analysis.json").read_text()), sort_keys=True)


def test_clarify_csv_counts_what_the_csv_module_reads(tmp_path: Path) -> None:
    """Read column by column, a CSV baseline (plain and gzipped files, LF and CRLF, a quoted cell, short rows,
    an empty line) gives the analysis of the same rows read by the ``csv`` module."""
    header = "age,sex,label,predicted"
    plain = [header, "30,0,1,1", "40, 1,0,1", "50,0,,0", "60,1,1"]
    quoted = [header, '"7,0",0,1,0', "80,1,0,0", "", "90,0,1,1", "30,1,1,1"]
    write_lines(tmp_path / "data" / "a.csv", plain)
    (tmp_path / "data" / "b.csv.gz").write_bytes(gzip.compress(("\r\n".join(quoted) + "\r\n").encode()))
    config = {**bias_config(), "predicted_label": "predicted", "group_variable": "age"}
    del config["headers"]
    outcome = run_bias_job(config, tmp_path / "data", tmp_path / "out", dataset_type="text/csv")
    assert outcome.status == "Completed" and outcome.details["read"]["records"] == 8
    rows = [row for row in csv.reader(plain[1:] + quoted[1:]) if row]
    expected = run_bias_analysis(
        config,
        [row[:3] for row in rows],
        header.split(",")[:3],
        predicted_labels=[row[3] if len(row) > 3 else None for row in rows],
    )
    assert _analysis_text(tmp_path / "out") == json.dumps(expected, sort_keys=True)


def test_clarify_capture_prediction_is_the_label_else_the_score(tmp_path: Path) -> None:
    """A merged record's prediction is its inference attribute's label, else its probability attribute's score
    at the threshold; a record with neither counts before training only."""
    outputs = ["[1, 0.2]", "[null, 0.9]", "[null, null]", "[0, 0.7]", "[null, 0.1]", "[1, null]"]
    sexes = [0, 1, 0, 1, 0, 1]
    merged = merged_bias_records(tmp_path / "merged", sexes, outputs)
    outcome = run_bias_job(
        bias_config(),
        merged,
        tmp_path / "out",
        inference_attribute="0",
        probability_attribute="1",
        probability_threshold=0.5,
    )
    assert outcome.status == "Completed"
    rows = [[30 + index, str(sex), str(index % 2)] for index, sex in enumerate(sexes)]
    expected = run_bias_analysis(
        bias_config(), rows, ["age", "sex", "label"], predicted_labels=[1, 1, None, 0, 0, 1]
    )
    assert _analysis_text(tmp_path / "out") == json.dumps(expected, sort_keys=True)


def test_run_clarify_reads_the_container_environment(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    write_lines(config_dir / "analysis_config.json", [json.dumps(bias_config())])
    balanced = merged_bias_records(tmp_path / "balanced", [0, 1] * 10)
    skewed = merged_bias_records(tmp_path / "skewed", [0, 1, 1, 1] * 5)
    environment = {
        "analysis_type": "MODEL_BIAS",
        "analysis_config": "/opt/ml/processing/input/config/analysis_config.json",
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointOutput"]}}),
        "dataset_source": "/opt/ml/processing/input/merged",
        "inference_attribute": "0",
    }
    dirs = {"/opt/ml/processing/input/config": config_dir, "/opt/ml/processing/input/merged": balanced}
    baseline = run_clarify(environment, dirs, tmp_path / "baseline")
    assert baseline.status == "Completed" and baseline.violation_count == 0
    monitoring = dict(environment, baseline_constraints=f"{BASELINE}/analysis.json")
    dirs = {**dirs, "/opt/ml/processing/input/merged": skewed, BASELINE: tmp_path / "baseline"}
    drift = run_clarify(monitoring, dirs, tmp_path / "drift")
    assert drift.status == "Completed" and drift.violation_count > 0
    assert drift.exit_message.startswith("CompletedWithViolations: ")
    missing = run_clarify({}, {}, tmp_path / "none")
    assert missing.status == "Failed" and (missing.failure_reason or "").startswith("ClientError: ")


def test_paths_outside_the_inputs_are_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("label,x\n1,2\n")
    dirs = {DATA: tmp_path / "data"}
    environment = {"analysis_type": "DATA_QUALITY", "dataset_format": json.dumps({"csv": {"header": True}})}
    for path in (str(tmp_path / "secret.csv"), f"{DATA}/../../../{tmp_path}/secret.csv"):
        outcome = run_analyzer({**environment, "dataset_source": path}, dirs, tmp_path / "out")
        assert outcome.status == "Failed"
        assert (
            outcome.failure_reason
            == f"ClientError: {path!r} is not inside any of the job's processing inputs"
        )
    assert not (tmp_path / "out").exists()


CELL = st.one_of(
    st.sampled_from(["0", "1", "0.25", " 0.5", "1e-3", "nan", "", "x", "1_0", '"1"', "2\n3"]),
    st.floats(allow_nan=False, width=32).map(repr),
)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(CELL, st.lists(CELL, min_size=1, max_size=3)), min_size=1, max_size=6),
    encoding=st.sampled_from(["CSV", "CSV", "JSON", "csv"]),
    attributes=st.sampled_from(
        [
            {"probability_attribute": "0"},
            {"probability_attribute": "1", "inference_attribute": "0"},
            {"inference_attribute": "2"},
            {},
            {"ground_truth_attribute": "0", "probability_attribute": "0"},
        ]
    ),
    problem_type=st.sampled_from(["BinaryClassification", "Regression", "MulticlassClassification"]),
)
def test_bulk_payload_reading_agrees_with_record_by_record(
    rows: list[tuple[str, list[str]]], encoding: str, attributes: dict[str, str], problem_type: str
) -> None:
    environment = model_quality_environment(problem_type=problem_type)
    del environment["probability_attribute"]
    environment.update(attributes)
    reader = _LabelReader(environment, None, problem_type == "Regression")
    outputs = [Payload(",".join(cells), encoding) for _, cells in rows]
    truths = [Payload(truth, "CSV") for truth, _ in rows]
    bulk_stats, record_stats = ReadStats(), ReadStats()
    bulk = reader.read_payloads(outputs, truths, bulk_stats)
    by_record = reader.read(list(zip(outputs, truths, strict=True)), record_stats, decode=True)
    assert repr(bulk) == repr(by_record)
    assert bulk_stats.as_dict() == record_stats.as_dict()


def test_model_quality_counts_malformed_merged_lines(tmp_path: Path) -> None:
    capture, truth = binary_capture(tmp_path)
    merged = run_merge(capture, truth, tmp_path / "merged", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z")
    good = merged.files[0].read_text().splitlines()
    bad = [good[0][:-5], '{"captureData":{"endpointOutput":{"data":"0.5"}}}', good[1].replace('"0.', '"x')]
    write_lines(merged.files[0], good + bad)
    outcome = run_analyzer(model_quality_environment(), {DATA: tmp_path / "merged"}, tmp_path / "out")
    assert outcome.status == "Completed"
    assert outcome.details["read"]["malformed"] == {
        "invalid_json": 1,
        "missing_ground_truth_data": 1,
        "non_numeric_value": 1,
    }
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 38


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(CELL, st.lists(CELL, min_size=1, max_size=3)), min_size=1, max_size=6),
    attributes=st.sampled_from(
        [
            {"probability_attribute": "0"},
            {"probability_attribute": "1", "inference_attribute": "0"},
            {},
            {"ground_truth_attribute": "0", "probability_attribute": "0"},
        ]
    ),
    problem_type=st.sampled_from(["BinaryClassification", "Regression", "MulticlassClassification"]),
)
def test_csv_data_columns_read_like_payloads(
    rows: list[tuple[str, list[str]]], attributes: dict[str, str], problem_type: str
) -> None:
    environment = model_quality_environment(problem_type=problem_type)
    del environment["probability_attribute"]
    environment.update(attributes)
    reader = _LabelReader(environment, None, problem_type == "Regression")
    lines = [
        json.dumps(
            {
                "groundTruthData": {"data": truth, "encoding": "CSV"},
                "captureData": {"endpointOutput": {"data": ",".join(cells), "encoding": "CSV"}},
            }
        )
        for truth, cells in rows
    ]
    with tempfile.TemporaryDirectory() as directory:
        write_lines(Path(directory) / "m.jsonl", lines)
        fast_stats, payload_stats = ReadStats(), ReadStats()
        fast = [
            reader.read_csv(chunk.outputs, chunk.ground_truths, fast_stats)
            if isinstance(chunk, CsvChunk)
            else reader.read_payloads(chunk.outputs, chunk.ground_truths, fast_stats)
            for chunk in iter_merged_csv_chunks(Path(directory), fast_stats, reader.csv_types())
        ]
        payloads = [
            reader.read_payloads(chunk.outputs, chunk.ground_truths, payload_stats)
            for chunk in iter_merged_chunks(Path(directory), payload_stats)
        ]
    assert repr(fast) == repr(payloads)
    assert fast_stats.as_dict() == payload_stats.as_dict()


def test_ground_truth_past_the_memory_budget_merges_to_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture, truth = binary_capture(tmp_path, count=300)
    window = ("2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z")
    in_memory = run_merge(capture, truth, tmp_path / "memory", *window)
    monkeypatch.setattr(merge, "DEFAULT_MEMORY_BUDGET", 1)
    partitioned = run_merge(capture, truth, tmp_path / "partitioned", *window)
    assert partitioned.details == in_memory.details
    assert partitioned.files[0].name == in_memory.files[0].name
    assert sorted(partitioned.files[0].read_text().splitlines()) == sorted(
        in_memory.files[0].read_text().splitlines()
    )
    assert [path.name for path in (tmp_path / "partitioned").iterdir()] == [partitioned.files[0].name]
    statistics = []
    for name in ("memory", "partitioned"):
        run_analyzer(model_quality_environment(), {DATA: tmp_path / name}, tmp_path / f"{name}-out")
        metrics = json.loads((tmp_path / f"{name}-out" / "statistics.json").read_text())
        values = metrics["binary_classification_metrics"]
        statistics.append({key: item.get("value", item) for key, item in values.items()})
    assert statistics[0] == statistics[1]
