"""A stopped analysis ends at its next block of input, in the thread that was told to stop, and only there."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from airflow_mm_provider.analysis import records as records_module
from airflow_mm_provider.analysis.csv_blocks import iter_csv_blocks
from airflow_mm_provider.analysis.ground_truth_index import SpillFiles
from airflow_mm_provider.analysis.records import ReadStats, iter_capture_chunks
from airflow_mm_provider.analysis.stopping import Stopped, checkpoint, stop_on
from tests.support.service import capture_line


def test_checkpoint_raises_only_once_the_event_of_this_thread_is_set() -> None:
    checkpoint()
    event = threading.Event()
    with stop_on(event):
        checkpoint()
        event.set()
        with pytest.raises(Stopped):
            checkpoint()
        seen: list[BaseException] = []

        def elsewhere() -> None:
            try:
                checkpoint()
            except Stopped as err:
                seen.append(err)

        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
        assert seen == []
    checkpoint()


def test_an_inner_stop_on_gives_the_outer_event_back() -> None:
    outer, inner = threading.Event(), threading.Event()
    outer.set()
    with stop_on(outer):
        with stop_on(inner):
            checkpoint()
        with pytest.raises(Stopped):
            checkpoint()


def _captures(tmp_path: Path) -> Iterator[Any]:
    tmp_path.mkdir()
    (tmp_path / "capture.jsonl").write_text("".join(capture_line(i) + "\n" for i in range(200)))
    return iter_capture_chunks(tmp_path / "capture.jsonl", ReadStats(), chunk_size=10)


def _csv(tmp_path: Path) -> Iterator[Any]:
    tmp_path.mkdir()
    (tmp_path / "data.csv").write_text("".join(f"{i},{i / 2}\n" for i in range(2000)))
    return iter_csv_blocks(tmp_path / "data.csv", ReadStats(), block_size=1024)[1]


def _spill(tmp_path: Path) -> Iterator[Any]:
    spill = SpillFiles(tmp_path / "spill", 256)  # a partition writes a frame once it holds 64 KiB
    for _ in range(3):  # all in partition 0, a frame each
        items = [b"x" * 1000] * 100
        spill.append(np.zeros(len(items), dtype=np.uint64), [items])
    spill.close()
    return spill.read(0)


@pytest.mark.parametrize("reader", [_captures, _csv, _spill], ids=["capture", "csv", "spill"])
def test_each_reader_stops_at_its_next_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: Callable[[Path], Iterator[Any]]
) -> None:
    monkeypatch.setattr(records_module, "_BLOCK_BYTES", 4096)
    total = sum(1 for _ in reader(tmp_path / "whole"))
    event = threading.Event()
    after = 0
    with stop_on(event):
        items = reader(tmp_path / "stopped")
        next(items)
        event.set()
        with pytest.raises(Stopped):
            for _ in items:
                after += 1
    assert total > 2
    assert after <= 1  # what the block in hand still gives, never the rest of the input
