"""Merge + model-quality analysis of captured binary-classification records, against the parse floor and
pandas + scikit-learn, at several sizes.

How to read this: per size, each row is one fresh process doing the work named on the same files (CPU
seconds user + sys, min and median of interleaved repeats; µs per record from the min; peak RSS, the
largest over repeats; last column: CPU relative to the msgspec floor). "ours" is ``run_merge`` then
``run_analyzer`` (model-quality baseline: statistics and suggested constraints), as the local service calls
them. The scaling table and the TARGETS verdicts close the output.

Data: N captured records (endpoint capture JSON Lines: 20 CSV features, a probability, ``inferenceId``;
files of 100k records) and ground truth for 99 % of them, in a random order. Rows:

- floor: raw read of the capture and ground-truth files; ``msgspec.json.decode`` of every line;
- info: ``orjson.loads`` of every line;
- contender: pandas ``read_json(lines=True)`` + ``json_normalize`` + merge on the ids, then scikit-learn's
  binary metrics (confusion matrix, accuracy, precision, recall, F0.5/F1/F2, ROC AUC, ROC and PR curves);
- ours: merge + model quality (the window filter on ``inferenceTime`` is ours only).

orjson and pandas run only up to ``--contender-max`` records (pandas holds every record as Python objects:
about 5 GB at 1M). Usage::

    python benchmarks/model_quality.py [--sizes 10k,100k,1M,4M] [--repeats 3] [--contender-max 1M]
        [--keep DIR]

Add ``10M`` to ``--sizes`` for the largest point of the scaling table (opt-in: it adds about ten minutes).

The bytecode of our package and of the libraries the rows import is compiled first
(:func:`harness.compile_bytecode`), as an installed package has it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import harness as h

FEATURES = 20
RECORDS_PER_FILE = 100_000
UNLABELLED_SHARE = 0.01
WINDOW_START = "2026-11-22T03:00:00Z"
WINDOW_END = "2026-11-22T04:00:00Z"
MERGED = "/opt/ml/processing/input/merged"
# the analysis job's environment as mm-local builds it for a model-quality execution (local/executions.py)
ENVIRONMENT = {
    "analysis_type": "MODEL_QUALITY",
    "problem_type": "BinaryClassification",
    "dataset_format": json.dumps(
        {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    ),
    "dataset_source": MERGED,
    "output_path": "/opt/ml/processing/output",
    "publish_cloudwatch_metrics": "Disabled",
    "start_time": WINDOW_START,
    "end_time": WINDOW_END,
    "metric_time": WINDOW_START,
    "probability_attribute": "0",
    "probability_threshold_attribute": "0.5",
}
DEFAULT_SIZES = "10k,100k,1M,4M"
MSGSPEC = "msgspec.json.decode per line"
OURS_NAME = "run_merge + run_analyzer (model quality)"
PANDAS = "pandas read_json + merge + scikit-learn"
FLOOR_LIMIT = 1.5
GROWTH_LIMIT = 1.2
PEAK_LIMIT_MB = 500.0


def generate(root: str, records: int, seed: int = 7) -> dict[str, Any]:
    """Child: write ``records`` captured records and their ground truth under ``root``."""
    import numpy as np
    import render as r

    rng = np.random.default_rng(seed)
    capture = Path(root) / "capture"
    truth = Path(root) / "ground-truth"
    capture_dir = capture / "endpoint" / "AllTraffic" / "2026" / "11" / "22" / "03"
    truth_dir = truth / "2026" / "11" / "22" / "04"
    capture_dir.mkdir(parents=True)
    truth_dir.mkdir(parents=True)
    probabilities = rng.random(records)
    labels = (rng.random(records) < probabilities).astype(np.int64)
    size = 0
    for part, first in enumerate(range(0, records, RECORDS_PER_FILE)):
        index = np.arange(first, min(records, first + RECORDS_PER_FILE))
        body = r.lines(_capture_texts(r, rng, index, probabilities[index], records))
        (capture_dir / f"{part:04d}-capture.jsonl").write_bytes(body)
        size += len(body)
    labelled = rng.permutation(records)[: records - int(records * UNLABELLED_SHARE)]
    for part, first in enumerate(range(0, len(labelled), RECORDS_PER_FILE)):
        index = labelled[first : first + RECORDS_PER_FILE]
        body = r.lines(
            [
                r.literal('{"groundTruthData":{"data":"', len(index)),
                r.integers(labels[index]),
                r.literal('","encoding":"CSV"},"eventMetadata":{"eventId":"inf-', len(index)),
                r.integers(index),
                r.literal('"},"eventVersion":"0"}', len(index)),
            ]
        )
        (truth_dir / f"{part:04d}.jsonl").write_bytes(body)
        size += len(body)
    return {"capture": str(capture), "truth": str(truth), "bytes": size}


def _capture_texts(r: Any, rng: Any, index: Any, probabilities: Any, records: int) -> list[Any]:
    """The rendered parts of the capture lines of records ``index``."""
    count = len(index)
    features = r.grouped(r.decimals(rng.uniform(-100.0, 100.0, count * FEATURES), 4), FEATURES, ",")
    event_id = r.joined([r.hexadecimal(rng, count, width) for width in (8, 4, 4, 4, 12)], "-")
    seconds = index * 3600 // records
    return [
        r.literal(
            '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"', count
        ),
        features,
        r.literal(
            '","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8",'
            '"mode":"OUTPUT","data":"',
            count,
        ),
        r.decimals(probabilities, 6),
        r.literal('","encoding":"CSV"}},"eventMetadata":{"eventId":"', count),
        event_id,
        r.literal('","inferenceId":"inf-', count),
        r.integers(index),
        r.literal('","inferenceTime":"2026-11-22T03:', count),
        r.fixed_digits(seconds // 60, 2),
        r.literal(":", count),
        r.fixed_digits(seconds % 60, 2),
        r.literal(".", count),
        r.fixed_digits(rng.integers(0, 1000, count), 3),
        r.literal('Z"},"eventVersion":"0"}', count),
    ]


def msgspec_lines(paths: list[str]) -> dict[str, int]:
    """Floor child: ``msgspec.json.decode`` of every line of the files under ``paths``."""
    import msgspec

    decode = msgspec.json.decode
    return {"lines": _each_line(paths, decode)}


def orjson_lines(paths: list[str]) -> dict[str, int]:
    """Informative child: ``orjson.loads`` of every line of the files under ``paths``."""
    import orjson

    return {"lines": _each_line(paths, orjson.loads)}


def _each_line(paths: list[str], decode: Any) -> int:
    """Call ``decode`` on every line of every file under ``paths``; the number of lines."""
    lines = 0
    for path in paths:
        for file in h.files_under(Path(path)):
            with open(file, "rb") as handle:
                for line in handle:
                    decode(line)
                    lines += 1
    return lines


def pandas_sklearn(capture: str, truth: str) -> dict[str, Any]:
    """Contender child: pandas reads, flattens and joins; scikit-learn computes the binary metrics."""
    import pandas as pd
    from sklearn import metrics

    def frame(path: str) -> Any:
        return pd.concat(
            [pd.read_json(file, lines=True) for file in h.files_under(Path(path))], ignore_index=True
        )

    captured = frame(capture)
    outputs = pd.json_normalize(captured["captureData"].tolist())
    events = pd.json_normalize(captured["eventMetadata"].tolist())
    scores = pd.DataFrame(
        {"id": events["inferenceId"], "score": outputs["endpointOutput.data"].astype(float)}
    )
    truths = frame(truth)
    labels = pd.DataFrame(
        {
            "id": pd.json_normalize(truths["eventMetadata"].tolist())["eventId"],
            "label": pd.json_normalize(truths["groundTruthData"].tolist())["data"].astype(int),
        }
    )
    merged = scores.merge(labels, on="id")
    truth_values, score = merged["label"].to_numpy(), merged["score"].to_numpy()
    predicted = (score >= 0.5).astype(int)
    true_negatives, false_positives, false_negatives, true_positives = metrics.confusion_matrix(
        truth_values, predicted, labels=[0, 1]
    ).ravel()
    metrics.roc_curve(truth_values, score)
    metrics.precision_recall_curve(truth_values, score)
    return {
        "matched": len(merged),
        "accuracy": metrics.accuracy_score(truth_values, predicted),
        "precision": metrics.precision_score(truth_values, predicted),
        "recall": metrics.recall_score(truth_values, predicted),
        "f0_5": metrics.fbeta_score(truth_values, predicted, beta=0.5),
        "f1": metrics.f1_score(truth_values, predicted),
        "f2": metrics.fbeta_score(truth_values, predicted, beta=2.0),
        "auc": metrics.roc_auc_score(truth_values, score),
        "false_positive_rate": int(false_positives) / int(false_positives + true_negatives),
        "true_positives": int(true_positives),
        "false_negatives": int(false_negatives),
    }


def ours(capture: str, truth: str, work: str) -> dict[str, Any]:
    """Our child: ``run_merge`` then the model-quality ``run_analyzer``, as the local service runs them."""
    from airflow_mm_provider.analysis.jobs import run_analyzer, run_merge

    started = time.process_time()
    merged, output = Path(work) / "merged", Path(work) / "report"
    merge = run_merge(Path(capture), Path(truth), merged, WINDOW_START, WINDOW_END)
    if merge.status != "Completed":
        raise SystemExit(f"merge {merge.status}: {merge.failure_reason}")
    merge_seconds = time.process_time() - started
    analysis = run_analyzer(ENVIRONMENT, {MERGED: merged}, output)
    if analysis.status != "Completed":
        raise SystemExit(f"analysis {analysis.status}: {analysis.failure_reason}")
    found = json.loads((output / "statistics.json").read_text())["binary_classification_metrics"]
    return {
        "matched": merge.details["matched"],
        "merge_seconds": merge_seconds,
        "analysis_seconds": time.process_time() - started - merge_seconds,
        **{name: found[name]["value"] for name in ("accuracy", "precision", "recall", "f1", "auc")},
    }


def entrants(data: dict[str, Any], work: Path, records: int, contender_max: int) -> list[h.Entrant]:
    """The rows run at one size."""
    files = [data["capture"], data["truth"]]
    rows = [
        h.Entrant("raw read (1 MiB reads)", h.FLOOR, h.read_raw, (files,)),
        h.Entrant(MSGSPEC, h.FLOOR, msgspec_lines, (files,)),
    ]
    if records <= contender_max:
        rows += h.if_installed(
            h.Entrant("orjson.loads per line", h.INFORMATIVE, orjson_lines, (files,)), "orjson"
        )
        contender = h.Entrant(PANDAS, h.CONTENDER, pandas_sklearn, (data["capture"], data["truth"]))
        rows += h.if_installed(contender, "pandas", "sklearn")
    mine = (data["capture"], data["truth"], str(work))
    return [*rows, h.Entrant(OURS_NAME, h.OURS, ours, mine, after=h.remover(work))]


def agreement(theirs: dict[str, Any], mine: dict[str, Any]) -> str:
    """How far our metrics are from scikit-learn's."""
    worst = max(abs(theirs[name] - mine[name]) for name in ("accuracy", "precision", "recall", "f1", "auc"))
    return (
        f"agreement with scikit-learn: matched {mine['matched']} vs {theirs['matched']}, largest difference "
        f"in accuracy / precision / recall / F1 / AUC {worst:.2g}"
    )


