"""Import cost of the provider's public modules next to the Amazon provider's SageMaker modules.

Each figure is the median over ``--runs`` fresh interpreters (ours and theirs measured alternately):

- *alone*: wall-clock time to import the modules in a fresh interpreter (Airflow itself included);
- *paired difference*: ours minus theirs within each pair of runs (median, and the middle half of the
  pairs), which cancels most of the machine's drift between runs;
- *on top of the base*: what ``python -X importtime`` attributes to each side's modules when the Amazon
  provider's base module both build on (``AwsBaseHook``'s or ``AwsBaseOperator``'s) was imported first: the
  modules' own cost, without the Airflow and Amazon stack they share, and with far less noise.

Bytecode is cached first (one warm-up import with ``PYTHONDONTWRITEBYTECODE`` unset), as on a real DAG
processor; otherwise every run would measure compiling the sources. Run:
``python benchmarks/import_cost.py [--runs 21]``.
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
HOOK_BASE = "airflow.providers.amazon.aws.hooks.base_aws"
OPERATOR_BASE = "airflow.providers.amazon.aws.operators.base_aws"
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
    """Seconds ``-X importtime`` attributes to ``modules`` (with what they load) imported after ``first``."""
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


def _paired(runs: int, theirs: list[str], ours: list[str]) -> list[tuple[float, float]]:
    """Wall times of ``theirs`` and ``ours`` per pair; who goes first alternates, so drift hits both."""
    pairs = []
    for index in range(runs):
        if index % 2:
            our_time = _wall(ours)
            pairs.append((_wall(theirs), our_time))
        else:
            pairs.append((_wall(theirs), _wall(ours)))
    return pairs


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    available = [m for m in OURS_DAG_FACING if _importable(m)]
    _wall([AMAZON_OPERATORS, *OURS_HOOK, *available])
    comparisons = [("Amazon SageMaker hook", AMAZON_HOOK, "our hook + monitoring", OURS_HOOK, HOOK_BASE)]
    if available:
        comparisons.append(
            (
                "Amazon SageMaker operators",
                AMAZON_OPERATORS,
                "our operators + sensors",
                available,
                OPERATOR_BASE,
            )
        )
    print(f"median of {args.runs} fresh interpreters each, Python {sys.version.split()[0]}")
    for their_label, theirs, our_label, ours, base in comparisons:
        pairs = _paired(args.runs, [theirs], ours)
        differences = sorted(our - their for their, our in pairs)
        quartiles = statistics.quantiles(differences, n=4)
        their_extra = statistics.median(_extra_after(base, [theirs]) for _ in range(args.runs))
        our_extra = statistics.median(_extra_after(base, ours) for _ in range(args.runs))
        print(f"{their_label + ' (alone)':<60} {statistics.median(p[0] for p in pairs) * 1000:8.1f} ms")
        print(
            f"{our_label + f' (alone, {len(ours)} modules)':<60} "
            f"{statistics.median(p[1] for p in pairs) * 1000:8.1f} ms"
        )
        label = "paired difference, ours - theirs [middle half]"
        print(
            f"{label:<60} {statistics.median(differences) * 1000:+8.1f} ms"
            f"   [{quartiles[0] * 1000:+.1f}, {quartiles[2] * 1000:+.1f}]"
        )
        on_top = " on top of " + ".".join(base.rsplit(".", 2)[-2:])
        print(f"{their_label + on_top:<60} {their_extra * 1000:8.1f} ms")
        print(f"{our_label + on_top:<60} {our_extra * 1000:8.1f} ms")


def _importable(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, env=ENV).returncode
        == 0
    )


if __name__ == "__main__":
    main()
