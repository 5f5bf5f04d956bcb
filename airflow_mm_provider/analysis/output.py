"""Deterministic writing of report files and the job exit message.

Reports are JSON with sorted keys, two-space indentation and Python's shortest round-trip float text, so the
same content always gives byte-identical files. Non-finite floats are written as the JSON extensions ``NaN``,
``Infinity`` and ``-Infinity`` (as Python's json module does); the standard-deviation placeholder that the
reference writes as the string ``"NaN"`` is produced by the callers as a string.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "CONSTRAINTS_FILE",
    "STATISTICS_FILE",
    "VIOLATIONS_FILE",
    "dumps",
    "exit_message",
    "write_json",
    "write_reports",
    "write_text",
]

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"


def _plain(value: Any) -> Any:
    """Turn numpy scalars and arrays (and other number-likes) into JSON-ready Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(document: Any) -> str:
    """Return the deterministic JSON text of ``document`` (ends with a newline)."""
    return json.dumps(document, sort_keys=True, indent=2, allow_nan=True, default=_plain) + "\n"


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (temporary file then rename); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)
    return path


def write_json(path: Path, document: Any) -> Path:
    """Write ``document`` as deterministic JSON to ``path``; return the path."""
    return write_text(path, dumps(document))


def write_reports(output_dir: Path, reports: Mapping[str, Any]) -> list[Path]:
    """Write each ``file name -> document`` under ``output_dir``; return the paths in name order."""
    return [write_json(Path(output_dir) / name, reports[name]) for name in sorted(reports)]


def exit_message(violation_count: int) -> str:
    """Return the processing job's exit message for a completed run with ``violation_count`` violations."""
    if violation_count == 0:
        return "Completed: Job completed successfully with no violations."
    return f"CompletedWithViolations: Job completed successfully with {violation_count} violations."
