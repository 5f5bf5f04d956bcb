"""Clarify bias baseline (pre- and post-training metrics) of a CSV, against the CSV parse floor and
smclarify's ``bias_report``.

How to read this: each row is one fresh process doing the work named on the same CSV file (CPU seconds user
+ sys including interpreter start and imports, min and median of interleaved repeats; µs per row from the
min; peak RSS, the largest over repeats; last column: CPU relative to smclarify). "ours" is ``run_clarify``
as the local service calls it, on a config asking for every pre- and post-training metric; "ours, N/4 rows"
runs it on a quarter of the rows, to show whether memory follows the rows. The TARGETS verdicts close the
output.

Data: N rows (default 1M) shaped like the demo's bias data (``airflow_mm_provider.local.synthetic``):
features ``age``, ``income``, ``tenure``, the facet ``group`` (0/1), the group variable ``region`` (5
values), the ``label`` and the model's ``prediction``. Rows:

- floor: raw read of the file; ``csv.reader`` over every row;
- contender: pandas ``read_csv`` + smclarify ``bias_report`` pre-training and post-training, same facet,
  label, predicted label and group variable, the same metrics (all but FT, which needs the model);
- ours: ``run_clarify``.

Usage: ``python benchmarks/bias.py [--rows 1M] [--repeats 3] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import harness as h

ROWS_PER_BLOCK = 100_000
REGIONS = ["north", "south", "east", "west", "central"]
CONFIG_DIR = "/opt/ml/processing/input/config"
DATA_DIR = "/opt/ml/processing/input/data"
ENVIRONMENT = {"analysis_config": f"{CONFIG_DIR}/analysis_config.json", "dataset_source": DATA_DIR}
CONFIG = {
    "dataset_type": "text/csv",
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "group", "value_or_threshold": [0]}],
    "group_variable": "region",
    "predicted_label": "prediction",
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
}
SECTIONS = ("pre_training_bias_metrics", "post_training_bias_metrics")
SMCLARIFY = "pandas read_csv + smclarify bias_report"
OURS_NAME = "run_clarify (pre + post training)"
SMALL_NAME = "run_clarify, N/4 rows"
SPEED_LIMIT = 0.5
GROWTH_LIMIT = 1.2


def generate(root: str, rows: int, seed: int = 5) -> dict[str, Any]:
    """Child: write the CSV of ``rows`` rows and the analysis config under ``root``."""
    import numpy as np
    import render as r

    from airflow_mm_provider.local.synthetic import make_traffic

    traffic = make_traffic(rows, seed)
    region = np.random.default_rng(seed).integers(0, len(REGIONS), rows)
    data, config = Path(root) / "data", Path(root) / "config"
    data.mkdir(parents=True)
    config.mkdir()
    (config / "analysis_config.json").write_text(json.dumps(CONFIG))
    file = data / "bias.csv"
    with open(file, "wb") as handle:
        handle.write(b"age,income,tenure,group,region,label,prediction\n")
        for first in range(0, rows, ROWS_PER_BLOCK):
            block = slice(first, first + ROWS_PER_BLOCK)
            inputs = traffic.inputs[block]
            cells = [
                r.integers(inputs[:, 0].astype(np.int64)),
                r.decimals(inputs[:, 1], 2),
                r.decimals(inputs[:, 2], 2),
                r.integers(inputs[:, 3].astype(np.int64)),
                r.strings(REGIONS, region[block]),
                r.integers(traffic.labels[block]),
                r.integers(traffic.predictions[block]),
            ]
            handle.write(r.lines([r.joined(cells, ",")]))
    return {"data": str(data), "config": str(config), "file": str(file), "bytes": file.stat().st_size}


def smclarify_report(file: str) -> dict[str, float]:
    """Contender child: pandas reads the CSV, smclarify computes the same pre- and post-training metrics."""
    import pandas as pd
    from smclarify.bias import metrics, report

    frame = pd.read_csv(file)
    facet = report.FacetColumn("group", [0])
    label = report.LabelColumn("label", frame["label"], [1])
    predicted = report.LabelColumn("prediction", frame["prediction"], [1])
    pre_names = [metric.__name__ for metric in metrics.PRETRAINING_METRICS]
    post_names = [metric.__name__ for metric in metrics.POSTTRAINING_METRICS if metric.__name__ != "FT"]
    pre = report.bias_report(
        frame.drop(columns=["prediction"]),
        facet,
        label,
        report.StageType.PRE_TRAINING,
        None,
        pre_names,
        group_variable=frame["region"],
    )
    post = report.bias_report(
        frame,
        facet,
        label,
        report.StageType.POST_TRAINING,
        predicted,
        post_names,
        group_variable=frame["region"],
    )
    return {metric["name"]: float(metric["value"]) for part in (pre, post) for metric in part[0]["metrics"]}


def ours(data: str, config: str, work: str) -> dict[str, Any]:
    """Our child: ``run_clarify`` on the CSV, as a baseline job with every pre- and post-training metric."""
    from airflow_mm_provider.analysis.jobs import run_clarify

    output = Path(work) / "analysis"
    outcome = run_clarify(ENVIRONMENT, {CONFIG_DIR: Path(config), DATA_DIR: Path(data)}, output)
    if outcome.status != "Completed":
        raise SystemExit(f"{outcome.status}: {outcome.failure_reason}")
    analysis = json.loads((output / "analysis.json").read_text())
    values = {}
    for section in SECTIONS:
        for selections in analysis.get(section, {}).get("facets", {}).values():
            for metric in selections[0]["metrics"]:
                values[metric["name"]] = metric["value"]
    return values


def agreement(theirs: dict[str, Any], mine: dict[str, Any]) -> str:
    """How our metric values compare with smclarify's."""
    shared = sorted(set(theirs) & set(mine))
    numeric = [name for name in shared if isinstance(mine[name], float)]
    worst = max((abs(mine[name] - theirs[name]) for name in numeric), default=float("nan"))
    only = sorted(set(theirs) ^ set(mine))
    return (
        f"agreement with smclarify: {len(shared)} metrics in both, largest absolute difference {worst:.2g}"
        + (f"; in one only: {', '.join(only)}" if only else "")
    )


