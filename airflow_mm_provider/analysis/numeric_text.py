"""Bulk parsing of decimal number texts held in one byte buffer.

A block of CSV lines is one buffer and each field a span ``[start, end)`` of it. :func:`parse_decimals` reads
every span that is a plain decimal with numpy operations over all spans at once, eight digits at a time from
one little-endian 64-bit word (the SWAR digit trick), so no Python object is made per field.

Accepted text, the rest being left to the caller: ``[+-]?[0-9]*(\\.[0-9]*)?`` with at least one digit, no
whitespace and no exponent, at most :data:`MAX_WHOLE_DIGITS` digits before the point and
:data:`MAX_FRACTION_DIGITS` after it, and at most 18 significant digits (the digits without the point below
``9.2e18``). The value is the correctly rounded double, the one ``float()`` gives for the same text: the
digits over a power of ten is a single rounding while the digits fit in 53 bits; past that a double-double
residual picks the nearest double, and the rare quotient within a millionth of an ulp of a rounding
boundary is computed by Python's exact integer division.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["MAX_FRACTION_DIGITS", "MAX_WHOLE_DIGITS", "PADDING", "Decimals", "padded", "parse_decimals"]

MAX_WHOLE_DIGITS = 19
MAX_FRACTION_DIGITS = 22
PADDING = 64
"""Zero bytes a buffer needs after its last span, so that every 8-byte load stays inside it."""

_U = np.uint64
_MINUS, _PLUS, _POINT = ord("-"), ord("+"), ord(".")
_PROBE = 256
_STEADY = 0.9
_ONES = _U(0x0101010101010101)
_HIGHS = _U(0x8080808080808080)
_POINTS = _U(0x2E2E2E2E2E2E2E2E)
_NIBBLES_HIGH = _U(0xF0F0F0F0F0F0F0F0)
_NIBBLES_LOW = _U(0x0F0F0F0F0F0F0F0F)
_SIX = _U(0x0606060606060606)
_THREES = _U(0x3333333333333333)
_KEEP = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
_ALIGN = np.array([8 * (8 - n) if n else 0 for n in range(9)], dtype=np.uint64)
_ZEROS = np.array([0x3030303030303030 & ((1 << (8 * (8 - n))) - 1) for n in range(9)], dtype=np.uint64)
_POWERS = np.array([10**n for n in range(MAX_FRACTION_DIGITS + 1)], dtype=np.float64)
_WHOLE_SCALES = np.array([10**n if n < 20 else 0 for n in range(MAX_FRACTION_DIGITS + 1)], dtype=np.uint64)
_LIMIT = 9.2e18
_EXACT = float(2**53)
_SPLIT = 134217729.0
_BOUNDARY_MARGIN = 1e-6


class Decimals(NamedTuple):
    """What :func:`parse_decimals` read.

    :param values: the number of each span (``0.0`` where not parsed; ``-0.0`` for a negative zero).
    :param parsed: whether the span is an accepted decimal text.
    :param fractional: whether the span has a decimal point.
    """

    values: np.ndarray
    parsed: np.ndarray
    fractional: np.ndarray


def padded(buffer: bytes) -> np.ndarray:
    """``buffer`` as a ``uint8`` array followed by :data:`PADDING` zero bytes."""
    data = np.zeros(len(buffer) + PADDING, dtype=np.uint8)
    data[: len(buffer)] = np.frombuffer(buffer, dtype=np.uint8)
    return data


def parse_decimals(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Decimals:
    """Parse the spans ``data[starts[i]:ends[i]]`` that are plain decimals.

    Columns usually keep one layout, so when nine in ten spans of a probe have the same number of fraction
    digits, the position of the point is guessed from it; a span whose guess misses (no ``.`` where guessed,
    or a ``.`` where none was) fails its digit check and is read again with its point looked up.

    :param data: a ``uint8`` buffer with :data:`PADDING` zero bytes after the last span (see :func:`padded`).
    :param starts: span starts (``int64``).
    :param ends: span ends, exclusive (``int64``).
    """
    words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    first = data[starts]
    negative = first == _MINUS
    begin = starts + (negative | (first == _PLUS))
    length = ends - begin
    tails = np.bincount(length[:_PROBE] - _point(words, begin[:_PROBE], length[:_PROBE]), minlength=1)
    tail = int(tails.argmax())
    if tails[tail] < _STEADY * tails.sum():
        values, parsed, fractional = _parse(words, begin, length, _point(words, begin, length))
        return Decimals(np.where(negative, -values, values), parsed, fractional)
    guess = np.maximum(length - tail, 0)
    values, parsed, fractional = _parse(words, begin, length, guess)
    if tail:
        parsed &= data[begin + guess] == _POINT
    retry = np.flatnonzero(~parsed & (length > 0))
    if retry.size:
        exact = _point(words, begin[retry], length[retry])
        values[retry], parsed[retry], fractional[retry] = _parse(words, begin[retry], length[retry], exact)
    return Decimals(np.where(negative, -values, values), parsed, fractional)


def _parse(
    words: np.ndarray, begin: np.ndarray, length: np.ndarray, point: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, validity and fractional flags of unsigned spans read with their point at ``point``."""
    fractional = point < length
    short = length <= 8
    if short.all():
        return _parse_word(words, begin, length, point)
    if short.mean() > 0.5:
        values, parsed = np.zeros(len(begin)), np.zeros(len(begin), dtype=bool)
        for index, parse in ((np.flatnonzero(short), _parse_word), (np.flatnonzero(~short), _parse)):
            values[index], parsed[index], _ = parse(words, begin[index], length[index], point[index])
        return values, parsed, fractional
    whole_digits = point
    fraction_digits = np.where(fractional, length - point - 1, 0)
    fits = (
        (whole_digits <= MAX_WHOLE_DIGITS)
        & (fraction_digits <= MAX_FRACTION_DIGITS)
        & (whole_digits + fraction_digits > 0)
    )
    whole_digits = np.where(fits, whole_digits, 0)
    fraction_digits = np.where(fits, fraction_digits, 0)
    whole, whole_estimate, whole_ok = _digits(words, begin, whole_digits)
    part, part_estimate, part_ok = _digits(words, begin + point + 1, fraction_digits)
    estimate = whole_estimate * _POWERS[fraction_digits] + part_estimate
    parsed = fits & whole_ok & part_ok & (estimate < _LIMIT)
    mantissa = np.where(parsed, whole * _WHOLE_SCALES[fraction_digits] + part, _U(0))
    return _quotient(mantissa, fraction_digits), parsed, fractional


