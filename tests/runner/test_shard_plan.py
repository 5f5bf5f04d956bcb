"""Shard planning: the engine's read order, balanced consecutive cuts, the plan's bytes and its S3 layout."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.records import iter_files
from airflow_mm_provider.runner.shard_plan import (
    ShardPlan,
    balanced_owners,
    partial_name,
    partials_uri,
    read_order,
)

SLOT = datetime(2024, 1, 1, 2, tzinfo=timezone.utc)

names = st.sampled_from(["a", "b", "B", "a.b", "a0", "ab", "z-1", "Z"])
paths = st.lists(st.lists(names, min_size=1, max_size=3).map("/".join), min_size=1, max_size=12, unique=True)


def _files_and_folders_apart(relatives: list[str]) -> list[str]:
    """The paths that do not name a folder of another path (a name cannot be a file and a folder)."""
    folders = {
        "/".join(path.split("/")[:depth]) for path in relatives for depth in range(1, path.count("/") + 1)
    }
    return [path for path in relatives if path not in folders]


@settings(max_examples=60, deadline=None)
@given(relatives=paths)
def test_read_order_is_the_order_the_engine_reads_a_staged_folder(relatives: list[str]) -> None:
    kept = _files_and_folders_apart(relatives)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for relative in kept:
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text("x")
        read = [path.relative_to(root).as_posix() for path in iter_files(root)]
    assert sorted(kept, key=read_order) == read


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(0, 10_000), max_size=40), shards=st.integers(1, 8))
def test_owners_are_consecutive_runs_within_one_object_of_an_even_share(
    sizes: list[int], shards: int
) -> None:
    """Each shard's weight (size + 1 per object) is within the largest object's weight of total / shards."""
    owners = balanced_owners(sizes, shards)
    assert owners == sorted(owners) and all(0 <= owner < shards for owner in owners)
    weights = [size + 1 for size in sizes]
    if weights:
        share, largest = sum(weights) / shards, max(weights)
        loads = [
            sum(w for w, owner in zip(weights, owners, strict=True) if owner == s) for s in range(shards)
        ]
        assert all(abs(load - share) <= largest for load in loads)
    assert balanced_owners(sizes, shards) == owners


def test_equal_objects_spread_evenly_and_one_shard_takes_everything() -> None:
    assert balanced_owners([10] * 8, 4) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert balanced_owners([0] * 5, 1) == [0] * 5
    with pytest.raises(ValueError, match="shards: must be at least 1"):
        balanced_owners([1], 0)


def test_a_plan_holds_every_object_once_in_read_order_and_round_trips() -> None:
    objects = [("v/2024/01/01/01/b.jsonl", 30), ("v/2024/01/01/01/a.jsonl", 10), ("top.jsonl", 5)]
    plan = ShardPlan.split("s3://bucket/capture/ep/", objects, 2)

    assert plan.shards == (("top.jsonl", "v/2024/01/01/01/a.jsonl"), ("v/2024/01/01/01/b.jsonl",))
    assert plan.sizes == (15, 30)
    assert ShardPlan.from_json(plan.to_json()) == plan
    assert plan.plan_id == ShardPlan.split("s3://bucket/capture/ep/", objects[::-1], 2).plan_id
    assert plan.plan_id != ShardPlan.split("s3://bucket/capture/ep/", objects[:2], 2).plan_id
    assert plan.descriptors() == [
        {"plan": plan.plan_id, "shard": 0, "shards": 2, "objects": 2, "bytes": 15},
        {"plan": plan.plan_id, "shard": 1, "shards": 2, "objects": 1, "bytes": 30},
    ]


def test_fewer_objects_than_shards_give_fewer_shards_and_none_gives_one_empty_shard() -> None:
    assert len(ShardPlan.split("s3://b/p/", [("a", 1), ("b", 1)], 8).shards) == 2
    assert ShardPlan.split("s3://b/p/", [], 8).shards == ((),)


def test_a_plan_of_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match="shard plan version 2"):
        ShardPlan.from_json(b'{"version": 2}')


def test_partials_live_beside_the_reports_under_an_underscore_folder() -> None:
    assert (
        partials_uri("s3://b/reports/", "churn", SLOT, "ep")
        == "s3://b/reports/_partials/ep/churn/2024/01/01/02"
    )
    assert partials_uri("s3://b/reports", "churn", SLOT) == "s3://b/reports/_partials/churn/2024/01/01/02"
    assert partial_name(3) == "shard-0003.mmpr"
