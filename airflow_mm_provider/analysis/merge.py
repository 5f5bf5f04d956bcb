"""Join captured inferences with ground-truth labels, as the model-quality / bias merge job does.

The key of a capture is ``eventMetadata.inferenceId`` when present, else ``eventMetadata.eventId`` (batch
transform: ``SageMakerInferenceId``); the key of a ground-truth record is its ``eventMetadata.eventId``. When
an id has several labels the last one read wins. Members are copied verbatim (raw JSON of the input), never
re-encoded.

Memory does not grow with the window: ground truth goes into a
:class:`~airflow_mm_provider.analysis.ground_truth_index.GroundTruthIndex` (exact ids in compact numpy
arrays) while it fits ``memory_budget`` (64 MB by default: about two million records with short ids), and the
captures stream past it, merged in their order. Larger ground truth is hash-partitioned into spill files, the
captures after it, and the two are joined one partition at a time (a grace hash join); merged records then
come partition by partition, in capture order within one. The number of partitions (16 to 1024) is chosen
from the size of the ground-truth files so that a partition's index takes about an eighth of the budget.
Spill files live in a hidden folder of the output directory and are removed when the merge ends.

Merged records are written in the service's layout, one JSON object per line::

    {"eventMetadata":{...},"eventVersion":"0","groundTruthData":{...},"captureData":{...}}

to ``part-00000-<uuid>.c000.jsonl``, the uuid derived from a key naming the job's inputs
(:func:`inputs_key`: file names and sizes, window), so a retried job writes the same name without hashing
its output.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np

from airflow_mm_provider.analysis.ground_truth_index import GroundTruthIndex, SpillFiles, id_bytes, id_keys
from airflow_mm_provider.analysis.records import CaptureChunk, ReadStats, iter_files, iter_ground_truth_chunks

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "GroundTruth",
    "MergeResult",
    "inputs_key",
    "load_ground_truth",
    "merged_lines",
    "spill_directory",
    "write_merged",
]

DEFAULT_MEMORY_BUDGET = 64 << 20
PARTITIONS = 16
_MOST_PARTITIONS = 1024
# bytes of a ground-truth line besides its id and label: {"groundTruthData":,"eventMetadata":{"eventId":""}}
_LINE_OVERHEAD = 62
_SPILL = ".merge-spill"
_OPEN = b'{"eventMetadata":'
_LABEL = b',"eventVersion":"0","groundTruthData":'
_CAPTURE = b',"captureData":'
_CLOSE = b"}\n"
# label tables up to this size get their line middles built once
_SHARED_MIDDLES = 1 << 16
# records read back from the spill files at a time
_BATCH = 1 << 13


@dataclass(frozen=True)
class MergeResult:
    """What a merge produced.

    :param path: the merged file, or ``None`` when nothing matched.
    :param captured: capture records considered (inside the window).
    :param matched: capture records that found a label (= merged records written).
    :param unmatched: capture records without a label.
    :param ground_truth: distinct ground-truth ids loaded.
    """

    path: Path | None
    captured: int
    matched: int
    unmatched: int
    ground_truth: int


@dataclass(frozen=True)
class GroundTruth:
    """Loaded ground truth: a frozen index in memory, or partitions on disk.

    :param index: the index, when the ground truth fit the memory budget.
    :param spill: the partitions (closed), otherwise.
    """

    index: GroundTruthIndex | None
    spill: SpillFiles | None


def spill_directory(output_dir: Path) -> Path:
    """Where a merge into ``output_dir`` keeps its spill files (hidden; removed by :func:`write_merged`)."""
    return Path(output_dir) / _SPILL


def load_ground_truth(
    path: Path, stats: ReadStats, spill_directory: Path, memory_budget: int | None = None
) -> GroundTruth:
    """Read every ground-truth record under ``path``: into memory, or partitioned under ``spill_directory``
    once the index would pass ``memory_budget`` bytes (default :data:`DEFAULT_MEMORY_BUDGET`)."""
    if memory_budget is None:
        memory_budget = DEFAULT_MEMORY_BUDGET
    index = GroundTruthIndex()
    spill = None
    read = 0
    for chunk in iter_ground_truth_chunks(path, stats):
        keys = id_keys(chunk.event_ids)
        if spill is not None:
            spill.append(keys.hashes, [chunk.event_ids, chunk.labels])
            continue
        index.add(keys, chunk.labels)
        read += int(keys.lengths.sum()) + sum(map(len, chunk.labels)) + _LINE_OVERHEAD * len(chunk.labels)
        if index.nbytes > memory_budget:
            # partitions of about an eighth of the budget each, for the ground truth the files hold
            expected = index.nbytes * max(1.0, _input_bytes(path) / read)
            partitions = min(
                _MOST_PARTITIONS, max(PARTITIONS, 1 << math.ceil(math.log2(8 * expected / memory_budget)))
            )
            spill = SpillFiles(Path(spill_directory) / "ground-truth", partitions)
            for held, labels in index.records():
                spill.append(held.hashes, [id_bytes(held), labels])
    if spill is not None:
        spill.close()
        return GroundTruth(None, spill)
    index.freeze()
    return GroundTruth(index, None)


def _input_bytes(path: Path) -> int:
    """Bytes of the files under ``path`` once decompressed (a gzip file's size as its trailer gives it)."""
    total = 0
    for file in iter_files(path):
        if file.suffix == ".gz":
            with open(file, "rb") as handle:
                handle.seek(-4, os.SEEK_END)
                total += int.from_bytes(handle.read(4), "little")
        else:
            total += file.stat().st_size
    return total


def _middles(labels: list[bytes]) -> list[bytes] | None:
    """The merged-line middle (between metadata and captureData) of each label, for small label tables."""
    if len(labels) > _SHARED_MIDDLES:
        return None
    return [_LABEL + label + _CAPTURE for label in labels]


def merged_lines(
    metadata: Sequence[Any],
    captures: Sequence[Any],
    codes: np.ndarray,
    labels: list[bytes],
    middles: list[bytes] | None = None,
) -> tuple[bytes, int]:
    """The merged lines of the captures whose label code is not -1, and how many there are.

    :param metadata: each capture's ``eventMetadata`` JSON (bytes-like).
    :param captures: each capture's ``captureData`` JSON (bytes-like).
    :param codes: each capture's label code in ``labels`` (-1: no label).
    :param labels: ``groundTruthData`` JSON per code.
    :param middles: :func:`_middles` of ``labels`` when built.

    Built in bulk: the members of every line are slotted into one list of fragments, joined once.
    """
    matched = codes >= 0
    if not matched.all():
        keep = matched.tolist()
        metadata, captures, codes = (
            list(compress(metadata, keep)),
            list(compress(captures, keep)),
            codes[matched],
        )
    if not codes.size:
        return b"", 0
    found = codes.tolist()
    if middles is not None:
        middle = list(map(middles.__getitem__, found))
    else:
        middle = [_LABEL + labels[code] + _CAPTURE for code in found]
    fragments = [_CLOSE + _OPEN, b"", b"", b""] * len(found)
    fragments[0] = _OPEN
    fragments[1::4], fragments[2::4], fragments[3::4] = metadata, middle, captures
    fragments.append(_CLOSE)
    return b"".join(fragments), len(found)


def inputs_key(*parts: Any, paths: Iterable[Path] = ()) -> str:
    """A key naming a job's inputs: ``parts`` and the relative name and size of every file under ``paths``."""
    lines = [repr(part) for part in parts]
    for root in paths:
        root = Path(root)
        for file in iter_files(root):
            lines.append(f"{file.relative_to(root) if root.is_dir() else file.name}\t{file.stat().st_size}")
        lines.append("")
    return "\n".join(lines)


def write_merged(
    captures: Iterable[CaptureChunk], ground_truth: GroundTruth, output_dir: Path, name_key: str
) -> MergeResult:
    """Stream capture chunks, join them with ``ground_truth`` and write the merged file under ``output_dir``.

    :param name_key: what the file's uuid is derived from (see :func:`inputs_key`).
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    temporary = output_dir / ".merge-in-progress.jsonl"
    try:
        with open(temporary, "wb") as handle:
            if ground_truth.index is not None:
                captured, matched = _merge_in_memory(captures, ground_truth.index, handle)
                distinct = len(ground_truth.index)
            else:
                assert ground_truth.spill is not None
                captured, matched, distinct = _merge_partitioned(
                    captures, ground_truth.spill, handle, output_dir
                )
    finally:
        shutil.rmtree(output_dir / _SPILL, ignore_errors=True)
    if matched == 0:
        temporary.unlink()
        return MergeResult(None, captured, 0, captured, distinct)
    digest = hashlib.sha256(name_key.encode("utf-8", "surrogatepass")).digest()
    final = output_dir / f"part-00000-{uuid.UUID(bytes=digest[:16])}.c000.jsonl"
    os.replace(temporary, final)
    return MergeResult(final, captured, matched, captured - matched, distinct)


def _merge_in_memory(
    captures: Iterable[CaptureChunk], index: GroundTruthIndex, handle: Any
) -> tuple[int, int]:
    """Merge captures against an in-memory index; returns (captured, matched)."""
    middles = _middles(index.labels)
    captured = matched = 0
    for chunk in captures:
        codes = index.lookup(id_keys(chunk.join_ids))
        data, count = merged_lines(chunk.event_metadata, chunk.capture_data, codes, index.labels, middles)
        captured += len(chunk.join_ids)
        matched += count
        handle.write(data)
    return captured, matched


def _merge_partitioned(
    captures: Iterable[CaptureChunk], spill: SpillFiles, handle: Any, output_dir: Path
) -> tuple[int, int, int]:
    """Partition the captures like the ground truth, then merge partition by partition.

    Returns (captured, matched, distinct ground-truth ids).
    """
    spilled = SpillFiles(spill_directory(output_dir) / "captures", spill.partitions)
    captured = matched = distinct = 0
    for chunk in captures:
        keys = id_keys(chunk.join_ids)
        spilled.append(keys.hashes, [chunk.join_ids, chunk.event_metadata, chunk.capture_data])
        captured += len(chunk.join_ids)
    spilled.close()
    for partition in range(spill.partitions):
        index = GroundTruthIndex()
        for ids, labels in spill.read(partition, _BATCH):
            index.add(id_keys(ids), labels)
        index.freeze()
        distinct += len(index)
        middles = _middles(index.labels)
        for ids, metadata, data in spilled.read(partition, _BATCH):
            lines, count = merged_lines(metadata, data, index.lookup(id_keys(ids)), index.labels, middles)
            matched += count
            handle.write(lines)
        spill.discard(partition)
        spilled.discard(partition)
    return captured, matched, distinct
