"""Raw cells sorted into the value kinds of the data quality statistics, one column chunk at a time.

The kind rules are those stated in :mod:`~airflow_mm_provider.analysis.dq_statistics`; :func:`classify` is
their definition for one value. :func:`column_values` applies it to Python values (JSON records, rows from
the csv module) and :func:`span_values` to a column of a CSV
:class:`~airflow_mm_provider.analysis.field_block.FieldBlock`, where plain decimals are parsed in bulk by
:func:`~airflow_mm_provider.analysis.numeric_text.parse_decimals` (same kind, same double), texts that need no
decoding or stripping and cannot be numbers stay spans of the block (:class:`PlainTexts`), and every other
distinct cell goes through :func:`classify`. Either way a chunk becomes a :class:`ColumnValues`: its missing
count, its Integral and Fractional numbers and its String texts with their counts. Numbers are normalised
so that ``-0.0`` is ``0.0``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from airflow_mm_provider.analysis.field_block import FieldBlock, TextGroups
from airflow_mm_provider.analysis.numeric_text import parse_decimals
from airflow_mm_provider.analysis.value_hashes import short_text_hashes

__all__ = [
    "FRACTIONAL",
    "INTEGRAL",
    "STRING",
    "ColumnValues",
    "PlainTexts",
    "classify",
    "column_values",
    "span_values",
]

INTEGRAL = "Integral"
FRACTIONAL = "Fractional"
STRING = "String"

_INTEGRAL_TEXT = re.compile(r"[+-]?[0-9]+")
_FRACTIONAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_FIRST = frozenset("0123456789+-.")
_NUMBER_LAST = frozenset("0123456789.")
_PROBE = 256
_EMPTY = np.zeros(0)
_HIGH_BITS = np.uint64(0x8080808080808080)
_SPACES = frozenset(range(9, 14)) | frozenset(range(28, 33))
_NOT_FIRST = np.array([b not in _SPACES and chr(b) not in _NUMBER_FIRST for b in range(256)])
_NOT_LAST = np.array([b not in _SPACES for b in range(256)])


def classify(value: object) -> tuple[str, float | None, str] | None:
    """Sort one raw value into its kind.

    :param value: a raw cell: text from CSV, or ``int``/``float``/``bool``/``None``/other from JSON.
    :return: ``None`` when the value counts as missing, else ``(kind, number or None, text)`` where ``text``
        is the form used for category counts.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return STRING, None, "true" if value else "false"
    if isinstance(value, int):
        return INTEGRAL, float(value), str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return FRACTIONAL, value, repr(value)
        return STRING, None, repr(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text[0] not in _NUMBER_FIRST or text[-1] not in _NUMBER_LAST:
            return STRING, None, text
        if _INTEGRAL_TEXT.fullmatch(text):
            return INTEGRAL, float(int(text)), text
        if _FRACTIONAL_TEXT.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return FRACTIONAL, number, text
        return STRING, None, text
    return STRING, None, json.dumps(value, sort_keys=True, default=str)


class PlainTexts:
    """Distinct String texts of a :class:`FieldBlock` column that need no decoding or stripping.

    Each is ASCII, starts with neither a space nor a character a number can start with, and ends with no
    space, so it is a String whose text is its bytes; it stays a span of the block until its text is asked.

    :param raw: the block's bytes.
    :param starts: start offset of one occurrence of each text.
    :param ends: its end offset.
    :param counts: how often each text occurs.
    :param hashes: each text's :func:`~airflow_mm_provider.analysis.value_hashes.text_hashes` hash.
    """

    def __init__(
        self, raw: bytes, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, hashes: np.ndarray
    ) -> None:
        self.raw = raw
        self.starts = starts
        self.ends = ends
        self.counts = counts
        self.hashes = hashes

    def __len__(self) -> int:
        return int(self.counts.size)

    def texts(self, index: np.ndarray | None = None) -> list[str]:
        """The texts (all, or those at ``index``)."""
        starts, ends = (self.starts, self.ends) if index is None else (self.starts[index], self.ends[index])
        raw = self.raw
        return [
            raw[start:end].decode("ascii") for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
        ]


@dataclass
class ColumnValues:
    """One chunk of one column, sorted by kind.

    :param missing: missing cells.
    :param integral: the Integral numbers.
    :param fractional: the Fractional numbers.
    :param texts: each String text and how often it occurs.
    :param plain: more String texts, kept as spans of a CSV block.
    """

    missing: int = 0
    integral: np.ndarray = field(default_factory=lambda: _EMPTY)
    fractional: np.ndarray = field(default_factory=lambda: _EMPTY)
    texts: dict[str, int] = field(default_factory=dict)
    plain: PlainTexts | None = None

    @property
    def strings(self) -> int:
        """Number of String cells."""
        return sum(self.texts.values()) + (int(self.plain.counts.sum()) if self.plain else 0)


def column_values(values: Iterable[object]) -> ColumnValues:
    """Sort Python values (``None`` for a cell a short row lacks) into a :class:`ColumnValues`."""
    missing = 0
    numbers: dict[str, list[float]] = {INTEGRAL: [], FRACTIONAL: []}
    raw_texts: dict[str, int] = {}
    texts: dict[str, int] = {}
    for value in values:
        if isinstance(value, str):
            raw_texts[value] = raw_texts.get(value, 0) + 1
        elif isinstance(value, float) and math.isfinite(value):
            numbers[FRACTIONAL].append(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            numbers[INTEGRAL].append(float(value))
        elif value is None:
            missing += 1
        else:
            found, number, text = classify(value) or (STRING, None, "")
            if number is None:
                texts[text] = texts.get(text, 0) + 1
            else:
                numbers[found].append(number)
    chunk = ColumnValues(missing, _numbers(numbers[INTEGRAL]), _numbers(numbers[FRACTIONAL]), texts)
    _add_texts(chunk, raw_texts)
    return chunk


def span_values(block: FieldBlock, column: int) -> ColumnValues:
    """Sort the cells of ``column`` of a :class:`FieldBlock` into a :class:`ColumnValues`.

    The decimal parser first reads a probe of the first cells; a column where it finds no number in the
    probe (a text column) skips it, and its numbers, if any, are read by :func:`classify` instead.
    """
    starts, ends = block.spans(column)
    empty = starts == ends
    chunk = ColumnValues(int(np.count_nonzero(empty)))
    rest = ~empty
    probe = parse_decimals(block.data, starts[:_PROBE], ends[:_PROBE])
    if probe.parsed.any():
        parsed = probe if starts.size <= _PROBE else parse_decimals(block.data, starts, ends)
        numbers = parsed.values[parsed.parsed] + 0.0
        fractional = parsed.fractional[parsed.parsed]
        chunk.integral, chunk.fractional = numbers[~fractional], numbers[fractional]
        rest &= ~parsed.parsed
    if rest.any():
        groups = block.group_texts(starts[rest], ends[rest])
        plain = _plain(groups)
        chunk.plain = PlainTexts(
            block.raw,
            groups.starts[plain],
            groups.ends[plain],
            groups.counts[plain],
            short_text_hashes(
                groups.low[plain], groups.high[plain], groups.ends[plain] - groups.starts[plain]
            ),
        )
        raw_texts = dict(groups.longer)
        raw = block.raw
        other = ~plain
        for start, end, count in zip(
            groups.starts[other].tolist(),
            groups.ends[other].tolist(),
            groups.counts[other].tolist(),
            strict=True,
        ):
            raw_texts[raw[start:end]] = count
        texts: dict[str, int] = {}
        for text, count in raw_texts.items():
            decoded = text.decode("utf-8", errors="replace")
            texts[decoded] = texts.get(decoded, 0) + count
        _add_texts(chunk, texts)
    return chunk


def _plain(groups: TextGroups) -> np.ndarray:
    """Which short distinct texts are plain (see :class:`PlainTexts`)."""
    size = groups.ends - groups.starts
    last_word = np.where(size > 8, groups.high, groups.low)
    last = (last_word >> (((size - 1) % 8) * 8).astype(np.uint64)) & np.uint64(0xFF)
    plain: np.ndarray = (
        (((groups.low | groups.high) & _HIGH_BITS) == 0)
        & _NOT_FIRST[(groups.low & np.uint64(0xFF)).astype(np.intp)]
        & _NOT_LAST[last.astype(np.intp)]
    )
    return plain


def _add_texts(chunk: ColumnValues, counts: Mapping[str, int]) -> None:
    """Classify each distinct raw text of ``counts`` and add it to ``chunk`` as often as it occurs."""
    numbers: dict[str, list[float]] = {INTEGRAL: [], FRACTIONAL: []}
    repeats: dict[str, list[int]] = {INTEGRAL: [], FRACTIONAL: []}
    for raw, count in counts.items():
        parsed = classify(raw)
        if parsed is None:
            chunk.missing += count
        elif parsed[1] is None:
            chunk.texts[parsed[2]] = chunk.texts.get(parsed[2], 0) + count
        else:
            numbers[parsed[0]].append(parsed[1])
            repeats[parsed[0]].append(count)
    if numbers[INTEGRAL]:
        extra = np.repeat(_numbers(numbers[INTEGRAL]), repeats[INTEGRAL])
        chunk.integral = np.concatenate([chunk.integral, extra])
    if numbers[FRACTIONAL]:
        extra = np.repeat(_numbers(numbers[FRACTIONAL]), repeats[FRACTIONAL])
        chunk.fractional = np.concatenate([chunk.fractional, extra])


def _numbers(values: list[float]) -> np.ndarray:
    """``values`` as a float array with ``-0.0`` turned into ``0.0``."""
    return np.asarray(values, dtype=np.float64) + 0.0