def run_size(records: int, root: Path, options: argparse.Namespace) -> list[h.Measured]:
    """Generate ``records`` records, run the rows interleaved, print the table; the data is removed after."""
    data_dir = root / f"data-{h.size_label(records)}"
    data = h.generate_in_child(generate, data_dir, records)
    print(
        f"\n== {h.size_label(records)} records: {data['bytes'] / 1e6:,.0f} MB of capture + ground truth "
        f"(generated in {data['seconds']:.1f} s)",
        flush=True,
    )
    if records > options.contender_max:
        print(
            "orjson and pandas + scikit-learn not run above --contender-max "
            f"{h.size_label(options.contender_max)}"
        )
    rows = entrants(data, root / "work", records, options.contender_max)
    measured = h.compare(rows, options.repeats, records, agreement, reference=MSGSPEC)
    mine = h.find(measured, OURS_NAME)
    if mine.samples:
        split = min(mine.samples, key=lambda sample: sample.cpu_seconds).result
        print(
            f"ours, fastest run: merge {split['merge_seconds']:.2f} s + analysis "
            f"{split['analysis_seconds']:.2f} s (process time inside the child; the rest is interpreter "
            "start and imports)"
        )
    if options.keep is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    return measured


def scaling(results: dict[int, list[h.Measured]]) -> str:
    """The scaling table: µs per record and peak RSS of ours and of the msgspec floor per size."""
    header = f"{'records':>8}{'ours µs/rec':>13}{'floor µs/rec':>14}{'ours/floor':>12}{'ours MB':>9}"
    header += f"{'floor MB':>10}"
    lines = [header, "-" * len(header)]
    for records, measured in results.items():
        mine, floor = h.find(measured, OURS_NAME), h.find(measured, MSGSPEC)
        if not mine.samples or not floor.samples:
            lines.append(f"{h.size_label(records):>8}  not measured ({mine.failure or floor.failure})")
            continue
        lines.append(
            f"{h.size_label(records):>8}{mine.cpu_min / records * 1e6:>13.2f}"
            f"{floor.cpu_min / records * 1e6:>14.2f}{mine.cpu_min / floor.cpu_min:>12.2f}"
            f"{mine.peak_rss_mb:>9.0f}{floor.peak_rss_mb:>10.0f}"
        )
    return "\n".join(lines)


