"""Join captured inferences with ground-truth labels, as the model-quality / bias merge job does.

The key of a capture is ``eventMetadata.inferenceId`` when present, else ``eventMetadata.eventId`` (batch
transform: ``SageMakerInferenceId``); the key of a ground-truth record is its ``eventMetadata.eventId``.
Ground truth is the smaller side (labels for one window), so it is held in memory as ``id ->
groundTruthData JSON`` while the captures stream past; when an id has several labels the last one read wins.
Members are copied verbatim (raw JSON of the input), never re-encoded.

Merged records are written in the service's layout, one JSON object per line::

    {"eventMetadata":{...},"eventVersion":"0","groundTruthData":{...},"captureData":{...}}

to ``part-00000-<uuid>.c000.jsonl``, the uuid derived from the file's content (same input, same name).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import Any

from airflow_mm_provider.analysis.records import CaptureChunk, ReadStats, iter_ground_truth_chunks

__all__ = ["MergeResult", "load_ground_truth", "merged_lines", "write_merged"]


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


def load_ground_truth(path: Path, stats: ReadStats) -> dict[str, Any]:
    """Read every ground-truth record under ``path`` into ``eventId -> groundTruthData JSON`` (bytes-like)."""
    labels: dict[str, Any] = {}
    for chunk in iter_ground_truth_chunks(path, stats):
        labels.update(zip(chunk.event_ids, chunk.labels, strict=True))
    return labels


_LAYOUT = (
    b'{"eventMetadata":',
    None,
    b',"eventVersion":"0","groundTruthData":',
    None,
    b',"captureData":',
    None,
    b"}\n",
)


def merged_lines(chunk: CaptureChunk, labels: Mapping[str, Any]) -> tuple[bytes, int]:
    """The merged lines of the captures in ``chunk`` that have a label, and how many there are.

    Built in bulk: the members of every line are slotted into one list of fragments, joined once.
    """
    found = list(map(labels.get, chunk.join_ids))
    metadata, captures = chunk.event_metadata, chunk.capture_data
    if None in found:
        keep = [label is not None for label in found]
        found = list(compress(found, keep))
        metadata, captures = list(compress(metadata, keep)), list(compress(captures, keep))
    fragments = list(_LAYOUT) * len(found)
    fragments[1::7], fragments[3::7], fragments[5::7] = metadata, found, captures
    return b"".join(fragments), len(found)


def write_merged(
    captures: Iterable[CaptureChunk], labels: Mapping[str, Any], output_dir: Path
) -> MergeResult:
    """Stream capture chunks, join them with ``labels`` and write the merged file under ``output_dir``."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    temporary = output_dir / ".merge-in-progress.jsonl"
    digest = hashlib.sha256()
    captured = matched = 0
    with open(temporary, "wb") as handle:
        for chunk in captures:
            data, count = merged_lines(chunk, labels)
            captured += len(chunk.join_ids)
            matched += count
            digest.update(data)
            handle.write(data)
    if matched == 0:
        temporary.unlink()
        return MergeResult(None, captured, 0, captured, len(labels))
    name = f"part-00000-{uuid.UUID(bytes=digest.digest()[:16])}.c000.jsonl"
    final = output_dir / name
    os.replace(temporary, final)
    return MergeResult(final, captured, matched, captured - matched, len(labels))
