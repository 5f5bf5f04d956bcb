"""The CSV column reader of the bias analysis reads the cells the ``csv`` module reads."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.bias_columns import iter_csv_columns, split_block
from airflow_mm_provider.analysis.records import ReadStats

PLAIN = ["a", "1", "22", " x ", ",", ",", "\n", "\n", "\r\n", "é", "w" * 70, "\xff", "more than 8"]
"""Pieces of files the reader splits itself (``\xff`` stands for an invalid UTF-8 byte)."""
TRICKY = ['"', '"q,r"', '"l\nm"', "\r", "\0"]
"""Pieces that need the ``csv`` module's rules."""
_FILES = st.booleans().flatmap(
    lambda tricky: st.lists(
        st.lists(st.sampled_from(PLAIN + TRICKY if tricky else PLAIN), max_size=120).map("".join),
        min_size=1,
        max_size=3,
    )
)


def _text(cells: Any) -> list[str]:
    """Cells as text, whichever form the reader gave them."""
    if isinstance(cells, np.ndarray):
        return [cell.decode("utf-8", "replace") for cell in cells.tolist()]
    return list(cells)


def _reference(files: list[bytes], columns: list[int], header: bool) -> tuple[int, dict[int, list[str]]]:
    """Rows and cells as the ``csv`` module reads the files (a missing cell is empty)."""
    rows: list[list[str]] = []
    for data in files:
        found = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline="")))
        rows.extend(row for row in found[1 if header else 0 :] if row)
    return len(rows), {
        column: [row[column] if column < len(row) else "" for row in rows] for column in columns
    }


def _encode(text: str) -> bytes:
    """``text`` as UTF-8, with ``\\xff`` standing for an invalid byte."""
    return text.encode("utf-8").replace("\xff".encode(), b"\xff")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=_FILES,
    columns=st.lists(st.integers(0, 4), min_size=1, max_size=4, unique=True),
    header=st.booleans(),
    block_bytes=st.sampled_from([3, 16, 64, 1 << 20]),
    gzipped=st.booleans(),
)
def test_cells_are_those_of_the_csv_module(
    tmp_path_factory: Any, files: list[str], columns: list[int], header: bool, block_bytes: int, gzipped: bool
) -> None:
    directory: Path = tmp_path_factory.mktemp("csv")
    data = [_encode(text) for text in files]
    for number, content in enumerate(data):
        if gzipped:
            (directory / f"part{number}.csv.gz").write_bytes(gzip.compress(content))
        else:
            (directory / f"part{number}.csv").write_bytes(content)
    stats = ReadStats()
    found: dict[int, list[str]] = {column: [] for column in columns}
    for block in iter_csv_columns(directory, stats, columns, header=header, block_bytes=block_bytes):
        for column in columns:
            found[column].extend(_text(block[column]))
    rows, expected = _reference(data, columns, header)
    assert stats.records == rows
    assert found == expected


def test_plain_blocks_are_split_without_the_csv_module() -> None:
    rows, cells = split_block(b"1,ab\r\n\n,,x\n22,more than eight bytes\n", [0, 1, 2])
    assert rows == 3  # the empty line is no row
    assert (cells[0].dtype, cells[1].dtype) == (np.dtype("S8"), np.dtype("S21"))
    assert _text(cells[0]) == ["1", "", "22"]
    assert _text(cells[1]) == ["ab", "", "more than eight bytes"]
    assert _text(cells[2]) == ["", "x", ""]
    assert split_block(b"w" * 70 + b",z\n", [0]) == (1, {0: ["w" * 70]})
    rows, cells = split_block(b"", [3])
    assert (rows, len(cells[3])) == (0, 0)


def test_blocks_needing_the_csv_rules_are_refused() -> None:
    assert split_block(b'a,"b,c"\n', [0]) is None
    assert split_block(b"a\rb\n", [0]) is None
    assert split_block(b"a\0b\n", [0]) is None
