"""Join captured inferences with ground-truth labels, as the model-quality / bias merge job does.

The key of a capture is ``eventMetadata.inferenceId`` when present, else ``eventMetadata.eventId`` (batch
transform: ``SageMakerInferenceId``); the key of a ground-truth record is its ``eventMetadata.eventId``.
Ground truth is the smaller side (labels for one window), so it is held in memory as ``id ->
groundTruthData JSON`` while the captures stream past; when an id has several labels the last one read wins.

Merged records are written in the service's layout, one JSON object per line::

    {"eventMetadata":{...},"eventVersion":"0","groundTruthData":{...},"captureData":{...}}

to ``part-00000-<uuid>.c000.jsonl``, the uuid derived from the file's content (same input, same name).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from airflow_mm_provider.analysis.records import CapturedRecord, ReadStats, iter_ground_truth_chunks

__all__ = ["MergeResult", "load_ground_truth", "merged_line", "write_merged"]


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


def load_ground_truth(path: Path, stats: ReadStats) -> dict[str, bytes]:
    """Read every ground-truth record under ``path`` into ``eventId -> groundTruthData as JSON bytes``."""
    labels: dict[str, bytes] = {}
    for chunk in iter_ground_truth_chunks(path, stats):
        labels.update(chunk)
    return labels


def merged_line(event_metadata: bytes, ground_truth: bytes, capture_data: bytes) -> bytes:
    """Return one merged record line from the JSON (UTF-8 bytes) of its three members."""
    return b'{"eventMetadata":%b,"eventVersion":"0","groundTruthData":%b,"captureData":%b}\n' % (
        event_metadata,
        ground_truth,
        capture_data,
    )


def write_merged(
    captures: Iterable[list[CapturedRecord]], labels: dict[str, bytes], output_dir: Path
) -> MergeResult:
    """Stream capture chunks, join them with ``labels`` and write the merged file under ``output_dir``."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    temporary = output_dir / ".merge-in-progress.jsonl"
    digest = hashlib.sha256()
    captured = matched = 0
    find = labels.get
    with open(temporary, "wb") as handle:
        for chunk in captures:
            captured += len(chunk)
            lines = []
            for join_id, event_metadata, capture_data in chunk:
                label = find(join_id)
                if label is not None:
                    lines.append(merged_line(event_metadata, label, capture_data))
            matched += len(lines)
            data = b"".join(lines)
            digest.update(data)
            handle.write(data)
    if matched == 0:
        temporary.unlink()
        return MergeResult(None, captured, 0, captured, len(labels))
    name = f"part-00000-{uuid.UUID(bytes=digest.digest()[:16])}.c000.jsonl"
    final = output_dir / name
    os.replace(temporary, final)
    return MergeResult(final, captured, matched, captured - matched, len(labels))
