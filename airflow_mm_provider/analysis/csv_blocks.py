"""The CSV reader of the analyses: datasets in blocks of whole lines, split with numpy or by the csv module.

Files (``*.gz`` gunzipped) are read in pieces of whole lines of about ``block_size`` bytes. A plain piece
(see :mod:`~airflow_mm_provider.analysis.field_block`) becomes a :class:`FieldBlock`; any other is read by
the csv module, which goes on into the next pieces while a quoted field runs on, and hands back to numpy at
the first piece end that is also a row end. Either way the rows and cells are those the csv module reads
from the whole file (UTF-8, invalid bytes replaced; blank rows skipped; with a header, each file's first
row skipped). Cells are not stripped.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import IO, Any, cast

from airflow_mm_provider.analysis.field_block import FieldBlock
from airflow_mm_provider.analysis.records import ReadStats, iter_files
from airflow_mm_provider.analysis.stopping import checkpoint

__all__ = ["BLOCK_SIZE", "CsvBlock", "column_cells", "iter_csv_blocks"]

BLOCK_SIZE = 8 << 20
"""Bytes read per block unless the caller asks otherwise."""
_CSV_ROWS = 65_536
"""Rows per block at most when the csv module reads."""
_HEADER_READ = 1 << 16
"""Bytes read at a time while looking for a header row."""
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
"""A line as the csv module is given it when a file is opened with ``newline=""``."""

CsvBlock = FieldBlock | list[list[str]]
"""A block of rows: split with numpy, or rows of cells from the csv module."""


def iter_csv_blocks(
    path: Path, stats: ReadStats, *, header: bool = False, block_size: int = BLOCK_SIZE
) -> tuple[list[str] | None, Iterator[CsvBlock]]:
    """Read a CSV dataset (a file, or a directory as :func:`~airflow_mm_provider.analysis.records.iter_files`
    lists it) in blocks.

    :param path: the dataset.
    :param stats: counts the rows read in ``records``.
    :param header: whether each file's first row is a header (then skipped).
    :param block_size: bytes read at a time.
    :returns: ``(names, blocks)``: the stripped cells of the first non-empty first row of a file when
        ``header`` is true (else None), and the blocks that hold rows.
    """
    files = list(iter_files(path))
    names: list[str] | None = None
    for file in files if header else ():
        with _open(file) as handle:
            first = next(csv.reader(_Lines(_pieces(handle, _HEADER_READ))), None)
        if first:
            names = [cell.strip() for cell in first]
            break
    return names, _blocks(files, stats, header, block_size)


def column_cells(block: CsvBlock, columns: Sequence[int]) -> dict[int, Any]:
    """The cells of ``columns`` in a block: byte-string arrays (see :meth:`FieldBlock.cells`) or lists of
    text; a cell a row lacks is empty."""
    if isinstance(block, FieldBlock):
        return {column: block.cells(column) for column in columns}
    return {column: [row[column] if column < len(row) else "" for row in block] for column in columns}


def _open(path: Path) -> IO[bytes]:
    """Open a data file for binary reading, gunzipping ``*.gz``."""
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")  # noqa: SIM115


def _blocks(files: list[Path], stats: ReadStats, header: bool, block_size: int) -> Iterator[CsvBlock]:
    """The blocks of every file, in order."""
    for file in files:
        with _open(file) as handle:
            for block in _file_blocks(_pieces(handle, block_size), header):
                rows = block.rows if isinstance(block, FieldBlock) else len(block)
                stats.records += rows
                if rows:
                    yield block


def _file_blocks(pieces: Iterator[bytes], header: bool) -> Iterator[CsvBlock]:
    """The blocks of one file's pieces; the first row is skipped when ``header``."""
    for piece in pieces:
        if header:
            header = False
            first = piece.find(b"\n") + 1 or len(piece)
            if not _plain(piece[:first]):
                yield from _csv_blocks(chain([piece], pieces), skip=True)
                continue
            piece = piece[first:]
        block = FieldBlock.split(piece)
        if block is None:
            yield from _csv_blocks(chain([piece], pieces), skip=False)
        else:
            yield block


def _plain(line: bytes) -> bool:
    """Whether a line is one row the csv module reads without quoting rules."""
    return b'"' not in line and b"\r" not in line.removesuffix(b"\n").removesuffix(b"\r")


def _csv_blocks(pieces: Iterator[bytes], skip: bool) -> Iterator[list[list[str]]]:
    """Rows the csv module reads from ``pieces`` up to the first piece end that is a row end (after the
    first row when ``skip``), in blocks of at most :data:`_CSV_ROWS` rows."""
    lines = _Lines(pieces)
    reader = csv.reader(lines)
    if skip:
        next(reader, None)
    rows: list[list[str]] = []
    while not lines.piece_end:
        row = next(reader, None)
        if row is None:
            break
        if row:
            rows.append(row)
        if len(rows) == _CSV_ROWS:
            yield rows
            rows = []
    if rows:
        yield rows


class _Lines:
    """The lines of some pieces as the csv module reads them, telling whether the last one given ended a
    piece.

    :param pieces: byte pieces of whole lines.
    """

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._lines: list[str] = []
        self._next = 0
        self.piece_end = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        while self._next == len(self._lines):
            self._lines = _LINE.findall(next(self._pieces).decode("utf-8", "replace"))
            self._next = 0
        line = self._lines[self._next]
        self._next += 1
        self.piece_end = self._next == len(self._lines)
        return line


def _pieces(handle: IO[bytes], block_size: int) -> Iterator[bytes]:
    """Pieces of about ``block_size`` bytes that end with a line end (the last one as the file ends)."""
    rest = b""
    while chunk := handle.read(block_size):
        checkpoint()
        buffer = rest + chunk
        cut = buffer.rfind(b"\n") + 1
        rest = buffer[cut:]
        if cut:
            yield buffer[:cut]
    if rest:
        yield rest
