"""A fake analysis engine for the local Model Monitor service: records calls and answers a set outcome."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FakeOutcome:
    """What the fake engine answers."""

    status: str = "Completed"
    exit_message: str | None = "Completed: Job completed successfully with no violations."
    failure_reason: str | None = None


@dataclass
class FakeEngine:
    """Records calls, writes one report file, answers ``outcome``; ``gate`` (if set) blocks the run."""

    outcome: FakeOutcome = field(default_factory=FakeOutcome)
    calls: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)
    gate: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(
        self, mode: str, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Any:
        files = {
            k: sorted(p.relative_to(v).as_posix() for p in v.rglob("*") if p.is_file())
            for k, v in input_dirs.items()
        }
        with self.lock:
            self.calls.append((mode, dict(environment), files))
        if self.gate is not None:
            self.gate.wait(10)
        (Path(output_dir) / f"{mode}.json").write_text(json.dumps({"mode": mode}))
        return self.outcome

    def run_analyzer(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        return self._run("analyzer", environment, input_dirs, output_dir)

    def run_merge(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        return self._run("merge", environment, input_dirs, output_dir)

    def run_clarify(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        return self._run("clarify", environment, input_dirs, output_dir)
