"""Tests of deterministic report writing and exit messages."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from airflow_mm_provider.analysis.output import dumps, exit_message, write_json, write_reports


def test_dumps_sorts_keys_and_writes_non_finite_tokens() -> None:
    text = dumps({"b": math.nan, "a": [math.inf, -math.inf, 0.1]})
    assert text.index('"a"') < text.index('"b"')
    assert "NaN" in text and "Infinity" in text and "-Infinity" in text
    assert text.endswith("\n")


def test_dumps_converts_numpy_values() -> None:
    assert dumps({"x": np.float64(0.25), "n": np.int64(3), "v": np.array([1, 2])}) == dumps(
        {"x": 0.25, "n": 3, "v": [1, 2]}
    )


def test_same_document_gives_byte_identical_files(tmp_path: Path) -> None:
    document = {"z": {"b": 1.0 / 3.0, "a": [1, 2]}, "version": 0.0, "s": "NaN"}
    first = write_json(tmp_path / "one" / "statistics.json", document)
    second = write_json(tmp_path / "two" / "statistics.json", dict(reversed(list(document.items()))))
    assert first.read_bytes() == second.read_bytes()


def test_write_reports_returns_paths_in_name_order(tmp_path: Path) -> None:
    paths = write_reports(tmp_path, {"statistics.json": {}, "constraints.json": {"version": 0.0}})
    assert [path.name for path in paths] == ["constraints.json", "statistics.json"]
    assert not list(tmp_path.glob(".*"))


def test_exit_messages() -> None:
    assert exit_message(0) == "Completed: Job completed successfully with no violations."
    assert exit_message(3) == "CompletedWithViolations: Job completed successfully with 3 violations."
