"""Data-quality baseline (statistics + suggested constraints) of a mixed 20-column CSV, against the CSV parse
floor and pandas + Apache DataSketches.

How to read this: each row is one fresh process doing the work named on the same CSV file (CPU seconds user
+ sys, min and median of interleaved repeats; µs per row from the min; peak RSS, the largest over repeats;
last column: CPU relative to the contender). "ours" is ``run_analyzer``'s data-quality baseline job as the
local service calls it. The TARGETS verdicts close the output.

Data: N rows (default 1M) x 20 columns, seeded: 8 fractional, 7 integral and 5 string columns (one with
about 100k distinct values), 6 of them with missing cells. Rows:

- floor: raw read of the file; ``csv.reader`` over every row;
- contender: pandas ``read_csv`` + ``describe`` + a DataSketches ``kll_doubles_sketch(k=2048)`` per numeric
  column + ``value_counts`` of every column;
- ours: the data-quality baseline job.

Usage: ``python benchmarks/data_quality.py [--rows 1M] [--repeats 3] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import harness as h

ROWS_PER_BLOCK = 100_000
DATA = "/opt/ml/processing/input/baseline_dataset_input"
ENVIRONMENT = {
    "dataset_format": json.dumps({"csv": {"header": True}}),
    "dataset_source": DATA,
    "output_path": "/opt/ml/processing/output",
}
COUNTRIES = ["US", "DE", "FR", "GB", "IN", "BR", "JP", "CA", "ES", "IT", "MX", "NL", "SE", "PL", "AU"]
SEGMENTS = ["consumer", "small_business", "enterprise", "public_sector", "education", "non_profit"]
STATUSES = ["active", "inactive", "pending"]
DEVICES = ["ios", "android", "web", "desktop", "tv", "watch", "kiosk", "api", "voice", "other"]
MISSING_SHARE = {"income": 0.02, "temperature": 0.05, "visits": 0.01, "rating": 0.10, "country": 0.03}
MISSING_SHARE["device"] = 0.005
PANDAS = "pandas read_csv + describe + KLL + value_counts"
OURS_NAME = "run_analyzer (data-quality baseline)"
PEAK_LIMIT_MB = 300.0


def _columns(rng: Any, rows: int) -> dict[str, Any]:
    """The 20 columns of ``rows`` rows, rendered (name -> text)."""
    import render as r

    def pick(vocabulary: list[str], weights: Any = None) -> Any:
        return r.strings(vocabulary, rng.choice(len(vocabulary), rows, p=weights))

    zipf = 1.0 / (1 + rng.permutation(len(COUNTRIES)))
    return {
        "income": r.decimals(rng.lognormal(10.5, 0.6, rows), 2),
        "balance": r.decimals(rng.normal(1000.0, 5000.0, rows), 2),
        "score": r.decimals(rng.random(rows), 4),
        "temperature": r.decimals(rng.normal(20.0, 8.0, rows), 1),
        "ratio": r.decimals(rng.beta(2.0, 5.0, rows), 6),
        "latency_ms": r.decimals(rng.exponential(120.0, rows), 3),
        "price": r.decimals(rng.gamma(2.0, 30.0, rows), 2),
        "weight_kg": r.decimals(rng.normal(75.0, 12.0, rows), 1),
        "age": r.integers(rng.integers(18, 91, rows)),
        "visits": r.integers(rng.poisson(3.0, rows)),
        "items": r.integers(rng.poisson(12.0, rows)),
        "account_id": r.integers(rng.integers(1_000_000, 1_000_000_000, rows)),
        "flag": r.integers(rng.integers(0, 2, rows)),
        "year": r.integers(rng.integers(1990, 2026, rows)),
        "rating": r.integers(rng.integers(1, 6, rows)),
        "country": pick(COUNTRIES, zipf / zipf.sum()),
        "segment": pick(SEGMENTS),
        "status": pick(STATUSES, [0.7, 0.2, 0.1]),
        "device": pick(DEVICES),
        "user_tag": r.concat([r.literal("u", rows), r.integers(rng.integers(0, 100_000, rows))]),
    }


def generate(root: str, rows: int, seed: int = 11) -> dict[str, Any]:
    """Child: write the CSV of ``rows`` rows under ``root``."""
    import numpy as np
    import render as r

    rng = np.random.default_rng(seed)
    directory = Path(root) / "baseline"
    directory.mkdir(parents=True)
    file = directory / "data.csv"
    with open(file, "wb") as handle:
        for first in range(0, rows, ROWS_PER_BLOCK):
            count = min(ROWS_PER_BLOCK, rows - first)
            columns = _columns(rng, count)
            if first == 0:
                handle.write((",".join(columns) + "\n").encode())
            for name, share in MISSING_SHARE.items():
                columns[name] = r.blank_where(columns[name], rng.random(count) < share)
            handle.write(r.lines([r.joined(list(columns.values()), ",")]))
    return {"directory": str(directory), "file": str(file), "bytes": file.stat().st_size}


def pandas_sketches(file: str) -> dict[str, Any]:
    """Contender child: pandas reads and describes, DataSketches KLL per numeric column, value counts."""
    import numpy as np
    import pandas as pd
    from datasketches import kll_doubles_sketch

    frame = pd.read_csv(file)
    described = frame.describe()
    medians = {}
    for name in frame.select_dtypes("number"):
        sketch = kll_doubles_sketch(2048)
        sketch.update(np.array(frame[name].dropna(), dtype=np.float64))  # a writable copy, as it requires
        medians[name] = sketch.get_quantile(0.5)
    distinct = {name: int(frame[name].value_counts().size) for name in frame}
    return {
        "missing": {name: int(frame[name].isna().sum()) for name in frame},
        "mean": {name: float(described[name]["mean"]) for name in described},
        "median": medians,
        "distinct": distinct,
    }


def ours(directory: str, work: str) -> dict[str, Any]:
    """Our child: the data-quality baseline job on the CSV's directory."""
    from airflow_mm_provider.analysis.jobs import run_analyzer

    output = Path(work) / "baseline"
    outcome = run_analyzer(ENVIRONMENT, {DATA: Path(directory)}, output)
    if outcome.status != "Completed":
        raise SystemExit(f"{outcome.status}: {outcome.failure_reason}")
    features = json.loads((output / "statistics.json").read_text())["features"]
    found: dict[str, Any] = {"missing": {}, "mean": {}, "type": {}}
    for feature in features:
        name = feature["name"]
        found["type"][name] = feature["inferred_type"]
        numbers = feature.get("numerical_statistics")
        common = (numbers or feature.get("string_statistics") or {}).get("common", {})
        found["missing"][name] = common.get("num_missing")
        if numbers:
            found["mean"][name] = numbers["mean"]
    return found


