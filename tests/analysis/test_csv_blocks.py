"""The CSV reader of the analyses reads the rows and cells the csv module reads, in either block form."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.csv_blocks import column_cells, iter_csv_blocks
from airflow_mm_provider.analysis.field_block import FieldBlock
from airflow_mm_provider.analysis.records import ReadStats

PLAIN = ["a", "1", "22", " x ", ",", ",", "\n", "\n", "\r\n", "é", "w" * 70, "\xff", "more than 8"]
"""Pieces of files numpy splits (``\xff`` stands for an invalid UTF-8 byte)."""
TRICKY = ['"', '"q,r"', '"l\nm"', "\r", "\0"]
"""Pieces that need the csv module's rules (a lone ``"`` opens a quoted field only where a field starts)."""
_FILES = st.booleans().flatmap(
    lambda tricky: st.lists(
        st.lists(st.sampled_from(PLAIN + TRICKY if tricky else PLAIN), max_size=120).map("".join),
        min_size=1,
        max_size=3,
    )
)
CELL = st.one_of(
    st.sampled_from(["", "1", "-2.5", "abc", " x ", "é", "a b", '"q"', '"a,b"', '"l1\nl2"', "\r"]),
    st.text(alphabet="ab1.,", max_size=3),
)
LINE_END = st.sampled_from(["\n", "\n", "\n", "\r\n"])
_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _text(cells: Any) -> list[str]:
    """Cells as text, whichever form the reader gave them."""
    if isinstance(cells, np.ndarray):
        return [cell.decode("utf-8", "replace") for cell in cells.tolist()]
    return list(cells)


def _encode(text: str) -> bytes:
    """``text`` as UTF-8, with ``\\xff`` standing for an invalid byte."""
    return text.encode("utf-8").replace("\xff".encode(), b"\xff")


def _csv_rows(data: bytes, header: bool) -> list[list[str]]:
    """The rows the csv module reads from a whole file (blank rows skipped)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline="")))
    return [row for row in rows[1 if header else 0 :] if row]


def _rows(blocks: Any, width: int) -> list[list[str]]:
    """The rows of the blocks, each padded with empty cells to ``width``."""
    rows: list[list[str]] = []
    for block in blocks:
        cells = column_cells(block, range(width))
        rows.extend(
            [list(row) for row in zip(*(_text(cells[column]) for column in range(width)), strict=True)]
        )
    return rows


@_SETTINGS
@given(
    files=_FILES,
    columns=st.lists(st.integers(0, 4), min_size=1, max_size=4, unique=True),
    header=st.booleans(),
    block_size=st.sampled_from([3, 16, 64, 1 << 20]),
    gzipped=st.booleans(),
)
def test_cells_are_those_of_the_csv_module(
    tmp_path_factory: Any, files: list[str], columns: list[int], header: bool, block_size: int, gzipped: bool
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
    for block in iter_csv_blocks(directory, stats, header=header, block_size=block_size)[1]:
        cells = column_cells(block, columns)
        for column in columns:
            found[column].extend(_text(cells[column]))
    rows = [row for content in data for row in _csv_rows(content, header)]
    assert stats.records == len(rows)
    assert found == {column: [row[column] if column < len(row) else "" for row in rows] for column in columns}


@_SETTINGS
@given(
    lines=st.lists(st.tuples(st.lists(CELL, min_size=1, max_size=4), LINE_END), min_size=1, max_size=30),
    blank=st.booleans(),
    final_newline=st.booleans(),
    header=st.booleans(),
    block_size=st.sampled_from([8, 64, 1 << 20]),
)
def test_rows_and_header_are_those_of_the_csv_module(
    tmp_path: Path, lines: Any, blank: bool, final_newline: bool, header: bool, block_size: int
) -> None:
    text = "".join(",".join(cells) + end for cells, end in lines)
    if blank:
        text = "\n" + text + "\n"
    if not final_newline:
        text = text.rstrip("\n")
    path = tmp_path / f"{len(lines)}-{block_size}-{header}-{blank}.csv"
    path.write_bytes(text.encode())
    names, blocks = iter_csv_blocks(path, ReadStats(), header=header, block_size=block_size)
    expected = _csv_rows(text.encode(), header)
    width = max((len(row) for row in expected), default=0)
    assert _rows(blocks, width) == [row + [""] * (width - len(row)) for row in expected]
    first = next(csv.reader(io.StringIO(text, newline="")), None) if header else None
    assert names == ([cell.strip() for cell in first] if first else None)


def test_plain_blocks_are_split_with_numpy_and_others_read_by_the_csv_module(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b" a ,b\n1,x\r\n\n2\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(b'a,b\n1," x,y"\n')
    names, blocks = iter_csv_blocks(plain, ReadStats(), header=True)
    (block,) = list(blocks)
    assert names == ["a", "b"] and isinstance(block, FieldBlock)
    assert (block.rows, block.width) == (2, 2)
    assert list(iter_csv_blocks(quoted, ReadStats(), header=True)[1]) == [[["1", " x,y"]]]


def test_the_csv_module_hands_back_at_the_first_piece_end_that_ends_a_row(tmp_path: Path) -> None:
    path = tmp_path / "spanning.csv"
    path.write_bytes(b'1,"a\n' + b"b\n" * 3 + b'c"\n' + b"2,d\n" * 4)
    blocks = list(iter_csv_blocks(path, ReadStats(), block_size=8)[1])
    assert blocks[0] == [["1", "a\nb\nb\nb\nc"]]
    assert all(isinstance(block, FieldBlock) for block in blocks[1:])
    assert _rows(blocks[1:], 2) == [["2", "d"]] * 4


def test_a_quoted_header_is_skipped_as_one_row(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b'"x\ny",z\n1,2\n3,4\n')
    names, blocks = iter_csv_blocks(path, ReadStats(), header=True, block_size=4)
    assert names == ["x\ny", "z"]
    assert _rows(blocks, 2) == [["1", "2"], ["3", "4"]]


def test_gzip_files_and_directories_are_read_in_order(tmp_path: Path) -> None:
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(b"h\n3\n4\n"))
    (tmp_path / "a.csv").write_bytes(b"h\n1\n2\n")
    (tmp_path / "_SUCCESS").write_bytes(b"")
    stats = ReadStats()
    names, blocks = iter_csv_blocks(tmp_path, stats, header=True)
    assert names == ["h"]
    assert _rows(blocks, 1) == [["1"], ["2"], ["3"], ["4"]]
    assert stats.records == 4


def test_column_cells_of_rows_are_empty_where_a_row_is_short() -> None:
    assert column_cells([["1", "a"], ["2"]], [1, 3]) == {1: ["a", ""], 3: ["", ""]}