def main() -> None:
    """Parse the options, generate the CSVs, run the rows interleaved, print the table and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=h.parse_size, default=1_000_000, help="CSV rows (10k, 1M, ...)")
    h.add_common_options(parser)
    options = parser.parse_args()
    h.compile_bytecode("numpy", "msgspec", "pandas", "scipy", "smclarify")
    quarter = options.rows // 4
    print(f"bias benchmark on {h.machine()}; {options.repeats} interleaved repeats")
    with h.data_root(options.keep) as root:
        data, small = (
            h.generate_in_child(generate, root / f"bias-{h.size_label(rows)}", rows)
            for rows in (options.rows, quarter)
        )
        print(
            f"CSVs of {h.size_label(options.rows)} rows ({data['bytes'] / 1e6:,.0f} MB) and "
            f"{h.size_label(quarter)} rows ({small['bytes'] / 1e6:,.1f} MB) generated in "
            f"{data['seconds'] + small['seconds']:.1f} s",
            flush=True,
        )
        work = root / "work"
        rows = [
            *h.csv_entrants(data["file"], SMCLARIFY, smclarify_report, "pandas", "smclarify"),
            h.Entrant(
                OURS_NAME, h.OURS, ours, (data["data"], data["config"], str(work)), after=h.remover(work)
            ),
            h.Entrant(
                SMALL_NAME,
                h.INFORMATIVE,
                ours,
                (small["data"], small["config"], str(work)),
                after=h.remover(work),
                records=quarter,
            ),
        ]
        measured = h.compare(rows, options.repeats, options.rows, agreement)
    mine, small_run = h.find(measured, OURS_NAME), h.find(measured, SMALL_NAME)
    reference = h.reference_row(measured)
    checked: list[h.Target] = []
    if reference.entrant.role == h.CONTENDER:
        checked.append(
            h.cpu_ratio_target(f"bias CPU <= {SPEED_LIMIT}× smclarify", mine, reference, SPEED_LIMIT)
        )
    goal = (
        f"peak RSS at {h.size_label(options.rows)} rows <= {GROWTH_LIMIT}× at N/4 (memory follows the tables)"
    )
    if mine.samples and small_run.samples:
        growth = mine.peak_rss_mb / small_run.peak_rss_mb
        measured_text = f"{mine.peak_rss_mb:.0f} MB vs {small_run.peak_rss_mb:.0f} MB, {growth:.2f}×"
        checked.append(h.Target(goal, measured_text, growth <= GROWTH_LIMIT))
    else:
        checked.append(h.Target(goal, f"not measured ({mine.failure or small_run.failure})", False))
    h.report(checked)


if __name__ == "__main__":
    main()
