"""A block of plain CSV lines split into field spans with numpy, and the column views the analyses read.

A block is plain when it has no quote, no NUL byte and no ``\\r`` other than in ``\\r\\n`` line ends: then
every field is the bytes between separators, as the csv module reads it. :meth:`FieldBlock.split` finds the
line ends and commas of such a block; a column's fields are spans ``[start, end)`` of its bytes
(:meth:`FieldBlock.spans`), computed when the column is asked for. Blank lines are no rows (the csv module
skips them); a row with fewer fields than the widest has empty spans for the fields it lacks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from airflow_mm_provider.analysis.numeric_text import padded

__all__ = ["SHORT_TEXT", "WIDEST_CELLS", "FieldBlock", "TextGroups"]

SHORT_TEXT = 16
"""Texts of at most this many bytes are grouped with numpy by :meth:`FieldBlock.group_texts`."""
WIDEST_CELLS = 64
"""Columns with a longer field are given as text by :meth:`FieldBlock.cells` (see there)."""
_COMMA, _NEWLINE, _RETURN = ord(","), ord("\n"), ord("\r")
_WORD = 8
_MIX = np.uint64(0x9E3779B97F4A7C15)
_KEEP = np.array([(1 << (8 * n)) - 1 for n in range(_WORD + 1)], dtype=np.uint64)
"""Keeps the first ``n`` bytes of a little-endian word."""


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


class FieldBlock:
    """A block of plain CSV lines whose fields are spans of one buffer.

    :param raw: the block's bytes (whole lines, the last one ending with ``\\n``).
    :param line_starts: start offset of each row (blank lines left out).
    :param line_ends: its end offset (before ``\\n`` or ``\\r\\n``).
    :param commas: the offsets of the commas: a ``(fields - 1, rows)`` array when every row has as many
        fields, else all of them in order.
    :ivar data: ``raw`` as ``uint8`` followed by zero padding (see :func:`numeric_text.padded`).
    :ivar width: number of fields of the widest row.
    """

    def __init__(
        self, raw: bytes, line_starts: np.ndarray, line_ends: np.ndarray, commas: np.ndarray
    ) -> None:
        self.raw = raw
        self.data = padded(raw)
        self._starts, self._ends, self._commas = line_starts, line_ends, commas
        self._first = self._count = np.zeros(0, dtype=np.intp)
        if commas.ndim == 1:
            self._first = np.searchsorted(commas, line_starts)
            self._count = np.searchsorted(commas, line_ends) - self._first
        self.width = len(commas) + 1 if commas.ndim == 2 else int(self._count.max(initial=0)) + 1

    @classmethod
    def split(cls, raw: bytes) -> FieldBlock | None:
        """Split whole lines (a missing final ``\\n`` is added); None when they are not plain."""
        if b'"' in raw or b"\0" in raw:
            return None
        returns = raw.count(b"\r") if b"\r" in raw else 0
        if returns and returns != raw.count(b"\r\n"):
            return None
        if raw and not raw.endswith(b"\n"):
            raw += b"\n"
        array = np.frombuffer(raw, dtype=np.uint8)
        separators = np.flatnonzero((array == _COMMA) | (array == _NEWLINE))
        rows, width = raw.count(b"\n"), raw.count(b",", 0, raw.find(b"\n")) + 1
        if len(separators) == rows * width and np.all(array[separators[width - 1 :: width]] == _NEWLINE):
            grid = np.ascontiguousarray(separators.reshape(rows, width).T)
            ends, commas = grid[-1], grid[:-1]
        else:
            newline = array[separators] == _NEWLINE
            ends, commas = separators[newline], separators[~newline]
        starts = np.empty_like(ends)
        starts[:1] = 0
        starts[1:] = ends[:-1] + 1
        if returns:
            ends = ends - (array[ends - 1] == _RETURN)
        filled = ends > starts
        if not filled.all():
            starts, ends = starts[filled], ends[filled]
            commas = commas[:, filled] if commas.ndim == 2 else commas
        return cls(raw, starts, ends, commas)

    @property
    def rows(self) -> int:
        """Number of rows."""
        return len(self._starts)

    def spans(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and end offsets of ``column``'s fields (equal where a row has no such field)."""
        if column >= self.width:
            return self._ends, self._ends
        if self._commas.ndim == 2:
            starts = self._starts if column == 0 else self._commas[column - 1] + 1
            ends = self._ends if column == self.width - 1 else self._commas[column]
            return starts, ends
        bounds, last = self._commas, len(self._commas) - 1
        present = self._count >= column
        starts = self._starts if column == 0 else bounds[np.minimum(self._first + column - 1, last)] + 1
        ends = np.where(self._count > column, bounds[np.minimum(self._first + column, last)], self._ends)
        return np.where(present, starts, ends), ends

    def cells(self, column: int) -> np.ndarray | list[str]:
        """``column``'s fields as a byte-string array (``S8``, ``S16``, ...), or as text (UTF-8, invalid
        bytes replaced) when one is longer than :data:`WIDEST_CELLS` bytes."""
        starts, ends = self.spans(column)
        sizes = ends - starts
        widest = int(sizes.max(initial=0))
        if widest > WIDEST_CELLS:
            raw = self.raw
            return [
                raw[start:end].decode("utf-8", "replace")
                for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
            ]
        words = self._words(starts, sizes, max(1, -(-widest // _WORD)))
        packed = words[0] if len(words) == 1 else np.stack(words, axis=1)
        return packed.view(f"S{len(words) * _WORD}").ravel()

    def group_texts(self, starts: np.ndarray, ends: np.ndarray) -> TextGroups:
        """The distinct byte strings among the spans ``[starts, ends)`` and how often each occurs.

        Spans of up to 16 bytes are grouped with numpy by their two 8-byte words (the block has no NUL
        byte, so the words identify the bytes): a hash of the words sorts them, and every group is checked
        to hold one word pair before it is trusted. Longer spans, and all spans should the check ever fail,
        are counted as Python bytes.
        """
        short = (ends - starts) <= SHORT_TEXT
        low, high = self._words(starts[short], ends[short] - starts[short], 2)
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

    def _words(self, starts: np.ndarray, sizes: np.ndarray, count: int) -> list[np.ndarray]:
        """The spans' first ``count`` little-endian 8-byte words, zero past each span's end (a ``uint64``
        array per word)."""
        words = np.ndarray(shape=(len(self.data) - _WORD + 1,), dtype="<u8", buffer=self.data, strides=(1,))
        found = []
        for offset in range(0, count * _WORD, _WORD):
            word: np.ndarray = words[starts + offset]
            word &= _KEEP[np.clip(sizes - offset, 0, _WORD)]
            found.append(word)
        return found
