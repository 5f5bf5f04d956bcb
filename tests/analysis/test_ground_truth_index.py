"""Tests of the compact, exact ground-truth index and its spill files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import ground_truth_index
from airflow_mm_provider.analysis.ground_truth_index import GroundTruthIndex, SpillFiles, id_bytes, id_keys

IDS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


def index_of(records: list[tuple[str, bytes]]) -> GroundTruthIndex:
    index = GroundTruthIndex()
    index.add(id_keys([key for key, _ in records]), [label for _, label in records])
    index.freeze()
    return index


def labels_of(index: GroundTruthIndex, ids: list[str]) -> list[bytes | None]:
    return [None if code < 0 else index.labels[code] for code in index.lookup(id_keys(ids)).tolist()]


@settings(max_examples=80, deadline=None)
@given(
    records=st.lists(st.tuples(IDS, st.sampled_from([b"{1}", b"{2}", b"{3}"])), max_size=40),
    queries=st.lists(IDS, max_size=20),
)
def test_lookup_finds_exactly_the_last_label_of_each_id(
    records: list[tuple[str, bytes]], queries: list[str]
) -> None:
    expected = dict(records)
    index = index_of(records)
    asked = queries + [key for key, _ in records]
    assert labels_of(index, asked) == [expected.get(key) for key in asked]
    assert len(index) == len(expected)


def test_ids_sharing_a_hash_never_mix(monkeypatch: pytest.MonkeyPatch) -> None:
    def colliding(text: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return (lengths % 2).astype(np.uint64) << np.uint64(40)

    monkeypatch.setattr(ground_truth_index, "_words_hash", colliding)
    records = [("a", b"{1}"), ("bb", b"{2}"), ("c", b"{3}"), ("a", b"{4}"), ("dd", b"{5}"), ("c\x00", b"{6}")]
    index = index_of(records)
    assert labels_of(index, ["a", "bb", "c", "dd", "c\x00", "e", "a\x00", "cc"]) == [
        b"{4}",
        b"{2}",
        b"{3}",
        b"{5}",
        b"{6}",
        None,
        None,
        None,
    ]
    assert len(index) == 5


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(
        st.tuples(st.sampled_from(["a", "b", "cc", "dd", "e", "ff", "a\x00"]), st.binary()), min_size=1
    )
)
def test_hashes_sharing_their_top_bits_still_sort_and_keep_the_last_label(
    monkeypatch: pytest.MonkeyPatch, records: list[tuple[str, bytes]]
) -> None:
    # hashes that agree on their top 32 bits within a length parity and differ below
    def tied(text: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        first = text.view(np.uint64).reshape(text.size, -1)[:, 0] & np.uint64(0xFFFF)
        return ((lengths % 2).astype(np.uint64) << np.uint64(40)) | first | np.uint64(1 << 20)

    monkeypatch.setattr(ground_truth_index, "_words_hash", tied)
    index = index_of(records)
    expected = dict(records)
    asked = [*expected, "zz", "a\x00\x00"]
    assert labels_of(index, asked) == [expected.get(key) for key in asked]
    assert len(index) == len(expected)


def test_the_hash_does_not_depend_on_padding_or_text_form() -> None:
    short = id_keys(["inf-1", "é-2"])
    wide = id_keys(["inf-1", "é-2", "x" * 30])
    from_bytes = id_keys([b"inf-1", "é-2".encode()])
    assert short.hashes.tolist() == wide.hashes[:2].tolist() == from_bytes.hashes.tolist()
    assert id_bytes(wide) == [b"inf-1", "é-2".encode(), b"x" * 30]
    assert id_keys([]).hashes.size == 0


def test_an_index_takes_about_twenty_bytes_plus_the_id_per_record() -> None:
    keys = [f"inf-{number}" for number in range(100_000)]
    index = GroundTruthIndex()
    index.add(id_keys(keys), [b'{"data":"1"}'] * len(keys))
    assert index.nbytes < 100_000 * 40
    index.freeze()
    assert index.nbytes < 100_000 * 40 + (1 << 17) * 4 + 1000
    assert labels_of(index, ["inf-99999", "inf-100000"]) == [b'{"data":"1"}', None]


def test_records_can_be_taken_back_for_spilling(tmp_path: Path) -> None:
    index = GroundTruthIndex()
    index.add(id_keys(["a", "b"]), [b"{1}", b"{2}"])
    index.add(id_keys(["c"]), [b"{1}"])
    spill = SpillFiles(tmp_path / "spill", 4)
    for keys, labels in index.records():
        spill.append(keys.hashes, [id_bytes(keys), labels])
    spill.close()
    back = {
        key: label
        for part in range(4)
        for keys, labels in spill.read(part)
        for key, label in zip(keys, labels, strict=True)
    }
    assert back == {b"a": b"{1}", b"b": b"{2}", b"c": b"{1}"}
    assert index.nbytes == 0 and not list(index.records())
    hashes = id_keys([b"a", b"b", b"c"]).hashes
    for part in range(4):
        ids = [key for keys, _ in spill.read(part) for key in keys]
        assert all(int(hashes[ord(key) - ord("a")]) % 4 == part for key in ids)
