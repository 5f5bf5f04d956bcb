"""Measurement harness shared by the benchmark scripts: fresh child processes, CPU time and peak RSS,
interleaved repeats, tables and target verdicts.

Every measured run is a new Python interpreter started with ``posix_spawn`` that loads the benchmark script
by path and calls one of its top-level functions. CPU time is user + system time of that child as the
kernel reports it to ``os.wait4`` (interpreter start and imports included, and any process the child
waited for); peak RSS is the child's ``VmHWM`` (Linux; ``ru_maxrss`` elsewhere). The parent only starts
children and keeps their small JSON results, so it stays small. The machine is shared and noisy: compare
ratios within one run, not figures across runs.

Used by the parent only through :func:`measure` / :func:`run_child`; ``python harness.py SCRIPT FUNCTION
RESULT_FILE ARGS_JSON`` is the child side.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import importlib.util
import inspect
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

FLOOR = "floor"
CONTENDER = "contender"
OURS = "ours"
INFORMATIVE = "info"
SIZE_SUFFIXES = {"k": 1_000, "m": 1_000_000}


class Target(NamedTuple):
    """A goal of a benchmark, the figure measured for it and whether it was reached."""

    goal: str
    measured: str
    met: bool


class ChildFailed(RuntimeError):
    """A measured child process exited with an error (its log's last lines are the message)."""


@dataclass(frozen=True)
class Sample:
    """One run of one child.

    :param cpu_seconds: user + system CPU seconds of the child.
    :param wall_seconds: wall-clock seconds from spawn to exit.
    :param peak_rss_mb: the child's peak resident set size, MB (2**20 bytes).
    :param result: what the child's function returned (JSON-decoded).
    """

    cpu_seconds: float
    wall_seconds: float
    peak_rss_mb: float
    result: Any


@dataclass(frozen=True)
class Entrant:
    """One row of a comparison: a function run in a child with fixed arguments.

    :param name: the row label.
    :param role: :data:`FLOOR`, :data:`CONTENDER`, :data:`OURS` or :data:`INFORMATIVE`.
    :param function: a top-level function of a benchmark script (JSON-serializable arguments and result).
    :param args: its arguments.
    :param after: called in the parent after each run (e.g. to remove what the run wrote).
    :param records: records it works on, when not the table's (for µs per record).
    """

    name: str
    role: str
    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    after: Callable[[], None] | None = None
    records: int | None = None


@dataclass
class Measured:
    """The samples of one entrant over the repeats, or why it stopped."""

    entrant: Entrant
    samples: list[Sample] = field(default_factory=list)
    failure: str | None = None

    @property
    def cpu_min(self) -> float:
        """Smallest CPU seconds over the samples."""
        return min(sample.cpu_seconds for sample in self.samples)

    @property
    def cpu_median(self) -> float:
        """Median CPU seconds over the samples."""
        return statistics.median(sample.cpu_seconds for sample in self.samples)

    @property
    def peak_rss_mb(self) -> float:
        """Largest peak RSS over the samples, MB."""
        return max(sample.peak_rss_mb for sample in self.samples)

    @property
    def result(self) -> Any:
        """The last run's result."""
        return self.samples[-1].result


def spread(values: list[float], unit: str, digits: int = 1) -> str:
    """``min X unit, median Y unit`` of ``values``."""
    return f"min {min(values):.{digits}f} {unit}, median {statistics.median(values):.{digits}f} {unit}"


def report(targets: list[Target]) -> None:
    """Print the TARGETS section: one verdict line per target."""
    print("TARGETS")
    for target in targets:
        print(f"  {target.goal}: {target.measured} -> {'met' if target.met else 'NOT met'}")


def machine() -> str:
    """One line naming the machine: cores, CPU model, memory, Python."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    return f"{os.cpu_count()} cores, {model}{memory}, Python {platform.python_version()}, {platform.system()}"


def parse_size(text: str) -> int:
    """``10k`` / ``1M`` / ``2500`` as a number of records."""
    text = text.strip().lower()
    scale = SIZE_SUFFIXES.get(text[-1:], 1)
    number = float(text[:-1] if scale > 1 else text)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive: {text!r}")
    return int(number * scale)


def size_label(records: int) -> str:
    """``10k`` / ``1M`` / ``2500``: the short form of a record count."""
    for suffix, scale in (("M", 1_000_000), ("k", 1_000)):
        if records >= scale and records % scale == 0:
            return f"{records // scale}{suffix}"
    return str(records)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``--repeats`` and ``--keep``, as every benchmark script takes them."""
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved runs of every row (>= 3 to quote)"
    )
    parser.add_argument("--keep", type=Path, help="generate the data into this directory and keep it")


