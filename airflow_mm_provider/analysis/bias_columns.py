"""Columns of a CSV dataset read in blocks, for the bias analysis.

:func:`split_block` cuts a block of whole lines into the cells of the wanted columns with array operations (no
Python work per row); :func:`iter_csv_columns` reads files block by block. The cells are what the standard
``csv`` module reads (a missing cell reads as empty; cells are not trimmed: the bias rules trim): a block
holding a quote, a NUL byte or a carriage return that does not end a line needs the ``csv`` module's rules, so
from that block on the file is read by the ``csv`` module.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from airflow_mm_provider.analysis.records import ReadStats, iter_files

__all__ = ["BLOCK_BYTES", "iter_csv_columns", "split_block"]

BLOCK_BYTES = 1 << 20
"""Bytes read per block."""

_NEWLINE, _RETURN, _COMMA = 10, 13, 44
_WORD = 8
_MASKS = np.array([(1 << (8 * size)) - 1 for size in range(_WORD + 1)], dtype=np.uint64)
"""Keeps the first ``size`` bytes of a little-endian word."""
_WIDEST_GATHER = 64
"""Cells of a column wider than this are sliced one by one instead of gathered into a fixed-width array."""
_CSV_ROWS = 65_536
"""Rows per block when the ``csv`` module reads."""


def _words(block: bytes) -> np.ndarray:
    """``block`` as little-endian 8-byte words, zero-padded so every cell's bytes lie within two words."""
    return np.frombuffer(block + bytes(_WORD + (-len(block)) % _WORD), dtype="<u8")


def _narrow_cells(words: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cells of at most 8 bytes as an ``S8`` array, each loaded from the two words it spans."""
    word, offset = np.divmod(starts, _WORD)
    shift = (offset * 8).astype(np.uint64)
    low = words[word] >> shift
    high = np.where(offset > 0, words[word + 1] << (np.uint64(64) - shift), np.uint64(0))
    cells: np.ndarray = ((low | high) & _MASKS[lengths]).astype("<u8", copy=False).view("S8")
    return cells


def _cells(
    block: bytes, words: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> np.ndarray | list[str]:
    """The cells (``starts``, ``lengths``) of ``block`` as a byte-string array, or as text when wide."""
    width = int(lengths.max(initial=0))
    if width <= _WORD:
        return _narrow_cells(words, starts, lengths)
    if width > _WIDEST_GATHER:
        ends = starts + lengths
        return [
            block[s:e].decode("utf-8", "replace") for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    data = words.view(np.uint8)
    offsets = np.arange(width)
    positions = np.minimum(starts[:, None] + offsets, len(data) - 1)
    gathered = np.where(offsets < lengths[:, None], data[positions], 0).astype(np.uint8)
    return gathered.view(f"S{width}").ravel()


def split_block(block: bytes, columns: Sequence[int]) -> tuple[int, dict[int, Any]] | None:
    """The rows of a block of whole CSV lines (ending with a newline) and the cells of ``columns``.

    Empty lines are not rows. A cell past the end of its row is empty.

    :param block: the lines.
    :param columns: the wanted column indices.
    :returns: (number of rows, {column: cells}), cells as a byte-string array (or a list of text for wide
        columns); None when the block needs the ``csv`` module (a quote, a NUL byte, a lone carriage
        return).
    """
    if b'"' in block or b"\0" in block:
        return None
    if not block:
        return 0, {column: np.zeros(0, dtype="S8") for column in columns}
    data = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(data == _NEWLINE)
    starts = np.concatenate(([0], ends[:-1] + 1))
    if b"\r" in block:
        returns = np.flatnonzero(data == _RETURN)
        if (data[np.minimum(returns + 1, len(data) - 1)] != _NEWLINE).any():
            return None
        ends = ends - (data[ends - 1] == _RETURN)
    rows = ends > starts
    starts, ends = starts[rows], ends[rows]
    commas = np.flatnonzero(data == _COMMA)
    words = _words(block)
    first = np.searchsorted(commas, starts)
    count = np.searchsorted(commas, ends) - first
    bounds = np.append(commas, len(data))
    found: dict[int, Any] = {}
    for column in columns:
        begin = starts if column == 0 else bounds[np.minimum(first + column - 1, len(commas))] + 1
        end = np.where(count > column, bounds[np.minimum(first + column, len(commas))], ends)
        lengths = np.where(count >= column, end - begin, 0)
        found[column] = _cells(block, words, np.where(lengths > 0, begin, 0), lengths)
    return len(starts), found


def _csv_columns(
    handle: IO[bytes], columns: Sequence[int], skip: bool
) -> Iterator[tuple[int, dict[int, Any]]]:
    """Rows and column cells of the rest of ``handle``, read by the ``csv`` module."""
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
    rows = csv.reader(text)
    if skip:
        next(rows, None)
    records = (row for row in rows if row)
    while block := list(islice(records, _CSV_ROWS)):
        cells = {column: [row[column] if column < len(row) else "" for row in block] for column in columns}
        yield len(block), cells


def _open(path: Path) -> IO[bytes]:
    """Open a data file for binary reading, gunzipping ``*.gz``."""
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")  # noqa: SIM115


def _plain_header(line: bytes) -> bool:
    """Whether a header line is one row with no quoting (a carriage return may only end it)."""
    return b'"' not in line and b"\0" not in line and b"\r" not in line.removesuffix(b"\r")


def _file_columns(
    handle: IO[bytes], columns: Sequence[int], header: bool, block_bytes: int
) -> Iterator[tuple[int, dict[int, Any]]]:
    """Rows and column cells of one file, block by block."""
    offset, pending, skip = 0, b"", header
    while True:
        data = handle.read(block_bytes)
        block = pending + data
        cut = block.rfind(b"\n") + 1 if data else len(block)
        if not cut:
            pending = block
            if not data:
                return
            continue
        lines, pending = block[:cut], block[cut:]
        if not lines.endswith(b"\n"):
            lines += b"\n"
        body: bytes | None = lines
        if skip:
            newline = lines.find(b"\n")
            body = lines[newline + 1 :] if _plain_header(lines[:newline]) else None
        split = None if body is None else split_block(body, columns)
        if split is None:
            handle.seek(offset)
            yield from _csv_columns(handle, columns, skip)
            return
        yield split
        offset, skip = offset + cut, False
        if not data:
            return


def iter_csv_columns(
    path: Path, stats: ReadStats, columns: Sequence[int], *, header: bool, block_bytes: int = BLOCK_BYTES
) -> Iterator[dict[int, Any]]:
    """The cells of ``columns`` in blocks of rows of the CSV files at ``path`` (``*.gz`` gunzipped).

    :param path: a file, or a directory read as :func:`~airflow_mm_provider.analysis.records.iter_files`
        lists it.
    :param stats: counts the rows read.
    :param columns: the wanted column indices.
    :param header: whether each file starts with a header line (skipped).
    :param block_bytes: bytes read per block.
    :returns: blocks {column: cells}; cells are byte strings (a numpy array) or text.
    """
    for file in iter_files(path):
        with _open(file) as handle:
            for rows, cells in _file_columns(handle, columns, header, block_bytes):
                stats.records += rows
                if rows:
                    yield cells