def _parse_word(
    words: np.ndarray, begin: np.ndarray, length: np.ndarray, point: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_parse` for spans of at most 8 bytes: the point is squeezed out of the word, whose digits are
    then read at once."""
    fractional = point < length
    word = words[begin] & _KEEP[length]
    before = _KEEP[point]
    digits, parsed = _eight_digits((word & before) | ((word >> _U(8)) & ~before), length - fractional)
    parsed &= length > fractional
    fraction_digits = np.where(fractional, length - point - 1, 0)
    return digits.astype(np.float64) / _POWERS[fraction_digits], parsed, fractional


def _point(words: np.ndarray, begin: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Index of the first ``.`` in each span (its length when there is none), a word at a time: the next word
    is only read for the spans still without a point that reach into it."""
    point: np.ndarray = length.copy()
    index = None
    widest = min(int(length.max(initial=0)), MAX_WHOLE_DIGITS + MAX_FRACTION_DIGITS + 1)
    for offset in range(0, widest, 8):
        if index is None:
            starts, sizes = begin, length
        else:
            index = index[(point[index] == length[index]) & (length[index] > offset)]
            starts, sizes = begin[index], length[index]
        word = words[starts + offset] & _KEEP[np.clip(sizes - offset, 0, 8)]
        flipped = word ^ _POINTS
        zero_bytes = (flipped - _ONES) & ~flipped & _HIGHS
        lowest = (zero_bytes & (~zero_bytes + _U(1))).astype(np.float64)
        found = np.flatnonzero(lowest)
        at = offset + (((lowest[found].view(np.int64) >> 52) - 1023) >> 3)
        if index is None:
            point[found] = at
            index = np.flatnonzero((point == length) & (length > offset + 8))
        else:
            point[index[found]] = at
    return point


def _digits(
    words: np.ndarray, offsets: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value (``uint64``, wrapping past ``2**64``), float estimate and validity of ``counts`` digits."""
    groups = -(-int(counts.max(initial=0)) // 8)
    if groups <= 1:
        value, valid = _eight_digits(words[offsets], counts)
        return value, value.astype(np.float64), valid
    value = np.zeros(len(offsets), dtype=np.uint64)
    estimate = np.zeros(len(offsets))
    valid = np.ones(len(offsets), dtype=bool)
    for group in reversed(range(groups)):
        stop = counts - 8 * group
        start = np.maximum(stop - 8, 0)
        digits, ok = _eight_digits(words[offsets + start], np.clip(stop - start, 0, 8))
        value = value * _U(100_000_000) + digits
        estimate = estimate * 1e8 + digits
        valid &= ok
    return value, estimate, valid


def _eight_digits(word: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value of the first ``size`` (0-8) bytes of each word read as decimal digits, and whether they are."""
    aligned = ((word & _KEEP[size]) << _ALIGN[size]) | _ZEROS[size]
    valid = (aligned & _NIBBLES_HIGH) | (((aligned + _SIX) & _NIBBLES_HIGH) >> _U(4)) == _THREES
    value = ((aligned & _NIBBLES_LOW) * _U(2561)) >> _U(8)
    value = ((value & _U(0x00FF00FF00FF00FF)) * _U(6553601)) >> _U(16)
    value = ((value & _U(0x0000FFFF0000FFFF)) * _U(42949672960001)) >> _U(32)
    return value, valid


def _quotient(mantissa: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """``mantissa / 10**exponent`` correctly rounded (``mantissa < 9.2e18``, ``exponent <= 22``)."""
    numerator = mantissa.astype(np.float64)
    values: np.ndarray = numerator / _POWERS[exponent]
    wide = np.flatnonzero(numerator > _EXACT)
    if wide.size:
        values[wide] = _rounded_quotient(mantissa[wide], exponent[wide])
    return values


def _rounded_quotient(mantissa: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """The nearest double to ``mantissa / 10**exponent`` when the mantissa has more than 53 bits."""
    approximate = mantissa.astype(np.float64)
    rest = (mantissa.astype(np.int64) - approximate.astype(np.int64)).astype(np.float64)
    divisor = _POWERS[exponent]
    quotient = approximate / divisor
    product, error = _two_product(quotient, divisor)
    residual = (approximate - product) - error + rest
    above = np.nextafter(quotient, np.inf)
    below = np.nextafter(quotient, -np.inf)
    up = residual / ((above - quotient) * divisor)
    down = -residual / ((quotient - below) * divisor)
    rounded: np.ndarray = np.where(up > 0.5, above, np.where(down > 0.5, below, quotient))
    unsure = (
        (np.abs(up - 0.5) < _BOUNDARY_MARGIN)
        | (np.abs(down - 0.5) < _BOUNDARY_MARGIN)
        | (up > 1.5)
        | (down > 1.5)
    )
    for index in np.flatnonzero(unsure).tolist():
        rounded[index] = int(mantissa[index]) / 10 ** int(exponent[index])
    return rounded


def _two_product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a * b`` rounded and its exact rounding error (Dekker's product, no fused multiply-add needed)."""
    product = a * b
    a_high, a_low = _halves(a)
    b_high, b_low = _halves(b)
    error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    return product, error


def _halves(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split of ``a`` into two halves of at most 26 significant bits each."""
    scaled = a * _SPLIT
    high = scaled - (scaled - a)
    return high, a - high
