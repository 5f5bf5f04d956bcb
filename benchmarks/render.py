"""Vectorized text for the benchmark data generators: columns of numbers or strings become CSV cells or
JSON Lines fields without a Python loop per value, so ten million records take about a minute to write.

A :class:`Text` holds one fixed-width byte string per record plus a mask of the bytes to keep; :func:`lines`
lays texts side by side and drops the masked bytes, so values of varying width (leading zeros, signs,
missing cells, strings of different lengths) cost no per-record work. Arrays are stored one row per byte
position (``(width, records)``), so laying texts side by side copies whole rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
ZERO = ord("0")


@dataclass(frozen=True)
class Text:
    """Rendered values, one per record.

    :param chars: ``(width, records)`` bytes: row ``i`` holds byte ``i`` of every record's value.
    :param keep: ``(width, records)`` which of those bytes are part of the value.
    """

    chars: np.ndarray
    keep: np.ndarray

    @property
    def records(self) -> int:
        """Number of records."""
        return int(self.chars.shape[1])


def _all(chars: np.ndarray) -> Text:
    """``chars`` with every byte kept."""
    return Text(chars, np.ones(chars.shape, dtype=bool))


def literal(text: str, records: int) -> Text:
    """The same ``text`` on every record."""
    row = np.frombuffer(text.encode(), dtype=np.uint8)
    return _all(np.repeat(row[:, None], records, axis=1))


def fixed_digits(values: np.ndarray, width: int) -> Text:
    """Non-negative integers as exactly ``width`` digits, zero-padded (larger values lose high digits)."""
    values = np.asarray(values, dtype=np.int64)
    chars = np.empty((width, len(values)), dtype=np.uint8)
    for position in range(width):
        chars[width - 1 - position] = values // 10**position % 10
    chars += ZERO
    return _all(chars)


def integers(values: np.ndarray) -> Text:
    """Integers in shortest decimal form, with ``-`` when negative."""
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values)
    width = len(str(int(magnitude.max()))) if len(values) else 1
    length = np.ones(len(values), dtype=np.int64)
    for power in range(1, width):
        length += magnitude >= 10**power
    text = Text(fixed_digits(magnitude, width).chars, np.arange(width)[:, None] >= width - length)
    negative = values < 0
    return concat([_sign(negative), text]) if negative.any() else text


def decimals(values: np.ndarray, places: int) -> Text:
    """Numbers rounded to ``places`` decimals, all of them written (``-12.5000``)."""
    scaled = np.round(np.asarray(values, dtype=np.float64) * 10**places).astype(np.int64)
    magnitude = np.abs(scaled)
    parts = [
        _sign(scaled < 0),
        integers(magnitude // 10**places),
        literal(".", len(scaled)),
        fixed_digits(magnitude % 10**places, places),
    ]
    return concat(parts)


def strings(vocabulary: Sequence[str], index: np.ndarray) -> Text:
    """``vocabulary[index]`` per record (ASCII strings)."""
    encoded = [word.encode() for word in vocabulary]
    width = max(len(word) for word in encoded)
    table = np.zeros((width, len(encoded)), dtype=np.uint8)
    for column, word in enumerate(encoded):
        table[: len(word), column] = np.frombuffer(word, dtype=np.uint8)
    lengths = np.array([len(word) for word in encoded])
    return Text(table[:, index], np.arange(width)[:, None] < lengths[index])


def hexadecimal(rng: np.random.Generator, records: int, width: int) -> Text:
    """Random lower-case hexadecimal strings of ``width`` digits."""
    return _all(HEX[rng.integers(0, 16, (width, records))])


def blank_where(text: Text, missing: np.ndarray) -> Text:
    """``text`` with the records where ``missing`` is true left empty."""
    return Text(text.chars, text.keep & ~np.asarray(missing, dtype=bool))


def concat(texts: Sequence[Text]) -> Text:
    """The texts one after the other on each record."""
    return Text(np.concatenate([text.chars for text in texts]), np.concatenate([text.keep for text in texts]))


def joined(texts: Sequence[Text], separator: str) -> Text:
    """The texts separated by ``separator`` (a CSV row of cells)."""
    if not texts:
        raise ValueError("nothing to join")
    parts = [texts[0]]
    for text in texts[1:]:
        parts += [literal(separator, text.records), text]
    return concat(parts)


def grouped(text: Text, per_record: int, separator: str) -> Text:
    """Each run of ``per_record`` consecutive values of ``text`` as one record's cells, separated by
    ``separator`` (``text`` holds records x ``per_record`` values, record by record)."""
    with_separator = concat([text, literal(separator, text.records)])
    width = with_separator.chars.shape[0]
    records = text.records // per_record

    def regroup(array: np.ndarray) -> np.ndarray:
        by_cell = array.reshape(width, records, per_record).transpose(2, 0, 1)
        return by_cell.reshape(per_record * width, records)[: per_record * width - len(separator)]

    return Text(regroup(with_separator.chars), regroup(with_separator.keep))


def lines(texts: Sequence[Text]) -> bytes:
    """Each record's texts followed by a newline, as bytes (the masked bytes dropped)."""
    whole = concat([*texts, literal("\n", texts[0].records)])
    return whole.chars.T[whole.keep.T].tobytes()


def _sign(negative: np.ndarray) -> Text:
    """A ``-`` where ``negative``, nothing elsewhere."""
    return Text(np.full((1, len(negative)), ord("-"), dtype=np.uint8), negative[None, :].copy())
