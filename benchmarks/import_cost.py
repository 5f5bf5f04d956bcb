"""Import cost of the provider's public modules next to the Amazon provider's SageMaker modules.

The target, printed first with a verdict: our operator and sensor modules add no more CPU time (user + sys of
a fresh interpreter) on top of the AWS base hook than the Amazon provider's SageMaker operator and sensor
modules do. Each contender runs in ``--runs`` fresh interpreters (at least 9), interleaved with the base
alone, the order rotating each round; the added CPU is the contender's minus the base's, for the minimum and
for the median.

Wall-clock figures are medians over ``--runs`` pairs of fresh interpreters (ours and theirs alternate, and
who goes first alternates too, so the machine's drift hits both alike), in two situations:

- *fresh*: nothing imported before, so the modules pay for Airflow itself as well;
- *after airflow*: ``import airflow`` ran first, untimed. Every process that parses or runs DAG files (DAG
  processor, task runner, worker) has Airflow loaded before it reads a DAG file, so this is what a DAG
  file's imports add.

Each shows both medians and the paired difference (ours minus theirs: median and the middle half of the
pairs). On Python 3.11 the *fresh* figure also moves by tens of milliseconds with the stack depth at which
Airflow happens to be imported: the interpreter maps and unmaps a 16 KiB frame-stack chunk each time the call
depth crosses a chunk boundary (visible as hundreds of extra ``mmap``/``munmap`` calls under ``strace -c``),
which depends on the first module that imports Airflow, not on the modules' own code.

Two figures without that noise:

- *on top of the base*: what ``python -X importtime`` attributes to each side's modules when the Amazon
  provider's base module both build on (``AwsBaseHook``'s or ``AwsBaseOperator``'s) was imported first: the
  modules' own cost, without the stack they share;
- *instructions* (with ``--instructions``; needs valgrind): instructions executed by a whole fresh interpreter
  run under callgrind, hash seed fixed; repeatable to a few parts per million whatever else the machine does.

Bytecode is cached first (one warm-up import with ``PYTHONDONTWRITEBYTECODE`` unset), as on a real DAG
processor; otherwise every run would measure compiling the sources. Run:
``python benchmarks/import_cost.py [--runs 21] [--instructions] [--target-only]``.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import re
import resource
import shutil
import statistics
import subprocess
import sys

import airflow_mm_provider.operators
import airflow_mm_provider.sensors

OURS_HOOK = ["airflow_mm_provider.hooks.model_monitor", "airflow_mm_provider.monitoring"]
OURS_DAG_FACING = sorted(
    info.name
    for package in (airflow_mm_provider.operators, airflow_mm_provider.sensors)
    for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")
)
"""Every operator and sensor module: what a DAG file may import."""
AMAZON_HOOK = "airflow.providers.amazon.aws.hooks.sagemaker"
AMAZON_OPERATORS = "airflow.providers.amazon.aws.operators.sagemaker"
AMAZON_DAG_FACING = [AMAZON_OPERATORS, "airflow.providers.amazon.aws.sensors.sagemaker"]
MIN_RUNS = 9
HOOK_BASE = "airflow.providers.amazon.aws.hooks.base_aws"
OPERATOR_BASE = "airflow.providers.amazon.aws.operators.base_aws"
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
SITUATIONS = {"fresh": "", "after airflow": "import airflow\n"}
"""Situation label -> untimed code run before the timed imports."""


def _imports(modules: list[str]) -> str:
    return "".join(f"import {m}\n" for m in modules)


def _wall(modules: list[str], preload: str = "") -> float:
    """Seconds a fresh interpreter takes to import ``modules`` after running ``preload`` (untimed)."""
    code = f"{preload}import time; t = time.perf_counter()\n{_imports(modules)}print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
    ).stdout
    return float(out.strip().splitlines()[-1])


def _cpu(modules: list[str]) -> float:
    """CPU seconds (user + sys) of a fresh interpreter that imports ``modules``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", _imports(modules)], check=True, env=ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _interleaved_cpu(runs: int, contenders: dict[str, list[str]]) -> dict[str, list[float]]:
    """CPU seconds of ``runs`` fresh interpreters per contender; the order rotates every round."""
    labels = list(contenders)
    times: dict[str, list[float]] = {label: [] for label in labels}
    for index in range(runs):
        shift = index % len(labels)
        for label in labels[shift:] + labels[:shift]:
            times[label].append(_cpu(contenders[label]))
    return times


