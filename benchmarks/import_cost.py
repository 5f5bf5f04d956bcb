"""Import cost of the provider's public modules next to the Amazon provider's SageMaker modules.

Each figure is the median over ``--runs`` fresh interpreters (ours and theirs measured alternately):

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


def _paired(runs: int, theirs: list[str], ours: list[str]) -> tuple[float, float]:
    """Median wall times of ``theirs`` and ``ours``, measured alternately so load drift hits both alike."""
    pairs = [(_wall(theirs), _wall(ours)) for _ in range(runs)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    available = [m for m in OURS_DAG_FACING if _importable(m)]
    _wall([AMAZON_OPERATORS, *OURS_HOOK, *available])
    comparisons = [("Amazon SageMaker hook", AMAZON_HOOK, "our hook + monitoring", OURS_HOOK)]
    if available:
        comparisons.append(
            ("Amazon SageMaker operators", AMAZON_OPERATORS, "our operators + sensors", available)
        )
    print(f"median of {args.runs} fresh interpreters each, Python {sys.version.split()[0]}")
    for their_label, theirs, our_label, ours in comparisons:
        their_time, our_time = _paired(args.runs, [theirs], ours)
        extra = statistics.median(_extra_after(theirs, ours) for _ in range(args.runs))
        print(f"{their_label + ' (alone)':<60} {their_time * 1000:8.1f} ms")
        print(f"{our_label + f' (alone, {len(ours)} modules)':<60} {our_time * 1000:8.1f} ms")
        print(f"{our_label + ' (extra after ' + theirs.rsplit('.', 2)[-2] + ')':<60} {extra * 1000:8.1f} ms")


def _importable(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, env=ENV).returncode
        == 0
    )


if __name__ == "__main__":
    main()
