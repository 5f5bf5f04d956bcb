"""64-bit hashes of category values, the same in every process and release.

Numbers are hashed by their bit pattern salted by kind with murmur3's 64-bit finaliser (an Integral ``7``
and a Fractional ``7.0`` differ). A text of at most 64 UTF-8 bytes is hashed by the same finaliser chained
over its zero-padded 8-byte little-endian words, seeded with its salted length; a longer text by 64-bit
BLAKE2b. Texts of at most 16 bytes can be hashed straight from their two words
(:func:`short_text_hashes`), which gives the same hash as :func:`text_hashes`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

__all__ = ["number_hashes", "short_text_hashes", "text_hashes"]

_U = np.uint64
_SALT = _U(0x9E3779B97F4A7C15)
_INTEGRAL, _FRACTIONAL, _TEXT = _U(0x243F6A8885A308D3), _U(0x13198A2E03707344), _U(0xA4093822299F31D0)
_SHORT_TEXT = 64


def _finalise(hashes: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser, applied element-wise (wrapping arithmetic)."""
    hashes = hashes ^ (hashes >> _U(33))
    hashes = hashes * _U(0xFF51AFD7ED558CCD)
    hashes = hashes ^ (hashes >> _U(33))
    hashes = hashes * _U(0xC4CEB9FE1A85EC53)
    hashes = hashes ^ (hashes >> _U(33))
    return hashes


def number_hashes(values: np.ndarray, fractional: bool) -> np.ndarray:
    """Hashes of numbers of one kind."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return _finalise(bits ^ (_FRACTIONAL if fractional else _INTEGRAL))


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    """Hashes of texts, each a function of the text's UTF-8 bytes alone."""
    encoded = [text.encode("utf-8", errors="surrogatepass") for text in texts]
    hashes = np.zeros(len(encoded), dtype=np.uint64)
    short = [index for index, raw in enumerate(encoded) if len(raw) <= _SHORT_TEXT]
    for index in (index for index, raw in enumerate(encoded) if len(raw) > _SHORT_TEXT):
        hashes[index] = int.from_bytes(hashlib.blake2b(encoded[index], digest_size=8).digest(), "little")
    if short:
        chosen = [encoded[index] for index in short]
        lengths = np.array([len(raw) for raw in chosen], dtype=np.int64)
        width = max(8, -(-int(lengths.max()) // 8) * 8)
        words = np.array(chosen, dtype=f"S{width}").view("<u8").reshape(len(chosen), width // 8)
        hashes[short] = _chained(lengths, [words[:, word] for word in range(width // 8)])
    return hashes


def short_text_hashes(low: np.ndarray, high: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Hashes of texts of 1 to 16 bytes given as their first and second zero-padded 8-byte words."""
    return _chained(lengths, [low, high])


def _chained(lengths: np.ndarray, words: list[np.ndarray]) -> np.ndarray:
    """The finaliser chained over the words that overlap each text, seeded with the length."""
    mixed = _finalise(lengths.astype(np.uint64) * _SALT ^ _TEXT)
    for index, word in enumerate(words):
        mixed = np.where(lengths > 8 * index, _finalise(mixed ^ word), mixed)
    return mixed