def _cpu_target(runs: int) -> None:
    """Print the CPU each side's operators and sensors add on top of the AWS base hook, and the verdict."""
    base, amazon, ours = "AWS base hook alone", "+ Amazon's SageMaker operators, sensors", "+ ours"
    contenders = {
        base: [HOOK_BASE],
        amazon: [HOOK_BASE, *AMAZON_DAG_FACING],
        ours: [HOOK_BASE, *OURS_DAG_FACING],
    }
    times = _interleaved_cpu(runs, contenders)
    low = {label: min(values) * 1000 for label, values in times.items()}
    middle = {label: statistics.median(values) * 1000 for label, values in times.items()}
    added_low = {label: low[label] - low[base] for label in (amazon, ours)}
    added_middle = {label: middle[label] - middle[base] for label in (amazon, ours)}
    print(f"CPU (user + sys) of {runs} fresh interpreters each, interleaved, Python {sys.version.split()[0]}")
    _row(f"{base} (min / median)", f"{low[base]:6.0f} / {middle[base]:6.0f} ms")
    for label in (amazon, ours):
        _row(f"{label}: added (min / median)", f"{added_low[label]:+6.0f} / {added_middle[label]:+6.0f} ms")
    verdict = "met" if added_low[ours] <= added_low[amazon] else "NOT met"
    print(
        f"target: our operator and sensor modules add no more CPU on top of the AWS base hook than Amazon's "
        f"SageMaker ones: {verdict} (ours {added_low[ours]:+.0f} ms, Amazon's {added_low[amazon]:+.0f} ms, "
        f"min of {runs}; medians {added_middle[ours]:+.0f} ms and {added_middle[amazon]:+.0f} ms)"
    )


def _extra_after(first: str, modules: list[str]) -> float:
    """Seconds ``-X importtime`` attributes to ``modules`` (with what they load) imported after ``first``."""
    code = f"import {first}\n{_imports(modules)}"
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


def _instructions(modules: list[str]) -> int:
    """Instructions a fresh interpreter executes to import ``modules``, counted by valgrind's callgrind."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-c",
        _imports(modules),
    ]
    err = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**ENV, "PYTHONHASHSEED": "0"}
    ).stderr
    found = re.search(r"Collected : (\d+)", err)
    if found is None:
        raise RuntimeError(f"no instruction count in callgrind's output:\n{err[-2000:]}")
    return int(found[1])


def _paired(runs: int, theirs: list[str], ours: list[str], preload: str) -> list[tuple[float, float]]:
    """(theirs, ours) wall times per pair; who goes first alternates."""
    pairs = []
    for index in range(runs):
        if index % 2:
            our_time = _wall(ours, preload)
            pairs.append((_wall(theirs, preload), our_time))
        else:
            pairs.append((_wall(theirs, preload), _wall(ours, preload)))
    return pairs


def _row(label: str, value: str) -> None:
    print(f"{label:<68} {value}")


def _compare(
    runs: int, instructions: bool, labels: tuple[str, str], theirs: str, ours: list[str], base: str
) -> None:
    """Print the wall-clock, import-time and (optionally) instruction figures of one comparison."""
    their_label, our_label = labels
    for situation, preload in SITUATIONS.items():
        pairs = _paired(runs, [theirs], ours, preload)
        differences = sorted(our - their for their, our in pairs)
        low, _, high = statistics.quantiles(differences, n=4)
        _row(f"{their_label} ({situation})", f"{statistics.median(p[0] for p in pairs) * 1000:8.1f} ms")
        _row(f"{our_label} ({situation})", f"{statistics.median(p[1] for p in pairs) * 1000:8.1f} ms")
        spread = f"middle half [{low * 1000:+.1f}, {high * 1000:+.1f}]"
        _row(
            f"  paired difference, ours - theirs ({situation})",
            f"{statistics.median(differences) * 1000:+8.1f} ms   {spread}",
        )
    on_top = " on top of " + ".".join(base.rsplit(".", 2)[-2:])
    for label, modules in ((their_label, [theirs]), (our_label, ours)):
        seconds = statistics.median(_extra_after(base, modules) for _ in range(runs))
        _row(label + on_top, f"{seconds * 1000:8.1f} ms")
    if instructions:
        their_count, our_count = _instructions([theirs]), _instructions(ours)
        _row(f"{their_label} (instructions, fresh)", f"{their_count / 1e6:10.1f} M")
        _row(f"{our_label} (instructions, fresh)", f"{our_count / 1e6:10.1f} M")
        _row("  instruction difference, ours - theirs", f"{(our_count - their_count) / 1e6:+10.1f} M")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument(
        "--target-only", action="store_true", help="print only the CPU target and its verdict"
    )
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on the PATH")
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}")
    _wall([*AMAZON_DAG_FACING, *OURS_HOOK, *OURS_DAG_FACING])
    _cpu_target(args.runs)
    if args.target_only:
        return
    print(f"medians of {args.runs} runs each, Python {sys.version.split()[0]}")
    _compare(
        args.runs,
        args.instructions,
        ("Amazon SageMaker hook", f"our hook + monitoring ({len(OURS_HOOK)} modules)"),
        AMAZON_HOOK,
        OURS_HOOK,
        HOOK_BASE,
    )
    _compare(
        args.runs,
        args.instructions,
        ("Amazon SageMaker operators", f"our operators + sensors ({len(OURS_DAG_FACING)} modules)"),
        AMAZON_OPERATORS,
        OURS_DAG_FACING,
        OPERATOR_BASE,
    )


if __name__ == "__main__":
    main()