@contextlib.contextmanager
def data_root(keep: Path | None) -> Iterator[Path]:
    """The directory the data goes to: ``keep`` (left in place), else a temporary one removed at exit."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    root = Path(tempfile.mkdtemp(prefix="mm-bench-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_child(function: Callable[..., Any], *args: Any) -> Sample:
    """Run ``function(*args)`` in a fresh interpreter and measure it; raises :class:`ChildFailed`."""
    script = Path(inspect.getfile(function)).resolve()
    with tempfile.TemporaryDirectory(prefix="mm-bench-child-") as scratch:
        result_file, log_file = Path(scratch) / "result.json", Path(scratch) / "log.txt"
        argv = [sys.executable, str(Path(__file__).resolve()), str(script), function.__name__]
        argv += [str(result_file), json.dumps(args)]
        output = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        actions = [
            (os.POSIX_SPAWN_OPEN, 1, str(log_file), *output),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ]
        started = time.perf_counter()
        pid = os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or not result_file.exists():
            tail = log_file.read_text(errors="replace").strip().splitlines()[-6:]
            raise ChildFailed(f"{function.__name__} exited with {code}: " + " | ".join(tail))
        reported = json.loads(result_file.read_text())
    peak_kib = reported["peak_rss_kib"] or usage.ru_maxrss
    return Sample(usage.ru_utime + usage.ru_stime, wall, peak_kib / 1024, reported["result"])


def measure(entrants: Sequence[Entrant], repeats: int) -> list[Measured]:
    """Run every entrant ``repeats`` times, round-robin (the first in each round rotates), in children.

    An entrant whose child fails is dropped from later rounds; its :attr:`Measured.failure` says why.
    Progress goes to stderr.
    """
    measured = [Measured(entrant) for entrant in entrants]
    for repeat in range(repeats):
        shift = repeat % len(measured)
        for row in measured[shift:] + measured[:shift]:
            if row.failure is not None:
                continue
            entrant = row.entrant
            try:
                sample = run_child(entrant.function, *entrant.args)
            except ChildFailed as error:
                row.failure = str(error)
                print(
                    f"  [{repeat + 1}/{repeats}] {entrant.name}: FAILED {error}", file=sys.stderr, flush=True
                )
                continue
            finally:
                if entrant.after is not None:
                    entrant.after()
            row.samples.append(sample)
            print(
                f"  [{repeat + 1}/{repeats}] {entrant.name}: {sample.cpu_seconds:.2f} s CPU, "
                f"{sample.peak_rss_mb:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    return measured


def table(measured: Sequence[Measured], records: int, reference: Measured) -> str:
    """The comparison table: CPU min / median, µs per record, peak RSS and CPU relative to ``reference``."""
    header = (
        f"{'role':<10}{'what':<48}{'CPU min s':>10}{'median s':>10}{'µs/rec':>9}{'peak MB':>9}{'×ref':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in measured:
        start = f"{row.entrant.role:<10}{row.entrant.name:<48}"
        if not row.samples:
            lines.append(f"{start}FAILED: {row.failure or 'no samples'}"[:300])
            continue
        per_record = row.cpu_min / (row.entrant.records or records) * 1e6
        line = f"{start}{row.cpu_min:>10.2f}{row.cpu_median:>10.2f}{per_record:>9.2f}"
        ratio = f"{row.cpu_min / reference.cpu_min:.2f}" if reference.samples else "-"
        lines.append(f"{line}{row.peak_rss_mb:>9.0f}{ratio:>7}")
    lines.append(f"(×ref: CPU min relative to {reference.entrant.name}; peak MB: largest of the repeats)")
    return "\n".join(lines)


def cpu_ratio_target(goal: str, ours: Measured, other: Measured, limit: float) -> Target:
    """``ours`` CPU (min) over ``other``'s, met when at most ``limit``; the median ratio is shown too."""
    if not ours.samples or not other.samples:
        return Target(goal, f"not measured ({ours.failure or other.failure})", False)
    ratio = ours.cpu_min / other.cpu_min
    median = ours.cpu_median / other.cpu_median
    measured = (
        f"{ratio:.2f}× (ours {ours.cpu_min:.2f} s, {other.entrant.name} {other.cpu_min:.2f} s; "
        f"median ratio {median:.2f}×)"
    )
    return Target(goal, measured, ratio <= limit)


def peak_target(goal: str, ours: Measured, limit_mb: float) -> Target:
    """``ours`` peak RSS at most ``limit_mb``."""
    if not ours.samples:
        return Target(goal, f"not measured ({ours.failure})", False)
    return Target(goal, f"{ours.peak_rss_mb:.0f} MB", ours.peak_rss_mb <= limit_mb)


def find(measured: Sequence[Measured], name: str) -> Measured:
    """The row named ``name``."""
    return next(row for row in measured if row.entrant.name == name)


