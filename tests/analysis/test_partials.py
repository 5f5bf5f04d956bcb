"""Tests of the binary framing of partial results."""

from __future__ import annotations

import numpy as np
import pytest

from airflow_mm_provider.analysis import partials


def test_round_trip_keeps_arrays_and_plain_values() -> None:
    data = {
        "counts": np.arange(12, dtype=np.int64).reshape(3, 4),
        "scores": np.array([0.25, 0.5], dtype=">f8"),
        "names": ["a", "b"],
        "total": 7,
        "sum": 1.5,
        "raw": b"\x00\x01",
        "nothing": None,
    }
    back = partials.loads(partials.dumps("bias", 3, data), "bias", 3)
    assert back["counts"].dtype == np.int64 and back["counts"].shape == (3, 4)
    assert np.array_equal(back["counts"], data["counts"])
    assert back["scores"].dtype == np.dtype("<f8")
    assert back["scores"].tolist() == [0.25, 0.5]
    assert (back["names"], back["total"], back["sum"], back["raw"], back["nothing"]) == (
        ["a", "b"],
        7,
        1.5,
        b"\x00\x01",
        None,
    )
    back["counts"][0, 0] = 99
    assert data["counts"][0, 0] == 0


def test_arrays_cost_their_raw_bytes() -> None:
    blob = partials.dumps("model_quality", 1, {"a": np.zeros(1_000_000, dtype=np.int64)})
    assert 8_000_000 <= len(blob) < 8_000_100


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"{}", "do not start with b'MMPR'"),
        (b"MMPR", "framing version missing"),
        (b"MMPR\x09", "framing version 9"),
        (b"MMPR\x01\xc1", "unreadable"),
    ],
)
def test_foreign_bytes_are_refused(blob: bytes, message: str) -> None:
    with pytest.raises(partials.PartialFormatError, match=message):
        partials.loads(blob, "bias", 1)


def test_kind_and_layout_version_are_checked() -> None:
    blob = partials.dumps("bias", 2, {})
    with pytest.raises(partials.PartialFormatError, match="kind 'bias', expected 'data_quality'"):
        partials.loads(blob, "data_quality", 2)
    with pytest.raises(partials.PartialFormatError, match="layout version 2, this release reads 3"):
        partials.loads(blob, "bias", 3)


def test_object_arrays_and_other_objects_are_refused() -> None:
    with pytest.raises(TypeError, match="object array"):
        partials.dumps("bias", 1, {"x": np.array(["a", None], dtype=object)})
    with pytest.raises(TypeError, match="cannot hold a object"):
        partials.dumps("bias", 1, {"x": object()})
