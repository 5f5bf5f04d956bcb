"""Columnar reading of CSV datasets: blocks of lines split into per-column field spans with numpy.

Files (``*.gz`` gunzipped) are read in blocks of whole lines of about :data:`BLOCK_SIZE` bytes. A block
ends at a line end outside quotes (after an even number of ``"``); the rest waits for the next block. Each
block comes out in one of two forms, with the same rows and cells the csv module gives (blank rows skipped;
with a header, each file's first csv row is skipped):

- :class:`FieldBlock` when the block has no quote, no NUL byte, no ``\\r`` other than in ``\\r\\n`` line ends
  and every line has the same number of fields: separators are found with numpy and each field is a span of
  the block's bytes (a line's ``\\r\\n`` end is not part of its last field). Cells are not stripped here; the
  caller decodes (UTF-8, invalid bytes replaced) and strips what it reads as text.
- otherwise rows of stripped strings from :func:`csv.reader`, as the row reader of
  :mod:`~airflow_mm_provider.analysis.records` gives them.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from airflow_mm_provider.analysis.numeric_text import padded
from airflow_mm_provider.analysis.records import ReadStats, iter_files

__all__ = ["BLOCK_SIZE", "SHORT_TEXT", "FieldBlock", "TextGroups", "iter_csv_blocks"]

BLOCK_SIZE = 8 << 20
_COMMA, _NEWLINE, _RETURN = ord(","), ord("\n"), ord("\r")
SHORT_TEXT = 16
_MIX = np.uint64(0x9E3779B97F4A7C15)
_KEEP = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)


class FieldBlock:
    """A block of CSV lines whose fields are spans of one buffer.

    :param raw: the block's bytes (whole lines, the last one ending with ``\\n``).
    :param data: ``raw`` as ``uint8`` followed by zero padding (see :func:`numeric_text.padded`).
    :param starts: ``(width, rows)`` start offsets of the fields, one row per column.
    :param ends: ``(width, rows)`` exclusive end offsets of the fields.
    """

    def __init__(self, raw: bytes, data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        self.raw = raw
        self.data = data
        self.starts = starts
        self.ends = ends

    @property
    def rows(self) -> int:
        """Number of lines."""
        return int(self.starts.shape[1])

    @property
    def width(self) -> int:
        """Number of fields per line."""
        return int(self.starts.shape[0])

    def spans(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and end offsets of ``column``'s fields."""
        return self.starts[column], self.ends[column]

    def group_texts(self, starts: np.ndarray, ends: np.ndarray) -> TextGroups:
        """The distinct byte strings among the spans ``[starts, ends)`` and how often each occurs.

        Spans of up to 16 bytes are grouped with numpy by their two 8-byte words (the block has no NUL
        byte, so the words identify the bytes): a hash of the words sorts them, and every group is checked
        to hold one word pair before it is trusted. Longer spans, and all spans should the check ever fail,
        are counted as Python bytes.
        """
        short = (ends - starts) <= SHORT_TEXT
        words = np.ndarray(shape=(len(self.data) - 7,), dtype="<u8", buffer=self.data, strides=(1,))
        size = ends[short] - starts[short]
        low = words[starts[short]] & _KEEP[np.minimum(size, 8)]
        high = words[starts[short] + 8] & _KEEP[np.clip(size - 8, 0, 8)]
        keys = low * _MIX ^ (high + (high >> np.uint64(29)))
        _, first, inverse, counts = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        if not (np.array_equal(low[first][inverse], low) and np.array_equal(high[first][inverse], high)):
            short[:] = False
            first = counts = np.zeros(0, dtype=np.int64)
        longer: dict[bytes, int] = {}
        raw = self.raw
        for start, end in zip(starts[~short].tolist(), ends[~short].tolist(), strict=True):
            longer[raw[start:end]] = longer.get(raw[start:end], 0) + 1
        index = np.flatnonzero(short)[first]
        return TextGroups(starts[index], ends[index], counts, low[first], high[first], longer)


class TextGroups(NamedTuple):
    """Distinct texts among some spans of a :class:`FieldBlock`.

    :param starts: a start offset of each distinct text of at most :data:`SHORT_TEXT` bytes.
    :param ends: its end offset.
    :param counts: how often it occurs.
    :param low: its first 8 bytes as a little-endian word, zero-padded.
    :param high: its next 8 bytes, likewise.
    :param longer: each longer distinct text and how often it occurs.
    """

    starts: np.ndarray
    ends: np.ndarray
    counts: np.ndarray
    low: np.ndarray
    high: np.ndarray
    longer: dict[bytes, int]