def compare(
    rows: Sequence[Entrant],
    repeats: int,
    records: int,
    agreement: Callable[[Any, Any], str],
    reference: str | None = None,
) -> list[Measured]:
    """:func:`measure` the rows, print their table (CPU relative to the row named ``reference``, else to
    :func:`reference_row`) and, when a contender and ours both ran, ``agreement(theirs, ours)`` of their
    results."""
    measured = measure(rows, repeats)
    print(table(measured, records, find(measured, reference) if reference else reference_row(measured)))
    ran = {row.entrant.role: row.result for row in reversed(measured) if row.samples}
    if CONTENDER in ran and OURS in ran:
        print(agreement(ran[CONTENDER], ran[OURS]))
    return measured


def installed(*modules: str) -> list[str]:
    """The ``modules`` that cannot be imported here (empty when all can)."""
    return [module for module in modules if importlib.util.find_spec(module) is None]


def compile_bytecode(*packages: str) -> None:
    """Write the bytecode of this project's package and of ``packages`` (those installed), as ``pip install``
    does for an installed package.

    Without it, in an environment installed without bytecode (``uv pip install`` without
    ``--compile-bytecode``) and a shell that sets ``PYTHONDONTWRITEBYTECODE``, every child would compile
    each module it imports again (numpy alone costs about a tenth of a second of CPU), a cost no installed
    deployment pays and one that falls unevenly on the rows.
    """
    folders = [Path(__file__).resolve().parents[1] / "airflow_mm_provider"]
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            folders += [Path(location) for location in spec.submodule_search_locations]
    for folder in folders:
        compileall.compile_dir(folder, quiet=1)


def read_raw(paths: Sequence[str]) -> dict[str, int]:
    """Floor: read every file under ``paths`` (1 MiB at a time); child function."""
    total = 0
    for path in paths:
        for file in files_under(Path(path)):
            with open(file, "rb", buffering=0) as handle:
                while chunk := handle.read(1 << 20):
                    total += len(chunk)
    return {"bytes": total}


def csv_rows(file: str) -> dict[str, int]:
    """Floor: ``csv.reader`` over every row of ``file``; child function."""
    import csv

    rows = 0
    with open(file, newline="", encoding="utf-8") as handle:
        for _ in csv.reader(handle):
            rows += 1
    return {"rows": rows}


def generate_in_child(function: Callable[..., Any], directory: Path, records: int) -> dict[str, Any]:
    """``function(directory, records)`` in a child (the parent stays small), into an emptied ``directory``;
    its result with ``seconds``, the wall-clock time it took."""
    shutil.rmtree(directory, ignore_errors=True)
    started = time.perf_counter()
    result = run_child(function, str(directory), records).result
    return {**result, "seconds": time.perf_counter() - started}


def remover(path: Path) -> Callable[[], None]:
    """A callable removing ``path`` (an :attr:`Entrant.after` for rows that write output)."""
    return lambda: shutil.rmtree(path, ignore_errors=True)


def if_installed(entrant: Entrant, *modules: str) -> list[Entrant]:
    """``[entrant]`` when ``modules`` can be imported, else nothing (and a line saying which are missing)."""
    missing = installed(*modules)
    if missing:
        print(f"{entrant.name}: not installed, skipped: {', '.join(missing)} (the bench extra installs them)")
        return []
    return [entrant]


def csv_entrants(file: str, contender: str, function: Callable[..., Any], *modules: str) -> list[Entrant]:
    """The floors of a CSV benchmark (raw read and ``csv.reader`` of ``file``) and the contender ``function``
    of ``file`` when ``modules`` are installed."""
    floors = [
        Entrant("raw read (1 MiB reads)", FLOOR, read_raw, ([file],)),
        Entrant("csv.reader over all rows", FLOOR, csv_rows, (file,)),
    ]
    return floors + if_installed(Entrant(contender, CONTENDER, function, (file,)), *modules)


def reference_row(measured: Sequence[Measured]) -> Measured:
    """The row CPU is compared with: the first contender that ran, else the last floor."""
    contenders = [row for row in measured if row.entrant.role == CONTENDER and row.samples]
    return contenders[0] if contenders else [row for row in measured if row.entrant.role == FLOOR][-1]


def files_under(path: Path) -> list[Path]:
    """``path`` itself when it is a file, else the files below it in name order."""
    return [path] if path.is_file() else sorted(file for file in path.rglob("*") if file.is_file())


def _peak_rss_kib() -> int | None:
    """This process's peak RSS in KiB from ``/proc/self/status`` (None where there is no such file)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    if sys.platform == "darwin":
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return None


def _child_main(script: str, function: str, result_file: str, args: str) -> None:
    """Child side of :func:`run_child`: load ``script``, call ``function``, write the result file."""
    spec = importlib.util.spec_from_file_location("benchmark_script", script)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result = getattr(module, function)(*json.loads(args))
    Path(result_file).write_text(json.dumps({"result": result, "peak_rss_kib": _peak_rss_kib()}))


if __name__ == "__main__":
    _child_main(*sys.argv[1:])
