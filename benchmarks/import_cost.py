"""Import cost of the provider's public modules next to the Amazon provider's SageMaker modules.

Each figure is the median over ``--runs`` fresh interpreters:

- *alone*: wall-clock time to import the modules in a fresh interpreter (Airflow itself included);
- *extra after Amazon*: what ``python -X importtime`` attributes to our modules when the Amazon provider's
  module was imported first, i.e. the cost the DAG processor pays on top of what it already loads.

Bytecode is cached first (one warm-up import with ``PYTHONDONTWRITEBYTECODE`` unset), as on a real DAG
processor; otherwise every run would measure compiling the sources. Run:
``python benchmarks/import_cost.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

OURS_HOOK = ["airflow_mm_provider.hooks.model_monitor", "airflow_mm_provider.monitoring"]
OURS_DAG_FACING = [
    "airflow_mm_provider.operators.baseline",
    "airflow_mm_provider.operators.schedule",
    "airflow_mm_provider.operators.branch",
    "airflow_mm_provider.operators.ground_truth",
    "airflow_mm_provider.sensors.execution",
    "airflow_mm_provider.sensors.schedule",
]
AMAZON_HOOK = "airflow.providers.amazon.aws.hooks.sagemaker"
AMAZON_OPERATORS = "airflow.providers.amazon.aws.operators.sagemaker"
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _wall(modules: list[str]) -> float:
    code = (
        "import time; t = time.perf_counter()\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
    ).stdout
    return float(out.strip().splitlines()[-1])


def _extra_after(first: str, modules: list[str]) -> float:
    """Seconds ``-X importtime`` attributes to ``modules`` (top-level entries) imported after ``first``."""
    code = f"import {first}\n" + "".join(f"import {m}\n" for m in modules)
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, env=ENV
    ).stderr
    seen_first = False
    total_us = 0
    for line in err.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        top_level = len(name) - len(name.lstrip()) == 1
        if top_level and seen_first:
            total_us += int(parts[1])
        seen_first = seen_first or (top_level and name.strip() == first)
    return total_us / 1e6


def _median(fn, runs: int, *args) -> float:
    return statistics.median(fn(*args) for _ in range(runs))


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    available = [m for m in OURS_DAG_FACING if _importable(m)]
    _wall([AMAZON_OPERATORS, *OURS_HOOK, *available])
    rows = [
        ("Amazon SageMaker hook (alone)", _median(_wall, args.runs, [AMAZON_HOOK])),
        ("our hook + monitoring (alone)", _median(_wall, args.runs, OURS_HOOK)),
        (
            "our hook + monitoring, extra after Amazon hook",
            _median(_extra_after, args.runs, AMAZON_HOOK, OURS_HOOK),
        ),
    ]
    if available:
        rows += [
            ("Amazon SageMaker operators (alone)", _median(_wall, args.runs, [AMAZON_OPERATORS])),
            (
                f"our operators + sensors (alone, {len(available)} modules)",
                _median(_wall, args.runs, available),
            ),
            (
                "our operators + sensors, extra after Amazon operators",
                _median(_extra_after, args.runs, AMAZON_OPERATORS, available),
            ),
        ]
    print(f"median of {args.runs} fresh interpreters, Python {sys.version.split()[0]}")
    for label, seconds in rows:
        print(f"{label:<60} {seconds * 1000:8.1f} ms")


def _importable(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, env=ENV).returncode
        == 0
    )


if __name__ == "__main__":
    main()
