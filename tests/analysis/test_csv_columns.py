"""Tests for the columnar CSV reader: the same rows and cells as the csv module, in either block form."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.csv_columns import FieldBlock, iter_csv_blocks
from airflow_mm_provider.analysis.records import ReadStats


def _rows(blocks) -> list[list[str]]:
    rows: list[list[str]] = []
    for block in blocks:
        if isinstance(block, FieldBlock):
            columns = [
                [
                    block.raw[a:b].decode("utf-8", "replace").strip()
                    for a, b in zip(*block.spans(j), strict=True)
                ]
                for j in range(block.width)
            ]
            rows.extend([list(row) for row in zip(*columns, strict=True)])
        else:
            rows.extend(block)
    return rows


def _expected(text: bytes, header: bool) -> list[list[str]]:
    rows = csv.reader(io.StringIO(text.decode("utf-8", "replace"), newline=""))
    if header:
        next(rows, None)
    return [[cell.strip() for cell in row] for row in rows if row]


CELL = st.one_of(
    st.sampled_from(["", "1", "-2.5", "abc", " x ", "é", "a b", '"q"', '"a,b"', '"l1\nl2"', "\r"]),
    st.text(alphabet="ab1.,", max_size=3),
)
LINE_END = st.sampled_from(["\n", "\n", "\n", "\r\n"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.tuples(st.lists(CELL, min_size=1, max_size=4), LINE_END), min_size=1, max_size=30),
    blank=st.booleans(),
    final_newline=st.booleans(),
    header=st.booleans(),
    block_size=st.sampled_from([8, 64, 1 << 20]),
)
def test_rows_match_the_csv_module(tmp_path, lines, blank, final_newline, header, block_size):
    text = "".join(",".join(cells) + end for cells, end in lines)
    if blank:
        text = "\n" + text + "\n"
    if not final_newline:
        text = text.rstrip("\n")
    path = tmp_path / f"{len(lines)}-{block_size}-{header}-{blank}.csv"
    path.write_bytes(text.encode())
    stats = ReadStats()
    names, blocks = iter_csv_blocks(path, stats, header=header, block_size=block_size)
    rows = _rows(blocks)
    expected = _expected(text.encode(), header)
    assert rows == expected
    assert stats.records == len(expected)
    if header:
        first = next(csv.reader(io.StringIO(text, newline="")), None)
        assert names == ([cell.strip() for cell in first] if first else None)


def test_plain_blocks_are_split_with_numpy_and_others_by_the_csv_module(tmp_path: Path):
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b\n1,x\r\n2,y\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(b'a,b\n1,"x,y"\n')
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(b"a,b\n1\n2,y\n")
    names, blocks = iter_csv_blocks(plain, ReadStats(), header=True)
    (block,) = list(blocks)
    assert names == ["a", "b"] and isinstance(block, FieldBlock)
    assert (block.rows, block.width) == (2, 2)
    assert [block.raw[a:b] for a, b in zip(*block.spans(1), strict=True)] == [b"x", b"y"]
    assert list(iter_csv_blocks(quoted, ReadStats(), header=True)[1]) == [[["1", "x,y"]]]
    assert list(iter_csv_blocks(ragged, ReadStats(), header=True)[1]) == [[["1"], ["2", "y"]]]


def test_gzip_files_and_directories_are_read_in_order(tmp_path: Path):
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(b"h\n3\n4\n"))
    (tmp_path / "a.csv").write_bytes(b"h\n1\n2\n")
    (tmp_path / "_SUCCESS").write_bytes(b"")
    names, blocks = iter_csv_blocks(tmp_path, ReadStats(), header=True)
    assert names == ["h"]
    assert _rows(blocks) == [["1"], ["2"], ["3"], ["4"]]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(
        st.one_of(
            st.text(
                alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=',\n\r"\x00'),
                max_size=20,
            ),
            st.just("a" * 17),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_group_texts_counts_every_distinct_text(tmp_path, cells):
    path = tmp_path / "texts.csv"
    path.write_bytes("".join(f"{cell},0\n" for cell in cells).encode())
    (block,) = list(iter_csv_blocks(path, ReadStats())[1])
    assert isinstance(block, FieldBlock)
    starts, ends = block.spans(0)
    groups = block.group_texts(starts, ends)
    counted = Counter(groups.longer)
    for start, end, count in zip(
        groups.starts.tolist(), groups.ends.tolist(), groups.counts.tolist(), strict=True
    ):
        assert block.raw[start:end] not in counted
        counted[block.raw[start:end]] = count
    assert counted == Counter(block.raw[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True))
