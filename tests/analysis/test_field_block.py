"""Plain CSV blocks split with numpy: the fields Python's own splitting finds, and their column views."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.field_block import FieldBlock

FIELD = st.one_of(
    st.sampled_from(["", "1", "ab", " x ", "é", "more than eight", "w" * 70]),
    st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=',\n\r"\x00'), max_size=20),
)


def _array(cells: np.ndarray | list[str]) -> np.ndarray:
    """Cells the block gave as a byte-string array."""
    assert isinstance(cells, np.ndarray)
    return cells


def _fields(block: FieldBlock, column: int) -> list[bytes]:
    """The bytes of ``column``'s spans."""
    starts, ends = block.spans(column)
    return [block.raw[start:end] for start, end in zip(starts.tolist(), ends.tolist(), strict=True)]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.lists(FIELD, min_size=1, max_size=4), max_size=30),
    ragged=st.booleans(),
    line_end=st.sampled_from([b"\n", b"\r\n"]),
    final_newline=st.booleans(),
)
def test_spans_and_cells_are_the_fields_of_each_line(
    lines: list[list[str]], ragged: bool, line_end: bytes, final_newline: bool
) -> None:
    if not ragged:
        lines = [(line * 4)[:4] for line in lines]
    encoded = [",".join(line).encode() for line in lines]
    raw = line_end.join(encoded) + (line_end if final_newline else b"")
    block = FieldBlock.split(raw)
    assert block is not None
    rows = [line.split(b",") for line in encoded if line]
    assert block.rows == len(rows)
    assert block.width == max((len(row) for row in rows), default=1)
    for column in range(block.width + 1):
        expected = [row[column] if column < len(row) else b"" for row in rows]
        assert _fields(block, column) == expected
        cells = block.cells(column)
        texts = cells.tolist() if isinstance(cells, np.ndarray) else [cell.encode() for cell in cells]
        assert texts == expected


def test_blank_lines_are_no_rows_and_line_ends_no_part_of_a_field() -> None:
    block = FieldBlock.split(b"1,ab\r\n\n,,x\r\n22,more than eight bytes\n")
    assert block is not None
    assert (block.rows, block.width) == (3, 3)
    assert _fields(block, 2) == [b"", b"x", b""]
    assert [_array(block.cells(column)).dtype.str for column in range(3)] == ["|S8", "|S24", "|S8"]
    assert _array(block.cells(1)).tolist() == [b"ab", b"", b"more than eight bytes"]


def test_a_column_with_a_long_field_is_given_as_text() -> None:
    block = FieldBlock.split(b"w" * 70 + b",z\n\xc3\xa9,y\n")
    assert block is not None
    assert block.cells(0) == ["w" * 70, "é"]
    assert _array(block.cells(1)).tolist() == [b"z", b"y"]


def test_blocks_needing_the_csv_rules_are_refused() -> None:
    assert FieldBlock.split(b'a,"b,c"\n') is None
    assert FieldBlock.split(b"a\rb\n") is None
    assert FieldBlock.split(b"a\0b\n") is None
    empty = FieldBlock.split(b"")
    assert empty is not None and empty.rows == 0


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.one_of(FIELD, st.just("a" * 17)), min_size=1, max_size=60))
def test_group_texts_counts_every_distinct_text(cells: list[str]) -> None:
    block = FieldBlock.split("".join(f"{cell},0\n" for cell in cells).encode())
    assert block is not None
    starts, ends = block.spans(0)
    groups = block.group_texts(starts, ends)
    counted = Counter(groups.longer)
    for start, end, count in zip(
        groups.starts.tolist(), groups.ends.tolist(), groups.counts.tolist(), strict=True
    ):
        assert block.raw[start:end] not in counted
        counted[block.raw[start:end]] = count
    assert counted == Counter(_fields(block, 0))
