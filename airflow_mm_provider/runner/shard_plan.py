"""How a window's S3 objects are split into shards, and where shards keep their work in S3. Pure.

A shard is a run of consecutive objects in the order the engine reads a staged folder (sorted names, the
files of a folder before its sub-folders), so shards merged in shard order read the records in the one-pass
order (see :mod:`~airflow_mm_provider.analysis.job_partials` for what that order decides). Runs are cut so
that their sizes are as even as whole objects allow, and the same objects always give the same cuts.

Layout: the plan and the partials of the execution whose reports go to
``<output>/<endpoint>/<monitor>/yyyy/mm/dd/hh/`` live under
``<output>/_partials/<endpoint>/<monitor>/yyyy/mm/dd/hh/<plan id>/``: ``plan.json`` (every shard's object
keys) and ``shard-0000.mmpr``, ``shard-0001.mmpr``, ... (one partial each). The plan id is a digest of the
plan, so a planning retry that lists the same objects reuses the same folder, and a plan of other objects
never mixes with partials of an earlier one. Nothing deletes them: an S3 lifecycle rule on ``_partials/``
may expire them once the reports are written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_mm_provider.monitoring.paths import join_s3, report_uri

__all__ = [
    "PARTIALS_FOLDER",
    "PLAN_FILE",
    "ShardPlan",
    "balanced_owners",
    "partial_name",
    "partials_uri",
    "read_order",
]

PARTIALS_FOLDER = "_partials"
"""The folder of the output ``S3Uri`` holding plans and partials."""
PLAN_FILE = "plan.json"
_PLAN_VERSION = 1


def read_order(relative: str) -> tuple[tuple[int, str], ...]:
    """Sort key of a staged object's path (``/``-separated) in the engine's read order: sorted names, the
    files of a folder before its sub-folders.

    :param relative: the object's path inside its input.
    """
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    return (*((1, folder) for folder in parts[:-1]), (0, parts[-1] if parts else ""))


def balanced_owners(sizes: Sequence[int], shards: int) -> list[int]:
    """The shard of each of ``sizes`` (objects in read order): consecutive runs, ``shards`` of them at most,
    each taking the objects whose middle byte falls in its share of the total (an empty object weighs one
    byte, so empty objects spread too).

    :param sizes: the objects' sizes in bytes.
    :param shards: how many shards (at least 1).
    """
    if shards < 1:
        raise ValueError(f"shards: must be at least 1 (got {shards})")
    weights = [max(int(size), 0) + 1 for size in sizes]
    total, before, owners = sum(weights), 0, []
    for weight in weights:
        owners.append(min(shards - 1, (2 * before + weight) * shards // (2 * total)))
        before += weight
    return owners


def partials_uri(
    output_s3_uri: str, schedule_name: str, scheduled_time: datetime, endpoint_name: str | None = None
) -> str:
    """The folder of the plans and partials of one execution (its plans are sub-folders).

    :param output_s3_uri: the job definition's output ``S3Uri``.
    :param schedule_name: the monitor's name.
    :param scheduled_time: the execution's ``ScheduledTime`` (timezone-aware).
    :param endpoint_name: the monitored endpoint, or None for batch-transform input.
    """
    return report_uri(join_s3(output_s3_uri, PARTIALS_FOLDER), schedule_name, scheduled_time, endpoint_name)


def partial_name(shard: int) -> str:
    """The file name of shard ``shard``'s partial."""
    return f"shard-{shard:04d}.mmpr"


@dataclass(frozen=True)
class ShardPlan:
    """Which objects of the data input each shard reads.

    :param data_uri: the data input's S3 prefix.
    :param shards: per shard, the object paths relative to ``data_uri`` (as staged), in read order.
    :param sizes: per shard, the bytes of its objects.
    """

    data_uri: str
    shards: tuple[tuple[str, ...], ...]
    sizes: tuple[int, ...]

    @classmethod
    def split(cls, data_uri: str, objects: Sequence[tuple[str, int]], shards: int) -> ShardPlan:
        """Split objects into at most ``shards`` shards (one when there is at most one object).

        :param data_uri: the data input's S3 prefix.
        :param objects: (relative path, size) of every object to read, in any order.
        :param shards: the most shards wanted (at least 1).
        """
        ordered = sorted(objects, key=lambda item: read_order(item[0]))
        count = max(1, min(shards, len(ordered)))
        owners = balanced_owners([size for _, size in ordered], count)
        keys: list[list[str]] = [[] for _ in range(count)]
        sizes = [0] * count
        for (relative, size), owner in zip(ordered, owners, strict=True):
            keys[owner].append(relative)
            sizes[owner] += size
        return cls(data_uri, tuple(tuple(shard) for shard in keys), tuple(sizes))

    def to_json(self) -> bytes:
        """The plan as the bytes of ``plan.json`` (stable: equal plans give equal bytes)."""
        document = {
            "version": _PLAN_VERSION,
            "data_uri": self.data_uri,
            "shards": [list(keys) for keys in self.shards],
            "sizes": list(self.sizes),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, body: bytes) -> ShardPlan:
        """The plan :meth:`to_json` wrote."""
        document = json.loads(body)
        if document.get("version") != _PLAN_VERSION:
            raise ValueError(
                f"shard plan version {document.get('version')!r}, this release reads {_PLAN_VERSION}"
            )
        return cls(
            document["data_uri"], tuple(tuple(keys) for keys in document["shards"]), tuple(document["sizes"])
        )

    @property
    def plan_id(self) -> str:
        """A digest of the plan, naming its folder."""
        return hashlib.sha256(self.to_json()).hexdigest()[:16]

    def descriptors(self) -> list[dict[str, Any]]:
        """One small JSON-ready descriptor per shard (what a mapped task gets through XCom): ``plan`` (the
        plan id), ``shard`` (its index), ``shards`` (how many), ``objects`` and ``bytes`` (what it reads)."""
        return [
            {
                "plan": self.plan_id,
                "shard": index,
                "shards": len(self.shards),
                "objects": len(keys),
                "bytes": size,
            }
            for index, (keys, size) in enumerate(zip(self.shards, self.sizes, strict=True))
        ]
