"""Throughput benchmark of the analysis engine: merge + model-quality analysis of captured records.

Generates N captured binary-classification records (endpoint capture JSON Lines, CSV-encoded features and
probability, with ``inferenceId``) and their ground truth, then, each in a fresh child process:

- the floor: stdlib ``json.loads`` of every line of the same capture and ground-truth files;
- the job: ``run_merge`` then ``run_analyzer`` (model quality, baseline), as the local service calls them.

Times are CPU seconds of the child (``time.process_time``), so other load on the machine disturbs them less.
Prints records/second and the child's peak RSS (Linux keeps a process's peak RSS across exec, so the data is
generated in a child too, keeping the parent that starts the measured children small). Targets: job time
within 2x the floor, peak RSS under 1.5 GB.

Usage: ``python benchmarks/analysis_throughput.py [--records N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FILES_PER_SIDE = 8
FEATURES = 20
WINDOW_START = "2026-11-22T03:00:00Z"
WINDOW_END = "2026-11-22T04:00:00Z"
CAPTURE_TEMPLATE = (
    '{{"captureData":{{"endpointInput":{{"observedContentType":"text/csv","mode":"INPUT",'
    '"data":"{features}","encoding":"CSV"}},'
    '"endpointOutput":{{"observedContentType":"text/csv; charset=utf-8",'
    '"mode":"OUTPUT","data":"{probability}","encoding":"CSV"}}}},"eventMetadata":{{"eventId":"{event_id}",'
    '"inferenceId":"{inference_id}","inferenceTime":"{time}"}},"eventVersion":"0"}}\n'
)


def generate(root: Path, records: int, seed: int = 7) -> tuple[Path, Path]:
    """Write ``records`` capture lines and their ground truth under ``root``; return both directories."""
    rng = random.Random(seed)
    capture_dir = root / "capture" / "endpoint" / "AllTraffic" / "2026" / "11" / "22" / "03"
    truth_dir = root / "ground-truth" / "2026" / "11" / "22" / "04"
    capture_dir.mkdir(parents=True)
    truth_dir.mkdir(parents=True)
    per_file = -(-records // FILES_PER_SIDE)
    for part in range(FILES_PER_SIDE):
        first, last = part * per_file, min(records, (part + 1) * per_file)
        if first >= last:
            break
        captures, truths = [], []
        for index in range(first, last):
            features = ",".join(f"{rng.uniform(-100, 100):.4f}" for _ in range(FEATURES))
            probability = rng.random()
            label = 1 if rng.random() < probability else 0
            event_id = f"{index:08x}-5f1c-4bd2-9a3e-{rng.getrandbits(48):012x}"
            inference_id = f"inf-{index}"
            minute, second = divmod(index % 3600, 60)
            captures.append(
                CAPTURE_TEMPLATE.format(
                    features=features,
                    probability=repr(probability),
                    event_id=event_id,
                    inference_id=inference_id,
                    time=f"2026-11-22T03:{minute:02d}:{second:02d}Z",
                )
            )
            truths.append(
                f'{{"groundTruthData":{{"data":"{label}","encoding":"CSV"}},'
                f'"eventMetadata":{{"eventId":"{inference_id}"}},"eventVersion":"0"}}\n'
            )
        (capture_dir / f"{part:02d}-00-000-capture.jsonl").write_text("".join(captures), encoding="utf-8")
        (truth_dir / f"{part:02d}00.jsonl").write_text("".join(truths), encoding="utf-8")
    return root / "capture", root / "ground-truth"


def generate_job(root: str, records: int, queue: Any) -> None:
    """Child process: generate the data (keeps the parent small, so children do not inherit its peak RSS)."""
    queue.put(tuple(str(path) for path in generate(Path(root), records)))


def _peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def floor_job(directories: list[str], queue: Any) -> None:
    """Child process: json.loads every line of the given directories."""
    started = time.process_time()
    lines = 0
    for directory in directories:
        for file in sorted(Path(directory).rglob("*.jsonl")):
            with open(file, encoding="utf-8") as handle:
                for line in handle:
                    json.loads(line)
                    lines += 1
    queue.put({"seconds": time.process_time() - started, "lines": lines, "peak_rss_mb": _peak_rss_mb()})


def analysis_job(capture: str, truth: str, work: str, queue: Any) -> None:
    """Child process: merge, then model-quality analysis through the job entry points."""
    from airflow_mm_provider.analysis.jobs import run_analyzer, run_merge

    started = time.process_time()
    merged = Path(work) / "merged"
    merge = run_merge(Path(capture), Path(truth), merged, WINDOW_START, WINDOW_END)
    merge_seconds = time.process_time() - started
    environment = {
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointOutput"]}}),
        "dataset_source": "/opt/ml/processing/input_data",
        "output_path": "/opt/ml/processing/output",
        "probability_attribute": "0",
        "probability_threshold_attribute": "0.5",
        "end_time": WINDOW_END,
    }
    analysis = run_analyzer(environment, {"/opt/ml/processing/input_data": merged}, Path(work) / "report")
    queue.put(
        {
            "seconds": time.process_time() - started,
            "merge_seconds": merge_seconds,
            "merge": {"status": merge.status, **{k: merge.details[k] for k in ("matched", "unmatched")}},
            "analysis": analysis.status,
            "failure": analysis.failure_reason,
            "peak_rss_mb": _peak_rss_mb(),
        }
    )


def _in_child(target: Any, *args: Any) -> Any:
    """Run ``target(*args, queue)`` in a fresh (spawned) process and return what it reported."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    """Generate the data, run the floor and the job, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="captured records to generate")
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    options = parser.parse_args()
    root = options.keep or Path(tempfile.mkdtemp(prefix="mm-bench-"))
    try:
        started = time.perf_counter()
        capture, truth = _in_child(generate_job, str(root / "data"), options.records)
        print(f"generated {options.records} records in {time.perf_counter() - started:.1f} s")
        floor = _in_child(floor_job, [capture, truth])
        job = _in_child(analysis_job, capture, truth, str(root / "work"))
        ratio = job["seconds"] / floor["seconds"]
        print(
            f"floor (json.loads of {floor['lines']} lines): {floor['seconds']:.2f} s, "
            f"{options.records / floor['seconds']:,.0f} records/s"
        )
        print(f"merge: {job['merge_seconds']:.2f} s {job['merge']}")
        print(
            f"merge + model quality: {job['seconds']:.2f} s, "
            f"{options.records / job['seconds']:,.0f} records/s, "
            f"analysis {job['analysis']} {job['failure'] or ''}".rstrip()
        )
        print(f"time / floor: {ratio:.2f} (target <= 2.0)")
        print(
            f"peak RSS of the job process: {job['peak_rss_mb']:.0f} MB (target < 1536 MB); "
            f"floor process: {floor['peak_rss_mb']:.0f} MB"
        )
    finally:
        if options.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