def agreement(theirs: dict[str, Any], mine: dict[str, Any]) -> str:
    """How our statistics compare with pandas'."""
    same_missing = sum(mine["missing"].get(name) == count for name, count in theirs["missing"].items())
    shared = set(theirs["mean"]) & set(mine["mean"])
    worst = max(
        (
            abs(mine["mean"][name] - theirs["mean"][name]) / max(abs(theirs["mean"][name]), 1e-12)
            for name in shared
        ),
        default=float("nan"),
    )
    types: dict[str, int] = {}
    for kind in mine["type"].values():
        types[kind] = types.get(kind, 0) + 1
    return (
        f"agreement with pandas: missing counts equal in {same_missing}/{len(theirs['missing'])} columns; "
        f"means of {len(shared)} numeric columns within relative {worst:.1g}; our inferred types {types}"
    )


def main() -> None:
    """Parse the options, generate the CSV, run the rows interleaved, print the table and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=h.parse_size, default=1_000_000, help="CSV rows (10k, 1M, ...)")
    h.add_common_options(parser)
    options = parser.parse_args()
    h.compile_bytecode("numpy", "msgspec", "pandas", "datasketches")
    print(f"data quality benchmark on {h.machine()}; {options.repeats} interleaved repeats")
    with h.data_root(options.keep) as root:
        data = h.generate_in_child(
            generate, root / f"data-quality-{h.size_label(options.rows)}", options.rows
        )
        print(
            f"{h.size_label(options.rows)} rows x 20 columns: {data['bytes'] / 1e6:,.0f} MB CSV "
            f"(generated in {data['seconds']:.1f} s)",
            flush=True,
        )
        work = root / "work"
        rows = [
            *h.csv_entrants(data["file"], PANDAS, pandas_sketches, "pandas", "datasketches"),
            h.Entrant(OURS_NAME, h.OURS, ours, (data["directory"], str(work)), after=h.remover(work)),
        ]
        measured = h.compare(rows, options.repeats, options.rows, agreement)
    mine = h.find(measured, OURS_NAME)
    reference = h.reference_row(measured)
    checked: list[h.Target] = []
    if reference.entrant.role == h.CONTENDER:
        goal = "statistics + constraints CPU <= pandas + KLL + value_counts"
        checked.append(h.cpu_ratio_target(goal, mine, reference, 1.0))
    checked.append(h.peak_target(f"peak RSS <= {PEAK_LIMIT_MB:.0f} MB", mine, PEAK_LIMIT_MB))
    h.report(checked)


if __name__ == "__main__":
    main()
