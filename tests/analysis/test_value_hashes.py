"""Tests for the category value hashes: stable across processes and releases, one hash per text."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.value_hashes import number_hashes, short_text_hashes, text_hashes


def test_hashes_are_pinned():
    """Partials hashed by one release are merged by another: the values must never change."""
    assert text_hashes(["a", "hello world, this is long", "x" * 100]).tolist() == [
        15699715058409981025,
        15831521572796626615,
        2396613863943354522,
    ]
    assert number_hashes(np.array([7.0]), fractional=False).tolist() == [14707388715636113698]
    assert number_hashes(np.array([7.0]), fractional=True).tolist() == [4929027816909694561]


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.binary(min_size=1, max_size=16).filter(lambda raw: b"\0" not in raw), max_size=20))
def test_short_text_hashes_match_text_hashes(texts):
    decoded = [raw.decode("latin-1") for raw in texts]
    encoded = [text.encode() for text in decoded if len(text.encode()) <= 16]
    words = np.array(encoded + [b""], dtype="S16").view("<u8").reshape(-1, 2)[: len(encoded)]
    lengths = np.array([len(raw) for raw in encoded], dtype=np.int64)
    expected = text_hashes([raw.decode() for raw in encoded])
    assert short_text_hashes(words[:, 0].copy(), words[:, 1].copy(), lengths).tolist() == expected.tolist()


def test_distinct_inputs_get_distinct_hashes():
    texts = ["a", "a\0", "b", "7", "", "é", "\ud800"]
    numbers = np.array([0.0, 1.0, 7.0, 2.5])
    together = np.concatenate(
        [text_hashes(texts), number_hashes(numbers, False), number_hashes(numbers, True)]
    )
    assert len(set(together.tolist())) == len(texts) + 8