def iter_csv_blocks(
    path: Path, stats: ReadStats, *, header: bool = False, block_size: int = BLOCK_SIZE
) -> tuple[list[str] | None, Iterator[FieldBlock | list[list[str]]]]:
    """Read a CSV dataset (a file, or a directory of files in sorted order) in blocks.

    Returns ``(header, blocks)``: the stripped column names of the first file's first row when ``header`` is
    true (each file's first row is then skipped), and the blocks, each a :class:`FieldBlock` or a list of
    rows. ``stats.records`` counts the rows.
    """
    files = list(iter_files(path))
    names: list[str] | None = None
    if header:
        for file in files:
            with _open(file) as handle:
                first = next(csv.reader(io.StringIO(_text(_first_row(handle)), newline="")), None)
            if first:
                names = [cell.strip() for cell in first]
                break
    return names, _blocks(files, stats, header, block_size)


def _open(path: Path) -> BinaryIO:
    """Open a data file for binary reading, transparently gunzipping ``*.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115


def _text(raw: bytes) -> str:
    """UTF-8 text of ``raw``, invalid bytes replaced (as the row reader decodes)."""
    return raw.decode("utf-8", errors="replace")


def _first_row(handle: BinaryIO) -> bytes:
    """The bytes of the first CSV row: the first line, extended until its quotes are balanced."""
    row = handle.readline()
    while row.count(b'"') % 2:
        more = handle.readline()
        if not more:
            break
        row += more
    return row


def _blocks(
    files: list[Path], stats: ReadStats, header: bool, block_size: int
) -> Iterator[FieldBlock | list[list[str]]]:
    """The blocks of every file, in order."""
    for file in files:
        with _open(file) as handle:
            if header:
                rows = _csv_rows(_first_row(handle), skip_first=True)
                stats.records += len(rows)
                if rows:
                    yield rows
            for raw, quoted in _raw_blocks(handle, block_size):
                block = None if quoted else _split(raw)
                if block is None:
                    rows = _csv_rows(raw)
                    stats.records += len(rows)
                    if rows:
                        yield rows
                else:
                    stats.records += block.rows
                    yield block


def _csv_rows(raw: bytes, skip_first: bool = False) -> list[list[str]]:
    """The rows the csv module reads from ``raw`` (after its first row, blank or not, when ``skip_first``),
    cells stripped, blank rows skipped."""
    rows = csv.reader(io.StringIO(_text(raw), newline=""))
    if skip_first:
        next(rows, None)
    return [[cell.strip() for cell in row] for row in rows if row]


def _raw_blocks(handle: BinaryIO, block_size: int) -> Iterator[tuple[bytes, bool]]:
    """Blocks of whole lines ending outside quotes, and whether each holds a quote; the last line gets a
    ``\\n`` if it had none."""
    rest = b""
    while True:
        chunk = handle.read(block_size)
        if not chunk:
            break
        buffer = rest + chunk
        cut = buffer.rfind(b"\n") + 1
        quotes = buffer.count(b'"', 0, cut)
        while cut and quotes % 2:
            previous = buffer.rfind(b"\n", 0, cut - 1) + 1
            quotes -= buffer.count(b'"', previous, cut)
            cut = previous
        if not cut:
            rest = buffer
            continue
        rest = buffer[cut:]
        yield buffer[:cut], quotes > 0
    if rest:
        yield (rest if rest.endswith(b"\n") else rest + b"\n"), b'"' in rest


def _split(raw: bytes) -> FieldBlock | None:
    """Split a block without quotes into field spans, or ``None`` when it needs the csv module."""
    if b"\0" in raw:
        return None
    returns = raw.count(b"\r") if b"\r" in raw else 0
    if returns and returns != raw.count(b"\r\n"):
        return None
    array = np.frombuffer(raw, dtype=np.uint8)
    separators = np.flatnonzero((array == _COMMA) | (array == _NEWLINE))
    width = raw.count(b",", 0, raw.index(b"\n")) + 1
    rows = raw.count(b"\n")
    if len(separators) != rows * width or not np.all(array[separators[width - 1 :: width]] == _NEWLINE):
        return None
    ends = np.ascontiguousarray(separators.reshape(rows, width).T)
    starts = np.empty_like(ends)
    starts[1:] = ends[:-1] + 1
    starts[0, 0] = 0
    starts[0, 1:] = ends[-1, :-1] + 1
    data = padded(raw)
    if returns:
        ends[-1] -= data[ends[-1] - 1] == _RETURN
    if width == 1 and np.any(ends[0] == starts[0]):
        return None
    return FieldBlock(raw, data, starts, ends)