def targets(results: dict[int, list[h.Measured]]) -> list[h.Target]:
    """The issue's targets for model quality, on the sizes that ran."""
    checked = []
    speed_size = 1_000_000 if 1_000_000 in results else max(size for size in results if size <= 1_000_000)
    checked.append(
        h.cpu_ratio_target(
            f"merge + model quality CPU <= {FLOOR_LIMIT}× msgspec floor at {h.size_label(speed_size)}",
            h.find(results[speed_size], OURS_NAME),
            h.find(results[speed_size], MSGSPEC),
            FLOOR_LIMIT,
        )
    )
    base = h.find(results[1_000_000], OURS_NAME) if 1_000_000 in results else None
    for size in sorted(size for size in results if size > 1_000_000):
        mine = h.find(results[size], OURS_NAME)
        goal = (
            f"peak RSS at {h.size_label(size)} <= {GROWTH_LIMIT}× the 1M figure and <= {PEAK_LIMIT_MB:.0f} MB"
        )
        if base is None or not base.samples or not mine.samples:
            checked.append(h.Target(goal, "not measured (needs 1M and this size)", False))
            continue
        growth = mine.peak_rss_mb / base.peak_rss_mb
        checked.append(
            h.Target(
                goal,
                f"{mine.peak_rss_mb:.0f} MB, {growth:.2f}× 1M's {base.peak_rss_mb:.0f} MB",
                growth <= GROWTH_LIMIT and mine.peak_rss_mb <= PEAK_LIMIT_MB,
            )
        )
    return checked


def main() -> None:
    """Parse the options, run every size, print the tables and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated record counts (10k, 1M, ...)")
    parser.add_argument(
        "--contender-max", type=h.parse_size, default=1_000_000, help="largest size orjson and pandas run at"
    )
    h.add_common_options(parser)
    options = parser.parse_args()
    sizes = sorted({h.parse_size(size) for size in options.sizes.split(",")})
    if sizes[0] > 1_000_000:
        parser.error("--sizes needs one size of at most 1M (the floor target is checked there)")
    h.compile_bytecode("numpy", "msgspec", "pandas", "sklearn", "scipy")
    print(f"model quality benchmark on {h.machine()}; {options.repeats} interleaved repeats")
    with h.data_root(options.keep) as root:
        results = {records: run_size(records, root, options) for records in sizes}
    print("\nscaling (CPU min per record; peak RSS max over repeats)")
    print(scaling(results))
    h.report(targets(results))


if __name__ == "__main__":
    main()
